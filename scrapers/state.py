"""Crawl state in SQLite: runs, known URLs and every capture, updated only after the WARC write."""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from core.capture import Capture

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    sites       TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'running'
);
CREATE TABLE IF NOT EXISTS captures (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id         TEXT NOT NULL,
    site           TEXT NOT NULL,
    url            TEXT NOT NULL,
    kind           TEXT NOT NULL,          -- index | article | robots
    record_type    TEXT NOT NULL,          -- response | revisit | failure
    status         INTEGER NOT NULL,       -- 0 when no HTTP response arrived
    headers        TEXT NOT NULL,          -- JSON object, lower-case names
    etag           TEXT,
    last_modified  TEXT,
    payload_digest TEXT,
    warc_file      TEXT NOT NULL,
    warc_offset    INTEGER NOT NULL,
    record_id      TEXT NOT NULL,
    body_warc_file TEXT,                   -- where the payload is: this record, or the one a revisit refers to
    body_offset    INTEGER,
    captured_at    TEXT NOT NULL,
    error          TEXT
);
CREATE INDEX IF NOT EXISTS captures_run ON captures(run_id, site);
CREATE INDEX IF NOT EXISTS captures_url ON captures(url);
CREATE TABLE IF NOT EXISTS urls (
    url             TEXT PRIMARY KEY,
    site            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    first_run       TEXT NOT NULL,
    last_run        TEXT NOT NULL,
    last_capture_id INTEGER,               -- latest capture holding a usable (2xx) payload
    last_status     INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    gone            INTEGER NOT NULL DEFAULT 0
);
"""


def new_run_id() -> str:
    """A sortable, file-name-safe run id: UTC timestamp plus a short random suffix."""
    return datetime.now(timezone.utc).strftime("%Y%m%dt%H%M%S") + "-" + uuid.uuid4().hex[:6]


class CrawlState:
    """The crawl-state database (one file under the data home)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: explicit BEGIN/COMMIT in `transaction`; WAL keeps readers unblocked.
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    @contextmanager
    def transaction(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    # --- runs -------------------------------------------------------------------------------

    def start_run(self, run_id: str, sites: list[str]) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO runs(run_id, started_at, sites) VALUES (?, ?, ?)",
                       (run_id, _now(), json.dumps(sites)))

    def finish_run(self, run_id: str, status: str = "finished") -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?", (_now(), status, run_id))

    def runs(self, status: str | None = None) -> list[sqlite3.Row]:
        """Runs oldest first (optionally only those with `status`)."""
        if status:
            return self.db.execute("SELECT * FROM runs WHERE status = ? ORDER BY started_at, run_id",
                                   (status,)).fetchall()
        return self.db.execute("SELECT * FROM runs ORDER BY started_at, run_id").fetchall()

    # --- captures ---------------------------------------------------------------------------

    def record_capture(self, capture: Capture, *, kind: str, record_type: str,
                       body_location: tuple[str, int] | None) -> int:
        """Insert a capture and update its URL's row, in one transaction. Returns the capture id."""
        h = capture.headers
        with self.transaction() as db:
            cur = db.execute(
                """INSERT INTO captures(run_id, site, url, kind, record_type, status, headers, etag,
                       last_modified, payload_digest, warc_file, warc_offset, record_id, body_warc_file,
                       body_offset, captured_at, error)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (capture.run_id, capture.site, capture.url, kind, record_type, capture.status,
                 json.dumps(h, ensure_ascii=False), h.get("etag"), h.get("last-modified"),
                 capture.payload_digest or None, capture.warc_file, capture.warc_offset, capture.record_id,
                 body_location[0] if body_location else None, body_location[1] if body_location else None,
                 capture.captured_at, capture.error))
            capture_id = cur.lastrowid
            # Usable: we hold a payload for it (a full response, or a revisit pointing at one).
            usable = body_location is not None and (200 <= capture.status < 300 or record_type == "revisit")
            failed = capture.status == 0 or capture.status == 429 or capture.status >= 500
            gone = capture.status in (404, 410)
            db.execute(
                """INSERT INTO urls(url, site, kind, first_run, last_run, last_capture_id, last_status,
                       failures, last_error, gone)
                   VALUES (?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(url) DO UPDATE SET
                       last_run = excluded.last_run,
                       last_status = excluded.last_status,
                       last_capture_id = CASE WHEN ? THEN excluded.last_capture_id ELSE urls.last_capture_id END,
                       failures = CASE WHEN ? THEN urls.failures + 1 ELSE 0 END,
                       last_error = excluded.last_error,
                       gone = excluded.gone""",
                (capture.url, capture.site, kind, capture.run_id, capture.run_id,
                 capture_id if usable else None, capture.status, 1 if failed else 0, capture.error,
                 1 if gone else 0, usable, failed))
        return capture_id

    def latest_usable(self, url: str) -> sqlite3.Row | None:
        """The latest capture of `url` whose payload we hold (for conditional requests)."""
        return self.db.execute(
            """SELECT c.* FROM urls u JOIN captures c ON c.id = u.last_capture_id WHERE u.url = ?""",
            (url,)).fetchone()

    def known_urls(self, site: str, kind: str = "article") -> list[str]:
        """URLs of `site` seen in earlier runs (gone ones included: a deleted page is re-checked)."""
        rows = self.db.execute("SELECT url FROM urls WHERE site = ? AND kind = ? ORDER BY url", (site, kind))
        return [r["url"] for r in rows]

    def run_captures(self, run_id: str, site: str | None = None, kind: str | None = None) -> list[sqlite3.Row]:
        sql, args = "SELECT * FROM captures WHERE run_id = ?", [run_id]
        if site:
            sql, args = sql + " AND site = ?", args + [site]
        if kind:
            sql, args = sql + " AND kind = ?", args + [kind]
        return self.db.execute(sql + " ORDER BY id", args).fetchall()

    def url_rows(self, site: str | None = None) -> list[sqlite3.Row]:
        if site:
            return self.db.execute("SELECT * FROM urls WHERE site = ? ORDER BY url", (site,)).fetchall()
        return self.db.execute("SELECT * FROM urls ORDER BY url").fetchall()

    def last_checked(self, site: str | None = None) -> dict[str, dict]:
        """Per article URL, the newest capture that got a usable answer (2xx, 304, 404, 410; no error):
        {"run_id", "at"}. A failed or skipped page keeps its older check, so it shows as not checked."""
        sql = ("""SELECT url, run_id, max(captured_at) AS at FROM captures WHERE kind = 'article' AND error IS NULL
                  AND ((status BETWEEN 200 AND 299) OR status IN (304, 404, 410))"""
               + (" AND site = ?" if site else "") + " GROUP BY url")
        return {r["url"]: {"run_id": r["run_id"], "at": r["at"]}
                for r in self.db.execute(sql, (site,) if site else ())}

    def url_captures(self, url: str) -> list[sqlite3.Row]:
        """Every capture of one URL, oldest first (failures and revisits included)."""
        return self.db.execute("SELECT * FROM captures WHERE url = ? ORDER BY id", (url,)).fetchall()

    def capture_by_id(self, capture_id: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM captures WHERE id = ?", (capture_id,)).fetchone()


def row_to_capture(row: sqlite3.Row) -> Capture:
    """A Capture from a captures row; for revisits, warc_file/offset point at the held payload."""
    return Capture(
        url=row["url"], site=row["site"], status=row["status"], headers=json.loads(row["headers"]),
        payload_digest=row["payload_digest"] or "",
        warc_file=row["body_warc_file"] or row["warc_file"],
        warc_offset=row["body_offset"] if row["body_offset"] is not None else row["warc_offset"],
        record_id=row["record_id"], captured_at=row["captured_at"], run_id=row["run_id"], error=row["error"])


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
