"""Audit time for two releases of N synthetic documents with planted events, and a check that every
planted event is found.

    python bench/audit.py                 # 10,000 and 100,000 documents
    python bench/audit.py --sizes 2000

Each size: release A holds N short KCNA-style documents over three sites; release B purges one name
from 1% of them (spread over all sites), replaces one phrase in 0.5%, deletes 0.5% of one site (most
of them mentioning a second name), moves 0.1% to new ids, leaves a fourth site unreachable
(crawl_outcomes), and makes 0.2% cosmetic (quote style). The release folders are written directly
(manifest + documents.jsonl: what the audit reads); the timing covers corpus.events.compare only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus.events import ReleaseView, compare  # noqa: E402
from corpus.watchlist import WatchEntry  # noqa: E402

SITES = ["globalsecurity", "kancc", "rodong", "uriminzokkiri"]
SENTENCES = [
    "Senior officials inspected the construction site of the power station on {day}.",
    "They were accompanied by {names} and other leading officials of the party and the government.",
    "The builders pledged to complete the project {when} with the spirit of self-reliance.",
    "Looking round the site, they learned in detail about the progress of the work.",
    "The speakers called upon all the people to turn out in the general advance.",
]


def make_doc(i: int, site: str, names: str, when: str = "ahead of schedule", quote: str = "\u201c") -> dict:
    """One synthetic document record (the shape of a release's documents.jsonl line)."""
    close = "\u201d" if quote == "\u201c" else quote
    paragraphs = [s.format(day=f"day {i % 28 + 1}", names=names, when=when) for s in SENTENCES]
    paragraphs.append(f"The report was titled {quote}Forward to Victory number {i}{close}.")
    return {"id": f"{site}-doc-{i:07d}", "site": site, "source_url": f"https://{site}.example/{i}.htm",
            "title": f"Report number {i}", "paragraphs": paragraphs,
            "capture": {"payload_digest": "sha1:" + hashlib.sha1(f"{i}{names}{when}{quote}".encode()).hexdigest()}}


def write_release(folder: Path, version: str, docs: list[dict], outcomes: dict | None = None) -> None:
    """A release folder as the audit reads it: manifest.json and documents.jsonl."""
    folder.mkdir(parents=True)
    entries = []
    with open(folder / "documents.jsonl", "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
            text = d["title"] + "\n\n" + "\n\n".join(d["paragraphs"])
            entries.append({"id": d["id"], "site": d["site"], "source_url": d["source_url"], "title": d["title"],
                            "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                            "payload_digest": d["capture"]["payload_digest"], "cleaner_version": "bench"})
    manifest = {"version": version, "created_at": f"{version}T00:00:00+00:00", "release_date": version,
                "documents": entries, "crawl_outcomes": outcomes or {}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def plant(n: int, rng: random.Random):
    """Releases A and B as record lists, and the planted events to find."""
    docs_a, docs_b = [], []
    purged, replaced, deleted, moved, cosmetic = set(), set(), set(), {}, set()
    for i in range(n):
        site = SITES[i % len(SITES)]
        names = "Choe Yong Rim, Jang Song Thaek" if i % 5 == 0 else "Choe Yong Rim"
        if site == "rodong" and i % 50 == 0:
            names = "Choe Yong Rim, Pak Pong Ju"
        a = make_doc(i, site, names)
        docs_a.append(a)
        roll = rng.random()
        if site == "uriminzokkiri":          # unreachable in B: kept as last seen
            docs_b.append(a)
        elif roll < 0.05 and "Jang Song Thaek" in a["paragraphs"][1]:  # ~1% of all documents: the name purged
            docs_b.append(make_doc(i, site, "Choe Yong Rim"))
            purged.add(a["id"])
        elif roll < 0.005:
            docs_b.append(make_doc(i, site, names, when="at an early date"))
            replaced.add(a["id"])
        elif site == "rodong" and roll < 0.025:
            deleted.add(a["id"])
        elif roll < 0.026:
            b = dict(a, id=f"{site}-moved-{i:07d}", source_url=f"https://{site}.example/new/{i}.htm")
            docs_b.append(b)
            moved[a["id"]] = b["id"]
        elif roll < 0.028:
            docs_b.append(make_doc(i, site, names, quote='"'))
            cosmetic.add(a["id"])
        else:
            docs_b.append(a)
    return docs_a, docs_b, {"purged": purged, "replaced": replaced, "deleted": deleted, "moved": moved,
                            "cosmetic": cosmetic}


def run(n: int) -> bool:
    rng = random.Random(n)
    docs_a, docs_b, planted = plant(n, rng)
    watch = [WatchEntry("Jang Song Thaek"), WatchEntry("Pak Pong Ju")]
    with tempfile.TemporaryDirectory() as tmp:
        write_release(Path(tmp) / "a", "2026-01-01", docs_a)
        write_release(Path(tmp) / "b", "2026-02-01", docs_b,
                      {"uriminzokkiri": {"outcome": "unreachable", "cause": "connection refused", "run_id": "r2"}})
        started = time.perf_counter()
        old, new = ReleaseView.read(Path(tmp) / "a"), ReleaseView.read(Path(tmp) / "b")
        read_s = time.perf_counter() - started
        changes, _ = compare(old, new, watch)
        total_s = time.perf_counter() - started
    events = {(e.deleted, e.inserted): {d["id"] for d in e.documents} for e in changes.events}
    found = {
        "purge of Jang Song Thaek": events.get(("Jang Song Thaek", "")) == planted["purged"],
        "phrase replaced": events.get(("ahead of schedule", "at an early date")) == planted["replaced"],
        "deletions": {c.id for c in changes.of("removed")} == planted["deleted"],
        "moves": {c.moved_from["id"]: c.id for c in changes.of("moved")} == planted["moved"],
        "cosmetic": {c.id for c in changes.of("edited", "cosmetic")} == planted["cosmetic"],
        "not checked, none removed": changes.not_checked.get("uriminzokkiri", {}).get("documents") == n // len(SITES)
        and not any(c.site == "uriminzokkiri" for c in changes.of("removed")),
        "watch: purged name lost": set(changes.watch["Jang Song Thaek"]["lost"]) == planted["purged"] | {
            d["id"] for d in docs_a if d["id"] in planted["deleted"] and "Jang Song Thaek" in d["paragraphs"][1]},
    }
    deletion = next((d for d in changes.deletions if d.site == "rodong"), None)
    print(f"{n:>7} documents: audit {total_s:6.2f} s (manifests {read_s:.2f} s); events {len(changes.events)}, "
          f"purged {len(planted['purged'])}, replaced {len(planted['replaced'])}, deleted {len(planted['deleted'])}, "
          f"moved {len(planted['moved'])}, cosmetic {len(planted['cosmetic'])}, not checked "
          f"{changes.not_checked.get('uriminzokkiri', {}).get('documents')}")
    if deletion:
        print(f"         {deletion.label}")
    for name, ok in found.items():
        print(f"         {'found' if ok else 'MISSED'}: {name}")
    return all(found.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    ok = [run(n) for n in args.sizes]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
