"""A full disk under the embedded Prefect server's database (KCORPUS_PREFECT=always, or a run that starts
the embedded server): the command ends with one `error:` line naming the full disk, never the server's
tracebacks (170-376 lines before) nor "HTTP 500". The server's output goes to the log file; its last
lines name the cause."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import httpx
import pytest


# What uvicorn printed when the server's SQLite database could not grow (Prefect 3.9, a tmpfs filled up
# during its migrations); shortened from 168 lines.
UVICORN_DISK_FULL = b"""10:45:33.143 | ERROR   | uvicorn.error - Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/sqlalchemy/engine/base.py", line 1201, in _commit_impl
    self.engine.dialect.do_commit(self.connection)
sqlite3.OperationalError: database or disk is full

The above exception was the direct cause of the following exception:

sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database or disk is full
(Background on this error at: https://sqlalche.me/e/21/e3q8)

10:45:33.149 | ERROR   | uvicorn.error - Application startup failed. Exiting.
"""
UVICORN_OTHER = b"""10:45:33.149 | ERROR   | uvicorn.error - Application startup failed. Exiting.
sqlite3.OperationalError: no such table: flow_run
"""


def _output(text: bytes):
    from flows.server import ServerOutput

    output = ServerOutput(io.BytesIO(text))
    assert output.finished.wait(5)
    return output


def test_the_servers_output_names_a_full_disk_and_nothing_else(monkeypatch, caplog):
    monkeypatch.setenv("PREFECT_HOME", "/data/home/prefect")
    with caplog.at_level("INFO", logger="kcorpus.prefect_server"):
        words = _output(UVICORN_DISK_FULL).disk_full()
    assert words == ("disk full (no space left on device): the embedded Prefect server's database "
                     "(/data/home/prefect/prefect.db) could not be written")
    # every line of the server goes to the log (file), none is lost
    assert sum("database or disk is full" in r.getMessage() for r in caplog.records) == 2
    assert _output(UVICORN_OTHER).disk_full() is None


def test_an_http_500_from_a_server_whose_database_is_full_reads_as_the_full_disk(monkeypatch):
    import flows.server
    from flows.errors import describe_failure

    request = httpx.Request("POST", "http://127.0.0.1:1/api/flow_runs/")
    http_500 = httpx.HTTPStatusError("Server error '500 Internal Server Error' for url "
                                     "'http://127.0.0.1:1/api/flow_runs/'", request=request,
                                     response=httpx.Response(500, request=request))

    class Started:
        output = _output(UVICORN_DISK_FULL)

    assert "500" in describe_failure(http_500)   # no embedded server: the error as it is
    monkeypatch.setattr(flows.server, "_started", Started)
    line = describe_failure(http_500)
    assert line.startswith("disk full (no space left on device): the embedded Prefect server's database")
    Started.output = _output(UVICORN_OTHER)
    assert "500" in describe_failure(http_500)   # a server failing for another reason is not called full


def test_quiet_keeps_every_log_line_off_the_terminal_and_a_failing_log_reports_nothing(tmp_path, capsys):
    """--quiet: Prefect's ERROR lines (a task's traceback among them) stay in the log file; a log line
    that cannot be written (the log on a full disk, Prefect's logs to a server whose database is full)
    is dropped without logging's "--- Logging error ---" report."""
    import logging

    from typer.testing import CliRunner

    from flows.settings import TerminalHandler
    from kcorpus.app import LOGGING, QUIET
    from kcorpus.cli import app

    try:
        result = CliRunner().invoke(app, ["--quiet", "releases", "--home", str(tmp_path / "none")])
        assert result.exit_code == 1 and LOGGING["console_level"] == QUIET
        assert logging.raiseExceptions is False
        logger = logging.getLogger("prefect.task_runs.quiet_test")
        logger.propagate = False
        for level, shown in ((LOGGING["console_level"], False), ("WARNING", True)):   # --quiet, then without
            handler = TerminalHandler(level)
            logger.addHandler(handler)
            logger.error("Task run failed with exception OSError")
            logger.removeHandler(handler)
            assert ("Task run failed" in capsys.readouterr().err) == shown
    finally:
        CliRunner().invoke(app, ["releases", "--home", str(tmp_path / "none")])   # the defaults back
        logging.raiseExceptions = True


def _mount(where: Path, kib: int) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


@pytest.mark.slow
def test_an_embedded_server_whose_database_fills_the_disk_fails_in_those_words(tmp_path, monkeypatch):
    """The embedded server started as `kcorpus refresh` starts it (KCORPUS_PREFECT=always), PREFECT_HOME
    (<home>/prefect) on a 256 KiB tmpfs: it fails while creating its tables, and the failure is one
    line naming the full disk and the database, not "exited with code 3" after 168 lines of uvicorn's
    tracebacks. (A database that fills later, mid-run, answers HTTP 500s: the test above reads those.)"""
    from flows.errors import describe_failure
    from flows.server import GuardedServer, PrefectUnreachable

    disk = tmp_path / "disk"
    if not _mount(disk, 256):
        pytest.skip("needs root to mount a tmpfs (the suite runs as root here and in CI)")
    try:
        monkeypatch.setenv("PREFECT_HOME", str(disk / "prefect"))
        monkeypatch.delenv("PREFECT_API_DATABASE_CONNECTION_URL", raising=False)
        with pytest.raises(PrefectUnreachable) as failed:
            GuardedServer(startup_timeout=240).stop()
    finally:
        subprocess.run(["umount", str(disk)], check=False)
    line = describe_failure(failed.value)
    assert line == (f"disk full (no space left on device): the embedded Prefect server's database "
                    f"({disk / 'prefect'}/prefect.db) could not be written")
