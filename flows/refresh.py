"""Prefect flows: thin orchestration over the use cases of flows/ (remove the decorators and it still works).

Work is batched per site — one crawl task and one clean task per site, not one task per page — because
the embedded server costs ~10-47 ms per task run on 2 cores, more than cleaning a page.
Only the network-facing task retries.
"""

from __future__ import annotations

from dataclasses import asdict

from prefect import flow, task
from prefect.states import Failed

from core.datahome import DataHome
from core.profiles import builtin_profiles
from flows.clean import POOL_CHUNK, clean_captures, clean_run, gather, plan_clean, spread, store_cleaned
from flows.crawl import RunFailed, crawl, failure_lines, package_wacz, refresh_sequence, settle_outcome
from flows.release import ReleaseBlocked, validate_and_release
from scrapers.fetch import CrawlSettings


# No timeout_seconds: these tasks run in worker threads, where Prefect cannot interrupt blocking I/O
# (it warns so on every run). Each request is bounded by CrawlSettings.timeout instead.
@task(name="crawl-site", retries=1, retry_delay_seconds=10)
def crawl_site_task(home_root: str, site: str, run_id: str, replay_port: int | None,
                    settings: dict) -> dict:
    """Discover and fetch one site's pages into WARC + crawl state."""
    report = crawl(DataHome.resolve(home_root), site, run_id, settings=CrawlSettings(**settings),
                            replay_port=replay_port)
    return report.to_dict()


@task(name="clean-site")
def clean_site_task(home_root: str, site: str, run_id: str) -> dict:
    """Clean one site's new captures of the run into the document store (in a process pool: all cores)."""
    return clean_run(DataHome.resolve(home_root), site, run_id).to_dict()


@task(name="site-outcome")
def site_outcome_task(home_root: str, site: str, run_id: str, crawl_report: dict, clean_report: dict) -> dict:
    """The site's outcome (ok, partial, unreachable, changed-layout), recorded in the crawl state."""
    return settle_outcome(DataHome.resolve(home_root), site, run_id, crawl_report, clean_report)


@task(name="package-wacz")
def package_wacz_task(home_root: str, run_id: str) -> dict:
    """Package the run's WARC files as a WACZ with its pages (after cleaning: pages carry titles)."""
    return package_wacz(DataHome.resolve(home_root), run_id)


@task(name="clean-batch")
def clean_batch_task(warc_dir: str, jobs: list[dict]) -> list[dict]:
    """Clean a batch of captures from WARC (pure: writes nothing; runs on any worker that reads warc/)."""
    return clean_captures(warc_dir, jobs)


def _tasks_run_in_processes() -> bool:
    """True under a task runner whose tasks run in other processes (Dask): cleaning is then spread as
    batch tasks, instead of each site's task starting its own process pool."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    return context is not None and type(context.task_runner).__name__ == "DaskTaskRunner"


def _dask_threads() -> int:
    """Worker threads of the flow's Dask cluster (1 when it cannot say)."""
    from prefect.context import FlowRunContext

    try:
        return max(1, sum(FlowRunContext.get().task_runner.client.nthreads().values()))
    except Exception:  # noqa: BLE001 - only the batch size depends on it
        return 1


def _crawl_and_clean_on_workers(data_home: DataHome, run_id: str, crawls: dict) -> tuple[dict, dict]:
    """As each site's crawl ends (while others still crawl): plan its cleaning in the flow process and
    send the batches to the workers; then store every site's results in the flow process, the only
    writer of the document store and the stamp index. Returns (crawl reports, clean reports).

    Two batches per worker thread, the site's pages dealt across them: a Prefect task on a Dask worker
    costs ~0.5 s of its own (measured: 50-page batches made a 2-worker cluster 2.3x slower per page
    than one process), so batches are as few as keep every worker busy."""
    from prefect.futures import as_completed

    threads, site_of = _dask_threads(), {id(future): site for site, future in crawls.items()}
    crawl_reports, sent = {}, {}
    for future in as_completed(list(crawls.values())):
        site = site_of[id(future)]
        crawl_reports[site] = future.result()
        report, jobs = plan_clean(data_home, site, run_id)
        batches = spread(jobs, min(2 * threads, -(-len(jobs) // POOL_CHUNK)))
        sent[site] = (report, len(jobs), [clean_batch_task.submit(str(data_home.warc_dir), batch)
                                          for batch in batches if batch])
    clean_reports = {site: store_cleaned(data_home, report,
                                                gather([f.result() for f in futures], count)).to_dict()
                     for site, (report, count, futures) in sent.items()}
    return {site: crawl_reports[site] for site in crawls}, {site: clean_reports[site] for site in crawls}


@flow(name="kcorpus-refresh", log_prints=True)
def refresh(sites: list[str] | None = None, home: str | None = None, replay_port: int | None = None,
            settings: dict | None = None, replay_of: list[dict] | None = None) -> dict:
    """Crawl the sites (concurrently with each other, politely within each) and clean what changed.
    `replay_of` names the WARC files ({file, sha256}) the replay server on `replay_port` serves.

    Returns {"run_id", "crawl": {site: SiteCrawlReport}, "clean": {site: CleanReport}, "outcomes":
    {site: {"outcome", "cause", "run_id"}}, "wacz": {"file", "pages", "warcs"}, {"error"} or {"skipped"}}. When a site is not ok the run ends Failed, its message one
    "site: outcome: cause" per such site; called directly it raises RunFailed, whose `summary` is
    the same summary (flows.runs.flow_summary reads it from a returned state).
    """
    data_home = DataHome.resolve(home)
    root = str(data_home.root)
    sites = sites or sorted(builtin_profiles())
    settings = settings or asdict(CrawlSettings())

    def crawl_and_clean(run_id: str) -> tuple[dict, dict]:
        if _tasks_run_in_processes():
            # the crawl stays in the flow process (threads): it writes the WARC files and the crawl
            # state, which have one writer; only the cleaning batches go to the workers
            from prefect.task_runners import ThreadPoolTaskRunner
            with ThreadPoolTaskRunner(max_workers=max(1, len(sites))) as local:
                crawls = {site: local.submit(crawl_site_task, parameters={
                    "home_root": root, "site": site, "run_id": run_id, "replay_port": replay_port,
                    "settings": settings}) for site in sites}
                return _crawl_and_clean_on_workers(data_home, run_id, crawls)
        crawls = {site: crawl_site_task.submit(root, site, run_id, replay_port, settings) for site in sites}
        # each site is cleaned as soon as its own crawl ends, while the other sites still crawl
        cleans = {site: clean_site_task.submit(root, site, run_id, wait_for=[crawls[site]]) for site in sites}
        return ({site: future.result() for site, future in crawls.items()},
                {site: future.result() for site, future in cleans.items()})

    summary = refresh_sequence(
        data_home, sites, crawl_and_clean, replay_of=replay_of,
        settle=lambda _, site, run_id, crawled, cleaned: site_outcome_task(root, site, run_id, crawled, cleaned),
        package=lambda _, run_id: package_wacz_task(root, run_id))
    outcomes = summary["outcomes"]
    failed = failure_lines(outcomes)
    if failed:
        # a Failed state, not an exception: the run shows Failed in the UI with this message, and no
        # traceback is logged for an outcome kcorpus itself decided
        return Failed(message="; ".join(failed), data=RunFailed(summary))
    return summary


@task(name="validate-and-release")
def validate_and_release_task(home_root: str, version: str | None, allow_partial: bool):
    """Run the GX gate over all current documents, quarantine failures, write the release.

    A refusal by the gate is returned as a BlockedRelease: the gate doing its job is not a task failure
    (Prefect would log it with a traceback); the caller decides what it means.
    """
    try:
        return validate_and_release(DataHome.resolve(home_root), version=version,
                                             allow_partial=allow_partial)
    except ReleaseBlocked as blocked:
        return blocked.outcome()
    except OSError as exc:  # a full disk: said in words, no traceback (the temporary folder is removed)
        from scrapers.warcstore import describe_os_error
        return Failed(message=f"release not written: {describe_os_error(exc)}"
                              + (f" ({exc.filename})" if exc.filename else "") + "; earlier releases are intact")


@flow(name="kcorpus-release", log_prints=True)
def release(home: str | None = None, version: str | None = None, allow_partial: bool = False):
    """Validate the current documents and write an immutable release of those that pass."""
    data_home = DataHome.resolve(home)
    state = validate_and_release_task(str(data_home.root), version, allow_partial, return_state=True)
    if state.is_failed():
        return Failed(message=state.message)  # the flow ends Failed with the task's one-line message
    return state.result()
