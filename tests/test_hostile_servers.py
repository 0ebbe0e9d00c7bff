"""Servers that answer to exhaust or hang the crawler, over real HTTP on 127.0.0.1: robots.txt sent
gzip-encoded, gzip bombs (a page, a CDX answer, a stored record), a server dripping one byte at a time.
Each ends in a one-line failure; none inflates a body without bound or holds a request open forever."""

from __future__ import annotations

import gzip
import re
import tracemalloc
import zlib

import pytest

from core.profiles import Profile, get_profile
from scrapers.crawl import crawl_site, site_settings
from replay.faults import gzip_bomb
from scrapers.fetch import CrawlSettings, fetch_once, inflate, make_client, TooLarge
from replay.server import ReplayServer
from scrapers.state import CrawlState
from scrapers.warcstore import WarcStore, read_response
from tests.fakes.http import LocalServer, send

HOST = "hostile.kcorpus.test"
SITE = Profile(
    name="hostile", label="hostile servers", hosts=(HOST,), start_urls=(f"https://{HOST}/index.html",),
    index_patterns=(re.compile(r"/index\.html$"),),
    article_patterns=(re.compile(r"^https://hostile\.kcorpus\.test/a/(?P<name>[a-z-]+)$"),),
    id_template="hostile-{name}", max_index_pages=2, lang="en")
FAST = CrawlSettings(delay=0, timeout=2.0, retries=0, max_bytes=1024 * 1024)
MB = 1024 * 1024


def _snapshot(path, pages: dict[str, tuple[list[tuple[str, str]], bytes]]):
    path.mkdir(parents=True, exist_ok=True)
    with WarcStore(path, "snapshot", "test") as store:
        for url, (headers, body) in pages.items():
            store.write_exchange(url, method="GET", request_headers=[], status=200, reason="OK",
                                 response_headers=headers + [("Content-Length", str(len(body)))], body=body,
                                 warc_date="2026-10-01T00:00:00Z")
    return store.path


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_robots_txt_sent_compressed_is_decoded_and_its_disallow_obeyed(tmp_path, coding):
    """Servers compress text/plain when asked (kcorpus asks for gzip): `Disallow: /` must still stop the crawl."""
    rules = b"User-agent: *\nDisallow: /\n"
    packed = gzip.compress(rules) if coding == "gzip" else zlib.compress(rules)
    page = b"<html><body><a href='/a/first'>first</a></body></html>"
    snap = _snapshot(tmp_path / "snap", {
        f"https://{HOST}/robots.txt": ([("Content-Type", "text/plain"), ("Content-Encoding", coding)], packed),
        f"https://{HOST}/index.html": ([("Content-Type", "text/html")], page),
        f"https://{HOST}/a/first": ([("Content-Type", "text/html")], page)})
    state = CrawlState(tmp_path / "state.sqlite")
    with ReplayServer([snap]) as server, make_client(FAST, server.port) as client:
        report = crawl_site(SITE, state=state, warc_dir=tmp_path / "warc", run_id="r1", client=client, settings=FAST)
    assert report.skipped == [(f"https://{HOST}/index.html", "disallowed by robots.txt")]
    assert [r["url"] for r in state.run_captures("r1")] == [f"https://{HOST}/robots.txt"]


def test_robots_txt_whose_coding_does_not_decode_is_no_permission(tmp_path):
    snap = _snapshot(tmp_path / "snap", {
        f"https://{HOST}/robots.txt": ([("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], b"User-agent"),
        f"https://{HOST}/index.html": ([("Content-Type", "text/html")], b"<html></html>")})
    state = CrawlState(tmp_path / "state.sqlite")
    with ReplayServer([snap]) as server, make_client(FAST, server.port) as client:
        report = crawl_site(SITE, state=state, warc_dir=tmp_path / "warc", run_id="r1", client=client, settings=FAST)
    assert report.outcome == "unreachable" and "does not decode" in report.cause


def test_a_gzip_bomb_page_fails_in_one_line_and_is_never_inflated_whole(tmp_path):
    """A 256 KB gzip page inflating to 256 MB: refused at the 1 MB limit on inflated bytes, while streaming."""
    with ReplayServer([], faults=True) as server, make_client(FAST, server.port) as client:
        gzip_bomb()   # built before measuring: the fault server's own bytes are not the client's
        tracemalloc.start()
        attempt = fetch_once(client, f"https://{HOST}/_faults/gzip-bomb", FAST)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert attempt.status == 200 and attempt.body == b""
    assert attempt.error.startswith("too large: gzip body inflates past the limit of 1048576 bytes after ")
    assert "\n" not in attempt.error and not attempt.retryable
    assert peak < 8 * MB, peak   # neither the inflated page nor more than the limit was ever held


def test_inflate_stops_at_its_limit_on_every_layer():
    bomb = gzip_bomb(16 * MB)
    with pytest.raises(TooLarge, match="inflates past the limit of 1048576 bytes"):
        inflate(bomb, ["gzip"], MB)
    twice = zlib.compress(bomb)   # "gzip, deflate": gzip applied first, deflate last
    with pytest.raises(TooLarge):
        inflate(twice, ["gzip", "deflate"], MB)
    assert inflate(gzip.compress(b"x" * 1000), ["gzip"], 1000) == b"x" * 1000
    # a gzip body of several members (RFC 1952; the bomb is 257 of them) is inflated and counted whole
    assert inflate(gzip.compress(b"Pyongyang, ") + gzip.compress(b"September 14"), ["gzip"], 100) == \
        b"Pyongyang, September 14"


class BombingCdx(LocalServer):
    """A CDX server whose answer is a JSON listing padded to 64 MB inflated, gzip-encoded (or bare gzip)."""

    def __init__(self, declared: bool):
        super().__init__()
        self.declared = declared
        header = b'[["urlkey","timestamp","original","mimetype","statuscode","digest","length"]'
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        self.body = (packer.compress(header) + b"".join(packer.compress(b" " * MB) for _ in range(64))
                     + packer.compress(b"]") + packer.flush())

    def handle_get(self, handler) -> None:
        headers = [("Content-Type", "text/plain")] + ([("Content-Encoding", "gzip")] if self.declared else [])
        send(handler, 200, headers, self.body)


@pytest.mark.parametrize("declared", [True, False], ids=["content-encoding", "bare-gzip"])
def test_a_gzip_bomb_cdx_answer_stops_the_listing_in_words(tmp_path, declared):
    from scrapers.wayback import BackfillReport, CdxLedger, ListingStopped, WaybackClient, WaybackSettings, list_captures
    state = CrawlState(tmp_path / "state.sqlite")
    settings = WaybackSettings(pace=0, retries=0, cdx_max_bytes=MB, sleep=lambda s: None)
    with BombingCdx(declared) as cdx, make_client(FAST) as client:
        wb = WaybackClient(client, settings, FAST)
        with pytest.raises(ListingStopped) as stopped:
            list_captures(wb, CdxLedger(state), cdx.base_url, "hostile", f"{HOST}/", report=BackfillReport("hostile", "r1"))
    assert "inflates past the limit of 1048576 bytes" in str(stopped.value) and "\n" not in str(stopped.value)


def test_a_stored_gzip_bomb_is_refused_when_read_back(tmp_path):
    """A WARC from elsewhere (or written before the fetch counted inflated bytes) may hold a bomb."""
    with WarcStore(tmp_path, "old", "test") as store:
        written = store.write_exchange(
            f"https://{HOST}/a/bomb", method="GET", request_headers=[], status=200, reason="OK",
            response_headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")], body=gzip_bomb(64 * MB),
            warc_date="2026-10-01T00:00:00Z")
    with pytest.raises(ValueError, match=rf"record at {written.warc_file}:{written.offset} inflates past 1048576 bytes"):
        read_response(tmp_path, written.warc_file, written.offset, limit=MB)
    assert b"bomb" in read_response(tmp_path, written.warc_file, written.offset, limit=128 * MB).body


def test_a_server_dripping_bytes_fails_at_the_request_deadline(tmp_path):
    """One byte every 0.2 s never trips a 2 s per-read timeout: only the whole request's deadline ends it."""
    settings = CrawlSettings(delay=0, timeout=2.0, retries=0, deadline=1.0)
    with ReplayServer([], faults=True) as server, make_client(settings, server.port) as client:
        attempt = fetch_once(client, f"https://{HOST}/_faults/drip", settings)
    assert attempt.error.startswith("timeout: no whole answer within the 1 s deadline per request (")
    assert attempt.body == b"" and attempt.retryable


def test_a_server_dripping_its_headers_fails_at_the_request_deadline(tmp_path):
    """Headers dripped a byte at a time: httpx is still reading them, the body loop never starts; the
    deadline holds in every socket read of kcorpus's clients, through a replay or directly."""
    settings = CrawlSettings(delay=0, timeout=2.0, retries=0, deadline=1.0)
    with ReplayServer([], faults=True) as server:
        with make_client(settings, server.port) as client:
            attempt = fetch_once(client, f"https://{HOST}/_faults/drip-headers", settings)
        assert attempt.error == "timeout: no whole answer within the 1 s deadline per request"
        with make_client(settings) as client:
            direct = fetch_once(client, f"{server.base_url}/_faults/drip-headers", settings)
        assert direct.error == attempt.error and direct.retryable


def test_the_deadline_fits_a_slow_sites_profile():
    """kcna.kp's profile asks 60 s per read: its deadline is never below that; a profile may set its own."""
    kcnakp = site_settings(get_profile("kcnakp"), CrawlSettings())
    assert kcnakp.timeout == 60 and kcnakp.deadline >= 4 * kcnakp.timeout
    short = site_settings(get_profile("kcnakp"), CrawlSettings(deadline=10))
    assert short.deadline == 60
    from dataclasses import replace
    own = replace(SITE, fetch={"deadline": 900})
    assert site_settings(own, CrawlSettings()).deadline == 900
