"""Disk taken by daily releases that share unchanged files: N documents, R releases, a share of the
documents edited before each. Files identical to the previous release's are hard links (corpus/release.py),
so the data home's real size (each inode counted once, as `du` counts) grows with the changes, not with
the number of releases.

    .venv/bin/python bench/release_disk.py --documents 1000 --releases 30 --changed 0.01

Prints the size of one release, of all of them counted once per inode, the ratio, and where a release's
bytes are: per-document files (tei/, records/, text/, conllu/: hard links to the previous release's when
unchanged) and whole-release files (manifest.json, SHA256SUMS, meta.tsv, Parquet, the teiCorpus, ...:
written each time), with what the last release wrote anew of each.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")

from bench.release import snapshot_articles, synthetic_documents  # noqa: E402


def inode_bytes(folder: Path) -> int:
    seen, total = set(), 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            st = path.stat()
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--releases", type=int, default=30)
    parser.add_argument("--changed", type=float, default=0.01)
    args = parser.parse_args()
    from core.datahome import DataHome
    from corpus.release import build_release

    templates = snapshot_articles()
    docs = sorted(synthetic_documents(templates, args.documents), key=lambda d: d.id)
    every = max(1, round(1 / args.changed)) if args.changed else 0
    with tempfile.TemporaryDirectory() as tmp:
        home = DataHome.resolve(tmp)
        started = time.perf_counter()
        first = None
        for n in range(args.releases):
            if n and every:
                for doc in docs[n % every::every]:
                    doc.paragraphs = doc.paragraphs + [f"Edited before release {n + 1}."]
            release = build_release(home, docs, today=date(2026, 1, 1) + timedelta(days=n))
            first = first or release
        elapsed = time.perf_counter() - started
        one = inode_bytes(first.path)
        total = inode_bytes(home.releases_dir)
        first_kinds, written = composition(first.path), composition(release.path, written_only=True)
    print(f"{args.documents} documents, {args.releases} releases, {args.changed:.0%} edited before each "
          f"({elapsed:.0f} s)")
    print(f"one release {one / 1e6:.1f} MB; all {args.releases} {total / 1e6:.1f} MB counted once per file "
          f"= {total / one:.2f}x one release (without sharing: {args.releases}x)")
    print("a release's bytes (the first), and what the last one wrote anew (the rest are links to the one before):")
    for kind, size in first_kinds.most_common():
        print(f"  {kind:<38} {size / 1e6:6.2f} MB ({size / one:4.0%})   written anew: {written[kind] / 1e6:6.3f} MB")
    new = sum(written.values())
    print(f"  {'each further release':<38} {new / 1e6:6.2f} MB ({new / one:.1%} of one release), of which "
          f"per-release index files (manifest.json, SHA256SUMS, meta.tsv) {sum(written[k] for k in INDEX_FILES) / 1e6:.2f} MB")


INDEX_FILES = ("manifest.json", "SHA256SUMS", "meta.tsv")


def composition(folder: Path, written_only: bool = False) -> Counter:
    """Bytes per kind of file of one release: per-document folders (tei/, records/, text/, conllu/) by
    folder, whole-release files by name. `written_only`: only the files this release wrote (a file with
    one link), not those it shares with the release before."""
    kinds: Counter = Counter()
    for path in folder.rglob("*"):
        if path.is_file() and not (written_only and path.stat().st_nlink > 1):
            parts = path.relative_to(folder).parts
            name = f"{parts[0]}/ (per document)" if len(parts) > 1 else parts[0]
            kinds[name.replace(folder.name, "<version>")] += path.stat().st_size
    return kinds


if __name__ == "__main__":
    main()
