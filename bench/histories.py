"""Random command histories against fresh data homes, many of them: the long run of the property test
(tests/test_histories.py runs two). Each history is drawn from its seed (the same seed, the same
history), with `kcorpus check` and the release and capture invariants checked after every step.

    .venv/bin/python bench/histories.py --histories 500 --steps 10 [--first-seed 1000] [--hypothesis 0]

Prints one line per failing history (its seed and log, to replay it), then the totals. --hypothesis N
also runs Hypothesis's own search (with shrinking) over N examples of the same state machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")


def step_kind(line: str) -> str:
    """A step's kind from its log line ("full disk (tmpfs of 700 KiB): release: exit 1 [3.1 s]" -> "full disk
    release exit 1"; "refresh snapshot-2 hostile (drip, huge) [4.0 s]" -> "refresh hostile")."""
    import re

    line = re.sub(r"hostile \([^)]*\)", "hostile", line)
    words = re.sub(r"\([^)]*\d[^)]*\)|\[.*?\]|snapshot-\d|after [\d.]+s|[:]", " ", line).split()
    return " ".join(words)


def hostile_pages(log: list[str]) -> list[str]:
    """The faults the hostile refreshes of a history served ("hostile page drip", ...), one per fault and step."""
    import re

    return [f"hostile page {fault}" for line in log for group in re.findall(r"hostile \(([^)]*)\)", line)
            for fault in group.split(", ")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=500)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--hypothesis", type=int, default=0, help="examples of Hypothesis's stateful search")
    args = parser.parse_args()
    from flows.settings import apply_prefect_defaults

    apply_prefect_defaults()
    from tests.tools.histories import DataHomeHistory, run_history

    started, failures, steps = time.perf_counter(), 0, 0
    kinds: Counter = Counter()
    for seed in range(args.first_seed, args.first_seed + args.histories):
        began = time.perf_counter()
        try:
            log = run_history(seed, args.steps)
            steps += len(log)
            kinds.update(step_kind(line) for line in log)
            kinds.update(hostile_pages(log))
            print(f"seed {seed}: ok, {len(log)} steps in {time.perf_counter() - began:.0f} s", flush=True)
        except Exception as exc:  # noqa: BLE001 - every failing history is reported, the run goes on
            failures += 1
            print(f"seed {seed}: FAILED {type(exc).__name__}: {str(exc)[:2000]}", flush=True)
            traceback.print_exc(limit=3)
    elapsed = time.perf_counter() - started
    print(f"{args.histories} histories of {args.steps} steps ({steps} steps run) in {elapsed:.0f} s: "
          f"{failures} failed")
    print("steps of the histories that passed: " + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()))
    if args.hypothesis:
        from hypothesis import HealthCheck, settings
        from hypothesis.stateful import run_state_machine_as_test

        run_state_machine_as_test(DataHomeHistory, settings=settings(
            max_examples=args.hypothesis, stateful_step_count=args.steps, deadline=None, database=None,
            suppress_health_check=list(HealthCheck)))
        print(f"Hypothesis: {args.hypothesis} examples, no property broken")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
