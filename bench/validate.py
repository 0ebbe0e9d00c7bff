"""Quality-gate cost: Great Expectations validation of 1k, 10k and 100k documents.

    .venv/bin/python bench/validate.py [--sizes 1000 10000 100000]

Documents are the snapshot's cleaned articles repeated under fresh ids. Prints seconds per batch
(building the table, validating, mapping verdicts) and documents per second; Data Docs not built.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import cleaners  # noqa: E402
from core.datahome import DataHome  # noqa: E402
from replay.server import load_snapshot  # noqa: E402


def documents(n: int, base: list) -> list:
    out = []
    for i in range(n):
        doc = copy.copy(base[i % len(base)])
        doc.id = f"{doc.id}-{i}"
        out.append(doc)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    args = parser.parse_args()
    snapshot = load_snapshot([ROOT / "kcorpus" / "snapshots" / "snapshot-1.warc.gz"])
    base = [cleaners.clean_page(r.body, u, headers={k.lower(): v for k, v in r.headers})
            for u, r in sorted(snapshot.items()) if r.status == 200 and ("kcna" in u or "&wr_id=" in u)]
    start = time.perf_counter()
    from expectations.gate import validate_batch
    import great_expectations  # noqa: F401
    print(f"import great_expectations: {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        home = DataHome.resolve(tmp)
        validate_batch(base, home=home, build_docs=False)  # warm: context and suites created once
        for n in args.sizes:
            batch = documents(n, base)
            start = time.perf_counter()
            result = validate_batch(batch, home=home, build_docs=False)
            elapsed = time.perf_counter() - start
            print(f"{n:>7} documents: {elapsed:6.2f} s  ({n / elapsed:,.0f} docs/s), "
                  f"{len(result.quarantined)} quarantined")


if __name__ == "__main__":
    main()
