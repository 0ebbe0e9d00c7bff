"""The audit (kcorpus diff) against corpus size and document length: is it linear?

    .venv/bin/python bench/diff.py [--documents 1000 10000 100000] [--edits 0.01]

Builds two synthetic releases per size (documents.jsonl + manifest.json, what the diff reads): the
snapshot's cleaned articles copied under new ids, and in the second release a fraction of them (evenly spread) edited
upstream — one to three words replaced, deleted or inserted at random places, a new payload digest.
Each diff runs in a fresh process: prints seconds (wall and CPU), peak RSS (VmHWM) and the edits found.
Then, on the edited documents of the smallest size, checks the trimmed/anchored word diff against a
plain SequenceMatcher over the whole token lists (the old algorithm): how many give identical ops,
and the time of each. Target: two 100k-document releases with 1% edits in ≤ 60 s and ≤ 1 GB.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DO_NOT_TRACK", "1")


def edit(paragraphs: list[str], rnd: random.Random) -> list[str]:
    """The paragraphs with 1-3 small word edits (replace, delete, insert) at random places."""
    paragraphs = list(paragraphs)
    for _ in range(rnd.randint(1, 3)):
        i = rnd.randrange(len(paragraphs))
        words = paragraphs[i].split(" ")
        j = rnd.randrange(len(words))
        action = rnd.choice(["replace", "delete", "insert"])
        if action == "replace":
            words[j] = rnd.choice(["Pyongyang", "workers", "steadfastly", "struggle"])
        elif action == "delete" and len(words) > 1:
            del words[j]
        else:
            words.insert(j, rnd.choice(["indeed", "further", "all"]))
        paragraphs[i] = " ".join(words)
    return paragraphs


def write_releases(tmp: Path, n: int, fraction: float, seed: int = 11) -> tuple[Path, Path]:
    """Two release folders of n documents; `fraction` of them edited in the second."""
    from release import ordered, snapshot_articles

    rnd = random.Random(seed)
    every = max(1, round(1 / fraction)) if fraction else 0
    old_dir, new_dir = tmp / "r1", tmp / "r2"
    for folder, version in ((old_dir, "r1"), (new_dir, "r2")):
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps({"version": version}))
    templates = snapshot_articles()
    with open(old_dir / "documents.jsonl", "w", encoding="utf-8") as old, \
            open(new_dir / "documents.jsonl", "w", encoding="utf-8") as new:
        for number, doc in enumerate(ordered(templates, n)):
            line = doc.to_json() + "\n"
            old.write(line)
            if every and number % every == every // 2:
                doc.paragraphs = edit(doc.paragraphs, rnd)
                doc.capture = {**(doc.capture or {}), "payload_digest": f"sha1:edited-{doc.id}"}
                line = doc.to_json() + "\n"
            new.write(line)
    return old_dir, new_dir


def child(old_dir: str, new_dir: str) -> None:
    from corpus.diff import diff_releases

    start, cpu = time.perf_counter(), time.process_time()
    diff = diff_releases(Path(old_dir), Path(new_dir))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    with open("/proc/self/status") as fh:
        rss = next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rss": rss, "edited": len(diff.of("edited")),
                      "unchanged": diff.unchanged}))


def compare_with_plain(old_dir: Path, new_dir: Path) -> None:
    """Trimmed/anchored word diff vs a plain SequenceMatcher on the same edited documents."""
    from corpus import worddiff
    from corpus.events import full_text
    from corpus.manifest import read_records

    old, new = read_records(old_dir, None), read_records(new_dir, None)
    pairs = [(full_text(old[i]), full_text(new[i])) for i in sorted(old) if old[i].paragraphs != new[i].paragraphs]
    start = time.process_time()
    fast = [worddiff.word_diff(a, b) for a, b in pairs]
    fast_s = time.process_time() - start
    trimmed = worddiff._trimmed_opcodes
    worddiff._trimmed_opcodes = lambda a, b: difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    try:
        start = time.process_time()
        plain = [worddiff.word_diff(a, b) for a, b in pairs]
        plain_s = time.process_time() - start
    finally:
        worddiff._trimmed_opcodes = trimmed
    same = sum(f == p for f, p in zip(fast, plain))
    tokens = sorted(len(worddiff.TOKEN.findall(a)) for a, _ in pairs)
    print(f"word diff on {len(pairs)} edited documents ({tokens[0]}-{tokens[-1]} tokens): identical ops "
          f"{same} of {len(pairs)}; CPU {fast_s:.2f} s trimmed/anchored vs {plain_s:.2f} s plain SequenceMatcher "
          f"({plain_s / max(fast_s, 1e-9):.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--edits", type=float, default=0.01)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"{'documents':>10} {'wall s':>8} {'cpu s':>7} {'cpu ms/doc':>10} {'peak RSS MB':>12} {'edited':>7} {'input MB':>9}")
    smallest = None
    for n in args.documents:
        with tempfile.TemporaryDirectory() as tmp:
            old_dir, new_dir = write_releases(Path(tmp), n, args.edits)
            size = ((old_dir / "documents.jsonl").stat().st_size + (new_dir / "documents.jsonl").stat().st_size) / 1e6
            out = subprocess.run([sys.executable, __file__, "--child", str(old_dir), str(new_dir)],
                                 capture_output=True, text=True)
            if out.returncode:
                print(out.stderr[-2000:])
                raise SystemExit(f"the {n}-document diff failed")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{n:>10} {r['seconds']:>8.1f} {r['cpu']:>7.1f} {r['cpu'] / n * 1000:>10.3f} {r['rss']:>12.0f} "
                  f"{r['edited']:>7} {size:>9.0f}")
            if smallest is None:
                smallest = n
                compare_with_plain(old_dir, new_dir)


if __name__ == "__main__":
    main()
