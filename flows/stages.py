"""The stage functions: what the CLI and the Prefect flows both call (remove Prefect and these still run).

Each stage reads only what the one before it wrote (design.md): crawl -> WARC + crawl state;
clean -> documents/ (from WARC, never the network); validate + release -> releases/ (from documents,
never HTML). So any stage can be rerun on its own.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cleaners.store import (StampIndex, current_documents, document_exists, load_document, retire_document,
                            save_document)
from core.datahome import DataHome
from core.document import Document
from core.profiles import get_profile
from scrapers.crawl import SiteCrawlReport, crawl_site
from scrapers.fetch import CrawlSettings, make_client
from scrapers.state import CrawlState, new_run_id, row_to_capture
from scrapers.warcstore import read_response


# --- crawl ------------------------------------------------------------------------------------

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
    import hashlib

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
    titles = {doc.id: doc.title for doc in current_documents(home)}
    pages, seen = [], set()
    for row in reversed(rows):  # the last capture of each URL in the run
        if row["kind"] != "article" or row["body_warc_file"] is None or row["url"] in seen:
            continue
        seen.add(row["url"])
        doc_id = get_profile(row["site"]).document_id(row["url"])
        if doc_id in titles:
            pages.append(Page(row["url"], row["captured_at"], doc_id, titles[doc_id]))
    description = f"kcorpus crawl run {run_id}" + (
        f", a replay of {', '.join(r['file'] for r in replayed)}" if replayed else "")
    out = home.wacz_dir / wacz_name(run_id)
    try:
        package_run([home.warc_dir / w for w in warcs], sorted(pages, key=lambda p: p.kcorpus_id), out,
                    title=f"kcorpus crawl {run_id}", description=description)
    except (WaczError, FileExistsError) as exc:
        return {"error": str(exc)}
    return {"file": str(out), "pages": len(pages), "warcs": warcs}


# --- clean ------------------------------------------------------------------------------------

@dataclass
class CleanReport:
    """What cleaning one site's captures of one run did."""

    site: str
    cleaned: list[str] = field(default_factory=list)     # documents (re)cleaned from a capture
    reused: list[str] = field(default_factory=list)      # same payload, same cleaner: not re-cleaned
    retired: list[str] = field(default_factory=list)     # article gone upstream (404/410, soft 404)
    failures: list[dict] = field(default_factory=list)   # pages the cleaner refused, with the reason
    not_checked: list[str] = field(default_factory=list)  # no answer this run (timeout, 403, 5xx, not in a replay): kept
    no_body: int = 0                                      # pages where the profile's body selector found nothing
    body_chars: list[int] = field(default_factory=list)  # body length of each (re)cleaned document
    soft_404: list[dict] = field(default_factory=list)   # error pages served as 200: counted as gone
    refusals: dict[str, int] = field(default_factory=dict)  # refused pages by kind (list, error, attachment, empty …)

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
    (unless `force`). Why gone: only a 404/410 from the site (scrapers.crawl.retires) or the site's own
    error page (a soft 404, from the profile) retires a document; a timeout, 403, 429, 5xx or a URL a
    replay does not hold leaves it in place, listed as not checked. A page the cleaner refuses, or any
    error on one page, is recorded as that page's failure (with its capture); the previous document,
    if any, is kept and the other pages go on.
    Cleaning runs in `workers` processes (default: every core); only this process writes the store.
    """
    report, jobs = plan_clean(home, site, run_id, force=force)
    return store_cleaned(home, report, clean_in_processes(str(home.warc_dir), jobs, workers))


def plan_clean(home: DataHome, site: str, run_id: str, *, force: bool = False) -> tuple[CleanReport, list[dict]]:
    """What cleaning `run_id` for `site` has to do: retires the documents whose article is gone and
    notes those whose capture is already cleaned (the report), and returns the captures to clean as
    jobs (plain dicts, so they can go to another process or machine)."""
    import cleaners
    from scrapers.crawl import retires

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
            if row["status"] in (404, 410) or row["body_warc_file"] is None \
                    or not (200 <= row["status"] < 300 or row["status"] == 304):
                if retires(row["status"], json.loads(row["headers"])):
                    if retire_document(home, site, doc_id):
                        stamps.forget(doc_id)
                        report.retired.append(doc_id)
                elif document_exists(home, site, doc_id):
                    report.not_checked.append(doc_id)
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
    {"document": Document.to_dict(), "no_body": bool} | {"soft_404": reason} | {"failure": {url, site,
    error, capture}, "no_body": bool}. One page's fault never stops the others (any exception becomes
    that page's failure); `no_body` feeds the layout canaries (the profile's body selector found nothing).
    """
    import cleaners

    results = []
    for job in jobs:
        try:
            stored = read_response(Path(warc_dir), job["warc_file"], job["warc_offset"])
            doc = cleaners.clean_page(stored.body, job["url"], headers=stored.headers, capture=job["provenance"],
                                      template=job.get("template"))  # the site's learned template, if given
            refusal = None
        except cleaners.SoftNotFound as exc:
            # an error page served as 200 ("Page Not Found", GNUBoard's alert page): gone, like a 404
            results.append({"soft_404": exc.reason, "url": job["url"]})
            continue
        except cleaners.CleaningError as exc:
            # a page that is not an article (list, attachment, empty …) says which kind; else a fault
            doc, refusal, kind = None, str(exc), getattr(exc, "kind", "unreadable")
        except OSError:
            raise  # an unreadable data home: a local fault, not this page's
        except Exception as exc:  # noqa: BLE001 — one page's fault never stops the others
            doc, refusal, kind = None, f"{type(exc).__name__}: {exc}".splitlines()[0], "fault"
        no_body = doc is None or doc.extra.get("extraction") != "profile"
        if doc is None:
            results.append({"failure": {"url": job["url"], "site": job["site"], "error": refusal, "kind": kind,
                                        "capture": job["provenance"]}, "no_body": True})
            continue
        results.append({"document": doc.to_dict(), "no_body": no_body})
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
    """Jobs in batches of `size` (default POOL_CHUNK): one batch per pool task (a task per page would
    cost more than the page; Dask batches are dealt by spread() instead)."""
    size = size or POOL_CHUNK
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def spread(jobs: list, batches: int) -> list[list]:
    """`jobs` dealt round-robin into `batches` batches, so every batch gets its share of the costly
    pages (a long memoir chapter costs six news items); gather() puts the results back in job order."""
    batches = max(1, min(batches, len(jobs)))
    return [jobs[i::batches] for i in range(batches)]


def gather(results: list[list], total: int) -> list:
    """The results of spread() batches, back in the order of the jobs."""
    ordered: list = [None] * total
    for i, batch in enumerate(results):
        ordered[i::len(results)] = batch
    return ordered


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
    """Save cleaned documents and their stamps, retire soft 404s, record refusals and the canary
    figures: the only writer of the store."""
    site = report.site
    profile = get_profile(site)
    stamps = StampIndex(home)
    try:
        for result in results:
            report.no_body += 1 if result.get("no_body") else 0
            if "soft_404" in result:
                report.soft_404.append({"url": result["url"], "reason": result["soft_404"]})
                report.refusals["error"] = report.refusals.get("error", 0) + 1
                doc_id = profile.document_id(result["url"])
                if doc_id and retire_document(home, site, doc_id):
                    stamps.forget(doc_id)
                    report.retired.append(doc_id)
                continue
            if "failure" in result:
                report.failures.append(result["failure"])
                kind = result["failure"].get("kind", "unreadable")
                report.refusals[kind] = report.refusals.get(kind, 0) + 1
                continue
            doc = Document.from_dict(result["document"])
            save_document(home, doc)
            stamps.put(doc)
            report.cleaned.append(doc.id)
            report.body_chars.append(len(doc.text))
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

    def __init__(self, failures: list, data_docs_path, quality_report: Path | None = None):
        self.failures = failures
        self.data_docs_path = data_docs_path
        self.quality_report = quality_report
        super().__init__("; ".join(f.message for f in failures))


@dataclass
class BlockedRelease:
    """A release the gate refused: an expected outcome (returned by the flow), not a crash."""

    messages: list[str]
    data_docs_path: Path | None
    quality_report: Path | None = None


@dataclass
class ReleaseOutcome:
    """The result of validating the current documents and releasing those that passed."""

    release: object                      # corpus.release.Release
    passed: int
    quarantined: list[str]
    batch_failures: list[str]
    data_docs_path: Path | None
    quality_report: Path | None = None   # reports/quality-<version>.html


def validate_and_release(home: DataHome, *, version: str | None = None, allow_partial: bool = False,
                         today=None) -> ReleaseOutcome:
    """Validate every current document (GX gate), quarantine failures, release the rest.

    Raises ReleaseBlocked when a batch expectation fails and `allow_partial` is false; with
    `allow_partial`, the failures are recorded in the release manifest.
    """
    from corpus.release import build_release, check_version, previous_counts
    from expectations import validate_batch
    from expectations.quarantine import write_quarantine

    if version is not None:
        check_version(home, version)  # a taken or malformed version fails before the gate runs
    documents = current_documents(home)
    outcomes = last_crawl_outcomes(home)
    before = previous_counts(home)
    result = validate_batch(documents, home=home, previous_counts=before, crawl_outcomes=outcomes)
    write_quarantine(home, result)
    if result.batch_failures and not allow_partial:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dt%H%M%S")
        report = write_quality_report(home, result, f"quality-refused-{stamp}.html", title="Release refused",
                                      release=None, previous=before)
        raise ReleaseBlocked(result.batch_failures, result.data_docs_path, report)
    quarantined = [{"id": d.id, "site": d.site, "failed": [f.message.split(": ", 1)[-1] for f in result.verdicts[d.id]]}
                   for d in result.quarantined]
    release = build_release(home, result.passed, version=version, today=today,
                            partial=[f.message for f in result.batch_failures] or None,
                            quarantined=quarantined, checked=last_checked(home), crawl_outcomes=outcomes)
    report = write_quality_report(home, result, f"quality-{release.version}.html",
                                  title=f"Release {release.version}", release=release.version, previous=before)
    return ReleaseOutcome(release, len(result.passed), [d.id for d in result.quarantined],
                          [f.message for f in result.batch_failures], result.data_docs_path, report)


def write_quality_report(home: DataHome, result, name: str, *, title: str, release: str | None,
                         previous: dict[str, int]) -> Path:
    """Write the offline quality report of a gate run under reports/ (expectations.report)."""
    from expectations.report import render_quality_report

    home.reports_dir.mkdir(parents=True, exist_ok=True)
    path = home.reports_dir / name
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_quality_report(result, title=title, release=release, previous_counts=previous),
                   encoding="utf-8")
    os.replace(tmp, path)
    return path


def settle_outcome(home: DataHome, site: str, run_id: str, crawl_report: dict, clean_report: dict) -> dict:
    """The site's outcome for this run, recorded in the crawl state: the crawl's own (ok, partial,
    unreachable), or changed-layout when the layout canaries trip against its last ok crawl.

    Returns {"outcome", "cause", "run_id"} (what the release manifest carries under crawl_outcomes).
    """
    from scrapers.canary import layout_change, layout_metrics

    profile = get_profile(site)
    metrics = layout_metrics(
        list_pages=crawl_report.get("index_pages_ok", 0),
        empty_list_pages=crawl_report.get("empty_index_pages", 0),
        cleaned_pages=len(clean_report["cleaned"]) + len(clean_report["failures"]),
        no_body_pages=clean_report.get("no_body", 0), body_chars=clean_report.get("body_chars", []))
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


def refresh(home: DataHome, sites: list[str], *, settings: CrawlSettings | None = None,
            replay_port: int | None = None, replay_of: list[dict] | None = None) -> dict:
    """Crawl and clean without Prefect: the flow's work, sites crawled concurrently in threads.

    Returns the same summary as flows.refresh.refresh: {"run_id", "crawl": {...}, "clean": {...},
    "outcomes": {site: {"outcome", "cause", "run_id"}}}; the caller decides what a not-ok outcome
    means (see failure_lines).
    """
    from concurrent.futures import ThreadPoolExecutor

    def crawl_then_clean(site: str) -> tuple[dict, dict]:
        # each site is cleaned as soon as its own crawl ends, while the other sites still crawl
        report = crawl(home, site, run_id, settings=settings, replay_port=replay_port).to_dict()
        return report, clean_run(home, site, run_id).to_dict()

    run_id = begin_run(home, sites, replay_of)
    try:
        with ThreadPoolExecutor(max_workers=max(1, len(sites))) as pool:
            done = {site: pool.submit(crawl_then_clean, site) for site in sites}
            crawl_reports = {site: future.result()[0] for site, future in done.items()}
            clean_reports = {site: future.result()[1] for site, future in done.items()}
        outcomes = {site: settle_outcome(home, site, run_id, crawl_reports[site], clean_reports[site])
                    for site in sites}
        wacz = package_wacz(home, run_id)
    except BaseException:
        end_run(home, run_id, "failed")
        raise
    end_run(home, run_id)
    return {"run_id": run_id, "crawl": crawl_reports, "clean": clean_reports, "outcomes": outcomes,
            "wacz": wacz}


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


def verify_release(home: DataHome, release_dir: Path) -> tuple[int, list[str]]:
    """Recheck a release: every checksum (SHA256SUMS, manifest) and, for each document, the WARC
    payload its capture points to. Returns (documents checked, problems, one line each)."""
    from corpus.release import verify_checksums
    from scrapers.warcstore import check_payload

    problems = verify_checksums(release_dir)
    records = Path(release_dir) / "documents.jsonl"
    checked = 0
    if records.exists():
        for line in records.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            checked += 1
            capture = doc.get("capture") or {}
            if not capture.get("warc_file"):
                continue
            problem = check_payload(home.warc_dir, capture["warc_file"], int(capture["warc_offset"]),
                                    capture.get("payload_digest") or "")
            if problem:
                problems.append(f"{doc['id']}: {problem}")
    return checked, problems


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
    from scrapers.revisit import describe
    for site, crawl_report in refresh_summary["crawl"].items():
        if crawl_report.get("revisit"):
            lines += ["", f"{site}: {describe(crawl_report['revisit'])}"]
        lines += [line for w in crawl_report.get("warnings", []) for line in ("", f"**Warning** ({site}): {w}")]
    if release_outcome:
        rel = release_outcome.release
        lines += ["", f"**Release {rel.version}**: {rel.documents} documents at `{rel.path}`"]
    diff = audit_outcome.diff
    if diff is not None:
        lines += ["", f"**Changes since {diff.old}**: {len(diff.added)} new, {len(diff.edited)} changed "
                      f"({sum(e.kind == 'upstream' for e in diff.edited)} upstream, "
                      f"{sum(e.kind == 'pipeline' for e in diff.edited)} pipeline), {len(diff.removed)} removed"]
    return "\n".join(lines) + "\n"


# --- backfill from the Wayback Machine -------------------------------------------------------------

def backfill(home: DataHome, site: str, *, from_year: int | None = None, to_year: int | None = None,
             limit: int | None = None, settings: CrawlSettings | None = None, wayback: str | None = None) -> dict:
    """Archive the Wayback Machine's captures of a site's articles, then clean every captured version.

    Each capture becomes a version in its document's history (document.extra["versions"]); the newest
    version becomes the current document unless a newer one (a live crawl) is already held. The run is
    recorded with status "backfill", so the crawl audit keeps comparing live crawls with live crawls.
    Returns {"run_id", "backfill": BackfillReport as dict, "clean": CleanReport as dict}.
    """
    from scrapers.wayback import WAYBACK, backfill_site

    profile = get_profile(site)
    settings = settings or CrawlSettings()
    run_id = begin_run(home, [site])
    state = CrawlState(home.state_db)
    client = make_client(settings)
    try:
        report = backfill_site(profile, state=state, warc_dir=home.warc_dir, run_id=run_id, client=client,
                               settings=settings, base=wayback or WAYBACK, from_year=from_year, to_year=to_year,
                               limit=limit)
        touched = sorted({profile.document_id(row["url"]) for row in state.run_captures(run_id, site, kind="wayback")}
                         - {None})
    finally:
        client.close()
        state.close()
    end_run(home, run_id, status="backfill")
    clean_report = clean_versions(home, site, touched)
    return {"run_id": run_id, "backfill": report.to_dict(), "clean": clean_report.to_dict()}


def _captures_by_document(state: CrawlState, profile: Profile) -> dict[str, list]:
    """Every capture holding a payload (live crawls and Wayback copies) per document id, oldest first:
    one article's URLs differ by scheme or host alias between the Wayback's index and the live site."""
    by_id: dict[str, list] = {}
    for url in state.capture_urls(profile.name, ("article", "wayback")):
        doc_id = profile.document_id(url)
        if doc_id:
            by_id.setdefault(doc_id, []).extend(state.url_captures(url))
    for rows in by_id.values():
        rows.sort(key=lambda r: (r["captured_at"], r["id"]))
    return by_id


def clean_versions(home: DataHome, site: str, doc_ids: list[str]) -> CleanReport:
    """Clean every captured version of the given documents; store the newest, with the version list."""
    import cleaners

    profile = get_profile(site)
    report = CleanReport(site)
    state = CrawlState(home.state_db)
    stamps = StampIndex(home)
    try:
        by_id = _captures_by_document(state, profile)
        for doc_id in doc_ids:
            versions, cleaned = [], {}
            for row in by_id.get(doc_id, []):
                capture = row_to_capture(row)
                digest = capture.payload_digest
                if digest not in cleaned:
                    provenance = {**capture.provenance(), "via": "wayback" if row["kind"] == "wayback" else "crawl"}
                    stored = read_response(home.warc_dir, capture.warc_file, capture.warc_offset)
                    try:
                        cleaned[digest] = cleaners.clean_page(stored.body, capture.url, headers=stored.headers,
                                                              capture=provenance)
                    except cleaners.CleaningError as exc:
                        report.failures.append({"url": capture.url, "site": site, "error": str(exc),
                                                "capture": provenance})
                        cleaned[digest] = None
                doc = cleaned[digest]
                if doc is not None:
                    versions.append({"captured_at": capture.captured_at, "via": "wayback" if row["kind"] == "wayback"
                                     else "crawl", "url": capture.url, "payload_digest": digest,
                                     "record_id": capture.record_id, "warc_file": capture.warc_file,
                                     "warc_offset": capture.warc_offset, "text_sha256": doc.text_sha256()})
            if not versions:
                continue
            newest = versions[-1]
            doc = cleaned[newest["payload_digest"]]
            doc.capture = {**(doc.capture or {}), "captured_at": newest["captured_at"], "record_id": newest["record_id"],
                           "via": newest["via"], "warc_file": newest["warc_file"], "warc_offset": newest["warc_offset"]}
            current = load_document(home, site, doc_id)
            if current is not None and (current.capture or {}).get("captured_at", "") > newest["captured_at"]:
                doc = current  # a newer live capture stays the current text; it gains the history
            doc.extra = {**doc.extra, "versions": versions}
            save_document(home, doc)
            stamps.put(doc)
            report.cleaned.append(doc_id)
    finally:
        stamps.close()
        state.close()
    return report


def version_edits(home: DataHome, sites: list[str] | None = None) -> list:
    """The edits between captured versions of every current document that has more than one text
    (corpus.history.VersionEdit, dated by both captures). Reads WARC only."""
    import cleaners
    from corpus.versions import version_edits as edits_between

    edits = []
    for doc in current_documents(home, sites):
        versions = doc.extra.get("versions") or []
        if len({v["text_sha256"] for v in versions}) < 2:
            continue
        cleaned: dict[str, Document] = {}
        docs = []
        for v in versions:
            if v["payload_digest"] not in cleaned:
                stored = read_response(home.warc_dir, v["warc_file"], v["warc_offset"])
                cleaned[v["payload_digest"]] = cleaners.clean_page(stored.body, v["url"], headers=stored.headers)
            version = Document.from_dict(cleaned[v["payload_digest"]].to_dict())
            version.capture = {"captured_at": v["captured_at"], "via": v["via"]}
            docs.append(version)
        edits += edits_between(docs)
    return edits


def witnesses(home: DataHome, sites: list[str] | None = None) -> tuple[list, list]:
    """Copies of one article across the current documents: (works with more than one witness, and the
    word-level differences of each witness from its work's base witness)."""
    from corpus.witnesses import link_witnesses, witness_differences

    documents = current_documents(home, sites)
    by_id = {d.id: d for d in documents}
    works = [w for w in link_witnesses(documents) if len(w.witnesses) > 1]
    return works, [d for w in works for d in witness_differences(w, by_id)]


# --- events, histories, feeds (issue 15) ----------------------------------------------------------

FEED_STEPS = 5   # the stable feeds under reports/feeds/ carry the changes of the last releases, not only the newest


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
