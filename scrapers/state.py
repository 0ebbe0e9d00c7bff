"""Crawl state in SQLite: runs, known URLs and every capture, updated only after the WARC write."""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from core.capture import Capture
from scrapers import answers

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    sites       TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'running',
    outcomes    TEXT,                   -- JSON {site: {outcome, cause, metrics}}: ok | partial | unreachable | changed-layout
    replay_of   TEXT                    -- JSON [{file, sha256}] of the WARCs a replay run served; NULL: live
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

# The revisit schedule of each known article URL (scrapers/revisit.py): a table of its own, written in
# one batch per crawl, apart from the per-capture rows.
REVISIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS revisits (
    url           TEXT PRIMARY KEY,
    site          TEXT NOT NULL,
    last_checked  TEXT,                   -- last usable answer (NULL: never answered)
    interval_days REAL NOT NULL,          -- current interval, 0 for a URL carried over from before the policy
    next_due      TEXT NOT NULL,
    unchanged     INTEGER NOT NULL DEFAULT 0,  -- checks in a row that found the page unchanged
    last_change   TEXT,
    last_result   TEXT NOT NULL,          -- changed | unchanged | failed
    gone          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS revisits_site ON revisits(site);
"""


def new_run_id() -> str:
    """A sortable, file-name-safe run id: UTC timestamp plus a short random suffix."""
    return datetime.now(timezone.utc).strftime("%Y%m%dt%H%M%S") + "-" + uuid.uuid4().hex[:6]


class CrawlState:
    """The crawl-state database (one file under the data home)."""

    def __init__(self, path: Path):
        """Open (and create or migrate) the crawl state at `path` (CrawlState.read_only opens one as it is)."""
        self._group: list[tuple] | None = None  # captures waiting for commit_group (see begin_group)
        self._group_urls: set[str] = set()
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: explicit BEGIN/COMMIT in `transaction`; WAL keeps readers unblocked.
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        columns = {row["name"] for row in self.db.execute("PRAGMA table_info(runs)")}
        # a crawl state written before outcomes / replay provenance were recorded
        for column in ("outcomes", "replay_of"):
            if column not in columns:
                self.db.execute(f"ALTER TABLE runs ADD COLUMN {column} TEXT")
        self._add_revisit_table()

    def _add_revisit_table(self) -> None:
        """Create the revisit schedule; in a crawl state from before it, every known article URL that
        has answered gets a row due since its last check (so the most stale are re-checked first)."""
        exists = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'revisits'").fetchone()
        if exists:
            return
        with self.transaction() as db:
            for statement in REVISIT_SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(
                """INSERT INTO revisits(url, site, last_checked, interval_days, next_due, last_result, gone)
                   SELECT u.url, u.site, c.at, 0, c.at, 'unchanged', u.gone FROM urls u
                   JOIN (SELECT url, max(captured_at) AS at FROM captures WHERE kind = 'article' AND error IS NULL
                         AND ((status BETWEEN 200 AND 299) OR status IN (304, 404, 410)) GROUP BY url) c
                   ON c.url = u.url WHERE u.kind = 'article'""")

    @contextmanager
    def transaction(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if self.db.in_transaction:   # SQLite rolls back by itself on a full disk (SQLITE_FULL, IOERR):
                self.db.execute("ROLLBACK")   # a second ROLLBACK would hide the disk behind "no transaction"
            raise
        else:
            self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    # --- runs -------------------------------------------------------------------------------

    def start_run(self, run_id: str, sites: list[str], replay_of: list[dict] | None = None) -> None:
        """Register a run; `replay_of` names the WARC files ({file, sha256}) when it is a replay."""
        with self.transaction() as db:
            db.execute("INSERT INTO runs(run_id, started_at, sites, replay_of) VALUES (?, ?, ?, ?)",
                       (run_id, _now(), json.dumps(sites), json.dumps(replay_of) if replay_of else None))

    def replay_of(self, run_id: str) -> list[dict] | None:
        """The WARC files a run replayed ({file, sha256} each), None for a live crawl or an unknown run."""
        row = self.db.execute("SELECT replay_of FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return json.loads(row["replay_of"]) if row and row["replay_of"] else None

    def finish_run(self, run_id: str, status: str = "finished") -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?", (_now(), status, run_id))

    def set_outcome(self, run_id: str, site: str, outcome: str, cause: str, metrics: dict | None = None) -> None:
        """Record one site's crawl outcome in its run (read back by the gate, the release and the audit)."""
        with self.transaction() as db:
            row = db.execute("SELECT outcomes FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise LookupError(f"no crawl run {run_id!r}")
            outcomes = json.loads(row["outcomes"] or "{}")
            outcomes[site] = {"outcome": outcome, "cause": cause, "metrics": metrics or {}}
            db.execute("UPDATE runs SET outcomes = ? WHERE run_id = ?", (json.dumps(outcomes), run_id))

    def last_outcomes(self, only_ok: bool = False, before_run: str | None = None) -> dict[str, dict]:
        """Per site, the outcome of its latest crawl that recorded one: {site: {outcome, cause, run_id,
        metrics}} (`only_ok`: the latest ok one, the baseline of the layout canaries)."""
        latest: dict[str, dict] = {}
        for row in self.runs():
            if before_run is not None and row["run_id"] == before_run:
                break
            for site, entry in json.loads(row["outcomes"] or "{}").items():
                if not only_ok or entry.get("outcome") == "ok":
                    latest[site] = {**entry, "run_id": row["run_id"]}
        return latest

    def runs(self, status: str | None = None) -> list[sqlite3.Row]:
        """Runs oldest first (optionally only those with `status`)."""
        if status:
            return self.db.execute("SELECT * FROM runs WHERE status = ? ORDER BY started_at, run_id",
                                   (status,)).fetchall()
        return self.db.execute("SELECT * FROM runs ORDER BY started_at, run_id").fetchall()

    # --- captures ---------------------------------------------------------------------------

    def begin_group(self) -> None:
        """Hold captures in memory until commit_group: one transaction (one WAL sync) per group.

        The caller must make the WARC records of a group durable before committing it, so a state row
        never points at bytes that are not on disk. A crash before the commit loses only the group's
        rows: their WARC records stay in the file, and the next run fetches those pages again."""
        if self._group is None:
            self._group = []

    def pending(self, url: str) -> bool:
        """True when a capture of `url` waits in the open group (not yet readable from the database)."""
        return url in self._group_urls

    def commit_group(self) -> int:
        """Write the held captures in one transaction, in the order they were recorded; returns how
        many. The group stays open for the next captures."""
        held, self._group = self._group or [], ([] if self._group is not None else None)
        self._group_urls = set()
        if held:
            with self.transaction() as db:
                for entry in held:
                    self._insert_capture(db, *entry)
        return len(held)

    def end_group(self, commit: bool = True) -> int:
        """Go back to one transaction per capture, committing what is held first (`commit=False`: drop
        it, after the caller could not make its WARC records durable). Returns how many were committed."""
        try:
            return self.commit_group() if commit else 0
        finally:
            self._group = None

    def record_capture(self, capture: Capture, *, kind: str, record_type: str,
                       body_location: tuple[str, int] | None, update_url: bool = True) -> int | None:
        """Insert a capture and update its URL's row, in one transaction. Returns the capture id (None
        while a group is open: the capture is held until commit_group).

        `update_url=False` records a capture without touching the URL's crawl row (a copy from another
        archive, dated years back, must not become the live crawl's validator or "latest" payload)."""
        entry = (capture, kind, record_type, body_location, update_url)
        if self._group is not None:
            self._group.append(entry)
            self._group_urls.add(capture.url)
            return None
        with self.transaction() as db:
            return self._insert_capture(db, *entry)

    def _insert_capture(self, db, capture: Capture, kind: str, record_type: str,
                        body_location: tuple[str, int] | None, update_url: bool) -> int:
        h = capture.headers
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
        if not update_url:
            return capture_id
        usable = answers.usable(capture.status, record_type, body_location is not None)
        failed = answers.failed(capture.status, record_type)
        gone = answers.retires(capture.status, capture.headers)
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

    def has_capture(self, url: str, captured_at: str, kind: str) -> bool:
        """True when a usable response of `url` captured at `captured_at` is already recorded (resuming)."""
        return self.db.execute(
            "SELECT 1 FROM captures WHERE url = ? AND captured_at = ? AND kind = ? AND record_type = 'response' "
            "AND status = 200 LIMIT 1", (url, captured_at, kind)).fetchone() is not None

    def url_captures(self, url: str, kinds: tuple[str, ...] = ("article", "wayback")) -> list[sqlite3.Row]:
        """Every capture of `url` holding a payload (responses and revisits), oldest capture date first:
        the versions a backfill cleans (a failed fetch of the same URL holds no payload to read)."""
        marks = ",".join("?" * len(kinds))
        return self.db.execute(
            f"SELECT * FROM captures WHERE url = ? AND kind IN ({marks}) AND body_warc_file IS NOT NULL "
            f"AND (status BETWEEN 200 AND 299 OR record_type = 'revisit') ORDER BY captured_at, id",
            (url, *kinds)).fetchall()

    def capture_urls(self, site: str, kinds: tuple[str, ...]) -> list[str]:
        """Every URL of `site` with a capture of one of `kinds` (a backfill's URLs are not crawl targets)."""
        marks = ",".join("?" * len(kinds))
        rows = self.db.execute(f"SELECT DISTINCT url FROM captures WHERE site = ? AND kind IN ({marks}) ORDER BY url",
                               (site, *kinds))
        return [r["url"] for r in rows]

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

    # --- revisit schedule -------------------------------------------------------------------

    def revisit_schedules(self, site: str) -> dict:
        """{url: scrapers.revisit.Schedule} of `site`'s article URLs that have one."""
        from scrapers.revisit import Schedule, parse_iso

        def when(value):
            return parse_iso(value) if value else None

        return {r["url"]: Schedule(r["url"], when(r["last_checked"]), r["interval_days"], parse_iso(r["next_due"]),
                                   r["unchanged"], when(r["last_change"]), r["last_result"], bool(r["gone"]))
                for r in self.db.execute("SELECT * FROM revisits WHERE site = ?", (site,))}

    def record_revisits(self, site: str, schedules) -> None:
        """Store the schedules a crawl computed (scrapers.revisit.Schedule), all in one transaction."""
        from scrapers.revisit import iso

        def text(value):
            return iso(value) if value else None

        rows = [(s.url, site, text(s.last_checked), s.interval_days, iso(s.next_due), s.unchanged,
                 text(s.last_change), s.last_result, int(s.gone)) for s in schedules]
        if not rows:
            return
        with self.transaction() as db:
            db.executemany(
                """INSERT INTO revisits(url, site, last_checked, interval_days, next_due, unchanged, last_change,
                       last_result, gone) VALUES (?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(url) DO UPDATE SET last_checked = excluded.last_checked,
                       interval_days = excluded.interval_days, next_due = excluded.next_due,
                       unchanged = excluded.unchanged, last_change = excluded.last_change,
                       last_result = excluded.last_result, gone = excluded.gone""", rows)

    def next_checks(self, site: str | None = None) -> dict[str, str]:
        """Per article URL with a revisit schedule, when it is due to be re-checked next."""
        sql = "SELECT url, next_due FROM revisits" + (" WHERE site = ?" if site else "")
        return {r["url"]: r["next_due"] for r in self.db.execute(sql, (site,) if site else ())}

    def has_revisit_schedule(self) -> bool:
        """False for a crawl state from before the revisit schedule (a read-only view does not migrate it)."""
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'revisits'").fetchone() \
            is not None

    def revisit_overview(self, site: str, now: str) -> dict | None:
        """`site`'s revisit schedule at a glance: known articles scheduled, how many are due at `now`, the
        oldest last check and the next due date after `now` (None when nothing is scheduled)."""
        row = self.db.execute("SELECT count(*) AS scheduled, coalesce(sum(next_due <= ?), 0) AS due_now, "
                              "min(last_checked) AS oldest_check, min(CASE WHEN next_due > ? THEN next_due END) "
                              "AS next_due FROM revisits WHERE site = ?", (now, now, site)).fetchone()
        return {k: row[k] for k in row.keys()} if row["scheduled"] else None

    def last_capture_id(self) -> int:
        """The id of the newest capture (0 before the first): where a progress count starts."""
        return self.db.execute("SELECT coalesce(max(id), 0) FROM captures").fetchone()[0] or 0

    def article_checks_by_site(self, capture_id: int) -> dict[str, tuple[int, int]]:
        """Per site, (article pages checked, of those downloaded) in captures after `capture_id`."""
        rows = self.db.execute("SELECT site, count(*), coalesce(sum(record_type = 'response'), 0) FROM captures "
                               "WHERE id > ? AND kind = 'article' GROUP BY site", (capture_id,)).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def known_articles_by_site(self) -> dict[str, int]:
        """Per site, the article URLs known so far (what a crawl re-checks, at most: a progress total)."""
        rows = self.db.execute("SELECT site, count(*) FROM urls WHERE kind = 'article' GROUP BY site").fetchall()
        return {row[0]: row[1] for row in rows}

    def url_capture_log(self, url: str) -> list[sqlite3.Row]:
        """Every capture of one URL, oldest first (failures and revisits included): a document's history."""
        return self.db.execute("SELECT * FROM captures WHERE url = ? ORDER BY id", (url,)).fetchall()

    # --- for `kcorpus check` (read-only) -----------------------------------------------------------

    @classmethod
    def read_only(cls, path: Path, *, immutable: bool = False) -> "CrawlState":
        """The crawl state opened for reading only: no schema, no migration. `immutable` (only when no writer
        can be running) also creates no -wal/-shm file beside it: the folder is left exactly as it was."""
        state = cls.__new__(cls)
        mode = "immutable=1" if immutable else "mode=ro"
        state.db = sqlite3.connect(f"file:{path}?{mode}", uri=True, isolation_level=None, timeout=30)
        state.db.row_factory = sqlite3.Row
        state._group, state._group_urls = None, set()
        return state

    def integrity_problems(self) -> list[str]:
        """SQLite's own integrity check of the file, one line per problem (empty when sound)."""
        return [row[0] for row in self.db.execute("PRAGMA integrity_check") if row[0] != "ok"]

    def capture_locations(self):
        """(id, url, warc_file, warc_offset, record_id, record_type) of every capture row, in id order."""
        yield from self.db.execute("SELECT id, url, warc_file, warc_offset, record_id, record_type FROM captures "
                                   "ORDER BY id")

    def record_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT record_id FROM captures")}

    def gone_urls(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT url FROM urls WHERE gone = 1")}

    def interrupt_dead_runs(self) -> list[str]:
        """Mark every run still `running` as interrupted, and return their ids. Only for a writer that
        holds the data home's writer lock and has not started its own run yet: then no live process
        owns any of them, and a run left `running` was killed (it would show as running forever)."""
        with self.transaction() as db:
            dead = [row[0] for row in db.execute("SELECT run_id FROM runs WHERE status = 'running' "
                                                 "ORDER BY started_at, run_id")]
            db.executemany("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE run_id = ? "
                           "AND status = 'running'", [(_now(), run_id) for run_id in dead])
        return dead

    def interrupt_run(self, run_id: str) -> None:
        """Mark a run that never finished (its process was killed) as interrupted."""
        self.db.execute("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE run_id = ? AND status = 'running'",
                        (_now(), run_id))


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
