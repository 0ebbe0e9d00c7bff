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


def run_refresh(home: DataHome, sites: list[str] | None, replay_warcs: list[Path] | None, delay: float | None,
                task_runner=None, progress=None, revisit_budget: int | None = None):
    """Run the refresh flow, against a replay of `replay_warcs` when given; returns its summary."""
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


def run_release(home: DataHome, version: str | None, allow_partial: bool):
    """Run the release flow; returns the ReleaseOutcome, or a BlockedRelease when the gate refuses."""
    from flows.settings import apply_prefect_defaults
    apply_prefect_defaults(home.root)
    from flows.server import ensure_api
    ensure_api()
    import flows.refresh
    state = flows.refresh.release(home=str(home.root), version=version, allow_partial=allow_partial, return_state=True)
    if state.is_failed() or state.is_crashed():
        raise RuntimeError(state.message or f"the release flow ended {state.type.value}")
    return state.result()


def replay_server(warcs: list[Path], port: int = 0):
    """A replay server (replay.server.ReplayServer) of recorded WARC files on 127.0.0.1:`port`."""
    from replay.server import ReplayServer
    return ReplayServer(warcs, port=port)
