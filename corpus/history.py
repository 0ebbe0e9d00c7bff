"""The history of one document: every capture of its page and every released version, with the diff of
each change and its class (upstream / pipeline / cosmetic). Pure: the captures are passed in as data
(the crawl state belongs to the scrapers), the releases are read from their folders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.worddiff import word_diff
from corpus.events import ReleaseView, check_key, change_class, full_text, site_ok, words_of
from corpus.manifest import read_records


@dataclass
class DocumentHistory:
    """captures: [{captured_at, run_id, url, status, record_type, payload_digest, record_id, warc_file}]
    versions: one row per release: {release, date, state, title, source_url, text_sha256, payload_digest,
              change, kind, ops, words_deleted, words_inserted}; state is present | absent | not_checked."""

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
    """Build the history of `doc_id` over `release_dirs` (oldest first). Texts are read only for the
    releases where the document's text digest changed. Raises KeyError when no release and no capture
    knows the id."""
    history = document_histories(release_dirs, [doc_id], {doc_id: captures or []})[doc_id]
    if not history.versions and not history.captures:
        raise KeyError(f"no release and no capture knows the document {doc_id!r}")
    return history


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
    """The histories of many documents at once: each release's manifest is read once (keeping only the
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
        if last is None:
            row["change"] = "added"
        elif last[0]["text_sha256"] != entry["text_sha256"]:
            a, b = texts[last[1]][doc_id], texts[release.path][doc_id]
            ops = word_diff(a, b)
            row.update(change="restored" if absent else "edited",
                       kind=change_class(a, b, last[0].get("payload_digest"), entry.get("payload_digest")),
                       ops=ops, words_deleted=words_of(ops, "delete"), words_inserted=words_of(ops, "insert"))
        elif absent:
            row["change"] = "restored"
        elif last[0].get("source_url") != entry.get("source_url"):
            row.update(change="moved", kind="upstream")
        elif not site_ok(release.crawl_outcomes, entry["site"]) or (entry.get("last_checked") and
                                                 check_key(entry.get("last_checked")) == check_key(last[0].get("last_checked"))):
            row["change"] = "not_checked"
        else:
            row["change"] = "unchanged"
        history.versions.append(row)
        last, absent = (entry, release.path), False
    return history
