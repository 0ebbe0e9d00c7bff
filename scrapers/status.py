"""The crawl side of `kcorpus status`: each site's last crawl run and what came of it, read from the
crawl state (nothing is written)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from scrapers import answers
from scrapers.state import CrawlState


def last_crawls(state_db: Path) -> dict[str, dict]:
    """Per site, its latest crawl run: run id, start and end, the run's status, and the captures of the
    site in it by outcome (downloaded, unchanged, failed, gone: scrapers.answers says which is which).
    Empty before the first crawl."""
    if not Path(state_db).exists():
        return {}
    state = CrawlState.read_only(Path(state_db))
    try:
        latest = {}
        for run in state.runs():
            for site in json.loads(run["sites"] or "[]"):
                latest[site] = run
        # a crawl state from before the revisit schedule: this read-only view does not migrate it
        scheduled = state.has_revisit_schedule()
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        out = {}
        for site, run in sorted(latest.items()):
            recorded = json.loads(run["outcomes"] or "{}").get(site, {}) if "outcomes" in run.keys() else {}
            out[site] = {"run_id": run["run_id"], "started_at": run["started_at"], "finished_at": run["finished_at"],
                         "status": run["status"], "outcome": recorded.get("outcome"), "cause": recorded.get("cause"),
                         "refused": (recorded.get("metrics") or {}).get("refusals") or {},
                         **_counts(state.run_captures(run["run_id"], site)),
                         "revisit": state.revisit_overview(site, now) if scheduled else None}
        return out
    finally:
        state.close()


def _counts(rows) -> dict[str, int]:
    """The captures of one site in one run by what their answer means."""
    counts = {"downloaded": 0, "unchanged": 0, "failed": 0, "gone": 0}
    for row in rows:
        counts["downloaded"] += row["record_type"] == "response" and 200 <= row["status"] < 300
        counts["unchanged"] += row["record_type"] == "revisit"
        counts["failed"] += answers.failed(row["status"], row["record_type"])
        counts["gone"] += answers.retires(row["status"], json.loads(row["headers"]))
    return counts
