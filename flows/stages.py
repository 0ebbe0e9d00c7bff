"""The stage functions: what the CLI and the Prefect flows both call (remove Prefect and these still run).

Each stage reads only what the one before it wrote (design.md): crawl -> WARC + crawl state;
clean -> documents/ (from WARC, never the network); validate + release -> releases/ (from documents,
never HTML). So any stage can be rerun on its own.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cleaners.store import StampIndex, current_documents, document_exists, retire_document, save_document
from core.datahome import DataHome
from core.document import Document
from core.profiles import get_profile
from scrapers.crawl import SiteCrawlReport, crawl_site
from scrapers.fetch import CrawlSettings, make_client
from scrapers.state import CrawlState, new_run_id, row_to_capture
from scrapers.warcstore import read_response


# --- crawl ------------------------------------------------------------------------------------

def begin_run(home: DataHome, sites: list[str]) -> str:
    """Register a crawl run in the state database; returns its id."""
    home.ensure()
    run_id = new_run_id()
    state = CrawlState(home.state_db)
    try:
        state.start_run(run_id, sites)
    finally:
        state.close()
    return run_id


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


# --- clean ------------------------------------------------------------------------------------

@dataclass
class CleanReport:
    """What cleaning one site's captures of one run did."""

    site: str
    cleaned: list[str] = field(default_factory=list)     # documents (re)cleaned from a capture
    reused: list[str] = field(default_factory=list)      # same payload, same cleaner: not re-cleaned
    retired: list[str] = field(default_factory=list)     # article gone upstream (404/410)
    failures: list[dict] = field(default_factory=list)   # pages the cleaner refused, with the reason

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _latest_article_rows(state: CrawlState, run_id: str, site: str):
    """The last capture of each article URL in this run (retries leave earlier attempts behind)."""
    latest = {}
    for row in state.run_captures(run_id, site, kind="article"):
        latest[row["url"]] = row
    return latest


def clean_run(home: DataHome, site: str, run_id: str, *, force: bool = False,
              workers: int | None = None) -> CleanReport:
    """Clean the article captures of `run_id` for `site` into the document store.

    A capture whose payload digest and cleaner version match the stored document's is not re-cleaned
    (unless `force`). A 404/410 retires the document. A page the cleaner refuses is recorded as a
    failure (with its capture) and the previous document, if any, is kept.
    Cleaning runs in `workers` processes (default: every core); only this process writes the store.
    """
    report, jobs = plan_clean(home, site, run_id, force=force)
    return store_cleaned(home, report, clean_in_processes(str(home.warc_dir), jobs, workers))


def plan_clean(home: DataHome, site: str, run_id: str, *, force: bool = False) -> tuple[CleanReport, list[dict]]:
    """What cleaning `run_id` for `site` has to do: retires the documents whose article is gone and
    notes those whose capture is already cleaned (the report), and returns the captures to clean as
    jobs (plain dicts, so they can go to another process or machine)."""
    import cleaners

    profile = get_profile(site)
    report = CleanReport(site)
    jobs = []
    state = CrawlState(home.state_db)
    stamps = StampIndex(home)
    try:
        for url, row in _latest_article_rows(state, run_id, site).items():
            doc_id = profile.document_id(url)
            if doc_id is None:
                continue
            if row["status"] in (404, 410):
                if retire_document(home, site, doc_id):
                    stamps.forget(doc_id)
                    report.retired.append(doc_id)
                continue
            if row["body_warc_file"] is None or not (200 <= row["status"] < 300 or row["status"] == 304):
                continue
            capture = row_to_capture(row)
            if not force and stamps.get(doc_id) == (capture.payload_digest, cleaners.CLEANER_VERSION) \
                    and document_exists(home, site, doc_id):
                report.reused.append(doc_id)
                continue
            jobs.append({"site": site, "url": capture.url, "warc_file": capture.warc_file,
                         "warc_offset": capture.warc_offset, "provenance": capture.provenance()})
    finally:
        stamps.close()
        state.close()
    return report, jobs


def clean_captures(warc_dir: str, jobs: list[dict]) -> list[dict]:
    """Clean captures from WARC: a pure function of the archived bytes, safe to run in any process or
    on any machine that can read the WARC folder. Writes nothing. One result per job, in order:
    {"document": Document.to_dict()} or {"failure": {url, site, error, capture}}."""
    import cleaners

    results = []
    for job in jobs:
        stored = read_response(Path(warc_dir), job["warc_file"], job["warc_offset"])
        try:
            doc = cleaners.clean_page(stored.body, job["url"], headers=stored.headers, capture=job["provenance"])
        except cleaners.CleaningError as exc:
            results.append({"failure": {"url": job["url"], "site": job["site"], "error": str(exc),
                                        "capture": job["provenance"]}})
            continue
        results.append({"document": doc.to_dict()})
    return results


# Below this many pages a pool costs more than it saves (each worker process imports the cleaner:
# ~1-2 s for trafilatura and wordfreq), so they are cleaned in this process.
POOL_MIN_PAGES = 200
POOL_CHUNK = 50


def default_workers() -> int:
    """Cleaning processes by default: every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def chunks(jobs: list[dict], size: int | None = None) -> list[list[dict]]:
    """Jobs in batches of `size` (default POOL_CHUNK): one batch per pool or Dask task (a task per
    page would cost more than the page)."""
    size = size or POOL_CHUNK
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def clean_in_processes(warc_dir: str, jobs: list[dict], workers: int | None = None) -> list[dict]:
    """clean_captures over a process pool of `workers` (default: every core), results in job order.

    Processes are spawned, not forked: the caller may be a Prefect flow with threads and open
    connections, which a fork would copy in an undefined state.
    """
    workers = workers or default_workers()
    if workers <= 1 or len(jobs) < POOL_MIN_PAGES:
        return clean_captures(warc_dir, jobs)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    batches = chunks(jobs)
    with ProcessPoolExecutor(max_workers=min(workers, len(batches)),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        return [result for batch in pool.map(clean_captures, [warc_dir] * len(batches), batches)
                for result in batch]


def store_cleaned(home: DataHome, report: CleanReport, results: list[dict]) -> CleanReport:
    """Save cleaned documents and their stamps, record refusals: the only writer of the store."""
    stamps = StampIndex(home)
    try:
        for result in results:
            if "failure" in result:
                report.failures.append(result["failure"])
                continue
            doc = Document.from_dict(result["document"])
            save_document(home, doc)
            stamps.put(doc)
            report.cleaned.append(doc.id)
    finally:
        stamps.close()
    return report


def reclean(home: DataHome, sites: list[str] | None = None, *, workers: int | None = None) -> list[CleanReport]:
    """Re-clean every current document from its own capture (after a cleaning rule changed), in
    `workers` processes (default: every core).

    Reads WARC only; the audit then classes resulting text changes as "pipeline".
    """
    reports: dict[str, CleanReport] = {}
    jobs: dict[str, list[dict]] = {}
    for doc in current_documents(home, sites):
        reports.setdefault(doc.site, CleanReport(doc.site))
        cap = doc.capture or {}
        if not cap.get("warc_file"):
            continue
        jobs.setdefault(doc.site, []).append({"site": doc.site, "url": doc.source_url, "warc_file": cap["warc_file"],
                                              "warc_offset": cap["warc_offset"], "provenance": cap})
    ordered = [job for site in reports for job in jobs.get(site, [])]
    results = iter(clean_in_processes(str(home.warc_dir), ordered, workers))
    for site, report in reports.items():
        store_cleaned(home, report, [next(results) for _ in jobs.get(site, [])])
    return list(reports.values())


# --- validate + release -------------------------------------------------------------------------

class ReleaseBlocked(RuntimeError):
    """A batch expectation failed: the release is refused unless --allow-partial."""

    def __init__(self, failures: list, data_docs_path):
        self.failures = failures
        self.data_docs_path = data_docs_path
        super().__init__("; ".join(f.message for f in failures))


@dataclass
class BlockedRelease:
    """A release the gate refused: an expected outcome (returned by the flow), not a crash."""

    messages: list[str]
    data_docs_path: Path | None


@dataclass
class ReleaseOutcome:
    """The result of validating the current documents and releasing those that passed."""

    release: object                      # corpus.release.Release
    passed: int
    quarantined: list[str]
    batch_failures: list[str]
    data_docs_path: Path | None


def validate_and_release(home: DataHome, *, version: str | None = None, allow_partial: bool = False,
                         today=None) -> ReleaseOutcome:
    """Validate every current document (GX gate), quarantine failures, release the rest.

    Raises ReleaseBlocked when a batch expectation fails and `allow_partial` is false; with
    `allow_partial`, the failures are recorded in the release manifest.
    """
    from corpus.release import build_release, previous_counts
    from expectations import validate_batch
    from expectations.quarantine import write_quarantine

    documents = current_documents(home)
    result = validate_batch(documents, home=home, previous_counts=previous_counts(home))
    write_quarantine(home, result)
    if result.batch_failures and not allow_partial:
        raise ReleaseBlocked(result.batch_failures, result.data_docs_path)
    quarantined = [{"id": d.id, "site": d.site, "failed": [f.expectation for f in result.verdicts[d.id]]}
                   for d in result.quarantined]
    release = build_release(home, result.passed, version=version, today=today,
                            partial=[f.message for f in result.batch_failures] or None,
                            quarantined=quarantined, checked=last_checked(home))
    return ReleaseOutcome(release, len(result.passed), [d.id for d in result.quarantined],
                          [f.message for f in result.batch_failures], result.data_docs_path)


def refresh(home: DataHome, sites: list[str], *, settings: CrawlSettings | None = None,
            replay_port: int | None = None) -> dict:
    """Crawl and clean without Prefect: the flow's work, sites crawled concurrently in threads.

    Returns the same summary as flows.refresh.refresh: {"run_id", "crawl": {...}, "clean": {...}}.
    """
    from concurrent.futures import ThreadPoolExecutor

    run_id = begin_run(home, sites)
    with ThreadPoolExecutor(max_workers=max(1, len(sites))) as pool:
        crawls = {site: pool.submit(crawl, home, site, run_id, settings=settings, replay_port=replay_port)
                  for site in sites}
        crawl_reports = {site: future.result().to_dict() for site, future in crawls.items()}
    clean_reports = {site: clean_run(home, site, run_id).to_dict() for site in sites}
    end_run(home, run_id)
    return {"run_id": run_id, "crawl": crawl_reports, "clean": clean_reports}


# --- audit ---------------------------------------------------------------------------------------

@dataclass
class AuditOutcome:
    """The audit of the latest release against the one before, and of the two latest crawls."""

    diff: object | None          # corpus.diff.ReleaseDiff (None with fewer than two releases)
    report: Path | None          # the self-contained HTML report under reports/
    crawl: object | None         # scrapers.audit.CrawlAudit (None with fewer than two finished crawls)


def audit(home: DataHome) -> AuditOutcome:
    """Diff the two latest releases (HTML report under reports/) and the two latest crawl runs."""
    from corpus.diff import diff_releases
    from corpus.release import list_releases
    from corpus.report import render_html
    from scrapers.audit import audit_latest

    releases = list_releases(home)
    diff = report = None
    if len(releases) >= 2:
        diff = diff_releases(releases[-2].path, releases[-1].path)
        home.reports_dir.mkdir(parents=True, exist_ok=True)
        report = home.reports_dir / f"diff-{releases[-2].version}-{releases[-1].version}.html"
        report.write_text(render_html(diff), encoding="utf-8")
    state = CrawlState(home.state_db)
    try:
        crawl_audit = audit_latest(state)
    except LookupError:
        crawl_audit = None
    finally:
        state.close()
    return AuditOutcome(diff, report, crawl_audit)


def run_summary_markdown(refresh_summary: dict, release_outcome, audit_outcome: AuditOutcome) -> str:
    """The markdown summary a scheduled run publishes (as a Prefect artifact)."""
    lines = [f"# kcorpus run {refresh_summary['run_id']}", "",
             "| site | articles | downloaded | unchanged | gone | failed | cleaned | quarantined |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    quarantined = set(release_outcome.quarantined) if release_outcome else set()
    for site, crawl_report in refresh_summary["crawl"].items():
        clean_report = refresh_summary["clean"][site]
        held = sum(1 for doc_id in quarantined if doc_id.startswith(site + "-"))
        lines.append(f"| {site} | {crawl_report['articles']} | {crawl_report['downloaded']} | "
                     f"{crawl_report['unchanged']} | {crawl_report['gone']} | {len(crawl_report['failed'])} | "
                     f"{len(clean_report['cleaned'])} | {held} |")
    if release_outcome:
        rel = release_outcome.release
        lines += ["", f"**Release {rel.version}**: {rel.documents} documents at `{rel.path}`"]
    diff = audit_outcome.diff
    if diff is not None:
        lines += ["", f"**Changes since {diff.old}**: {len(diff.added)} new, {len(diff.edited)} changed "
                      f"({sum(e.kind == 'upstream' for e in diff.edited)} upstream, "
                      f"{sum(e.kind == 'pipeline' for e in diff.edited)} pipeline), {len(diff.removed)} removed"]
    return "\n".join(lines) + "\n"


# --- events, histories, feeds (issue 15) ----------------------------------------------------------

FEED_STEPS = 5   # the stable feeds under reports/feeds/ carry the changes of the last releases, not only the newest


def last_checked(home: DataHome) -> dict[str, dict]:
    """Per article URL, the newest usable answer of the page (for the release manifest's last_checked)."""
    if not home.state_db.exists():
        return {}
    state = CrawlState(home.state_db)
    try:
        return state.last_checked()
    finally:
        state.close()


def watchlist(home: DataHome):
    """The data home's watch-list entries (none when there is no watchlist.toml)."""
    from corpus.watchlist import load_watchlist
    return load_watchlist(home.watchlist)


@dataclass
class ReleaseAudit:
    """The audit written for the newest release: its changes, the HTML report, history pages, feeds."""

    changes: object | None            # corpus.events.ReleaseChanges (None before the second release)
    report: Path | None
    history_pages: list[Path] = field(default_factory=list)
    feeds: dict[str, Path] = field(default_factory=dict)


def document_history(home: DataHome, doc_id: str):
    """Every capture (from the crawl state) and every released version of one document."""
    from corpus.events import ReleaseView
    from corpus.history import document_history as build
    from corpus.release import list_releases

    paths = [info.path for info in list_releases(home)]
    urls = {entry["source_url"] for p in paths for i, entry in ReleaseView.read(p).entries.items() if i == doc_id}
    captures = []
    if home.state_db.exists() and urls:
        state = CrawlState(home.state_db)
        try:
            for url in sorted(urls):
                captures += [{k: row[k] for k in ("captured_at", "run_id", "url", "status", "record_type",
                                                  "payload_digest", "record_id", "warc_file", "error")}
                             for row in state.url_captures(url)]
        finally:
            state.close()
    return build(paths, doc_id, captures)


def publish_release_audit(home: DataHome, base_url: str | None = None) -> ReleaseAudit:
    """After a release: compare it with the one before (events, moves, not checked, cosmetic, watch-list),
    write reports/audit-OLD-NEW.html, a history page for every document it names, and the Atom feeds
    (reports/feeds/<version>/ for this release, reports/feeds/*.atom over the last releases)."""
    from corpus.events import timeline
    from corpus.events_report import history_file_name, render_changes_html, render_history_html
    from corpus.feeds import release_feeds
    from corpus.release import list_releases

    infos = list_releases(home)
    if len(infos) < 2:
        return ReleaseAudit(None, None)
    entries = watchlist(home)
    recent = infos[-(FEED_STEPS + 1):]
    tl = timeline([i.path for i in recent], entries)
    step = tl.steps[-1]
    reports = home.reports_dir
    feeds_dir = reports / "feeds"
    (feeds_dir / step.new).mkdir(parents=True, exist_ok=True)
    (reports / "history").mkdir(parents=True, exist_ok=True)
    base = base_url or reports.resolve().as_uri() + "/"

    def report_name(s) -> str:
        return f"audit-{s.old}-{s.new}.html"

    sites = sorted({e["site"] for i in recent[-2:] for e in _manifest_entries(i.path)})
    feed_links = {"all": f"feeds/{step.new}/all.atom", **{s: f"feeds/{step.new}/site-{s}.atom" for s in sites},
                  **{e.name: f"feeds/{step.new}/watch-{e.slug}.atom" for e in entries}}
    report = reports / report_name(step)
    report.write_text(render_changes_html(step, "history/", feed_links), encoding="utf-8")
    named = {c.id for c in step.changes if c.change != "not_checked"} | \
            {c.moved_from["id"] for c in step.changes if c.moved_from} | \
            {i for row in step.watch.values() for i in row["lost"] + row["gained"]}
    pages = []
    for doc_id in sorted(named):
        page = reports / "history" / history_file_name(doc_id)
        page.write_text(render_history_html(document_history(home, doc_id)), encoding="utf-8")
        pages.append(page)
    timed = {i.version: i.created_at for i in recent}
    written: dict[str, Path] = {}
    this_release = release_feeds([(step, base + report_name(step), timed[step.new])],
                                 f"{base}feeds/{step.new}/", entries, sites)
    for name, data in this_release.items():
        (feeds_dir / step.new / name).write_bytes(data)
        written[f"{step.new}/{name}"] = feeds_dir / step.new / name
    stable = release_feeds([(s, base + report_name(s), timed[s.new]) for s in reversed(tl.steps)],
                           f"{base}feeds/", entries, sites)
    for name, data in stable.items():
        (feeds_dir / name).write_bytes(data)
        written[name] = feeds_dir / name
    for s in tl.steps[:-1]:  # earlier steps' reports, for the stable feeds' links (written once)
        if not (reports / report_name(s)).exists():
            (reports / report_name(s)).write_text(render_changes_html(s, "history/"), encoding="utf-8")
    return ReleaseAudit(step, report, pages, written)


def _manifest_entries(release_dir: Path) -> list[dict]:
    from corpus.events import ReleaseView
    return list(ReleaseView.read(release_dir).entries.values())


def audit_since(home: DataHome, since: str):
    """The timeline from release `since` (a version or a date YYYY-MM-DD) to the newest release."""
    from corpus.events import releases_since, timeline
    from corpus.release import list_releases

    infos = releases_since(list_releases(home), since)
    return timeline([i.path for i in infos], watchlist(home))
