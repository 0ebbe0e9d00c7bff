"""The derived formats of a release (text, meta.tsv, Parquet, CoNLL-U) and inline repairs, on the
snapshot's cleaned articles.

    .venv/bin/python bench/derived.py [--copies N]

Prints milliseconds per document for the CoNLL-U segmentation (English: syntok; Korean: Kiwi, whose
one-off start is printed apart), for the whole derived writer, the cost of the span record in the JSON,
and the wall time of build_release over N copies of the articles.
"""

from __future__ import annotations

import argparse
import copy
import json
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
from core.datahome import DataHome  # noqa: E402
from corpus.derived import DerivedWriter  # noqa: E402
from corpus.nlp import _korean, conllu_document  # noqa: E402
from corpus.release import build_release  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="copies of each article in the release")
    args = parser.parse_args()
    docs = snapshot_articles()
    start = time.perf_counter()
    _korean("깊은 산속")  # the analyser's process starts, and Kiwi loads its model, at the first Korean text
    print(f"Kiwi's process start and model load (once per process): {time.perf_counter() - start:.2f} s")
    for lang in ("en", "ko"):
        picked = [d for d in docs if d.lang == lang]
        start = time.perf_counter()
        for doc in picked:
            conllu_document(doc.id, doc.title, doc.paragraphs, doc.lang)
        print(f"CoNLL-U segmentation, {lang}: {1000 * (time.perf_counter() - start) / max(1, len(picked)):.1f} ms "
              f"per document ({len(picked)} documents)")
    with tempfile.TemporaryDirectory() as tmp:
        writer = DerivedWriter(Path(tmp))
        start = time.perf_counter()
        for doc in docs:
            writer.add(doc, f"tei/{doc.site}/{doc.id}.xml")
        writer.close()
        print(f"derived writer (text, tsv, Parquet, CoNLL-U): {1000 * (time.perf_counter() - start) / len(docs):.1f} ms "
              f"per document")
    with_spans = sum(len(json.dumps(d.to_dict(), ensure_ascii=False)) for d in docs)
    without = sum(len(json.dumps({**d.to_dict(), "spans": []}, ensure_ascii=False)) for d in docs)
    spans = sum(len(d.spans) for d in docs)
    print(f"spans: {spans} over {len(docs)} documents; JSON {without / 1024:.0f} KiB -> {with_spans / 1024:.0f} KiB "
          f"(+{100 * (with_spans - without) / without:.0f}%)")
    many = []
    for k in range(args.copies):
        for doc in docs:
            twin = copy.deepcopy(doc)
            twin.id = f"{doc.id}{k}" if k else doc.id
            many.append(twin)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        build_release(DataHome.resolve(tmp), many, today=date(2026, 11, 25))
        print(f"build_release of {len(many)} documents, all formats: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
