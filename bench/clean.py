"""Cleaning cost per page beside trafilatura.extract on the same pages: profiled and unprofiled sites.

    .venv/bin/python bench/clean.py [--rounds N] [--synthetic N] [--zyte /tmp/aeb]

Profiled pages: every article page of the demo snapshots that cleans to a document (GlobalSecurity,
KANCC, kcna.kp, rodong.rep.kp) and N bench/synthetic.py pages (GlobalSecurity and KANCC chrome around
the seeds' real text). Unprofiled pages: the Zyte article-extraction benchmark's pages when a checkout
is given (`git clone https://github.com/scrapinghub/article-extraction-benchmark /tmp/aeb`), else the
generic fixtures (tests/fixtures/generic, tests/fixtures/web). `clean_page` gets the archived bytes,
`trafilatura.extract` the decoded page. Timing is CPU time (time.process_time), page by page, the two
alternately, so both see the same neighbours on a shared machine; each round gives a ratio, and the
figures printed are medians over the rounds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cleaners  # noqa: E402
from cleaners.decode import decode_html  # noqa: E402

Page = tuple[bytes, str, dict]  # body, URL, headers (lower-case names)


def cleanable(pages: list[Page]) -> list[Page]:
    """The pages clean_page turns into a document (list pages, robots.txt and error pages left out)."""
    kept = []
    for body, url, headers in pages:
        try:
            cleaners.clean_page(body, url, headers=headers)
        except cleaners.CleaningError:
            continue
        kept.append((body, url, headers))
    return kept


def profiled_pages(synthetic: int) -> list[Page]:
    """The snapshots' article pages and bench/synthetic.py pages: every one has a site profile."""
    from replay.server import load_snapshot
    from synthetic import synthetic_pages

    pages: list[Page] = []
    for path in sorted((ROOT / "flows" / "snapshots").glob("*.warc.gz")):
        pages += [(r.body, url, {k.lower(): v for k, v in r.headers})
                  for url, r in sorted(load_snapshot([path]).items()) if r.status == 200]
    pages += [(body, url, {"content-type": ctype}) for url, (status, body, ctype) in sorted(synthetic_pages(synthetic).items())
              if status == 200]
    return cleanable(pages)


def unprofiled_pages(zyte: Path | None) -> list[Page]:
    """The Zyte benchmark's pages (utf-8, as its README says), else the generic fixtures."""
    utf8 = {"content-type": "text/html; charset=utf-8"}
    if zyte is not None:
        truth = json.loads((zyte / "ground-truth.json").read_text(encoding="utf-8"))
        return [(gzip.decompress(path.read_bytes()),
                 truth.get(path.name.split(".")[0], {}).get("url") or f"https://unknown.example/{path.name}", utf8)
                for path in sorted((zyte / "html").glob("*.html.gz"))]
    fixtures = sorted((ROOT / "tests" / "fixtures" / "generic").glob("*.html")) + \
        sorted((ROOT / "tests" / "fixtures" / "web").glob("*.html"))
    return [(path.read_bytes(), f"https://unprofiled.example/{path.stem}", {}) for path in fixtures]


def one_round(pages: list[Page], decoded: list[str]) -> tuple[float, float]:
    """CPU seconds of clean_page and of trafilatura.extract over the pages, page by page alternately."""
    import trafilatura

    ours = theirs = 0.0
    for (body, url, headers), text in zip(pages, decoded):
        start = time.process_time()
        try:
            cleaners.clean_page(body, url, headers=headers)
        except cleaners.CleaningError:
            pass
        middle = time.process_time()
        trafilatura.extract(text)
        theirs += time.process_time() - middle
        ours += middle - start
    return ours, theirs


def report(name: str, pages: list[Page], rounds: int) -> None:
    decoded = [decode_html(body, headers)[0] for body, _, headers in pages]
    one_round(pages[:5], decoded[:5])  # warm-up: imports, caches, wordfreq's lists
    samples = [one_round(pages, decoded) for _ in range(rounds)]
    ours = statistics.median(s[0] for s in samples) / len(pages) * 1000
    theirs = statistics.median(s[1] for s in samples) / len(pages) * 1000
    ratio = statistics.median(s[0] / s[1] for s in samples)
    spread = sorted(s[0] / s[1] for s in samples)
    size = sum(len(body) for body, _, _ in pages) / len(pages) / 1024
    print(f"{name}: {len(pages)} pages (mean {size:.1f} KiB), {rounds} interleaved rounds, CPU time")
    print(f"  kcorpus clean_page   {ours:8.2f} ms/page")
    print(f"  trafilatura.extract  {theirs:8.2f} ms/page")
    print(f"  kcorpus / trafilatura = {ratio:.2f} (median; rounds {spread[0]:.2f}-{spread[-1]:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=200, help="bench/synthetic.py pages among the profiled ones")
    parser.add_argument("--zyte", type=Path, help="a checkout of scrapinghub/article-extraction-benchmark")
    parser.add_argument("--only", choices=["profiled", "unprofiled"], help="measure one set only")
    args = parser.parse_args()
    if args.only != "unprofiled":
        report("profiled sites", profiled_pages(args.synthetic), args.rounds)
    if args.only != "profiled":
        report("unprofiled sites (" + ("Zyte benchmark" if args.zyte else "generic fixtures") + ")",
               unprofiled_pages(args.zyte), args.rounds)


if __name__ == "__main__":
    main()
