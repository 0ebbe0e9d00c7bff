"""A release the way a user makes one: the quality gate, the release with witness linking and every derived
format, then the audit pages, history and feeds — the functions `kcorpus release` calls — at several sizes,
each in a fresh process (peak RSS = that process's VmHWM).

    .venv/bin/python bench/release_path.py --documents 1000 10000 [100000]

The data home is built first (not timed): N documents in the store, copies of the snapshot's cleaned
articles under new ids, with KCNA's formula articles among them (one real greeting sent to several heads
of state on one day, tests/fixtures/witnesses/formula-articles.json) so that witness linking meets
near-duplicates that are different works; the crawl state records an ok crawl of each site. Then a first
release, and a second after 1% of the documents were edited. Prints wall, CPU and peak RSS for each (the release's
process, and the gate's own process from 2,000 documents), the per-document CPU, and the share of the first
release spent linking witnesses. CPU includes the gate's process and the Korean analyser's (Kiwi runs in a
process of its own, corpus/nlp.py), whose peak RSS is printed apart.
Targets (issue 27): ≤ 1 GB at 100k, CPU per document within ×1.3 from 1k to 100k, linking ≤ 20% of a
release, a second release (1% changed) ≤ 25% of a first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from bench.release import peak_rss_mb  # noqa: E402

FORMULA = json.loads((ROOT / "tests" / "fixtures" / "witnesses" / "formula-articles.json").read_text(encoding="utf-8"))




def build_home(root: Path, n: int) -> None:
    """N documents in the store of a fresh data home, and an ok crawl of each site in its state."""
    import copy

    from bench.release import snapshot_articles, synthetic_documents
    from cleaners.store import save_document
    from core.datahome import DataHome
    from scrapers.state import CrawlState, new_run_id

    home = DataHome.resolve(root).ensure()
    templates = snapshot_articles()
    formula_share = 0.1
    n_formula = int(n * formula_share)
    docs = list(synthetic_documents(templates, n - n_formula))
    base = next(d for d in templates if d.site == "globalsecurity" and d.lang == "en")
    for k in range(n_formula):
        fill = FORMULA["addressees"][k % len(FORMULA["addressees"])]
        doc = copy.deepcopy(base)
        doc.id = f"globalsecurity-formula{k:07d}"
        doc.title = f"Kim Jong Un Sends Greetings to {fill['people']} President"
        day = 1 + (k // len(FORMULA["addressees"])) % 28
        doc.date = f"2020-{1 + (k // 224) % 12:02d}-{day:02d}"
        doc.paragraphs = [p.format(**fill) for p in FORMULA["formula"]]
        docs.append(doc)
    for doc in docs:
        save_document(home, doc)
    state = CrawlState(home.state_db)
    run_id = new_run_id()
    sites = sorted({d.site for d in docs})
    state.start_run(run_id, sites)
    for site in sites:
        state.set_outcome(run_id, site, "ok", "")
    state.finish_run(run_id)
    state.close()


def edit_one_percent(root: Path) -> None:
    from cleaners.store import current_documents, save_document
    from core.datahome import DataHome

    home = DataHome.resolve(root)
    for doc in current_documents(home)[::100]:
        doc.paragraphs = doc.paragraphs + ["A paragraph added by the source after the first release."]
        save_document(home, doc)


def child(root: str, label: str) -> None:
    """One release and its audit outputs in this process; prints the figures as JSON."""
    from flows.settings import apply_prefect_defaults

    apply_prefect_defaults()
    from core.datahome import DataHome
    from flows.audit import after_release
    from flows.release import validate_and_release
    import corpus.witnesses as witnesses

    linking = [0.0]
    original = witnesses.WitnessIndex.update

    def timed(self, documents, batch=256):
        started = time.process_time()
        try:
            return original(self, documents, batch)
        finally:
            linking[0] += time.process_time() - started

    witnesses.WitnessIndex.update = timed
    home = DataHome.resolve(root)
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = validate_and_release(home)
    after_release(home)
    import resource

    # the gate's own process (flows.release.GATE_IN_A_PROCESS): ru_maxrss of waited-for children, an upper
    # bound (a spawned child starts from its parent's figure on this kernel)
    gate_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    # the Korean analyser's process (corpus.nlp: Kiwi apart), asked for its own peak and CPU while it lives
    import corpus.nlp as nlp

    kiwi_rss = kiwi_cpu = 0.0
    if nlp._analyser.cache_info().currsize:
        kiwi_rss = nlp._analyser().submit(peak_rss_mb).result()
        kiwi_cpu = nlp._analyser().submit(time.process_time).result()
    print(json.dumps({"label": label, "wall": time.perf_counter() - wall,
                      "cpu": time.process_time() - cpu + children.ru_utime + children.ru_stime + kiwi_cpu,
                      "rss": peak_rss_mb(), "gate_rss": gate_rss, "kiwi_rss": kiwi_rss,
                      "documents": outcome.release.documents, "linking_cpu": linking[0],
                      "edited": len(outcome.release.edited)}))


def run_child(root: Path, label: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(root), label], capture_output=True, text=True)
    if out.returncode:
        print(out.stderr[-3000:])
        raise SystemExit(f"the {label} release failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"{'documents':>9} {'release':>8} {'wall s':>7} {'cpu s':>7} {'cpu ms/doc':>10} {'linking':>8} "
          f"{'peak RSS MB':>11} {'gate process MB':>15} {'Kiwi process MB':>15}")
    for n in args.documents:
        with tempfile.TemporaryDirectory() as tmp:
            build_home(Path(tmp), n)
            first = run_child(Path(tmp), "first")
            edit_one_percent(Path(tmp))
            second = run_child(Path(tmp), "second")
        for r in (first, second):
            print(f"{r['documents']:>9} {r['label']:>8} {r['wall']:>7.1f} {r['cpu']:>7.1f} "
                  f"{r['cpu'] / r['documents'] * 1000:>10.2f} {r['linking_cpu'] / r['cpu']:>8.0%} {r['rss']:>11.0f} "
                  f"{r['gate_rss']:>15.0f} {r['kiwi_rss']:>15.0f}")
        print(f"{'':>9} second/first CPU {second['cpu'] / first['cpu']:.0%} ({second['edited']} edited)")


if __name__ == "__main__":
    main()
