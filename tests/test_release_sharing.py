"""Releases share unchanged files: a TEI, record, text or CoNLL-U file identical to the previous release's is
a hard link to it, so thirty daily releases of a corpus that changes by 1% do not take thirty times the disk; a file
edited after its release is never carried into the next one, and every release still verifies whole."""

from __future__ import annotations

import copy
import os
from datetime import date

from core.datahome import DataHome
from corpus.release import build_release


def _inode(path):
    return os.stat(path).st_ino


PER_DOCUMENT = (("tei", "xml"), ("records", "json"), ("text", "txt"), ("conllu", "conllu"))


def test_unchanged_documents_share_their_files_with_the_previous_release(tmp_path, snapshot_documents, monkeypatch):
    """A second release with one edited document hard-links every other document's TEI, record, text and
    CoNLL-U file to the first release's (the same inode) and segments only the edited document again."""
    import corpus.derived
    from corpus.release import verify_checksums as verify_release

    home = DataHome.resolve(tmp_path)
    docs = [copy.deepcopy(d) for d in snapshot_documents]
    first = build_release(home, docs, today=date(2026, 11, 1))
    edited = copy.deepcopy(docs)
    edited[0].paragraphs = edited[0].paragraphs + ["A paragraph the source added later."]
    segmented = []
    real = corpus.derived.conllu_document
    monkeypatch.setattr(corpus.derived, "conllu_document", lambda doc_id, *a: segmented.append(doc_id) or real(doc_id, *a))
    second = build_release(home, edited, today=date(2026, 11, 2))
    assert segmented == [edited[0].id]
    changed = edited[0]
    for kind, suffix in PER_DOCUMENT:
        for unchanged in edited[1:]:
            same = f"{kind}/{unchanged.site}/{unchanged.id}.{suffix}"
            assert _inode(first.path / same) == _inode(second.path / same), same
        other = f"{kind}/{changed.site}/{changed.id}.{suffix}"
        assert _inode(first.path / other) != _inode(second.path / other), other
    # the shared TEI file names the release that published its text, the edited one this release
    assert f'<idno type="release">{first.version}</idno>' in (second.path / "tei" / unchanged.site / f"{unchanged.id}.xml").read_text()
    assert f'<idno type="release">{second.version}</idno>' in (second.path / "tei" / changed.site / f"{changed.id}.xml").read_text()
    import json
    manifest = json.loads((second.path / "manifest.json").read_text())
    assert manifest["shared_with_previous"] == len(PER_DOCUMENT) * (len(docs) - 1)
    assert verify_release(second.path) == [] and verify_release(first.path) == []
    # every file of both releases is read-only, the shared ones and those written anew alike
    assert all(p.stat().st_mode & 0o777 == 0o444 for r in (first, second) for p in r.path.rglob("*") if p.is_file())


def test_a_file_edited_after_its_release_is_not_shared_into_the_next(tmp_path, snapshot_documents):
    from corpus.release import verify_checksums as verify_release

    home = DataHome.resolve(tmp_path)
    docs = [copy.deepcopy(d) for d in snapshot_documents[:3]]
    first = build_release(home, docs, today=date(2026, 11, 1))
    tampered = first.path / "text" / docs[0].site / f"{docs[0].id}.txt"
    tampered.chmod(0o644)
    tampered.write_bytes(tampered.read_bytes() + b"tampered")
    second = build_release(home, docs, today=date(2026, 11, 2))
    assert _inode(tampered) != _inode(second.path / "text" / docs[0].site / f"{docs[0].id}.txt")
    assert verify_release(second.path) == []
    assert verify_release(first.path)   # the damage stays where it was done, and is named there


def test_a_previous_release_changed_after_release_is_never_laundered_into_the_next(tmp_path, snapshot_documents):
    """Release N+1 takes N's revision history (manifest) and unchanged CoNLL-U files: a manifest edited
    after release refuses the new release in one line; an edited CoNLL-U file is not reused (its
    document is segmented again), and N+1 verifies whole."""
    import pytest

    from corpus.release import PreviousReleaseDamaged, verify_checksums

    home = DataHome.resolve(tmp_path)
    docs = [copy.deepcopy(d) for d in snapshot_documents[:6]]
    first = build_release(home, docs, today=date(2026, 11, 1))
    conllu = next((first.path / "conllu").glob("*/*.conllu"))
    clean_conllu = conllu.read_text(encoding="utf-8")
    conllu.chmod(0o644)
    conllu.write_text(clean_conllu.replace("\t", "\tX", 1), encoding="utf-8")
    second = build_release(home, docs, today=date(2026, 11, 2))
    carried = second.path / conllu.relative_to(first.path)
    assert carried.read_text(encoding="utf-8") == clean_conllu and _inode(carried) != _inode(conllu)
    assert verify_checksums(second.path) == []
    manifest = second.path / "manifest.json"
    manifest.chmod(0o644)
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"added"', '"edited-upstream"', 1), encoding="utf-8")
    with pytest.raises(PreviousReleaseDamaged, match="manifest.json differs from its SHA256SUMS"):
        build_release(home, docs, today=date(2026, 11, 3))
    assert sorted(p.name for p in home.releases_dir.iterdir() if not p.name.startswith(".")) == \
        ["2026.11.01", "2026.11.02", "latest"]


def test_unchanged_records_take_the_previous_tei_bytes_and_the_release_is_the_same(tmp_path, snapshot_documents,
                                                                                  monkeypatch):
    """A second release takes an unchanged record's TEI file from the first (no writing, no validation):
    every file of it is byte-identical to the same release written from scratch, except what names its
    own making (manifest time)."""
    import corpus.release

    docs = [copy.deepcopy(d) for d in snapshot_documents]
    edited = copy.deepcopy(docs)
    edited[0].paragraphs = edited[0].paragraphs + ["A paragraph the source added later."]
    homes = []
    for reuse in (True, False):
        home = DataHome.resolve(tmp_path / f"reuse-{reuse}")
        build_release(home, docs, today=date(2026, 11, 1))
        if not reuse:
            monkeypatch.setattr(corpus.release, "tei_writer_version", lambda: "another writer")
        calls = []
        real = corpus.release.document_element
        monkeypatch.setattr(corpus.release, "document_element", lambda *a, **k: calls.append(1) or real(*a, **k))
        second = build_release(home, edited, today=date(2026, 11, 2))
        monkeypatch.undo()
        homes.append((second.path, len(calls)))
    (with_reuse, built), (without, built_all) = homes
    assert built == 1 and built_all == len(docs)   # only the edited document's TEI was written anew
    for path in sorted(p for p in without.rglob("*") if p.is_file()):
        name = path.relative_to(without).as_posix()
        if name in ("manifest.json", "SHA256SUMS"):
            continue
        assert (with_reuse / name).read_bytes() == path.read_bytes(), name
