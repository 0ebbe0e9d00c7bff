"""The history of one document: every capture of its page and every released version, with the diff of
each change and its class (upstream / pipeline / cosmetic). Pure: the captures are passed in as data
(the crawl state belongs to the scrapers), the releases are read from their folders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.worddiff import word_diff
from corpus.events import ReleaseView, check_key, change_class, full_text, pair_moves, site_ok, words_of
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
            ok = view.site_ok(last[0]["site"])
            row.update(state="absent" if ok else "not_checked", change="removed" if ok else "not_checked",
                       title=last[0].get("title", ""), source_url=last[0].get("source_url"), text_sha256=None)
            history.versions.append(row)
            absent = ok
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
        else:   # texts are read only where the digest says they differ
            _classify(row, last[0] if last else None, entry, absent, view.site_ok(entry["site"]),
                      lambda: (full_text(read_records(last[1], {old_key})[old_key]),
                               full_text(read_records(path, {current})[current])))
        history.versions.append(row)
        last, absent, previous = (entry, path), False, (view, path)
    if not history.versions and not history.captures:
        raise KeyError(f"no release and no capture knows the document {doc_id!r}")
    return history


def _classify(row: dict, last: dict | None, entry: dict, absent: bool, ok: bool, texts) -> None:
    """What one present version is against the last one (added, edited, restored, moved, not checked,
    unchanged), into `row`; `texts()` gives (old text, new text), called only when the digests differ."""
    if last is None:
        row["change"] = "added"
    elif last["text_sha256"] != entry["text_sha256"]:
        a, b = texts()
        ops = word_diff(a, b)
        row.update(change="restored" if absent else "edited",
                   kind=change_class(a, b, last.get("payload_digest"), entry.get("payload_digest")),
                   ops=ops, words_deleted=words_of(ops, "delete"), words_inserted=words_of(ops, "insert"))
    elif absent:
        row["change"] = "restored"
    elif last.get("source_url") != entry.get("source_url"):
        row.update(change="moved", kind="upstream")
    elif not ok or (entry.get("last_checked") and
                    check_key(entry.get("last_checked")) == check_key(last.get("last_checked"))):
        row["change"] = "not_checked"
    else:
        row["change"] = "unchanged"


@dataclass
class _Release:
    """What the histories need of one release: its name, date, crawl outcomes and the wanted entries."""

    path: Path
    version: str
    date: str
    crawl_outcomes: dict
    entries: dict[str, dict]


def document_histories(release_dirs: list[Path], doc_ids, captures: dict[str, list[dict]] | None = None
                       ) -> dict[str, DocumentHistory]:
    """The histories of many documents at once (as an audit writes the pages of the documents it names;
    moves are not followed here: `document_history` follows one document's): each release's manifest is read once (keeping only the
    wanted entries), and each release's records once, for all the documents whose text changed there;
    so the pages an audit writes for the documents it names cost the releases, not releases × documents."""
    wanted = set(doc_ids)
    releases = []
    for path in release_dirs:
        view = ReleaseView.read(path)
        releases.append(_Release(path, view.version, view.release_date, view.crawl_outcomes,
                                 {i: view.entries[i] for i in wanted if i in view.entries}))
        del view
    # the (release, id) pairs whose text must be read: where an id's text digest differs from its last one
    needed: dict[Path, set[str]] = {}
    last: dict[str, tuple[dict, Path]] = {}
    for release in releases:
        for doc_id, entry in release.entries.items():
            if doc_id in last and last[doc_id][0]["text_sha256"] != entry["text_sha256"]:
                needed.setdefault(last[doc_id][1], set()).add(doc_id)
                needed.setdefault(release.path, set()).add(doc_id)
            last[doc_id] = (entry, release.path)
    texts = {path: {i: full_text(doc) for i, doc in read_records(path, ids).items()} for path, ids in needed.items()}
    return {doc_id: _history(releases, doc_id, (captures or {}).get(doc_id) or [], texts) for doc_id in wanted}


def _history(releases: list[_Release], doc_id: str, captures: list[dict], texts: dict) -> DocumentHistory:
    history = DocumentHistory(doc_id, sorted(captures, key=lambda c: (c.get("captured_at") or "", c.get("run_id") or "")))
    last: tuple[dict, Path] | None = None     # the manifest entry and release of the latest present version
    absent = False
    for release in releases:
        entry = release.entries.get(doc_id)
        row = {"release": release.version, "date": release.date, "change": None, "kind": None, "ops": [],
               "words_deleted": 0, "words_inserted": 0}
        if entry is None:
            if last is None or absent:
                continue  # not yet published, or already recorded as removed
            ok = site_ok(release.crawl_outcomes, last[0]["site"])
            row.update(state="absent" if ok else "not_checked", change="removed" if ok else "not_checked",
                       title=last[0].get("title", ""), source_url=last[0].get("source_url"), text_sha256=None)
            history.versions.append(row)
            absent = ok
            continue
        row.update(state="present", title=entry.get("title", ""), source_url=entry.get("source_url"),
                   text_sha256=entry["text_sha256"], payload_digest=entry.get("payload_digest"),
                   last_checked=entry.get("last_checked"))
        _classify(row, last[0] if last else None, entry, absent, site_ok(release.crawl_outcomes, entry["site"]),
                  lambda: (texts[last[1]][doc_id], texts[release.path][doc_id]))
        history.versions.append(row)
        last, absent = (entry, release.path), False
    return history
