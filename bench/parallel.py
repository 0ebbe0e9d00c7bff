"""Cleaning on every core: one process vs the process pool, and the refresh flow on threads vs Dask.

    .venv/bin/python bench/parallel.py [--pages 2000]

Builds a synthetic snapshot (bench/synthetic.py), then, each in a fresh process:
  reclean    `flows.clean.reclean` of every document with workers=1 (one process) and with the default pool
             (every core); the two document stores must be byte-identical
  one-process  `flows.crawl.refresh` from an empty data home, every page cleaned in its own process
  flow       the refresh flow from an empty data home with the default task runner (threads: each site's
             clean task runs the process pool) and with `--task-runner dask` (a local Dask cluster of one
             worker process per core; cleaning batches are Dask tasks, only the flow process writes);
             prints the wall time, whether the documents are identical, and how many tracebacks the run
             printed (must be 0)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEP = """
sites = ["globalsecurity", "kancc"]
if __name__ == "__main__":
    if mode in ("seed", "one-process"):
        import flows.clean
        from flows.crawl import refresh
        if mode == "one-process":
            flows.clean.POOL_MIN_PAGES = 10 ** 9  # every page cleaned in this process
        start = time.perf_counter()
        refresh(data_home, sites, settings=CrawlSettings(delay=0), replay_port=port)
        seconds = time.perf_counter() - start
    elif mode.startswith("reclean"):
        from flows.clean import reclean
        start = time.perf_counter()
        reclean(data_home, sites, workers=1 if mode == "reclean-1" else None)
        seconds = time.perf_counter() - start
    else:
        from flows.server import ensure_api
        from flows.runs import task_runner_for
        ensure_api()
        from flows.refresh import refresh
        runner = task_runner_for("dask" if mode == "dask" else "thread", None)
        flow = refresh.with_options(task_runner=runner) if runner else refresh
        start = time.perf_counter()
        flow(sites=sites, home=str(data_home.root), replay_port=port, settings=asdict(CrawlSettings(delay=0)))
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds}))
"""


def run(mode: str, port: int, home: Path) -> tuple[dict, int]:
    from fresh import run_step
    result, stderr = run_step(STEP, mode, port, home)
    return result, stderr.count("Traceback (most recent call last)")


def documents_digest(home: Path) -> str:
    """One digest over every stored document's text and metadata (run ids and dates aside)."""
    digest = hashlib.sha256()
    for path in sorted((home / "documents").rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        digest.update(json.dumps({k: doc.get(k) for k in ("id", "title", "date", "text", "repairs")},
                                 sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))
    from replay.server import ReplayServer
    from synthetic import synthetic_pages, write_warc

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warc = tmp / "synthetic.warc.gz"
        write_warc(synthetic_pages(args.pages), warc)
        with ReplayServer([warc]) as server:
            run("seed", server.port, tmp / "seeded")
            one, _ = run("reclean-1", server.port, tmp / "seeded")
            one_digest = documents_digest(tmp / "seeded")
            pool, _ = run("reclean-pool", server.port, tmp / "seeded")
            pool_digest = documents_digest(tmp / "seeded")
            single, _ = run("one-process", server.port, tmp / "single")
            threads, thread_tracebacks = run("thread", server.port, tmp / "threads")
            dask, dask_tracebacks = run("dask", server.port, tmp / "dask")
        print(f"{args.pages} pages, {__import__('os').cpu_count()} cores")
        print(f"  reclean, one process   {one['seconds']:7.1f} s")
        print(f"  reclean, process pool  {pool['seconds']:7.1f} s  ({pool['seconds'] / one['seconds']:.2f}×; "
              f"documents {'identical' if pool_digest == one_digest else 'DIFFERENT'})")
        same = documents_digest(tmp / "threads") == documents_digest(tmp / "dask") == documents_digest(tmp / "single")
        print(f"  refresh, one process   {single['seconds']:7.1f} s  (flows.crawl.refresh, no pool, no Prefect)")
        print(f"  refresh flow, threads  {threads['seconds']:7.1f} s  ({thread_tracebacks} tracebacks)")
        print(f"  refresh flow, Dask     {dask['seconds']:7.1f} s  ({dask['seconds'] / threads['seconds']:.2f}×; "
              f"{dask['seconds'] / single['seconds']:.2f}× one process; {dask_tracebacks} tracebacks; "
              f"documents {'identical' if same else 'DIFFERENT'})")


if __name__ == "__main__":
    main()
