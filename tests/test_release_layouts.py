"""Two release layouts, read alike. Releases now keep a record, a TEI, a text and a CoNLL-U file per
document (hard-linked from release to release when unchanged), a teiCorpus that includes the TEI files,
and no database; releases written before (tests/fixtures/releases/2026.11.01, made by kcorpus at commit
12c0881 from three snapshot articles) hold documents.jsonl, conllu/<site>.conllu, an inlined teiCorpus
and kcorpus.sqlite. Data homes hold both: every reader, export, verify and serve takes either, and the
exports of a new release are byte for byte the whole-release files an old one held."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from core.datahome import DataHome

OLD = Path(__file__).parent / "fixtures" / "releases" / "2026.11.01"


@pytest.fixture
def old_home(tmp_path) -> DataHome:
    """A data home holding the old-layout release alone, as an upgraded installation has it."""
    home = DataHome.resolve(tmp_path / "home")
    home.releases_dir.mkdir(parents=True)
    shutil.copytree(OLD, home.releases_dir / OLD.name)
    os.symlink(OLD.name, home.releases_dir / "latest")
    return home


def _export(release: Path, fmt: str, out: Path) -> bytes:
    from corpus.load import export_release

    return export_release(release, fmt, out).read_bytes()


def test_an_old_layout_release_reads_exports_verifies_and_serves(old_home, tmp_path):
    import kcorpus
    from corpus.manifest import iter_documents, read_records
    from corpus.release import verify_checksums
    from flows.browse import release_database
    from flows.release import verify_release

    release = old_home.releases_dir / OLD.name
    assert (release / "documents.jsonl").is_file() and not (release / "records").exists()
    lines = (release / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    docs = list(iter_documents(release))
    assert [d.id for d in docs] == [json.loads(line)["id"] for line in lines] and len(docs) == 3
    assert set(read_records(release, {docs[1].id})) == {docs[1].id}
    assert _export(release, "jsonl", tmp_path / "a.jsonl") == (release / "documents.jsonl").read_bytes()
    sites = sorted((release / "conllu").glob("*.conllu"))
    assert _export(release, "conllu", tmp_path / "a.conllu") == b"".join(p.read_bytes() for p in sites)
    corpus = next(release.glob("*.teiCorpus.xml"))
    assert _export(release, "teicorpus", tmp_path / "a.xml") == corpus.read_bytes()   # inlined already
    assert verify_checksums(release) == [] and verify_release(old_home, release) == (3, [])
    assert release_database(old_home) == (OLD.name, release / "kcorpus.sqlite")   # the one inside it
    assert not old_home.release_databases_dir.exists()
    from flows.check import check_home
    report = check_home(old_home)
    assert report.problems == [] and report.checked["releases"] == 1
    loaded = kcorpus.load_release("latest", home=old_home.root)
    assert list(loaded.frame.id) == [d.id for d in loaded.documents]


def test_a_new_release_after_an_old_one_exports_the_same_bytes_and_diffs_clean(old_home, tmp_path):
    """The same documents released again in the new layout: its JSON-lines and CoNLL-U exports are the
    old release's documents.jsonl and conllu/<site>.conllu byte for byte, its inlined teiCorpus holds the
    same members, the diff finds no change, and its database is built on demand from its records."""
    from lxml import etree

    from corpus.diff import diff_releases
    from corpus.manifest import iter_documents, iter_manifest_entries, read_records
    from corpus.release import build_release, verify_checksums
    from flows.browse import release_database

    old = old_home.releases_dir / OLD.name
    new = build_release(old_home, list(iter_documents(old)), today=date(2026, 11, 2)).path
    assert not (new / "documents.jsonl").exists() and not list(new.glob("conllu/*.conllu"))
    assert not (new / "kcorpus.sqlite").exists()
    records = [new / "records" / e["site"] / f"{e['id']}.json" for e in iter_manifest_entries(new)]
    exported = _export(new, "jsonl", tmp_path / "b.jsonl")
    assert exported == b"".join(p.read_bytes() for p in records) == (old / "documents.jsonl").read_bytes()
    old_conllu = b"".join(p.read_bytes() for p in sorted((old / "conllu").glob("*.conllu")))
    assert _export(new, "conllu", tmp_path / "b.conllu") == old_conllu
    assert [d.to_dict() for d in iter_documents(new)] == [d.to_dict() for d in iter_documents(old)]
    some = {next(iter_documents(old)).id}
    assert read_records(new, some).keys() == read_records(old, some).keys() == some

    def members(xml: bytes) -> list[str]:
        return [el.get("{http://www.w3.org/XML/1998/namespace}id") for el in etree.fromstring(xml).iterfind("{*}TEI")]

    inlined = _export(new, "teicorpus", tmp_path / "b.xml")
    for entry in iter_manifest_entries(new):   # each TEI file's bytes, without its XML declaration, in id order
        assert (new / entry["path"]).read_bytes().split(b"?>\n", 1)[1] in inlined
    assert members(inlined) == members(next(old.glob("*.teiCorpus.xml")).read_bytes()) == [d.id for d in iter_documents(new)]
    changes = diff_releases(old, new).to_dict()["changes"]
    assert changes == []
    assert verify_checksums(new) == []
    version, database = release_database(old_home)
    assert database == old_home.release_databases_dir / version / "kcorpus.sqlite"
    import sqlite3
    db = sqlite3.connect(database)
    assert [r[0] for r in db.execute("select id from documents order by id")] == [d.id for d in iter_documents(new)]
    assert db.execute("select count(*) from paragraphs").fetchone()[0] == \
        sqlite3.connect(old / "kcorpus.sqlite").execute("select count(*) from paragraphs").fetchone()[0]


def test_a_damaged_record_file_is_named_by_verify_and_by_the_readers(tmp_path, snapshot_documents):
    """A record file deleted or edited after release: verify names it, a reader stops with its path (one
    line), and the next release writes it anew rather than linking the edited bytes."""
    from corpus.manifest import iter_documents
    from corpus.release import build_release, verify_checksums
    from flows.release import verify_release

    home = DataHome.resolve(tmp_path)
    docs = snapshot_documents[:3]
    first = build_release(home, docs, today=date(2026, 11, 1))
    edited = first.path / "records" / docs[0].site / f"{docs[0].id}.json"
    edited.chmod(0o644)
    edited.write_text(edited.read_text(encoding="utf-8").replace('"title": "', '"title": "X', 1), encoding="utf-8")
    second = build_release(home, docs, today=date(2026, 11, 2))
    again = second.path / edited.relative_to(first.path)
    assert os.stat(again).st_ino != os.stat(edited).st_ino and verify_checksums(second.path) == []
    assert verify_checksums(first.path) == [f"{edited.relative_to(first.path).as_posix()}: checksum differs from SHA256SUMS"]
    gone = second.path / "records" / docs[1].site / f"{docs[1].id}.json"
    gone.unlink()
    assert f"{gone.relative_to(second.path).as_posix()}: missing" in verify_checksums(second.path)
    with pytest.raises(ValueError, match=f"{gone.name}: missing"):
        list(iter_documents(second.path))
    checked, problems = verify_release(home, second.path)
    assert checked < len(docs) and any("were not checked" in p and gone.name in p for p in problems)


def test_manifest_entries_are_read_in_blocks_whole_and_a_cut_file_is_an_error(tmp_path):
    """The per-document entries are cut from 1 MB blocks at each entry's closing line: entries that span
    blocks, nested objects and strings holding a newline and braces come back as json.load reads them;
    a manifest cut short anywhere in its documents list is an error, never a shorter list."""
    import json as json_

    from corpus.manifest import iter_manifest_entries

    entries = [{"id": f"globalsecurity-dprk-{n:06d}", "site": "globalsecurity",
                "title": "KCNA Commentary Slams \"Joint Drills\"\n  }\n  {" if n % 7 == 0 else "Greetings",
                "changes": [{"release": "2026.11.01", "words": {"deleted": n, "inserted": 1}}],
                "text_sha256": f"{n:064x}"} for n in range(8000)]
    folder = tmp_path / "2026.12.01"
    folder.mkdir()
    data = json_.dumps({"version": "2026.12.01", "counts_by_site": {"globalsecurity": 8000}, "documents": entries},
                       indent=1, ensure_ascii=False).encode("utf-8")
    assert len(data) > 2 * (1 << 20)
    (folder / "manifest.json").write_bytes(data)
    assert list(iter_manifest_entries(folder)) == entries
    closing = data.rindex(b"\n  }") + 4
    for cut in (len(data) // 2, closing, closing + 2, len(data) - 1):
        (folder / "manifest.json").write_bytes(data[:cut])
        with pytest.raises(ValueError, match="unreadable"):
            list(iter_manifest_entries(folder))
