"""The release database (kcorpus.sqlite, what `kcorpus serve` browses) at corpus scale: time per document
and peak memory while it is written document by document, as a release streams, then indexed.

    .venv/bin/python bench/database.py --documents 10000 100000

Each size runs in a fresh process (peak RSS = its VmHWM). The documents are the snapshot's cleaned articles
under new ids (streamed, never held as a list). Target (issue 25): linear time, memory independent of size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.release import ordered, peak_rss_mb, snapshot_articles  # noqa: E402


def child(n: int) -> None:
    from corpus.database import ReleaseDatabase

    templates = snapshot_articles()
    base_rss = peak_rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kcorpus.sqlite"
        started, cpu = time.perf_counter(), time.process_time()
        database = ReleaseDatabase(path)
        count = 0
        for doc in ordered(templates, n):
            database.add(doc, {"text_sha256": doc.text_sha256(), "changes": [{"version": "r1", "date": "2026-12-03",
                                                                                "kind": "added"}]})
            count += 1
        written = time.perf_counter() - started
        database.close({"version": "r1"}, {})
        print(json.dumps({"documents": count, "wall": time.perf_counter() - started, "writing": written,
                          "cpu": time.process_time() - cpu, "mb": path.stat().st_size / 1e6,
                          "rss": peak_rss_mb(), "base_rss": base_rss}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print(f"{'documents':>9} {'wall s':>7} {'ms/doc':>7} {'of it indexing s':>16} {'file MB':>8} "
          f"{'peak RSS MB':>11} {'above the corpus templates':>26}")
    for n in args.documents:
        out = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(out.stderr[-2000:])
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['documents']:>9} {r['wall']:>7.1f} {r['wall'] / r['documents'] * 1000:>7.2f} "
              f"{r['wall'] - r['writing']:>16.1f} {r['mb']:>8.0f} {r['rss']:>11.0f} {r['rss'] - r['base_rss']:>26.0f}")


if __name__ == "__main__":
    main()
