"""The document store: the current cleaned document per id, under the data home's documents/ folder.

documents/<site>/<id>.json holds the latest cleaning of the latest usable capture of an article.
When the site deletes an article (404/410), its document moves to documents/_gone/<site>/<id>.json:
it leaves the next release but nothing is lost (its captures stay in WARC, its text in past releases).
File names come only from validated document ids and profile names, never from URL text.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

from core.document import Document
from core.datahome import DataHome, temp_name
from core.ids import ID_PATTERN, SITE_PATTERN

GONE = "_gone"


def _path(home: DataHome, site: str, doc_id: str, gone: bool = False) -> Path:
    if not SITE_PATTERN.match(site) or not ID_PATTERN.match(doc_id):
        raise ValueError(f"unsafe document path: site={site!r} id={doc_id!r}")
    base = home.documents_dir / GONE if gone else home.documents_dir
    return base / site / f"{doc_id}.json"


def save_document(home: DataHome, doc: Document) -> Path:
    """Write (atomically: temp file + rename) the current document for its id."""
    path = _path(home, doc.site, doc.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    home.inside(path.parent)   # a documents/<site> link out of the home would rewrite outside files
    tmp = temp_name(path)  # unique per writer: two writers of one id never share a temp file
    try:
        tmp.write_text(json.dumps(doc.fields_for_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def document_exists(home: DataHome, site: str, doc_id: str) -> bool:
    return _path(home, site, doc_id).exists()


def load_document(home: DataHome, site: str, doc_id: str) -> Document | None:
    """The current document with this id, or None when there is none."""
    path = _path(home, site, doc_id)
    if not path.exists():
        return None
    return Document.from_json_bytes(path.read_bytes())


def retire_document(home: DataHome, site: str, doc_id: str, why: dict | None = None) -> bool:
    """Move a document whose article is gone upstream out of the current set, recording why it is gone
    (`why`: {"why": words, "status", "url", "captured_at", "record_id"}) in its extra["gone"], so the
    retired file says on its own what the site answered. True if the document was there."""
    path = _path(home, site, doc_id)
    if not path.exists():
        return False
    home.inside(path.parent)   # the move deletes the current file: never one a link points outside
    target = _path(home, site, doc_id, gone=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    home.inside(target.parent)
    if why:
        doc = Document.from_json_bytes(path.read_bytes())
        doc.extra = {**doc.extra, "gone": why}
        tmp = temp_name(target)
        try:
            tmp.write_text(json.dumps(doc.fields_for_json(), ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        path.unlink()
    else:
        os.replace(path, target)
    return True


def current_documents(home: DataHome, sites: list[str] | None = None) -> list[Document]:
    """Every current document (optionally of some sites only), sorted by id."""
    docs = []
    if not home.documents_dir.exists():
        return docs
    for site_dir in sorted(home.documents_dir.iterdir()):
        if not site_dir.is_dir() or site_dir.name == GONE or (sites and site_dir.name not in sites):
            continue
        for path in sorted(site_dir.glob("*.json")):
            docs.append(Document.from_json_bytes(path.read_bytes()))
    return sorted(docs, key=lambda d: d.id)


class StoredDocuments:
    """The current documents of a data home as a stream: their ids and sites are listed once (file names
    only), each document is read from its file when the iteration reaches it, in id order, and can be
    iterated again. A release of 100k documents held every document at once before (11 KB each in memory:
    1.1 GB), where one at a time is what the gate and the release need."""

    def __init__(self, home: DataHome, sites: list[str] | None = None):
        entries = []
        if home.documents_dir.exists():
            for site_dir in sorted(home.documents_dir.iterdir()):
                if not site_dir.is_dir() or site_dir.name == GONE or (sites and site_dir.name not in sites):
                    continue
                entries += [(path.stem, site_dir.name, path) for path in site_dir.glob("*.json")]
        entries.sort()
        self.ids = [doc_id for doc_id, _, _ in entries]
        self.sites = {site for _, site, _ in entries}
        self._paths = [path for _, _, path in entries]

    def __len__(self) -> int:
        return len(self._paths)

    def __iter__(self):
        for path in self._paths:
            yield Document.from_json_bytes(path.read_bytes())


def cleaned_with(doc: Document) -> str:
    """What a document's cleaning depended on besides its capture: the cleaner's version, and the site
    template it was cleaned with (cleaners.template), if any."""
    template = (doc.extra or {}).get("template")
    return f"{doc.cleaner_version}+template-{template}" if template else doc.cleaner_version


class StampIndex:
    """(payload digest, cleaner version) of every stored document, in documents/stamps.sqlite.

    Lets an unchanged re-crawl skip re-cleaning without parsing every document file (measured: that
    parsing was most of a no-change refresh). A cache only: the JSON files stay the truth, and a
    missing or stale stamp just means the page is cleaned again.
    """

    def __init__(self, home: DataHome):
        home.documents_dir.mkdir(parents=True, exist_ok=True)
        # Autocommit, one short write per stamp: sites are cleaned concurrently, and a transaction held
        # for a whole site's cleaning made the other site's writer fail with "database is locked".
        self.db = sqlite3.connect(home.documents_dir / "stamps.sqlite", timeout=30, isolation_level=None)
        # Switching to WAL needs the write lock; once set it persists in the file, so only the first
        # connection ever asks.
        # connection ever asks. Two processes opening a new index at once (Dask workers) can both ask,
        # and SQLite answers the loser "database is locked" at once, without its busy timeout: retried.
        for attempt in range(60):
            try:
                if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("CREATE TABLE IF NOT EXISTS stamps "
                                "(id TEXT PRIMARY KEY, payload_digest TEXT, cleaner_version TEXT)")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 59:
                    raise
                time.sleep(0.5)
        self.db.execute("PRAGMA synchronous=NORMAL")  # a cache: the JSON documents are the truth

    def get(self, doc_id: str) -> tuple[str, str] | None:
        row = self.db.execute("SELECT payload_digest, cleaner_version FROM stamps WHERE id = ?", (doc_id,)).fetchone()
        return tuple(row) if row else None

    def put(self, doc: Document) -> None:
        self.db.execute("INSERT OR REPLACE INTO stamps VALUES (?, ?, ?)",
                        (doc.id, (doc.capture or {}).get("payload_digest"), cleaned_with(doc)))

    def forget(self, doc_id: str) -> None:
        self.db.execute("DELETE FROM stamps WHERE id = ?", (doc_id,))

    def close(self) -> None:
        self.db.commit()
        self.db.close()
