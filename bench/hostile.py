"""Hostile inputs, in figures: CPU time of the cleaner's once-quadratic paths, and the peak memory of a
fetch of a gzip bomb (tests assert the results; this prints what they cost).

    .venv/bin/python bench/hostile.py [--letters 16000 200000] [--tables 400 930] [--bomb-mb 256]

- one long run of letters at the end of a paragraph (broken_mid_sentence, looks_truncated): the
  pattern searched before (the old regex, timed beside it) against the one-pass reading now;
- nested tables through clean_page on a page without a profile (trafilatura), the page's size and CPU;
- a gzip bomb served over real HTTP on 127.0.0.1: peak RSS of a child process that fetches it with the
  crawl's limits (the limit counts inflated bytes while streaming), and of one that inflates the body
  whole the way a reader without a limit did (gzip.decompress of the received body).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OLD_LAST_WORD = re.compile(r"([A-Za-z]+)\W*$")
SENTENCE = "The delegation arrived in Pyongyang on Tuesday and was met at the airport by officials and "


def cpu(call) -> tuple[float, object]:
    start = time.process_time()
    result = call()
    return time.process_time() - start, result


def letters(counts: list[int]) -> None:
    """The shape that was quadratic: a long run of letters, then one more word ("... aaaa at")."""
    from cleaners import repairs
    for n in counts:
        paragraph = SENTENCE + "a" * n + " at"
        now, joined = cpu(lambda: repairs.broken_mid_sentence(paragraph, "Lake Khasan."))
        before = "skipped (> 20k letters: minutes)"
        if n <= 20_000:
            seconds, _ = cpu(lambda: OLD_LAST_WORD.search(paragraph))
            before = f"{seconds:.2f} s"
        print(f"run of {n:>7} letters then a word: broken_mid_sentence {now * 1000:.2f} ms CPU (joins: {joined}); "
              f"the old ([A-Za-z]+)\\W*$ search alone: {before}")


def tables(depths: list[int]) -> None:
    import cleaners
    for depth in depths:
        page = ("<html><body>" + "<table><tr><td>" * depth + "<p>" + SENTENCE * 4 + "</p></body></html>").encode()
        seconds, doc = cpu(lambda: cleaners.clean_page(page, "https://unknown.example/news/2010/article.html"))
        print(f"{depth} nested tables ({len(page) // 1024} KB): clean_page {seconds:.2f} s CPU, "
              f"{len(doc.paragraphs)} paragraph(s) kept")


CHILD = r"""
import resource, sys, zlib
sys.path.insert(0, sys.argv[1])
from scrapers.fetch import CrawlSettings, fetch_once, make_client
port, mode = int(sys.argv[2]), sys.argv[3]
settings = CrawlSettings(delay=0, retries=0)
with make_client(settings, port) as client:
    if mode == "limited":
        attempt = fetch_once(client, "https://bomb.test/_faults/gzip-bomb", settings)
        said = attempt.error
    else:
        with client.stream("GET", "https://bomb.test/_faults/gzip-bomb") as response:
            raw = b"".join(response.iter_raw())
        import gzip
        said = f"{len(gzip.decompress(raw))} bytes inflated (gzip.decompress, as the Wayback reader did)"
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, said)
"""


def bomb(inflated_mb: int) -> None:
    from scrapers import faults
    from replay.server import ReplayServer
    faults.BOMB_INFLATED = inflated_mb * 1024 * 1024
    sent = len(faults.gzip_bomb(faults.BOMB_INFLATED))
    with ReplayServer([], faults=True) as server:
        for mode in ("limited", "whole"):
            out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(server.port), mode],
                                 capture_output=True, text=True, timeout=600)
            peak, _, said = out.stdout.strip().partition(" ")
            print(f"gzip bomb ({sent // 1024} KB sent, {inflated_mb} MB inflated), {mode:>7}: peak RSS {peak} MB "
                  f"— {said or out.stderr.strip().splitlines()[-1:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, nargs="*", default=[16_000, 200_000])
    parser.add_argument("--tables", type=int, nargs="*", default=[400, 930])
    parser.add_argument("--bomb-mb", type=int, default=256)
    args = parser.parse_args()
    letters(args.letters)
    tables(args.tables)
    bomb(args.bomb_mb)


if __name__ == "__main__":
    main()
