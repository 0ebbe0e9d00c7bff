"""A release as one SQLite database, for browsing and full-text search (Datasette serves it: `kcorpus serve`).

Two files, each with one writer:
- `kcorpus.sqlite` of a release: its documents (metadata), paragraphs (the text, once), repairs, the
  revision history of each document, its capture (WARC file, offset, WACZ) and the works it witnesses.
  Built from the release's records and manifest when the release is first served (build_release_database:
  document by document, bounded memory, linear time) into a cache under the data home, never part of a
  release (it would be a full copy of every release); releases written before that hold one inside.
- `history.sqlite` under the data home's reports: what changed between each pair of consecutive releases
  (edit events, moved and deleted documents with why they are gone, word diffs of each edited document)
  and how many documents mention each watch-list entry in each release. Each release step is added once,
  so it grows with the changes, never with the corpus.

Full-text search is one FTS5 index of each document's title and text (contentless: the text itself is
stored once, in `paragraphs`), with the `trigram` tokenizer: it matches any run of three or more characters, so
Korean text (whose words carry particles: 김정은동지께서는) is found by a name inside a word, which a
word tokenizer (unicode61) cannot do; English is matched case-insensitively the same way. A query needs
at least three characters. The documents table searches through it, so a search narrows by the
documents' facets; the `search` query then shows the paragraphs that hold the words.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Iterable

from core.document import Document

DATABASE_NAME = "kcorpus.sqlite"
HISTORY_NAME = "history.sqlite"
BATCH = 500          # documents per transaction while a release streams

_RELEASE_SCHEMA = """
CREATE TABLE documents (
    id TEXT PRIMARY KEY, site TEXT NOT NULL, title TEXT, date TEXT, year INTEGER, lang TEXT, agency TEXT,
    author TEXT, place TEXT, series TEXT, chapter INTEGER, section INTEGER, site_section TEXT,
    source_url TEXT, work TEXT, words INTEGER, paragraphs INTEGER, repairs INTEGER, flags TEXT,
    first_released TEXT, last_change TEXT, last_change_kind TEXT, cleaner_version TEXT, text_sha256 TEXT);
CREATE TABLE paragraphs (document_id TEXT NOT NULL REFERENCES documents(id), n INTEGER NOT NULL, text TEXT,
    UNIQUE (document_id, n));
CREATE TABLE repairs (document_id TEXT NOT NULL REFERENCES documents(id), rule TEXT, field TEXT, count INTEGER,
    description TEXT, examples TEXT);
CREATE TABLE revisions (document_id TEXT NOT NULL REFERENCES documents(id), release TEXT, date TEXT, kind TEXT);
CREATE TABLE captures (document_id TEXT PRIMARY KEY REFERENCES documents(id), source_url TEXT, captured_at TEXT,
    capture_id TEXT, payload_digest TEXT, warc_file TEXT, warc_offset INTEGER, wacz_file TEXT, last_checked TEXT);
CREATE TABLE witnesses (work TEXT NOT NULL, document_id TEXT NOT NULL REFERENCES documents(id), site TEXT,
    PRIMARY KEY (work, document_id)) WITHOUT ROWID;
CREATE TABLE release (key TEXT PRIMARY KEY, value TEXT);
CREATE VIRTUAL TABLE documents_fts USING fts5(title, text, content='', tokenize='trigram');
"""
_INDEXES = """
CREATE INDEX documents_site ON documents(site);
CREATE INDEX documents_year ON documents(year);
CREATE INDEX documents_work ON documents(work);
CREATE INDEX repairs_document ON repairs(document_id);
CREATE INDEX revisions_document ON revisions(document_id);
CREATE INDEX witnesses_document ON witnesses(document_id);
"""


class ReleaseDatabase:
    """Writes one release's kcorpus.sqlite while the release streams: add() per document, close() once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.unlink(missing_ok=True)
        self.db = sqlite3.connect(str(self.path), isolation_level=None)
        # written once, start to end, inside a release's temporary folder: a crash throws the folder away
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _RELEASE_SCHEMA)
        self.pending = 0
        self.db.execute("BEGIN")

    def add(self, doc: Document, entry: dict) -> None:
        """One released document and its manifest entry (changes, capture, work)."""
        changes = entry.get("changes") or []
        self.db.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (doc.id, doc.site, doc.title, doc.date, int(doc.date[:4]) if (doc.date or "")[:4].isdigit() else None,
             doc.lang, doc.agency, doc.author, doc.place, doc.series, _int(doc.chapter), _int(doc.section),
             doc.site_section, doc.source_url, entry.get("work"), len(doc.text.split()), len(doc.paragraphs),
             sum(int(r.get("count") or 0) for r in doc.repairs), json.dumps(list(doc.flags)),
             changes[0]["version"] if changes else None, changes[-1]["version"] if changes else None,
             changes[-1]["kind"] if changes else None, doc.cleaner_version, entry.get("text_sha256")))
        rowid = self.db.execute("SELECT last_insert_rowid()").fetchone()[0]
        self.db.executemany("INSERT INTO paragraphs VALUES (?,?,?)",
                            [(doc.id, n, text) for n, text in enumerate(doc.paragraphs)])
        # the index alone (contentless): the text is stored once, in paragraphs
        self.db.execute("INSERT INTO documents_fts(rowid, title, text) VALUES (?,?,?)", (rowid, doc.title, doc.text))
        self.db.executemany("INSERT INTO repairs VALUES (?,?,?,?,?,?)",
                            [(doc.id, r.get("rule"), r.get("where"), r.get("count"), r.get("description"),
                              json.dumps(r.get("examples") or [], ensure_ascii=False)) for r in doc.repairs])
        self.db.executemany("INSERT INTO revisions VALUES (?,?,?,?)",
                            [(doc.id, c["version"], c["date"], c["kind"]) for c in changes])
        checked = entry.get("last_checked") or {}
        self.db.execute("INSERT INTO captures VALUES (?,?,?,?,?,?,?,?,?)",
                        (doc.id, doc.source_url, entry.get("captured_at"), entry.get("capture_id"),
                         entry.get("payload_digest"), entry.get("warc_file"), entry.get("warc_offset"),
                         entry.get("wacz_file"), checked.get("at") if isinstance(checked, dict) else None))
        self.pending += 1
        if self.pending >= BATCH:
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")
            self.pending = 0

    def close(self, release: dict, works: dict[str, list[str]]) -> None:
        """Finish: the works' witnesses, the release's own facts, the full-text indexes, compaction."""
        self.db.executemany("INSERT INTO witnesses SELECT ?, id, site FROM documents WHERE id=?",
                            [(work, doc_id) for work, ids in works.items() for doc_id in ids])
        self.db.executemany("INSERT INTO release VALUES (?,?)",
                            [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in release.items()])
        self.db.execute("COMMIT")
        self.db.executescript(_INDEXES + """
            INSERT INTO documents_fts(documents_fts) VALUES ('optimize');
            ANALYZE;""")
        self.db.execute("VACUUM")   # the index merges leave free pages: the released file holds none
        self.db.close()

    def abort(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass


def build_release_database(release_dir: Path, path: Path) -> Path:
    """Write the database of a release (its records and manifest, read side by side in id order) to
    `path`, through a temporary file renamed into place: a reader sees the whole database or none.
    Returns `path`."""
    from corpus.manifest import iter_documents, iter_manifest_entries, read_manifest_head

    release_dir, path = Path(release_dir), Path(path)
    head = read_manifest_head(release_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    database = ReleaseDatabase(tmp)
    try:
        entries = iter_manifest_entries(release_dir)
        for doc in iter_documents(release_dir):
            entry = next(entries, None)
            if entry is None or entry["id"] != doc.id:
                raise ValueError(f"release {head.get('version')}: its records and manifest do not list the same "
                                 f"documents in the same order (at {doc.id}); `kcorpus check` names the damage")
            database.add(doc, entry)
        if next(entries, None) is not None:
            raise ValueError(f"release {head.get('version')}: its manifest lists more documents than its records; "
                             f"`kcorpus check` names the damage")
        database.close({"version": head.get("version"), "release_date": head.get("release_date"),
                        "created_at": head.get("created_at"), "previous": head.get("previous"),
                        "counts_by_site": head.get("counts_by_site")}, head.get("works") or {})
        os.replace(tmp, path)
    except BaseException:
        database.abort()
        tmp.unlink(missing_ok=True)
        raise
    return path


def built_for(path: Path) -> str | None:
    """The manifest creation time of the release a cached database was built from (None when unreadable):
    a release folder removed and written again under the same version is told apart by it."""
    try:
        return next(iter(_read(path, "select value from release where key = 'created_at'")), (None,))[0]
    except sqlite3.Error:
        return None


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# --- the history of all releases ------------------------------------------------------------------------

_HISTORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS releases (version TEXT PRIMARY KEY, date TEXT, documents INTEGER);
CREATE TABLE IF NOT EXISTS steps (old TEXT, new TEXT PRIMARY KEY, old_date TEXT, new_date TEXT, unchanged INTEGER);
CREATE TABLE IF NOT EXISTS changes (step TEXT NOT NULL, document_id TEXT NOT NULL, site TEXT, title TEXT,
    source_url TEXT, change TEXT, kind TEXT, words_deleted INTEGER, words_inserted INTEGER, diff TEXT,
    moved_from TEXT, last_checked TEXT);
CREATE INDEX IF NOT EXISTS changes_document ON changes(document_id);
CREATE TABLE IF NOT EXISTS edit_events (step TEXT NOT NULL, id TEXT NOT NULL, label TEXT, deleted TEXT, inserted TEXT,
    documents INTEGER, sites TEXT, PRIMARY KEY (step, id));
CREATE TABLE IF NOT EXISTS edit_event_documents (step TEXT NOT NULL, event TEXT NOT NULL, document_id TEXT NOT NULL,
    site TEXT, title TEXT, kind TEXT);
CREATE TABLE IF NOT EXISTS deletions (step TEXT NOT NULL, site TEXT, label TEXT, documents INTEGER, mentions TEXT);
CREATE TABLE IF NOT EXISTS watch_counts (release TEXT NOT NULL, name TEXT NOT NULL, documents INTEGER,
    PRIMARY KEY (release, name));
CREATE TABLE IF NOT EXISTS watch_mentions (release TEXT NOT NULL, name TEXT NOT NULL, document_id TEXT NOT NULL,
    PRIMARY KEY (release, name, document_id)) WITHOUT ROWID;
"""


def update_history(path: Path, steps: Iterable, releases: list[dict], watch_counts: dict[str, dict[str, int]],
                   watch_mentions: dict[str, dict[str, set[str]]] | None = None) -> int:
    """Add the release steps `history.sqlite` does not hold yet (corpus.events.ReleaseChanges), the
    releases and their watch-list counts and mentions (release -> entry -> document ids). Returns how
    many steps were added. Readers see the old file or the new one, never half a step (one transaction)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), isolation_level=None)
    try:
        db.executescript(_HISTORY_SCHEMA)
        known = {row[0] for row in db.execute("SELECT new FROM steps")}
        added = 0
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT OR REPLACE INTO releases VALUES (?,?,?)",
                       [(r["version"], r["date"], r["documents"]) for r in releases])
        db.executemany("INSERT OR REPLACE INTO watch_counts VALUES (?,?,?)",
                       [(version, name, n) for version, counts in watch_counts.items() for name, n in counts.items()])
        db.executemany("INSERT OR IGNORE INTO watch_mentions VALUES (?,?,?)",
                       [(version, name, doc_id) for version, entries in (watch_mentions or {}).items()
                        for name, ids in entries.items() for doc_id in sorted(ids)])
        for step in steps:
            if step.new in known:
                continue
            _add_step(db, step)
            added += 1
        db.execute("COMMIT")
        return added
    finally:
        db.close()


def _read(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError:   # not yet a history database
        return []
    finally:
        db.close()


def known_steps(path: Path) -> set[str]:
    """The releases whose step (from the release before) history.sqlite already holds."""
    return {row[0] for row in _read(path, "SELECT new FROM steps")}


def stored_releases(path: Path) -> set[str]:
    return {row[0] for row in _read(path, "SELECT version FROM releases")}


def stored_mentions(path: Path, version: str, watchlist) -> dict[str, set[str]] | None:
    """The watch-list mentions history.sqlite holds for one release, or None when it did not count every
    entry of `watchlist` there (an entry added since: the release's texts must be read again)."""
    counted = {row[0] for row in _read(path, "SELECT name FROM watch_counts WHERE release=?", (version,))}
    if any(entry.name not in counted for entry in watchlist):
        return None
    found: dict[str, set[str]] = {entry.name: set() for entry in watchlist}
    for name, doc_id in _read(path, "SELECT name, document_id FROM watch_mentions WHERE release=?", (version,)):
        if name in found:
            found[name].add(doc_id)
    return found


def _add_step(db: sqlite3.Connection, step) -> None:
    db.execute("INSERT INTO steps VALUES (?,?,?,?,?)", (step.old, step.new, step.old_date, step.new_date, step.unchanged))
    db.executemany("INSERT INTO changes VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", [
        (step.new, c.id, c.site, c.title, c.source_url, c.change, c.kind, c.words_deleted, c.words_inserted,
         json.dumps(c.ops, ensure_ascii=False) if c.ops else None,
         json.dumps(c.moved_from, ensure_ascii=False) if c.moved_from else None, c.last_checked)
        for c in step.changes])
    for event in step.events:
        db.execute("INSERT INTO edit_events VALUES (?,?,?,?,?,?,?)",
                   (step.new, event.id, event.label, event.deleted, event.inserted, len(event.documents),
                    ", ".join(event.sites)))
        db.executemany("INSERT INTO edit_event_documents VALUES (?,?,?,?,?,?)",
                       [(step.new, event.id, d["id"], d.get("site"), d.get("title"), d.get("kind"))
                        for d in event.documents])
    db.executemany("INSERT INTO deletions VALUES (?,?,?,?,?)",
                   [(step.new, d.site, d.label, len(d.documents), json.dumps(d.mentions, ensure_ascii=False))
                    for d in step.deletions])
