"""TEI files, releases and the release diff."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from corpus.diff import diff_releases, render_text
from corpus.release import ReleaseExists, build_release, list_releases, previous_counts
from corpus.report import render_html
from corpus.tei import Change, ReleaseStamp, document_to_tei, validate_tei
from kcorpus.config import DataHome

TEI_ALL = Path(__file__).resolve().parent / "schemas" / "tei_all.rng"
DAY = date(2026, 11, 24)


def jing(paths: list[Path]) -> subprocess.CompletedProcess:
    """Official tei_all validation. jing is required (CI installs it): a missing tool fails, never skips."""
    assert shutil.which("jing"), "jing is not installed (apt-get install jing): .ci/run installs it"
    return subprocess.run(["jing", str(TEI_ALL), *map(str, paths)], capture_output=True, text=True)


def test_every_snapshot_document_is_valid_tei(snapshot_documents):
    stamp = ReleaseStamp("2026.11.24", "2026-11-24")
    for doc in snapshot_documents:
        xml = document_to_tei(doc, release=stamp, changes=[Change("2026.11.24", "2026-11-24", "added")])
        assert validate_tei(xml) == [], doc.id


def test_release_files_are_valid_against_official_tei_all(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    release = build_release(home, snapshot_documents, today=DAY)
    files = sorted(Path(release.path).glob("tei/*/*.xml"))[:3] + [Path(release.path) / "kcorpus-2026.11.24.teiCorpus.xml"]
    files.append(sorted(Path(release.path).glob("tei/kancc/kancc-heigo-504.xml"))[0])
    result = jing(files)
    assert result.returncode == 0, result.stdout


def test_truncated_body_ends_with_a_gap_and_header_carries_provenance(snapshot_documents):
    doc = next(d for d in snapshot_documents if d.id == "kancc-heigo-504")
    root = etree.fromstring(document_to_tei(doc, release=ReleaseStamp("v1", "2026-11-24"), changes=[]))
    ns = {"t": "http://www.tei-c.org/ns/1.0"}
    assert root.xpath("//t:body/*[last()]", namespaces=ns)[0].get("reason") == "truncated"
    assert root.xpath("string(//t:body/t:head)", namespaces=ns) == "Let Us Defend the Soviet Union with Arms!"
    assert root.xpath("string(//t:sourceDesc//t:ptr/@target)", namespaces=ns) == doc.source_url
    assert root.xpath("string(//t:idno[@type='warc-record-id'])", namespaces=ns) == doc.capture["record_id"]
    items = {i.get("ana"): int(i.get("n")) for i in root.xpath("//t:correction//t:item", namespaces=ns)}
    assert items["rom-from"] == 28 and items["print-hyphen"] == 3
    assert root.xpath("string(//t:langUsage/t:language/@ident)", namespaces=ns) == "en"
    assert root.xpath("//t:keywords/t:term[@type='series']/text()", namespaces=ns) == ["With the Century"]


def test_xml_hostile_characters_never_make_a_file_ill_formed(snapshot_documents):
    doc = copy.deepcopy(snapshot_documents[0])
    doc.title += "\x0b\x00"
    doc.paragraphs.append("bell\x07 form\x0c surrogate\ud800 nonchar\ufffe & <tag> ]]>")
    xml = document_to_tei(doc, release=None, changes=[])
    assert validate_tei(xml) == []
    assert "bell form surrogate nonchar & <tag> ]]>" in etree.fromstring(xml).xpath("string((//*[local-name()='body']/*[local-name()='p'])[last()])")


def test_release_layout_checksums_and_immutability(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    first = build_release(home, snapshot_documents, today=DAY)
    assert first.version == "2026.11.24" and first.documents == 19
    folder = Path(first.path)
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = next(d for d in manifest["documents"] if d["id"] == "kancc-heigo-504")
    assert entry["path"] == "tei/kancc/kancc-heigo-504.xml" and entry["capture_id"].startswith("<urn:uuid:")
    assert entry["sha256"] == hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest()
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    assert (home.releases_dir / "latest").resolve() == folder.resolve()
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    second = build_release(home, snapshot_documents[:-1], today=DAY)
    assert second.version == "2026.11.24.1" and second.removed == [snapshot_documents[-1].id]
    assert (home.releases_dir / "latest").resolve() == Path(second.path).resolve()
    with pytest.raises(ReleaseExists):
        build_release(home, snapshot_documents, version="2026.11.24", today=DAY)
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert [r.version for r in list_releases(home)] == ["2026.11.24", "2026.11.24.1"]
    assert previous_counts(home) == {"globalsecurity": 9, "kancc": 9}
    assert not list(home.releases_dir.glob(".tmp-*"))
    assert "## Removed" in (Path(second.path) / "CHANGELOG.md").read_text()


def test_invalid_tei_never_enters_a_release(tmp_path, snapshot_documents):
    bad = copy.deepcopy(snapshot_documents[0])
    bad.paragraphs = []  # the schema requires at least one <p>
    release = build_release(DataHome.resolve(tmp_path), [bad] + snapshot_documents[1:], today=DAY)
    assert [r["id"] for r in release.rejected] == [bad.id]
    assert not (Path(release.path) / "tei" / bad.site / f"{bad.id}.xml").exists()


def test_diff_classes_upstream_and_pipeline_and_reports_words(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    old = build_release(home, snapshot_documents, today=DAY)
    docs = copy.deepcopy(snapshot_documents)
    upstream = next(d for d in docs if d.id == "globalsecurity-dprk-100917-kcna04")
    upstream.paragraphs[1] = upstream.paragraphs[1].replace(", Jang Song Thaek and", " and")
    upstream.capture = {**upstream.capture, "payload_digest": "sha1:CHANGEDPAGE"}
    pipeline = next(d for d in docs if d.id == "kancc-heigo-499")
    pipeline.paragraphs[1] = pipeline.paragraphs[1].replace("deep in the mountains", "high in the mountains")
    assert "high in the mountains" in pipeline.paragraphs[1]
    new = build_release(home, docs, today=DAY)
    diff = diff_releases(Path(old.path), Path(new.path))
    kinds = {e.id: e.kind for e in diff.edited}
    assert kinds == {"globalsecurity-dprk-100917-kcna04": "upstream", "kancc-heigo-499": "pipeline"}
    edit = next(e for e in diff.edited if e.kind == "upstream")
    assert ["delete", ", Jang Song Thaek"] in edit.ops
    assert "[-, Jang Song Thaek-]" in render_text(diff)
    assert new.edited == {"globalsecurity-dprk-100917-kcna04": "upstream", "kancc-heigo-499": "pipeline"}
    tei = (Path(new.path) / "tei/globalsecurity/globalsecurity-dprk-100917-kcna04.xml").read_text()
    assert 'type="edited-upstream"' in tei and 'type="added"' in tei


def test_html_report_is_self_contained_and_shows_the_changes(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    old = build_release(home, snapshot_documents, today=DAY)
    docs = [copy.deepcopy(d) for d in snapshot_documents if d.id != "globalsecurity-dprk-100920-kcna01"]
    edited = next(d for d in docs if d.id == "globalsecurity-dprk-100917-kcna04")
    edited.paragraphs[-1] = edited.paragraphs[-1].replace("ahead of schedule", "at an early date")
    edited.capture = {**edited.capture, "payload_digest": "sha1:NEW"}
    html = render_html(diff_releases(Path(old.path), Path(build_release(home, docs, today=DAY).path)))
    assert "<del>ahead of schedule</del><ins>at an early date</ins>" in html
    assert "Bumper Harvest Expected in Farms" in html and "<b>1</b> removed" in html
    assert "<td>globalsecurity</td>" in html
    assert "http" not in html.split("<body>")[0] and "<script" not in html and "<link" not in html
    etree.fromstring(html.encode(), etree.HTMLParser())
