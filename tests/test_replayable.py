"""The crawls' captures as the field's own tools read them: WARC 1.1 records, 304s as server-not-modified
revisits that pywb replays with the full page, replays that keep the source's dates and headers, and a
WACZ per run that `wacz validate` accepts."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

import cleaners
from core.datahome import DataHome
from flows.crawl import refresh, replay_sources
from flows.runs import snapshot_path
from scrapers.fetch import CrawlSettings
from replay.server import ReplayServer
from scrapers.state import CrawlState
from scrapers.warcstore import SERVER_NOT_MODIFIED, read_response

ROOT = Path(__file__).resolve().parent.parent
PYWB_PYTHON = Path(os.environ.get("KCORPUS_PYWB_PYTHON", ROOT / ".venv-pywb" / "bin" / "python"))
SITES = ["globalsecurity", "kancc"]
SNAPSHOT_DATES = {"snapshot-1": "2026-10-01T03:00:00Z", "snapshot-2": "2026-11-01T03:00:00Z"}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Both demo snapshots crawled in turn (as `kcorpus refresh --replay`) into one data home."""
    home = DataHome.resolve(tmp_path_factory.mktemp("replayable"))
    runs = {}
    for name in SNAPSHOT_DATES:
        path = snapshot_path(name)
        with ReplayServer([path]) as server:
            summary = refresh(home, SITES, settings=CrawlSettings(delay=0), replay_port=server.port,
                                     replay_of=replay_sources([path]))
        runs[name] = summary
    return home, runs


def _records(path: Path):
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            yield record, (record.content_stream().read() if record.rec_type in ("metadata", "warcinfo") else b"")


def test_every_record_is_warc_1_1_and_a_304_is_a_replayable_server_not_modified_revisit(crawled):
    home, runs = crawled
    by_id, revisits, requests, metadata = {}, [], {}, {}
    for path in sorted(home.warc_dir.glob("*.warc.gz")):
        for record, payload in _records(path):
            assert record.rec_headers.protocol == "WARC/1.1", (path.name, record.rec_type)
            headers = record.rec_headers
            by_id[headers.get_header("WARC-Record-ID")] = (record.rec_type, headers.get_header("WARC-Date"),
                                                           headers.get_header("WARC-Target-URI"))
            if record.rec_type == "revisit" and headers.get_header("WARC-Profile") == SERVER_NOT_MODIFIED:
                revisits.append((headers, record.http_headers))
            elif record.rec_type == "request":
                requests[headers.get_header("WARC-Concurrent-To")] = record.http_headers
            elif record.rec_type == "metadata":
                metadata[headers.get_header("WARC-Refers-To")] = payload.decode("utf-8")
    assert len(revisits) >= 17  # the 17 unchanged articles of the second crawl, and robots/list pages
    for headers, http in revisits:
        rid = headers.get_header("WARC-Record-ID")
        original = by_id[headers.get_header("WARC-Refers-To")]
        assert original == ("response", headers.get_header("WARC-Refers-To-Date"),
                            headers.get_header("WARC-Refers-To-Target-URI"))
        assert headers.get_header("WARC-Payload-Digest", "").startswith("sha1:")
        assert http.get_statuscode() == "200"          # the stored page, freshened: replayable
        request = requests[rid]                         # the conditional request that got the 304
        assert request.get_header("If-None-Match") or request.get_header("If-Modified-Since")
        assert metadata[rid].startswith("http-status: 304 ")  # the 304 exactly as received


def test_a_replayed_crawl_keeps_the_source_dates_headers_and_says_it_is_a_replay(crawled):
    home, runs = crawled
    state = CrawlState(home.state_db)
    try:
        for name, summary in runs.items():
            run_id = summary["run_id"]
            assert [r["file"] for r in state.replay_of(run_id)] == [f"{name}.warc.gz"]
            assert {row["captured_at"] for row in state.run_captures(run_id)} == {SNAPSHOT_DATES[name]}
    finally:
        state.close()
    # every archived response carries exactly the source record's header list (no Server/Date added)
    source = {}
    for name in SNAPSHOT_DATES:
        for record, _ in _records(snapshot_path(name)):
            if record.rec_type == "response":
                source[(record.rec_headers.get_header("WARC-Target-URI"),
                        record.rec_headers.get_header("WARC-Date"))] = record.http_headers.headers
    checked = 0
    for path in home.warc_dir.glob("*.warc.gz"):
        for record, payload in _records(path):
            if record.rec_type == "warcinfo":
                assert b"replayOf: snapshot-" in payload
            if record.rec_type == "response":
                key = (record.rec_headers.get_header("WARC-Target-URI"), record.rec_headers.get_header("WARC-Date"))
                assert record.http_headers.headers == source[key], key
                checked += 1
    assert checked >= 22
    for doc_path in (home.documents_dir).rglob("*.json"):
        capture = json.loads(doc_path.read_text(encoding="utf-8"))["capture"]
        assert capture["captured_at"] in SNAPSHOT_DATES.values()
        assert capture["record_id"].startswith("urn:uuid:")


def _article_captures(home: DataHome, runs: dict) -> list[tuple[str, str, object]]:
    """(URL, 14-digit timestamp, Capture) of every article captured in every run: Capture is None for
    a page the site no longer had (404), which must replay as that 404 at that date."""
    from scrapers.state import row_to_capture

    state = CrawlState(home.state_db)
    try:
        out = []
        for summary in runs.values():
            for row in state.run_captures(summary["run_id"], kind="article"):
                ts = "".join(c for c in row["captured_at"] if c.isdigit())[:14]
                if row["status"] in (200, 304):
                    out.append((row["url"], ts, row_to_capture(row)))
                elif row["status"] == 404:
                    out.append((row["url"], ts, None))
        return out
    finally:
        state.close()


@pytest.mark.skipif(not PYWB_PYTHON.exists(), reason="pywb's own environment is missing: python3 -m venv "
                    ".venv-pywb && .venv-pywb/bin/pip install 'pywb>=2.10,<2.11' 'cryptography<48' (.ci/run does)")
def test_pywb_replays_every_article_at_every_capture_date_with_its_text(crawled, tmp_path):
    home, runs = crawled
    captures = _article_captures(home, runs)
    assert len([c for c in captures if c[2]]) >= 19 + 19  # both crawls (the second: 17 unchanged, edited, added)
    assert len([c for c in captures if not c[2]]) == 1     # the article deleted before the second crawl
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps([[url, ts] for url, ts, _ in captures]))
    warcs = [str(p) for p in sorted(home.warc_dir.glob("*.warc.gz"))]
    done = subprocess.run([str(PYWB_PYTHON), str(ROOT / "tests" / "tools" / "pywb_replay.py"), str(tmp_path),
                           str(queries), *warcs], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    answers = json.loads((tmp_path / "answers.json").read_text())
    from email.utils import parsedate_to_datetime

    for (url, ts, capture), answer in zip(captures, answers):
        assert parsedate_to_datetime(answer["memento_datetime"]).strftime("%Y%m%d%H%M%S") == ts, url
        if capture is None:
            assert answer["status"] == 404, url
            continue
        assert answer["status"] == 200, (url, ts, answer["status"])
        body = base64.b64decode(answer["body_b64"])
        stored = read_response(home.warc_dir, capture.warc_file, capture.warc_offset)
        if (stored.headers.get("content-encoding") or "").lower() == "gzip" and body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        try:
            expected = cleaners.clean_page(stored.body, url, headers=stored.headers)
        except cleaners.SoftNotFound:  # an error page served as 200 replays as that same error page
            with pytest.raises(cleaners.SoftNotFound):
                cleaners.clean_page(body, url, headers={"content-type": answer["content_type"] or ""})
            continue
        replayed = cleaners.clean_page(body, url, headers={"content-type": answer["content_type"] or ""})
        assert replayed.paragraphs and replayed.paragraphs == expected.paragraphs, (url, ts)
        assert replayed.title == expected.title


def test_each_run_is_a_valid_wacz_listing_its_articles(crawled):
    import zipfile

    from scrapers.waczpack import validate

    home, runs = crawled
    for name, summary in runs.items():
        package = Path(summary["wacz"]["file"])
        passed, said = validate(package)
        assert passed, said
        with zipfile.ZipFile(package) as zf:
            names = set(zf.namelist())
            assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdx.gz",
                    "pages/pages.jsonl"} <= names
            pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode("utf-8").splitlines()[1:]]
            resources = json.loads(zf.read("datapackage.json"))["resources"]
        assert len(pages) == (27 if name == "snapshot-1" else 28)  # the released documents of each crawl
        assert all(p["kcorpus_id"] and p["title"] and p["ts"] == SNAPSHOT_DATES[name] for p in pages)
        assert all(r["hash"].startswith("sha256:") for r in resources)
        # self-contained: the second run's WACZ also holds the first run's WARCs its revisits point at
        assert len([n for n in names if n.startswith("archive/")]) == (2 if name == "snapshot-1" else 4)
