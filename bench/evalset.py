"""The evaluation set's figures (tests/eval): per-measure scores, per markup family, and the pages that fail.

    PYTHONPATH=. python bench/evalset.py [--failures]
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.eval.evalset import build_pages, run_page, score  # noqa: E402


def main(argv: list[str]) -> None:
    pages = build_pages()
    results = [run_page(p) for p in pages]
    sites = {p.url.split("/")[2] for p in pages}
    kinds = defaultdict(int)
    for p in pages:
        kinds[p.kind] += 1
    print(f"pages: {len(pages)}  hosts: {len(sites)}  families: {len({p.family for p in pages})}  kinds: {dict(kinds)}")
    for measure, value in score(results).items():
        print(f"  {measure:18s} {value:.3f}")
    by_family = defaultdict(list)
    for r in results:
        by_family[r["family"]].append(r["ok"])
    print("per family (pages passing):")
    for family, oks in sorted(by_family.items()):
        print(f"  {family:32s} {sum(oks)}/{len(oks)}")
    if "--failures" in argv:
        for r in results:
            if not r["ok"]:
                detail = {k: v for k, v in r.items() if k in ("reason", "got_title", "got_date", "left", "refusal")
                          or (k.endswith("_ok") and v is False)}
                print("FAIL", r["id"], detail)


if __name__ == "__main__":
    main(sys.argv[1:])
