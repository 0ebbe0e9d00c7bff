"""The crawl side of `kcorpus status`: each site's last crawl run and what came of it, read from the
crawl state (nothing is written)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path


def last_crawls(state_db: Path) -> dict[str, dict]:
    """Per site, its latest crawl run: run id, start and end, the run's status, and the captures of the
    site in it by outcome (downloaded, unchanged, failed, gone). Empty before the first crawl."""
    if not Path(state_db).exists():
        return {}
    with sqlite3.connect(f"file:{state_db}?mode=ro", uri=True, timeout=5) as db:
        db.row_factory = sqlite3.Row
        runs = db.execute("SELECT * FROM runs ORDER BY started_at, run_id").fetchall()
        latest: dict[str, sqlite3.Row] = {}
        for run in runs:
            for site in json.loads(run["sites"] or "[]"):
                latest[site] = run
        out = {}
        for site, run in sorted(latest.items()):
            row = db.execute(
                "SELECT coalesce(sum(record_type = 'response' AND status BETWEEN 200 AND 299), 0) AS downloaded, "
                "coalesce(sum(record_type = 'revisit'), 0) AS unchanged, "
                "coalesce(sum(record_type = 'failure' OR status = 0 OR (status >= 400 AND status NOT IN (404, 410))), 0) "
                "AS failed, coalesce(sum(status IN (404, 410)), 0) AS gone "
                "FROM captures WHERE run_id = ? AND site = ?", (run["run_id"], site)).fetchone()
            recorded = json.loads(run["outcomes"] or "{}").get(site, {}) if "outcomes" in run.keys() else {}
            out[site] = {"run_id": run["run_id"], "started_at": run["started_at"], "finished_at": run["finished_at"],
                         "status": run["status"], "outcome": recorded.get("outcome"), "cause": recorded.get("cause"),
                         **{k: row[k] for k in row.keys()}, "revisit": _revisit_status(db, site)}
        return out


def _revisit_status(db: sqlite3.Connection, site: str) -> dict | None:
    """The site's revisit schedule at a glance: known articles scheduled, how many are due now, the
    oldest last check and the next due date (None for a crawl state from before the schedule: this
    read-only view does not migrate it)."""
    from datetime import datetime, timezone
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'revisits'").fetchone():
        return None
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    row = db.execute("SELECT count(*) AS scheduled, coalesce(sum(next_due <= ?), 0) AS due_now, "
                     "min(last_checked) AS oldest_check, min(CASE WHEN next_due > ? THEN next_due END) AS next_due "
                     "FROM revisits WHERE site = ?", (now, now, site)).fetchone()
    return {k: row[k] for k in row.keys()} if row["scheduled"] else None
