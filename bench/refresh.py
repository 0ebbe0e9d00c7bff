"""End-to-end refresh cost, Prefect's share of it, memory, and the cost of a refresh that finds nothing new.

    .venv/bin/python bench/refresh.py [--pages 1000 10000]

For each size: builds a synthetic snapshot (bench/synthetic.py), serves it with the replay server, and
runs in fresh processes (so peak RSS is per run). Peak RSS is the process's own high-water mark, VmHWM
in /proc/self/status: getrusage's ru_maxrss is wrong here, because a child started by fork + exec
inherits its parent's ru_maxrss (this parent holds the whole synthetic snapshot), while VmHWM belongs to
the address space exec gave the child.
  direct     flows.crawl.refresh — the crawl and clean functions, no Prefect
  flow       the Prefect refresh flow (embedded server), same functions as tasks
  no-change  the flow again on the flow's data home: conditional requests, nothing to download or clean
  scheduled  the same no-change run under a revisit policy (budget: a tenth of the pages), as a scheduled
             run of a large archive would be: list pages, new pages, and only the known pages that are due
Prints pages/s, peak RSS, Prefect's share of the flow's wall time (server start shown apart), and for
the no-change run its time, bodies downloaded and documents re-cleaned.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEP = """
import resource
settings = CrawlSettings(delay=0, revisit_budget=int(sys.argv[4]) if len(sys.argv) > 4 else None)
if mode == "direct":
    from flows.crawl import refresh
    start = time.perf_counter()
    summary = refresh(data_home, ["globalsecurity", "kancc"], settings=settings, replay_port=port)
    startup = 0.0
else:
    from flows.server import ensure_api
    t0 = time.perf_counter()
    ensure_api()  # as `kcorpus refresh` runs it: the guarded embedded server, timed apart from the refresh
    from prefect import flow
    from flows.refresh import refresh
    @flow
    def warm():  # the first flow run's one-off costs (registration), also timed apart
        return None
    warm(); startup = time.perf_counter() - t0
    start = time.perf_counter()
    summary = refresh(sites=["globalsecurity", "kancc"], home=str(data_home.root), replay_port=port,
                      settings=asdict(settings))
seconds = time.perf_counter() - start
def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: may include the parent's
print(json.dumps({"seconds": seconds, "startup": startup,
                  "requests": sum(c["requests"] for c in summary["crawl"].values()),
                  "rss_mb": peak_rss_mb(),
                  "articles": sum(c["articles"] for c in summary["crawl"].values()),
                  "downloaded": sum(c["downloaded"] for c in summary["crawl"].values()),
                  "cleaned": sum(len(c["cleaned"]) for c in summary["clean"].values())}))
"""


def run(mode: str, port: int, home: Path, revisit_budget: int | None = None) -> dict:
    from fresh import run_step
    return run_step(STEP, mode, port, home, *([str(revisit_budget)] if revisit_budget is not None else []))[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 10_000])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))
    from replay.server import ReplayServer
    from synthetic import synthetic_pages, write_warc

    for n in args.pages:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            warc = tmp / f"synthetic-{n}.warc.gz"
            write_warc(synthetic_pages(n), warc)
            # the "site" runs in this process; the measured processes only crawl, clean and store
            with ReplayServer([warc]) as server:
                direct = run("direct", server.port, tmp / "direct")
                flow = run("flow", server.port, tmp / "flow")
                again = run("flow", server.port, tmp / "flow")
                scheduled = run("flow", server.port, tmp / "flow", revisit_budget=n // 10)
        share = max(0.0, flow["seconds"] - direct["seconds"]) / flow["seconds"]
        print(f"{n} pages ({direct['articles']} articles crawled, {direct['downloaded']} downloaded, "
              f"{direct['cleaned']} cleaned)")
        print(f"  direct     {direct['seconds']:7.1f} s  {direct['articles'] / direct['seconds']:6.1f} pages/s  "
              f"peak RSS {direct['rss_mb']:.0f} MB")
        print(f"  flow       {flow['seconds']:7.1f} s  {flow['articles'] / flow['seconds']:6.1f} pages/s  "
              f"peak RSS {flow['rss_mb']:.0f} MB  (+ embedded server start {flow['startup']:.1f} s)")
        print(f"  Prefect share of the flow's wall time: {share:.1%}")
        print(f"  no-change refresh: {again['seconds']:.1f} s ({again['seconds'] / flow['seconds']:.1%} of the full "
              f"refresh), {again['downloaded']} bodies downloaded, {again['cleaned']} documents re-cleaned")
        print(f"  the same under a revisit policy (budget {n // 10}): {scheduled['seconds']:.1f} s "
              f"({scheduled['seconds'] / flow['seconds']:.1%}), {scheduled['requests']} requests "
              f"(list pages every run; known pages re-checked when due, not an hour after their last check)")


if __name__ == "__main__":
    main()
