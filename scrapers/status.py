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
            out[site] = {"run_id": run["run_id"], "started_at": run["started_at"], "finished_at": run["finished_at"],
                         "status": run["status"], **{k: row[k] for k in row.keys()}}
        return out
