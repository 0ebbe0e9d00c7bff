"""Serve recorded WARC snapshots over real HTTP on 127.0.0.1, with their recorded status and headers.

Requests are matched by their Host header and path (so a crawler aimed at the real hostnames can be
routed here unchanged), by an absolute request URI (proxy style), or, for a browser, by
http://127.0.0.1:PORT/<recorded URL>; the root page lists every recorded URL. A URL that is not in
the snapshot gets 404. Conditional requests get 304 when the recorded validators match.

A replay adds nothing of its own to what it replays: no Server or Date header of the replay server,
only the recorded ones. It says when a response was recorded in one Memento-Datetime header (RFC 7089),
sent last, which kcorpus's replay transport takes off again before anything is archived.
"""

from __future__ import annotations

import errno
import html
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from core.capture import REPLAY_MISSING_HEADER, REPLAY_MISSING_VALUE

# Hop-by-hop and framing headers are recomputed for the replayed body, never copied (Content-Length is
# written where it was recorded, with the length of the body sent).
_NOT_REPLAYED = {"content-length", "transfer-encoding", "connection", "keep-alive"}


@dataclass(frozen=True)
class RecordedResponse:
    """One recorded response: status, reason, header list, raw body (content-encoding kept)."""

    url: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    warc_date: str = ""   # the record's WARC-Date: when the response was captured

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


class ReplayError(RuntimeError):
    """A replay that cannot start: an unreadable WARC file, or the port is taken."""


def load_snapshot(warc_paths: list[Path]) -> dict[str, RecordedResponse]:
    """Index the responses of the WARC files by target URL (later captures win).

    A revisit record (an unchanged page: 304 or identical payload) replays as the page it confirms —
    its own date and HTTP head, the payload of the response record with its payload digest — so a
    crawl kcorpus made, revisits and all, can be replayed date by date. A revisit whose head is a
    3xx (as other crawlers write a 304), or whose payload is not in these files, is skipped.
    Raises ReplayError naming the file for one that cannot be read as WARC (not WARC at all, torn).
    """
    recorded: dict[str, RecordedResponse] = {}
    bodies: dict[tuple[str, str], bytes] = {}   # (URL, payload digest) -> raw payload
    for path in warc_paths:
        try:
            _load_one(Path(path), recorded, bodies)
        except OSError as exc:
            raise ReplayError(f"cannot read WARC {path}: {exc.strerror or exc}") from exc
        except Exception as exc:  # warcio raises several kinds for a file that is not (whole) WARC
            raise ReplayError(f"unreadable WARC {path}: {type(exc).__name__}: {exc}".splitlines()[0]) from exc
    return recorded


def _load_one(path: Path, recorded: dict[str, RecordedResponse], bodies: dict[tuple[str, str], bytes]) -> None:
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type not in ("response", "revisit"):
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            status_line = record.http_headers.statusline if record.http_headers else ""
            code, _, reason = (status_line or "200 OK").partition(" ")
            digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
            if record.rec_type == "response":
                body = record.raw_stream.read()  # raw: content-encoding is replayed as recorded
                bodies[(url, digest)] = body
            else:
                origin = record.rec_headers.get_header("WARC-Refers-To-Target-URI") or url
                body = bodies.get((origin, digest))
                if body is None or not status_line or code.startswith("3"):
                    continue
            recorded[url] = RecordedResponse(
                url, int(code), reason, tuple(record.http_headers.headers), body,
                record.rec_headers.get_header("WARC-Date") or "")


def _memento_datetime(warc_date: str) -> str | None:
    """A WARC-Date as an HTTP-date, for the Memento-Datetime header."""
    try:
        moment = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    except ValueError:
        return None
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def _not_modified(request_headers, response: RecordedResponse) -> bool:
    """True when If-None-Match / If-Modified-Since show the client already holds this response."""
    etag = response.header("etag")
    inm = request_headers.get("If-None-Match")
    if inm and etag:
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims, lm = request_headers.get("If-Modified-Since"), response.header("last-modified")
    if ims and lm:
        try:
            return parsedate_to_datetime(lm) <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


class _Handler(BaseHTTPRequestHandler):
    server_version = "kcorpus-replay"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes on a keep-alive connection: with Nagle's algorithm on, the
    # second waits for the client's delayed ACK — measured 40 ms per request, 25 pages/s at best.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # the crawl records every exchange; no stderr noise
        pass

    def send_response(self, code, message=None):
        """The status line only: BaseHTTPRequestHandler would add its own Server and Date headers,
        which a crawl of the replay would then archive as if the site had sent them."""
        self.log_request(code)
        self.send_response_only(code, message)

    def _candidates(self) -> list[str]:
        target = self.path
        if target.startswith(("http://", "https://")):
            return [target]
        if target.startswith(("/http://", "/https://")):
            return [target[1:]]
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        return [f"https://{host}{target}", f"http://{host}{target}"]

    def _requested_path(self) -> str:
        """The path (and query) asked for, whichever way the URL came: Host-routed, proxy style or browser style."""
        target = self.path[1:] if self.path.startswith(("/http://", "/https://")) else self.path
        if not target.startswith(("http://", "https://")):
            return target
        parts = urlsplit(target)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def _send(self, status: int, headers, body: bytes, head_only: bool, warc_date: str = "") -> None:
        self.send_response(status)
        length_sent = False
        for name, value in headers:
            if name.lower() == "content-length":  # in its recorded place, true to the body sent
                value, length_sent = str(len(body)), True
            elif name.lower() in _NOT_REPLAYED:
                continue
            self.send_header(name, value)
        if not length_sent:
            self.send_header("Content-Length", str(len(body)))
        memento = _memento_datetime(warc_date) if warc_date else None
        if memento:
            self.send_header("Memento-Datetime", memento)
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _serve(self, head_only: bool) -> None:
        snapshot: dict[str, RecordedResponse] = self.server.snapshot  # type: ignore[attr-defined]
        hostile = self.server.hostile.get(self._requested_path())  # type: ignore[attr-defined]
        if hostile:
            from replay.faults import serve_fault
            serve_fault(self, hostile, self.server.fault_delay)  # type: ignore[attr-defined]
            return
        if self.server.faults and self.path.startswith("/_faults/"):  # type: ignore[attr-defined]
            from replay.faults import fault_index, serve_fault
            name = self.path[len("/_faults/"):]
            if name == "index.html":
                self._send(200, [("Content-Type", "text/html; charset=utf-8")],
                           fault_index(self.headers.get("Host", "")), head_only)
                return
            if serve_fault(self, name, self.server.fault_delay):  # type: ignore[attr-defined]
                return
        if self.path == "/" and self.headers.get("Host", "").split(":")[0] in ("127.0.0.1", "localhost"):
            self._send(200, [("Content-Type", "text/html; charset=utf-8")], _listing(snapshot), head_only)
            return
        response = next((snapshot[u] for u in self._candidates() if u in snapshot), None)
        if response is None:
            body = b"<html><body><h1>404 Not Found</h1><p>not in this snapshot</p></body></html>"
            self._send(404, [("Content-Type", "text/html; charset=utf-8"),
                             (REPLAY_MISSING_HEADER, REPLAY_MISSING_VALUE)], body, head_only)
        elif response.status == 200 and _not_modified(self.headers, response):
            kept = [(k, v) for k, v in response.headers if k.lower() in ("etag", "last-modified", "date")]
            self._send(304, kept, b"", True, response.warc_date)
        else:
            self._send(response.status, response.headers, response.body, head_only, response.warc_date)

    def do_GET(self):
        self._serve(head_only=False)

    def do_HEAD(self):
        self._serve(head_only=True)


def _listing(snapshot: dict[str, RecordedResponse]) -> bytes:
    rows = "\n".join(
        f'<li>{r.status} <a href="/{html.escape(u)}">{html.escape(u)}</a></li>' for u, r in sorted(snapshot.items()))
    return (f"<!doctype html><meta charset=utf-8><title>kcorpus replay</title>"
            f"<h1>kcorpus replay: {len(snapshot)} recorded URLs</h1><ul>{rows}</ul>").encode("utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that went away (a crawler giving up on a dripping or oversized answer and resetting
        its connection) is no error of the replay: only other exceptions are printed."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ReplayServer:
    """A replay of WARC snapshots on 127.0.0.1 in a background thread. Use as a context manager."""

    def __init__(self, warc_paths: list[Path] | list[str], port: int = 0, host: str = "127.0.0.1",
                 faults: bool = False, fault_delay: float = 3.0, hostile: dict[str, str] | None = None):
        """`faults` also serves the hostile responses of replay.faults under /_faults/<name> on
        every host (`fault_delay`: how long the "timeout" fault stalls). `hostile` maps paths (with their
        query, as requested: "/bbs/board.php?bo_table=heigo&wr_id=7") to fault names: those pages, on
        every host, answer with that fault instead of their recording (a site that turns hostile on some
        pages, to test a crawl against); ReplayError for a name replay.faults does not know."""
        from replay.faults import FAULTS

        unknown = sorted({name for name in (hostile or {}).values() if name not in FAULTS})
        if unknown:
            raise ReplayError(f"no such fault: {', '.join(unknown)} (the faults: {', '.join(FAULTS)})")
        self.hostile = dict(hostile or {})
        self.warc_paths = [Path(p) for p in warc_paths]
        self.snapshot = load_snapshot(self.warc_paths)
        try:
            self._httpd = _Server((host, port), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ReplayError(f"port {port} on {host} is in use (--port 0 picks a free one)") from None
            raise
        self._httpd.snapshot = self.snapshot  # type: ignore[attr-defined]
        self._httpd.faults = faults  # type: ignore[attr-defined]
        self._httpd.fault_delay = fault_delay  # type: ignore[attr-defined]
        self._httpd.hostile = self.hostile  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hosts(self) -> set[str]:
        """Hostnames present in the snapshot."""
        return {urlsplit(u).hostname or "" for u in self.snapshot}

    def start(self) -> "ReplayServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="kcorpus-replay", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
