"""A local stand-in for the Wayback Machine on 127.0.0.1: the CDX API (JSON output) and `id_` replay of
recorded captures, over real HTTP, so backfills are tested (and demonstrated) offline.

It answers the query parameters scrapers.wayback sends, with the CDX server's documented behaviour
(internetarchive/wayback, wayback-cdx-server/README.md): url + matchType=exact|prefix (or a trailing *),
from/to (inclusive, 1-14 digits), filter=[!]field:regex, collapse=field (adjacent duplicates), limit with
showResumeKey/resumeKey, output=json with the field names first. `id_` answers carry the original
headers as X-Archive-Orig-*, as the Wayback does. Faults for tests: `fail_next` answers 503s first.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


@dataclass(frozen=True)
class RecordedCapture:
    """One capture the local Wayback holds: when, which URL, and the original response."""

    timestamp: str                       # 14 digits
    original: str
    body: bytes
    mimetype: str = "text/html"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()   # the original response headers (not the Content-Type)

    @property
    def digest(self) -> str:
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode("ascii")


def urlkey(url: str) -> str:
    """The SURT-style sort key the CDX server lists: host reversed, then the path.

    >>> urlkey("http://www.kcna.kp:80/en/article/q/ab.kcmsf")
    'kp,kcna)/en/article/q/ab.kcmsf'
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return ",".join(reversed(host.split("."))) + ")" + path.lower()


def _bare(url: str) -> str:
    """A URL without scheme, www. and default port: what the CDX url= parameter matches against."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    return host + parts.path + (f"?{parts.query}" if parts.query else "")


def cdx_rows(captures: list[RecordedCapture], params: list[tuple[str, str]]) -> tuple[list[list[str]], str | None]:
    """The rows (and resumption key) a CDX query selects, in the server's order (urlkey, timestamp)."""
    query = dict(params)
    target = query.get("url", "")
    prefix = query.get("matchType") == "prefix" or target.endswith("*")
    target = _bare(target.rstrip("*"))
    rows = []
    for c in sorted(captures, key=lambda c: (urlkey(c.original), c.timestamp)):
        bare = _bare(c.original)
        if not (bare.startswith(target) if prefix else bare == target):
            continue
        if query.get("from") and c.timestamp[:len(query["from"])] < query["from"]:
            continue
        if query.get("to") and c.timestamp[:len(query["to"])] > query["to"]:
            continue
        rows.append([urlkey(c.original), c.timestamp, c.original, c.mimetype, str(c.status), c.digest,
                     str(len(c.body))])
    for name, value in params:
        if name == "filter":
            invert, (fname, _, regex) = value.startswith("!"), value.lstrip("!").partition(":")
            column = FIELDS.index(fname)
            rows = [r for r in rows if bool(re.fullmatch(regex, r[column])) != invert]
    for name, value in params:
        if name == "collapse":
            fname, _, width = value.partition(":")
            column, n = FIELDS.index(fname), int(width) if width else None
            kept, last = [], None
            for r in rows:
                key = (r[0], r[column][:n])
                if key != last:
                    kept.append(r)
                last = key
            rows = kept
    start = int(query.get("resumeKey", "0") or 0)
    limit = int(query.get("limit", "0") or 0)
    page = rows[start:start + limit] if limit > 0 else rows[start:]
    more = limit > 0 and start + limit < len(rows) and query.get("showResumeKey") == "true"
    return page, (str(start + limit) if more else None)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        server = self.server
        server.requests.append(self.path)  # type: ignore[attr-defined]
        if server.fail_next > 0:  # type: ignore[attr-defined]
            server.fail_next -= 1  # type: ignore[attr-defined]
            self._send(503, [("Content-Type", "text/plain"), ("Retry-After", "0")], b"busy")
            return
        parts = urlsplit(self.path)
        captures: list[RecordedCapture] = server.captures  # type: ignore[attr-defined]
        if parts.path == "/cdx/search/cdx":
            rows, resume = cdx_rows(captures, parse_qsl(parts.query, keep_blank_values=True))
            data = [FIELDS] + rows + ([[], [resume]] if resume else []) if rows else []
            self._send(200, [("Content-Type", "application/json")], json.dumps(data).encode("utf-8"))
            return
        m = re.match(r"^/web/(\d{14})id_/(.+)$", self.path)
        found = next((c for c in captures if m and c.timestamp == m.group(1) and c.original == m.group(2)), None)
        if found is None:
            self._send(404, [("Content-Type", "text/html")], b"<html><body>Wayback Machine has not archived that URL.</body></html>")
            return
        headers = [("Content-Type", found.mimetype)]
        headers += [(f"X-Archive-Orig-{k}", v) for k, v in found.headers]
        headers += [("Memento-Datetime", found.timestamp), ("Server", "kcorpus-wayback-replay")]
        self._send(found.status, headers, found.body)


class WaybackReplay:
    """The local Wayback (CDX + id_) in a background thread; use as a context manager."""

    def __init__(self, captures: list[RecordedCapture], port: int = 0, host: str = "127.0.0.1"):
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.captures = list(captures)  # type: ignore[attr-defined]
        self._httpd.requests = []  # type: ignore[attr-defined]
        self._httpd.fail_next = 0  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def requests(self) -> list[str]:
        """Request paths received, in order."""
        return self._httpd.requests  # type: ignore[attr-defined]

    def fail(self, count: int) -> None:
        """Answer the next `count` requests with 503 (a busy Wayback)."""
        self._httpd.fail_next = count  # type: ignore[attr-defined]

    def start(self) -> "WaybackReplay":
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="kcorpus-wayback", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "WaybackReplay":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
