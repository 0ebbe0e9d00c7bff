"""Fetch one URL politely with httpx: retries with backoff, response limits, no parsing."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpcore
import httpx

from core.version import __version__

log = logging.getLogger("kcorpus.fetch")

# Identifies the crawler to site operators, as Scrapy's template asks every project to do; set
# KCORPUS_CONTACT to a URL or e-mail address where an operator can reach whoever runs the crawl.
CONTACT = os.environ.get("KCORPUS_CONTACT", "https://github.com/kcorpus/kcorpus")
USER_AGENT = f"kcorpus/{__version__} (+{CONTACT}; archival research crawler)"


@dataclass(frozen=True)
class CrawlSettings:
    """Crawl behaviour. Defaults are the polite ones for a live site (after Scrapy's template)."""

    delay: float = 1.0            # seconds between two requests to one host: small sites, one at a time
    timeout: float = 30.0         # per read (httpx): a server that stops answering must not hang the crawl
    # per request, in all: a server dripping a byte at a time resets the per-read timeout forever
    # (5 times kcna.kp's slow 60 s per read; a profile's [crawl.fetch] may set its own, see site_settings)
    deadline: float = 300.0
    retries: int = 2              # extra attempts on timeouts, connection errors, 429 and 5xx
    backoff: float = 1.0          # first retry waits ~backoff s, then doubles (plus jitter)
    max_bytes: int = 5 * 1024 * 1024   # a bigger body is recorded as an error, not archived whole; counted
                                       # both as sent and inflated (a gzip bomb is small as sent)
    max_redirects: int = 5
    max_seconds: float = 6 * 3600  # a crawl's time budget: past it, the rest waits for the next run
    obey_robots: bool = True
    user_agent: str = USER_AGENT
    # known articles re-checked per run at most (scrapers/revisit.py); None: the profile's [revisit]
    # budget, or every known article every run for a profile without [revisit]
    revisit_budget: int | None = None
    # waits before each retry, in seconds (a slow site's profile, e.g. 5/15/45/90); None: backoff doubling
    retry_waits: tuple[float, ...] | None = None


@dataclass
class Attempt:
    """One HTTP exchange as received: what goes into WARC, before anything parses it."""

    url: str
    request_headers: list[tuple[str, str]]
    status: int = 0
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error: str | None = None      # no usable response: timeout, connection error, too large
    archived_at: str | None = None  # a replayed response: its original capture date (WARC-Date form)
    method: str = "GET"
    request_body: bytes = b""     # a POST's form, as sent (archived in the request record)

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    @property
    def retryable(self) -> bool:
        """Worth another try: transport errors (not size limits), 429 and 5xx."""
        if self.error is not None:
            return not self.error.startswith("too large")
        return self.status == 429 or self.status >= 500


def payload_digest(body: bytes) -> str:
    """WARC-style payload digest ("sha1:" + base32), identical to what warcio writes."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


MEMENTO_DATETIME = "memento-datetime"
ARCHIVED_AT = "kcorpus.archived_at"   # response extension: the replayed record's WARC-Date


def http_date_to_warc_date(value: str) -> str | None:
    """An HTTP-date (RFC 9110) as a WARC-Date; None when it does not parse.

    >>> http_date_to_warc_date("Thu, 01 Oct 2026 03:00:00 GMT")
    '2026-10-01T03:00:00Z'
    """
    from datetime import timezone
    try:
        return parsedate_to_datetime(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, IndexError):
        return None


class TooLarge(ValueError):
    """A body that inflates past its limit (a decompression bomb, or simply a page too big)."""


COMPRESSIONS = ("gzip", "x-gzip", "deflate")


def content_codings(value: str | None) -> list[str]:
    """The content codings of a Content-Encoding header, in the order they were applied ("identity" left out).

    >>> content_codings("gzip, Deflate")
    ['gzip', 'deflate']
    """
    return [c.strip().lower() for c in (value or "").split(",") if c.strip() and c.strip().lower() != "identity"]


class Inflater:
    """Undoes gzip/deflate content codings chunk by chunk, never past `limit` inflated bytes.

    A gzip bomb is a few hundred kilobytes on the wire and gigabytes inflated: a limit on the bytes
    received never sees it. Each layer inflates at most 64 KiB per step, so memory stays bounded by
    the limit (with `keep`) or by one step (without: the bytes are only counted). Raises TooLarge past
    the limit; zlib.error for a body that is not what its coding says.
    """

    STEP = 64 * 1024

    def __init__(self, codings: list[str], limit: int, keep: bool = True):
        self.layers = [_decompressor(c) for c in reversed(codings)]
        self._gzip = [c in ("gzip", "x-gzip") for c in reversed(codings)]
        self.limit, self.keep, self.size = limit, keep, 0
        self._kept: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self._push(0, chunk)

    def _push(self, layer: int, data: bytes) -> None:
        if layer == len(self.layers):
            self.size += len(data)
            if self.size > self.limit:
                raise TooLarge(f"too large: body inflates past the limit of {self.limit} bytes")
            if self.keep:
                self._kept.append(data)
            return
        inflater = self.layers[layer]
        if isinstance(inflater, _PendingDeflate):
            inflater = self.layers[layer] = inflater.choose(data)
        while data:
            out = inflater.decompress(data, self.STEP)
            if out:
                self._push(layer + 1, out)
            if not inflater.eof:
                data = inflater.unconsumed_tail
            elif inflater.unused_data and self._gzip[layer]:
                # another gzip member follows (RFC 1952 allows many; gzip readers inflate them all): a bomb
                # of many small members must be counted whole, not stop at the first
                data, inflater = inflater.unused_data, _decompressor("gzip")
                self.layers[layer] = inflater
            else:
                break   # the end of the stream: what follows is not this coding's (left as received)

    def result(self) -> bytes:
        return b"".join(self._kept)


class _PendingDeflate:
    """A deflate layer before its first bytes: servers send either zlib-wrapped (RFC 9110) or raw deflate."""

    def choose(self, data: bytes):
        import zlib
        wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)


def _decompressor(coding: str):
    import zlib
    if coding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return _PendingDeflate()
    raise ValueError(f"content coding kcorpus cannot undo: {coding}")


def inflate(body: bytes, codings: list[str], limit: int) -> bytes:
    """`body` with its gzip/deflate content codings undone, at most `limit` bytes inflated (TooLarge past it)."""
    inflater = Inflater(codings, limit)
    inflater.feed(body)
    return inflater.result()


# The deadline of the request this thread has in flight (time.monotonic() value), read by every socket
# read and write of kcorpus's clients: a server dripping its headers a byte at a time resets httpx's
# per-read timeout forever, and the body loop of fetch_once never starts.
_REQUEST_DEADLINE = threading.local()


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits at most until the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    @staticmethod
    def _left(timeout: float | None) -> float | None:
        deadline = getattr(_REQUEST_DEADLINE, "at", None)
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the request's deadline passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, self._left(timeout)))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with _DeadlineStream connections."""

    def __init__(self, inner: httpcore.NetworkBackend):
        self._inner = inner

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _DeadlineStream(self._inner.connect_tcp(host, port, _DeadlineStream._left(timeout), local_address,
                                                       socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._inner.connect_unix_socket(path, _DeadlineStream._left(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _with_deadlines(transport) -> bool:
    """Give an httpx transport's connection pool deadline-aware connections. httpx builds its pool
    without a way to pass a network backend, so the pool's is wrapped in place; False when this httpx
    has no such pool (the deadline then holds between body chunks only)."""
    pool = getattr(getattr(transport, "_inner", transport), "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None:
        return False
    if not isinstance(backend, _DeadlineBackend):
        pool._network_backend = _DeadlineBackend(backend)
    return True


class ReplayTransport(httpx.BaseTransport):
    """Routes every request to a local replay server, keeping the original Host header.

    The crawl code is unchanged between live and replay runs: only the transport differs. The replay
    server says when each response was originally captured in a last Memento-Datetime header (RFC 7089);
    the transport takes that header off the response (it is the replay's, not the site's, so it is never
    archived) and hands the date on as the `kcorpus.archived_at` response extension.
    """

    def __init__(self, port: int):
        self.port = port
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        local = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        headers = request.headers.copy()
        headers["Host"] = request.url.netloc.decode("ascii")
        response = self._inner.handle_request(
            httpx.Request(request.method, local, headers=headers, stream=request.stream,
                          extensions=request.extensions))
        items = _raw_items(response.headers)
        last = max((i for i, (k, _) in enumerate(items) if k.lower() == MEMENTO_DATETIME), default=None)
        if last is not None:
            archived_at = http_date_to_warc_date(items[last][1])
            response.headers = httpx.Headers(items[:last] + items[last + 1:])
            response.extensions = {**response.extensions, ARCHIVED_AT: archived_at}
        return response

    def close(self) -> None:
        self._inner.close()


def _raw_items(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Header fields as sent, names in their original case (httpx's items() lower-cases them)."""
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw]


def make_client(settings: CrawlSettings, replay_port: int | None = None) -> httpx.Client:
    """An httpx client for the crawl; with `replay_port`, every request goes to the replay server."""
    transport = ReplayTransport(replay_port) if replay_port else None
    client = httpx.Client(
        transport=transport, timeout=settings.timeout, follow_redirects=False,
        headers={"User-Agent": settings.user_agent, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                 "Accept-Encoding": "gzip, deflate"})
    # every transport the client may use (proxies from the environment are mounts of their own)
    for each in [client._transport, *client._mounts.values()]:
        if each is not None and not _with_deadlines(each):
            log.warning("httpx %s: request deadlines hold between body chunks only", httpx.__version__)
    return client


def _retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped at 5 minutes."""
    if not value:
        return default
    try:
        return min(300.0, max(0.0, float(value)))
    except ValueError:
        try:
            from datetime import datetime, timezone
            return min(300.0, max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds()))
        except (TypeError, ValueError):
            return default


def fetch_once(client: httpx.Client, url: str, settings: CrawlSettings,
               extra_headers: dict[str, str] | None = None, timeout: float | None = None,
               form: list[tuple[str, str]] | None = None, deadline: float | None = None) -> Attempt:
    """One GET of `url` (a POST of `form`, url-encoded, when given), body read raw (content-encoding kept,
    as WARC wants) up to the size limit, counted both as received and as it inflates (gzip bombs).
    `timeout`: this request's own per-read limit in seconds (a slow API or site), instead of the
    client's; `deadline`: the whole request's limit (default: the settings'), so a server dripping
    one byte at a time cannot hold it open."""
    from urllib.parse import urlencode

    method = "POST" if form is not None else "GET"
    body = urlencode(form).encode("ascii") if form is not None else b""
    headers = dict(extra_headers or {})
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    deadline = settings.deadline if deadline is None else deadline
    started = time.monotonic()
    _REQUEST_DEADLINE.at = started + deadline
    received = None   # body bytes received, once the headers are in
    try:
        per_read = min(timeout if timeout is not None else settings.timeout, deadline)
        options = {"timeout": per_read}
        if form is not None:
            options["content"] = body
        with client.stream(method, url, headers=headers, **options) as response:
            attempt = Attempt(url, _raw_items(response.request.headers), response.status_code,
                              response.reason_phrase, _raw_items(response.headers),
                              archived_at=response.extensions.get(ARCHIVED_AT), method=method, request_body=body)
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > settings.max_bytes:
                attempt.error = f"too large: Content-Length {declared} > limit {settings.max_bytes}"
                return attempt
            codings = content_codings(response.headers.get("content-encoding"))
            meter = (Inflater(codings, settings.max_bytes, keep=False)
                     if codings and all(c in COMPRESSIONS for c in codings) else None)
            chunks, size = [], 0
            received = 0
            for chunk in response.iter_raw():
                size += len(chunk)
                received = size
                if size > settings.max_bytes:
                    attempt.error = f"too large: body exceeds limit {settings.max_bytes} bytes"
                    return attempt
                if meter is not None:
                    try:
                        meter.feed(chunk)
                    except TooLarge:
                        attempt.error = (f"too large: {'+'.join(codings)} body inflates past the limit of "
                                         f"{settings.max_bytes} bytes after {size} bytes received")
                        return attempt
                    except Exception:   # not what its coding says: archived as sent, judged when cleaned
                        meter = None
                if time.monotonic() - started > deadline:
                    return _past_deadline(url, method, body, deadline, size)
                chunks.append(chunk)
            attempt.body = b"".join(chunks)
            return attempt
    except httpx.TimeoutException as exc:
        if time.monotonic() - started >= deadline:
            return _past_deadline(url, method, body, deadline, received)
        return Attempt(url, [], error=f"timeout: {type(exc).__name__}", method=method, request_body=body)
    except httpx.HTTPError as exc:
        return Attempt(url, [], error=f"{type(exc).__name__}: {exc}".splitlines()[0], method=method,
                       request_body=body)
    finally:
        _REQUEST_DEADLINE.at = None


def _past_deadline(url: str, method: str, body: bytes, deadline: float, received: int | None) -> Attempt:
    """The failed attempt of a request that outlived its deadline (its partial body is not archived)."""
    got = f" ({received} bytes of body received)" if received is not None else ""
    return Attempt(url, [], error=f"timeout: no whole answer within the {deadline:g} s deadline per request{got}",
                   method=method, request_body=body)


def fetch_with_retries(client: httpx.Client, url: str, settings: CrawlSettings,
                       extra_headers: dict[str, str] | None = None, on_attempt=None,
                       sleep=time.sleep, form: list[tuple[str, str]] | None = None) -> Attempt:
    """GET (or POST `form`) with retries on timeouts, connection errors, 429 and 5xx (the settings'
    retry_waits, else exponential backoff + jitter; Retry-After honoured). `on_attempt(attempt)` is
    called for every attempt, failed ones included, so each can be archived. Returns the last attempt."""
    attempt = None
    retries = len(settings.retry_waits) if settings.retry_waits else settings.retries
    for number in range(retries + 1):
        attempt = fetch_once(client, url, settings, extra_headers, timeout=settings.timeout, form=form)
        if on_attempt:
            on_attempt(attempt)
        if not attempt.retryable or number == retries:
            return attempt
        wait = (settings.retry_waits[number] if settings.retry_waits
                else settings.backoff * (2 ** number) * (1 + random.random() / 2))
        sleep(_retry_after(attempt.header("retry-after"), wait))
    return attempt
