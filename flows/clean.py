"""Cleaning: a run's captures into the document store (planned here, cleaned in worker processes or
Dask batches from WARC, never the network, stored by this process alone), and re-cleaning."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cleaners.store import (StampIndex, current_documents, document_exists, load_document, retire_document,
                            save_document)
from core.datahome import DataHome
from core.document import Document
from core.profiles import get_profile
from scrapers.state import CrawlState, row_to_capture
from scrapers.warcstore import read_response


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
    body_ratios: list[float] = field(default_factory=list)  # of a re-cleaned one: its length / its stored predecessor's
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
    from scrapers.answers import retires

    profile = get_profile(site)
    report = CleanReport(site)
    jobs = []
    state = CrawlState(home.state_db)
    stamps = StampIndex(home)
    try:
        template = site_template(home, state, profile, run_id)
        version = cleaners.CLEANER_VERSION + (f"+template-{template.digest}" if template.lines else "")
        for url, row in _latest_article_rows(state, run_id, site).items():
            doc_id = profile.document_id(url)
            if doc_id is None:
                continue
            if row["status"] in (404, 410) or row["body_warc_file"] is None \
                    or not (200 <= row["status"] < 300 or row["status"] == 304):
                if retires(row["status"], json.loads(row["headers"])):
                    why = {"why": f"the site answered HTTP {row['status']}", "status": row["status"], "url": url,
                           "captured_at": row["captured_at"], "record_id": row["record_id"]}
                    if retire_document(home, site, doc_id, why):
                        stamps.forget(doc_id)
                        report.retired.append(doc_id)
                elif document_exists(home, site, doc_id):
                    report.not_checked.append(doc_id)
                continue
            capture = row_to_capture(row)
            if not force and stamps.get(doc_id) == (capture.payload_digest, version) \
                    and document_exists(home, site, doc_id):
                report.reused.append(doc_id)
                continue
            jobs.append({"site": site, "url": capture.url, "warc_file": capture.warc_file,
                         "warc_offset": capture.warc_offset, "provenance": capture.provenance(),
                         "template": template if template.lines else None})
    finally:
        stamps.close()
        state.close()
    return report, jobs


TEMPLATE_SAMPLE = 200   # pages a run learns its site's template from (recurring lines show in far fewer)


def site_template(home: DataHome, state: CrawlState, profile, run_id: str):
    """The site's template (cleaners.template): the lines learned before, and those this run's answered
    pages (its list pages and up to TEMPLATE_SAMPLE articles) add; kept in the data home under its digest,
    which every document cleaned with it names."""
    from cleaners.template import SiteTemplate, TemplateStore, learn_template, page_lines

    store = TemplateStore(home.templates_dir)
    pages, articles = [], 0
    for row in state.run_captures(run_id, profile.name):
        usable = row["body_warc_file"] is not None and (200 <= row["status"] < 300 or row["status"] == 304)
        if not usable or row["kind"] not in ("article", "index") or (row["kind"] == "article" and articles >= TEMPLATE_SAMPLE):
            continue
        try:
            page = read_response(home.warc_dir, row["body_warc_file"], row["body_offset"])
        except (OSError, ValueError):
            continue   # an unreadable record: the crawl report names it; the template does without it
        articles += row["kind"] == "article"
        pages.append(("list" if row["kind"] == "index" else "article", page_lines(page.body, row["url"], page.headers)))
    learned, known = learn_template(profile.name, pages), store.load(profile.name)
    if learned.lines <= known.lines:   # nothing new: the same template (and digest), no document re-cleaned
        return known
    # a line once learned stays: another sample of pages must not make the template (and every
    # document's stamp) flicker from run to run; a new era's banner adds to it
    merged = SiteTemplate(profile.name, known.lines | learned.lines, known.pages + learned.pages)
    store.save(merged)
    return merged


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
        if job.get("template") is not None:   # the template it was cleaned with, to clean it again alike
            doc.extra = {**doc.extra, "template": job["template"].digest}
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
                why = {"why": f"the site served its error page: {result['soft_404']}", "status": 200,
                       "url": result["url"]}
                if doc_id and retire_document(home, site, doc_id, why):
                    stamps.forget(doc_id)
                    report.retired.append(doc_id)
                continue
            if "failure" in result:
                report.failures.append(result["failure"])
                kind = result["failure"].get("kind", "unreadable")
                report.refusals[kind] = report.refusals.get(kind, 0) + 1
                continue
            doc = Document.from_dict(result["document"])
            stored = load_document(home, doc.site, doc.id)
            keep_version_list(doc, stored)
            save_document(home, doc)
            stamps.put(doc)
            report.cleaned.append(doc.id)
            report.body_chars.append(len(doc.text))
            if stored is not None and stored.text:
                report.body_ratios.append(round(len(doc.text) / len(stored.text), 4))
    finally:
        stamps.close()
    return report


def keep_version_list(doc: Document, stored: Document | None) -> None:
    """A document cleaned again (a refresh, a reclean) keeps the list of captured versions a backfill gave
    its stored predecessor (extra["versions"]): re-cleaning one capture says nothing about the others."""
    if "versions" in doc.extra:
        return
    if stored is not None and stored.extra.get("versions"):
        doc.extra = {**doc.extra, "versions": stored.extra["versions"]}


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


def check_url(url: str) -> None:
    """Refuse a URL the crawler could not have fetched (scrapers.urls.BadURL, a ValueError, in words)."""
    from scrapers.urls import to_uri
    to_uri(url)


def clean_one_page(body: bytes, url: str) -> Document:
    """Clean one saved page (its bytes and URL, which picks the site profile and the document id);
    cleaners.CleaningError when it is not an article."""
    import cleaners
    return cleaners.clean_page(body, url)
