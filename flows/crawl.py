"""Crawling: a crawl run's registration, one site's crawl, the run's WACZ, each site's outcome, and the
refresh sequence (crawl then clean every site) written once for the thread, Prefect and Dask paths.

Each stage reads only what the one before it wrote (design.md): crawl -> WARC + crawl state;
clean -> documents/ (from WARC, never the network). So any stage can be rerun on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cleaners.store import load_document
from core.datahome import DataHome
from core.profiles import get_profile
from flows.clean import clean_run
from scrapers.crawldiff import CrawlComparison, compare_latest_runs
from scrapers.canary import layout_change, layout_metrics
from scrapers.crawl import SiteCrawlReport, crawl_site
from scrapers.fetch import CrawlSettings, make_client
from scrapers.state import CrawlState, new_run_id


def begin_run(home: DataHome, sites: list[str], replay_of: list[dict] | None = None) -> str:
    """Register a crawl run in the state database; returns its id. `replay_of`: the WARC files a
    replay run serves ({file, sha256}, see replay_sources), recorded in the runs table and warcinfo."""
    home.ensure()
    run_id = new_run_id()
    state = CrawlState(home.state_db)
    try:
        state.start_run(run_id, sites, replay_of)
    finally:
        state.close()
    return run_id


def replay_sources(warc_paths: list[Path]) -> list[dict]:
    """Name the WARC files a replay serves: file name and sha256 of each (what a run is a replay of)."""
    sources = []
    for path in warc_paths:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        sources.append({"file": Path(path).name, "sha256": digest.hexdigest()})
    return sources


def end_run(home: DataHome, run_id: str, status: str = "finished") -> None:
    state = CrawlState(home.state_db)
    try:
        state.finish_run(run_id, status)
    finally:
        state.close()


def crawl(home: DataHome, site: str, run_id: str, *, settings: CrawlSettings | None = None,
          replay_port: int | None = None, start_urls: list[str] | None = None) -> SiteCrawlReport:
    """Crawl one site into the data home (its own state connection: sites crawl concurrently)."""
    profile = get_profile(site)
    settings = settings or CrawlSettings()
    state = CrawlState(home.state_db)
    client = make_client(settings, replay_port)
    try:
        return crawl_site(profile, state=state, warc_dir=home.warc_dir, run_id=run_id, client=client,
                          settings=settings, start_urls=start_urls)
    finally:
        client.close()
        state.close()


def package_wacz(home: DataHome, run_id: str) -> dict:
    """Package crawl run `run_id` as wacz/<run_id>.wacz: its WARC files plus the earlier ones its
    revisits point at, and a page per article captured in the run (kcorpus id and title from the
    current documents). Returns {"file", "pages", "warcs"}, {"error"} when the wacz tool refused, or
    {"skipped"} for a run that archived no new payload: such a run is revisit records only, and its
    WACZ would copy again every earlier WARC file they point at (the whole archive, at scale) while
    adding nothing to replay; its records stay in warc/ like every run's."""
    from scrapers.waczpack import Page, WaczError, package_run, wacz_name

    state = CrawlState(home.state_db)
    try:
        rows = state.run_captures(run_id)
        replayed = state.replay_of(run_id)
    finally:
        state.close()
    warcs = list(dict.fromkeys([r["warc_file"] for r in rows] + [r["body_warc_file"] for r in rows
                                                                   if r["body_warc_file"]]))
    if not warcs:
        return {"error": f"run {run_id} captured nothing: no WACZ"}
    if not any(r["record_type"] == "response" and 200 <= r["status"] < 300 and r["kind"] != "robots"
               for r in rows):
        return {"skipped": f"run {run_id} archived no new page (every page unchanged: revisit records "
                           f"only, in warc/); no WACZ"}
    pages, seen = [], set()
    for row in reversed(rows):  # the last capture of each URL in the run
        if row["kind"] != "article" or row["body_warc_file"] is None or row["url"] in seen:
            continue
        seen.add(row["url"])
        doc_id = get_profile(row["site"]).document_id(row["url"])
        # the title of this run's pages only: reading every stored document for them cost a large
        # archive's whole store per crawl
        try:
            doc = load_document(home, row["site"], doc_id) if doc_id else None
        except ValueError:   # not an id the store could hold: no document of it
            doc = None
        if doc is not None:
            pages.append(Page(row["url"], row["captured_at"], doc_id, doc.title))
    description = f"kcorpus crawl run {run_id}" + (
        f", a replay of {', '.join(r['file'] for r in replayed)}" if replayed else "")
    out = home.wacz_dir / wacz_name(run_id)
    try:
        package_run([home.warc_dir / w for w in warcs], sorted(pages, key=lambda p: p.kcorpus_id), out,
                    title=f"kcorpus crawl {run_id}", description=description)
    except (WaczError, FileExistsError) as exc:
        return {"error": str(exc)}
    return {"file": str(out), "pages": len(pages), "warcs": warcs}


REFUSALS_KEPT = 200   # refused pages named per site and run (all are counted)


def settle_outcome(home: DataHome, site: str, run_id: str, crawl_report: dict, clean_report: dict) -> dict:
    """The site's outcome for this run, recorded in the crawl state: the crawl's own (ok, partial,
    unreachable), or changed-layout when the layout canaries trip against its last ok crawl.

    Returns {"outcome", "cause", "run_id"} (what the release manifest carries under crawl_outcomes).
    """
    profile = get_profile(site)
    metrics = layout_metrics(
        list_pages=crawl_report.get("index_pages_ok", 0),
        empty_list_pages=crawl_report.get("empty_index_pages", 0),
        cleaned_pages=len(clean_report["cleaned"]) + len(clean_report["failures"]),
        no_body_pages=clean_report.get("no_body", 0), body_chars=clean_report.get("body_chars", []),
        body_ratios=clean_report.get("body_ratios", []))
    # the pages refused as not articles (lists, error pages, attachments, empty posts), by kind and the
    # first of them by name: what `kcorpus status` and the next release's quality report show
    metrics["refusals"] = dict(clean_report.get("refusals") or {})
    refused = [{"site": site, "url": s["url"], "kind": "error", "reason": s["reason"]}
               for s in clean_report.get("soft_404", [])]
    refused += [{"site": site, "url": f["url"], "kind": f.get("kind", "unreadable"), "reason": f["error"]}
                for f in clean_report.get("failures", [])]
    metrics["refused"] = refused[:REFUSALS_KEPT]
    outcome, cause = crawl_report.get("outcome", "ok"), crawl_report.get("cause", "")
    state = CrawlState(home.state_db)
    try:
        if outcome != "unreachable":
            baseline = state.last_outcomes(only_ok=True, before_run=run_id).get(site)
            changed = layout_change(metrics, baseline["metrics"] if baseline else None, profile.canary)
            if changed:
                outcome, cause = "changed-layout", changed + (f"; also {cause}" if cause else "")
        state.set_outcome(run_id, site, outcome, cause, metrics)
    finally:
        state.close()
    return {"outcome": outcome, "cause": cause, "run_id": run_id}


def failure_lines(outcomes: dict[str, dict]) -> list[str]:
    """One line per site whose run was not ok: "site: outcome: cause" (the CLI's and the flow's message)."""
    return [f"{site}: {o['outcome']}: {o['cause']}" for site, o in sorted(outcomes.items()) if o["outcome"] != "ok"]


class RunFailed(RuntimeError):
    """A run in which some site was not ok (or the release was blocked); carries the run's summary, since
    everything was still recorded. A flow that ends Failed carries it as its state's data, so calling
    the flow from Python raises this one-line error instead of Prefect's "dict cannot be resolved into an
    exception"."""

    def __init__(self, summary: dict, message: str | None = None):
        self.summary = summary
        super().__init__(message or "; ".join(failure_lines(summary["outcomes"])))

    def __reduce__(self):  # picklable with its summary (Prefect may persist a state's data)
        return type(self), (self.summary, str(self))


def refresh_sequence(home: DataHome, sites: list[str], crawl_and_clean: Callable[[str], tuple[dict, dict]], *,
                     replay_of: list[dict] | None = None, settle: Callable = settle_outcome,
                     package: Callable = package_wacz) -> dict:
    """The refresh, written once: register the run, crawl and clean every site, settle each site's
    outcome, package the run's WACZ, and close the run ("failed" when anything raised, so a crashed run
    never stays "running").

    `crawl_and_clean(run_id)` returns (crawl reports, clean reports) per site: sites in threads
    (refresh below), Prefect tasks or Dask batches (flows.refresh); `settle` and `package` may be the
    Prefect tasks wrapping settle_outcome and package_wacz.

    Returns {"run_id", "crawl": {site: SiteCrawlReport}, "clean": {site: CleanReport}, "outcomes":
    {site: {"outcome", "cause", "run_id"}}, "wacz": {"file", "pages", "warcs"}, {"error"} or {"skipped"}};
    the caller decides what a not-ok outcome means (see failure_lines).
    """
    run_id = begin_run(home, sites, replay_of)
    try:
        crawl_reports, clean_reports = crawl_and_clean(run_id)
        outcomes = {site: settle(home, site, run_id, crawl_reports[site], clean_reports[site]) for site in sites}
        wacz = package(home, run_id)
    except BaseException:
        end_run(home, run_id, "failed")
        raise
    end_run(home, run_id)
    return {"run_id": run_id, "crawl": crawl_reports, "clean": clean_reports, "outcomes": outcomes,
            "wacz": wacz}


def refresh(home: DataHome, sites: list[str], *, settings: CrawlSettings | None = None,
            replay_port: int | None = None, replay_of: list[dict] | None = None) -> dict:
    """Crawl and clean without Prefect: the refresh sequence with the sites crawled concurrently in
    threads, each site cleaned as soon as its own crawl ends. Returns refresh_sequence's summary."""

    def crawl_then_clean(site: str, run_id: str) -> tuple[dict, dict]:
        report = crawl(home, site, run_id, settings=settings, replay_port=replay_port).to_dict()
        return report, clean_run(home, site, run_id).to_dict()

    def in_threads(run_id: str) -> tuple[dict, dict]:
        with ThreadPoolExecutor(max_workers=max(1, len(sites))) as pool:
            done = {site: pool.submit(crawl_then_clean, site, run_id) for site in sites}
            return ({site: future.result()[0] for site, future in done.items()},
                    {site: future.result()[1] for site, future in done.items()})

    return refresh_sequence(home, sites, in_threads, replay_of=replay_of)


def compare_crawls(home: DataHome) -> CrawlComparison:
    """The two latest finished crawl runs compared, URL by URL: new, gone, changed, failed, not checked
    (LookupError before there are two)."""
    if not home.state_db.exists():
        raise LookupError(f"no crawl state in {home.root}: run kcorpus refresh first")
    state = CrawlState(home.state_db)
    try:
        return compare_latest_runs(state)
    finally:
        state.close()


def last_crawl_outcomes(home: DataHome) -> dict[str, dict]:
    """Per site, {"outcome", "cause", "run_id"} of its latest crawl (empty before the first)."""
    if not home.state_db.exists():
        return {}
    state = CrawlState(home.state_db)
    try:
        return {site: {"outcome": o["outcome"], "cause": o["cause"], "run_id": o["run_id"]}
                for site, o in state.last_outcomes().items()}
    finally:
        state.close()


def last_checked(home: DataHome) -> dict[str, dict]:
    """Per article URL, the newest usable answer of the page (for the release manifest's last_checked),
    with "next_due" when the revisit schedule (scrapers/revisit.py) set when it is re-checked next."""
    if not home.state_db.exists():
        return {}
    state = CrawlState(home.state_db)
    try:
        checked = state.last_checked()
        for url, due in state.next_checks().items():
            if url in checked:
                checked[url]["next_due"] = due
        return checked
    finally:
        state.close()


def last_capture_id(home: DataHome) -> int:
    """Where a progress count of a crawl about to start begins (0 before the first capture)."""
    if not home.state_db.exists():
        return 0
    state = CrawlState.read_only(home.state_db)
    try:
        return state.last_capture_id()
    finally:
        state.close()


def crawl_progress(home: DataHome, since: int) -> dict[str, tuple[int, int]]:
    """Per site, (article pages checked, of those downloaded) since capture `since`, read while a crawl
    runs (the crawl may run in Prefect tasks on other machines: it is watched, not hooked). Empty when
    the crawl state cannot be read yet."""
    import sqlite3
    try:
        state = CrawlState.read_only(home.state_db)
    except sqlite3.Error:
        return {}
    try:
        return state.article_checks_by_site(since)
    except sqlite3.Error:
        return {}
    finally:
        state.close()


def known_articles(home: DataHome) -> dict[str, int]:
    """Per site, the article URLs the crawl state knows before a crawl: the progress total of a re-check
    (a first crawl has none; new articles found on the way raise it)."""
    import sqlite3
    if not home.state_db.exists():
        return {}
    try:
        state = CrawlState.read_only(home.state_db)
    except sqlite3.Error:
        return {}
    try:
        return state.known_articles_by_site()
    except sqlite3.Error:
        return {}
    finally:
        state.close()


def check_sites(sites: list[str] | None, option: str = "--site") -> None:
    """Refuse an unknown site name before anything runs: flows.errors.BadOption naming the option and the
    known sites (core.profiles.UnknownSiteError's message)."""
    from core.profiles import UnknownSiteError
    from flows.errors import BadOption

    for name in sites or []:
        try:
            get_profile(name)
        except UnknownSiteError as exc:
            raise BadOption(option, str(exc).strip("'\"")) from None
