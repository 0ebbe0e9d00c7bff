"""A long fuzz of the cleaner: the test suite's properties with many more examples.

    .venv/bin/python bench/fuzz.py [--examples 50000]

Prints the number of pages and byte strings tried, and the time; fails loudly on any exception other
than CleaningError.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50_000, help="examples per property")
    args = parser.parse_args()
    env = {**os.environ, "KCORPUS_FUZZ_EXAMPLES": str(args.examples)}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:logging", "--no-header",
                             str(ROOT / "tests" / "test_fuzz.py")], env=env, cwd=ROOT)
    elapsed = time.perf_counter() - start
    print(f"{2 * args.examples} generated inputs ({args.examples} pages, {args.examples} byte strings) "
          f"in {elapsed:.0f} s: {'no exception but CleaningError' if result.returncode == 0 else 'FAILURES above'}")
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
