"""The Wayback Machine as a source: list a site's captures with the CDX API, fetch each capture's original
bytes (`id_` URLs), and archive them to WARC under their original capture date, marked as Wayback copies.

What a record says (the convention pywb's recorder follows when it records from a remote archive):
  WARC-Target-URI     the page's own URL (as the Wayback captured it)
  WARC-Date           the Wayback's capture time, not ours: the audit dates each version by it
  WARC-Source-URI     the `id_` URL the bytes came from (the marker that this is a Wayback copy)
  WARC-Creation-Date  when kcorpus wrote the record
The HTTP headers are the page's original ones, which the Wayback returns as `X-Archive-Orig-*`; the
Wayback's own delivery headers are not the page's and are not kept, except the payload's framing
(Content-Type, Content-Encoding) needed to read the bytes back.

Polite: one request at a time with the crawl delay, retries with backoff (429/5xx honoured), CDX paging
with the resumption key; resumable: a capture already archived (same URL and capture date) is not
fetched again, so an interrupted backfill picks up where it stopped.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from core.capture import Capture
from core.profiles import Profile
from scrapers.fetch import Attempt, CrawlSettings, fetch_with_retries, payload_digest
from scrapers.state import CrawlState
from scrapers.warcstore import WarcStore, utc_now_iso

log = logging.getLogger("kcorpus.wayback")

WAYBACK = "https://web.archive.org"
CDX_PATH = "/cdx/search/cdx"
KIND = "wayback"                 # the crawl-state kind of a capture archived from the Wayback Machine
CDX_PAGE = 1000                  # rows per CDX request (then the resumption key)
# Headers that frame the payload as the Wayback delivered it: kept from its response, not the original's.
_FRAMING = {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


@dataclass(frozen=True)
class CdxRow:
    """One capture as the CDX server lists it (fields of the JSON output, by name)."""

    timestamp: str               # 14 digits, UTC: yyyyMMddhhmmss
    original: str                # the URL as captured, e.g. http://www.kcna.kp:80/en/article/q/....kcmsf
    mimetype: str = ""
    statuscode: str = ""
    digest: str = ""             # base32 SHA-1 of the original payload
    length: str = ""

    @property
    def captured_at(self) -> str:
        return cdx_time_to_iso(self.timestamp)


def cdx_time_to_iso(timestamp: str) -> str:
    """A CDX timestamp (4 to 14 digits, whole fields) as a WARC-Date; missing fields are the earliest instant.

    >>> cdx_time_to_iso("20100914031500"), cdx_time_to_iso("2010")
    ('2010-09-14T03:15:00Z', '2010-01-01T00:00:00Z')
    """
    if not timestamp.isdigit() or len(timestamp) not in (4, 6, 8, 10, 12, 14):
        raise ValueError(f"not a CDX timestamp: {timestamp!r}")
    full = timestamp + "0101000000"[len(timestamp) - 4:]
    when = datetime.strptime(full, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_cdx_json(text: str) -> tuple[list[CdxRow], str | None]:
    """Rows and resumption key of a CDX server answer with output=json.

    The first row names the fields; an empty row, then a one-element row, carry the resumption key
    (showResumeKey=true). An empty answer ("" or []) means no captures. Raises ValueError on anything
    that is not that shape (an HTML error page, a truncated body).
    """
    if not text.strip():
        return [], None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"CDX answer is not JSON: {exc}") from None
    if not isinstance(data, list) or any(not isinstance(row, list) for row in data):
        raise ValueError("CDX answer is not a JSON array of rows")
    if not data:
        return [], None
    names, rows, resume = data[0], data[1:], None
    if len(rows) >= 2 and rows[-2] == [] and len(rows[-1]) == 1:
        resume, rows = rows[-1][0], rows[:-2]
    if "timestamp" not in names or "original" not in names:
        raise ValueError(f"CDX answer lacks timestamp/original fields: {names}")
    known = set(CdxRow.__dataclass_fields__)
    parsed = []
    for row in rows:
        if not row:
            continue
        if len(row) != len(names):
            raise ValueError(f"CDX row has {len(row)} fields, the header names {len(names)}")
        parsed.append(CdxRow(**{k: v for k, v in zip(names, row) if k in known}))
    return parsed, resume


def normalise_original(url: str) -> str:
    """The captured URL without the default port the Wayback's index often keeps (http://host:80/).

    >>> normalise_original("http://www.kcna.kp:80/en/article/q/ab.kcmsf")
    'http://www.kcna.kp/en/article/q/ab.kcmsf'
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    netloc = host if port in (None, default) else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def id_url(base: str, row: CdxRow) -> str:
    """The Wayback URL that returns the capture's original bytes, unrewritten (the `id_` flag)."""
    return f"{base.rstrip('/')}/web/{row.timestamp}id_/{row.original}"


def original_headers(delivered: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The page's own response headers from a Wayback answer: X-Archive-Orig-* unprefixed, plus the
    delivered payload's Content-Type and Content-Encoding (the bytes as they are stored).

    >>> original_headers([("X-Archive-Orig-ETag", '"a1"'), ("Content-Type", "text/html"), ("Server", "nginx"),
    ...                   ("X-Archive-Orig-Content-Length", "5")])
    [('ETag', '"a1"'), ('Content-Type', 'text/html')]
    """
    prefix = "x-archive-orig-"
    out = [(k[len(prefix):], v) for k, v in delivered
           if k.lower().startswith(prefix) and k[len(prefix):].lower() not in _FRAMING | {"content-type"}]
    out += [(k, v) for k, v in delivered if k.lower() in ("content-type", "content-encoding")]
    return out


@dataclass
class BackfillReport:
    """What one backfill of one site did (each number is also reconstructible from the crawl state)."""

    site: str
    run_id: str
    listed: int = 0                # captures the CDX server listed for the site's URL prefixes
    articles: int = 0              # distinct article URLs among them
    fetched: int = 0               # captures archived this run
    already_held: int = 0          # captures archived by an earlier (interrupted) backfill: not fetched again
    not_articles: int = 0          # listed URLs that are not articles of the profile
    failed: list[tuple[str, str]] = field(default_factory=list)   # (id_ URL, last error)
    outcome: str = "ok"            # ok | partial (some captures failed) | unreachable (nothing listed or fetched)
    detail: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class _Pace:
    """One request at a time to the Wayback, `delay` seconds apart."""

    def __init__(self, delay: float):
        self.delay, self._last = delay, -1e9

    def wait(self) -> None:
        elapsed = time.monotonic() - self._last
        if elapsed < self.delay:
            time.sleep(self.delay - elapsed)
        self._last = time.monotonic()


def list_captures(client: httpx.Client, base: str, prefix: str, settings: CrawlSettings, pace: _Pace, *,
                  from_year: int | None = None, to_year: int | None = None,
                  page_size: int = CDX_PAGE) -> list[CdxRow]:
    """Every 200 text/html capture under `prefix`, page by page with the resumption key; adjacent
    identical payloads of one URL are collapsed (collapse=digest): only captures that differ remain.
    Raises ConnectionError with the last error when a CDX page cannot be read."""
    params = {"url": prefix, "matchType": "prefix", "output": "json", "limit": str(page_size),
              "showResumeKey": "true", "collapse": "digest", "gzip": "false"}
    filters = [("filter", "statuscode:200"), ("filter", "mimetype:text/html")]
    if from_year:
        params["from"] = str(from_year)
    if to_year:
        params["to"] = str(to_year)
    rows, resume = [], None
    while True:
        query = dict(params, **({"resumeKey": resume} if resume else {}))
        url = f"{base.rstrip('/')}{CDX_PATH}?{urlencode(list(query.items()) + filters)}"
        pace.wait()
        attempt = fetch_with_retries(client, url, settings)
        if attempt.error or attempt.status != 200:
            raise ConnectionError(f"CDX query {url} failed: {attempt.error or 'HTTP %d' % attempt.status}")
        page, resume = parse_cdx_json(_decoded(attempt).decode("utf-8", "replace"))
        rows += page
        if not resume or not page:
            return rows


def _decoded(attempt: Attempt) -> bytes:
    encoding = (attempt.header("content-encoding") or "").lower()
    if "gzip" in encoding:
        import gzip
        return gzip.decompress(attempt.body)
    return attempt.body


def backfill_site(profile: Profile, *, state: CrawlState, warc_dir: Path, run_id: str, client: httpx.Client,
                  settings: CrawlSettings, base: str = WAYBACK, from_year: int | None = None,
                  to_year: int | None = None, limit: int | None = None) -> BackfillReport:
    """Archive the Wayback Machine's captures of the profile's articles (all versions, oldest first).

    profile      its `[wayback] prefixes` say where to list; its article patterns which URLs count
    base         the Wayback (CDX + id_) base URL; a local replay in tests and the demo
    from_year, to_year   capture years to list (inclusive)
    limit        at most this many captures fetched this run (the rest on the next run)
    Returns a BackfillReport; `outcome` is "unreachable" when the Wayback could not be read at all,
    never an empty success.
    """
    report = BackfillReport(profile.name, run_id)
    pace = _Pace(settings.delay)
    prefixes = profile.wayback.get("prefixes", [])
    if not prefixes:
        report.outcome, report.detail = "unreachable", f"profile {profile.name} declares no [wayback] prefixes"
        return report
    rows: list[CdxRow] = []
    try:
        for prefix in prefixes:
            rows += list_captures(client, base, prefix, settings, pace, from_year=from_year, to_year=to_year)
    except (ConnectionError, ValueError) as exc:
        report.outcome, report.detail = "unreachable", str(exc)
        return report
    report.listed = len(rows)
    wanted: dict[tuple[str, str], CdxRow] = {}
    for row in rows:
        url = normalise_original(row.original)
        if profile.article_match(url) is None:
            report.not_articles += 1
            continue
        wanted.setdefault((url, row.timestamp), row)
    report.articles = len({url for url, _ in wanted})
    store = WarcStore(warc_dir, run_id, profile.name, info={"source": "Wayback Machine", "source-uri": base})
    try:
        for (url, _), row in sorted(wanted.items(), key=lambda item: (item[0][0], item[0][1])):
            if state.has_capture(url, row.captured_at, KIND):
                report.already_held += 1
                continue
            if limit is not None and report.fetched >= limit:
                break
            source = id_url(base, row)
            pace.wait()
            attempt = fetch_with_retries(client, source, settings)
            if attempt.error or attempt.status != 200:
                # the failure is archived too (under the id_ URL: it is the Wayback that failed, not the page)
                store.write_failure(source, error=attempt.error or f"HTTP {attempt.status}", warc_date=utc_now_iso())
                report.failed.append((source, attempt.error or f"HTTP {attempt.status}"))
                continue
            _record(store, state, profile.name, run_id, url, row, source, attempt)
            report.fetched += 1
    finally:
        store.close()
    if report.failed:
        report.outcome = "unreachable" if not (report.fetched or report.already_held) else "partial"
        report.detail = f"{len(report.failed)} captures could not be fetched; re-run to retry them"
    return report


def _record(store: WarcStore, state: CrawlState, site: str, run_id: str, url: str, row: CdxRow, source: str,
            attempt: Attempt) -> int:
    """WARC first (original date, Source-URI marker), then the crawl state, as every crawl does."""
    headers = original_headers(attempt.headers)
    written = store.write_exchange(
        url, method="GET", request_headers=[("Host", urlsplit(url).netloc)], status=200, reason="OK",
        response_headers=headers, body=attempt.body, warc_date=row.captured_at,
        warc_headers={"WARC-Source-URI": source, "WARC-Creation-Date": utc_now_iso()})
    capture = Capture(
        url=url, site=site, status=200, headers={k.lower(): v for k, v in headers},
        payload_digest=written.payload_digest or payload_digest(attempt.body), warc_file=written.warc_file,
        warc_offset=written.offset, record_id=written.record_id, captured_at=row.captured_at, run_id=run_id,
        extra={"source_uri": source})
    return state.record_capture(capture, kind=KIND, record_type="response",
                                body_location=(written.warc_file, written.offset), update_url=False)
