"""Hostile responses for testing the crawler: served by the replay server under /_faults/<name>
(ReplayServer(faults=True)), or in place of recorded pages (ReplayServer(hostile={path: name}),
`kcorpus replay --fault PATH=NAME`).

Each fault reproduces something a real archive crawl meets; the crawl must end each in a recorded
error or quarantine, never a crash or a lost capture.
"""

from __future__ import annotations

import functools
import gzip
import os
import time

# name -> one-line description (also the index page /_faults/index.html)
FAULTS = {
    "timeout": "answers after the client's timeout",
    "server-error": "HTTP 500 on every attempt",
    "truncated": "declares Content-Length larger than the body it sends, then closes",
    "wrong-charset": "declares charset=utf-8 but sends windows-1252 bytes (curly quotes 0x93/0x94)",
    "huge": "a 20 MB HTML page",
    "redirect-loop": "302 to itself",
    "foreign-redirect": "302 to a host outside the site",
    "binary": "application/octet-stream bytes",
    "binary-as-html": "random bytes labelled text/html",
    "external-entity": "HTML with a DOCTYPE declaring an external entity (file:///etc/passwd)",
    "gzip-bomb": "a gzip-encoded page of ~256 KB that inflates to 256 MB",
    "drip": "an HTML page sent one byte every 0.2 s (each read is quick; the whole never ends)",
    "drip-headers": "the status line and headers sent one byte every 0.2 s, without end",
}

HUGE_BYTES = 20 * 1024 * 1024
BOMB_INFLATED = 256 * 1024 * 1024
DRIP_SECONDS = 0.2      # below any per-read timeout: only a deadline on the whole request ends it
DRIP_FOR = 600.0        # the drip gives up after this long (the client should have long before)


@functools.lru_cache(maxsize=4)
def gzip_bomb(inflated: int = BOMB_INFLATED) -> bytes:
    """An HTML page padded with `inflated` bytes of spaces, as gzip members of 1 MB each (~1000:1; a
    gzip body may hold many members, and readers inflate them all). Built in milliseconds."""
    block = gzip.compress(b" " * (1024 * 1024), 9)
    return (gzip.compress(b"<html><body><p>bomb</p>") + block * (inflated // (1024 * 1024))
            + gzip.compress(b"</body></html>"))


def serve_fault(handler, name: str, timeout_sleep: float = 3.0) -> bool:
    """Write the fault called `name` to the BaseHTTPRequestHandler; False if there is no such fault."""
    if name == "timeout":
        time.sleep(timeout_sleep)
        _reply(handler, 200, "text/html; charset=utf-8", b"<html><body><p>too late</p></body></html>")
    elif name == "server-error":
        _reply(handler, 500, "text/html; charset=utf-8", b"<html><body>Internal Server Error</body></html>")
    elif name == "truncated":
        body = b"<html><body><p>The article begins and then the conn"
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body) + 5000))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(body)
        handler.close_connection = True
    elif name == "wrong-charset":
        body = ("<html><head><title>Wrong charset</title></head><body><div id='content'>"
                "<h1>Wrong charset</h1><p>\u201cLet us defend the country with arms!\u201d \u2014 said the "
                "commander, and the soldiers answered.</p></div></body></html>").encode("cp1252")
        _reply(handler, 200, "text/html; charset=utf-8", body)
    elif name == "huge":
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(HUGE_BYTES))
        handler.end_headers()
        chunk = b"<p>" + b"x" * 1020 + b"</p>"
        try:
            for _ in range(HUGE_BYTES // len(chunk)):
                handler.wfile.write(chunk)
            handler.wfile.write(b" " * (HUGE_BYTES % len(chunk)))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading at its size limit, as it should
    elif name in ("redirect-loop", "foreign-redirect"):
        target = handler.path if name == "redirect-loop" else "https://foreign.example/phish"
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    elif name == "binary":
        _reply(handler, 200, "application/octet-stream", os.urandom(4096))
    elif name == "binary-as-html":
        _reply(handler, 200, "text/html", b"\x00\x01\x02\xff\xfe" + os.urandom(4096))
    elif name == "external-entity":
        body = (b'<?xml version="1.0"?>\n<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
                b"<html><body><div id='content'><h1>Entity</h1><p>&xxe;</p></div></body></html>")
        _reply(handler, 200, "text/html; charset=utf-8", body)
    elif name == "gzip-bomb":
        body = gzip_bomb(BOMB_INFLATED)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
    elif name == "drip":
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Connection", "close")   # no length: the body ends when the server stops
        handler.end_headers()
        _drip(handler, b"<html><body><p>" + b"drip " * 100_000)
    elif name == "drip-headers":
        _drip(handler, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Drip: " + b"d" * 90_000)
    else:
        return False
    return True


def _drip(handler, data: bytes) -> None:
    """Write `data` one byte every DRIP_SECONDS, for at most DRIP_FOR seconds or until the client leaves."""
    handler.close_connection = True
    started = time.monotonic()
    try:
        for byte in data:
            if time.monotonic() - started > DRIP_FOR:
                break
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(DRIP_SECONDS)
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass


def _reply(handler, status: int, content_type: str, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    try:
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass


def fault_index(host: str) -> bytes:
    """An index page linking every fault (as article URLs of a test profile on `host`)."""
    links = "".join(f'<li><a href="/_faults/{name}">{name}</a>: {desc}</li>' for name, desc in FAULTS.items())
    return f"<html><body><h1>faults on {host}</h1><ul>{links}</ul></body></html>".encode("utf-8")
