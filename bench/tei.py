"""TEI writing, project-schema validation and a whole release, on the snapshot's cleaned articles.

    .venv/bin/python bench/tei.py [--copies N]

Prints milliseconds per document for writing and for validating (project schema, compiled once), the
one-off schema compile time, and the wall time of build_release over N copies of the articles.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")

from bench.release import snapshot_articles  # noqa: E402
from corpus import tei  # noqa: E402
from corpus.release import build_release  # noqa: E402
from core.datahome import DataHome  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=50, help="copies of each article in the release")
    args = parser.parse_args()
    docs = snapshot_articles()
    stamp = tei.ReleaseStamp("bench", "2026-11-24")
    start = time.perf_counter()
    tei.project_schema()
    compile_s = time.perf_counter() - start

    start = time.perf_counter()
    files = [tei.document_to_tei(d, release=stamp, changes=[]) for d in docs]
    write_ms = (time.perf_counter() - start) / len(docs) * 1000
    start = time.perf_counter()
    assert all(tei.validate_tei(f) == [] for f in files)
    validate_ms = (time.perf_counter() - start) / len(docs) * 1000

    many = []
    for n in range(args.copies):
        for d in docs:
            c = copy.deepcopy(d)
            c.id = f"{d.id}-{n}"
            many.append(c)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        release = build_release(DataHome.resolve(tmp), many, today=date(2026, 11, 24))
        release_s = time.perf_counter() - start
    print(f"documents: {len(docs)} (mean {sum(map(len, files)) // len(files)} bytes of TEI)")
    print(f"project schema compile: {compile_s * 1000:.1f} ms (once per process)")
    print(f"write TEI: {write_ms:.2f} ms/document; validate: {validate_ms:.2f} ms/document")
    print(f"build_release of {release.documents} documents: {release_s:.2f} s "
          f"({release_s / release.documents * 1000:.2f} ms/document)")


if __name__ == "__main__":
    main()
