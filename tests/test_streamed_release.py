"""A release of a large archive streams the store: the gate reads it one frame at a time, the release reads it
again one document at a time for witness linking and writing. The result is the release a list of the same
documents gives, file for file, witness links included."""

from __future__ import annotations

import copy
import json
from datetime import date

from cleaners.store import StoredDocuments, save_document
from core.datahome import DataHome
from corpus.release import build_release


def _files(release_dir):
    return {str(p.relative_to(release_dir)): p.read_bytes() for p in sorted(release_dir.rglob("*"))
            if p.is_file() and p.parts[len(release_dir.parts)] in ("tei", "text", "records", "conllu")}


def test_a_release_streamed_from_the_store_equals_one_written_from_a_list(tmp_path, snapshot_documents):
    from flows.release import validate_and_release

    docs = [copy.deepcopy(d) for d in snapshot_documents]
    # a repost of one article under another id: the streamed release must link the two copies too
    repost = copy.deepcopy(docs[0])
    repost.id, repost.source_url = docs[0].id + "-repost", docs[0].source_url + "?repost=1"
    docs.append(repost)
    streamed = DataHome.resolve(tmp_path / "streamed").ensure()
    for doc in docs:
        save_document(streamed, doc)
    outcome = validate_and_release(streamed, today=date(2026, 11, 1))
    listed = build_release(DataHome.resolve(tmp_path / "listed"),
                           sorted(list(StoredDocuments(streamed)), key=lambda d: d.id), today=date(2026, 11, 1))

    assert outcome.release.version == listed.version and outcome.quarantined == []
    a, b = _files(outcome.release.path), _files(listed.path)
    assert a.keys() == b.keys() and len(a) >= 2 * len(docs)
    assert [name for name in a if a[name] != b[name]] == []
    works = json.loads((outcome.release.path / "manifest.json").read_text())["works"]
    assert works == json.loads((listed.path / "manifest.json").read_text())["works"]
    assert any(set(members) == {docs[0].id, repost.id} for members in works.values())


def test_stored_documents_come_in_id_order_and_can_be_read_again(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path).ensure()
    for doc in reversed(snapshot_documents):
        save_document(home, doc)
    stored = StoredDocuments(home)
    first = [d.id for d in stored]
    assert first == sorted(d.id for d in snapshot_documents) == stored.ids == [d.id for d in stored]
    assert stored.sites == {d.site for d in snapshot_documents} and len(stored) == len(snapshot_documents)
