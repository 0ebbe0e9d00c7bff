"""A faithful fake of the Wayback Machine on 127.0.0.1: the CDX server and `id_` playback, answering as the
real service documents and as the clients that talk to it daily observe. Each behaviour names its source:

[CDX-README]  internetarchive/wayback, wayback-cdx-server/README.md
[EDGI]        edgi-govdata-archiving/wayback: `_client.py`, release notes (v0.2.4, v0.4.4), issue #137
[CDXTK]       cocrawler/cdx_toolkit (reads the same CDX API; documents revisit rows and rate limits)

CDX (`/cdx/search/cdx`):
- `url` is canonicalised to SURT: scheme, `www.` and default ports do not matter; `matchType=prefix` or a
  trailing `*` lists everything under it [CDX-README "URL Match Scope"]. Rows are sorted by urlkey, then
  timestamp [CDX-README].
- `from`/`to`: 1-14 digit timestamps, inclusive [CDX-README "Filtering"]; `filter=[!]field:regex`;
  `collapse=field[:n]` collapses ADJACENT rows only, and restarts with every request [CDX-README "Collapsing"].
- `output=json`: a first row of field names, then one array per row [CDX-README "Output Format (JSON)"].
- `limit` + `showResumeKey=true`: when more results remain after `limit` rows, the page ends with an empty
  row and a row holding the resume key (`urlkey+timestamp!`, URL-encoded; "printed only if the query has
  more results"); `resumeKey=` continues after it [CDX-README "Resumption Key"].
- Revisit records are rows with mimetype `warc/revisit`, statuscode `-` and the digest of the payload they
  repeat [CDXTK; real CDX output]. The same capture may be listed twice [EDGI v0.2.4: repeated identical rows].
- `gzip=false` turns off the compressed answer; otherwise the answer is gzip when the client accepts it
  [CDX-README "gzip"].
Playback (`/web/<14 digits>id_/<url>`):
- the original bytes, unrewritten; the original headers as `X-Archive-Orig-*`; `Memento-Datetime` (an
  HTTP-date) of the capture served; `Link` [EDGI `_client.py`; Memento RFC 7089].
- a time that holds no playable capture answers 302 to the nearest capture of the same URL, WITHOUT
  Memento-Datetime on the redirect (that marks it as the Wayback's own redirect, not a memento) [EDGI
  `_client.py`: such redirects are followed within a target window]. A capture marked `unplayable` is
  answered so too.
- a revisit capture plays the payload it repeats, dated by the revisit [EDGI; pywb].
- the Wayback compresses on the fly: `Content-Encoding: gzip` when the client accepts it, with no
  `X-Archive-Orig-Content-Encoding` [EDGI: requests decodes it transparently].
Rate limits: 429 answers (HTML), with or without Retry-After; the operators block an IP for an hour when
429s go on being ignored [EDGI #137, v0.4.4: 60 s pause after a 429].

Faults for tests (each names the real behaviour it stands for): `rate_limit("cdx"|"playback", n,
retry_after)`, `slow_cdx(seconds)`, `cut_page(n, how)` ("json": the body stops mid-stream; "nokey": the
page stops at the limit without its resume key), `repeat_resume_key()`, `fail("cdx"|"playback", n)` (503).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from tests.fakes.http import LocalServer, send

FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


@dataclass(frozen=True)
class Capture:
    """One capture the fake Wayback holds. A revisit (`revisit_of` = timestamp of the capture whose payload
    it repeats) has no body of its own."""

    timestamp: str                        # 14 digits
    original: str                         # as captured, e.g. http://www.kcna.kp:80/en/...
    body: bytes = b""
    mimetype: str = "text/html"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()   # the page's own headers (Content-Type excluded)
    revisit_of: str | None = None
    unplayable: bool = False              # the Wayback cannot play it at this time: 302 to a neighbour
    listed: bool = True                   # False: playable but absent from the CDX index


def digest(body: bytes) -> str:
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def surt(url: str) -> str:
    """The SURT urlkey [CDX-README]: host reversed without www., lower-cased path and query."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = re.sub(r"^www\d*\.", "", (parts.hostname or "").lower())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return ",".join(reversed(host.split("."))) + ")" + path.lower()


def _ts_ok(ts: str, bound: str, upper: bool) -> bool:
    head = ts[:len(bound)]
    return head <= bound if upper else head >= bound


class FakeWayback(LocalServer):
    """The fake (CDX + id_ playback) in a background thread; a context manager."""

    def __init__(self, captures: list[Capture], gzip_playback: bool = True, bare_gzip_cdx: bool = False):
        """`bare_gzip_cdx`: CDX answers are gzip bytes whatever `gzip=` says and without Content-Encoding
        (the server's default compressed answer, as some proxies pass it on)."""
        self.captures = list(captures)
        self.gzip_playback, self.bare_gzip_cdx = gzip_playback, bare_gzip_cdx
        self.requests: list[tuple[float, str]] = []      # (monotonic time, path)
        self._faults: list[tuple[str, str, dict]] = []   # (target, kind, options), used in order
        self._cdx_pages = 0
        self._repeat_key = False
        self._slow_cdx = 0.0
        self._lock = threading.Lock()
        super().__init__()

    # --- faults --------------------------------------------------------------------------------

    def rate_limit(self, target: str, count: int = 1, retry_after: str | None = None) -> None:
        """The next `count` requests to `target` ("cdx" or "playback") answer 429 [EDGI #137]."""
        self._faults += [(target, "429", {"retry_after": retry_after})] * count

    def fail(self, target: str, count: int = 1) -> None:
        """The next `count` requests to `target` answer 503 (an overloaded Wayback)."""
        self._faults += [(target, "503", {})] * count

    def cut_page(self, page: int, how: str = "json") -> None:
        """CDX page number `page` (1-based, counting every CDX answer) is cut short: "json" stops the body
        mid-stream (a dropped connection after a flush), "nokey" ends at the limit with no resume key."""
        self._faults.append(("cdx-page", how, {"page": page}))

    def repeat_resume_key(self) -> None:
        """Every page answers the resume key it was asked with (a server stuck on one key)."""
        self._repeat_key = True

    def slow_cdx(self, seconds: float) -> None:
        """CDX answers take `seconds` (large prefixes take minutes on the real service)."""
        self._slow_cdx = seconds

    # --- serving -------------------------------------------------------------------------------

    def paths(self, kind: str | None = None) -> list[str]:
        kinds = {"cdx": "/cdx/", "playback": "/web/"}
        return [p for _, p in self.requests if kind is None or p.startswith(kinds[kind])]

    def _take_fault(self, target: str) -> tuple[str, dict] | None:
        with self._lock:
            for i, (t, kind, options) in enumerate(self._faults):
                if t == target:
                    del self._faults[i]
                    return kind, options
        return None

    def handle_get(self, handler) -> None:
        path = handler.path
        self.requests.append((time.monotonic(), path))
        target = "cdx" if path.startswith("/cdx/") else "playback"
        fault = self._take_fault(target)
        if fault and fault[0] == "429":
            headers = [("Content-Type", "text/html")]
            if fault[1].get("retry_after") is not None:
                headers.append(("Retry-After", fault[1]["retry_after"]))
            send(handler, 429, headers, b"<html><body><h1>429 Too Many Requests</h1></body></html>")
            return
        if fault and fault[0] == "503":
            send(handler, 503, [("Content-Type", "text/html")], b"<html>Service Unavailable</html>")
            return
        if target == "cdx":
            self._cdx(handler, parse_qsl(urlsplit(path).query, keep_blank_values=True))
        else:
            self._playback(handler, path)

    # --- CDX ----------------------------------------------------------------------------------

    def cdx_rows(self, params: list[tuple[str, str]]) -> tuple[list[list[str]], str | None]:
        """Rows of one CDX request and the resume key after them [CDX-README]."""
        query = dict(params)
        url = query.get("url", "")
        prefix = query.get("matchType") == "prefix" or url.endswith("*")
        key = surt(url.rstrip("*"))
        rows = []
        for c in sorted((c for c in self.captures if c.listed), key=lambda c: (surt(c.original), c.timestamp)):
            ckey = surt(c.original)
            if not (ckey.startswith(key) if prefix else ckey == key):
                continue
            if query.get("from") and not _ts_ok(c.timestamp, query["from"], upper=False):
                continue
            if query.get("to") and not _ts_ok(c.timestamp, query["to"], upper=True):
                continue
            if c.revisit_of:
                original = next(o for o in self.captures if o.original == c.original and o.timestamp == c.revisit_of)
                rows.append([ckey, c.timestamp, c.original, "warc/revisit", "-", digest(original.body), "0"])
            else:
                rows.append([ckey, c.timestamp, c.original, c.mimetype, str(c.status), digest(c.body),
                             str(len(c.body))])
        for name, value in params:
            if name == "filter":
                invert, (fname, _, regex) = value.startswith("!"), value.lstrip("!").partition(":")
                column = FIELDS.index(fname)
                rows = [r for r in rows if bool(re.search(regex, r[column])) != invert]
        for name, value in params:
            if name == "collapse":   # adjacent rows only, within this request [CDX-README "Collapsing"]
                fname, _, width = value.partition(":")
                column, n = FIELDS.index(fname), int(width) if width else None
                kept, last = [], None
                for r in rows:
                    k = r[column][:n]
                    if k != last:
                        kept.append(r)
                    last = k
                rows = kept
        resume = query.get("resumeKey")
        if resume:   # continue after the row the key names: urlkey, a space, timestamp, "!"
            after = unquote(resume.replace("+", " ")).rstrip("!").rsplit(" ", 1)
            rows = [r for r in rows if (r[0], r[1]) > (after[0], after[1] if len(after) > 1 else "")]
        limit = int(query.get("limit", "0") or 0)
        if limit > 0 and len(rows) > limit:   # a key "only if the query has more results" [CDX-README]
            page = rows[:limit]
            key = quote(f"{page[-1][0]} {page[-1][1]}!", safe="").replace("%20", "+")
            if self._repeat_key and resume:
                key = resume
            return page, (key if query.get("showResumeKey") == "true" else None)
        return rows, None

    def _cdx(self, handler, params: list[tuple[str, str]]) -> None:
        if self._slow_cdx:
            time.sleep(self._slow_cdx)
        self._cdx_pages += 1
        rows, resume = self.cdx_rows(params)
        cut = None
        with self._lock:
            for i, (t, kind, options) in enumerate(self._faults):
                if t == "cdx-page" and options["page"] == self._cdx_pages:
                    cut = kind
                    del self._faults[i]
                    break
        if cut == "nokey":
            resume = None
        lines = [json.dumps(FIELDS)] + [json.dumps(r) for r in rows] if rows or resume else []
        if resume:
            lines += ["[]", json.dumps([resume])]
        body = ("[" + ",\n".join(lines) + "]\n").encode("utf-8") if lines else b"[]\n"
        if cut == "json":
            body = body[: max(1, len(body) * 2 // 3)]   # the stream ended early: no closing bracket
        headers = [("Content-Type", "application/json")]
        accepts = "gzip" in (handler.headers.get("Accept-Encoding") or "")
        if self.bare_gzip_cdx:
            body = gzip.compress(body)
        elif dict(params).get("gzip", "true") != "false" and accepts:
            body, headers = gzip.compress(body), headers + [("Content-Encoding", "gzip")]
        send(handler, 200, headers, body)

    # --- playback -----------------------------------------------------------------------------

    def _playback(self, handler, path: str) -> None:
        m = re.match(r"^/web/(\d{14})id_/(.+)$", path)
        if not m:
            send(handler, 404, [("Content-Type", "text/html")], b"<html>Not Found</html>")
            return
        ts, url = m.group(1), m.group(2)
        same = sorted((c for c in self.captures if surt(c.original) == surt(url)), key=lambda c: c.timestamp)
        exact = next((c for c in same if c.timestamp == ts and not c.unplayable), None)
        if exact is None:
            playable = [c for c in same if not c.unplayable]
            if not playable:
                send(handler, 404, [("Content-Type", "text/html")],
                           b"<html><body>Wayback Machine has not archived that URL.</body></html>")
                return
            asked = _when(ts)
            nearest = min(playable, key=lambda c: (abs((_when(c.timestamp) - asked).total_seconds()), c.timestamp))
            # the Wayback's own redirect: no Memento-Datetime [EDGI _client.py]
            location = f"{self.base_url}/web/{nearest.timestamp}id_/{nearest.original}"
            send(handler, 302, [("Location", location), ("Content-Type", "text/plain")], b"")
            return
        payload = exact
        if exact.revisit_of:
            payload = next(o for o in same if o.timestamp == exact.revisit_of)
        headers = [("Content-Type", payload.mimetype)]
        headers += [(f"X-Archive-Orig-{k}", v) for k, v in payload.headers]
        headers += [("Memento-Datetime", format_datetime(_when(exact.timestamp), usegmt=True)),
                    ("Link", f'<{exact.original}>; rel="original"'),
                    ("X-Archive-Src", "fake-wayback.warc.gz"), ("Server", "fake-wayback")]
        body = payload.body
        if self.gzip_playback and "gzip" in (handler.headers.get("Accept-Encoding") or ""):
            body, headers = gzip.compress(body), headers + [("Content-Encoding", "gzip")]
        send(handler, payload.status, headers, body)


def _when(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
