"""The plumbing the fakes share: a threaded HTTP/1.1 server on 127.0.0.1 that hands each request to the
fake's `handle_get` / `handle_post`, and one way to answer."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def send(handler: BaseHTTPRequestHandler, status: int, headers, body: bytes) -> None:
    """One whole answer: status, headers, Content-Length, body."""
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class LocalServer:
    """A fake site on an ephemeral port; subclasses define handle_get (and handle_post). A context manager."""

    def __init__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def do_GET(self):
                fake.handle_get(self)

            def do_POST(self):
                fake.handle_post(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True

    def handle_get(self, handler: BaseHTTPRequestHandler) -> None:
        send(handler, 405, [], b"")

    def handle_post(self, handler: BaseHTTPRequestHandler) -> None:
        send(handler, 405, [], b"")

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        threading.Thread(target=self._httpd.serve_forever, name=type(self).__name__, daemon=True).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
