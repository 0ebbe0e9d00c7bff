"""Two crawl runs compared at the capture level: which URLs are new, gone, changed, failed or not checked
(read from the crawl state)."""

from __future__ import annotations

from dataclasses import dataclass, field

from scrapers.answers import alive, replay_missing
from scrapers.state import CrawlState


@dataclass
class CrawlComparison:
    """URLs (articles only) that appeared, disappeared or changed payload between two runs."""

    old_run: str
    new_run: str
    new: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)       # answered 404/410
    changed: list[str] = field(default_factory=list)    # different payload digest
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)     # no usable answer in the new run: unknown
    not_checked: list[str] = field(default_factory=list)  # not requested in the new run (site down, robots, budget)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _outcomes(state: CrawlState, run_id: str) -> dict[str, tuple[int, str | None]]:
    """URL -> (status, payload digest) of the last article capture of each URL in the run."""
    import json

    out = {}
    for row in state.run_captures(run_id, kind="article"):
        # a replay's 404 for a URL its WARCs lack is no answer from the site: failed (not checked), not gone
        status = 0 if row["status"] == 404 and replay_missing(json.loads(row["headers"])) else row["status"]
        out[row["url"]] = (status, row["payload_digest"])
    return out


def compare_runs(state: CrawlState, old_run: str, new_run: str) -> CrawlComparison:
    """Compare the article captures of two runs."""
    old, new = _outcomes(state, old_run), _outcomes(state, new_run)
    result = CrawlComparison(old_run, new_run)
    alive_old = {u for u, (status, _) in old.items() if alive(status)}
    for url in sorted(set(old) | set(new)):
        status, digest = new.get(url, (None, None))
        if url not in alive_old:
            if status is not None and alive(status):
                result.new.append(url)
        elif status is None:  # never asked this run: unknown, not gone (an unreachable site is not a deletion)
            result.not_checked.append(url)
        elif status in (404, 410):
            result.gone.append(url)
        elif not alive(status):
            result.failed.append(url)
        elif digest != old[url][1]:
            result.changed.append(url)
        else:
            result.unchanged += 1
    return result


def compare_latest_runs(state: CrawlState) -> CrawlComparison:
    """Compare the two latest finished crawl runs (raises LookupError if there are fewer than two)."""
    runs = [r["run_id"] for r in state.runs(status="finished")]
    if len(runs) < 2:
        raise LookupError(f"need two finished crawl runs to compare, found {len(runs)}")
    return compare_runs(state, runs[-2], runs[-1])
