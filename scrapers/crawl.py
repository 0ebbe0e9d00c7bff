"""Crawl one site: robots.txt, list pages, then every article (new and known), archiving each response."""

from __future__ import annotations

import logging
import time
import urllib.robotparser
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from core.profiles import Profile
from core.capture import Capture
from scrapers.discover import classify_links, extract_links
from scrapers.fetch import Attempt, CrawlSettings, fetch_with_retries, payload_digest
from scrapers.state import CrawlState
from scrapers.warcstore import WarcStore, read_head, utc_now_iso

log = logging.getLogger("kcorpus.crawl")

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class SiteCrawlReport:
    """What one site's crawl did; every number is also reconstructible from the crawl state."""

    site: str
    run_id: str
    index_pages: int = 0
    articles: int = 0              # article URLs requested this run
    downloaded: int = 0            # bodies archived in full (new or changed payloads)
    unchanged: int = 0             # 304 or identical payload: a revisit record, no second copy
    gone: int = 0                  # 404/410 for an article URL
    failed: list[tuple[str, str]] = field(default_factory=list)   # (url, last error)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, reason): robots, foreign host

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class _Politeness:
    """At most one request in flight per host (the crawl is sequential per site) and a delay between."""

    def __init__(self, delay: float):
        self.delay = delay
        self._last: dict[str, float] = {}

    def wait(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        elapsed = time.monotonic() - self._last.get(host, -1e9)
        if elapsed < self.delay:
            time.sleep(self.delay - elapsed)
        self._last[host] = time.monotonic()


class SiteCrawler:
    """Runs one crawl of one site into a WARC file and the crawl state."""

    def __init__(self, profile: Profile, *, state: CrawlState, warc_dir: Path, run_id: str,
                 client: httpx.Client, settings: CrawlSettings):
        self.profile, self.state, self.run_id = profile, state, run_id
        self.client, self.settings = client, settings
        self.store = WarcStore(warc_dir, run_id, profile.name, replay_of=state.replay_of(run_id))
        self.report = SiteCrawlReport(profile.name, run_id)
        self.politeness = _Politeness(settings.delay)
        self.robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self.started = time.monotonic()

    # --- recording ------------------------------------------------------------------------

    def _record(self, attempt: Attempt, kind: str) -> int:
        """Archive one attempt (WARC first, flushed), then record it in the crawl state.

        A response replayed from an archive keeps its original capture date (the replay server's
        Memento-Datetime): a replay does not rewrite history.
        """
        when = attempt.archived_at or utc_now_iso()
        headers = {k.lower(): v for k, v in attempt.headers}
        previous = self.state.latest_usable(attempt.url)
        if attempt.error and attempt.status == 0:
            written = self.store.write_failure(attempt.url, error=attempt.error, warc_date=when)
            record_type, body_location = "failure", None
        elif attempt.error:  # a response arrived but was refused (too large): keep the headers only
            written = self.store.write_exchange(
                attempt.url, method="GET", request_headers=attempt.request_headers, status=attempt.status,
                reason=attempt.reason, response_headers=attempt.headers, body=b"", warc_date=when)
            record_type, body_location = "refused", None
        elif attempt.status == 304 and previous is not None:
            original = read_head(self.store.path.parent, previous["body_warc_file"], previous["body_offset"])
            written = self.store.write_not_modified(
                attempt.url, original=original, payload_digest=previous["payload_digest"], reason=attempt.reason,
                response_headers=attempt.headers, request_headers=attempt.request_headers, warc_date=when)
            record_type = "revisit"
            body_location = (previous["body_warc_file"], previous["body_offset"])
            headers = {**_stored_headers(previous), **headers}
        elif (attempt.status == 200 and previous is not None
              and previous["payload_digest"] == payload_digest(attempt.body)):
            original = read_head(self.store.path.parent, previous["body_warc_file"], previous["body_offset"])
            written = self.store.write_revisit(
                attempt.url, refers_to=original.record_id, refers_to_date=original.warc_date,
                refers_to_uri=original.target_uri, payload_digest=previous["payload_digest"], status=200, reason=attempt.reason,
                response_headers=attempt.headers, warc_date=when, request_headers=attempt.request_headers)
            record_type, body_location = "revisit", (previous["body_warc_file"], previous["body_offset"])
        else:
            written = self.store.write_exchange(
                attempt.url, method="GET", request_headers=attempt.request_headers, status=attempt.status,
                reason=attempt.reason, response_headers=attempt.headers, body=attempt.body, warc_date=when)
            record_type, body_location = "response", (written.warc_file, written.offset)
        capture = Capture(
            url=attempt.url, site=self.profile.name, status=attempt.status, headers=headers,
            payload_digest=written.payload_digest, warc_file=written.warc_file, warc_offset=written.offset,
            record_id=written.record_id, captured_at=when, run_id=self.run_id, error=attempt.error)
        return self.state.record_capture(capture, kind=kind, record_type=record_type, body_location=body_location)

    # --- fetching -------------------------------------------------------------------------

    def _allowed_by_robots(self, url: str) -> bool:
        """robots.txt of the URL's host, fetched (and archived) once per run."""
        if not self.settings.obey_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            robots_url = origin + "/robots.txt"
            self.politeness.wait(robots_url)
            attempt = fetch_with_retries(self.client, robots_url, self.settings,
                                         on_attempt=lambda a: self._record(a, "robots"))
            parser = urllib.robotparser.RobotFileParser(robots_url)
            if attempt.status == 200 and not attempt.error:
                parser.parse(attempt.body.decode("utf-8", "replace").splitlines())
            elif 400 <= attempt.status < 500:
                parser.allow_all = True      # RFC 9309: no robots.txt means no restriction
            else:
                parser.disallow_all = True   # RFC 9309: unreachable robots.txt means assume disallowed
            self.robots[origin] = parser
        return self.robots[origin].can_fetch(self.settings.user_agent, url)

    def fetch(self, url: str, kind: str, conditional: bool = False) -> tuple[Attempt | None, str]:
        """Fetch `url` following redirects only within the site's hosts; archive every hop.

        Returns the final attempt (None when not fetched) and the final URL.
        """
        for _ in range(self.settings.max_redirects + 1):
            if not self.profile.owns(url):
                self.report.skipped.append((url, "redirect to a host outside the site profile"))
                return None, url
            if not self._allowed_by_robots(url):
                self.report.skipped.append((url, "disallowed by robots.txt"))
                return None, url
            headers = self._conditional_headers(url) if conditional else {}
            self.politeness.wait(url)
            attempt = fetch_with_retries(self.client, url, self.settings, headers,
                                         on_attempt=lambda a: self._record(a, kind))
            location = attempt.header("location")
            if attempt.status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                continue
            return attempt, url
        self.report.failed.append((url, f"more than {self.settings.max_redirects} redirects"))
        return None, url

    def _conditional_headers(self, url: str) -> dict[str, str]:
        previous = self.state.latest_usable(url)
        if previous is None:
            return {}
        headers = {}
        if previous["etag"]:
            headers["If-None-Match"] = previous["etag"]
        if previous["last_modified"]:
            headers["If-Modified-Since"] = previous["last_modified"]
        return headers

    # --- the crawl ------------------------------------------------------------------------

    def discover(self, start_urls: list[str]) -> list[str]:
        """Walk list/index pages breadth-first (pagination included); return article URLs found."""
        queue, seen, articles = list(start_urls), set(start_urls), {}
        while queue and self.report.index_pages < self.profile.max_index_pages:
            url = queue.pop(0)
            attempt, final_url = self.fetch(url, "index")
            if attempt is None:
                continue
            self.report.index_pages += 1
            if attempt.error or attempt.status != 200:
                self.report.failed.append((url, attempt.error or f"HTTP {attempt.status}"))
                continue
            body = _decoded_body(attempt)
            index_pages, article_urls = classify_links(self.profile, extract_links(body, final_url))
            articles.update(dict.fromkeys(article_urls))
            for page in index_pages:
                if page not in seen:
                    seen.add(page)
                    queue.append(page)
        return list(articles)

    def crawl_articles(self, urls: list[str]) -> None:
        """Fetch each article (conditionally when a payload is already held), within the time budget.

        The budget is the crawl's timeout: it stops between requests, so nothing is left half-written,
        and every URL not reached is reported and fetched by the next run (it stays a known URL).
        """
        deadline = self.started + self.settings.max_seconds
        for position, url in enumerate(urls):
            if time.monotonic() > deadline:
                self.report.skipped += [(u, "time budget exhausted: left for the next run") for u in urls[position:]]
                return
            self.report.articles += 1
            attempt, _ = self.fetch(url, "article", conditional=True)
            if attempt is None:
                continue
            if attempt.error:
                self.report.failed.append((url, attempt.error))
            elif attempt.status in (404, 410):
                self.report.gone += 1
            elif attempt.status == 304:
                self.report.unchanged += 1
            elif attempt.status == 200:
                ctype = (attempt.header("content-type") or "").split(";")[0].strip().lower()
                if ctype and ctype not in HTML_TYPES:
                    self.report.skipped.append((url, f"not HTML: {ctype}"))
                elif self.state.latest_usable(url)["record_type"] == "revisit":
                    self.report.unchanged += 1
                else:
                    self.report.downloaded += 1
            else:
                self.report.failed.append((url, f"HTTP {attempt.status}"))

    def run(self, start_urls: list[str] | None = None) -> SiteCrawlReport:
        try:
            discovered = self.discover(list(start_urls or self.profile.start_urls))
            known = self.state.known_urls(self.profile.name)
            self.crawl_articles(list(dict.fromkeys(discovered + known)))
        finally:
            self.store.close()
        return self.report


def _stored_headers(row) -> dict[str, str]:
    import json
    return json.loads(row["headers"])


def _decoded_body(attempt: Attempt) -> bytes:
    """The body with content-encoding undone (index pages are parsed for links only)."""
    encoding = (attempt.header("content-encoding") or "").lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        import zlib
        try:
            wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
            return zlib.decompress(attempt.body, wbits)
        except zlib.error:
            return b""
    return attempt.body


def crawl_site(profile: Profile, *, state: CrawlState, warc_dir: Path, run_id: str, client: httpx.Client,
               settings: CrawlSettings, start_urls: list[str] | None = None) -> SiteCrawlReport:
    """Crawl one site (see SiteCrawler); the function the CLI and the refresh flow call."""
    return SiteCrawler(profile, state=state, warc_dir=warc_dir, run_id=run_id, client=client,
                       settings=settings).run(start_urls)
