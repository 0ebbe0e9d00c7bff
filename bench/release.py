"""Release time and peak memory against corpus size: is a release streamed?

    .venv/bin/python bench/release.py [--documents 1000 10000 100000]

For each size, in a fresh process (peak RSS = that process's VmHWM): the snapshot's cleaned articles,
copied under new ids up to N documents and handed to build_release as a generator in id order (as a
store walk would), make a first release; then a second release of the same documents with 1% of them
edited (reads the first manifest, classes the edits). Prints seconds, ms/document and peak RSS for each,
and the release's size on disk. CPU seconds are printed beside wall seconds: on a shared machine the
wall time says as much about the neighbours as about the code. Target: 100k documents within 1 GB, time linear in N.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM: not inherited from the parent, unlike ru_maxrss)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def snapshot_articles() -> list:
    """Every article of the shipped snapshot 1, cleaned (real text, repairs and provenance)."""
    import cleaners
    from replay.server import load_snapshot

    pages = load_snapshot([ROOT / "flows" / "snapshots" / "snapshot-1.warc.gz"])
    docs = []
    for url, page in sorted(pages.items()):
        if page.status == 200 and ("kcna" in url or "&wr_id=" in url):
            etag = (page.header("etag") or "").strip('"')
            try:
                docs.append(cleaners.clean_page(page.body, url, capture={
                    "record_id": f"<urn:uuid:{etag}>", "payload_digest": f"sha1:{etag}",
                    "captured_at": "2026-10-01T03:00:00Z"}))
            except cleaners.CleaningError:
                continue  # a list page or an error page that the URL test let through: not an article
    return docs


def synthetic_documents(templates: list, n: int, edit_every: int = 0):
    """n documents in id order, copies of the templates under ids <site>-bench<number>; with
    edit_every, every edit_every-th one has a word changed and a new payload digest (an upstream edit)."""
    for i in range(n):
        doc = copy.deepcopy(templates[i % len(templates)])
        doc.id = f"{doc.site}-bench{i:07d}"
        if edit_every and i % edit_every == 0:
            doc.paragraphs[-1] = doc.paragraphs[-1] + " Edited."
            doc.capture = {**(doc.capture or {}), "payload_digest": f"sha1:edited{i}"}
        yield doc


def ordered(templates: list, n: int, edit_every: int = 0):
    """synthetic_documents, yielded in id order (site by site, as the document store is laid out)."""
    by_site: dict[str, list] = {}
    for doc in templates:
        by_site.setdefault(doc.site, []).append(doc)
    per_site = {site: n * len(docs) // len(templates) for site, docs in by_site.items()}
    first = sorted(per_site)[0]
    per_site[first] += n - sum(per_site.values())
    for site in sorted(by_site):
        yield from synthetic_documents(by_site[site], per_site[site], edit_every)


def child(n: int) -> None:
    from core.datahome import DataHome
    from corpus.release import build_release

    templates = snapshot_articles()
    with tempfile.TemporaryDirectory() as tmp:
        home = DataHome.resolve(tmp)
        start, cpu = time.perf_counter(), time.process_time()
        first = build_release(home, ordered(templates, n), today=date(2026, 11, 24))
        first_s, first_cpu = time.perf_counter() - start, time.process_time() - cpu
        first_rss = peak_rss_mb()
        start, cpu = time.perf_counter(), time.process_time()
        second = build_release(home, ordered(templates, n, edit_every=100), today=date(2026, 11, 25))
        second_s, second_cpu = time.perf_counter() - start, time.process_time() - cpu
        size = sum(p.stat().st_size for p in first.path.rglob("*") if p.is_file())
        print(json.dumps({"documents": first.documents, "first_s": first_s, "first_rss": first_rss, "first_cpu": first_cpu, "second_cpu": second_cpu,
                          "second_s": second_s, "rss": peak_rss_mb(), "edited": len(second.edited),
                          "rejected": len(first.rejected) + len(second.rejected), "mb": size / 1e6}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print(f"{'documents':>10} {'1st wall s':>10} {'cpu s':>7} {'cpu ms/doc':>10} {'2nd (1% edited) wall s':>22} "
          f"{'cpu s':>7} {'cpu ms/doc':>10} {'peak RSS MB':>12} {'release MB':>11}")
    for n in args.documents:
        out = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True)
        if out.returncode:
            print(out.stderr[-2000:])
            raise SystemExit(f"the {n}-document run failed")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['documents']:>10} {r['first_s']:>10.1f} {r['first_cpu']:>7.1f} {r['first_cpu'] / n * 1000:>10.2f} "
              f"{r['second_s']:>22.1f} {r['second_cpu']:>7.1f} {r['second_cpu'] / n * 1000:>10.2f} "
              f"{r['rss']:>12.0f} {r['mb']:>11.0f}"
              + (f"  ({r['edited']} edited, {r['rejected']} rejected)"))


if __name__ == "__main__":
    main()
