"""Backfilling from the Wayback Machine: archive every captured version of a site's articles with its
original date, then clean each version into the document's history."""

from __future__ import annotations

from cleaners.store import StampIndex, load_document, save_document
from core.datahome import DataHome
from core.profiles import Profile, get_profile
from flows.clean import CleanReport
from flows.crawl import begin_run, end_run
from scrapers.fetch import CrawlSettings, make_client
from scrapers.state import CrawlState, row_to_capture
from scrapers.warcstore import read_response


def backfill(home: DataHome, site: str, *, from_year: int | None = None, to_year: int | None = None,
             limit: int | None = None, settings: CrawlSettings | None = None, wayback: str | None = None,
             wayback_settings=None) -> dict:
    """Archive the Wayback Machine's captures of a site's articles, then clean every captured version.
    `wayback_settings`: scrapers.wayback.WaybackSettings (pace, pause after a 429, timeouts).

    Each capture becomes a version in its document's history (document.extra["versions"]); the newest
    version becomes the current document unless a newer one (a live crawl) is already held. The run is
    recorded with status "backfill", so the crawl comparison (scrapers/crawldiff.py) keeps comparing live crawls with live crawls.
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
                               limit=limit, wayback=wayback_settings)
        touched = sorted({profile.document_id(row["url"]) for row in state.run_captures(run_id, site, kind="wayback")}
                         - {None})
    finally:
        client.close()
        state.close()
    end_run(home, run_id, status="backfill")
    clean_report = clean_versions(home, site, touched, run_id)
    return {"run_id": run_id, "backfill": report.to_dict(), "clean": clean_report.to_dict()}


def command_settings(delay: float, pause_after_429: float, cdx_timeout: float):
    """How `kcorpus backfill` asks the Wayback Machine: (crawl settings, scrapers.wayback.WaybackSettings):
    `delay` seconds between requests (the pace), a pause after a 429 without Retry-After, a CDX page's
    timeout; the archived site's robots.txt is not the archive's, so it is not read."""
    from scrapers.wayback import WaybackSettings

    return (CrawlSettings(delay=delay, obey_robots=False),
            WaybackSettings(pace=delay, rate_limit_pause=pause_after_429, cdx_timeout=cdx_timeout))


def captures_by_document(state: CrawlState, profile: Profile) -> dict[str, list]:
    """Every capture holding a payload (live crawls and Wayback copies) per document id, oldest first:
    one article's URLs differ by scheme or host alias between the Wayback's index and the live site."""
    by_id: dict[str, list] = {}
    for url in state.capture_urls(profile.name, ("article", "wayback")):
        doc_id = profile.document_id(url)
        if doc_id:
            by_id.setdefault(doc_id, []).extend(state.url_captures(url, ("article", "wayback")))
    for rows in by_id.values():
        rows.sort(key=lambda r: (r["captured_at"], r["id"]))
    return by_id


def captured_versions(home: DataHome, site: str, rows: list, report: CleanReport | None = None,
                      run_id: str | None = None) -> tuple[list, dict]:
    """One document's captures (live crawls and Wayback copies alike) as versions: [{captured_at, via, url,
    payload_digest, record_id, warc_file, warc_offset, text_sha256}], oldest first, and each payload cleaned
    once ({payload_digest: Document or None}). A capture that fails to clean is no version; it is recorded
    in `report` when run `run_id` (any run, when None) archived it: an earlier capture's refusal was said
    when it was first cleaned (a refresh that met a binary page under the article's URL), and is not a
    failure of every later backfill."""
    import cleaners

    versions, cleaned = [], {}
    for row in rows:
        capture = row_to_capture(row)
        digest = capture.payload_digest
        via = "wayback" if row["kind"] == "wayback" else "crawl"
        if digest not in cleaned:
            provenance = {**capture.provenance(), "via": via}
            stored = read_response(home.warc_dir, capture.warc_file, capture.warc_offset)
            try:
                cleaned[digest] = cleaners.clean_page(stored.body, capture.url, headers=stored.headers,
                                                      capture=provenance)
            except cleaners.CleaningError as exc:
                if report is not None and run_id in (None, row["run_id"]):
                    report.failures.append({"url": capture.url, "site": site, "error": str(exc),
                                            "capture": provenance})
                cleaned[digest] = None
        doc = cleaned[digest]
        if doc is not None:
            versions.append({"captured_at": capture.captured_at, "via": via, "url": capture.url,
                             "payload_digest": digest, "record_id": capture.record_id,
                             "warc_file": capture.warc_file, "warc_offset": capture.warc_offset,
                             "text_sha256": doc.text_sha256()})
    return versions, cleaned


def clean_versions(home: DataHome, site: str, doc_ids: list[str], run_id: str | None = None) -> CleanReport:
    """Clean every captured version of the given documents; store the newest, with the version list. The
    report's failures: the captures of run `run_id` (the backfill's own; every run's when None) refused."""
    profile = get_profile(site)
    report = CleanReport(site)
    state = CrawlState(home.state_db)
    stamps = StampIndex(home)
    try:
        by_id = captures_by_document(state, profile)
        for doc_id in doc_ids:
            versions, cleaned = captured_versions(home, site, by_id.get(doc_id, []), report, run_id)
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
