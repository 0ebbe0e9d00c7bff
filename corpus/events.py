"""What changed between releases, as a historian of deletions reads it: edit events grouped across
documents, moves, deletions per site, cosmetic noise, documents not checked, watch-list counts.

Pure functions over release folders. Each release's manifest is read once; document texts are read
only for the documents whose text digest changed (and, once, for the first release of a timeline when a
watch-list needs every text), so a step costs the size of its changes, never a whole-corpus comparison.

The grouping rule (README "Edit events"): an edited document's word diff is cut into hunks (a run of
deleted and inserted text between unchanged words). A hunk's shape is its deleted words and its
inserted words after `normal_words` (whitespace, punctuation, quote style and NFKC compatibility forms
normalised away; case kept), minus connecting words at either edge ("and", "or", "the", ...), so
", Jang Song Thaek" and "Jang Song Thaek and" have one shape. Hunks of the same shape in different
documents are one event.
"""

from __future__ import annotations

from functools import lru_cache

import hashlib
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.document import Document
from corpus.worddiff import word_diff
from corpus.manifest import iter_manifest_entries, read_manifest_head, read_records
from corpus.watchlist import WatchEntry, normal_text, normal_words

EDGE_WORDS = {"and", "or", "the", "a", "an", "of", "to", "with", "by", "in", "on", "at", "as", "also", "both"}
OK_OUTCOME = "ok"
NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+\b")


# --- reading releases -------------------------------------------------------------------------

def site_ok(crawl_outcomes: dict[str, dict], site: str) -> bool:
    """A site is ok unless a release's crawl outcomes record another outcome for it (absent = ok)."""
    return (crawl_outcomes.get(site) or {}).get("outcome", OK_OUTCOME) == OK_OUTCOME


# Fields of a manifest entry that no comparison of releases reads (the release's own readers, verify and
# the next release, read the manifest itself): left out of a ReleaseView.
NOT_AUDITED = frozenset({"changes", "capture_id", "warc_file", "wacz_file", "warc_offset", "captured_at",
                         "record_sha256", "sha256", "conllu_sha256", "tokens", "sentences", "work"})


@dataclass
class ReleaseView:
    """A release as its manifest describes it: per document id the manifest entry (digests, site,
    source URL, last check), plus the crawl outcome of each site (absent = every site ok)."""

    version: str
    path: Path
    created_at: str
    release_date: str
    entries: dict[str, dict]
    crawl_outcomes: dict[str, dict]
    allow_partial: bool = False

    @classmethod
    def read(cls, release_dir: Path) -> "ReleaseView":
        """Read one release's manifest (a clear error when the folder is not a release), entry by entry,
        keeping of each entry what the audit reads: an audit holds several releases' views at once, and
        whole entries (their revision history, file digests, WARC positions: ~1 KB of JSON each) made
        the audit after a 100k-document release the largest part of its memory."""
        path = Path(release_dir)
        stat = (path / "manifest.json").stat()
        return cls._read(path, stat.st_ino, stat.st_mtime_ns, stat.st_size)

    @classmethod
    @lru_cache(maxsize=3)
    def _read(cls, path: Path, *file_identity) -> "ReleaseView":
        # A released manifest never changes after its rename: the audit after a release (timeline, history
        # pages, feeds) asks for the same two views three times, each ~0.7 s at 20k documents. The file's
        # inode, time and size key the cache, so a replaced file is read anew. Callers never modify a view.
        manifest = read_manifest_head(path)
        entries = {e["id"]: {k: v for k, v in e.items() if k not in NOT_AUDITED} for e in iter_manifest_entries(path)}
        return cls(manifest["version"], path, manifest.get("created_at", ""),
                   manifest.get("release_date") or manifest.get("created_at", "")[:10],
                   entries, manifest.get("crawl_outcomes") or {},
                   bool(manifest.get("partial") or manifest.get("allow_partial")))

    def site_ok(self, site: str) -> bool:
        """A site is ok unless the release's manifest records another crawl outcome for it."""
        return site_ok(self.crawl_outcomes, site)

    def records(self, ids: set[str]) -> dict[str, Document]:
        """The released records of `ids` (their record files; of an older release, their documents.jsonl lines)."""
        return read_records(self.path, ids, {i: e["site"] for i, e in self.entries.items()} if ids is not None else None)


def full_text(doc: Document) -> str:
    """Title and body, as the diff and the text digest see them."""
    return doc.title + "\n\n" + "\n\n".join(doc.paragraphs)


# --- one document's change ----------------------------------------------------------------------

def capture_class(old_digest: str | None, new_digest: str | None) -> str:
    """upstream when the captured page's payload changed, pipeline when the same capture was cleaned
    anew: the class of a change when only the captures are known (the release's CHANGELOG and TEI
    revision entries; a metadata-only edit).

    >>> capture_class("sha1:A", "sha1:B"), capture_class("sha1:A", "sha1:A")
    ('upstream', 'pipeline')
    """
    return "upstream" if old_digest != new_digest else "pipeline"


def change_class(old_text: str, new_text: str, old_digest: str | None, new_digest: str | None) -> str:
    """upstream / pipeline / cosmetic for two different texts of one document.

    cosmetic: the words are the same after normalising whitespace, punctuation, quote style and
    compatibility characters (NewsDiffs' "boring" changes; shown folded, never hidden). Otherwise
    upstream when the captured page's payload changed, pipeline when the same capture was cleaned anew.

    >>> change_class("He said “yes”.", 'He said "yes" .', "a", "b")
    'cosmetic'
    >>> change_class("Choe Yong Rim, Jang Song Thaek and others", "Choe Yong Rim and others", "a", "b")
    'upstream'
    """
    if normal_text(old_text) == normal_text(new_text):
        return "cosmetic"
    return capture_class(old_digest, new_digest)


def edit_hunks(ops: list[list]) -> list[tuple[str, str]]:
    """(deleted, inserted) text of each change in word_diff ops: a delete and the insert beside it are one hunk."""
    hunks: list[list[str]] = []
    previous = "equal"
    for kind, text in ops:
        if kind == "equal":
            previous = kind
            continue
        if previous == "equal":
            hunks.append(["", ""])
        hunks[-1][0 if kind == "delete" else 1] += text
        previous = kind
    return [(d, i) for d, i in hunks]


def _trim_edges(words: list[str]) -> list[str]:
    """Drop connecting words at either edge (never all of them): where a removed name sat in a list
    decides whether the diff takes the "and" before or after it, not what was removed."""
    start, end = 0, len(words)
    while start < end - 1 and words[start].lower() in EDGE_WORDS:
        start += 1
    while end - 1 > start and words[end - 1].lower() in EDGE_WORDS:
        end -= 1
    return words[start:end]


def hunk_shape(deleted: str, inserted: str) -> tuple[str, str] | None:
    """The shape of one hunk (see the module docstring); None for a hunk of punctuation or spacing only.

    >>> hunk_shape(", Jang Song Thaek", "")
    ('Jang Song Thaek', '')
    >>> hunk_shape("Jang Song Thaek and ", "") == hunk_shape(", Jang Song Thaek", "")
    True
    >>> hunk_shape("ahead of schedule", "at an early date")
    ('ahead of schedule', 'at an early date')
    >>> hunk_shape("“", '"') is None
    True
    """
    old, new = normal_words(deleted), normal_words(inserted)
    if old == new:
        return None
    if old and new:  # a replacement is kept whole: its connectors are part of the new wording
        return " ".join(old), " ".join(new)
    return " ".join(_trim_edges(old)), " ".join(_trim_edges(new))


def shape_id(shape: tuple[str, str]) -> str:
    """A short stable id for a shape (used as the event's anchor in reports and feeds)."""
    return hashlib.sha1(f"{shape[0]}\x00{shape[1]}".encode("utf-8")).hexdigest()[:10]


def shape_label(shape: tuple[str, str]) -> str:
    """What happened, in words: "“X” removed", "“X” inserted", "“X” replaced by “Y”"."""
    deleted, inserted = shape
    if deleted and not inserted:
        return f"“{deleted}” removed"
    if inserted and not deleted:
        return f"“{inserted}” inserted"
    return f"“{deleted}” replaced by “{inserted}”"


def words_of(ops: list[list], kind: str) -> int:
    return sum(len(re.findall(r"\w+", text)) for k, text in ops if k == kind)


# --- a release step ---------------------------------------------------------------------------------

@dataclass
class DocChange:
    """One document's change between two releases.

    change: added | removed | moved | edited | not_checked
    kind: upstream | pipeline | cosmetic (edited); upstream (added, removed, moved); None (not_checked)
    """

    id: str
    site: str
    title: str
    source_url: str
    change: str
    kind: str | None = None
    ops: list[list] = field(default_factory=list)
    words_deleted: int = 0
    words_inserted: int = 0
    moved_from: dict | None = None        # {id, source_url} of the old place (for a move)
    last_checked: str | None = None       # when its page last answered (for not_checked)
    next_due: str | None = None           # when the revisit schedule re-checks it (not_checked by schedule)
    metadata: dict = field(default_factory=dict)  # field -> [before, after] (kcorpus diff, which reads every record)


@dataclass
class EditEvent:
    """Hunks of one shape in several documents of one release step."""

    id: str
    deleted: str
    inserted: str
    documents: list[dict] = field(default_factory=list)   # {id, site, title, kind}

    @property
    def sites(self) -> list[str]:
        return sorted({d["site"] for d in self.documents})

    @property
    def label(self) -> str:
        n, sites = len(self.documents), self.sites
        where = "from" if self.deleted and not self.inserted else "in"
        return (f"{shape_label((self.deleted, self.inserted))} {where} {n} article{'s' * (n != 1)} of "
                f"{len(sites)} site{'s' * (len(sites) != 1)} ({', '.join(sites)})")


@dataclass
class DeletionEvent:
    """The documents of one site deleted upstream in one release step, and what most of them mention."""

    site: str
    documents: list[dict]                                     # {id, title, source_url}
    mentions: list[list] = field(default_factory=list)        # [[name, documents mentioning it, share]]

    @property
    def label(self) -> str:
        n = len(self.documents)
        text = f"{n} article{'s' * (n != 1)} of {self.site} deleted"
        if self.mentions:
            name, count, share = self.mentions[0]
            text += f", {share:.0%} of them mentioning {name}"
        return text


@dataclass
class ReleaseChanges:
    """Everything that changed from release `old` to release `new`."""

    old: str
    new: str
    old_date: str
    new_date: str
    changes: list[DocChange] = field(default_factory=list)
    events: list[EditEvent] = field(default_factory=list)
    deletions: list[DeletionEvent] = field(default_factory=list)
    not_checked: dict[str, dict] = field(default_factory=dict)     # site -> {outcome, cause, documents, last_checked}
    watch: dict[str, dict] = field(default_factory=dict)           # name -> {documents, gained, lost}
    unchanged: int = 0
    allow_partial: bool = False

    def of(self, change: str, kind: str | None = None) -> list[DocChange]:
        return [c for c in self.changes if c.change == change and (kind is None or c.kind == kind)]

    @property
    def counts_by_site(self) -> dict[str, dict[str, int]]:
        """Per site: added, removed, moved, edited upstream / pipeline, cosmetic, not checked."""
        keys = ("added", "removed", "moved", "edited_upstream", "edited_pipeline", "cosmetic", "not_checked")
        table: dict[str, dict[str, int]] = {}
        for c in self.changes:
            key = {"edited": f"edited_{c.kind}" if c.kind != "cosmetic" else "cosmetic"}.get(c.change, c.change)
            table.setdefault(c.site, dict.fromkeys(keys, 0))[key] += 1
        return dict(sorted(table.items()))

    def to_dict(self) -> dict:
        return {"old": self.old, "new": self.new, "old_date": self.old_date, "new_date": self.new_date,
                "counts_by_site": self.counts_by_site, "unchanged": self.unchanged,
                "allow_partial": self.allow_partial,
                "events": [{**asdict(e), "label": e.label, "sites": e.sites} for e in self.events],
                "deletions": [{**asdict(d), "label": d.label} for d in self.deletions],
                "not_checked": self.not_checked, "watch": self.watch,
                "changes": [asdict(c) for c in self.changes]}


def mentions_in(docs: dict[str, Document], watchlist: list[WatchEntry]) -> dict[str, set[str]]:
    """Per watch-list entry, the ids of the documents (of `docs`) that mention it."""
    found: dict[str, set[str]] = {e.name: set() for e in watchlist}
    if not watchlist:
        return found
    for doc_id, doc in docs.items():
        text = normal_text(full_text(doc))
        for entry in watchlist:
            if entry.mentioned_in(text):
                found[entry.name].add(doc_id)
    return found


def _deletion_mentions(docs: list[Document], watchlist: list[WatchEntry]) -> list[list]:
    """What the deleted documents of one site mention: watch-list entries first, then the capitalised
    names found in at least half of them, each as [name, documents, share], most shared first."""
    if not docs:
        return []
    counts: Counter = Counter()
    texts = [full_text(d) for d in docs]
    for entry in watchlist:
        counts[entry.name] = sum(entry.mentioned_in(normal_text(t)) for t in texts)
    watched = {e.name for e in watchlist}
    names: Counter = Counter()
    for text in texts:
        names.update(set(NAME.findall(text)))
    for name, n in names.items():
        if name not in watched and n * 2 >= len(docs) and len(docs) > 1:
            counts[name] = n
    ranked = sorted(((name, n) for name, n in counts.items() if n), key=lambda x: (-x[1], x[0] not in watched, x[0]))
    return [[name, n, round(n / len(docs), 3)] for name, n in ranked[:5]]


def _checked_at(entry: dict) -> str | None:
    checked = entry.get("last_checked") or {}
    return checked.get("at") if isinstance(checked, dict) else None


def _next_due(entry: dict) -> str | None:
    """When the revisit schedule (scrapers/revisit.py) re-checks the page next, if it has one."""
    checked = entry.get("last_checked") or {}
    return checked.get("next_due") if isinstance(checked, dict) else None


def check_key(checked) -> object:
    """The check itself (run and time), without the schedule that moves on while nobody looks."""
    return (checked.get("run_id"), checked.get("at")) if isinstance(checked, dict) else checked


def _not_checked(old_entry: dict, new_entry: dict, crawl_outcomes: dict[str, dict]) -> bool:
    """Nobody looked at the page since the last release: its site was not ok this crawl, or its last
    check (the newest usable answer of its URL) is the one the previous release already had (a fault,
    or the revisit schedule deferred it: then its entry says when it is due)."""
    if not site_ok(crawl_outcomes, new_entry["site"]):
        return True
    before, after = old_entry.get("last_checked"), new_entry.get("last_checked")
    return bool(before) and check_key(before) == check_key(after)


def same_text_change(old_entry: dict, new_entry: dict, crawl_outcomes: dict[str, dict]) -> str | None:
    """What became of a document whose text did not change, from its manifest entries in two releases
    and the new release's crawl outcomes: "moved" (a new source URL), "not_checked" (nobody looked at
    its page since), "cosmetic" (the page's bytes changed, the same cleaner made the same text), or None
    (unchanged). The audit and the release's CHANGELOG both ask this."""
    if old_entry.get("source_url") != new_entry.get("source_url"):
        return "moved"
    if _not_checked(old_entry, new_entry, crawl_outcomes):
        return "not_checked"
    if old_entry.get("payload_digest") != new_entry.get("payload_digest") and \
            old_entry.get("cleaner_version") == new_entry.get("cleaner_version"):
        return "cosmetic"
    return None


def derive_views(result: ReleaseChanges, removed_docs: list[Document], crawl_outcomes: dict[str, dict],
                 watchlist: list[WatchEntry]) -> None:
    """What a reader sees first, from a step's document changes: the edit events (hunks of one shape in
    several documents, cosmetic edits aside), the deletions per site and what they mention, and the
    not-checked documents per site (with the crawl outcome the new release recorded)."""
    events: dict[tuple[str, str], EditEvent] = {}
    for c in sorted(result.of("edited"), key=lambda c: c.id):
        if c.kind == "cosmetic":
            continue
        seen: set[tuple[str, str]] = set()
        for deleted, inserted in edit_hunks(c.ops):
            shape = hunk_shape(deleted, inserted)
            if shape is None or shape in seen:
                continue
            seen.add(shape)
            event = events.setdefault(shape, EditEvent(shape_id(shape), *shape))
            event.documents.append({"id": c.id, "site": c.site, "title": c.title, "kind": c.kind})
    result.events = sorted(events.values(), key=lambda e: (-len(e.documents), e.deleted, e.inserted))

    by_site: dict[str, list[Document]] = {}
    for doc in removed_docs:
        by_site.setdefault(doc.site, []).append(doc)
    result.deletions = [DeletionEvent(site, [{"id": d.id, "title": d.title, "source_url": d.source_url} for d in docs],
                                      _deletion_mentions(docs, watchlist)) for site, docs in sorted(by_site.items())]

    for c in result.of("not_checked"):
        row = result.not_checked.setdefault(c.site, {**{"outcome": "not checked", "cause": None},
                                                     **(crawl_outcomes.get(c.site) or {}),
                                                     "documents": 0, "last_checked": None})
        row["documents"] += 1
        if c.last_checked and (row["last_checked"] is None or c.last_checked > row["last_checked"]):
            row["last_checked"] = c.last_checked
        if c.next_due:  # deferred by the revisit schedule, not by a fault: say when it comes back
            row["deferred"] = row.get("deferred", 0) + 1
            if row.get("next_due") is None or c.next_due < row["next_due"]:
                row["next_due"] = c.next_due


def pair_moves(gone: list[Document], fresh: list[Document]) -> list[tuple[Document, Document]]:
    """(old, new) for each document gone from one id whose normalised text reappears under a new id:
    one article moved to a new URL, not a deletion and an addition."""
    by_text: dict[str, list[Document]] = {}
    for doc in sorted(fresh, key=lambda d: d.id):
        by_text.setdefault(normal_text(full_text(doc)), []).append(doc)
    pairs = []
    for doc in sorted(gone, key=lambda d: d.id):
        targets = by_text.get(normal_text(full_text(doc)))
        if targets:
            pairs.append((doc, targets.pop(0)))
    return pairs


def compare(old: ReleaseView, new: ReleaseView, watchlist: list[WatchEntry] | None = None,
            old_mentions: dict[str, set[str]] | None = None) -> tuple[ReleaseChanges, dict[str, set[str]]]:
    """Compare two releases. Returns the changes and the watch-list mentions of the new release
    (pass them as `old_mentions` to the next step: then no text is re-read that did not change).

    Documents of a site whose crawl outcome is not ok are `not_checked`, never `removed`; a removed
    document whose normalised text reappears under another id is a move (old -> new), and so is an
    unchanged text at a new source URL.
    """
    watchlist = watchlist or []
    result = ReleaseChanges(old.version, new.version, old.release_date, new.release_date,
                            allow_partial=new.allow_partial)
    changed_text, gone, fresh = set(), [], []
    for doc_id, entry in new.entries.items():
        before = old.entries.get(doc_id)
        if before is None:
            fresh.append(doc_id)
        elif before["text_sha256"] != entry["text_sha256"]:
            changed_text.add(doc_id)
        elif (change := same_text_change(before, entry, new.crawl_outcomes)) == "moved":
            result.changes.append(DocChange(doc_id, entry["site"], entry.get("title", ""), entry["source_url"],
                                            "moved", "upstream",
                                            moved_from={"id": doc_id, "source_url": before.get("source_url")}))
        elif change == "not_checked":
            result.changes.append(DocChange(doc_id, entry["site"], entry.get("title", ""), entry["source_url"],
                                            "not_checked", last_checked=_checked_at(entry),
                                            next_due=_next_due(entry) if new.site_ok(entry["site"]) else None))
        elif change == "cosmetic":
            # the page's bytes changed and its text did not: charset, markup or chrome only
            result.changes.append(DocChange(doc_id, entry["site"], entry.get("title", ""), entry["source_url"],
                                            "edited", "cosmetic"))
        else:
            result.unchanged += 1
    for doc_id, entry in old.entries.items():
        if doc_id in new.entries:
            continue
        if not new.site_ok(entry["site"]):
            result.changes.append(DocChange(doc_id, entry["site"], entry.get("title", ""), entry["source_url"],
                                            "not_checked", last_checked=_checked_at(entry)))
        else:
            gone.append(doc_id)

    old_docs = old.records(changed_text | set(gone))
    new_docs = new.records(changed_text | set(fresh))

    # moves: the same normalised text under a new id
    moved_away: set[str] = set()
    for before, doc in pair_moves([old_docs[i] for i in gone], [new_docs[i] for i in fresh]):
        moved_away.add(before.id)
        result.changes.append(DocChange(doc.id, doc.site, doc.title, doc.source_url, "moved", "upstream",
                                        moved_from={"id": before.id, "source_url": before.source_url}))
    moved_to = {c.id for c in result.changes if c.change == "moved"}
    for doc_id in sorted(set(fresh) - moved_to):
        doc = new_docs[doc_id]
        result.changes.append(DocChange(doc_id, doc.site, doc.title, doc.source_url, "added", "upstream"))
    removed_docs = [old_docs[i] for i in sorted(set(gone) - moved_away)]
    for doc in removed_docs:
        result.changes.append(DocChange(doc.id, doc.site, doc.title, doc.source_url, "removed", "upstream"))

    for doc_id in sorted(changed_text):
        a, b = old_docs[doc_id], new_docs[doc_id]
        kind = change_class(full_text(a), full_text(b), (a.capture or {}).get("payload_digest"),
                            (b.capture or {}).get("payload_digest"))
        ops = word_diff(full_text(a), full_text(b))
        result.changes.append(DocChange(doc_id, b.site, b.title, b.source_url, "edited", kind, ops,
                                        words_of(ops, "delete"), words_of(ops, "insert")))
    derive_views(result, removed_docs, new.crawl_outcomes, watchlist)

    # the watch-list: mentions in the new release, from the old ones and the changed texts only
    if old_mentions is None:
        old_mentions = mentions_in(old.records(None), watchlist) if watchlist else {}
    kept_ids = set(new.entries)
    touched = changed_text | set(fresh)
    touched_mentions = mentions_in(new_docs, watchlist)
    new_mentions: dict[str, set[str]] = {}
    for entry in watchlist:
        before = old_mentions.get(entry.name, set())
        after = {i for i in before if i in kept_ids and i not in touched} | touched_mentions.get(entry.name, set())
        new_mentions[entry.name] = after
        result.watch[entry.name] = {"documents": len(after), "previous": len(before & set(old.entries)),
                                    "gained": sorted(after - before), "lost": sorted(before - after)}
    result.changes.sort(key=lambda c: (c.change, c.site, c.id))
    return result, new_mentions


# --- many releases ---------------------------------------------------------------------------------

@dataclass
class Timeline:
    """Consecutive release steps, with the watch-list counts of every release covered."""

    releases: list[dict]                                   # {version, date, documents, allow_partial}
    steps: list[ReleaseChanges]
    watch_counts: dict[str, dict[str, int]]                # version -> entry -> documents mentioning it

    @property
    def recurring(self) -> list[dict]:
        """Shapes seen in more than one step: one purge carried out over several releases."""
        seen: dict[str, dict] = {}
        for step in self.steps:
            for event in step.events:
                row = seen.setdefault(event.id, {"id": event.id, "deleted": event.deleted,
                                                 "inserted": event.inserted, "releases": [], "documents": 0})
                row["releases"].append(step.new)
                row["documents"] += len(event.documents)
        return [r for r in seen.values() if len(r["releases"]) > 1]

    def to_dict(self) -> dict:
        return {"releases": self.releases, "watch_counts": self.watch_counts, "recurring": self.recurring,
                "steps": [s.to_dict() for s in self.steps]}


def timeline(release_dirs: list[Path], watchlist: list[WatchEntry] | None = None) -> Timeline:
    """Compare each release with the next, oldest first. Each manifest is read once; texts are read for
    changed documents only (and the first release's, once, when there is a watch-list)."""
    watchlist = watchlist or []
    views = [ReleaseView.read(p) for p in release_dirs]
    steps, counts = [], {}
    mentions = mentions_in(views[0].records(None), watchlist) if watchlist and views else {}
    if views:
        counts[views[0].version] = {name: len(ids) for name, ids in mentions.items()}
    for old, new in zip(views, views[1:]):
        step, mentions = compare(old, new, watchlist, mentions)
        steps.append(step)
        counts[new.version] = {name: row["documents"] for name, row in step.watch.items()}
    releases = [{"version": v.version, "date": v.release_date, "documents": len(v.entries),
                 "allow_partial": v.allow_partial} for v in views]
    return Timeline(releases, steps, counts)


def releases_since(infos: list, since: str) -> list:
    """The releases from `since` on (a version, or an ISO date: releases made that day or later),
    plus the one before it, so the first step compares `since` with its predecessor.

    `infos` are corpus.manifest.ReleaseInfo, oldest first. Raises LookupError for an unknown version.
    """
    versions = [i.version for i in infos]
    if since in versions:
        start = versions.index(since)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
        later = [n for n, i in enumerate(infos) if str(i.created_at)[:10] >= since]
        if not later:
            raise LookupError(f"no release made on or after {since}")
        start = later[0]
    else:
        raise LookupError(f"no release {since!r} (known: {', '.join(versions) or 'none'}); give a version or a date YYYY-MM-DD")
    return infos[max(0, start - 1):]
