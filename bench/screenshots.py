"""Screenshots of the reports in headless Chromium, and what each page asks of the network.

    .venv/bin/python bench/screenshots.py [--out docs/]

Builds a data home from the two demo snapshots (no Prefect: flows.crawl, flows.release, flows.audit), releases each; before the
second release one document gets a planted fault (a backslash residue quoting markup, as a corrupted
page could) so the quality report has a quarantined document to show. Writes
docs/quality-report.png and docs/audit-report.png, and prints, for the quality report, the audit report
and the GX Data Docs index, how many network requests Chromium made opening them (behind a recording
proxy; the browser's own background traffic is subtracted).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.datahome import DataHome  # noqa: E402
from flows.audit import after_release  # noqa: E402
from flows.crawl import refresh, replay_sources  # noqa: E402
from flows.release import validate_and_release  # noqa: E402
from flows.runs import snapshot_path  # noqa: E402
from scrapers.fetch import CrawlSettings  # noqa: E402
from replay.server import ReplayServer  # noqa: E402
from tests.tools.browser import chromium, open_page  # noqa: E402

PLANTED = "globalsecurity-dprk-100917-kcna04"


def build(home: DataHome):
    outcomes = []
    for number, name in enumerate(("snapshot-1", "snapshot-2"), 1):
        path = snapshot_path(name)
        with ReplayServer([path]) as server:
            refresh(home, ["globalsecurity", "kancc"], settings=CrawlSettings(delay=0),
                    replay_port=server.port, replay_of=replay_sources([path]))
        if number == 2:
            doc_path = home.documents_dir / "globalsecurity" / f"{PLANTED}.json"
            doc = json.loads(doc_path.read_text(encoding="utf-8"))
            doc["paragraphs"][1] += " the workers\\and peasants quoted <script>alert(1)</script>"
            doc_path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        outcomes.append(validate_and_release(home))
    return outcomes, after_release(home)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    if chromium() is None:
        sys.exit("chromium is not installed (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        home = DataHome.resolve(tmp)
        outcomes, audit = build(home)
        pages = {"quality report": (outcomes[-1].quality_report, args.out / "quality-report.png"),
                 "audit report": (audit.report, args.out / "audit-report.png"),
                 "GX Data Docs index": (outcomes[-1].data_docs_path, None)}
        for label, (page, shot) in pages.items():
            opened = open_page(page, screenshot=shot)
            hosts = sorted({r.split(" ")[1].split("://")[-1].split("/")[0] for r in opened.requests})
            print(f"{label}: {len(opened.requests)} network requests" + (f" ({', '.join(hosts)})" if hosts else "")
                  + (f"; screenshot {shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot}" if shot else ""))


if __name__ == "__main__":
    main()
