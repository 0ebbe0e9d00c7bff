"""`kcorpus check`: a data home that checks itself. A sound home passes; each invariant, broken on its own,
is named in one line; `--repair` mends only what loses nothing (a torn WARC tail, a killed writer's
leftovers, a run left marked running) and leaves the rest for a person."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from core.datahome import DataHome
from flows.crawl import refresh
from flows.release import validate_and_release
from flows.check import NotADataHome, check_home
from scrapers.crawl import CrawlSettings
from replay.server import ReplayServer

SNAPSHOT_1 = Path(__file__).resolve().parent.parent / "flows" / "snapshots" / "snapshot-1.warc.gz"
FAST = CrawlSettings(delay=0, retries=0, timeout=5)


@pytest.fixture(scope="module")
def sound_home(tmp_path_factory):
    """One refresh of both sites over snapshot 1 and a release: a data home with every kind of file."""
    home = DataHome.resolve(tmp_path_factory.mktemp("check") / "home").ensure()
    with ReplayServer([SNAPSHOT_1]) as server:
        refresh(home, ["globalsecurity", "kancc"], settings=FAST, replay_port=server.port)
    validate_and_release(home)
    return home


@pytest.fixture
def home(sound_home, tmp_path):
    """A private copy of the sound home to break (release files stay read-only in the copy)."""
    copy = DataHome.resolve(tmp_path / "home")
    shutil.copytree(sound_home.root, copy.root, symlinks=True)
    return copy


def _writable(path: Path) -> Path:
    path.chmod(0o644)
    return path


def test_a_sound_home_passes_and_nothing_is_changed(sound_home):
    before = {p: p.stat().st_mtime_ns for p in sound_home.root.rglob("*") if p.is_file()}
    report = check_home(sound_home)
    assert report.ok, report.problems
    assert report.checked["captures"] > 0 and report.checked["releases"] == 1 and report.checked["documents"] > 0
    assert {p: p.stat().st_mtime_ns for p in sound_home.root.rglob("*") if p.is_file()} == before


def test_not_a_data_home(tmp_path):
    with pytest.raises(NotADataHome):
        check_home(DataHome.resolve(tmp_path / "nothing"))


def test_an_edited_release_file_is_named(home):
    latest = sorted(p for p in home.releases_dir.iterdir() if p.is_dir() and not p.is_symlink())[-1]
    text = next((latest / "text").rglob("*.txt"))
    _writable(text).write_text("edited after release", encoding="utf-8")
    report = check_home(home)
    assert any(text.relative_to(latest).as_posix() in p and "checksum" in p for p in report.problems)


def test_a_torn_warc_tail_is_named_and_cut_by_repair(home):
    warc = sorted(home.warc_dir.glob("*.warc.gz"))[-1]
    size = warc.stat().st_size
    with open(warc, "ab") as fh:
        fh.write(b"\x1f\x8b\x08\x00torn")
    report = check_home(home)
    assert [p for p in report.problems if "torn tail" in p and warc.name in p]
    repaired = check_home(home, repair=True)
    assert any("cut" in r for r in repaired.repaired) and warc.stat().st_size == size
    assert check_home(home).ok


def test_a_state_row_pointing_at_another_record_is_named(home):
    db = sqlite3.connect(home.state_db)
    db.execute("UPDATE captures SET record_id = '<urn:uuid:00000000-0000-0000-0000-000000000000>' WHERE id = "
               "(SELECT min(id) FROM captures WHERE record_type = 'response')")
    db.commit()
    db.close()
    report = check_home(home)
    assert any("the state says <urn:uuid:00000000" in p for p in report.problems)


def test_an_emptied_state_is_named(home):
    db = sqlite3.connect(home.state_db)
    db.execute("DELETE FROM captures")
    db.commit()
    db.close()
    problems = check_home(home).problems
    assert any("an emptied crawl state" in p for p in problems)
    assert any("is not in the crawl state" in p for p in problems)   # the documents' captures are gone with it


def test_a_run_left_running_and_leftovers_are_named_then_repaired(home):
    db = sqlite3.connect(home.state_db)
    db.execute("UPDATE runs SET status = 'running', finished_at = NULL")
    db.commit()
    db.close()
    (home.releases_dir / ".work-0123abcd").mkdir()
    (home.wacz_dir / ".wacz-zz").mkdir(parents=True, exist_ok=True)
    report = check_home(home)
    assert any("still marked running" in p for p in report.problems)
    assert any(".work-0123abcd" in p for p in report.problems) and any(".wacz-zz" in p for p in report.problems)
    repaired = check_home(home, repair=True)
    assert len(repaired.repaired) >= 3 and check_home(home).ok


def test_a_symlink_out_of_the_home_and_an_unreadable_quarantine_record_are_named(home, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    site = next(p for p in home.documents_dir.iterdir() if p.is_dir() and p.name != "_gone")
    shutil.move(str(site), str(outside / site.name))
    os.symlink(outside / site.name, site)
    home.quarantine_dir.mkdir(exist_ok=True)
    (home.quarantine_dir / "broken.json").write_text("{not json", encoding="utf-8")
    problems = check_home(home).problems
    assert any("outside the data home" in p for p in problems)
    assert any("broken.json: unreadable quarantine record" in p for p in problems)


def test_a_retired_document_without_why_gone_is_named(home):
    doc = next(p for p in home.documents_dir.glob("*/*.json"))
    gone = home.documents_dir / "_gone" / doc.parent.name / doc.name
    gone.parent.mkdir(parents=True, exist_ok=True)
    doc.rename(gone)
    assert any("no why-gone" in p for p in check_home(home).problems)
    record = json.loads(gone.read_text())
    assert record["source_url"]


def test_the_check_command(sound_home, home, tmp_path):
    """`kcorpus check`: exit 0 and the totals on a sound home; exit 1 and one line per problem; JSON; a
    folder that is no data home is one error line."""
    from typer.testing import CliRunner

    from kcorpus.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["check", "--home", str(sound_home.root)])
    assert ok.exit_code == 0 and "every invariant holds" in ok.output
    (home.releases_dir / ".work-dead").mkdir()
    broken = runner.invoke(app, ["check", "--home", str(home.root), "--json"])
    assert broken.exit_code == 1 and json.loads(broken.output)["problems"][0].startswith("releases/.work-dead")
    repaired = runner.invoke(app, ["check", "--repair", "--home", str(home.root)])
    assert repaired.exit_code == 0 and "repaired: releases/.work-dead" in repaired.output
    missing = runner.invoke(app, ["check", "--home", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "is not a kcorpus data home" in missing.output
    assert not (tmp_path / "nowhere").exists()


def test_a_release_over_an_emptied_state_is_refused_in_words(home):
    """The gate blocks an unreachable site by its crawl outcome: an emptied state.sqlite (no outcome at
    all, captures still in warc/) must not slip past it."""
    from flows.release import ReleaseBlocked, validate_and_release

    db = sqlite3.connect(home.state_db)
    db.executescript("DELETE FROM runs; DELETE FROM captures; DELETE FROM urls;")
    db.commit()
    db.close()
    before = sorted(p.name for p in home.releases_dir.iterdir())
    with pytest.raises(ReleaseBlocked, match="the crawl state holds no crawl of this site"):
        validate_and_release(home)
    assert sorted(p.name for p in home.releases_dir.iterdir()) == before


def test_a_release_of_an_empty_home_is_refused_in_words(tmp_path):
    from flows.release import ReleaseBlocked, validate_and_release

    home = DataHome.resolve(tmp_path / "empty").ensure()
    with pytest.raises(ReleaseBlocked, match="nothing to release"):
        validate_and_release(home)
    assert not list(home.releases_dir.iterdir())


def test_refusals_reach_status_and_the_quality_report(sound_home):
    """Pages the cleaner refuses as not articles (the snapshot's error pages served as 200) are counted
    by kind in `kcorpus status` and named in the release's quality report."""
    from flows.home import status

    crawls = status(sound_home)["crawls"]
    assert crawls["globalsecurity"]["refused"].get("error", 0) >= 1 and crawls["kancc"]["refused"].get("error", 0) >= 1
    report = next(sound_home.reports_dir.glob("quality-*.html")).read_text(encoding="utf-8")
    assert "Pages refused as not articles" in report and "dprk-100930-kcna09.htm" in report


def test_the_release_command_on_an_empty_home_says_why_without_the_allow_partial_hint(tmp_path):
    """`kcorpus release` where nothing was ever crawled: one error line, no --allow-partial hint (it would
    not help), nothing written."""
    from typer.testing import CliRunner

    from kcorpus.cli import app

    home = DataHome.resolve(tmp_path / "home").ensure()
    result = CliRunner().invoke(app, ["release", "--home", str(home.root)])
    assert result.exit_code == 1 and "nothing to release" in result.output
    assert "--allow-partial" not in result.output
    assert not [p for p in home.releases_dir.iterdir()]


def test_an_empty_first_release_is_refused_even_with_allow_partial(tmp_path):
    """Found by the random histories: a first crawl during an outage, then `release --allow-partial`,
    wrote a release of nothing and exited 0."""
    from flows.crawl import refresh
    from flows.release import ReleaseBlocked, validate_and_release
    from tests.tools.histories import outage

    home = DataHome.resolve(tmp_path / "home").ensure()
    with outage():
        refresh(home, ["globalsecurity", "kancc"], settings=FAST)
    with pytest.raises(ReleaseBlocked, match="a first release of nothing is never written") as blocked:
        validate_and_release(home, allow_partial=True)
    assert not blocked.value.overridable and not list(home.releases_dir.iterdir())


def test_a_reclean_keeps_the_version_list_a_backfill_gave(home):
    """Issue 24: `reclean` (or a refresh re-cleaning a page) dropped a document's backfilled versions."""
    from cleaners.store import current_documents, save_document
    from flows.clean import reclean

    doc = current_documents(home, ["globalsecurity"])[0]
    versions = [{"captured_at": "2019-01-01T00:00:00Z", "via": "wayback", "payload_digest": "sha1:OLD",
                 "text_sha256": "0" * 64}]
    doc.extra = {**doc.extra, "versions": versions}
    save_document(home, doc)
    reclean(home, ["globalsecurity"], workers=1)
    again = next(d for d in current_documents(home, ["globalsecurity"]) if d.id == doc.id)
    assert again.extra.get("versions") == versions


def test_reclean_exits_non_zero_naming_each_page_that_failed(home, monkeypatch):
    """Issue 24: `reclean` exited 0 printing "1 failed"."""
    from typer.testing import CliRunner

    import flows.clean
    from kcorpus.cli import app

    real = flows.clean.clean_captures

    def one_fails(warc_dir, jobs):
        results = real(warc_dir, jobs)
        results[0] = {"failure": {"url": jobs[0]["url"], "site": jobs[0]["site"], "error": "unreadable WARC record",
                                  "kind": "unreadable", "capture": {}}, "no_body": True}
        return results

    monkeypatch.setattr(flows.clean, "clean_captures", one_fails)
    monkeypatch.setattr(flows.clean, "POOL_MIN_PAGES", 10**9)
    result = CliRunner().invoke(app, ["reclean", "--site", "kancc", "--home", str(home.root)])
    assert result.exit_code == 1 and "unreadable WARC record" in result.output and "1 failed" in result.output


def test_the_release_command_names_its_phases(home):
    """A terminal that talks: the gate with its total, the linking, the writing with counts and a rate."""
    from typer.testing import CliRunner

    from kcorpus.cli import app

    result = CliRunner().invoke(app, ["release", "--home", str(home.root)])
    assert result.exit_code == 0, result.output
    out = result.output
    gate, linking, writing = (out.index("release: the quality gate over"), out.index("release: linking copies"),
                              out.index("release: writing the release files"))
    assert gate < linking < writing and "documents" in out[gate:linking]


def test_backfill_waits_for_no_one_and_refuses_a_busy_data_home(home):
    """Issue 24: `kcorpus backfill` ran beside a refresh or a release (it took no writer lock)."""
    from typer.testing import CliRunner

    from core.datahome import WriterLock
    from kcorpus.cli import app

    with WriterLock(home, "kcorpus refresh"):
        result = CliRunner().invoke(app, ["backfill", "--site", "kancc", "--wayback", "http://127.0.0.1:9",
                                          "--home", str(home.root)])
    assert result.exit_code == 1 and "data home busy: kcorpus refresh" in result.output


def test_a_release_killed_before_its_audit_is_named_and_repaired(home):
    """Issue 24: a release killed right after its rename never got its audit page, feeds or history."""
    from flows.release import validate_and_release

    second = validate_and_release(home).release.version   # released, and "killed" before after_release
    problems = check_home(home).problems
    assert any(f"-{second}.html: missing" in p for p in problems)
    repaired = check_home(home, repair=True)
    assert any("audit of release" in r for r in repaired.repaired)
    assert check_home(home).ok


def test_check_beside_a_release_still_writing_its_audit_calls_nothing_unaudited(home):
    """Found by the random histories' readers: `kcorpus check` run while a release was between its rename
    and its audit page (under the writer lock) reported the new release "never audited"."""
    from core.datahome import WriterLock

    second = validate_and_release(home).release.version   # renamed; its audit is still to come
    with WriterLock(home, "kcorpus release"):
        assert not [p for p in check_home(home).problems if f"-{second}.html" in p]
    assert any(f"-{second}.html: missing" in p for p in check_home(home).problems)   # a writer gone: named


def test_check_beside_a_writer_that_starts_while_it_reads_calls_nothing_killed(home, monkeypatch):
    """Found by the random histories' readers: `check` found no writer, then a refresh started and began
    its run, and `check` called that run "still marked running, but no writer holds the data home". A
    writer seen coming (the lock file changed) makes the check run again, beside it."""
    import flows.check
    from core.datahome import WriterLock

    writer, real, started = WriterLock(home, "kcorpus refresh"), flows.check._check_symlinks, []

    def a_writer_starts(home_, report):
        if not started:
            started.append(writer.acquire())
            (home.releases_dir / ".work-1234-abcd").mkdir()   # what it is in the middle of
        return real(home_, report)

    monkeypatch.setattr(flows.check, "_check_symlinks", a_writer_starts)
    try:
        assert check_home(home).ok
    finally:
        writer.release()
    assert any(".work-1234-abcd: left by a killed writer" in p for p in check_home(home).problems)


def test_a_writer_starting_while_a_reader_probes_the_lock_is_not_refused(home):
    """A reader's probe (flows.check.writer_active) holds the lock for an instant; a writer starting in that
    instant retries for core.datahome.PROBE_GRACE instead of failing "data home busy"."""
    import fcntl
    import threading
    import time

    from core.datahome import DataHomeBusy, WriterLock

    WriterLock(home, "kcorpus release").acquire().release()   # the lock file exists
    fd = os.open(home.lock_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)            # a probe, held far longer than a real one
    threading.Timer(0.1, lambda: (fcntl.flock(fd, fcntl.LOCK_UN), os.close(fd))).start()
    WriterLock(home, "kcorpus refresh").acquire().release()
    holder = WriterLock(home, "kcorpus release").acquire()   # a real writer is still refused
    started = time.monotonic()
    with pytest.raises(DataHomeBusy):
        WriterLock(home, "kcorpus refresh").acquire()
    holder.release()
    assert time.monotonic() - started < 2


# --- a full disk (found by the random histories' full-disk rule) ---------------------------------------------

def test_a_gx_store_file_cut_short_is_named_repaired_and_declared_again_by_the_gate(home):
    """GX writes its store in place: a full disk during a release left `gx/.../kcorpus_documents.json` cut
    short, and every later release failed with `error: Unterminated string starting at: line 290 ...`
    while `kcorpus check` passed."""
    from expectations.gate import damaged_gx_files

    suite = next(home.gx_dir.rglob("expectations/kcorpus_documents.json"))
    config = next(home.gx_dir.rglob("great_expectations.yml"))
    suite.write_bytes(suite.read_bytes()[: suite.stat().st_size // 2])
    report = check_home(home)
    assert [p for p in report.problems if "cut short" in p] == [
        f"{suite.relative_to(home.root).as_posix()}: cut short (a full disk or a killed writer); kcorpus check "
        f"--repair removes it, the quality gate declares it again"]
    repaired = check_home(home, repair=True)
    assert any("kcorpus_documents.json: removed" in line for line in repaired.repaired) and not suite.exists()
    assert check_home(home).ok
    config.write_bytes(config.read_bytes()[:200])   # the config cut mid-line: the gate removes it itself
    outcome = validate_and_release(home, allow_partial=True)
    assert outcome.release.documents > 0
    assert not damaged_gx_files(home) and not [p for p in check_home(home).problems if "cut short" in p]


def test_the_writer_lock_on_a_full_disk_is_held_then_freed(tmp_path, monkeypatch):
    """Writing the holder's name into writer.lock on a full disk raised after the flock: the lock stayed
    held by a lost descriptor for the life of the process (`data home busy: another kcorpus command` for
    every later writer of that process, and the disk could not be unmounted)."""
    import errno

    from core.datahome import DataHomeBusy, WriterLock

    home = DataHome.resolve(tmp_path / "home").ensure()

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    lock = WriterLock(home, "kcorpus release").acquire()
    with pytest.raises(DataHomeBusy):   # held all the same
        WriterLock(home, "kcorpus refresh").acquire()
    lock.release()
    monkeypatch.undo()
    WriterLock(home, "kcorpus refresh").acquire().release()


def test_a_transaction_sqlite_rolled_back_on_a_full_disk_says_the_disk(tmp_path):
    """On SQLITE_FULL (and IOERR) SQLite may roll the transaction back itself; the ROLLBACK after it raised
    `cannot rollback - no transaction is active`, which hid the full disk from the error line."""
    from flows.errors import describe_failure
    from scrapers.state import CrawlState

    state = CrawlState(tmp_path / "state.sqlite")
    try:
        with pytest.raises(sqlite3.OperationalError) as failed:
            with state.transaction() as db:
                db.execute("ROLLBACK")   # what SQLite does on its own when the disk fills mid-statement
                raise sqlite3.OperationalError("database or disk is full")
    finally:
        state.close()
    assert describe_failure(failed.value) == ("a database of the data home could not be written: disk full "
                                              "(no space left on device)")


def test_data_docs_on_a_full_disk_fail_the_gate_in_one_line_not_a_logged_traceback(caplog):
    """GX's site builder catches an OSError writing a page and logs it at ERROR with the whole traceback
    inside the message (28 lines on the terminal, then the release went on to fail elsewhere); it is
    raised as the full disk instead, and any other rendering error is one warning line."""
    import logging

    from expectations.gate import _publish_safe_docs

    builder = logging.getLogger("great_expectations.render.renderer.site_builder")

    class Context:
        validation_results_store = type("Store", (), {"set": lambda self, key, value: None})()

        def __init__(self, error):
            self.error = error

        def build_data_docs(self, **kwargs):
            builder.error(f'An unexpected Exception occurred during data docs rendering. {self.error}.  '
                          f'Traceback: "Traceback (most recent call last):\n  File "x.py", line 1\n"')

    result = type("Result", (), {"run_results": {}})()
    with pytest.raises(OSError) as full:
        _publish_safe_docs(Context('OSError: "[Errno 28] No space left on device"'), result)
    assert full.value.errno == 28
    with caplog.at_level(logging.WARNING):
        _publish_safe_docs(Context("KeyError: 'x'"), result)
    assert [r.getMessage()[:40] for r in caplog.records] == ["Data Docs not wholly rendered: An unexpe"]


def test_a_killed_serves_half_built_database_is_a_leftover_and_a_running_ones_is_not(home):
    """`kcorpus serve` builds a release's database as index/releases/<v>/.kcorpus.sqlite.<pid>.tmp: one
    whose server died is named and removed by --repair; one whose server still runs is left alone."""
    import os
    import subprocess
    import sys

    from flows.check import check_home

    folder = home.release_databases_dir / "2026.11.01"
    folder.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = folder / f".kcorpus.sqlite.{dead.stdout.strip()}.tmp"
    killed.write_bytes(b"half a database")
    building = folder / f".kcorpus.sqlite.{os.getpid()}.tmp"
    building.write_bytes(b"being built")
    report = check_home(home)
    named = [p for p in report.problems if ".kcorpus.sqlite." in p]
    assert len(named) == 1 and killed.name in named[0]
    check_home(home, repair=True)
    assert not killed.exists() and building.exists()


def test_check_beside_a_writer_reads_a_warc_end_again_before_calling_a_capture_past_it(home, monkeypatch):
    """Found by the random histories (seed 6400): `check` read a WARC file's end, then the running refresh
    appended a record and its capture row, and `check` called that capture "past the file's last whole
    record". Beside a writer the end is read again first; with no writer, an end short of a capture is
    still named."""
    import flows.check
    from core.datahome import WriterLock
    from scrapers.state import CrawlState

    state = CrawlState(home.state_db)
    rows = [r for r in state.db.execute("SELECT warc_file, warc_offset FROM captures WHERE warc_file IS NOT NULL")]
    state.close()
    last_file, last_offset = max(rows, key=lambda r: (r[0], r[1]))
    real = flows.check._check_warc_files

    def read_before_the_last_record(home_, report, *args):   # as if read before the writer's last append
        ends = real(home_, report, *args)
        ends[last_file] = last_offset
        return ends

    monkeypatch.setattr(flows.check, "_check_warc_files", read_before_the_last_record)
    with WriterLock(home, "kcorpus refresh"):
        assert check_home(home).ok
    assert any("past the file's last whole record" in p for p in check_home(home).problems)


def test_check_beside_a_writer_leaves_the_record_it_is_appending_alone(home):
    """Found by the random histories (seed 62105): `check` beside a refresh read a WARC file while the
    writer was half-way through a record, and called the half-written record a torn tail. Beside a writer,
    the tail of a file of a run still marked running is the record being written; with no writer, the
    same tail is a killed writer's torn tail, and named."""
    from core.datahome import WriterLock
    from scrapers.state import CrawlState, new_run_id

    run_id = new_run_id()
    state = CrawlState(home.state_db)
    state.start_run(run_id, ["kancc"])
    state.close()
    source = sorted(home.warc_dir.glob("*.warc.gz"))[0].read_bytes()
    (home.warc_dir / f"{run_id}-kancc.warc.gz").write_bytes(source + source[:429])   # a record half written
    with WriterLock(home, "kcorpus refresh"):
        assert not [p for p in check_home(home).problems if run_id in p]
    problems = check_home(home).problems
    assert any(f"{run_id}-kancc.warc.gz: " in p and "bytes after its last whole record" in p for p in problems)
