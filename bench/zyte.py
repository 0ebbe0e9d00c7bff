"""The generic (unprofiled) extraction on the Zyte article-extraction benchmark: paragraphs-only F1.

Fetch the benchmark first (not shipped: it holds third-party pages), e.g.

    git clone https://github.com/scrapinghub/article-extraction-benchmark /tmp/aeb
    .venv/bin/python bench/zyte.py /tmp/aeb [--losers N] [--rounds N]

Every page of `html/*.html.gz` goes through `cleaners.clean_page` with its ground-truth URL (none of the
hosts has a profile, so this is the pipeline's own generic path: decode, extract, repairs, heading
removal). The document's paragraphs, joined, are the `articleBody`; a refused page (CleaningError) scores
an empty body. Writes `output/kcorpus.json` (and `output/trafilatura_plain.json`, bare
`trafilatura.extract`, for comparison) in the benchmark's format, scores both with the benchmark's own
`evaluate.py` functions, and prints F1 / precision / recall, the pages kcorpus scores worst on (beside
trafilatura's score for the same page), and the CPU time per page beside `trafilatura.extract`'s.
The benchmark's own `python3 evaluate.py` (run in its folder) then scores output/kcorpus.json too.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cleaners  # noqa: E402

UTF8 = {"content-type": "text/html; charset=utf-8"}  # the benchmark's README: pages are utf-8 encoded


def load_evaluate(bench: Path):
    """The benchmark's own evaluate.py, imported as a module (its scoring functions, unchanged)."""
    spec = importlib.util.spec_from_file_location("aeb_evaluate", bench / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kcorpus_body(html: bytes, url: str) -> str:
    """The article body as kcorpus releases it: the document's paragraphs; "" when the page is refused."""
    try:
        return "\n\n".join(cleaners.clean_page(html, url, headers=UTF8).paragraphs)
    except cleaners.CleaningError:
        return ""


def write_output(path: Path, output: dict, version: str) -> None:
    path.write_text(json.dumps({"version": version, "output": output}, ensure_ascii=False, indent=1,
                               sort_keys=True), encoding="utf-8")


def page_f1(evaluate, true: str, pred: str) -> float:
    tp, fp, fn = evaluate.string_shingle_matching(true=true, pred=pred)
    p = evaluate.precision_score(tp, fp, fn)
    r = evaluate.recall_score(tp, fp, fn)
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmark", type=Path, help="a checkout of scrapinghub/article-extraction-benchmark")
    parser.add_argument("--losers", type=int, default=10, help="how many worst pages to list")
    parser.add_argument("--rounds", type=int, default=1, help="rounds over the pages (CPU time is averaged)")
    parser.add_argument("--bootstrap", type=int, default=200, help="bootstrap samples for the ± figures")
    args = parser.parse_args()
    import trafilatura
    from importlib.metadata import version

    bench = args.benchmark.resolve()
    evaluate = load_evaluate(bench)
    truth = evaluate.load_json(bench / "ground-truth.json")
    pages = {}
    for path in sorted((bench / "html").glob("*.html.gz")):
        pages[path.name.split(".")[0]] = gzip.decompress(path.read_bytes())
    urls = {key: truth[key].get("url") or f"https://unknown.example/{key}" for key in pages}

    # CPU time (time.process_time), page by page, kcorpus and trafilatura alternately: on a shared
    # machine wall time measures the neighbours as much as the code
    ours, theirs, ours_s, theirs_s = {}, {}, 0.0, 0.0
    for _ in range(args.rounds):
        for key, html in pages.items():
            start = time.process_time()
            ours[key] = {"articleBody": kcorpus_body(html, urls[key])}
            middle = time.process_time()
            theirs[key] = {"articleBody": trafilatura.extract(html.decode("utf-8"), include_comments=False) or ""}
            ours_s += middle - start
            theirs_s += time.process_time() - middle
    (bench / "output").mkdir(exist_ok=True)
    write_output(bench / "output" / "kcorpus.json", ours, cleaners.CLEANER_VERSION)
    write_output(bench / "output" / "trafilatura_plain.json", theirs, version("trafilatura"))

    print(f"{len(pages)} pages of {bench.name}; paragraphs-only articleBody; evaluate.py's shingle metrics")
    print(f"  {'':<22}{'F1':<16}{'precision':<16}{'recall':<16}")
    for name, prediction in (("kcorpus", ours), (f"trafilatura {version('trafilatura')}", theirs)):
        m = evaluate.evaluate(truth, prediction, args.bootstrap)
        print(f"  {name:<22}{m['f1']:.3f} ± {m['f1_std']:.3f}   {m['precision']:.3f} ± {m['precision_std']:.3f}"
              f"   {m['recall']:.3f} ± {m['recall_std']:.3f}")
    refused = sum(1 for v in ours.values() if not v["articleBody"])
    print(f"  kcorpus refused {refused} page(s) (empty body)")
    ms_ours, ms_theirs = (seconds / len(pages) / args.rounds * 1000 for seconds in (ours_s, theirs_s))
    print(f"  CPU time per page: kcorpus clean_page {ms_ours:.1f} ms, trafilatura.extract {ms_theirs:.1f} ms "
          f"({ms_ours / ms_theirs:.2f}x)")

    rows = []
    for key in pages:
        true = truth[key].get("articleBody", "")
        f_ours = page_f1(evaluate, true, ours[key]["articleBody"])
        f_theirs = page_f1(evaluate, true, theirs[key]["articleBody"])
        rows.append((f_ours, f_theirs, key))
    rows.sort()
    print(f"\n  the {args.losers} pages kcorpus scores worst on (page F1, kcorpus / trafilatura):")
    for f_ours, f_theirs, key in rows[:args.losers]:
        print(f"    {f_ours:.3f} / {f_theirs:.3f}  {key[:12]}  {urls[key][:90]}")


if __name__ == "__main__":
    main()
