"""Running the Prefect flows from a command or the demo: quiet settings first, a local replay server
for archived WARCs, the chosen task runner. The CLI and the demo both call these."""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from pathlib import Path

from core.datahome import DataHome

SNAPSHOTS = ("snapshot-1", "snapshot-2", "snapshot-3")


def snapshot_path(name: str) -> Path:
    """A replay snapshot shipped with kcorpus (flows/snapshots/<name>.warc.gz)."""
    from importlib import resources
    return Path(str(resources.files("flows") / "snapshots" / f"{name}.warc.gz"))


def task_runner_for(name: str, dask_address: str | None):
    """The Prefect task runner: threads (default) or Dask (a local cluster, or the one at `dask_address`)."""
    if name == "thread":
        return None
    if name != "dask":
        raise ValueError(f"unknown task runner {name!r} (thread, dask)")
    from prefect_dask import DaskTaskRunner
    return DaskTaskRunner(address=dask_address) if dask_address else DaskTaskRunner()


def use_prefect(task_runner=None) -> bool:
    """Whether a command runs its use case as a Prefect flow, or calls the same functions directly.

    KCORPUS_PREFECT=always: always a flow (on the configured server, else an embedded one whose run
    records stay in <home>/prefect); never: always direct; auto (the default): a flow when a Prefect server
    is configured (PREFECT_API_URL: someone watches the runs there) or a Dask task runner is asked for,
    direct otherwise — a one-shot command would start an embedded server (6-13 s, measured) that nobody
    reads once it exits. Scheduled runs (`kcorpus schedule`) are always flows, on a real server.
    """
    import os

    mode = os.environ.get("KCORPUS_PREFECT", "auto").strip().lower()
    if mode not in ("auto", "always", "never"):
        raise ValueError(f"KCORPUS_PREFECT={mode!r}: use auto, always or never")
    if mode != "auto":
        return mode == "always"
    return task_runner is not None or bool(os.environ.get("PREFECT_API_URL"))


def run_refresh(home: DataHome, sites: list[str] | None, replay_warcs: list[Path] | None, delay: float | None,
                task_runner=None, progress=None, revisit_budget: int | None = None):
    """Run the refresh (as the Prefect flow, or its functions directly: see use_prefect), against a
    replay of `replay_warcs` when given; returns its summary."""
    if not use_prefect(task_runner):
        return _refresh_directly(home, sites, replay_warcs, delay, progress, revisit_budget)
    from flows.settings import apply_prefect_defaults
    apply_prefect_defaults(home.root)
    from flows.server import ensure_api
    ensure_api()  # the embedded server dies with this process, SIGKILL included
    import flows.refresh
    from flows.crawl import replay_sources
    from replay.server import ReplayServer
    from scrapers.fetch import CrawlSettings

    refresh_flow = flows.refresh.refresh
    if task_runner is not None:
        refresh_flow = refresh_flow.with_options(task_runner=task_runner)
    # A local replay is not somebody's small server: no politeness delay unless asked for.
    settings = CrawlSettings(delay=delay if delay is not None else (0.0 if replay_warcs else 1.0),
                             revisit_budget=revisit_budget)
    with progress or contextlib.nullcontext():
        if replay_warcs:
            with ReplayServer(replay_warcs) as server:
                state = refresh_flow(sites=sites, home=str(home.root), replay_port=server.port,
                                     settings=asdict(settings), replay_of=replay_sources(replay_warcs),
                                     return_state=True)
        else:
            state = refresh_flow(sites=sites, home=str(home.root), settings=asdict(settings), return_state=True)
    return flow_summary(state)


def _refresh_directly(home: DataHome, sites: list[str] | None, replay_warcs: list[Path] | None,
                      delay: float | None, progress=None, revisit_budget: int | None = None) -> dict:
    """The refresh flow's work without Prefect (flows.crawl.refresh: the same sequence, sites in threads)."""
    from core.profiles import builtin_profiles
    from flows.crawl import refresh, replay_sources
    from replay.server import ReplayServer
    from scrapers.fetch import CrawlSettings

    sites = sites or sorted(builtin_profiles())
    settings = CrawlSettings(delay=delay if delay is not None else (0.0 if replay_warcs else 1.0),
                             revisit_budget=revisit_budget)
    with progress or contextlib.nullcontext():
        if replay_warcs:
            with ReplayServer(replay_warcs) as server:
                return refresh(home, sites, settings=settings, replay_port=server.port,
                               replay_of=replay_sources(replay_warcs))
        return refresh(home, sites, settings=settings)


def flow_summary(state) -> dict:
    """The refresh summary from the flow's final state: a Failed state the flow returned itself (some
    site not ok) still carries it; any other failure (a crash) is raised as its exception."""
    from flows.crawl import RunFailed
    summary = state.result(raise_on_failure=False)
    if isinstance(summary, RunFailed):
        return summary.summary
    if isinstance(summary, dict) and "outcomes" in summary:
        return summary
    if isinstance(summary, BaseException):
        raise summary
    raise RuntimeError(f"the refresh flow ended {state.type.value}: {state.message}")


def run_release(home: DataHome, version: str | None, allow_partial: bool, progress=None):
    """Run the release (as the Prefect flow, or directly: see use_prefect); returns the ReleaseOutcome, or
    a BlockedRelease when the gate refuses."""
    if not use_prefect():
        from flows.release import ReleaseBlocked, validate_and_release
        try:
            return validate_and_release(home, version=version, allow_partial=allow_partial, progress=progress)
        except ReleaseBlocked as blocked:
            return blocked.outcome()
        except OSError as exc:   # a full disk: the flow's own words (the temporary folder is removed)
            from scrapers.warcstore import describe_os_error
            raise RuntimeError(f"release not written: {describe_os_error(exc)}"
                               + (f" ({exc.filename})" if exc.filename else "") + "; earlier releases are intact") from None
    from flows.settings import apply_prefect_defaults
    apply_prefect_defaults(home.root)
    from flows.server import ensure_api
    ensure_api()
    import flows.refresh
    state = flows.refresh.release(home=str(home.root), version=version, allow_partial=allow_partial, return_state=True)
    if state.is_failed() or state.is_crashed():
        raise RuntimeError(state.message or f"the release flow ended {state.type.value}")
    return state.result()


def replay_server(warcs: list[Path], port: int = 0, faults: list[str] | None = None):
    """A replay server (replay.server.ReplayServer) of recorded WARC files on 127.0.0.1:`port`; `faults`:
    "PATH=NAME" each, the page at PATH (with its query) answering with fault NAME of replay/faults.py on
    every host (BadOption for one that is not so, naming the faults)."""
    from flows.errors import BadOption
    from replay.faults import FAULTS
    from replay.server import ReplayServer

    hostile = {}
    for given in faults or []:
        path, _, name = given.rpartition("=")
        if not path.startswith("/") or name not in FAULTS:
            raise BadOption("--fault", f"{given!r} is not PATH=NAME with PATH starting with / and NAME one of "
                                       f"{', '.join(FAULTS)}")
        hostile[path] = name
    return ReplayServer(warcs, port=port, hostile=hostile)
