"""The Wayback Machine as a source: list a site's captures with the CDX API, fetch the original bytes of
each capture that bounds a change of text (`id_` URLs), and archive them to WARC under their capture date.

How the real service answers, and what this module does about it (sources: internetarchive/wayback,
wayback-cdx-server/README.md; edgi-govdata-archiving/wayback, `_client.py` and its release notes and
issue #137; cdx_toolkit):
- The CDX listing is read page by page (`limit`, `showResumeKey=true`, `resumeKey`), WITHOUT `collapse`
  and without status/mime filters: `collapse` restarts on every request, hides the last capture of an
  old text, and filters hide revisit rows (statuscode `-`, mimetype `warc/revisit`), which carry the
  digest of the payload they repeat. Adjacent rows of one document with the same digest are collapsed
  here, across pages, into runs; the first and last capture of every run are recorded, so an edit is
  dated by the last capture of the old text and the first of the new, and a revert shows as an edit back.
- Every listed page (rows and the next resume key) is kept in the crawl state before the next is asked
  for: a failed later page keeps the earlier ones, and the next backfill resumes from the saved key. A
  page that reaches `limit` rows without a resume key stopped early (the server writes a key whenever the
  limit is reached); a resume key already seen would loop forever: both end the listing as incomplete.
- An `id_` request the Wayback cannot play at its exact time answers 302 to a neighbouring timestamp
  (no Memento-Datetime on that redirect): it is followed when the target is the same URL within
  `redirect_window` seconds (edgi's target_window), and the capture actually served is recorded.
- The Wayback compresses on the fly (Content-Encoding without an X-Archive-Orig-Content-Encoding): that
  encoding is undone, the page's own headers (X-Archive-Orig-*) are stored, and the payload is checked
  against the CDX digest (base32 SHA-1 of the original payload).
- Polite: at most one request every `pace` seconds (3 s: 20 a minute, under the CDX limit of 30), a
  `rate_limit_pause` (60 s) after a 429 unless Retry-After says otherwise (the operators block an IP
  for an hour when 429s are ignored for a minute: edgi #137), timeouts fit for a slow API (600 s for
  CDX, as public collectors use), retries with backoff on 5xx and transport errors.
- Nothing is fabricated: no request record is written for a request kcorpus never sent to the site; a
  `metadata` record beside each record says how it was obtained (the id_ URL asked, the one served,
  the CDX digest and whether the bytes matched it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx

from core.capture import Capture
from core.profiles import Profile
from scrapers.fetch import (COMPRESSIONS, Attempt, CrawlSettings, TooLarge, _retry_after, content_codings, fetch_once,
                            http_date_to_warc_date, inflate)
from scrapers.state import CrawlState
from scrapers.warcstore import WarcStore, read_head, utc_now_iso

log = logging.getLogger("kcorpus.wayback")

WAYBACK = "https://web.archive.org"
CDX_PATH = "/cdx/search/cdx"
KIND = "wayback"                 # the crawl-state kind of a capture archived from the Wayback Machine
CDX_PAGE = 1000                  # rows per CDX request (then the resumption key)
REVISIT_MIME = "warc/revisit"    # a CDX row of a revisit record: statuscode "-", the repeated payload's digest
PAGE_TYPES = ("text/html", "application/xhtml+xml")
MAX_EMPTY_PAGES = 50             # empty CDX pages in a row (each with a new key) before the listing stops
# Headers that frame the payload as the Wayback delivered it: never the page's own.
_FRAMING = {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}
# a playback path; the Wayback's redirects keep the id_ flag, a bare /web/<ts>/ path is read the same way
_ID_PATH = re.compile(r"/web/(?P<ts>\d{14})(?:[a-z]{2}_)?/(?P<url>.+)$")


@dataclass(frozen=True)
class WaybackSettings:
    """How kcorpus talks to the Wayback Machine. Defaults are the polite ones for the real service."""

    pace: float = 3.0                 # seconds between two requests (20 a minute)
    rate_limit_pause: float = 60.0    # pause after a 429 without Retry-After (edgi waits 60 s)
    max_rate_limited: int = 5         # 429s in a row on one request before giving it up
    cdx_timeout: float = 600.0        # per read: a CDX page of a large prefix can take minutes
    playback_timeout: float = 120.0
    # per request, in all (a server dripping bytes resets the per-read timeouts forever)
    cdx_deadline: float = 1800.0
    playback_deadline: float = 600.0
    # inflated bytes of one CDX page at most (1000 rows of JSON are ~300 KB; a gzip bomb is gigabytes)
    cdx_max_bytes: int = 20 * 1024 * 1024
    retries: int = 3                  # extra attempts on 5xx and transport errors
    backoff: float = 5.0              # first retry after ~backoff s, then doubled
    redirect_window: float = 86400.0  # follow an id_ redirect to a capture at most this far in time
    max_redirects: int = 3
    page_size: int = CDX_PAGE
    sleep: Callable[[float], None] = time.sleep   # injectable: tests count pauses instead of sleeping


def wayback_settings_from(crawl: CrawlSettings) -> WaybackSettings:
    """Wayback settings for a caller that gave only crawl settings: an explicit crawl delay is the pace
    (the crawl default, 1 s, is too fast for the Wayback: 3 s then), and the waits (the pause after a 429,
    the retry backoff) are in units of the crawl's `backoff` (1 s by default: 60 s after a 429)."""
    pace = crawl.delay if crawl.delay != CrawlSettings().delay else WaybackSettings.pace
    return WaybackSettings(pace=pace, rate_limit_pause=WaybackSettings.rate_limit_pause * crawl.backoff,
                           retries=crawl.retries, backoff=WaybackSettings.backoff * crawl.backoff)


@dataclass(frozen=True)
class CdxRow:
    """One capture as the CDX server lists it (fields of the JSON output, by name)."""

    timestamp: str               # 14 digits, UTC: yyyyMMddhhmmss
    original: str                # the URL as captured, e.g. http://www.kcna.kp:80/en/article/q/....kcmsf
    mimetype: str = ""
    statuscode: str = ""
    digest: str = ""             # base32 SHA-1 of the original payload (of the repeated one for a revisit)
    length: str = ""
    urlkey: str = ""             # the SURT sort key, e.g. "kp,kcna)/en/article/q/ab.kcmsf"

    @property
    def captured_at(self) -> str:
        return cdx_time_to_iso(self.timestamp)

    @property
    def is_revisit(self) -> bool:
        """A revisit row: the capture repeated an earlier payload (the Wayback plays that payload)."""
        return self.mimetype == REVISIT_MIME or self.statuscode == "-"

    @property
    def is_page(self) -> bool:
        """A 200 HTML capture, or a revisit row (whose digest names the payload it repeats)."""
        return self.is_revisit or (self.statuscode == "200" and self.mimetype.split(";")[0].strip().lower()
                                   in PAGE_TYPES)


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


def _seconds(timestamp: str) -> float:
    return datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc).timestamp()


def parse_cdx_json(text: str) -> tuple[list[CdxRow], str | None]:
    """Rows and resumption key of a CDX server answer with output=json.

    The first row names the fields; an empty row, then a one-element row, carry the resumption key
    (showResumeKey=true). An empty answer ("" or []) means no captures. Raises ValueError on anything
    that is not that shape (an HTML error page, a body cut off mid-stream).
    """
    if not text.strip():
        return [], None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"CDX answer is not JSON (cut off?): {exc}") from None
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


def surt_prefix(prefix: str) -> str:
    """A URL prefix in the SURT form the CDX server matches on: no scheme, no `www.`, host reversed.
    Two profile prefixes with one SURT form list the same captures and are asked once.

    >>> surt_prefix("www.kcna.kp/en/article/") == surt_prefix("http://kcna.kp/en/article/")
    True
    """
    parts = urlsplit(prefix if "://" in prefix else "http://" + prefix)
    host = re.sub(r"^www\d*\.", "", (parts.hostname or "").lower())
    return ",".join(reversed(host.split("."))) + ")" + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def id_url(base: str, row: CdxRow) -> str:
    """The Wayback URL that returns the capture's original bytes, unrewritten (the `id_` flag)."""
    return f"{base.rstrip('/')}/web/{row.timestamp}id_/{row.original}"


def original_headers(delivered: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The page's own response headers from a Wayback answer: X-Archive-Orig-* unprefixed (framing
    dropped, the original Content-Encoding kept: the stored bytes are encoded so), plus the Content-Type.

    >>> original_headers([("X-Archive-Orig-ETag", '"a1"'), ("Content-Type", "text/html"), ("Server", "nginx"),
    ...                   ("X-Archive-Orig-Content-Length", "5"), ("Content-Encoding", "gzip")])
    [('ETag', '"a1"'), ('Content-Type', 'text/html')]
    """
    prefix = "x-archive-orig-"
    out = []
    for k, v in delivered:
        if not k.lower().startswith(prefix):
            continue
        name = k[len(prefix):]
        if name.lower() == "content-encoding" or name.lower() not in _FRAMING | {"content-type"}:
            out.append((name, v))
    out += [(k, v) for k, v in delivered if k.lower() == "content-type"]
    return out


def cdx_digest(body: bytes) -> str:
    """The CDX index's digest of a payload: base32 SHA-1."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def undo_wayback_encoding(attempt: Attempt, limit: int = CrawlSettings.max_bytes) -> tuple[bytes, str]:
    """The capture's payload as archived: the Wayback's own on-the-fly compression undone. Returns (bytes,
    the encoding removed or ""). An encoding the page itself sent (X-Archive-Orig-Content-Encoding) is
    part of the stored payload and stays. Never inflates past `limit` bytes (ValueError: a gzip bomb)."""
    codings = content_codings(attempt.header("content-encoding"))
    if not codings or attempt.header("x-archive-orig-content-encoding"):
        return attempt.body, ""
    delivered = ", ".join(codings)
    if not all(c in COMPRESSIONS for c in codings):
        raise ValueError(f"the Wayback sent an encoding kcorpus cannot undo: {delivered}")
    try:
        return inflate(attempt.body, codings, limit), delivered
    except TooLarge as exc:
        raise ValueError(f"the Wayback's {delivered} answer {exc}") from None
    except zlib.error as exc:
        raise ValueError(f"the Wayback's {delivered} encoding does not decode: {exc}") from None


@dataclass
class BackfillReport:
    """What one backfill of one site did (each number is also reconstructible from the crawl state)."""

    site: str
    run_id: str
    listed: int = 0                # CDX rows listed so far for the site's prefixes (all backfills)
    cdx_pages: int = 0             # CDX pages read this run
    articles: int = 0              # distinct article URLs among the rows
    fetched: int = 0               # captures fetched (id_) and archived this run
    revisits: int = 0              # captures archived as revisits of a payload already held (not fetched)
    same_text_skipped: int = 0     # captures inside a run of one payload: neither first nor last, not needed
    already_held: int = 0          # captures archived by an earlier backfill: not fetched again
    not_articles: int = 0          # listed rows whose URL is not an article of the profile
    not_pages: int = 0             # article rows that are no 200 HTML page nor a revisit (redirects, 404s)
    redirected: int = 0            # id_ answers that served a neighbouring capture (302 followed)
    unverified: list[tuple[str, str]] = field(default_factory=list)  # (id_ URL, why the CDX digest did not match)
    rate_limited: int = 0          # 429 answers (each cost one pause)
    failed: list[tuple[str, str]] = field(default_factory=list)      # (id_ URL, last error)
    listing_complete: bool = True
    warnings: list[str] = field(default_factory=list)
    outcome: str = "ok"            # ok | partial | unreachable
    detail: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class WaybackClient:
    """One request at a time to the Wayback, `pace` seconds apart; a 429 costs a pause and a retry (not a
    failure); 5xx and transport errors are retried with backoff."""

    def __init__(self, client: httpx.Client, settings: WaybackSettings, crawl: CrawlSettings | None = None):
        self.client, self.settings = client, settings
        self.crawl = crawl or CrawlSettings(obey_robots=False)
        self.rate_limited = 0
        self._last = -1e18

    def _wait_turn(self) -> None:
        elapsed = time.monotonic() - self._last
        if elapsed < self.settings.pace:
            self.settings.sleep(self.settings.pace - elapsed)
        self._last = time.monotonic()

    def get(self, url: str, timeout: float, deadline: float | None = None, max_bytes: int | None = None) -> Attempt:
        """GET `url` (no redirect followed): `timeout` per read, `deadline` for the whole request,
        `max_bytes` received or inflated (default: the crawl settings'). Returns the last attempt."""
        errors = limited = 0
        settings = self.crawl if max_bytes is None else replace(self.crawl, max_bytes=max_bytes)
        while True:
            self._wait_turn()
            attempt = fetch_once(self.client, url, settings, timeout=timeout, deadline=deadline)
            if attempt.status == 429 and not attempt.error:
                self.rate_limited += 1
                limited += 1
                if limited > self.settings.max_rate_limited:
                    return attempt
                pause = _retry_after(attempt.header("retry-after"), self.settings.rate_limit_pause)
                log.warning("Wayback answered 429 to %s: pausing %.0f s", url, pause)
                self.settings.sleep(pause)
                self._last = time.monotonic()
                continue
            if not attempt.retryable or errors >= self.settings.retries:
                return attempt
            wait = self.settings.backoff * (2 ** errors)
            errors += 1
            self.settings.sleep(_retry_after(attempt.header("retry-after"), wait))


# --- the CDX listing, kept in the crawl state -----------------------------------------------------

LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS wayback_listings (
    site        TEXT NOT NULL,
    prefix      TEXT NOT NULL,            -- SURT form
    span        TEXT NOT NULL,            -- "from-to" of the listing ("-" when unbounded)
    resume_key  TEXT,                     -- where the next page starts (NULL: from the beginning)
    complete    INTEGER NOT NULL DEFAULT 0,
    pages       INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (site, prefix, span)
);
CREATE TABLE IF NOT EXISTS wayback_rows (
    site        TEXT NOT NULL,
    original    TEXT NOT NULL,
    timestamp   TEXT NOT NULL,
    mimetype    TEXT,
    statuscode  TEXT,
    digest      TEXT,
    length      TEXT,
    PRIMARY KEY (site, original, timestamp)
);
"""


class CdxLedger:
    """The CDX rows listed so far and where each listing stopped (tables in the crawl state)."""

    def __init__(self, state: CrawlState):
        self.state = state
        for statement in LEDGER_SCHEMA.split(";"):
            if statement.strip():
                state.db.execute(statement)

    def resume_key(self, site: str, prefix: str, span: str) -> str | None:
        """The saved key of an unfinished listing (None: start from the beginning)."""
        row = self.state.db.execute("SELECT resume_key, complete FROM wayback_listings WHERE site = ? AND prefix = ? "
                                    "AND span = ?", (site, prefix, span)).fetchone()
        return row["resume_key"] if row and not row["complete"] else None

    def save_page(self, site: str, prefix: str, span: str, rows: list[CdxRow], resume: str | None,
                  complete: bool) -> None:
        """A page's rows and the key after it, in one transaction (the page is kept whatever follows)."""
        with self.state.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO wayback_rows VALUES (?,?,?,?,?,?,?)",
                           [(site, r.original, r.timestamp, r.mimetype, r.statuscode, r.digest,
                             r.length) for r in rows])
            db.execute("""INSERT INTO wayback_listings(site, prefix, span, resume_key, complete, pages, updated_at)
                          VALUES (?,?,?,?,?,1,?) ON CONFLICT(site, prefix, span) DO UPDATE SET
                          resume_key = excluded.resume_key, complete = excluded.complete,
                          pages = wayback_listings.pages + 1, updated_at = excluded.updated_at""",
                       (site, prefix, span, resume, int(complete), utc_now_iso()))

    def rows(self, site: str, from_ts: str = "", to_ts: str = "") -> list[CdxRow]:
        """Every row listed for `site` (within the capture span), by URL then time."""
        found = self.state.db.execute("SELECT * FROM wayback_rows WHERE site = ? ORDER BY original, timestamp",
                                      (site,)).fetchall()
        return [CdxRow(r["timestamp"], r["original"], r["mimetype"] or "", r["statuscode"] or "", r["digest"] or "",
                       r["length"] or "") for r in found
                if (not from_ts or r["timestamp"][:len(from_ts)] >= from_ts)
                and (not to_ts or r["timestamp"][:len(to_ts)] <= to_ts)]


class ListingStopped(Exception):
    """The listing ended before its last page (the pages before are kept)."""


def list_captures(wb: WaybackClient, ledger: CdxLedger, base: str, site: str, prefix: str, *,
                  from_ts: str = "", to_ts: str = "", report: BackfillReport) -> None:
    """List every capture under `prefix` into the ledger, page by page, from the saved resume key.
    Raises ListingStopped when a page cannot be read, is cut off, stops early without a resume key or
    repeats a key already seen; every page read before stays in the ledger."""
    surt, span = surt_prefix(prefix), f"{from_ts}-{to_ts}"
    params = {"url": prefix, "matchType": "prefix", "output": "json", "limit": str(wb.settings.page_size),
              "showResumeKey": "true", "gzip": "false"}
    if from_ts:
        params["from"] = from_ts
    if to_ts:
        params["to"] = to_ts
    resume = ledger.resume_key(site, surt, span)
    seen = {resume} if resume else set()
    empty_pages = 0
    while True:
        query = dict(params, **({"resumeKey": resume} if resume else {}))
        url = f"{base.rstrip('/')}{CDX_PATH}?{urlencode(query)}"
        attempt = wb.get(url, wb.settings.cdx_timeout, wb.settings.cdx_deadline, wb.settings.cdx_max_bytes)
        if attempt.error or attempt.status != 200:
            raise ListingStopped(f"CDX page of {prefix} failed: {attempt.error or 'HTTP %d' % attempt.status}")
        try:
            body, _ = undo_wayback_encoding(attempt, wb.settings.cdx_max_bytes)
            if body[:2] == b"\x1f\x8b":   # the CDX server's default gzip answer, sent without Content-Encoding
                body = inflate(body, ["gzip"], wb.settings.cdx_max_bytes)
            rows, following = parse_cdx_json(body.decode("utf-8", "replace"))
        except (ValueError, OSError, EOFError, zlib.error) as exc:
            raise ListingStopped(f"CDX page of {prefix} unreadable: {exc}") from None
        report.cdx_pages += 1
        if following and following in seen:
            ledger.save_page(site, surt, span, rows, resume, complete=False)
            raise ListingStopped(f"CDX listing of {prefix} repeated the resume key {following!r}: stopped")
        if not following and len(rows) >= wb.settings.page_size:
            # A full page without a key is the last one only if nothing follows its last row (the server
            # prints the key "only if the query has more results"): ask once from that row.
            following = _confirm_end(wb, base, params, rows[-1], prefix, report)
            if following in seen:
                ledger.save_page(site, surt, span, rows, resume, complete=False)
                raise ListingStopped(f"CDX page of {prefix} stopped at the limit without a resume key, and "
                                     f"the listing cannot go on past it: it may be cut short")
        ledger.save_page(site, surt, span, rows, following, complete=not following)
        if not following:
            return
        empty_pages = 0 if rows else empty_pages + 1
        if empty_pages >= MAX_EMPTY_PAGES:
            raise ListingStopped(f"CDX listing of {prefix} gave {empty_pages} empty pages in a row, each with a new "
                                 f"resume key: stopped (the next run resumes from the last key)")
        seen.add(following)
        resume = following


def resume_key_after(row: CdxRow) -> str:
    """The resume key the CDX server writes after `row`: its urlkey, a space, its timestamp and "!",
    URL-encoded (README, "Resumption Key": `org%2Carchive%29%2F+19980109140106%21`).

    >>> resume_key_after(CdxRow("19980109140106", "http://archive.org:80/", urlkey="org,archive)/"))
    'org%2Carchive%29%2F+19980109140106%21'
    """
    return quote(f"{row.urlkey or surt_prefix(row.original)} {row.timestamp}!", safe="").replace("%20", "+")


def _confirm_end(wb: "WaybackClient", base: str, params: dict, last: CdxRow, prefix: str,
                 report: BackfillReport) -> str | None:
    """After a full page with no resume key: the key to go on from when rows follow its last one (the page
    stopped early: said as a warning, and the listing goes on), None when nothing follows (the end)."""
    key = resume_key_after(last)
    query = dict(params, limit="1", resumeKey=key)
    attempt = wb.get(f"{base.rstrip('/')}{CDX_PATH}?{urlencode(query)}", wb.settings.cdx_timeout,
                     wb.settings.cdx_deadline, wb.settings.cdx_max_bytes)
    try:
        rows, _ = parse_cdx_json(undo_wayback_encoding(attempt, wb.settings.cdx_max_bytes)[0].decode("utf-8", "replace")) \
            if attempt.status == 200 and not attempt.error else ([], None)
    except ValueError:
        rows = []
    if attempt.error or attempt.status != 200:
        report.warnings.append(f"CDX page of {prefix} ended at the limit without a resume key; its end could not "
                               f"be confirmed ({attempt.error or 'HTTP %d' % attempt.status})")
        return None
    rows = [r for r in rows if (r.urlkey, r.timestamp) > (last.urlkey, last.timestamp)]
    if not rows:
        return None
    report.warnings.append(f"CDX page of {prefix} stopped early without a resume key (more captures follow its "
                           f"last row {last.timestamp}): the listing went on from there")
    return key


# --- which captures bound a change ------------------------------------------------------------------

def bounding_rows(rows: list[CdxRow]) -> tuple[list[CdxRow], int]:
    """The captures of one document that bound its changes: the first and the last of every run of
    adjacent captures with one payload digest (time order). Returns (those rows, how many were left out).

    A-A-A-B-B-A keeps A(first), A(third), B(first), B(last), A: the edit to B is dated between the third
    and fourth captures, the revert between the fifth and sixth.
    """
    ordered = sorted({r.timestamp: r for r in rows}.values(), key=lambda r: r.timestamp)
    kept: list[CdxRow] = []
    run: list[CdxRow] = []
    for row in ordered + [None]:
        if row is not None and run and row.digest == run[0].digest and row.digest:
            run.append(row)
            continue
        if run:
            kept.append(run[0])
            if len(run) > 1:
                kept.append(run[-1])
        run = [row] if row is not None else []
    return kept, len(ordered) - len(kept)


# --- the backfill -----------------------------------------------------------------------------------

def backfill_site(profile: Profile, *, state: CrawlState, warc_dir: Path, run_id: str, client: httpx.Client,
                  settings: CrawlSettings | None = None, base: str = WAYBACK, from_year: int | None = None,
                  to_year: int | None = None, limit: int | None = None,
                  wayback: WaybackSettings | None = None) -> BackfillReport:
    """Archive the Wayback Machine's captures of the profile's articles that bound each change of text.

    profile      its `[wayback] prefixes` say where to list; its article patterns which URLs count
    base         the Wayback (CDX + id_) base URL; a local fake in tests and the demo
    from_year, to_year   capture years to list (inclusive)
    limit        at most this many captures fetched this run (the rest on the next run)
    Returns a BackfillReport; `outcome` is "unreachable" when the Wayback could not be read at all,
    "partial" when the listing or some captures are unfinished (a re-run goes on), never an empty success.
    """
    wayback = wayback or (wayback_settings_from(settings) if settings else WaybackSettings())
    report = BackfillReport(profile.name, run_id)
    prefixes = list(dict.fromkeys(profile.wayback.get("prefixes", [])))
    if not prefixes:
        report.outcome, report.detail = "unreachable", f"profile {profile.name} declares no [wayback] prefixes"
        return report
    wb = WaybackClient(client, wayback, settings)
    ledger = CdxLedger(state)
    from_ts, to_ts = (str(from_year) if from_year else ""), (str(to_year) if to_year else "")
    listing_errors: list[str] = []
    surts: set[str] = set()
    for prefix in prefixes:
        if surt_prefix(prefix) in surts:
            continue   # the same captures as a prefix already listed (www. or scheme only differ)
        surts.add(surt_prefix(prefix))
        try:
            list_captures(wb, ledger, base, profile.name, prefix, from_ts=from_ts, to_ts=to_ts, report=report)
        except ListingStopped as exc:
            listing_errors.append(str(exc))
    report.listing_complete = not listing_errors
    report.warnings += listing_errors
    rows = ledger.rows(profile.name, from_ts, to_ts)
    report.listed = len(rows)
    by_document: dict[str, list[CdxRow]] = {}
    for row in rows:
        url = normalise_original(row.original)
        if profile.article_match(url) is None or profile.document_id(url) is None:
            report.not_articles += 1   # (a base64 URL that names no article is one of Rodong's lists)
            continue
        if not row.is_page:
            report.not_pages += 1
            continue
        by_document.setdefault(profile.document_id(url), []).append(row)
    report.articles = len({normalise_original(r.original) for rs in by_document.values() for r in rs})
    digests = {r.timestamp + normalise_original(r.original): r.digest for rs in by_document.values() for r in rs}
    store = WarcStore(warc_dir, run_id, profile.name, info={
        "source": "Wayback Machine", "source-uri": base,
        "description": ("Copies of captures held by the Wayback Machine: listed with its CDX API, payloads "
                        "fetched with id_ playback (original bytes, original headers from X-Archive-Orig-*); "
                        "no request records (kcorpus never sent the pages' requests); a metadata record "
                        "beside each record says how it was obtained and whether its CDX digest matched")})
    recorder = _Recorder(store, state, profile.name, run_id, warc_dir, base)
    try:
        for doc_rows in by_document.values():
            wanted, skipped = bounding_rows(doc_rows)
            report.same_text_skipped += skipped
            doc_urls = tuple(sorted({normalise_original(r.original) for r in doc_rows}))
            for row in wanted:
                url = normalise_original(row.original)
                if recorder.held_at(url, row.captured_at):
                    report.already_held += 1
                    continue
                if recorder.revisit_if_held(url, row, doc_urls):
                    report.revisits += 1
                    continue
                if limit is not None and report.fetched >= limit:
                    report.warnings.append(f"--limit {limit} reached: the rest on the next run")
                    raise _LimitReached
                _fetch_capture(wb, recorder, base, url, row, digests, report)
    except _LimitReached:
        pass
    finally:
        store.close()
    report.rate_limited = wb.rate_limited
    report.warnings = list(dict.fromkeys(report.warnings))
    _conclude(report)
    return report


class _LimitReached(Exception):
    pass


def _conclude(report: BackfillReport) -> None:
    """The backfill's outcome in words."""
    nothing = not (report.fetched or report.revisits or report.already_held)
    if report.failed:
        report.outcome = "unreachable" if nothing and not report.listed else "partial"
        report.detail = f"{len(report.failed)} captures could not be fetched; re-run to retry them"
    if not report.listing_complete:
        report.outcome = "unreachable" if nothing and not report.listed else "partial"
        report.detail = "; ".join(filter(None, [report.detail, *report.warnings[:1],
                                                "re-run to resume the listing"]))
    elif any(w.startswith("--limit") for w in report.warnings) and report.outcome == "ok":
        report.detail = report.warnings[-1]


def _fetch_capture(wb: WaybackClient, recorder: "_Recorder", base: str, url: str, row: CdxRow,
                   digests: dict[str, str], report: BackfillReport) -> None:
    """Fetch one capture with id_, following the Wayback's redirect to a neighbouring capture of the same
    URL within the window, and record the capture actually served."""
    asked = source = id_url(base, row)
    served_ts, hops = row.timestamp, []
    for _ in range(wb.settings.max_redirects + 1):
        attempt = wb.get(source, wb.settings.playback_timeout, wb.settings.playback_deadline)
        location = attempt.header("location")
        if attempt.status in (301, 302, 303, 307, 308) and location and not attempt.error:
            target = _ID_PATH.search(urlsplit(location).path + (f"?{urlsplit(location).query}"
                                                               if urlsplit(location).query else ""))
            why = _redirect_refusal(url, row.timestamp, target, wb.settings.redirect_window)
            if why:
                report.failed.append((asked, why))
                return
            hops.append(location)
            served_ts = target.group("ts")
            source = f"{base.rstrip('/')}/web/{served_ts}id_/{target.group('url')}"
            continue
        break
    else:
        report.failed.append((asked, f"more than {wb.settings.max_redirects} redirects"))
        return
    if attempt.error or attempt.status != 200:
        report.failed.append((asked, attempt.error or f"HTTP {attempt.status}"))
        return
    memento = attempt.header("memento-datetime")
    captured_at = (http_date_to_warc_date(memento) if memento else None) or cdx_time_to_iso(served_ts)
    if hops:
        report.redirected += 1
        if recorder.held_at(url, captured_at):
            report.already_held += 1
            return
    try:
        body, removed = undo_wayback_encoding(attempt, wb.crawl.max_bytes)
    except ValueError as exc:
        report.failed.append((asked, str(exc)))
        return
    expected = digests.get(served_ts + url) or (row.digest if served_ts == row.timestamp else "")
    actual = cdx_digest(body)
    if expected and actual != expected:
        why = f"payload digest {actual} differs from the CDX digest {expected}"
        if removed:
            why += f" (after undoing the Wayback's {removed})"
        report.unverified.append((source, why))
    how = {"obtained-by": "Wayback Machine id_ playback", "requested": asked, "served": source,
           "redirects": " ".join(hops) or "none", "cdx-digest": expected or "unknown",
           "digest-verified": "yes" if expected and actual == expected else "no",
           "wayback-encoding-removed": removed or "none"}
    recorder.record_response(url, captured_at, source, attempt, body, how)
    report.fetched += 1
    if hops and actual == row.digest and captured_at != row.captured_at and recorder.revisit_if_held(url, row):
        # the capture asked for holds the same payload by the CDX (the Wayback could not play it at its own
        # time): it is archived too, as a revisit, so the text's bounding dates stay the listed ones
        report.revisits += 1


def _redirect_refusal(url: str, asked_ts: str, target: re.Match | None, window: float) -> str | None:
    """Why an id_ redirect is not followed: not an id_ capture, another URL, or too far in time."""
    if target is None:
        return "redirect outside the Wayback's id_ captures"
    if _comparable(normalise_original(target.group("url"))) != _comparable(url):
        return f"redirect to another URL ({target.group('url')})"
    if abs(_seconds(target.group("ts")) - _seconds(asked_ts)) > window:
        return f"redirect to a capture {target.group('ts')} outside the {window:.0f} s window"
    return None


def _comparable(url: str) -> str:
    """A URL as the Wayback treats it: no scheme, no www., no default port."""
    parts = urlsplit(url)
    host = re.sub(r"^www\d*\.", "", (parts.hostname or "").lower())
    return host + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class _Recorder:
    """WARC first (original date, Source-URI marker, metadata on how), then the crawl state."""

    def __init__(self, store: WarcStore, state: CrawlState, site: str, run_id: str, warc_dir: Path, base: str):
        self.store, self.state, self.site, self.run_id = store, state, site, run_id
        self.warc_dir, self.base = warc_dir, base

    def held_at(self, url: str, captured_at: str) -> bool:
        """True when a Wayback capture of `url` at `captured_at` is already archived (response or revisit)."""
        return self.state.db.execute(
            "SELECT 1 FROM captures WHERE url = ? AND captured_at = ? AND kind = ? AND body_warc_file IS NOT NULL "
            "LIMIT 1", (url, captured_at, KIND)).fetchone() is not None

    def revisit_if_held(self, url: str, row: CdxRow, same_document: tuple[str, ...] = ()) -> bool:
        """Archive a listed capture as a revisit when its payload (by CDX digest) is already held for the
        URL or another URL of the same document (`www.` or not): no request to the Wayback, the date and
        the digest come from the listing."""
        if not row.digest:
            return False
        urls = (url, *same_document)
        marks = ",".join("?" * len(urls))
        held = self.state.db.execute(
            f"SELECT * FROM captures WHERE url IN ({marks}) AND kind = ? AND record_type = 'response' "
            f"AND payload_digest = ? ORDER BY captured_at LIMIT 1", (*urls, KIND, "sha1:" + row.digest)).fetchone()
        if held is None:
            return False
        original = read_head(self.warc_dir, held["warc_file"], held["warc_offset"])
        source = id_url(self.base, row)
        how = {"obtained-by": "Wayback Machine CDX listing only (payload not fetched)", "listed": source,
               "cdx-digest": row.digest, "cdx-row": f"{row.mimetype} {row.statuscode}",
               "same-payload-as": f"{held['captured_at']} {held['record_id']}"}
        written = self.store.write_copied_revisit(
            url, original=original, payload_digest="sha1:" + row.digest, warc_date=row.captured_at,
            warc_headers={"WARC-Source-URI": source, "WARC-Creation-Date": utc_now_iso()}, how=how)
        capture = Capture(url=url, site=self.site, status=held["status"], headers=json.loads(held["headers"]),
                          payload_digest=written.payload_digest, warc_file=written.warc_file,
                          warc_offset=written.offset, record_id=written.record_id, captured_at=row.captured_at,
                          run_id=self.run_id)
        self.state.record_capture(capture, kind=KIND, record_type="revisit",
                                  body_location=(held["warc_file"], held["warc_offset"]), update_url=False)
        return True

    def record_response(self, url: str, captured_at: str, source: str, attempt: Attempt, body: bytes,
                        how: dict[str, str]) -> None:
        headers = original_headers(attempt.headers)
        written = self.store.write_copied_response(
            url, status=200, reason=attempt.reason or "OK", response_headers=headers, body=body,
            warc_date=captured_at, warc_headers={"WARC-Source-URI": source, "WARC-Creation-Date": utc_now_iso()},
            how=how)
        capture = Capture(
            url=url, site=self.site, status=200, headers={k.lower(): v for k, v in headers},
            payload_digest=written.payload_digest, warc_file=written.warc_file, warc_offset=written.offset,
            record_id=written.record_id, captured_at=captured_at, run_id=self.run_id, extra={"source_uri": source})
        self.state.record_capture(capture, kind=KIND, record_type="response",
                                  body_location=(written.warc_file, written.offset), update_url=False)
