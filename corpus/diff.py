"""Every record of two releases compared (`kcorpus diff`), in the change model of the audit
(corpus.events.ReleaseChanges): documents added, removed, moved, not checked, and edited word by word
and field by field, each edit classed upstream, pipeline or cosmetic as the audit classes it.

The audit after a release (corpus.events.compare) reads the manifests and only the changed texts; this
reads every record of both side by side, so it also finds the edits that change metadata alone."""

from __future__ import annotations

from pathlib import Path

from core.document import PUBLIC_KEYS, Document
from corpus.events import (DocChange, ReleaseChanges, capture_class, change_class, derive_views, full_text,
                           pair_moves, site_ok, words_of)
from corpus.manifest import parse_record, read_manifest_head, record_id, record_lines, records_source, release_name
from corpus.worddiff import word_diff

METADATA_FIELDS = [k for k in PUBLIC_KEYS if k not in ("id", "paragraphs", "flags", "repairs")] + ["flags"]


class _OutOfOrder(Exception):
    """Records not in id order (not written by build_release): the diff reads them whole."""


def _records(release_dir: Path, *, ordered: bool = True):
    """(id, json line) of each document of a release, streamed in id order (build_release writes them
    so). Raises _OutOfOrder when `ordered` and the file is not in id order; `ordered=False` reads the
    whole file and sorts it (for a hand-made release)."""
    path = records_source(release_dir)
    if not ordered:
        # a repeated id: the last record wins, as before
        yield from sorted({record_id(line, path, n): line for n, line in record_lines(release_dir)}.items())
        return
    last = None
    for number, line in record_lines(release_dir):
        current = record_id(line, path, number)
        if last is not None and current <= last:
            raise _OutOfOrder(path)
        last = current
        yield current, line


def _document(line: str, path: Path) -> Document:
    return parse_record(line, path)


def _kind(old: Document, new: Document) -> str:
    """upstream, pipeline or cosmetic (corpus.events.change_class) when the text changed; a metadata-only
    edit is classed by its captures alone."""
    old_digest, new_digest = (old.capture or {}).get("payload_digest"), (new.capture or {}).get("payload_digest")
    if full_text(old) == full_text(new):
        return capture_class(old_digest, new_digest)
    return change_class(full_text(old), full_text(new), old_digest, new_digest)


def _head(release_dir: Path) -> dict:
    """The manifest head of a release, empty for a hand-made folder without one that reads."""
    try:
        return read_manifest_head(release_dir)
    except (OSError, ValueError):
        return {}


def diff_releases(old_dir: Path, new_dir: Path) -> ReleaseChanges:
    """Compare two release folders (a version folder or releases/latest), every record of both.

    A document gone from a site whose crawl the new release records as not ok is not checked, never
    removed; a removed document whose normalised text reappears under another id is a move, and so is
    an unchanged text at a new source URL; an edit is upstream, pipeline or cosmetic (corpus.events).
    Raises NotARelease for a folder without records (records/ or documents.jsonl).

    Both releases' records are read side by side in id order (a merge), so memory holds two
    documents and the changes found, not two corpora; an identical record is not even parsed.
    """
    old_dir, new_dir = Path(old_dir), Path(new_dir)
    old_head, new_head = _head(old_dir), _head(new_dir)
    outcomes = new_head.get("crawl_outcomes") or {}

    def fresh_result() -> ReleaseChanges:
        return ReleaseChanges(release_name(old_dir), release_name(new_dir),
                              old_head.get("release_date") or str(old_head.get("created_at", ""))[:10],
                              new_head.get("release_date") or str(new_head.get("created_at", ""))[:10],
                              allow_partial=bool(new_head.get("partial") or new_head.get("allow_partial")))

    result, gone, fresh = fresh_result(), [], []
    try:
        _merge_diff(result, gone, fresh, _records(old_dir), _records(new_dir), old_dir, new_dir)
    except _OutOfOrder:  # a release not written by build_release: read it whole and sorted
        result, gone, fresh = fresh_result(), [], []
        _merge_diff(result, gone, fresh, _records(old_dir, ordered=False), _records(new_dir, ordered=False),
                    old_dir, new_dir)
    moved = pair_moves([d for d in gone if site_ok(outcomes, d.site)], fresh)
    for before, doc in moved:
        result.changes.append(DocChange(doc.id, doc.site, doc.title, doc.source_url, "moved", "upstream",
                                        moved_from={"id": before.id, "source_url": before.source_url}))
    moved_away, moved_to = {b.id for b, _ in moved}, {d.id for _, d in moved}
    removed = []
    for doc in gone:
        if not site_ok(outcomes, doc.site):
            result.changes.append(DocChange(doc.id, doc.site, doc.title, doc.source_url, "not_checked"))
        elif doc.id not in moved_away:
            removed.append(doc)
            result.changes.append(DocChange(doc.id, doc.site, doc.title, doc.source_url, "removed", "upstream"))
    for doc in fresh:
        if doc.id not in moved_to:
            result.changes.append(DocChange(doc.id, doc.site, doc.title, doc.source_url, "added", "upstream"))
    derive_views(result, removed, outcomes, [])
    result.changes.sort(key=lambda c: (c.change, c.site, c.id))
    return result


def _merge_diff(result: ReleaseChanges, gone: list, fresh: list, old_records, new_records, old_dir: Path,
                new_dir: Path) -> None:
    end = (None, None)
    old_id, old_line = next(old_records, end)
    new_id, new_line = next(new_records, end)
    while old_id is not None or new_id is not None:
        if new_id is None or (old_id is not None and old_id < new_id):
            gone.append(_document(old_line, old_dir))  # removed, moved or not checked: decided after the merge
            old_id, old_line = next(old_records, end)
            continue
        if old_id is None or new_id < old_id:
            fresh.append(_document(new_line, new_dir))
            new_id, new_line = next(new_records, end)
            continue
        if old_line.rstrip("\n") == new_line.rstrip("\n"):
            result.unchanged += 1
        else:
            _compare(result, _document(old_line, old_dir), _document(new_line, new_dir))
        old_id, old_line = next(old_records, end)
        new_id, new_line = next(new_records, end)


def _compare(result: ReleaseChanges, a: Document, b: Document) -> None:
    """One document in both releases: unchanged, moved (the same text at a new source URL), or edited
    with its word diff and changed metadata fields."""
    a_pub, b_pub = a.public_dict(), b.public_dict()
    metadata = {f: [a_pub[f], b_pub[f]] for f in METADATA_FIELDS if a_pub[f] != b_pub[f]}
    if a.paragraphs == b.paragraphs and not metadata:
        result.unchanged += 1
        return
    ops = word_diff(full_text(a), full_text(b)) if a.paragraphs != b.paragraphs or a.title != b.title else []
    if not ops and set(metadata) == {"source_url"}:
        result.changes.append(DocChange(b.id, b.site, b.title, b.source_url, "moved", "upstream",
                                        moved_from={"id": a.id, "source_url": a.source_url}))
        return
    result.changes.append(DocChange(b.id, b.site, b.title, b.source_url, "edited", _kind(a, b), ops,
                                    words_of(ops, "delete"), words_of(ops, "insert"), metadata=metadata))
