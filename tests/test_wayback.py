"""The Wayback Machine as a source: CDX JSON parsing (the CDX server's documented answers), a backfill from a
local CDX + id_ replay over real HTTP, the WARC records it writes, resuming, and the history the audit shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from core.datahome import DataHome
from scrapers.fetch import CrawlSettings
from scrapers.wayback import CdxRow, cdx_time_to_iso, parse_cdx_json
from replay.wayback import RecordedCapture, WaybackReplay

FIXTURES = Path(__file__).parent / "fixtures" / "wayback"
SNAPSHOT_SRC = Path(__file__).resolve().parent.parent / "flows" / "snapshots" / "src"
ARTICLE = "http://www.globalsecurity.org:80/wmd/library/news/dprk/2010/dprk-100917-kcna04.htm"
FAST = CrawlSettings(delay=0, retries=2, backoff=0.01, obey_robots=False)


def test_parse_cdx_json_reads_the_documented_answers():
    rows, resume = parse_cdx_json((FIXTURES / "cdx-readme-limit3.json").read_text())
    assert resume is None and len(rows) == 3
    assert rows[0] == CdxRow("19970126045828", "http://www.archive.org:80/", "text/html", "200",
                             "Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY", "1415")
    rows, resume = parse_cdx_json((FIXTURES / "cdx-readme-resume.json").read_text())
    assert len(rows) == 5 and resume == "org%2Carchive%29%2F+19980109140106%21"
    assert rows[-1].captured_at == "1998-01-09T14:01:06Z"
    assert parse_cdx_json("") == ([], None) and parse_cdx_json("[]") == ([], None)


@pytest.mark.parametrize("bad", ["<html>503 Service Unavailable</html>", '{"error": 1}', '[["urlkey"], ["x"]]',
                                 '[["timestamp","original"],["2010"]]'])
def test_parse_cdx_json_refuses_what_is_not_a_cdx_answer(bad):
    with pytest.raises(ValueError):
        parse_cdx_json(bad)


def test_cdx_time_to_iso_refuses_garbage():
    with pytest.raises(ValueError):
        cdx_time_to_iso("20101")  # half a month: ambiguous
    with pytest.raises(ValueError):
        cdx_time_to_iso("yesterday")


def three_captures() -> list[RecordedCapture]:
    """One GlobalSecurity article captured three times: 2010 (as posted), 2012 (same text, the page's footer
    date changed) and 2016 (the text edited: a name struck, a phrase replaced)."""
    first = (SNAPSHOT_SRC / "snapshot-1" / "www_globalsecurity_org-435d3a3937.html").read_bytes()
    edited = (SNAPSHOT_SRC / "snapshot-2" / "www_globalsecurity_org-435d3a3937.html").read_bytes()
    assert first != edited
    second = first.replace(b"Page last modified: ", b"Page last modified:  ")
    assert second != first
    headers = (("Last-Modified", "Sat, 18 Sep 2010 03:15:00 GMT"),)
    index = b"<html><body><a href='dprk-100917-kcna04.htm'>x</a></body></html>"
    return [RecordedCapture("20100918031500", ARTICLE, first, headers=headers),
            RecordedCapture("20120304050607", ARTICLE, second),
            RecordedCapture("20120304050607", ARTICLE.replace("kcna04", "kcna04"), second),  # listed twice: one fetch
            RecordedCapture("20160709101112", ARTICLE, edited),
            RecordedCapture("20160709101112", "http://www.globalsecurity.org:80/wmd/library/news/dprk/2010/index.html",
                            index),
            RecordedCapture("20160709101113", "http://www.globalsecurity.org/robots.txt", b"User-agent: *",
                            mimetype="text/plain")]


def test_backfill_archives_each_capture_with_its_date_and_the_audit_shows_the_edit(tmp_path):
    from corpus.versions import render_version_edits
    from flows.audit import version_edits
    from flows.backfill import backfill
    from scrapers.state import CrawlState

    home = DataHome.resolve(tmp_path / "home")
    with WaybackReplay(three_captures()) as wayback:
        result = backfill(home, "globalsecurity", settings=FAST, wayback=wayback.base_url)
        cdx_queries = [r for r in wayback.requests if r.startswith("/cdx/")]
    report = result["backfill"]
    assert report["outcome"] == "ok", report
    assert report["articles"] == 1 and report["fetched"] == 3 and report["not_articles"] == 1
    assert len(cdx_queries) == 1 and "collapse=digest" in cdx_queries[0] and "output=json" in cdx_queries[0]

    # WARC: the original capture date, the id_ URL it came from, when kcorpus wrote it, the original headers
    (warc,) = home.warc_dir.glob("*.warc.gz")
    with open(warc, "rb") as fh:
        records = [(r, r.content_stream().read()) for r in ArchiveIterator(fh)]
    info, info_body = records[0]
    assert info.rec_type == "warcinfo" and b"source: Wayback Machine" in info_body
    responses = [r for r, _ in records if r.rec_type == "response"]
    assert [r.rec_headers.get_header("WARC-Date") for r in responses] == [
        "2010-09-18T03:15:00Z", "2012-03-04T05:06:07Z", "2016-07-09T10:11:12Z"]
    first = responses[0]
    assert first.rec_headers.get_header("WARC-Target-URI") == ARTICLE.replace(":80", "")
    assert first.rec_headers.get_header("WARC-Source-URI") == f"{wayback.base_url}/web/20100918031500id_/{ARTICLE}"
    assert first.rec_headers.get_header("WARC-Creation-Date") > "2026"
    assert first.http_headers.get_header("Last-Modified") == "Sat, 18 Sep 2010 03:15:00 GMT"
    assert first.http_headers.get_header("Memento-Datetime") is None  # the Wayback's own header is not the page's

    # the crawl state: Wayback captures, original dates, the live crawl's URL rows untouched
    state = CrawlState(home.state_db)
    try:
        assert [r["kind"] for r in state.run_captures(result["run_id"])] == ["wayback"] * 3
        assert state.url_rows("globalsecurity") == []
        assert [r["status"] for r in state.runs()] == ["backfill"]
    finally:
        state.close()

    # the current document is the newest version, with the whole history
    from cleaners.store import load_document
    doc = load_document(home, "globalsecurity", "globalsecurity-dprk-100917-kcna04")
    assert [v["captured_at"][:4] for v in doc.extra["versions"]] == ["2010", "2012", "2016"]
    assert {v["via"] for v in doc.extra["versions"]} == {"wayback"}
    assert doc.capture["captured_at"] == "2016-07-09T10:11:12Z" and doc.date == "2010-09-17"
    assert "ahead of schedule" not in doc.text

    # the audit: one edit, between the last capture with the old text (2012) and the first with the new (2016)
    (edit,) = version_edits(home)
    assert (edit.before_captured_at, edit.after_captured_at) == ("2012-03-04T05:06:07Z", "2016-07-09T10:11:12Z")
    assert edit.words_deleted > 0 and edit.words_inserted > 0
    shown = render_version_edits([edit])
    assert "captured 2012-03-04 (wayback) -> 2016-07-09 (wayback)" in shown
    assert "[-, Jang Song Thaek-]" in shown and "[-ahead of schedule-]{+at an early date+}" in shown


def test_backfill_resumes_and_is_polite_under_errors(tmp_path):
    from flows.backfill import backfill

    home = DataHome.resolve(tmp_path / "home")
    with WaybackReplay(three_captures()) as wayback:
        first = backfill(home, "globalsecurity", settings=FAST, wayback=wayback.base_url, limit=1)
        assert first["backfill"]["fetched"] == 1
        wayback.fail(2)  # a busy Wayback: two 503s, retried with backoff
        second = backfill(home, "globalsecurity", settings=FAST, wayback=wayback.base_url)
        fetched_paths = [r for r in wayback.requests if "id_/" in r]
    assert second["backfill"]["already_held"] == 1 and second["backfill"]["fetched"] == 2
    assert second["backfill"]["outcome"] == "ok"
    assert len([p for p in fetched_paths if p.startswith("/web/20100918031500")]) == 1  # never fetched twice


def test_backfill_of_an_unreachable_wayback_says_so(tmp_path):
    from flows.backfill import backfill

    home = DataHome.resolve(tmp_path / "home")
    with WaybackReplay(three_captures()) as wayback:
        wayback.fail(100)
        result = backfill(home, "globalsecurity", settings=FAST, wayback=wayback.base_url)
    assert result["backfill"]["outcome"] == "unreachable" and "503" in result["backfill"]["detail"]
    assert result["backfill"]["fetched"] == 0


def test_backfill_cleans_only_captures_with_a_payload_when_a_live_fetch_of_the_url_failed(tmp_path):
    """A live crawl that could not fetch the article (a timeout: a failure record, no payload) leaves a
    capture of the same URL that holds nothing to read: the backfill's versions are the captures with a
    payload only (two methods of one name once let the every-capture one win, and the backfill crashed)."""
    from core.capture import Capture
    from flows.backfill import backfill
    from scrapers.state import CrawlState

    home = DataHome.resolve(tmp_path / "home").ensure()
    url = ARTICLE.replace(":80", "")
    state = CrawlState(home.state_db)
    try:
        state.start_run("live-1", ["globalsecurity"])
        state.record_capture(Capture(url=url, site="globalsecurity", status=0, headers={}, payload_digest="",
                                     warc_file="live-1.warc.gz", warc_offset=0, record_id="<urn:uuid:x>",
                                     captured_at="2026-11-01T00:00:00Z", run_id="live-1", error="timed out"),
                             kind="article", record_type="failure", body_location=None)
        state.finish_run("live-1")
        assert [r["record_type"] for r in state.url_capture_log(url)] == ["failure"]
        assert state.url_captures(url) == []
    finally:
        state.close()
    with WaybackReplay(three_captures()) as wayback:
        result = backfill(home, "globalsecurity", settings=FAST, wayback=wayback.base_url)
    assert result["backfill"]["outcome"] == "ok" and result["clean"]["cleaned"] == ["globalsecurity-dprk-100917-kcna04"]
    from cleaners.store import load_document
    doc = load_document(home, "globalsecurity", "globalsecurity-dprk-100917-kcna04")
    assert [v["captured_at"][:4] for v in doc.extra["versions"]] == ["2010", "2012", "2016"]
