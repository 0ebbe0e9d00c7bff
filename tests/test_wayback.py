"""The Wayback Machine as a source: CDX JSON parsing (the CDX server's documented answers), a backfill from a
local CDX + id_ replay over real HTTP, the WARC records it writes, resuming, and the history the audit shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from core.datahome import DataHome
from scrapers.fetch import CrawlSettings
from scrapers.wayback import CdxRow, WaybackSettings, bounding_rows, cdx_time_to_iso, parse_cdx_json, surt_prefix
from tests.fakes.wayback import Capture, FakeWayback, digest

FIXTURES = Path(__file__).parent / "fixtures" / "wayback"
SNAPSHOT_SRC = Path(__file__).resolve().parent.parent / "flows" / "snapshots" / "src"
ARTICLE = "http://www.globalsecurity.org:80/wmd/library/news/dprk/2010/dprk-100917-kcna04.htm"
FAST = CrawlSettings(delay=0, retries=2, backoff=0.01, obey_robots=False)
INDEX = "http://www.globalsecurity.org:80/wmd/library/news/dprk/2010/index.html"
OLD = (SNAPSHOT_SRC / "snapshot-1" / "www_globalsecurity_org-435d3a3937.html").read_bytes()
NEW = (SNAPSHOT_SRC / "snapshot-2" / "www_globalsecurity_org-435d3a3937.html").read_bytes()
OLD_FOOTER = OLD.replace(b"Page last modified: ", b"Page last modified:  ")   # same text, another payload


class Pauses:
    """An injected sleep: records every pause instead of sleeping (the suite stays fast)."""

    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def polite(pauses: Pauses | None = None, **changes) -> WaybackSettings:
    """The real defaults (3 s pace, 60 s after a 429) with the sleeping injected."""
    return WaybackSettings(sleep=pauses or Pauses(), backoff=0.01, **changes)


def backfill(home, fake, **kwargs):
    import flows.backfill
    kwargs.setdefault("wayback_settings", polite())
    return flows.backfill.backfill(home, "globalsecurity", settings=FAST, wayback=fake.base_url, **kwargs)


def versions(home):
    from cleaners.store import load_document
    doc = load_document(home, "globalsecurity", "globalsecurity-dprk-100917-kcna04")
    return doc, [(v["captured_at"], v["text_sha256"]) for v in doc.extra["versions"]]


def edits(home):
    from flows.audit import version_edits
    return [(e.before_captured_at, e.after_captured_at) for e in version_edits(home)]


def test_parse_cdx_json_reads_the_documented_answers():
    rows, resume = parse_cdx_json((FIXTURES / "cdx-readme-limit3.json").read_text())
    assert resume is None and len(rows) == 3
    assert rows[0] == CdxRow("19970126045828", "http://www.archive.org:80/", "text/html", "200",
                             "Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY", "1415", urlkey="org,archive)/")
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


def history() -> list[Capture]:
    """One GlobalSecurity article as the Wayback holds it: posted (2010), re-captured with the same text and
    a new footer date (2012), a revisit row repeating the 2012 payload (2013), the text edited (2016: a name
    struck, a phrase replaced), and an index page that is not an article."""
    headers = (("Last-Modified", "Sat, 18 Sep 2010 03:15:00 GMT"), ("Content-Length", str(len(OLD))))
    return [Capture("20100918031500", ARTICLE, OLD, headers=headers),
            Capture("20120304050607", ARTICLE, OLD_FOOTER),
            Capture("20130101000000", ARTICLE, revisit_of="20120304050607"),
            Capture("20160709101112", ARTICLE, NEW),
            Capture("20160709101112", INDEX, b"<html><body><a href='dprk-100917-kcna04.htm'>x</a></body></html>"),
            Capture("20160709101113", "http://www.globalsecurity.org/robots.txt", b"User-agent: *",
                    mimetype="text/plain")]


def test_bounding_rows_keep_the_first_and_last_capture_of_each_payload():
    rows = [CdxRow(ts, ARTICLE, digest=d) for ts, d in
            [("20100101000000", "A"), ("20100201000000", "A"), ("20100301000000", "A"), ("20100401000000", "B"),
             ("20100501000000", "B"), ("20100601000000", "A"), ("20100601000000", "A")]]   # a repeated row
    kept, left_out = bounding_rows(rows)
    assert [(r.timestamp[4:6], r.digest) for r in kept] == [("01", "A"), ("03", "A"), ("04", "B"), ("05", "B"),
                                                             ("06", "A")]
    assert left_out == 1


def test_two_prefixes_that_differ_only_by_www_are_one_listing():
    assert surt_prefix("www.kcna.kp/en/article/") == surt_prefix("kcna.kp/en/article/") == "kp,kcna)/en/article/"
    assert surt_prefix("www.kcna.kp/en/article/") != surt_prefix("www.kcna.kp/en/")


def test_backfill_archives_each_bounding_capture_and_the_audit_dates_the_edit(tmp_path):
    from corpus.versions import render_version_edits
    from flows.audit import version_edits
    from scrapers.state import CrawlState

    home = DataHome.resolve(tmp_path / "home")
    with FakeWayback(history()) as fake:
        result = backfill(home, fake)
        cdx_queries = fake.paths("cdx")
        playbacks = fake.paths("playback")
    report = result["backfill"]
    assert report["outcome"] == "ok", report
    assert report["articles"] == 1 and report["not_articles"] == 1   # robots.txt is outside the prefix
    # three payloads fetched (2010, 2012, 2016); the 2013 revisit row repeats 2012: archived, not fetched
    assert report["fetched"] == 3 and report["revisits"] == 1 and len(playbacks) == 3
    assert len(cdx_queries) == 1
    assert "collapse" not in cdx_queries[0] and "filter" not in cdx_queries[0] and "showResumeKey=true" in cdx_queries[0]

    (warc,) = home.warc_dir.glob("*.warc.gz")
    with open(warc, "rb") as fh:
        records = [(r, r.content_stream().read()) for r in ArchiveIterator(fh)]
    info, info_body = records[0]
    assert info.rec_type == "warcinfo" and b"source: Wayback Machine" in info_body and b"no request records" in info_body
    assert not [r for r, _ in records if r.rec_type == "request"]   # kcorpus never sent the pages' requests
    responses = [(r, body) for r, body in records if r.rec_type == "response"]
    assert [r.rec_headers.get_header("WARC-Date") for r, _ in responses] == [
        "2010-09-18T03:15:00Z", "2012-03-04T05:06:07Z", "2016-07-09T10:11:12Z"]
    first, first_body = responses[0]
    assert first.rec_headers.get_header("WARC-Target-URI") == ARTICLE.replace(":80", "")
    assert first.rec_headers.get_header("WARC-Source-URI") == f"{fake.base_url}/web/20100918031500id_/{ARTICLE}"
    # the Wayback gzipped on the fly: undone, so the payload is the page's and its digest is the CDX digest
    assert first_body == OLD and first.http_headers.get_header("Content-Encoding") is None
    assert first.rec_headers.get_header("WARC-Payload-Digest") == "sha1:" + digest(OLD)
    assert first.http_headers.get_header("Last-Modified") == "Sat, 18 Sep 2010 03:15:00 GMT"
    assert first.http_headers.get_header("Memento-Datetime") is None and first.http_headers.get_header("Content-Length") is None
    metadata = [body.decode() for r, body in records if r.rec_type == "metadata"]
    assert len(metadata) == 4 and all("obtained-by: Wayback Machine" in m for m in metadata)
    assert sum("digest-verified: yes" in m for m in metadata) == 3 and "wayback-encoding-removed: gzip" in metadata[0]
    (revisit,) = [r for r, _ in records if r.rec_type == "revisit"]
    assert revisit.rec_headers.get_header("WARC-Date") == "2013-01-01T00:00:00Z"
    assert revisit.rec_headers.get_header("WARC-Refers-To-Date") == "2012-03-04T05:06:07Z"
    assert not report["unverified"]

    state = CrawlState(home.state_db)
    try:
        assert sorted(r["record_type"] for r in state.run_captures(result["run_id"])) == ["response"] * 3 + ["revisit"]
        assert state.url_rows("globalsecurity") == []
        assert [r["status"] for r in state.runs()] == ["backfill"]
    finally:
        state.close()

    doc, seen = versions(home)
    assert [at[:4] for at, _ in seen] == ["2010", "2012", "2013", "2016"]
    assert doc.capture["captured_at"] == "2016-07-09T10:11:12Z" and doc.date == "2010-09-17"
    assert "ahead of schedule" not in doc.text
    # the edit lies between the LAST capture of the old text (the 2013 revisit) and the first of the new
    (edit,) = found = version_edits(home)
    assert (edit.before_captured_at, edit.after_captured_at) == ("2013-01-01T00:00:00Z", "2016-07-09T10:11:12Z")
    shown = render_version_edits(found)
    assert "captured 2013-01-01 (wayback) -> 2016-07-09 (wayback)" in shown
    assert "[-, Jang Song Thaek-]" in shown and "[-ahead of schedule-]{+at an early date+}" in shown


def test_a_revert_shows_as_an_edit_back_dated_by_its_bounding_captures(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    captures = [Capture("20100918031500", ARTICLE, OLD),
                Capture("20110101000000", ARTICLE, OLD),
                Capture("20160709101112", ARTICLE, NEW),
                Capture("20170101000000", ARTICLE, NEW),
                Capture("20180202000000", ARTICLE, revisit_of="20100918031500"),   # back to the 2010 payload
                Capture("20190303000000", ARTICLE, revisit_of="20100918031500")]
    with FakeWayback(captures) as fake:
        report = backfill(home, fake)["backfill"]
        playbacks = fake.paths("playback")
    assert report["outcome"] == "ok", report
    assert len(playbacks) == 2 and report["fetched"] == 2 and report["revisits"] == 4
    assert edits(home) == [("2011-01-01T00:00:00Z", "2016-07-09T10:11:12Z"),
                           ("2017-01-01T00:00:00Z", "2018-02-02T00:00:00Z")]
    doc, _ = versions(home)
    assert "ahead of schedule" in doc.text   # the current text is the reverted one


def test_a_same_payload_across_a_cdx_page_boundary_is_no_new_version(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    captures = [Capture("20100918031500", ARTICLE, OLD), Capture("20110101000000", ARTICLE, OLD),
                Capture("20120101000000", ARTICLE, OLD), Capture("20160709101112", ARTICLE, NEW)]
    with FakeWayback(captures) as fake:
        report = backfill(home, fake, wayback_settings=polite(page_size=2))["backfill"]
        cdx_queries = fake.paths("cdx")
    # page 2 is full and has no key (nothing follows): one request from its last row confirms the end
    assert report["outcome"] == "ok" and report["cdx_pages"] == 2 and len(cdx_queries) == 3, report
    assert "resumeKey=" in cdx_queries[1] and "resumeKey=" in cdx_queries[2] and "limit=1&" in cdx_queries[2]
    assert not report["warnings"]
    assert report["fetched"] == 2 and report["revisits"] == 1 and report["same_text_skipped"] == 1
    assert edits(home) == [("2012-01-01T00:00:00Z", "2016-07-09T10:11:12Z")]


def test_an_id_redirect_to_a_neighbouring_capture_is_followed_and_the_served_capture_recorded(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    captures = [Capture("20100918031500", ARTICLE, OLD, unplayable=True),            # listed, not playable
                Capture("20100918031542", ARTICLE, OLD, listed=False),               # what the Wayback serves
                Capture("20160709101112", ARTICLE, NEW, unplayable=True),
                Capture("20160709221112", ARTICLE, NEW, listed=False),
                Capture("20200101000000", ARTICLE, NEW, unplayable=True),            # nearest is years away
                Capture("20230101000000", ARTICLE, revisit_of="20100918031500", unplayable=True, listed=False)]
    with FakeWayback(captures) as fake:
        report = backfill(home, fake, wayback_settings=polite(redirect_window=86400))["backfill"]
    assert report["redirected"] == 2 and report["fetched"] == 2
    _, seen = versions(home)
    # the captures served (03:15:42, 22:11:12) are recorded under their own time; the listed ones they stood
    # in for hold the same payload by the CDX digest, and are kept as revisits under the listed time; the
    # 2020 capture was not fetched at all (its payload is held by digest)
    assert [at for at, _ in seen] == ["2010-09-18T03:15:00Z", "2010-09-18T03:15:42Z", "2016-07-09T10:11:12Z",
                                      "2016-07-09T22:11:12Z", "2020-01-01T00:00:00Z"]
    assert report["revisits"] == 3 and report["outcome"] == "ok", report
    assert edits(home) == [("2010-09-18T03:15:42Z", "2016-07-09T10:11:12Z")]


def test_an_id_redirect_outside_the_window_is_refused_in_words(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    captures = [Capture("20100918031500", ARTICLE, OLD, unplayable=True),
                Capture("20130918031500", ARTICLE, OLD, listed=False)]
    with FakeWayback(captures) as fake:
        report = backfill(home, fake)["backfill"]
    assert report["outcome"] == "partial" and report["fetched"] == 0
    (failure,) = report["failed"]
    assert "outside the 86400 s window" in failure[1]


def test_one_429_on_each_api_costs_one_pause_and_nothing_else(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    pauses = Pauses()
    with FakeWayback(history()) as fake:
        fake.rate_limit("cdx", 1)
        fake.rate_limit("playback", 1)
        report = backfill(home, fake, wayback_settings=polite(pauses))["backfill"]
        asked = fake.paths()
    assert report["outcome"] == "ok" and not report["failed"] and report["fetched"] == 3, report
    assert report["rate_limited"] == 2
    assert pauses.calls.count(60.0) == 2                       # one 60 s pause per 429, no other long wait
    assert all(p <= 3.0 for p in pauses.calls if p != 60.0)   # the pace: never more than 20 requests a minute
    assert len(asked) == 1 + 1 + 3 + 1                         # each 429 cost exactly one repeated request


def test_retry_after_is_honoured_and_the_pace_is_kept_between_captures(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    pauses = Pauses()
    with FakeWayback(history()) as fake:
        fake.rate_limit("playback", 1, retry_after="7")
        report = backfill(home, fake, wayback_settings=polite(pauses))["backfill"]
        times = [t for t, _ in fake.requests]
    assert report["outcome"] == "ok" and 7.0 in pauses.calls and 60.0 not in pauses.calls
    assert len([p for p in pauses.calls if 0 < p <= 3.0]) >= len(times) - 2   # a pace wait before each request


def test_a_slow_cdx_answer_waits_for_the_configured_timeout(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    assert WaybackSettings().cdx_timeout >= 600
    with FakeWayback(history()) as fake:
        fake.slow_cdx(0.6)
        hurried = backfill(home, fake, wayback_settings=polite(cdx_timeout=0.2, retries=0))["backfill"]
        patient = backfill(DataHome.resolve(tmp_path / "h2"), fake, wayback_settings=polite(cdx_timeout=5))["backfill"]
    assert hurried["outcome"] == "unreachable" and "timeout" in hurried["detail"].lower()
    assert patient["outcome"] == "ok" and patient["fetched"] == 3


@pytest.mark.parametrize("how", ["json", "nokey"])
def test_a_cut_cdx_page_keeps_the_pages_before_and_the_next_run_resumes(tmp_path, how):
    home = DataHome.resolve(tmp_path / "home")
    with FakeWayback(history()) as fake:
        fake.cut_page(2, how)
        settings = polite(page_size=2, retries=0)
        first = backfill(home, fake, wayback_settings=settings)["backfill"]
        second = backfill(home, fake, wayback_settings=settings)["backfill"]
        cdx_queries = fake.paths("cdx")
    if how == "json":   # the body ends mid-stream: the listing stops, the page before it is kept
        assert first["outcome"] == "partial" and not first["listing_complete"] and "cut off" in first["detail"]
        assert (first["listed"], first["fetched"]) == (2, 2), first
        assert second["outcome"] == "ok" and second["listing_complete"], second
        assert "resumeKey=" in cdx_queries[2]   # the second run asked from the saved key, not from the start
        assert second["already_held"] == 2 and second["fetched"] + second["revisits"] == 2
    else:   # a full page without its key: detected (captures follow its last row) and listed on from there
        assert first["outcome"] == "ok" and first["listing_complete"], first
        assert any("stopped early without a resume key" in w for w in first["warnings"])
        assert first["listed"] == 5 and first["fetched"] == 3 and first["revisits"] == 1
    _, seen = versions(home)
    assert [at[:4] for at, _ in seen] == ["2010", "2012", "2013", "2016"]


def test_a_repeated_resume_key_stops_the_listing_instead_of_looping(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    with FakeWayback(history()) as fake:
        fake.repeat_resume_key()
        report = backfill(home, fake, wayback_settings=polite(page_size=1))["backfill"]
        cdx_queries = fake.paths("cdx")
    assert len(cdx_queries) == 2 and report["outcome"] == "partial"
    assert "repeated the resume key" in report["detail"]


def test_backfill_resumes_and_is_polite_under_errors(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    with FakeWayback(history()) as fake:
        first = backfill(home, fake, limit=1)["backfill"]
        assert first["fetched"] == 1
        fake.fail("playback", 2)  # a busy Wayback: two 503s, retried with backoff
        second = backfill(home, fake)["backfill"]
        fetched_paths = fake.paths("playback")
    assert second["already_held"] == 1 and second["fetched"] == 2 and second["outcome"] == "ok", second
    assert len([p for p in fetched_paths if p.startswith("/web/20100918031500")]) == 1  # never fetched twice


def test_backfill_of_an_unreachable_wayback_says_so(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    with FakeWayback(history()) as fake:
        fake.fail("cdx", 100)
        result = backfill(home, fake)
    assert result["backfill"]["outcome"] == "unreachable" and "503" in result["backfill"]["detail"]
    assert result["backfill"]["fetched"] == 0


def test_a_payload_that_does_not_match_its_cdx_digest_is_kept_and_said(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    with FakeWayback([Capture("20100918031500", ARTICLE, OLD)]) as fake:
        fake.captures[0] = Capture("20100918031500", ARTICLE, NEW)   # the index and the bytes disagree
        original_rows = fake.cdx_rows
        fake.cdx_rows = lambda params: ([r[:5] + [digest(OLD)] + r[6:] for r in original_rows(params)[0]], None)
        report = backfill(home, fake)["backfill"]
    assert report["fetched"] == 1 and len(report["unverified"]) == 1
    assert "differs from the CDX digest" in report["unverified"][0][1]


def test_backfill_after_a_failed_live_fetch_of_the_same_url_does_not_crash(tmp_path):
    """A URL with a failed live fetch (a metadata record) and Wayback copies: cleaning reads only the
    captures holding a payload (CrawlState.url_captures with kinds), never the failure."""
    from core.capture import Capture as StateCapture
    from scrapers.state import CrawlState
    from scrapers.warcstore import WarcStore

    home = DataHome.resolve(tmp_path / "home")
    url = ARTICLE.replace(":80", "")
    store = WarcStore(home.warc_dir, "20260101t000000-aaaaaa", "globalsecurity")
    written = store.write_failure(url, error="timeout: ConnectTimeout", warc_date="2026-01-01T00:00:00Z")
    store.close()
    state = CrawlState(home.state_db)
    state.record_capture(StateCapture(url=url, site="globalsecurity", status=0, headers={}, payload_digest="",
                                      warc_file=written.warc_file, warc_offset=written.offset,
                                      record_id=written.record_id, captured_at="2026-01-01T00:00:00Z",
                                      run_id="20260101t000000-aaaaaa", error="timeout: ConnectTimeout"),
                         kind="article", record_type="failure", body_location=None)
    state.close()
    with FakeWayback(history()) as fake:
        result = backfill(home, fake)
    assert result["backfill"]["outcome"] == "ok" and not result["clean"]["failures"], result["clean"]
    doc, seen = versions(home)
    assert len(seen) == 4


def test_a_live_capture_refused_long_ago_is_no_failure_of_a_backfill(tmp_path):
    """A refresh once met a binary page under the article's URL (a hostile answer, refused when that
    refresh cleaned it): it is no version of the document, and not a failure of every later backfill
    (found by the random histories, seed 20027); the backfill's own refused captures still are."""
    import os

    from core.capture import Capture as StateCapture
    from scrapers.state import CrawlState
    from scrapers.warcstore import WarcStore

    home = DataHome.resolve(tmp_path / "home")
    url = ARTICLE.replace(":80", "")
    store = WarcStore(home.warc_dir, "20260101t000000-aaaaaa", "globalsecurity")
    body = b"\x00\x01\x02\xff\xfe" + os.urandom(4096)
    written = store.write_exchange(url, method="GET", request_headers=[], status=200, reason="OK",
                                   response_headers=[("Content-Type", "text/html")], body=body,
                                   warc_date="2026-01-01T00:00:00Z")
    store.close()
    state = CrawlState(home.state_db)
    state.record_capture(StateCapture(url=url, site="globalsecurity", status=200, headers={"content-type": "text/html"},
                                      payload_digest=written.payload_digest, warc_file=written.warc_file,
                                      warc_offset=written.offset, record_id=written.record_id,
                                      captured_at="2026-01-01T00:00:00Z", run_id="20260101t000000-aaaaaa"),
                         kind="article", record_type="response", body_location=(written.warc_file, written.offset))
    state.close()
    with FakeWayback(history() + [Capture("20120101000000", ARTICLE, b"\x00\x01 not a page")]) as fake:
        result = backfill(home, fake)
    assert result["backfill"]["outcome"] == "ok", result["backfill"]
    assert [(f["capture"]["captured_at"], f["error"]) for f in result["clean"]["failures"]] == \
        [("2012-01-01T00:00:00Z", "not HTML: binary content")], result["clean"]["failures"]
    doc, seen = versions(home)
    assert len(seen) == 4 and "2026-01-01T00:00:00Z" not in [t for t, _ in seen]


def test_cli_backfill_with_one_429_on_each_api_exits_0(tmp_path):
    from typer.testing import CliRunner
    from kcorpus.cli import app

    with FakeWayback(history()) as fake:
        fake.rate_limit("cdx", 1)
        fake.rate_limit("playback", 1)
        result = CliRunner().invoke(app, ["backfill", "--site", "globalsecurity", "--wayback", fake.base_url,
                                          "--delay", "0", "--pause-after-429", "0.01", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2 rate-limit pauses" in result.output and "3 fetched" in result.output


def test_kcnakp_two_prefixes_with_one_surt_form_are_listed_once(tmp_path):
    """kcna.kp's profile names www.kcna.kp/en/article/ and kcna.kp/en/article/: one SURT prefix, one listing;
    the article captured under both host spellings is one document, its repeated payload a revisit."""
    import flows.backfill

    url = ("http://www.kcna.kp/en/article/q/134a0eb1839cb01381c703e99144182116b5c41fea8bd4fb75e6da9cf995125e.kcmsf")
    page = (Path(__file__).parent / "fixtures" / "sites" / "kcnakp-kim-yo-jong-2024-07-14.html").read_bytes()
    home = DataHome.resolve(tmp_path / "home")
    with FakeWayback([Capture("20240715010203", url, page),
                      Capture("20240801000000", url.replace("www.", ""), page)]) as fake:
        result = flows.backfill.backfill(home, "kcnakp", settings=FAST, wayback=fake.base_url, wayback_settings=polite())
        cdx_queries = fake.paths("cdx")
    report = result["backfill"]
    assert len(cdx_queries) == 1 and report["outcome"] == "ok", report
    assert report["fetched"] == 1 and report["revisits"] == 1
    assert result["clean"]["cleaned"] == ["kcnakp-134a0eb1839cb01381c703e99144182116b5c41fea8bd4fb75e6da9cf995125e"]


def test_a_cdx_answer_compressed_without_saying_so_is_read(tmp_path):
    """The CDX server compresses by default (README: "returns gzip encoded data for all queries"); an answer
    passed on as bare gzip bytes is still read."""
    home = DataHome.resolve(tmp_path / "home")
    with FakeWayback(history(), bare_gzip_cdx=True) as fake:
        report = backfill(home, fake)["backfill"]
    assert report["outcome"] == "ok" and report["fetched"] == 3 and report["revisits"] == 1, report


def test_crawl_settings_alone_give_polite_wayback_settings():
    from scrapers.wayback import wayback_settings_from

    live = wayback_settings_from(CrawlSettings())
    assert (live.pace, live.rate_limit_pause, live.cdx_timeout) == (3.0, 60.0, 600.0)
    fast = wayback_settings_from(FAST)   # a test's crawl settings: no pace, waits in its tiny backoff unit
    assert fast.pace == 0 and fast.rate_limit_pause == pytest.approx(0.6) and fast.retries == 2


def test_one_429_on_each_api_with_crawl_settings_only(tmp_path):
    import flows.backfill

    home = DataHome.resolve(tmp_path / "home")
    with FakeWayback(history()) as fake:
        fake.rate_limit("cdx", 1, retry_after=None)
        fake.rate_limit("playback", 1)
        result = flows.backfill.backfill(home, "globalsecurity", settings=FAST, wayback=fake.base_url)
    report = result["backfill"]
    assert report["outcome"] == "ok" and report["rate_limited"] == 2 and not report["failed"], report


def test_rodong_backfill_refuses_a_capture_that_renders_another_article(tmp_path):
    """Rodong Sinmun through the Wayback: a section list (base64, no article key) is not an article; a
    capture of an article's URL that shows another day's article is refused by the date cross-check and
    becomes no version; the article's own captures do."""
    import flows.backfill

    sites = Path(__file__).parent / "fixtures" / "sites"
    veterans = (sites / "rodong-war-veterans-yangdok-2024-08-01.html").read_bytes()
    haeju = (sites / "rodong-new-houses-haeju-2024-08-01.html").read_bytes()
    other_day = haeju.replace(b"2024.8.1.", b"2021.3.5.")          # another article, of another day
    url = "http://www.rodong.rep.kp/en/index.php?MTJAMjAyNC0wOC0wMS1IMDAzQDE1QDFAQDBAMQ=="
    section = "http://www.rodong.rep.kp/en/index.php?MUAxQDBAMEAwQDBAMEAw"
    home = DataHome.resolve(tmp_path / "home")
    with FakeWayback([Capture("20240801120000", url, veterans),
                      Capture("20240901120000", url.replace("==", "%3D%3D"), other_day),
                      Capture("20240801120000", section, b"<html><body>list</body></html>")]) as fake:
        result = flows.backfill.backfill(home, "rodong", settings=FAST, wayback=fake.base_url, wayback_settings=polite())
    report, clean = result["backfill"], result["clean"]
    assert report["not_articles"] == 1 and report["fetched"] == 2 and report["outcome"] == "ok", report
    assert [f["error"] for f in clean["failures"]] == [
        "the page shows an article of 2021-03-05, its URL's id one of 2024-08-01: another article"]
    from cleaners.store import load_document
    doc = load_document(home, "rodong", "rodong-2024-08-01-h003")
    assert [v["captured_at"] for v in doc.extra["versions"]] == ["2024-08-01T12:00:00Z"]


def test_backfill_summary_names_the_captures_the_cleaner_refused(capsys):
    """A Wayback capture fetched and archived but refused by the cleaner (it renders another article) is
    listed in the backfill's summary, not counted silently among the cleaned."""
    from kcorpus import render

    url = "http://web.archive.org/web/20240801000000id_/http://www.rodong.rep.kp/en/index.php?MTJAMjAyNC0wOC0wMS0wMDE="
    summary = {"run_id": "r1", "backfill": {"listed": 2, "articles": 2, "fetched": 2, "revisits": 0, "already_held": 0,
                                            "failed": [], "rate_limited": 0, "unverified": [], "warnings": []},
               "clean": {"cleaned": ["rodong-1"], "failures": [{"url": url, "site": "rodong", "error":
                         "the page shows an article of 2021-03-05, its URL's id one of 2024-08-01: another article"}]}}
    render.backfill_summary(summary, "rodong", "http://web.archive.org")
    out = capsys.readouterr().out
    assert "refused by the cleaner" in out and "another article" in out and "1 documents cleaned" in out
