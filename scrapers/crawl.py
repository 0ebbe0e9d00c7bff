"""Crawl one site: robots.txt, list pages, then every article (new and known), archiving each response."""

from __future__ import annotations

import logging
import time
import urllib.robotparser
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
import sqlite3
import zlib
from urllib.parse import urlsplit

import httpx

from core.profiles import Profile
from core.capture import Capture
from scrapers import pagination
from scrapers.answers import replay_missing, unanswered
from scrapers.discover import classify_links, extract_links
from scrapers.fetch import (Attempt, CrawlSettings, content_codings, fetch_with_retries, inflate,
                            payload_digest)
from scrapers.revisit import CHANGED, FAILED, UNCHANGED, RevisitPolicy, next_schedule, plan_revisits, policy_from_table
from scrapers.state import CrawlState
from scrapers.urls import BadURL, join_link, redirect_refusal, to_uri
from scrapers.warcstore import (WarcStore, WarcWriteError, check_payload, describe_os_error, read_head,
                                utc_now_iso)

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
    not_checked: int = 0           # a replay that does not hold the URL: neither there nor gone
    not_in_replay: list[tuple[str, str]] = field(default_factory=list)  # (list page, why): a replay lacks it
    failed: list[tuple[str, str]] = field(default_factory=list)   # (url, last error)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, reason): robots, foreign host
    bad_links: list[tuple[str, str]] = field(default_factory=list)  # (href, reason): malformed, not requested
    requests: int = 0              # URLs requested (final answer counted once, retries not)
    unanswered: int = 0            # of those: no usable answer (transport error, 403, 429, 5xx)
    index_pages_ok: int = 0        # list pages that answered 200
    empty_index_pages: int = 0     # list pages that answered 200 but linked no article (a layout canary)
    robots_errors: list[str] = field(default_factory=list)  # robots.txt unreachable: nothing may be fetched
    start_failures: int = 0        # start pages without a usable answer
    stopped: str | None = None     # why the crawl stopped early (disk full, state unwritable)
    budget_exhausted: int = 0      # URLs left for the next run by the time budget
    new_articles: int = 0          # article URLs never fetched before (fetched outside the revisit budget)
    deferred: int = 0              # known URLs due but left for a later run by the revisit budget: not a fault
    revisit: dict = field(default_factory=dict)  # the revisit plan in numbers (scrapers/revisit.py RevisitPlan.summary)
    warnings: list[str] = field(default_factory=list)  # not faults, but said aloud (a budget too small for the bound)
    outcome: str = "ok"            # ok | partial | unreachable (changed-layout is decided after cleaning)
    cause: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def crawl_outcome(report: SiteCrawlReport, start_pages: int) -> tuple[str, str]:
    """The crawl's outcome and its cause in words, from what the report counted.

    unreachable  robots.txt could not be read, every start page failed, or most requests got no
                 usable answer (timeouts, DNS, a refusing proxy, 403/429/5xx): nothing can be said
                 about the site this run
    partial      the crawl stopped early (disk full), some pages failed, or the time budget ran out
    ok           every page answered (404/410 are answers)
    """
    if report.robots_errors:
        return "unreachable", f"robots.txt unreachable ({report.robots_errors[0]})"
    if start_pages and report.start_failures >= start_pages:
        errors = [e for _, e in report.failed + report.not_in_replay]
        return "unreachable", f"every start page failed ({errors[0] if errors else 'no answer'})"
    if report.requests and report.unanswered * 2 > report.requests:
        errors = [e for _, e in report.failed]
        return "unreachable", (f"{report.unanswered} of {report.requests} requests got no usable answer"
                               + (f" ({_most_common(errors)})" if errors else ""))
    if report.stopped:
        return "partial", report.stopped
    if report.failed:
        return "partial", (f"{len(report.failed)} of {report.requests} pages failed "
                           f"({_most_common([e for _, e in report.failed])})")
    if report.budget_exhausted:
        return "partial", f"time budget exhausted: {report.budget_exhausted} URLs left for the next run"
    return "ok", ""


def _most_common(errors: list[str]) -> str:
    from collections import Counter
    return Counter(errors).most_common(1)[0][0]


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


# Group commits: the WARC is synced and the held state rows committed once per group of captures, not
# once per capture (a 304 alone is three records). A group ends after this many captures or seconds,
# whichever comes first, so a crash costs at most one second of crawl state (the pages are fetched
# again by the next run; their WARC records stay in the file).
GROUP_CAPTURES = 256
GROUP_SECONDS = 1.0


def site_settings(profile: Profile, settings: CrawlSettings) -> CrawlSettings:
    """The crawl settings for one site, with its profile's [crawl.fetch]: a slow site's `timeout` and
    `deadline` (each used when longer than the crawl's) and `retry_waits` (kcna.kp connects slowly: public scrapers of it wait 60 s
    and retry after 5, 15, 45 and 90 s). The waits are in units of the crawl's `backoff` (1 s by
    default; a test's tiny backoff keeps them tiny); a crawl asked for no retries (retries=0) gets none."""
    fetch, changes = profile.fetch, {}
    if "timeout" in fetch and float(fetch["timeout"]) > settings.timeout:
        changes["timeout"] = float(fetch["timeout"])
    if "deadline" in fetch and float(fetch["deadline"]) > settings.deadline:
        changes["deadline"] = float(fetch["deadline"])
    if changes.get("timeout", 0) > changes.get("deadline", settings.deadline):
        changes["deadline"] = changes["timeout"]   # a request's whole deadline is never below one read's
    if fetch.get("retry_waits") and settings.retries > 0:
        changes["retry_waits"] = tuple(float(w) * settings.backoff for w in fetch["retry_waits"])
    return replace(settings, **changes) if changes else settings


class SiteCrawler:
    """Runs one crawl of one site into a WARC file and the crawl state."""

    def __init__(self, profile: Profile, *, state: CrawlState, warc_dir: Path, run_id: str,
                 client: httpx.Client, settings: CrawlSettings):
        settings = site_settings(profile, settings)
        self.profile, self.state, self.run_id = profile, state, run_id
        self.client, self.settings = client, settings
        self.store = WarcStore(warc_dir, run_id, profile.name, replay_of=state.replay_of(run_id), group_sync=True)
        self.state.begin_group()
        self._group_started, self._group_size = time.monotonic(), 0
        self._last_record_type = ""  # of the last attempt recorded: the final answer once fetch returns
        self.report = SiteCrawlReport(profile.name, run_id)
        self.politeness = _Politeness(settings.delay)
        self.robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self.started = time.monotonic()
        # None: every known article is re-checked every run (a profile without [revisit])
        self.policy = policy_from_table(profile.revisit, settings.revisit_budget)
        self.schedules: dict = {}       # url -> Schedule as stored before this run
        self.checked: dict = {}         # url -> Schedule after this run's check, written in batches
        self._discovered: set[str] = set()   # article URLs found on list pages so far this run
        self._payload_checked: dict[tuple[str, int], str | None] = {}  # held payload -> why damaged (None: sound)

    # --- recording ------------------------------------------------------------------------

    def _record(self, attempt: Attempt, kind: str) -> str:
        """Archive one attempt (in the WARC first), then hold its state row in the group; returns the
        record type (response, revisit, failure, refused). The group commits once its records are synced.

        A response replayed from an archive keeps its original capture date (the replay server's
        Memento-Datetime): a replay does not rewrite history.
        """
        when = attempt.archived_at or utc_now_iso()
        headers = {k.lower(): v for k, v in attempt.headers}
        previous = self._latest_usable(attempt.url)
        if attempt.error and attempt.status == 0:
            written = self.store.write_failure(attempt.url, error=attempt.error, warc_date=when)
            record_type, body_location = "failure", None
        elif attempt.error:  # a response arrived but was refused (too large): keep the headers only
            written = self.store.write_exchange(
                attempt.url, method=attempt.method, request_headers=attempt.request_headers, status=attempt.status,
                reason=attempt.reason, response_headers=attempt.headers, body=b"", warc_date=when,
                request_body=attempt.request_body)
            record_type, body_location = "refused", None
        elif attempt.status == 304 and previous is not None:
            original = read_head(self.store.path.parent, previous["body_warc_file"], previous["body_offset"])
            written = self.store.write_not_modified(
                attempt.url, original=original, payload_digest=previous["payload_digest"], reason=attempt.reason,
                response_headers=attempt.headers, request_headers=attempt.request_headers, warc_date=when)
            record_type = "revisit"
            body_location = (previous["body_warc_file"], previous["body_offset"])
            headers = {**_stored_headers(previous), **headers}
        elif (attempt.status == 200 and attempt.method == "GET" and previous is not None
              and previous["payload_digest"] == payload_digest(attempt.body)):
            original = read_head(self.store.path.parent, previous["body_warc_file"], previous["body_offset"])
            written = self.store.write_revisit(
                attempt.url, refers_to=original.record_id, refers_to_date=original.warc_date,
                refers_to_uri=original.target_uri, payload_digest=previous["payload_digest"], status=200, reason=attempt.reason,
                response_headers=attempt.headers, warc_date=when, request_headers=attempt.request_headers)
            record_type, body_location = "revisit", (previous["body_warc_file"], previous["body_offset"])
        else:
            written = self.store.write_exchange(
                attempt.url, method=attempt.method, request_headers=attempt.request_headers, status=attempt.status,
                reason=attempt.reason, response_headers=attempt.headers, body=attempt.body, warc_date=when,
                request_body=attempt.request_body)
            record_type, body_location = "response", (written.warc_file, written.offset)
        capture = Capture(
            url=attempt.url, site=self.profile.name, status=attempt.status, headers=headers,
            payload_digest=written.payload_digest, warc_file=written.warc_file, warc_offset=written.offset,
            record_id=written.record_id, captured_at=when, run_id=self.run_id, error=attempt.error)
        self.state.record_capture(capture, kind=kind, record_type=record_type, body_location=body_location)
        self._last_record_type = record_type
        self._group_size += 1
        if self._group_size >= GROUP_CAPTURES or time.monotonic() - self._group_started >= GROUP_SECONDS:
            self._commit()
        return record_type

    def _commit(self) -> None:
        """End the group: sync the WARC first, then commit the state rows that point into it."""
        self.store.sync()
        self.state.commit_group()
        self._group_started, self._group_size = time.monotonic(), 0

    def _latest_usable(self, url: str):
        """The latest capture of `url` whose payload we hold and can read back, the open group included.
        A held payload that is damaged (its WARC record torn, overwritten or not matching its digest) is
        none: a 304 or an identical answer cannot be archived as a revisit of it, so the page is fetched
        unconditionally and archived afresh; the damage is a warning naming the record."""
        if self.state.pending(url):
            self._commit()
        previous = self.state.latest_usable(url)
        if previous is None or not previous["body_warc_file"]:
            return previous
        where = (previous["body_warc_file"], previous["body_offset"])
        if where not in self._payload_checked:
            why = check_payload(self.store.path.parent, *where, previous["payload_digest"])
            self._payload_checked[where] = why
            if why:
                self.report.warnings.append(f"{url}: held payload damaged ({why}): fetched unconditionally, "
                                            f"a fresh copy archived")
                log.warning("%s: %s", self.profile.name, self.report.warnings[-1])
        return None if self._payload_checked[where] else previous

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
            if attempt.error or unanswered(attempt.status):
                self.report.robots_errors.append(attempt.error or f"HTTP {attempt.status}")
            if attempt.status == 200 and not attempt.error:
                text = robots_text(attempt, self.settings.max_bytes)
                if text is None:   # a robots.txt that cannot be read is no permission (RFC 9309 2.3.1.3)
                    self.report.robots_errors.append(
                        f"robots.txt content-encoding {attempt.header('content-encoding')!r} does not decode")
                    parser.disallow_all = True
                else:
                    parser.parse(text.splitlines())
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
        for hop in range(self.settings.max_redirects + 1):
            refusal = redirect_refusal(url, self.profile.hosts) if hop else (
                None if self.profile.owns(url) else "a host outside the site profile")
            if refusal:
                self.report.skipped.append((url, refusal))
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
                try:
                    url = join_link(url, location)
                except BadURL as exc:
                    self.report.skipped.append((url, f"redirect to a malformed URL: {exc}"))
                    return None, url
                continue
            self.report.requests += 1
            # a URL a replay does not hold is not checked this run (counted where it is met), not unanswered:
            # a replay holding only some of a site's lists says nothing about the site
            if (attempt.error and attempt.status == 0) or (unanswered(attempt.status)
                                                          and not replay_missing(attempt.headers)):
                self.report.unanswered += 1
            return attempt, url
        self.report.failed.append((url, f"more than {self.settings.max_redirects} redirects"))
        return None, url

    def _conditional_headers(self, url: str) -> dict[str, str]:
        previous = self._latest_usable(url)
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
        """Walk list/index pages breadth-first (pagination included); return article URLs found.

        Each page is isolated: a page that cannot be parsed or requested is recorded as failed and the
        walk goes on. Only a local fault that stops all archiving (LocalFault) ends it.
        """
        starts = set(start_urls)
        queue, seen, articles = list(start_urls), set(start_urls), {}
        while queue and self.report.index_pages < self.profile.max_index_pages:
            url = queue.pop(0)
            try:
                index_pages, article_urls = self._discover_page(url)
            except LocalFault:
                raise
            except Exception as exc:  # one hostile page never stops the crawl: record it, go on
                self.report.failed.append((url, f"{type(exc).__name__}: {exc}".splitlines()[0]))
                index_pages, article_urls = None, []
            if index_pages is None:
                if url in starts:
                    self.report.start_failures += 1
                continue
            if not article_urls:
                self.report.empty_index_pages += 1
            articles.update(dict.fromkeys(article_urls))
            self._discovered.update(article_urls)
            for page in index_pages:
                if page not in seen:
                    seen.add(page)
                    queue.append(page)
        return list(articles)

    def _discover_page(self, url: str) -> tuple[list[str] | None, list[str]]:
        """(list pages, article URLs) linked from one list page; (None, []) when it gave no page."""
        try:
            url = to_uri(url)
        except BadURL as exc:
            self.report.bad_links.append((url, str(exc)))
            return None, []
        attempt, final_url = self.fetch(url, "index")
        if attempt is None:
            return None, []
        self.report.index_pages += 1
        if attempt.error or attempt.status != 200:
            if replay_missing(attempt.headers) and not attempt.error:
                # a list page the replayed WARCs do not hold: not checked this run, not a failure of the site
                self.report.not_checked += 1
                self.report.not_in_replay.append((url, f"HTTP {attempt.status}, not in the replayed WARCs"))
                return None, []
            self.report.failed.append((url, attempt.error or f"HTTP {attempt.status}"))
            return None, []
        self.report.index_pages_ok += 1
        body = _decoded_body(attempt)
        index_pages, article_urls = self._links_of(body, final_url)
        if pagination.applies(self.profile.pagination, url):
            article_urls += [u for u in self._post_pages(final_url, body) if u not in article_urls]
        return index_pages, article_urls

    def _links_of(self, body: bytes, page_url: str) -> tuple[list[str], list[str]]:
        rejected: list[tuple[str, str]] = []
        links = extract_links(body, page_url, rejected, self.profile.script_links)
        self.report.bad_links += rejected
        return classify_links(self.profile, links)

    def _post_pages(self, list_url: str, html: bytes) -> list[str]:
        """The articles of a list's further pages, reached by POSTing the list's own form (page number,
        hidden fields, the session cookie the client keeps) as the profile's [crawl.pagination] says.
        Each page's form is read from the page before it (a CSRF token changes from page to page).
        Stops at the declared page count, the profile's max_pages, the crawl's max_index_pages, or —
        with stop_at_known — at a page that links no article not already known."""
        spec = self.profile.pagination
        count = pagination.page_count(html, spec.get("page_count", r"var\s+page_cnt\s*=\s*(\d+)"))
        if count is None:
            self.report.warnings.append(f"{list_url}: no page count in the list page: only its first page read")
            return []
        last = min(count, int(spec.get("max_pages", count)))
        known = set(self.state.known_urls(self.profile.name)) | self._discovered if spec.get("stop_at_known") else set()
        found: list[str] = []
        first = int(spec.get("first_page", 1))   # the number the list's own page carries (1, or 0 on some sites)
        for ordinal in range(2, last + 1):
            page = first + ordinal - 1
            if self.report.index_pages >= self.profile.max_index_pages:
                self.report.warnings.append(f"{list_url}: stopped at page {ordinal - 1} of {count} "
                                            f"(max_index_pages {self.profile.max_index_pages})")
                break
            form = pagination.post_form(html, list_url, spec, page)
            if form is None:
                self.report.failed.append((list_url, f"page {ordinal}: no paging form on page {ordinal - 1}"))
                break
            answer = self._post_page(form, list_url)
            if answer is None:
                self.report.failed.append((form.action, f"page {ordinal} of {list_url} could not be read"))
                break
            html, page_url = answer
            _, articles = self._links_of(html, page_url)
            new = [u for u in articles if u not in found]
            found += new
            if not articles:
                self.report.empty_index_pages += 1
            if spec.get("stop_at_known") and articles and all(u in known or _as_recorded(u) in known for u in articles):
                break
        return found

    def _post_page(self, form: "pagination.PostForm", referer: str) -> tuple[bytes, str] | None:
        """POST one page's form (archived with its body), then GET the list a 3xx answer points at."""
        if not self.profile.owns(form.action) or not self._allowed_by_robots(form.action):
            self.report.skipped.append((form.action, "paging form outside the site or disallowed by robots.txt"))
            return None
        self.politeness.wait(form.action)
        attempt = fetch_with_retries(self.client, form.action, self.settings, {"Referer": referer},
                                     on_attempt=lambda a: self._record(a, "index"), form=form.fields)
        self.report.index_pages += 1
        self.report.requests += 1
        if (attempt.error and attempt.status == 0) or unanswered(attempt.status):
            self.report.unanswered += 1
        location = attempt.header("location")
        if attempt.status in (301, 302, 303, 307, 308) and location and not attempt.error:
            try:
                target = join_link(form.action, location)
            except BadURL:
                return None
            attempt, target = self.fetch(target, "index")
            if attempt is None:
                return None
            form_url = target
        else:
            form_url = form.action
        if attempt.error or attempt.status != 200:
            return None
        self.report.index_pages_ok += 1
        return _decoded_body(attempt), form_url

    def crawl_articles(self, urls: list[str]) -> None:
        """Fetch each article (conditionally when a payload is already held), within the time budget.

        The budget is the crawl's timeout: it stops between requests, so nothing is left half-written,
        and every URL not reached is reported and fetched by the next run (it stays a known URL).
        Each page is isolated: an exception while fetching or recording one is recorded as its failure.
        """
        deadline = self.started + self.settings.max_seconds
        for position, url in enumerate(urls):
            if time.monotonic() > deadline:
                self.report.skipped += [(u, "time budget exhausted: left for the next run") for u in urls[position:]]
                self.report.budget_exhausted = len(urls) - position
                return
            self.report.articles += 1
            try:
                self._crawl_article(url)
            except LocalFault:
                raise
            except Exception as exc:
                self.report.failed.append((url, f"{type(exc).__name__}: {exc}".splitlines()[0]))
                self._note_check(url, FAILED)

    def _note_check(self, url: str, result: str, gone: bool = False) -> None:
        """Remember what this run's check of an article found, for its revisit schedule (stored in
        batches: losing a batch to a crash only makes those URLs due again)."""
        policy = self.policy or RevisitPolicy()
        self.checked[url] = next_schedule(policy, self.schedules.get(url), url, result,
                                          datetime.now(timezone.utc), gone=gone)
        if len(self.checked) >= 500:
            self._commit()   # the captures of these checks first: a schedule never runs ahead of them
            self._store_checks()

    def _store_checks(self) -> None:
        self.state.record_revisits(self.profile.name, self.checked.values())
        self.checked = {}

    def _crawl_article(self, url: str) -> None:
        try:
            url = to_uri(url)
        except BadURL as exc:
            self.report.bad_links.append((url, str(exc)))
            return
        attempt, _ = self.fetch(url, "article", conditional=True)
        if attempt is None:
            self._note_check(url, FAILED)
            return
        result, gone = FAILED, False
        if attempt.error:
            self.report.failed.append((url, attempt.error))
        elif replay_missing(attempt.headers):
            self.report.not_checked += 1
        elif attempt.status in (404, 410):
            self.report.gone += 1
            result, gone = UNCHANGED, True
        elif attempt.status == 304:
            self.report.unchanged += 1
            result = UNCHANGED
        elif attempt.status == 200:
            ctype = (attempt.header("content-type") or "").split(";")[0].strip().lower()
            unchanged = self._last_record_type == "revisit"  # the final answer's record (after any redirect)
            result = UNCHANGED if unchanged else CHANGED
            if ctype and ctype not in HTML_TYPES:
                self.report.skipped.append((url, f"not HTML: {ctype}"))
            elif unchanged:
                self.report.unchanged += 1
            else:
                self.report.downloaded += 1
        else:
            self.report.failed.append((url, f"HTTP {attempt.status}"))
        self._note_check(url, result, gone)

    def run(self, start_urls: list[str] | None = None) -> SiteCrawlReport:
        """Crawl, then state the outcome (report.outcome, report.cause). A local fault (disk full, an
        unwritable crawl state) stops the crawl and is the cause; what was archived before it stays."""
        starts = list(start_urls or self.profile.start_urls)
        try:
            discovered = self.discover(starts)
            known = self.state.known_urls(self.profile.name)
            self.schedules = self.state.revisit_schedules(self.profile.name)
            self.crawl_articles(self.articles_to_fetch(discovered, known))
        except LocalFault as exc:
            self.report.stopped = f"crawl stopped: {describe_local_fault(exc)}"
        finally:
            self._end_group()
            self._store_checks_after_run()
        self.report.outcome, self.report.cause = crawl_outcome(self.report, len(starts))
        return self.report

    def articles_to_fetch(self, discovered: list[str], known: list[str]) -> list[str]:
        """This run's article URLs: the new ones (never fetched) first, then the known ones — all of
        them without a revisit policy, else those the policy picks within its budget (the rest are
        counted as deferred, with the warning when the budget cannot keep the re-check bound)."""
        known_set = set(known)
        new = [u for u in dict.fromkeys(discovered) if _as_recorded(u) not in known_set]
        self.report.new_articles = len(new)
        if self.policy is None:
            return list(dict.fromkeys(discovered + known))
        plan = plan_revisits(self.policy, known, self.schedules, datetime.now(timezone.utc))
        self.report.deferred = len(plan.deferred)
        self.report.revisit = {**plan.summary(self.policy), "new": len(new)}
        if plan.warning:
            self.report.warnings.append(plan.warning)
            log.warning("%s: %s", self.profile.name, plan.warning)
        return new + plan.fetch

    def _store_checks_after_run(self) -> None:
        """Write the last batch of schedules, after the last group of captures is committed. A stopped
        crawl (its last group may be dropped) or a state that cannot take them loses only the schedule:
        those URLs are due again next run; never a capture."""
        if self.report.stopped:
            self.checked = {}
            return
        try:
            self._store_checks()
        except sqlite3.Error as exc:
            self.report.warnings.append(f"revisit schedule not saved: {describe_sqlite_error(exc)}")


    def _end_group(self) -> None:
        """Commit the last group (after a fault too: the records before a failed write are whole). When
        the sync or the commit fails, the held rows are dropped, never half-written: their WARC records
        stay in the file and the next run fetches those pages again."""
        try:
            self._commit()
        except LocalFault as exc:
            self.report.stopped = self.report.stopped or f"crawl stopped: {describe_local_fault(exc)}"
        finally:
            self.state.end_group(commit=False)
            self.store.close()


# Faults on this machine, not on the site: archiving cannot go on, so the crawl stops (never per page).
LocalFault = (WarcWriteError, sqlite3.OperationalError, OSError)


def describe_local_fault(exc: BaseException) -> str:
    """A local fault in words (disk full, an unwritable crawl state), for "crawl stopped: ..."."""
    if isinstance(exc, WarcWriteError):
        return exc.strerror
    if isinstance(exc, sqlite3.OperationalError):
        return f"the crawl state could not be written: {describe_sqlite_error(exc)}"
    return describe_os_error(exc)


def describe_sqlite_error(exc: sqlite3.Error) -> str:
    """SQLite's errors in words: "database or disk is full" and "disk I/O error" both say disk full
    when the disk is full (SQLite reports ENOSPC during a journal write as an I/O error)."""
    text = str(exc)
    if "disk is full" in text:
        return "disk full (no space left on device)"
    if "disk I/O error" in text:
        return "disk I/O error (the disk is full or failing)"
    return text


def _as_recorded(url: str) -> str:
    """A discovered link as the crawl state records it (to_uri), to tell a new URL from a known one."""
    try:
        return to_uri(url)
    except BadURL:
        return url


def _stored_headers(row) -> dict[str, str]:
    import json
    return json.loads(row["headers"])


def _decoded_body(attempt: Attempt, limit: int = CrawlSettings.max_bytes) -> bytes:
    """The body with content-encoding undone (index pages are parsed for links only); empty when it
    does not decode or inflates past `limit` (the fetch refuses such a body before it gets here)."""
    codings = content_codings(attempt.header("content-encoding"))
    if not codings:
        return attempt.body
    try:
        return inflate(attempt.body, codings, limit)
    except (ValueError, zlib.error):
        return b""


def robots_text(attempt: Attempt, limit: int) -> str | None:
    """robots.txt as text, its content-encoding undone: servers commonly gzip text/plain, and the gzip
    bytes parsed as robots.txt are no rules at all (a `Disallow: /` would go unseen). None when the
    coding does not decode. RFC 9309 asks crawlers to read at least 500 KiB of it."""
    codings = content_codings(attempt.header("content-encoding"))
    try:
        body = inflate(attempt.body, codings, limit) if codings else attempt.body
    except (ValueError, zlib.error):
        return None
    return body.decode("utf-8", "replace")


def crawl_site(profile: Profile, *, state: CrawlState, warc_dir: Path, run_id: str, client: httpx.Client,
               settings: CrawlSettings, start_urls: list[str] | None = None) -> SiteCrawlReport:
    """Crawl one site (see SiteCrawler); the function the CLI and the refresh flow call."""
    return SiteCrawler(profile, state=state, warc_dir=warc_dir, run_id=run_id, client=client,
                       settings=settings).run(start_urls)
