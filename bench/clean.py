"""Cleaning cost per page beside trafilatura.extract and a bare lxml parse of the same pages.

    .venv/bin/python bench/clean.py [--rounds N]

Prints milliseconds per page for each and the ratios, from one run over the snapshot's article pages.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

import cleaners  # noqa: E402
from scrapers.replay import load_snapshot  # noqa: E402


def timed(fn, pages, rounds: int) -> float:
    """Median over rounds of the mean seconds per page."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for page in pages:
            fn(page)
        samples.append((time.perf_counter() - start) / len(pages))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import trafilatura

    snapshot = load_snapshot([ROOT / "flows" / "snapshots" / "snapshot-1.warc.gz"])
    pages = [(url, r) for url, r in sorted(snapshot.items())
             if r.status == 200 and ("kcna" in url or "&wr_id=" in url)
             and not cleaners.is_error_page(r.body, url, {k.lower(): v for k, v in r.headers})]
    decoded = [r.body.decode("utf-8" if "utf-8" in (r.header("content-type") or "") else "cp1252", "replace")
               for _, r in pages]
    kcorpus_s = timed(lambda p: cleaners.clean_page(p[1].body, p[0], headers={k.lower(): v for k, v in p[1].headers}),
                      pages, args.rounds)
    trafilatura_s = timed(lambda text: trafilatura.extract(text), decoded, args.rounds)
    lxml_s = timed(lambda p: lxml.html.document_fromstring(p[1].body), pages, args.rounds)
    size = sum(len(r.body) for _, r in pages) / len(pages)
    print(f"{len(pages)} pages (mean {size / 1024:.1f} KiB), median of {args.rounds} rounds")
    print(f"  kcorpus clean_page   {kcorpus_s * 1000:8.2f} ms/page")
    print(f"  trafilatura.extract  {trafilatura_s * 1000:8.2f} ms/page")
    print(f"  bare lxml parse      {lxml_s * 1000:8.2f} ms/page")
    print(f"  kcorpus / trafilatura = {kcorpus_s / trafilatura_s:.2f}   kcorpus / lxml = {kcorpus_s / lxml_s:.1f}")


if __name__ == "__main__":
    main()
