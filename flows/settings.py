"""Prefect settings for kcorpus runs: set before prefect is imported, never overriding the user's."""

from __future__ import annotations

import os
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


def log_prefect(data_home: Path, console_level: str = "WARNING", log_file: Path | None = None) -> Path:
    """Prefect's log lines: at `console_level` on the terminal, and all of them (INFO and up) in the log
    file (default: <data home>/logs/kcorpus.log). Called before a command runs a flow; returns the file."""
    import logging

    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", console_level)
    apply_prefect_defaults(data_home)
    import prefect  # noqa: F401 - configures Prefect's logging; the file handler goes on after it

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
    return path
