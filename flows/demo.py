"""The end-to-end demo: three recorded snapshots of the four sites -> three releases -> the audits between them.

Snapshot 2 deletes, edits and adds articles; snapshot 3 purges a name from several articles, moves one
article to a new URL, and finds KANCC unreachable: its release is made with allow_partial and its
documents are "not checked", never "removed"."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.datahome import DataHome
from corpus.watchlist import example_watchlist
from flows.audit import after_release, witnesses
from flows.crawl import compare_crawls
from flows.runs import run_refresh, run_release


class DemoHomeNotEmpty(RuntimeError):
    """The demo writes into a fresh data home only: it never mixes with, or touches, existing data."""


@dataclass
class DemoResult:
    refreshes: list[dict]
    releases: list                 # flows.release.ReleaseOutcome per snapshot
    audits: list                   # flows.audit.ReleaseAudit after each release (the first compares nothing)
    crawl_comparison: object       # scrapers.crawldiff.CrawlComparison of crawls 1 -> 2
    works: list = field(default_factory=list)    # corpus.witnesses.Work: one article's copies across sites
    witness_differences: list = field(default_factory=list)  # corpus.witnesses.WitnessDifference: where they differ


def check_fresh(home: DataHome) -> None:
    """Refuse a data home that already holds captures or releases."""
    used = [p for p in (home.warc_dir, home.releases_dir, home.documents_dir) if p.exists() and any(p.iterdir())]
    if used:
        raise DemoHomeNotEmpty(
            f"{home.root} already holds data ({', '.join(p.name for p in used)}); the demo needs a fresh "
            f"data home: pass --home NEWDIR (nothing was changed)")


def run_demo(home: DataHome, snapshot_paths: list[Path], on_step=lambda message: None) -> DemoResult:
    """Refresh + release over each snapshot in turn (as Prefect flows where flows.runs.use_prefect says so),
    each release followed by its audit (flows.audit.after_release, as after `kcorpus release`)."""
    check_fresh(home)
    home.ensure()
    if not home.watchlist.exists():
        home.watchlist.write_text(example_watchlist(), encoding="utf-8")
    refreshes, outcomes, audits = [], [], []
    crawl_comparison = None
    for number, path in enumerate(snapshot_paths, 1):
        on_step(f"Refreshing the four sites from a replay of {path.name}")
        refreshes.append(run_refresh(home, None, [path], None))
        # snapshot 3 finds KANCC unreachable: its documents are kept (not checked) and the release says so
        allow_partial = number >= 3
        on_step("Validating and releasing" + (" (allow_partial: a site was unreachable)" if allow_partial else ""))
        outcome = run_release(home, None, allow_partial)
        if not hasattr(outcome, "release"):  # BlockedRelease: the shipped snapshots never trigger it
            raise RuntimeError("demo release blocked: " + "; ".join(outcome.messages))
        outcomes.append(outcome)
        audits.append(after_release(home))
        if number == 2:
            crawl_comparison = compare_crawls(home)
    works, differences = witnesses(home)
    return DemoResult(refreshes, outcomes, audits, crawl_comparison, works, differences)
