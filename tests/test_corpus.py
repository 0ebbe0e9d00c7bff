"""TEI files, releases and the release diff."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from corpus.diff import diff_releases
from corpus.manifest import list_releases
from corpus.release import ReleaseExists, build_release, previous_counts
from corpus.audit_page import render_changes_html, render_changes_text
from corpus.tei import Change, ReleaseStamp, document_to_tei, tei_texts, validate_tei
from core.datahome import DataHome

DAY = date(2026, 11, 24)


def test_every_snapshot_document_is_valid_tei(snapshot_documents):
    stamp = ReleaseStamp("2026.11.24", "2026-11-24")
    for doc in snapshot_documents:
        xml = document_to_tei(doc, release=stamp, changes=[Change("2026.11.24", "2026-11-24", "added")])
        assert validate_tei(xml) == [], doc.id


def test_truncated_body_ends_with_a_gap_and_header_carries_provenance(snapshot_documents):
    doc = next(d for d in snapshot_documents if d.id == "kancc-heigo-504")
    root = etree.fromstring(document_to_tei(doc, release=ReleaseStamp("v1", "2026-11-24"), changes=[]))
    ns = {"t": "http://www.tei-c.org/ns/1.0"}
    assert root.xpath("//t:body/*[last()]", namespaces=ns)[0].get("reason") == "truncated"
    # the head holds the repaired title and, inline, what the site served ("Soviet\\union")
    assert tei_texts(root)["repaired"][0] == "Let Us Defend the Soviet Union with Arms!"
    assert tei_texts(root)["served"][0] == "Let Us Defend the Soviet\\\\union with Arms!"
    assert root.xpath("string(//t:sourceDesc//t:ptr/@target)", namespaces=ns) == doc.source_url
    # the record id as citable text, without the WARC header's angle brackets
    assert root.xpath("string(//t:idno[@type='warc-record-id'])", namespaces=ns) == doc.capture["record_id"].strip("<>")
    items = {i.get("ana").split(".", 1)[1]: int(i.get("n")) for i in root.xpath("//t:correction//t:item", namespaces=ns)}
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
    assert first.version == "2026.11.24" and first.documents == len(snapshot_documents)
    folder = Path(first.path)
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = next(d for d in manifest["documents"] if d["id"] == "kancc-heigo-504")
    assert entry["path"] == "tei/kancc/kancc-heigo-504.xml" and entry["capture_id"].startswith("urn:uuid:")
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
    kept = snapshot_documents[:-1]
    assert previous_counts(home) == {site: sum(d.site == site for d in kept) for site in ("globalsecurity", "kancc")}
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
    i = next(i for i, p in enumerate(upstream.paragraphs) if ", Jang Song Thaek and" in p)
    upstream.paragraphs[i] = upstream.paragraphs[i].replace(", Jang Song Thaek and", " and")
    upstream.capture = {**upstream.capture, "payload_digest": "sha1:CHANGEDPAGE"}
    pipeline = next(d for d in docs if d.id == "kancc-heigo-499")
    # a changed rule on the same capture: one word of the body comes out differently
    pipeline.paragraphs[-1] += " again"
    new = build_release(home, docs, today=DAY)
    diff = diff_releases(Path(old.path), Path(new.path))
    kinds = {e.id: e.kind for e in diff.of("edited")}
    assert kinds == {"globalsecurity-dprk-100917-kcna04": "upstream", "kancc-heigo-499": "pipeline"}
    edit = next(e for e in diff.of("edited") if e.kind == "upstream")
    assert ["delete", ", Jang Song Thaek"] in edit.ops
    assert "[-, Jang Song Thaek-]" in render_changes_text(diff)
    assert new.edited == {"globalsecurity-dprk-100917-kcna04": "upstream", "kancc-heigo-499": "pipeline"}
    tei = (Path(new.path) / "tei/globalsecurity/globalsecurity-dprk-100917-kcna04.xml").read_text()
    assert 'type="edited-upstream"' in tei and 'type="added"' in tei


def test_html_report_is_self_contained_and_shows_the_changes(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    old = build_release(home, snapshot_documents, today=DAY)
    docs = [copy.deepcopy(d) for d in snapshot_documents if d.id != "globalsecurity-dprk-100920-kcna01"]
    edited = next(d for d in docs if d.id == "globalsecurity-dprk-100917-kcna04")
    i = next(i for i, p in enumerate(edited.paragraphs) if "ahead of schedule" in p)
    edited.paragraphs[i] = edited.paragraphs[i].replace("ahead of schedule", "at an early date")
    edited.capture = {**edited.capture, "payload_digest": "sha1:NEW"}
    html = render_changes_html(diff_releases(Path(old.path), Path(build_release(home, docs, today=DAY).path)), None)
    assert "<del>ahead of schedule</del><ins>at an early date</ins>" in html
    assert "Bumper Harvest Expected in Farms" in html and "1 article of globalsecurity deleted" in html
    assert "<th>removed</th>" in html and "<td class='num'>1</td>" in html
    assert "<td>globalsecurity</td>" in html
    assert not re.search(r"https?:", html.split("<body>")[0]) and "<script" not in html and "<link" not in html
    etree.fromstring(html.encode(), etree.HTMLParser())


def test_sha256sums_passes_sha256sum_check_and_summary_counts(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    first = build_release(home, snapshot_documents, today=DAY)
    assert first.changelog_summary == {"added": len(snapshot_documents), "removed": 0, "edited_upstream": 0, "edited_pipeline": 0,
                                       "rejected": 0}
    check = subprocess.run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=first.path, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = {line.split("  ", 1)[1] for line in (first.path / "SHA256SUMS").read_text().splitlines()}
    assert {"manifest.json", "CHANGELOG.md", "kcorpus-2026.11.24.teiCorpus.xml", "tei/kancc/kancc-heigo-504.xml",
            "records/kancc/kancc-heigo-504.json", "text/kancc/kancc-heigo-504.txt",
            "conllu/kancc/kancc-heigo-504.conllu"} <= listed
    # a tampered file is caught by the same check
    (first.path / "CHANGELOG.md").chmod(0o644)
    with open(first.path / "CHANGELOG.md", "a", encoding="utf-8") as fh:
        fh.write("tampered\n")
    assert subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=first.path,
                          capture_output=True).returncode != 0


def test_bad_versions_and_duplicate_ids_are_clear_errors_that_write_nothing(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    for bad in ("latest", "../escape", ".hidden", ""):
        with pytest.raises(ValueError):
            build_release(home, snapshot_documents, version=bad, today=DAY)
    twice = [snapshot_documents[0], copy.deepcopy(snapshot_documents[0])]
    with pytest.raises(ValueError, match=snapshot_documents[0].id):
        build_release(home, twice, today=DAY)
    assert list(home.releases_dir.iterdir()) == []
    assert build_release(home, snapshot_documents[:2], version="v1.0", today=DAY).version == "v1.0"


def test_unsafe_ids_are_rejected_and_the_rest_released(tmp_path, snapshot_documents):
    evil = copy.deepcopy(snapshot_documents[0])
    evil.id = "../../outside"
    release = build_release(DataHome.resolve(tmp_path), [evil] + snapshot_documents[1:3], today=DAY)
    assert [r["id"] for r in release.rejected] == ["../../outside"] and release.documents == 2
    assert not (tmp_path / "outside.xml").exists() and not list(tmp_path.rglob("outside.xml"))


def test_a_removed_document_that_returns_keeps_its_history(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    doc = snapshot_documents[0]
    build_release(home, snapshot_documents, version="r1", today=DAY)
    build_release(home, snapshot_documents[1:], version="r2", today=DAY)
    edited = copy.deepcopy(doc)
    edited.paragraphs[0] += " (corrected)"
    edited.capture = {**edited.capture, "payload_digest": "sha1:RETURNED"}
    third = build_release(home, [edited] + snapshot_documents[1:], version="r3", today=DAY)
    entry = next(d for d in json.loads((third.path / "manifest.json").read_text())["documents"] if d["id"] == doc.id)
    assert [c["version"] for c in entry["changes"]] == ["r1", "r3"]
    assert third.added == [doc.id]


def test_diff_names_releases_by_version_through_latest_and_refuses_other_folders(tmp_path, snapshot_documents):
    from corpus.manifest import NotARelease

    home = DataHome.resolve(tmp_path)
    old = build_release(home, snapshot_documents, today=DAY)
    build_release(home, snapshot_documents[:-1], today=DAY)
    diff = diff_releases(old.path, home.releases_dir / "latest")
    assert (diff.old, diff.new) == ("2026.11.24", "2026.11.24.1")
    assert [c.id for c in diff.of("removed")] == [snapshot_documents[-1].id]
    assert diff.unchanged == len(snapshot_documents) - 1
    assert json.loads(json.dumps(diff.to_dict()))["counts_by_site"][snapshot_documents[-1].site]["removed"] == 1
    with pytest.raises(NotARelease):
        diff_releases(old.path, tmp_path)


def test_metadata_only_change_is_an_edit_with_fields_and_no_word_ops(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    old = build_release(home, snapshot_documents, today=DAY)
    docs = copy.deepcopy(snapshot_documents)
    target = next(d for d in docs if d.id == "kancc-heigo-504")
    target.date = "2020-09-19"
    new = build_release(home, docs, today=DAY)
    diff = diff_releases(old.path, new.path)
    (edit,) = diff.of("edited")
    assert edit.metadata == {"date": ["2020-09-18", "2020-09-19"]}
    assert edit.ops == [] and edit.kind == "pipeline"
    assert new.edited == {}  # the text did not change: no revisionDesc entry, as the issue asks


def test_word_diff_shows_each_change_inside_its_sentence():
    from corpus.worddiff import changed_excerpts, word_diff

    old = ("Title\n\nOn Friday the leader inspected the site. They were accompanied by Choe Yong Rim, "
           "Jang Song Thaek and other leading officials. " + "Filler words here. " * 60
           + "\n\nThe builders pledged to complete the power station ahead of schedule with the spirit of self-reliance.")
    new = old.replace(", Jang Song Thaek", "").replace("ahead of schedule", "at an early date")
    ops = word_diff(old, new)
    assert ["delete", ", Jang Song Thaek"] in ops
    assert ["delete", "ahead of schedule"] in ops and ["insert", "at an early date"] in ops
    first, second = changed_excerpts(ops)
    assert "".join(t for _, t in first) == ("They were accompanied by Choe Yong Rim, Jang Song Thaek and other "
                                            "leading officials.")
    assert "".join(t for k, t in second if k != "insert").startswith("The builders pledged")
    assert "Filler" not in "".join(t for e in (first, second) for _, t in e)


def test_html_report_escapes_page_text_and_links_only_web_urls(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    old = build_release(home, snapshot_documents, today=DAY)
    docs = copy.deepcopy(snapshot_documents)
    target = next(d for d in docs if d.id == "kancc-heigo-499")
    target.title = "<script>alert(1)</script> & “quoted”"
    target.paragraphs[0] = target.paragraphs[0] + " <img src=x onerror=alert(1)>"
    extra = copy.deepcopy(next(d for d in docs if d.site == "globalsecurity"))
    extra.id, extra.source_url = "globalsecurity-dprk-000000-kcna01", "javascript:alert(1)"
    html = render_changes_html(diff_releases(old.path, build_release(home, docs + [extra], today=DAY).path), None)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; “quoted”" in html
    assert "href='javascript" not in html and "javascript:alert(1)" in html
    assert "<td><b>all sites</b></td>" in html


# --- streaming releases and the linear audit (issue 17) ---------------------------------------------

def test_a_streamed_release_equals_the_list_release_and_its_teicorpus_is_valid(tmp_path, snapshot_documents):
    """A generator in id order gives the same files as a list; the teiCorpus includes each TEI file
    (XInclude) and, once included (lxml's xinclude), is valid as a whole against the project schema
    (full parse, not just the streamed checks) and is the file `export --format teicorpus` inlines."""
    from corpus.load import export_release

    listed = build_release(DataHome.resolve(tmp_path / "a"), snapshot_documents, version="v1", today=DAY)
    ordered = sorted(snapshot_documents, key=lambda d: d.id)
    streamed = build_release(DataHome.resolve(tmp_path / "b"), (d for d in ordered), version="v1", today=DAY)
    for name in ["CHANGELOG.md", "kcorpus-v1.teiCorpus.xml"] + [f"{kind}/{d.site}/{d.id}.{suffix}" for d in ordered
                                                               for kind, suffix in (("tei", "xml"), ("records", "json"))]:
        assert (listed.path / name).read_bytes() == (streamed.path / name).read_bytes(), name
    manifest = json.loads((streamed.path / "manifest.json").read_text())
    assert [e["id"] for e in manifest["documents"]] == [d.id for d in ordered]
    assert manifest["documents"] == json.loads((listed.path / "manifest.json").read_text())["documents"]
    corpus_file = streamed.path / "kcorpus-v1.teiCorpus.xml"
    includes = etree.parse(str(corpus_file)).getroot().findall("{http://www.w3.org/2001/XInclude}include")
    assert [i.get("href") for i in includes] == [f"tei/{d.site}/{d.id}.xml" for d in ordered]
    assert corpus_file.stat().st_size < sum((streamed.path / i.get("href")).stat().st_size for i in includes) / 5
    tree = etree.parse(str(corpus_file))
    tree.xinclude()
    for element in tree.iter():   # the processor records where each member came from (xml:base)
        element.attrib.pop("{http://www.w3.org/XML/1998/namespace}base", None)
    expanded = etree.tostring(tree, encoding="UTF-8", xml_declaration=True)
    assert validate_tei(expanded) == []
    root = tree.getroot()
    assert [el.get("{http://www.w3.org/XML/1998/namespace}id") for el in root.iterfind("{*}TEI")] == \
        [d.id for d in ordered]
    inlined = export_release(streamed.path, "teicorpus", tmp_path / "inlined.xml").read_bytes()
    assert etree.tostring(etree.fromstring(inlined), method="c14n") == etree.tostring(root, method="c14n")
    assert validate_tei(inlined) == [] and b"xi:include" not in inlined


def test_a_stream_out_of_id_order_or_repeating_an_id_is_refused_and_leaves_nothing(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    ordered = sorted(snapshot_documents, key=lambda d: d.id)
    with pytest.raises(ValueError, match="id order"):
        build_release(home, iter(ordered[::-1]), today=DAY)
    with pytest.raises(ValueError, match="share an id"):
        build_release(home, iter([ordered[0], copy.deepcopy(ordered[0])]), today=DAY)
    assert list(home.releases_dir.iterdir()) == []


def test_listing_reads_manifest_heads_and_history_survives_a_release_without_a_retired_list(tmp_path,
                                                                                           snapshot_documents):
    """list_releases reads only up to the documents list; a removed document's history is carried by the
    next manifest's "retired" list, and rebuilt from older manifests for a release written before it."""
    from corpus.manifest import read_manifest_head

    home = DataHome.resolve(tmp_path)
    doc = snapshot_documents[0]
    build_release(home, snapshot_documents, version="r1", today=DAY)
    second = build_release(home, snapshot_documents[1:], version="r2", today=DAY)
    manifest = json.loads((second.path / "manifest.json").read_text())
    assert [e["id"] for e in manifest["retired"]] == [doc.id]
    head = read_manifest_head(second.path)
    assert "documents" not in head and head["version"] == "r2" and head["retired"] == manifest["retired"]
    assert [(r.version, r.documents) for r in list_releases(home)] == [("r1", len(snapshot_documents)),
                                                                        ("r2", len(snapshot_documents) - 1)]
    # r2 as an older kcorpus wrote it: no "retired" list
    del manifest["retired"]
    (second.path / "manifest.json").chmod(0o644)
    (second.path / "manifest.json").write_text(json.dumps(manifest, indent=1))
    from corpus.release import sha256_file   # a consistent older release: its SHA256SUMS matches its manifest
    sums = second.path / "SHA256SUMS"
    sums.chmod(0o644)
    sums.write_text("".join(f"{sha256_file(second.path / 'manifest.json')}  manifest.json\n" if line.endswith("  manifest.json")
                            else line + "\n" for line in sums.read_text().splitlines()))
    third = build_release(home, snapshot_documents, version="r3", today=DAY)
    entry = next(d for d in json.loads((third.path / "manifest.json").read_text())["documents"] if d["id"] == doc.id)
    assert [c["version"] for c in entry["changes"]] == ["r1", "r3"]
    assert json.loads((third.path / "manifest.json").read_text())["retired"] == []


def test_the_trimmed_word_diff_gives_the_plain_matchers_edits_on_real_text(snapshot_documents, monkeypatch):
    """Edits at random places of real documents: the trimmed diff, and the paragraph-anchored one (its
    threshold lowered so texts the plain matcher handles quickly take that path), report exactly the
    ops of SequenceMatcher over the whole texts; on the memoir chapter (~11k tokens, where the plain
    matcher needs seconds) the ops still rebuild both texts."""
    import difflib
    import random

    from corpus import worddiff

    rnd = random.Random(5)
    docs = sorted(snapshot_documents, key=lambda doc: -len(doc.text))[:6]
    assert len(worddiff.TOKEN.findall(docs[0].text)) > worddiff.ANCHOR_TOKENS * 3

    def edited(doc, n):
        paragraphs = list(doc.paragraphs)
        for _ in range(1 + n % 3):
            i = rnd.randrange(len(paragraphs))
            words = paragraphs[i].split(" ")
            j = rnd.randrange(len(words))
            words[j:j + n % 2] = [["further", "Pyongyang"][n % 2]]
            paragraphs[i] = " ".join(words)
        return doc.title + "\n\n" + doc.text, doc.title + "\n\n" + "\n\n".join(paragraphs)

    for n in range(3):
        old, new = edited(docs[0], n)
        ops = worddiff.word_diff(old, new)
        assert "".join(t for k, t in ops if k != "insert") == old
        assert "".join(t for k, t in ops if k != "delete") == new
        assert 0 < sum(len(t) for k, t in ops if k != "equal") < 100
    plain = lambda a, b: difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()  # noqa: E731
    for threshold in (worddiff.ANCHOR_TOKENS, 40):
        monkeypatch.setattr(worddiff, "ANCHOR_TOKENS", threshold)
        for n, doc in enumerate(docs[1:] * 3):
            old, new = edited(doc, n)
            fast = worddiff.word_diff(old, new)
            with monkeypatch.context() as m:
                m.setattr(worddiff, "_trimmed_opcodes", plain)
                assert fast == worddiff.word_diff(old, new), (doc.id, n, threshold)


def test_the_diff_streams_release_files_in_id_order_and_falls_back_for_others(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path)
    old = build_release(home, snapshot_documents, today=DAY)
    docs = copy.deepcopy(snapshot_documents)
    docs[1].paragraphs[0] += " Added words."
    new = build_release(home, docs[1:], today=DAY)
    expected = diff_releases(old.path, new.path).to_dict()
    changes = [(c["change"], c["id"]) for c in expected["changes"]]
    assert [i for change, i in changes if change == "edited"] == [docs[1].id]
    assert [change for change, _ in changes].count("removed") == 1
    # the same records shuffled (a hand-made release): same answer
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    from corpus.load import export_release
    lines = export_release(new.path, "jsonl", tmp_path / "new.jsonl").read_text().splitlines(keepends=True)
    (shuffled / "documents.jsonl").write_text("".join(lines[::-1]))
    (shuffled / "manifest.json").write_text(json.dumps({"version": new.version}))
    # (a hand-made manifest carries no release date: the dates aside, the same answer)
    undated = {k: v for k, v in expected.items() if k != "new_date"}
    assert {k: v for k, v in diff_releases(old.path, shuffled).to_dict().items() if k != "new_date"} == undated


def test_the_release_diff_classes_edits_as_the_audit_does_cosmetic_included(tmp_path, snapshot_documents):
    """One classifier (corpus.events.change_class) for `kcorpus diff` and the audit page: straight quotes
    made curly on a re-fetched page are a cosmetic edit in both, a struck name an upstream one."""
    from corpus.events import ReleaseView, compare

    home = DataHome.resolve(tmp_path)
    old = build_release(home, snapshot_documents, today=DAY)
    docs = copy.deepcopy(snapshot_documents)
    quoted = next(d for d in docs if any('"' in p for p in d.paragraphs) or any("'" in p for p in d.paragraphs))
    i = next(i for i, p in enumerate(quoted.paragraphs) if '"' in p or "'" in p)
    quoted.paragraphs[i] = quoted.paragraphs[i].replace('"', "\u201d").replace("'", "\u2019")
    quoted.capture = {**quoted.capture, "payload_digest": "sha1:CURLYQUOTES"}
    struck = next(d for d in docs if d.id == "globalsecurity-dprk-100917-kcna04")
    j = next(j for j, p in enumerate(struck.paragraphs) if ", Jang Song Thaek and" in p)
    struck.paragraphs[j] = struck.paragraphs[j].replace(", Jang Song Thaek and", " and")
    struck.capture = {**struck.capture, "payload_digest": "sha1:STRUCK"}
    new = build_release(home, docs, today=DAY)
    diff = diff_releases(old.path, new.path)
    assert {e.id: e.kind for e in diff.of("edited")} == {quoted.id: "cosmetic", struck.id: "upstream"}
    assert diff.counts_by_site[quoted.site]["cosmetic"] == 1
    assert f"cosmetic (folded): 1: {quoted.id}" in render_changes_text(diff)
    changes, _ = compare(ReleaseView.read(old.path), ReleaseView.read(new.path))
    assert {c.id: c.kind for c in changes.of("edited")} == {e.id: e.kind for e in diff.of("edited")}


def test_the_changelog_names_moves_cosmetic_edits_and_documents_not_checked_as_the_audit_does(tmp_path,
                                                                                           snapshot_documents):
    """Four documents keep their text: one at a new source URL and one under a new id (moved), one whose
    page's bytes changed (cosmetic), one whose page nobody re-checked since the last release (not
    checked). The release's CHANGELOG and the audit (corpus.events.compare) name the same, by the same rules."""
    from corpus.events import ReleaseView, compare

    home = DataHome.resolve(tmp_path)
    docs = copy.deepcopy(sorted(snapshot_documents, key=lambda d: d.id))
    moved, cosmetic, unchecked = docs[0], docs[1], docs[2]
    checked = {unchecked.source_url: {"run_id": "run-1", "at": "2026-11-01T03:00:00Z"}}
    old = build_release(home, docs, today=DAY, checked=checked)
    moved.source_url += "?moved=1"
    cosmetic.capture = {**cosmetic.capture, "payload_digest": "sha1:SAMETEXTNEWBYTES"}
    refiled = copy.deepcopy(docs[3])      # re-filed under a new id and URL, its text unchanged
    refiled.id, refiled.source_url = docs[3].id + "x", docs[3].source_url + "?refiled=1"
    new = build_release(home, docs[:3] + [refiled] + docs[4:], today=DAY, checked=checked)
    changelog = (Path(new.path) / "CHANGELOG.md").read_text()
    assert "- moved: 2" in changelog and "- not checked: 1" in changelog and "- cosmetic: 1" in changelog
    assert "- added: 0" in changelog and "- removed: 0" in changelog and "## Added" not in changelog
    for heading, doc in (("## Moved", moved), ("## Not checked", unchecked), ("## Cosmetic", cosmetic)):
        section = changelog.split(heading, 1)[1].split("\n## ", 1)[0]
        assert f"`{doc.id}`" in section and section.count("\n- `") == (2 if heading == "## Moved" else 1), heading
    assert f"`{refiled.id}`" in changelog.split("## Moved", 1)[1] and f"(was `{docs[3].id}`)" in changelog
    assert "## Removed" not in changelog and "- edited: 0 (0 upstream, 0 pipeline)" in changelog
    changes, _ = compare(ReleaseView.read(old.path), ReleaseView.read(new.path))
    assert sorted(c.id for c in changes.of("moved")) == sorted([moved.id, refiled.id])
    assert [c.moved_from["id"] for c in changes.of("moved") if c.id == refiled.id] == [docs[3].id]
    assert [c.id for c in changes.of("not_checked")] == [unchecked.id]
    assert [c.id for c in changes.of("edited", "cosmetic")] == [cosmetic.id]


def test_a_record_written_from_the_fields_is_the_copied_dict_byte_for_byte(snapshot_documents):
    """fields_for_json (no copies) and to_dict (copies) give the same JSON for every snapshot document,
    spans, repairs, extra and capture included; to_dict's copy stays free to change."""
    import json as json_

    for doc in snapshot_documents:
        assert json_.dumps(doc.fields_for_json(), ensure_ascii=False) == json_.dumps(doc.to_dict(), ensure_ascii=False)
        copied = doc.to_dict()
        copied["paragraphs"].append("changed")
        assert doc.paragraphs and doc.paragraphs[-1] != "changed"
