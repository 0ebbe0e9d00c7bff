"""Scrape stage: discovery, WARC capture, crawl state and conditional refresh, over a real replay server."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.profiles import get_profile
from scrapers.crawl import crawl_site
from scrapers.discover import classify_links, extract_links
from scrapers.fetch import CrawlSettings, make_client, payload_digest
from replay.server import ReplayServer, load_snapshot
from scrapers.state import CrawlState
from scrapers.warcstore import WarcStore, read_response

BOARD = "https://kancc.org/bbs/board.php?bo_table=heigo"
FAST = CrawlSettings(delay=0, retries=0, timeout=5)


def _list_page(posts: list[int], page: int, pages: int) -> bytes:
    rows = "".join(
        f'<tr><td class="td_num">{n}</td><td class="td_subject">'
        f'<a href="./board.php?bo_table=heigo&amp;wr_id={n}&amp;page={page}">Chapter {n}</a></td></tr>'
        for n in posts)
    nav = "".join(f'<a href="./board.php?bo_table=heigo&amp;page={p}" class="pg_page">{p}</a>'
                  for p in range(1, pages + 1) if p != page)
    return (f'<html><body><table id="bo_list">{rows}</table><nav class="pg_wrap"><span class="pg">'
            f'<strong class="pg_current">{page}</strong>{nav}</span></nav>'
            f'<a href="https://elsewhere.example/">ad</a><a href="./board.php?bo_table=free&amp;wr_id=9">other board</a>'
            f'</body></html>').encode()


def _post(n: int, text: str) -> bytes:
    return (f'<html><head><title>Chapter {n}</title></head><body><article id="bo_v">'
            f'<div id="bo_v_con"><p>{text}</p></div></article></body></html>').encode("utf-8")


def write_snapshot(path: Path, pages: dict[str, tuple[int, bytes, str]]) -> Path:
    """A WARC of `url -> (status, body, etag)` written with the crawler's own WarcStore."""
    path.mkdir(parents=True, exist_ok=True)
    with WarcStore(path, "snapshot", "test") as store:
        for url, (status, body, etag) in pages.items():
            headers = [("Content-Type", "text/html; charset=utf-8"), ("ETag", f'"{etag}"'),
                       ("Last-Modified", "Thu, 01 Oct 2026 00:00:00 GMT"), ("Content-Length", str(len(body)))]
            store.write_exchange(url, method="GET", request_headers=[], status=status,
                                 reason="OK" if status == 200 else "Not Found", response_headers=headers,
                                 body=body, warc_date="2026-10-01T00:00:00Z")
    return store.path


def site_pages(edited: bool = False, deleted: bool = False, absent: bool = False) -> dict:
    """The test board; `deleted`: post 103 answers a recorded 404 (deleted upstream); `absent`: post 103
    is simply not in the snapshot (a partial replay: the site was not asked about it)."""
    pages = {
        "https://kancc.org/robots.txt": (200, b"User-agent: *\nDisallow: /bbs/login.php\n", "r"),
        f"{BOARD}&page=1": (200, _list_page([101, 102], 1, 2), "l1"),
        f"{BOARD}&page=2": (200, _list_page([103] if not deleted else [], 2, 2), "l2"),
        f"{BOARD}&wr_id=101": (200, _post(101, "The Soviet\\union was faced with a threat."), "p101"),
        f"{BOARD}&wr_id=102": (200, _post(102, "edited text" if edited else "original text"),
                               "p102b" if edited else "p102"),
    }
    if deleted:
        pages[f"{BOARD}&wr_id=103"] = (404, b"<html><body><h1>Not Found</h1></body></html>", "gone")
    elif not absent:
        pages[f"{BOARD}&wr_id=103"] = (200, _post(103, "third post"), "p103")
    return pages


@pytest.fixture
def first_snapshot(tmp_path):
    return write_snapshot(tmp_path / "snap1", site_pages())


def test_replay_serves_recorded_status_headers_and_404(first_snapshot):
    import httpx
    with ReplayServer([first_snapshot]) as server:
        r = httpx.get(f"{server.base_url}/bbs/board.php?bo_table=heigo&wr_id=101", headers={"Host": "kancc.org"})
        assert r.status_code == 200 and r.headers["etag"] == '"p101"'
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert b"Soviet\\union" in r.content
        assert httpx.get(f"{server.base_url}/nope", headers={"Host": "kancc.org"}).status_code == 404
        # browser-style: /<recorded URL>, and a listing at /
        assert httpx.get(f"{server.base_url}/{BOARD}&wr_id=102").status_code == 200
        assert "wr_id=103" in httpx.get(server.base_url + "/").text
        cond = httpx.get(f"{server.base_url}/bbs/board.php?bo_table=heigo&wr_id=101",
                         headers={"Host": "kancc.org", "If-None-Match": '"p101"'})
        assert cond.status_code == 304 and cond.content == b""


def test_discovery_follows_pagination_and_ignores_other_boards_and_hosts():
    profile = get_profile("kancc")
    links = extract_links(_list_page([101, 102], 1, 2), f"{BOARD}&page=1")
    index_pages, articles = classify_links(profile, links)
    assert index_pages == [f"{BOARD}&page=2"]
    # the &page=1 a post was reached from is not part of its identity
    assert articles == [f"{BOARD}&wr_id=101", f"{BOARD}&wr_id=102"]


def test_globalsecurity_discovery_skips_non_kcna_items():
    profile = get_profile("globalsecurity")
    base = "https://www.globalsecurity.org/wmd/library/news/dprk/2010/index.html"
    html = b'<ul><li><a href="dprk-100914-kcna01.htm">A</a></li><li><a href="dprk-nis_100913-100919.htm">NIS</a></li></ul>'
    assert classify_links(profile, extract_links(html, base)) == (
        [], ["https://www.globalsecurity.org/wmd/library/news/dprk/2010/dprk-100914-kcna01.htm"])


def crawl(tmp_path, snapshot, run_id):
    """Crawl the memoir board of these small snapshots (the profile's other boards are not in them)."""
    profile = get_profile("kancc")
    state = CrawlState(tmp_path / "home" / "state.sqlite")
    with ReplayServer([snapshot]) as server, make_client(FAST, server.port) as client:
        report = crawl_site(profile, state=state, warc_dir=tmp_path / "home" / "warc", run_id=run_id,
                            client=client, settings=FAST, start_urls=[f"{BOARD}&page=1"])
    return state, report


def test_crawl_archives_every_response_and_records_state(tmp_path, first_snapshot):
    state, report = crawl(tmp_path, first_snapshot, "run1")
    assert (report.index_pages, report.articles, report.downloaded) == (2, 3, 3)
    rows = state.run_captures("run1")
    kinds = sorted(r["kind"] for r in rows)
    assert kinds == ["article"] * 3 + ["index"] * 2 + ["robots"]
    post = next(r for r in rows if r["url"].endswith("wr_id=101"))
    assert post["etag"] == '"p101"' and post["last_modified"].startswith("Thu, 01 Oct 2026")
    stored = read_response(tmp_path / "home" / "warc", post["warc_file"], post["warc_offset"])
    assert stored.status == 200 and b"Soviet\\union" in stored.body
    assert post["payload_digest"] == payload_digest(stored.body)
    assert (tmp_path / "home" / "warc" / "run1-kancc.warc.gz").stat().st_size > 0


def test_second_crawl_of_unchanged_site_downloads_nothing(tmp_path, first_snapshot):
    crawl(tmp_path, first_snapshot, "run1")
    state, report = crawl(tmp_path, first_snapshot, "run2")
    assert report.downloaded == 0 and report.unchanged == 3
    revisit = [r for r in state.run_captures("run2", kind="article")]
    assert {r["record_type"] for r in revisit} == {"revisit"}
    # a revisit's payload is the first run's record: still readable
    first = state.run_captures("run1", kind="article")[0]
    again = next(r for r in revisit if r["url"] == first["url"])
    assert (again["body_warc_file"], again["body_offset"]) == (first["warc_file"], first["warc_offset"])


def test_recrawl_sees_edit_and_deletion_of_known_urls(tmp_path, first_snapshot):
    crawl(tmp_path, first_snapshot, "run1")
    second = write_snapshot(tmp_path / "snap2", site_pages(edited=True, deleted=True))
    state, report = crawl(tmp_path, second, "run2")
    # wr_id=103 is no longer listed, but known from run1: re-checked, found gone
    assert (report.downloaded, report.unchanged, report.gone) == (1, 1, 1)
    gone = state.url_rows("kancc")
    assert [r["url"] for r in gone if r["gone"]] == [f"{BOARD}&wr_id=103"]


def test_a_url_the_replay_does_not_hold_is_not_checked_not_gone(tmp_path, first_snapshot):
    """Why gone: a replay's own 404 for a URL missing from its WARCs says nothing about the site."""
    crawl(tmp_path, first_snapshot, "run1")
    second = write_snapshot(tmp_path / "snap2", site_pages(absent=True))
    state, report = crawl(tmp_path, second, "run2")
    assert (report.gone, report.not_checked) == (0, 1)
    assert not [r["url"] for r in state.url_rows("kancc") if r["gone"]]


def test_load_snapshot_indexes_responses(first_snapshot):
    snap = load_snapshot([first_snapshot])
    assert snap[f"{BOARD}&wr_id=101"].header("ETag") == '"p101"'


def test_crawl_audit_classes_new_gone_and_changed_urls(tmp_path, first_snapshot):
    from scrapers.crawldiff import compare_latest_runs

    state, _ = crawl(tmp_path, first_snapshot, "run1")
    state.start_run("run1", ["kancc"]); state.finish_run("run1")
    pages = site_pages(edited=True, deleted=True)
    pages[f"{BOARD}&wr_id=104"] = (200, _post(104, "a new post"), "p104")
    pages[f"{BOARD}&page=2"] = (200, _list_page([104], 2, 2), "l2b")
    state, _ = crawl(tmp_path, write_snapshot(tmp_path / "snap2", pages), "run2")
    state.start_run("run2", ["kancc"]); state.finish_run("run2")
    audit = compare_latest_runs(state)
    assert (audit.old_run, audit.new_run) == ("run1", "run2")
    assert audit.new == [f"{BOARD}&wr_id=104"]
    assert audit.gone == [f"{BOARD}&wr_id=103"]
    assert audit.changed == [f"{BOARD}&wr_id=102"]
    assert audit.unchanged == 1


def test_fetch_retries_server_errors_then_records_failure(tmp_path):
    """A URL that keeps failing is archived on every attempt and recorded as failed, not dropped."""
    pages = site_pages()
    pages[f"{BOARD}&wr_id=101"] = (503, b"busy", "x")
    state, report = crawl(tmp_path, write_snapshot(tmp_path / "snap", pages), "run1")
    assert [url for url, _ in report.failed] == [f"{BOARD}&wr_id=101"]
    row = next(r for r in state.url_rows("kancc") if r["url"].endswith("wr_id=101"))
    assert row["last_status"] == 503 and row["failures"] == 1


def test_oversized_response_is_recorded_not_archived_whole(tmp_path):
    pages = site_pages()
    pages[f"{BOARD}&wr_id=101"] = (200, b"<html>" + b"x" * 4096 + b"</html>", "big")
    profile = get_profile("kancc")
    state = CrawlState(tmp_path / "state.sqlite")
    small = CrawlSettings(delay=0, retries=0, max_bytes=1024)
    with ReplayServer([write_snapshot(tmp_path / "snap", pages)]) as server, make_client(small, server.port) as client:
        report = crawl_site(profile, state=state, warc_dir=tmp_path / "warc", run_id="run1", client=client,
                            settings=small)
    assert any(url.endswith("wr_id=101") and error.startswith("too large") for url, error in report.failed)
    assert state.latest_usable(f"{BOARD}&wr_id=101") is None


def test_time_budget_stops_between_requests_and_leaves_the_rest_for_the_next_run(tmp_path, first_snapshot):
    profile = get_profile("kancc")
    state = CrawlState(tmp_path / "state.sqlite")
    budget = CrawlSettings(delay=0, retries=0, max_seconds=0)
    with ReplayServer([first_snapshot]) as server, make_client(budget, server.port) as client:
        report = crawl_site(profile, state=state, warc_dir=tmp_path / "warc", run_id="run1", client=client,
                            settings=budget)
    assert report.articles == 0 and len(report.skipped) == 3
    assert all(reason.startswith("time budget exhausted") for _, reason in report.skipped)


def test_one_meaning_of_an_answer_for_the_crawl_state_the_status_and_the_crawl_comparison(tmp_path):
    """scrapers/answers.py says once what an answer means; the crawl state's failure count, `kcorpus
    status` and the crawl comparison all read it: a 403 or a 503 is failed (the page not checked), a
    404/410 from the site is gone, a replay's own 404 for a URL it lacks is neither, a 304 is unchanged."""
    from core.capture import REPLAY_MISSING_HEADER, REPLAY_MISSING_VALUE, Capture
    from scrapers.crawldiff import compare_runs
    from scrapers.status import last_crawls

    answers = {"ok": (200, "response", {}), "same": (304, "revisit", {}), "forbidden": (403, "response", {}),
               "busy": (503, "response", {}), "timeout": (0, "failure", {}), "deleted": (404, "response", {}),
               "purged": (410, "response", {}),
               "not-in-replay": (404, "response", {REPLAY_MISSING_HEADER.lower(): REPLAY_MISSING_VALUE})}
    state = CrawlState(tmp_path / "state.sqlite")
    try:
        for run in ("run1", "run2"):
            state.start_run(run, ["kancc"])
            for name, (status, record_type, headers) in answers.items():
                first = run == "run1"
                status, record_type, headers = (200, "response", {}) if first else (status, record_type, headers)
                body = ("x.warc.gz", 0) if status == 200 or record_type == "revisit" else None
                state.record_capture(Capture(url=f"{BOARD}&wr_id={name}", site="kancc", status=status, headers=headers,
                                             payload_digest="sha1:A" if body else "", warc_file="x.warc.gz",
                                             warc_offset=0, record_id=f"<urn:uuid:{run}-{name}>",
                                             captured_at=f"2026-11-0{1 + (not first)}T00:00:00Z", run_id=run,
                                             error="timed out" if status == 0 else None),
                                     kind="article", record_type=record_type, body_location=body)
            state.finish_run(run)
        failures = {r["url"].rsplit("=", 1)[1]: r["failures"] for r in state.url_rows("kancc")}
        assert {name for name, n in failures.items() if n} == {"forbidden", "busy", "timeout"}
        compared = compare_runs(state, "run1", "run2")
    finally:
        state.close()
    counts = last_crawls(tmp_path / "state.sqlite")["kancc"]
    assert (counts["downloaded"], counts["unchanged"], counts["failed"], counts["gone"]) == (1, 1, 3, 2)
    assert sorted(u.rsplit("=", 1)[1] for u in compared.gone) == ["deleted", "purged"]
    assert sorted(u.rsplit("=", 1)[1] for u in compared.failed) == ["busy", "forbidden", "not-in-replay", "timeout"]


@pytest.mark.parametrize("damage", ["torn", "overwritten-payload"])
def test_a_damaged_held_record_is_fetched_again_not_revisited_forever(tmp_path, first_snapshot, damage):
    """A stored response a 304 would rely on cannot be read back (bytes of its gzip member overwritten)
    or does not hold the digest the crawl state has for it: the page is fetched unconditionally and archived afresh, and the crawl
    report names the damaged record. Before, every later 304 failed reading it: the site stayed partial."""
    state, _ = crawl(tmp_path, first_snapshot, "run1")
    post = next(r for r in state.run_captures("run1") if r["url"].endswith("wr_id=101"))
    warc = tmp_path / "home" / "warc" / post["warc_file"]
    data = bytearray(warc.read_bytes())
    if damage == "torn":
        data[post["warc_offset"] + 40:post["warc_offset"] + 80] = b"\x00" * 40
    else:   # the record is whole, but the crawl state's digest for it is not its payload's
        state.db.execute("UPDATE captures SET payload_digest = 'sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE id = ?",
                         (post["id"],))
    warc.write_bytes(bytes(data))
    state.close()
    state, report = crawl(tmp_path, first_snapshot, "run2")
    where = f"warc/{post['warc_file']}:{post['warc_offset']}"
    assert report.outcome == "ok" and not report.failed, report.failed
    assert [w for w in report.warnings if where in w and "fetched unconditionally" in w and w.startswith(post["url"])]
    again = next(r for r in state.run_captures("run2", kind="article") if r["url"] == post["url"])
    assert again["record_type"] == "response" and again["warc_file"] == "run2-kancc.warc.gz"
    fresh = read_response(tmp_path / "home" / "warc", again["warc_file"], again["warc_offset"])
    assert b"Soviet\\union" in fresh.body and again["payload_digest"] == payload_digest(fresh.body)
    # the other pages are still revisits of their sound records; a third crawl revisits the fresh copy
    assert report.unchanged == 2 and report.downloaded == 1
    state.close()
    state, third = crawl(tmp_path, first_snapshot, "run3")
    assert third.outcome == "ok" and third.unchanged == 3 and not third.warnings
