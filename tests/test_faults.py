"""Faults injected one by one: a failed run never looks like success, and nothing earlier is lost.

Outage (a refusing proxy), bad links and non-ASCII digits, a partial replay, a changed layout, a soft
404, a full disk (injected ENOSPC), a torn WARC tail, two writers, leftovers of a killed run. Each test
asserts the outcome, the message, and that earlier captures, documents and releases are intact.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from core.datahome import DataHome, DataHomeBusy, WriterLock
from flows.crawl import RunFailed, failure_lines, refresh
from flows.release import ReleaseBlocked, validate_and_release
from scrapers.fetch import CrawlSettings
from replay.server import ReplayServer, load_snapshot
from scrapers.warcstore import WarcStore

SNAPSHOTS = Path(__file__).resolve().parent.parent / "flows" / "snapshots"
SNAPSHOT_1 = SNAPSHOTS / "snapshot-1.warc.gz"
SITES = ["globalsecurity", "kancc"]
FAST = CrawlSettings(delay=0, retries=0, timeout=5)
BOARD = "https://kancc.org/bbs/board.php?bo_table=heigo"


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_warc(folder: Path, pages: dict) -> Path:
    """A replay WARC of url -> RecordedResponse-like (status, headers, body), written by WarcStore."""
    folder.mkdir(parents=True, exist_ok=True)
    with WarcStore(folder, "snapshot", "test") as store:
        for url, (status, headers, body) in pages.items():
            store.write_exchange(url, method="GET", request_headers=[], status=status,
                                 reason="OK" if status == 200 else "Not Found", response_headers=list(headers),
                                 body=body, warc_date="2026-10-01T00:00:00Z")
    return store.path


def snapshot_pages(keep=lambda url: True) -> dict:
    return {url: (r.status, r.headers, r.body) for url, r in load_snapshot([SNAPSHOT_1]).items() if keep(url)}


def documents_on_disk(home: DataHome) -> dict[str, str]:
    """Every current document file (path relative to documents/) -> its bytes' text."""
    return {p.relative_to(home.documents_dir).as_posix(): p.read_text()
            for p in home.documents_dir.glob("*/*.json") if not p.parent.name.startswith("_")}


def whole_records(path: Path) -> list[tuple[str, int]]:
    """(record type, offset) of every record; raises if any record is torn."""
    out = []
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh, check_digests=True)
        for record in iterator:
            iterator.read_to_end(record)
            out.append((record.rec_type, iterator.get_record_offset()))
    return out


@pytest.fixture
def refreshed(tmp_path):
    """A data home after one ok refresh of both sites over snapshot 1."""
    home = DataHome.resolve(tmp_path / "home").ensure()
    with ReplayServer([SNAPSHOT_1]) as server:
        summary = refresh(home, SITES, settings=FAST, replay_port=server.port)
    assert {s: o["outcome"] for s, o in summary["outcomes"].items()} == {"globalsecurity": "ok", "kancc": "ok"}
    return home


# --- outage ----------------------------------------------------------------------------------------

def test_outage_through_a_refusing_proxy_is_unreachable_and_blocks_an_empty_first_release(tmp_path, monkeypatch):
    port = closed_port()
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    home = DataHome.resolve(tmp_path).ensure()
    summary = refresh(home, SITES, settings=FAST)
    lines = failure_lines(summary["outcomes"])
    assert len(lines) == 2
    for site, line in zip(SITES, lines):
        assert line.startswith(f"{site}: unreachable: robots.txt unreachable (")
        assert "ProxyError" in line or "ConnectError" in line
    from scrapers.state import CrawlState
    state = CrawlState(home.state_db)
    assert state.runs()[-1]["status"] == "finished"
    assert json.loads(state.runs()[-1]["outcomes"])["kancc"]["outcome"] == "unreachable"
    state.close()
    with pytest.raises(ReleaseBlocked) as blocked:
        validate_and_release(home)
    message = str(blocked.value)
    assert "globalsecurity: no documents to release" in message and "a first release needs documents" in message
    assert "kancc: last crawl" in message and "was unreachable: robots.txt unreachable" in message
    assert not [p for p in home.releases_dir.iterdir()]


def test_scheduled_run_with_the_sites_unreachable_ends_failed_writes_no_release_and_says_why(
        prefect_harness, tmp_path, monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.scheduled import scheduled_refresh

    port = closed_port()
    for name in ("HTTPS_PROXY", "HTTP_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # the test harness's server is local (as kcorpus sets it)
    home = DataHome.resolve(tmp_path).ensure()
    from dataclasses import asdict
    state = scheduled_refresh(home=str(home.root), settings=asdict(FAST), return_state=True)
    assert state.is_failed()
    assert "globalsecurity: unreachable: robots.txt unreachable" in state.message
    assert "kancc: unreachable: robots.txt unreachable" in state.message
    assert "release blocked by the quality gate" in state.message
    assert not [p for p in home.releases_dir.iterdir()]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["kcorpus-run-summary", "kcorpus-data-docs"])))
    mine = [a for a in artifacts if a.flow_run_id == state.state_details.flow_run_id]
    assert {a.key for a in mine} == {"kcorpus-run-summary", "kcorpus-data-docs"}
    summary = next(a for a in mine if a.key == "kcorpus-run-summary").data
    assert "**Crawl not ok**" in summary and "kancc: unreachable" in summary and "**Release blocked**" in summary
    failure = state.result(raise_on_failure=False)  # the Failed state's data: the error, with the summary
    assert isinstance(failure, RunFailed) and failure.summary["release"] is None
    # called from Python, the refresh flow raises one clear error that still carries the summary
    import flows.refresh
    with pytest.raises(RunFailed, match=r"^globalsecurity: unreachable: robots.txt unreachable") as raised:
        flows.refresh.refresh(home=str(home.root), sites=SITES, settings=asdict(FAST))
    assert raised.value.summary["outcomes"]["kancc"]["outcome"] == "unreachable"


# --- hostile links -----------------------------------------------------------------------------------

def test_bad_links_and_non_ascii_digits_never_stop_the_run(tmp_path):
    pages = snapshot_pages()
    list_url = f"{BOARD}&page=1"
    status, headers, body = pages[list_url]
    hostile = ('<a href="http://[oops/">broken</a><a href="./board.php?bo_table=heigo&amp;wr_id=٥٠٤">504?</a>'
               '<a href="https://kancc.org:99999/x">bad port</a><a href="mailto:webmaster@kancc.org">mail</a>')
    pages[list_url] = (status, headers, body.replace(b"</body>", hostile.encode("utf-8") + b"</body>"))
    warc = write_warc(tmp_path / "snap", pages)
    home = DataHome.resolve(tmp_path / "home").ensure()
    with ReplayServer([warc]) as server:
        summary = refresh(home, SITES, settings=FAST, replay_port=server.port)
    kancc = summary["crawl"]["kancc"]
    assert summary["outcomes"]["kancc"]["outcome"] == "ok"
    assert sorted(reason.split(" ")[0] for _, reason in kancc["bad_links"]) == ["malformed", "malformed"]
    assert len(summary["clean"]["kancc"]["cleaned"]) == 13 and len(summary["clean"]["globalsecurity"]["cleaned"]) == 14
    # the Arabic-Indic digits never became an article id, and the WARC holds only ASCII URIs
    assert not [d for d in documents_on_disk(home) if "504" in d and "٥" in d]
    for warc_file in home.warc_dir.iterdir():
        whole_records(warc_file)
        with open(warc_file, "rb") as fh:
            for record in ArchiveIterator(fh):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                assert uri is None or uri.isascii()


def test_a_non_ascii_start_url_is_percent_encoded_before_the_request_and_the_warc(tmp_path):
    from core.profiles import get_profile
    from scrapers.crawl import crawl_site
    from scrapers.fetch import make_client
    from scrapers.state import CrawlState

    warc = write_warc(tmp_path / "snap", snapshot_pages())
    state = CrawlState(tmp_path / "state.sqlite")
    state.start_run("r1", ["kancc"])
    with ReplayServer([warc]) as server, make_client(FAST, server.port) as client:
        report = crawl_site(get_profile("kancc"), state=state, warc_dir=tmp_path / "warc", run_id="r1",
                            client=client, settings=FAST, start_urls=[f"{BOARD}&page=١"])
    urls = [r["url"] for r in state.run_captures("r1", kind="index")]
    assert urls == [f"{BOARD}&page=%D9%A1"]
    assert report.outcome == "unreachable" and "every start page failed" in report.cause


def test_redirects_stay_on_the_profile_hosts_default_ports_and_http():
    from scrapers.urls import redirect_refusal

    hosts = ("kancc.org",)
    assert redirect_refusal("ftp://kancc.org/x", hosts).startswith("redirect to a non-http(s) URL")
    assert redirect_refusal("file:///etc/passwd", hosts).startswith("redirect to a non-http(s) URL")
    assert redirect_refusal("https://evil.example/", hosts) == "redirect to a host outside the site profile"
    assert redirect_refusal("http://kancc.org:6379/", hosts).startswith("redirect to a non-default port")
    assert redirect_refusal("http://kancc.org:80/bbs/", hosts) is None


# --- why gone ------------------------------------------------------------------------------------------

def test_a_partial_replay_retires_nothing_and_says_not_checked(refreshed, tmp_path):
    home = refreshed
    before = documents_on_disk(home)
    only_gs = write_warc(tmp_path / "gs-only", snapshot_pages(lambda url: "globalsecurity" in url))
    with ReplayServer([only_gs]) as server:
        summary = refresh(home, SITES, settings=FAST, replay_port=server.port)
    assert summary["outcomes"]["globalsecurity"]["outcome"] == "ok"
    kancc = summary["outcomes"]["kancc"]
    assert kancc["outcome"] == "unreachable" and "not in the replayed WARCs" in kancc["cause"]
    assert summary["clean"]["kancc"]["retired"] == [] and len(summary["clean"]["kancc"]["not_checked"]) == 13
    assert documents_on_disk(home) == before                       # nothing retired, nothing rewritten
    assert not (home.documents_dir / "_gone").exists()
    with pytest.raises(ReleaseBlocked, match="kancc: last crawl .* was unreachable"):
        validate_and_release(home)
    outcome = validate_and_release(home, allow_partial=True)   # the explicit override, recorded
    manifest = json.loads((outcome.release.path / "manifest.json").read_text())
    assert manifest["allow_partial"] is True and any("kancc: last crawl" in m for m in manifest["partial"])
    assert manifest["crawl_outcomes"]["kancc"]["outcome"] == "unreachable"
    assert manifest["crawl_outcomes"]["kancc"]["run_id"] == summary["run_id"]
    assert manifest["counts_by_site"] == {"globalsecurity": 14, "kancc": 13}


def test_a_soft_404_retires_its_document_and_a_5xx_does_not(refreshed, tmp_path):
    home = refreshed
    pages = snapshot_pages()
    alert = ('<html><head><meta charset="utf-8"><script>alert("글이 존재하지 않습니다.\\n\\n글이 삭제되었거나 '
             '이동된 경우입니다.");history.back();</script></head><body></body></html>').encode("utf-8")
    headers = [("Content-Type", "text/html; charset=utf-8"), ("ETag", '"soft"')]
    pages[f"{BOARD}&wr_id=504"] = (200, headers, alert)
    pages[f"{BOARD}&wr_id=503"] = (503, [("Content-Type", "text/html")], b"<html><body>busy</body></html>")
    with ReplayServer([write_warc(tmp_path / "snap", pages)]) as server:
        summary = refresh(home, SITES, settings=FAST, replay_port=server.port)
    clean = summary["clean"]["kancc"]
    assert clean["retired"] == ["kancc-heigo-504"]
    assert (home.documents_dir / "_gone" / "kancc" / "kancc-heigo-504.json").exists()
    assert "kancc-heigo-503" in clean["not_checked"]
    assert (home.documents_dir / "kancc" / "kancc-heigo-503.json").exists()
    assert summary["outcomes"]["kancc"]["outcome"] == "partial" and "HTTP 503" in summary["outcomes"]["kancc"]["cause"]


# --- layout canaries ----------------------------------------------------------------------------------

def test_a_changed_layout_is_detected_and_blocks_the_sites_release(refreshed, tmp_path):
    home = refreshed
    pages = snapshot_pages()
    for url, (status, headers, body) in list(pages.items()):
        if "wr_id=" in url and status == 200:  # the board's new skin: the post body moved to another id
            headers = [(k, v if k.lower() != "etag" else '"new-skin"') for k, v in headers
                       if k.lower() != "last-modified"]
            pages[url] = (status, headers, body.replace(b'id="bo_v_con"', b'id="bo_v_content"'))
    with ReplayServer([write_warc(tmp_path / "snap", pages)]) as server:
        summary = refresh(home, SITES, settings=FAST, replay_port=server.port)
    kancc = summary["outcomes"]["kancc"]
    assert kancc["outcome"] == "changed-layout", kancc
    assert "article pages where the profile found no body: 100% (was 0%" in kancc["cause"]
    assert summary["outcomes"]["globalsecurity"]["outcome"] == "ok"
    with pytest.raises(ReleaseBlocked, match="kancc: last crawl .* was changed-layout"):
        validate_and_release(home)


def test_layout_canary_thresholds():
    from scrapers.canary import layout_change, layout_metrics

    base = layout_metrics(list_pages=4, empty_list_pages=0, cleaned_pages=20, no_body_pages=0,
                          body_chars=[3000] * 20)
    same = layout_metrics(list_pages=4, empty_list_pages=1, cleaned_pages=20, no_body_pages=1,
                          body_chars=[2800] * 20)
    shrunk = layout_metrics(list_pages=4, empty_list_pages=0, cleaned_pages=20, no_body_pages=0,
                            body_chars=[400] * 20)
    assert layout_change(same, base) is None
    assert layout_change(shrunk, base).startswith("median body length 400 characters (was 3000")
    assert layout_change(shrunk, base, {"max_median_drop": 0.9}) is None
    # three re-cleaned pages, each a fragment of what it gave before: judged against themselves
    fragments = layout_metrics(list_pages=4, empty_list_pages=0, cleaned_pages=3, no_body_pages=0,
                               body_chars=[120, 98, 143], body_ratios=[0.09, 0.2, 0.11])
    assert layout_change(fragments, base) == "median body length 11% of what the same 3 pages gave before (threshold -50%)"
    # ... and three edited pages as long as before are no change, whatever the last crawl's median was
    edited = layout_metrics(list_pages=4, empty_list_pages=0, cleaned_pages=3, no_body_pages=0,
                            body_chars=[320, 296, 475], body_ratios=[0.98, 1.0, 1.04])
    assert layout_change(edited, base) is None
    # found by the random histories (seed 50091): a refresh retried after a full disk re-cleaned four short
    # GlobalSecurity items (real lengths of the snapshots' articles, median 546) where the last crawl had
    # re-cleaned five long ones (median 1,351). Four articles are a sample, not a layout: no change.
    last_crawl = layout_metrics(list_pages=3, empty_list_pages=0, cleaned_pages=5, no_body_pages=0,
                                body_chars=[635, 1334, 1351, 1421, 8483])
    four_new = layout_metrics(list_pages=3, empty_list_pages=0, cleaned_pages=4, no_body_pages=0,
                              body_chars=[535, 557, 424, 586])
    assert layout_change(four_new, last_crawl) is None
    few = layout_metrics(list_pages=1, empty_list_pages=0, cleaned_pages=2, no_body_pages=2, body_chars=[])
    assert layout_change(few, base) is None   # two pages say nothing
    # nor does a baseline of one re-cleaned page (found by the random histories: a refresh after a backfill
    # re-cleaned one 1,421-character article, and the next crawl re-cleaning all 14 was "changed-layout")
    one_page = layout_metrics(list_pages=3, empty_list_pages=0, cleaned_pages=1, no_body_pages=0, body_chars=[1421])
    all_of_them = layout_metrics(list_pages=3, empty_list_pages=0, cleaned_pages=14, no_body_pages=0,
                                 body_chars=[320, 296, 475, 424, 376, 432, 8483, 535, 557, 635, 586, 1421, 1351, 1334])
    assert layout_change(all_of_them, one_page) is None


# --- full disk ------------------------------------------------------------------------------------------

def test_a_full_disk_cuts_the_torn_record_and_says_disk_full(refreshed, tmp_path, monkeypatch):
    home = refreshed
    before_docs = documents_on_disk(home)
    before_warcs = {p.name: p.read_bytes() for p in home.warc_dir.iterdir()}
    from scrapers import warcstore

    real_write, calls = os.write, {"n": 0}

    def filling_disk(fd, data):
        calls["n"] += 1
        if calls["n"] >= 6:  # a few records in, the disk fills: half a record lands, then ENOSPC
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(warcstore.os, "write", filling_disk)
    with ReplayServer([SNAPSHOT_1]) as server:
        summary = refresh(home, ["kancc"], settings=FAST, replay_port=server.port)
    monkeypatch.undo()
    kancc = summary["outcomes"]["kancc"]
    assert kancc["outcome"] == "partial" and "disk full (no space left on device)" in kancc["cause"]
    assert "cut back to its last whole record" in kancc["cause"]
    new_warc = home.warc_dir / f"{summary['run_id']}-kancc.warc.gz"
    offsets = {offset for _, offset in whole_records(new_warc)}      # every record whole: no torn tail
    from scrapers.state import CrawlState
    state = CrawlState(home.state_db)
    assert all(r["warc_offset"] in offsets for r in state.run_captures(summary["run_id"]))
    state.close()
    assert {p: b for p, b in before_warcs.items()} == {p.name: p.read_bytes() for p in home.warc_dir.iterdir()
                                                      if p.name in before_warcs}
    assert documents_on_disk(home) == before_docs
    # the same file takes the retry's records after the last whole one
    store = WarcStore(home.warc_dir, summary["run_id"], "kancc")
    store.write_failure("https://kancc.org/x", error="retry", warc_date="2026-10-02T00:00:00Z")
    store.close()
    assert len(whole_records(new_warc)) == len(offsets) + 1


def test_a_torn_tail_from_a_killed_writer_is_cut_when_the_file_is_opened_again(tmp_path):
    store = WarcStore(tmp_path, "run1", "kancc")
    store.write_failure("https://kancc.org/a", error="x", warc_date="2026-10-01T00:00:00Z")
    store.close()
    path = tmp_path / "run1-kancc.warc.gz"
    whole = path.stat().st_size
    with open(path, "ab") as fh:
        fh.write(b"\x1f\x8b\x08\x00torn")
    WarcStore(tmp_path, "run1", "kancc").close()
    assert path.stat().st_size == whole and len(whole_records(path)) == 2


def test_disk_full_and_sqlite_errors_read_in_words():
    import sqlite3

    from flows.errors import describe_failure

    assert describe_failure(OSError(errno.ENOSPC, "No space left on device", "/data/x.json")).startswith(
        "disk full (no space left on device) writing /data/x.json")
    assert "disk full" in describe_failure(sqlite3.OperationalError("database or disk is full"))


# --- one writer, temp names, leftovers -------------------------------------------------------------------

HOLDER = """
import sys, time
from core.datahome import DataHome, WriterLock
lock = WriterLock(DataHome.resolve(sys.argv[1]), "kcorpus release").acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_writer_is_refused_with_the_holder_and_a_killed_holder_frees_the_lock(tmp_path):
    from typer.testing import CliRunner

    from kcorpus.cli import app
    from scrapers.state import CrawlState

    CrawlState(DataHome.resolve(tmp_path).ensure().state_db).close()   # a data home with a crawl state
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = CliRunner().invoke(app, ["release", "--home", str(tmp_path)])
        assert result.exit_code == 1
        assert result.stderr.startswith(f"error: data home busy: kcorpus release (pid {holder.pid}) since 20")
        with pytest.raises(DataHomeBusy):
            WriterLock(DataHome.resolve(tmp_path), "kcorpus refresh", wait=0.5).acquire()
    finally:
        holder.kill()
        holder.wait()
    # SIGKILL dropped the flock: the stale file does not block
    WriterLock(DataHome.resolve(tmp_path), "kcorpus refresh").acquire().release()


def test_leftovers_of_a_killed_run_are_removed_at_the_next_writer_start(refreshed):
    from typer.testing import CliRunner

    from kcorpus.cli import app

    home = refreshed
    leftovers = [home.releases_dir / ".tmp-0123abcd", home.documents_dir / "kancc" / "kancc-heigo-504.json.tmp",
                 home.documents_dir / "kancc" / ".kancc-heigo-504.json.4242-deadbeef.tmp",
                 home.quarantine_dir / ".x.json.4242-deadbeef.tmp"]
    (leftovers[0] / "tei").mkdir(parents=True)
    (leftovers[0] / "manifest.json").write_text("{}")
    for path in leftovers[1:]:
        path.write_text("{")
    docs = documents_on_disk(home)
    result = CliRunner().invoke(app, ["reclean", "--home", str(home.root)])
    assert result.exit_code == 0, result.output
    assert not [p for p in leftovers if p.exists()]
    assert set(documents_on_disk(home)) == set(docs)


def test_temp_names_are_unique_per_writer(tmp_path):
    from core.datahome import temp_name

    path = tmp_path / "kancc-heigo-504.json"
    names = {temp_name(path) for _ in range(50)}
    assert len(names) == 50 and all(n.name.endswith(".tmp") and str(os.getpid()) in n.name for n in names)


# --- no orphans ---------------------------------------------------------------------------------------

SERVER_PARENT = """
import os, sys, time
os.environ.pop("PREFECT_API_URL", None)
os.environ["PREFECT_HOME"] = sys.argv[1]
from flows.settings import apply_prefect_defaults
apply_prefect_defaults()
from flows import server
if sys.argv[2] == "started":
    server.ensure_api()
    from prefect.settings import get_current_settings
    # the embedded server dies with this process: no heartbeats (a sync flow run would wait 1 s for them)
    assert get_current_settings().flows.heartbeat_frequency is None
    print(server._started.process.pid, flush=True)
else:
    import threading
    threading.Timer(0.5, lambda: print("starting", flush=True)).start()
    server.ensure_api()
time.sleep(120)
"""


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _gone(pid: int, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            stat = Path(f"/proc/{pid}/stat").read_text()
            if stat.split(")")[1].split()[0] == "Z":  # a zombie waiting for its reaper: dead
                return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads children from /proc (Linux)")
@pytest.mark.parametrize("when", ["started", "starting"])
def test_sigkill_of_kcorpus_leaves_no_embedded_prefect_server(tmp_path, when):
    import signal

    parent = subprocess.Popen([sys.executable, "-c", SERVER_PARENT, str(tmp_path), when], stdout=subprocess.PIPE,
                              text=True, env={k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"})
    try:
        line = parent.stdout.readline().strip()
        assert line, "the parent died before its server started"
        if when == "started":
            server_pid = int(line)
        else:
            deadline = time.monotonic() + 10
            while not _children(parent.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            server_pid = _children(parent.pid)[0]
        assert not _gone(server_pid, within=0.5)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _gone(server_pid), f"embedded Prefect server {server_pid} outlived its kcorpus parent"
    finally:
        if parent.poll() is None:
            parent.kill()


# --- errors in words ---------------------------------------------------------------------------------

def _cli(*args, env=None):
    from typer.testing import CliRunner

    from kcorpus.cli import app
    return CliRunner().invoke(app, list(args), env=env)


def _one_error_line(result, code: int, *needles: str) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_release_version_taken_or_malformed_fails_before_the_gate(tmp_path):
    home = DataHome.resolve(tmp_path).ensure()
    (home.releases_dir / "2026.01.01").mkdir()
    _one_error_line(_cli("release", "--version", "2026.01.01", "--home", str(tmp_path)), 1, "already exists")
    _one_error_line(_cli("release", "--version", "latest", "--home", str(tmp_path)), 1, "bad release version")
    assert not (home.reports_dir / "data_docs").exists()  # the gate never ran


def test_unreadable_warc_and_port_in_use_are_one_line(tmp_path):
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"this is not a WARC file at all\n" * 10)
    _one_error_line(_cli("replay", str(bad), "--port", "0"), 1, "unreadable WARC", str(bad))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        _one_error_line(_cli("replay", str(SNAPSHOT_1), "--port", str(port)), 1, f"port {port} on 127.0.0.1 is in use")
    debug = _cli("--debug", "replay", str(bad), "--port", "0")
    assert debug.exit_code == 1 and "Traceback" in debug.stderr and "error: unreadable WARC" in debug.stderr


def test_bad_cron_unreachable_prefect_bad_url_and_not_a_release(tmp_path):
    _one_error_line(_cli("schedule", "--cron", "every night", "--home", str(tmp_path)), 2, "bad cron schedule")
    dead = f"http://127.0.0.1:{closed_port()}/api"
    _one_error_line(_cli("schedule", "--home", str(tmp_path), env={"PREFECT_API_URL": dead}), 1,
                    f"Prefect server unreachable at {dead}")
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>text</p></body></html>")
    _one_error_line(_cli("clean", str(page), "--url", "http://[oops/"), 2, "bad --url", "Invalid IPv6 URL")
    folder = tmp_path / "not-a-release"
    folder.mkdir()
    _one_error_line(_cli("diff", str(folder), str(folder)), 1, "is not a kcorpus release")


def test_read_only_commands_never_create_a_data_home(tmp_path):
    missing = tmp_path / "typo-home"
    for args in (["releases"], ["audit"], ["quarantine"], ["quarantine", "show", "kancc-heigo-504"], ["verify"]):
        result = _cli(*args, "--home", str(missing))
        assert result.exit_code == 1 and result.stderr.startswith("error: "), (args, result.output)
        assert not missing.exists(), args


def test_verify_rechecks_checksums_and_warc_digests_of_a_read_only_release(refreshed):
    home = refreshed
    outcome = validate_and_release(home)
    release = outcome.release.path
    assert all(p.stat().st_mode & 0o222 == 0 for p in release.rglob("*") if p.is_file())
    ok = _cli("verify", "--home", str(home.root))
    assert ok.exit_code == 0 and "every checksum holds, 27 documents' WARC payloads match" in ok.stdout
    tei = next(release.glob("tei/kancc/*.xml"))
    tei.chmod(0o644)
    tei.write_bytes(tei.read_bytes() + b"<!-- edited after release -->\n")
    warc = next(home.warc_dir.glob("*-globalsecurity.warc.gz"))
    warc.rename(warc.with_name("moved.warc.gz"))
    result = _cli("verify", outcome.release.version, "--home", str(home.root))
    assert result.exit_code == 1
    assert f"{tei.relative_to(release).as_posix()}: checksum differs from SHA256SUMS" in result.stderr
    assert "checksum differs from manifest.json" in result.stderr
    assert f"warc/{warc.name} is missing" in result.stderr


def test_refresh_exits_non_zero_naming_site_outcome_and_cause(prefect_harness, refreshed, tmp_path):
    only_gs = write_warc(tmp_path / "gs-only", snapshot_pages(lambda url: "globalsecurity" in url))
    result = _cli("refresh", "--replay", str(only_gs), "--home", str(refreshed.root))
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    # every site the GlobalSecurity-only WARC does not hold is named, one line each; GlobalSecurity is ok
    assert sorted(line.split(":")[1].strip() for line in errors) == ["kancc", "kcnakp", "rodong"]
    assert all(": unreachable: every start page failed" in line for line in errors), errors
    assert "unreachable" in result.stdout and "not checked this run (kept)" in result.stdout
    assert len(documents_on_disk(refreshed)) == 27


def test_a_full_disk_during_a_release_is_one_line_and_leaves_no_half_release(prefect_harness, refreshed, monkeypatch):
    home = refreshed
    real = Path.write_bytes

    def full(self, data):
        if ".tmp-" in str(self) and self.suffix == ".xml":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    result = _cli("release", "--home", str(home.root))
    monkeypatch.undo()
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]  # Prefect logs the rest
    assert len(errors) == 1 and errors[0].startswith("error: release not written: disk full (no space left on device)")
    assert errors[0].endswith("earlier releases are intact")
    assert [p.name for p in home.releases_dir.iterdir()] == []


def test_pages_whose_bodies_shrink_to_a_fragment_trip_the_canary_against_themselves(refreshed, tmp_path):
    """A site whose new markup leaves the profile's selector a fragment of each article (here: every
    GlobalSecurity article cut after its second paragraph) is changed-layout, judged page by page against
    what the same pages gave before, however few were re-cleaned."""
    home = refreshed
    pages = snapshot_pages()
    cut = 0
    for url, (status, headers, body) in list(pages.items()):
        if "globalsecurity" in url and "kcna" in url and status == 200 and body.count(b"</p>") > 4:
            second = body.index(b"</p>", body.index(b"</p>") + 4) + 4
            headers = [(k, v if k.lower() != "etag" else '"cut"') for k, v in headers if k.lower() != "last-modified"]
            pages[url] = (status, headers, body[:second] + b"</div></body></html>")
            cut += 1
    assert cut >= 3
    with ReplayServer([write_warc(tmp_path / "snap", pages)]) as server:
        summary = refresh(home, SITES, settings=FAST, replay_port=server.port)
    gs = summary["outcomes"]["globalsecurity"]
    assert gs["outcome"] == "changed-layout", gs
    assert "of what the same" in gs["cause"] and "pages gave before (threshold -50%)" in gs["cause"]
    assert summary["outcomes"]["kancc"]["outcome"] == "ok"
