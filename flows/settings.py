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
