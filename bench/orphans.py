"""SIGKILL `kcorpus release` N times at random moments; count embedded Prefect servers left running.

Each run starts `python -m kcorpus.cli release` on a fresh data home (which starts the embedded Prefect
server as its child), waits a random 0.5-12 s (server starting, started, or the gate running), kills
it with SIGKILL, and checks 10 s later whether any child it had is still alive.

    .venv/bin/python bench/orphans.py --runs 10
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return {int(c) for c in path.read_text().split()}
    except OSError:
        return set()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    # the release as a Prefect flow on its embedded server (a one-shot command without a configured server
    # runs without one by default: flows.runs.use_prefect)
    env = {**{k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}, "KCORPUS_PREFECT": "always"}
    orphans, seen = 0, 0
    for number in range(args.runs):
        with tempfile.TemporaryDirectory() as home:
            proc = subprocess.Popen([sys.executable, "-m", "kcorpus.cli", "release", "--home", home],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            delay = random.uniform(0.5, 12)
            deadline, kids = time.monotonic() + delay, set()
            while time.monotonic() < deadline and proc.poll() is None:
                kids |= children(proc.pid)
                time.sleep(0.05)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait()
            seen += bool(kids)
            time.sleep(10)
            left = [pid for pid in kids if alive(pid)]
            for pid in left:  # clean up after a failure of the guard, so runs stay independent
                os.kill(pid, signal.SIGKILL)
            orphans += bool(left)
            print(f"run {number + 1}: killed after {delay:.1f} s, children {sorted(kids)}, still running {left}",
                  flush=True)
    print(f"{args.runs} SIGKILLs ({seen} with the server child started): {orphans} left an orphan")


if __name__ == "__main__":
    main()
