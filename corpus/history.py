"""The history of one document: every capture of its page and every released version, with the diff of
each change and its class (upstream / pipeline / cosmetic). Pure: the captures are passed in as data
(the crawl state belongs to the scrapers), the releases are read from their folders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.worddiff import word_diff
from corpus.events import ReleaseView, check_key, change_class, full_text, pair_moves, words_of
from corpus.manifest import read_records


@dataclass
class DocumentHistory:
    """captures: [{captured_at, run_id, url, status, record_type, payload_digest, record_id, warc_file}]
    versions: one row per release: {release, date, state, title, source_url, text_sha256, payload_digest,
              change, kind, ops, words_deleted, words_inserted, id}; state is present | absent | not_checked;
              `id` is the id the document had in that release (it changes where it moved: change "moved"
              with "moved_from" the old id)."""

    id: str
    captures: list[dict] = field(default_factory=list)
    versions: list[dict] = field(default_factory=list)

    @property
    def changes(self) -> list[dict]:
        """The versions that differ from the one before (added, edited, moved, removed, restored)."""
        return [v for v in self.versions if v["change"] not in ("unchanged", "not_checked", None)]

    def to_dict(self) -> dict:
        return asdict(self)


def _moved_to(last: tuple[dict, Path], doc_id: str, previous: ReleaseView, view: ReleaseView, path: Path) -> str | None:
    """The id a document gone from `view` reappears under (its text at a new id added in this release, as
    the audit pairs moves: corpus.events.pair_moves), or None."""
    added = set(view.entries) - set(previous.entries)
    if not added:
        return None
    gone = read_records(last[1], {doc_id}).get(doc_id)
    pairs = pair_moves([gone], list(read_records(path, added).values())) if gone is not None else []
    return pairs[0][1].id if pairs else None


def _moved_from(doc_id: str, previous: tuple[ReleaseView, Path], view: ReleaseView, path: Path) -> str | None:
    """The id a document first seen in `view` had before (a text removed from the release before), or None."""
    removed = set(previous[0].entries) - set(view.entries)
    if not removed:
        return None
    fresh = read_records(path, {doc_id}).get(doc_id)
    pairs = pair_moves(list(read_records(previous[1], removed).values()), [fresh]) if fresh is not None else []
    return pairs[0][0].id if pairs else None


def document_history(release_dirs: list[Path], doc_id: str, captures: list[dict] | None = None) -> DocumentHistory:
    """Build the history of `doc_id` over `release_dirs` (oldest first). Texts are read only for the
    releases where the document's text digest changed, or where it left or joined a release (to follow a
    move: the history goes on under the new id, and a document that moved in starts with the history of
    its old id). Raises KeyError when no release and no capture knows the id."""
    history = DocumentHistory(doc_id, sorted(captures or [], key=lambda c: (c.get("captured_at") or "", c.get("run_id") or "")))
    last: tuple[dict, Path] | None = None     # the manifest entry and release of the latest present version
    absent = False
    previous: tuple[ReleaseView, Path] | None = None
    current = doc_id
    for index, path in enumerate(release_dirs):
        view = ReleaseView.read(path)
        entry = view.entries.get(current)
        row = {"release": view.version, "date": view.release_date, "change": None, "kind": None, "ops": [],
               "words_deleted": 0, "words_inserted": 0, "id": current}
        moved_from = None
        if entry is None and last is not None and not absent and previous is not None:
            new_id = _moved_to(last, current, previous[0], view, path)
            if new_id is not None:
                moved_from, current = current, new_id
                entry = view.entries[current]
                row["id"] = current
        if entry is None:
            previous = (view, path)
            if last is None or absent:
                continue  # not yet published, or already recorded as removed
            site_ok = view.site_ok(last[0]["site"])
            row.update(state="absent" if site_ok else "not_checked", change="removed" if site_ok else "not_checked",
                       title=last[0].get("title", ""), source_url=last[0].get("source_url"), text_sha256=None)
            history.versions.append(row)
            absent = site_ok
            continue
        if last is None and previous is not None:  # first seen here: did it move in from an older id?
            old_id = _moved_from(current, previous, view, path)
            if old_id is not None:
                before = document_history(release_dirs[:index], old_id)
                history.versions += before.versions
                moved_from = old_id
                last = (ReleaseView.read(previous[1]).entries[old_id], previous[1])
        row.update(state="present", title=entry.get("title", ""), source_url=entry.get("source_url"),
                   text_sha256=entry["text_sha256"], payload_digest=entry.get("payload_digest"),
                   last_checked=entry.get("last_checked"))
        old_key = moved_from or current
        if moved_from is not None:
            row.update(change="moved", kind="upstream", moved_from=moved_from)
        elif last is None:
            row["change"] = "added"
        elif last[0]["text_sha256"] != entry["text_sha256"]:
            # texts are read only here, where the digest says they differ
            a = full_text(read_records(last[1], {old_key})[old_key])
            b = full_text(read_records(path, {current})[current])
            ops = word_diff(a, b)
            row.update(change="restored" if absent else "edited",
                       kind=change_class(a, b, last[0].get("payload_digest"), entry.get("payload_digest")),
                       ops=ops, words_deleted=words_of(ops, "delete"), words_inserted=words_of(ops, "insert"))
        elif absent:
            row["change"] = "restored"
        elif last[0].get("source_url") != entry.get("source_url"):
            row.update(change="moved", kind="upstream")
        elif not view.site_ok(entry["site"]) or (entry.get("last_checked") and
                                                 check_key(entry.get("last_checked")) == check_key(last[0].get("last_checked"))):
            row["change"] = "not_checked"
        else:
            row["change"] = "unchanged"
        history.versions.append(row)
        last, absent, previous = (entry, path), False, (view, path)
    if not history.versions and not history.captures:
        raise KeyError(f"no release and no capture knows the document {doc_id!r}")
    return history
