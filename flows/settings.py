"""Prefect settings for kcorpus runs: set before prefect is imported, never overriding the user's."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

# Why each one (measured on Prefect 3.9 with its embedded SQLite server, 2 cores):
QUIET_DEFAULTS = {
    # No telemetry from a research tool.
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # The embedded server starts in 8-19 s here; the default 20 s limit is too tight on a busy machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    # Background services the embedded, run-and-exit server does not need: with them on, SQLite
    # writers compete and the server logs "database is locked". Schedules are served by a real
    # server (`prefect server start`), where these stay on.
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_REPOSSESSOR_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_CLEANUP_RECONCILER_ENABLED": "false",
    # Waiting for a locked SQLite file instead of failing.
    "PREFECT_API_DATABASE_TIMEOUT": "60",
    # Resource-metric sampling thread: not needed for a batch run.
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
}


def apply_prefect_defaults(data_home: Path | None = None) -> None:
    """Set quiet, reliable Prefect defaults in the environment (user-set values win).

    Without a configured API server, runs go to an embedded server whose database lives in the
    data home (<home>/prefect), so a demo or a test never touches ~/.prefect.
    """
    for key, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(key, value)
    # The embedded Prefect server is on 127.0.0.1: a web proxy (HTTPS_PROXY, down or not) must not
    # stand between kcorpus and it, or an outage of the proxy would read as "Prefect unreachable".
    for key in ("NO_PROXY", "no_proxy"):
        hosts = [h for h in os.environ.get(key, "").split(",") if h.strip()]
        os.environ[key] = ",".join(hosts + [h for h in ("127.0.0.1", "localhost") if h not in hosts])
    if data_home is not None and "PREFECT_API_URL" not in os.environ and "PREFECT_HOME" not in os.environ:
        os.environ["PREFECT_HOME"] = str(Path(data_home) / "prefect")


def log_prefect(data_home: Path, console_level: str | int = "WARNING", log_file: Path | None = None) -> Path:
    """Prefect's log lines: at `console_level` on the terminal, and all of them (INFO and up) in the log
    file (default: <data home>/logs/kcorpus.log). Called before a command runs a flow; returns the file."""
    apply_prefect_defaults(data_home)
    import prefect  # noqa: F401

    # Both handlers go on the root logger. Prefect configures its logging lazily (at the first flow run)
    # and leaves the root alone once it holds a handler of ours, its console handler included: so the
    # terminal's lines come from a handler of ours too (else --verbose, and even warnings, showed nothing).
    path = Path(log_file or Path(data_home) / "logs" / "kcorpus.log")
    if log_file is None:   # the home's own log: never appended through a link that leads out of the home
        from core.datahome import DataHome
        DataHome.resolve(data_home).inside(path)   # core.datahome.OutsideHome: one line, nothing written
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    if not any(getattr(h, "baseFilename", None) == str(path.resolve()) for h in root.handlers):
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    for old in [h for h in root.handlers if isinstance(h, TerminalHandler)]:
        root.removeHandler(old)
    root.addHandler(TerminalHandler(console_level))
    return path


class TerminalHandler(logging.Handler):
    """Log lines on the terminal as Prefect formats them: warnings and errors of any library; INFO lines
    (with --verbose) of Prefect's loggers only, not every HTTP request of the crawl. Writes to whatever
    sys.stderr is when a line comes (a test's swapped stream included)."""

    def __init__(self, level: str):
        super().__init__(logging.getLevelName(level) if isinstance(level, str) else level)
        self.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d | %(levelname)-7s | %(name)s - %(message)s",
                                            datefmt="%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.WARNING and not record.name.startswith("prefect"):
            return
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed or broken terminal: the log file still has the line
            pass
