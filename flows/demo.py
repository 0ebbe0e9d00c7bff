"""The end-to-end demo: three recorded snapshots of both sites -> three releases -> the audits between them.

Snapshot 2 deletes, edits and adds articles; snapshot 3 purges a name from several articles, moves one
article to a new URL, and finds KANCC unreachable: its release is made with allow_partial and its
documents are "not checked", never "removed"."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.datahome import DataHome

class DemoHomeNotEmpty(RuntimeError):
    """The demo writes into a fresh data home only: it never mixes with, or touches, existing data."""


@dataclass
class DemoResult:
    refreshes: list[dict]
    releases: list            # ReleaseOutcome per snapshot
    diff: object              # corpus.diff.ReleaseDiff of releases 1 -> 2
    diff_html: Path
    crawl_audit: object       # scrapers.audit.CrawlAudit of crawls 1 -> 2
    audits: list = None       # flows.stages.ReleaseAudit per release after the first (events, feeds, histories)


def check_fresh(home: DataHome) -> None:
    """Refuse a data home that already holds captures or releases."""
    used = [p for p in (home.warc_dir, home.releases_dir, home.documents_dir) if p.exists() and any(p.iterdir())]
    if used:
        raise DemoHomeNotEmpty(
            f"{home.root} already holds data ({', '.join(p.name for p in used)}); the demo needs a fresh "
            f"data home: pass --home NEWDIR (nothing was changed)")


def run_demo(home: DataHome, snapshot_paths: list[Path], on_step=lambda message: None) -> DemoResult:
    """Refresh + release over each snapshot in turn (embedded Prefect), then diff the two releases."""
    from flows.runs import run_refresh, run_release
    from corpus.diff import diff_releases
    from corpus.report import render_html
    from scrapers.audit import audit_latest
    from scrapers.state import CrawlState

    check_fresh(home)
    home.ensure()
    from corpus.watchlist import example_watchlist
    from flows.stages import publish_release_audit

    if not home.watchlist.exists():
        home.watchlist.write_text(example_watchlist(), encoding="utf-8")
    refreshes, outcomes, audits = [], [], []
    result = report = crawl_audit = None
    for number, path in enumerate(snapshot_paths, 1):
        on_step(f"Refreshing both sites from a replay of {path.name}")
        refreshes.append(run_refresh(home, None, [path], None))
        # snapshot 3 finds KANCC unreachable: its documents are kept (not checked) and the release says so
        allow_partial = number >= 3
        on_step("Validating and releasing" + (" (allow_partial: a site was unreachable)" if allow_partial else ""))
        outcome = run_release(home, None, allow_partial)
        if not hasattr(outcome, "release"):  # BlockedRelease: the shipped snapshots never trigger it
            raise RuntimeError("demo release blocked: " + "; ".join(outcome.messages))
        outcomes.append(outcome)
        if number >= 2:
            audits.append(publish_release_audit(home))
        if number == 2:
            old, new = outcomes[-2].release.path, outcomes[-1].release.path
            result = diff_releases(Path(old), Path(new))
            report = home.reports_dir / f"diff-{Path(old).name}-{Path(new).name}.html"
            report.write_text(render_html(result), encoding="utf-8")
            state = CrawlState(home.state_db)
            try:
                crawl_audit = audit_latest(state)
            finally:
                state.close()
    return DemoResult(refreshes, outcomes, result, report, crawl_audit, audits)
