"""Archival guarantees: an unchanged re-crawl does no work; a crawl killed with SIGKILL loses nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from flows.crawl import refresh
from flows.release import validate_and_release
from core.datahome import DataHome
from scrapers.fetch import CrawlSettings
from replay.server import ReplayServer

SNAPSHOT = Path(__file__).resolve().parent.parent / "flows" / "snapshots" / "snapshot-1.warc.gz"
SITES = ["globalsecurity", "kancc"]


def released_content(home: DataHome) -> dict:
    """What a release says about each document's text: id -> (text digest, path, source URL)."""
    outcome = validate_and_release(home)
    manifest = json.loads((Path(outcome.release.path) / "manifest.json").read_text())
    return {d["id"]: (d["text_sha256"], d["path"], d["source_url"]) for d in manifest["documents"]}


def test_second_refresh_of_unchanged_snapshot_downloads_and_recleans_nothing(tmp_path):
    home = DataHome.resolve(tmp_path).ensure()
    with ReplayServer([SNAPSHOT]) as server:
        first = refresh(home, SITES, settings=CrawlSettings(delay=0), replay_port=server.port)
        second = refresh(home, SITES, settings=CrawlSettings(delay=0), replay_port=server.port)
    assert sum(c["downloaded"] for c in first["crawl"].values()) == 29  # 27 articles + 2 soft-404 pages
    assert sum(c["downloaded"] for c in second["crawl"].values()) == 0
    assert sum(c["unchanged"] for c in second["crawl"].values()) == 29
    assert sum(len(c["cleaned"]) for c in second["clean"].values()) == 0
    assert sum(len(c["reused"]) for c in second["clean"].values()) == 27
    assert sum(len(c["soft_404"]) for c in second["clean"].values()) == 2  # still gone, never a document


KILLABLE = """
import sys
from pathlib import Path
from flows.crawl import refresh
from flows.release import validate_and_release
from core.datahome import DataHome
from scrapers.fetch import CrawlSettings
home = DataHome.resolve(sys.argv[1]).ensure()
refresh(home, {sites!r}, settings=CrawlSettings(delay=0.15), replay_port=int(sys.argv[2]))
"""


def test_crawl_killed_mid_run_resumes_to_the_same_release(tmp_path):
    whole, killed = DataHome.resolve(tmp_path / "whole").ensure(), DataHome.resolve(tmp_path / "killed").ensure()
    with ReplayServer([SNAPSHOT]) as server:
        refresh(whole, SITES, settings=CrawlSettings(delay=0), replay_port=server.port)
        proc = subprocess.Popen([sys.executable, "-c", KILLABLE.format(sites=SITES), str(killed.root), str(server.port)])
        deadline = time.monotonic() + 60
        captured = 0
        while time.monotonic() < deadline and proc.poll() is None:
            if killed.state_db.exists():
                try:
                    with sqlite3.connect(killed.state_db, timeout=1) as db:
                        captured = db.execute("SELECT count(*) FROM captures WHERE kind = 'article'").fetchone()[0]
                except sqlite3.OperationalError:
                    captured = 0
            if captured >= 6:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL, "the crawl finished before it could be killed"
        assert 6 <= captured < 29
        # the run was cut off: it stays "running" in the state, its WARC files stay on disk
        with sqlite3.connect(killed.state_db) as db:
            assert db.execute("SELECT status FROM runs").fetchall() == [("running",)]
        warcs_before = {p.name: p.stat().st_size for p in killed.warc_dir.iterdir()}
        refresh(killed, SITES, settings=CrawlSettings(delay=0), replay_port=server.port)
    for name, size in warcs_before.items():  # nothing captured before the kill was lost or rewritten
        assert (killed.warc_dir / name).stat().st_size == size
    expected = released_content(whole)
    assert len(expected) == 27 and released_content(killed) == expected


# --- group commits -------------------------------------------------------------------------------------

def _watch_syncs_and_commits(monkeypatch):
    """Record each WARC file's synced size at every fsync, and fail any state row that would point at a
    WARC byte not yet synced (the invariant group commits must keep). Returns the event counters."""
    from scrapers import warcstore
    from scrapers.state import CrawlState

    synced, events = {}, {"fsyncs": 0, "rows": 0}
    real_fsync, real_insert = os.fsync, CrawlState._insert_capture

    def fsync(fd):
        real_fsync(fd)
        synced[os.readlink(f"/proc/self/fd/{fd}")] = os.fstat(fd).st_size
        events["fsyncs"] += 1

    def insert(self, db, capture, *args):
        path = os.path.realpath(Path(capture.warc_file) if os.path.isabs(capture.warc_file)
                                else next(p for p in synced if p.endswith("/" + capture.warc_file)))
        assert capture.warc_offset < synced.get(path, 0), f"a state row points past the synced end of {path}"
        events["rows"] += 1
        return real_insert(self, db, capture, *args)

    monkeypatch.setattr(warcstore.os, "fsync", fsync)
    monkeypatch.setattr(CrawlState, "_insert_capture", insert)
    return events


def test_group_commits_sync_the_warc_before_any_state_row_points_into_it(tmp_path, monkeypatch):
    home = DataHome.resolve(tmp_path).ensure()
    with ReplayServer([SNAPSHOT]) as server:
        refresh(home, SITES, settings=CrawlSettings(delay=0), replay_port=server.port)
        events = _watch_syncs_and_commits(monkeypatch)
        again = refresh(home, SITES, settings=CrawlSettings(delay=0), replay_port=server.port)
    assert sum(c["unchanged"] for c in again["crawl"].values()) == 29
    # every capture row was checked against the synced size, and the syncs were grouped: a 304 alone
    # writes three records, which used to be three fsyncs
    assert events["rows"] >= 29 and events["fsyncs"] * 5 <= events["rows"]


def test_a_failed_sync_drops_the_groups_rows_and_stops_the_crawl_in_words(tmp_path, monkeypatch):
    import errno

    from scrapers import warcstore
    from scrapers.state import CrawlState

    home = DataHome.resolve(tmp_path).ensure()
    real_fsync, synced = os.fsync, []

    def failing_fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith("-kancc.warc.gz"):
            if len(synced) == 3:  # the disk fails at the fourth group's sync
                raise OSError(errno.EIO, "Input/output error")
            synced.append(os.fstat(fd).st_size)
        real_fsync(fd)

    monkeypatch.setattr(warcstore.os, "fsync", failing_fsync)
    monkeypatch.setattr("scrapers.crawl.GROUP_CAPTURES", 4)
    with ReplayServer([SNAPSHOT]) as server:
        summary = refresh(home, ["kancc"], settings=CrawlSettings(delay=0), replay_port=server.port)
    kancc = summary["outcomes"]["kancc"]
    assert kancc["outcome"] == "partial" and kancc["cause"].startswith("crawl stopped: cannot sync warc/")
    state = CrawlState(home.state_db)
    rows = state.run_captures(summary["run_id"], site="kancc")
    state.close()
    # the groups synced before the fault are committed; the failed group's rows are not
    assert rows and all(r["warc_offset"] < synced[-1] for r in rows)
    assert rows[-1]["warc_offset"] > synced[-2]  # the last good group was committed


def test_a_run_with_nothing_new_is_not_packaged_again_as_a_wacz(tmp_path):
    home = DataHome.resolve(tmp_path).ensure()
    with ReplayServer([SNAPSHOT]) as server:
        first = refresh(home, SITES, settings=CrawlSettings(delay=0), replay_port=server.port)
        second = refresh(home, SITES, settings=CrawlSettings(delay=0), replay_port=server.port)
    assert Path(first["wacz"]["file"]).exists()
    assert "archived no new page" in second["wacz"]["skipped"]
    assert [p.name for p in home.wacz_dir.iterdir()] == [Path(first["wacz"]["file"]).name]
