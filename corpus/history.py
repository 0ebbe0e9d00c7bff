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


def document_history(release_dirs: list[Path], doc_id: str, captures: list[dict] | None = None) -> DocumentHistory:
    """The history of `doc_id` over `release_dirs` (oldest first): the walk of `document_histories` for
    one document, so a document's history is the same alone as among an audit's pages. Raises KeyError
    when no release and no capture knows the id."""
    history = document_histories(release_dirs, [doc_id], {doc_id: captures or []})[doc_id]
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
    """What the histories need of one release: its name, date, crawl outcomes and the followed entries,
    and against the release before it the ids that left it (from a site that was crawled: a removal or a
    move, as the audit counts them, never a site not checked) and the ids that joined it."""

    path: Path
    version: str
    date: str
    crawl_outcomes: dict
    entries: dict[str, dict]
    gone: set[str] = field(default_factory=set)
    added: set[str] = field(default_factory=set)


def document_histories(release_dirs: list[Path], doc_ids, captures: dict[str, list[dict]] | None = None
                       ) -> dict[str, DocumentHistory]:
    """The histories of many documents at once (as an audit writes the pages of the documents it names),
    each following its moves both ways: a document whose URL moved goes on under its new id, and one that
    moved in starts with its old id's history (the moves are the audit's: corpus.events.pair_moves over
    what left and what joined each release). Each release's manifest is read once, keeping only the
    followed entries (once more only for the ids a move brings in), and each release's records once,
    for the moves and for every document whose text changed there: an audit's pages cost the releases,
    not releases x documents."""
    wanted = set(doc_ids)
    releases = _read_releases(release_dirs, wanted)
    moves = _follow_moves(releases, wanted)
    extra = {i for pairs in moves.values() for pair in pairs.items() for i in pair} - wanted
    if extra:   # ids known only through a move: their entries too
        for release in releases:
            view = ReleaseView.read(release.path)
            release.entries.update({i: view.entries[i] for i in extra if i in view.entries})
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
    sites = {release.path: {i: e["site"] for i, e in release.entries.items()} for release in releases}
    texts = {path: {i: full_text(doc) for i, doc in read_records(path, ids, sites[path]).items()}
             for path, ids in needed.items()}
    return {doc_id: _history(releases, moves, doc_id, (captures or {}).get(doc_id) or [], texts) for doc_id in wanted}


def _read_releases(release_dirs: list[Path], wanted: set[str]) -> list[_Release]:
    """Each release's manifest read once: the wanted entries, and what left and joined it."""
    releases: list[_Release] = []
    before = None
    for path in release_dirs:
        view = ReleaseView.read(path)
        release = _Release(path, view.version, view.release_date, view.crawl_outcomes,
                           {i: view.entries[i] for i in wanted if i in view.entries})
        if before is not None:
            release.added = set(view.entries) - set(before.entries)
            release.gone = {i for i, e in before.entries.items() if i not in view.entries and view.site_ok(e["site"])}
        releases.append(release)
        before = view
    return releases


def _follow_moves(releases: list[_Release], wanted: set[str]) -> dict[int, dict[str, str]]:
    """{release index: {old id: new id}}: the moves into each release that touch a wanted document or
    one it moved from or to (transitively), paired from the released records as the audit pairs them."""
    moves: dict[int, dict[str, str]] = {}
    followed, todo = set(wanted), list(wanted)
    while todo:
        doc_id = todo.pop()
        for index, release in enumerate(releases):
            if not (release.gone and release.added) or (doc_id not in release.gone and doc_id not in release.added):
                continue
            if index not in moves:
                before = releases[index - 1].path
                pairs = pair_moves(list(read_records(before, release.gone).values()),
                                   list(read_records(release.path, release.added).values()))
                moves[index] = {old.id: new.id for old, new in pairs}
            for old, new in moves[index].items():
                for partner in (new,) if old == doc_id else (old,) if new == doc_id else ():
                    if partner not in followed:
                        followed.add(partner)
                        todo.append(partner)
    return moves


def _first_id(releases: list[_Release], moves: dict[int, dict[str, str]], doc_id: str) -> str:
    """The id a document's line starts under: back through every move into the id it first had."""
    seen = {doc_id}
    while True:
        first = next((i for i, r in enumerate(releases) if doc_id in r.entries), None)
        origin = next((old for old, new in moves.get(first, {}).items() if new == doc_id), None) \
            if first is not None else None
        if origin is None or origin in seen:
            return doc_id
        seen.add(origin)
        doc_id = origin


def _history(releases: list[_Release], moves: dict[int, dict[str, str]], doc_id: str, captures: list[dict],
             texts: dict) -> DocumentHistory:
    """One document's line through the releases, from the id it first had, each move followed to the
    new id (a row "moved", with the id it moved from)."""
    history = DocumentHistory(doc_id, sorted(captures, key=lambda c: (c.get("captured_at") or "", c.get("run_id") or "")))
    last: tuple[dict, Path] | None = None     # the manifest entry and release of the latest present version
    absent = False
    current = _first_id(releases, moves, doc_id)
    for index, release in enumerate(releases):
        entry = release.entries.get(current)
        row = {"release": release.version, "date": release.date, "change": None, "kind": None, "ops": [],
               "words_deleted": 0, "words_inserted": 0, "id": current}
        moved_from = None
        if entry is None and last is not None and not absent and current in moves.get(index, {}):
            moved_from, current = current, moves[index][current]
            entry, row["id"] = release.entries[current], current
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
        if moved_from is not None:
            row.update(change="moved", kind="upstream", moved_from=moved_from)
        else:   # texts are read only where the digest says they differ
            _classify(row, last[0] if last else None, entry, absent, site_ok(release.crawl_outcomes, entry["site"]),
                      lambda: (texts[last[1]][current], texts[release.path][current]))
        history.versions.append(row)
        last, absent = (entry, release.path), False
    return history
