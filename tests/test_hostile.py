"""Hostile responses: every fault ends as a recorded error or skip, and good pages are still captured."""

from __future__ import annotations

import re
import socket
import struct
import time

import httpx
import pytest

from core.profiles import Profile
from scrapers.crawl import crawl_site
from scrapers.fetch import CrawlSettings, make_client
from replay.server import ReplayError, ReplayServer
from scrapers.state import CrawlState
from tests.test_scrapers import write_snapshot

HOST = "faults.kcorpus.test"
FAULT_SITE = Profile(
    name="faults", label="fault injection", hosts=(HOST,),
    start_urls=(f"https://{HOST}/_faults/index.html",),
    index_patterns=(re.compile(r"/_faults/index\.html$"),),
    article_patterns=(re.compile(r"^https://faults\.kcorpus\.test/(?:_faults|good)/(?P<name>[a-z-]+)$"),),
    id_template="faults-{name}", max_index_pages=2, lang="en")


def test_crawl_over_every_fault_records_each_and_keeps_good_pages(tmp_path):
    good = write_snapshot(tmp_path / "snap", {
        f"https://{HOST}/robots.txt": (200, b"User-agent: *\nAllow: /\n", "r"),
        f"https://{HOST}/good/page": (200, b"<html><body><p>good page</p></body></html>", "g"),
    })
    # the good page is known from an earlier run: the crawler re-checks known URLs
    state = CrawlState(tmp_path / "state.sqlite")
    settings = CrawlSettings(delay=0, timeout=1.0, retries=1, backoff=0.01, max_bytes=1024 * 1024, deadline=1.0)
    with ReplayServer([good], faults=True, fault_delay=2.5) as server, make_client(settings, server.port) as client:
        state.db.execute("INSERT INTO urls(url, site, kind, first_run, last_run) VALUES (?, 'faults', 'article', 'r0', 'r0')",
                         (f"https://{HOST}/good/page",))
        report = crawl_site(FAULT_SITE, state=state, warc_dir=tmp_path / "warc", run_id="run1", client=client,
                            settings=settings)
    failed = {url.rsplit("/", 1)[1]: error for url, error in report.failed}
    skipped = {url: reason for url, reason in report.skipped}
    assert failed["timeout"].startswith("timeout")
    assert failed["server-error"] == "HTTP 500"
    assert "RemoteProtocolError" in failed["truncated"]
    assert failed["huge"].startswith("too large")
    assert failed["gzip-bomb"].startswith("too large: gzip body inflates past the limit")
    assert failed["drip"].startswith("timeout: no whole answer within the 1 s deadline")
    assert failed["drip-headers"] == "timeout: no whole answer within the 1 s deadline per request"
    assert "redirects" in failed["redirect-loop"]
    assert skipped["https://foreign.example/phish"] == "redirect to a host outside the site profile"
    assert any(url.endswith("/binary") and reason == "not HTML: application/octet-stream"
               for url, reason in skipped.items())
    # served as HTML: archived, and left for the cleaner to judge (charset repair, or refusal)
    downloaded = {r["url"].rsplit("/", 1)[1] for r in state.run_captures("run1", kind="article")
                  if r["status"] == 200 and r["record_type"] == "response"}
    assert {"page", "wrong-charset", "external-entity", "binary-as-html"} <= downloaded
    # every attempt was archived: the retried 500 twice, the failures as metadata records
    attempts = [r for r in state.run_captures("run1") if r["url"].endswith("/server-error")]
    assert len(attempts) == 2
    assert not any(r["url"].startswith("https://foreign.example") for r in state.run_captures("run1"))


def test_archived_hostile_bodies_end_as_documents_or_clear_cleaning_errors(tmp_path):
    """What the crawl archived from the faults, through the cleaner: repaired, or refused in one line."""
    import cleaners
    from scrapers.warcstore import read_response

    good = write_snapshot(tmp_path / "snap", {f"https://{HOST}/robots.txt": (200, b"User-agent: *\n", "r")})
    state = CrawlState(tmp_path / "state.sqlite")
    settings = CrawlSettings(delay=0, timeout=1.0, retries=0, max_bytes=1024 * 1024, deadline=1.0)
    with ReplayServer([good], faults=True, fault_delay=1.5) as server, make_client(settings, server.port) as client:
        crawl_site(FAULT_SITE, state=state, warc_dir=tmp_path / "warc", run_id="run1", client=client, settings=settings)
    outcomes = {}
    for row in state.run_captures("run1", kind="article"):
        if row["record_type"] != "response" or row["status"] != 200:
            continue
        stored = read_response(tmp_path / "warc", row["warc_file"], row["warc_offset"])
        try:
            outcomes[row["url"].rsplit("/", 1)[1]] = cleaners.clean_page(stored.body, row["url"], headers=stored.headers)
        except cleaners.CleaningError as exc:
            outcomes[row["url"].rsplit("/", 1)[1]] = str(exc)
    assert outcomes["binary-as-html"] == "not HTML: binary content"
    wrong = outcomes["wrong-charset"]
    assert "“Let us defend the country with arms!” — said" in "\n".join(wrong.paragraphs)
    assert [r["rule"] for r in wrong.repairs][:1] == ["charset"]
    entity = outcomes["external-entity"]
    # the entity was never resolved: a heading and a literal "&xxe;" are no article, so the generic path
    # refuses the page (its reason quotes what it found); a cleaned document would not hold it either
    text = entity if isinstance(entity, str) else "\n".join(entity.paragraphs)
    assert "root:" not in text and "&xxe;" in text


def test_a_replay_serves_faults_in_place_of_the_pages_it_is_told(tmp_path):
    """ReplayServer(hostile={path: fault}): the page at that path (with its query) answers with the fault
    on every host and whichever way the URL is asked (Host header, proxy style, browser style); the
    other pages answer as recorded; a fault replay/faults.py does not know is refused before serving."""
    snap = write_snapshot(tmp_path / "snap", {
        f"https://{HOST}/good/page": (200, b"<html><body><p>good page</p></body></html>", "g"),
        f"https://{HOST}/list?page=2": (200, b"<html><body><p>the second list page</p></body></html>", "l"),
    })
    with ReplayServer([snap], hostile={"/list?page=2": "server-error", "/gone": "redirect-loop"}) as server:
        routed = httpx.get(f"{server.base_url}/list?page=2", headers={"Host": HOST})
        proxied = httpx.get(f"{server.base_url}/https://{HOST}/list?page=2")
        good = httpx.get(f"{server.base_url}/good/page", headers={"Host": HOST})
        first = httpx.get(f"{server.base_url}/list?page=1", headers={"Host": HOST})
        loop = httpx.get(f"{server.base_url}/gone", headers={"Host": "other.test"})
    assert routed.status_code == proxied.status_code == 500 and b"Internal Server Error" in routed.content
    assert good.status_code == 200 and good.content == b"<html><body><p>good page</p></body></html>"
    assert first.status_code == 404   # the query is part of the path told: another page is not hostile
    assert loop.status_code == 302 and loop.headers["location"] == "/gone"
    with pytest.raises(ReplayError, match="no such fault: slow-loris"):
        ReplayServer([snap], hostile={"/good/page": "slow-loris"})


def test_a_client_resetting_its_connection_prints_no_traceback_from_the_replay(capsys):
    """A crawler giving up on a hostile answer resets its connection (RST): the replay server goes on
    without printing socketserver's "Exception occurred during processing of request" traceback."""
    with ReplayServer([]) as server:
        client = socket.create_connection(("127.0.0.1", server.port))
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))   # close = RST
        client.sendall(b"GET /page HTTP/1.1\r\nHost: x.test\r\n")   # the headers never end
        time.sleep(0.2)
        client.close()
        time.sleep(0.3)
        assert httpx.get(f"{server.base_url}/", headers={"Host": "127.0.0.1"}).status_code == 200
    assert "Traceback" not in capsys.readouterr().err
