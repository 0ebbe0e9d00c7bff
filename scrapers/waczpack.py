"""Package a crawl run's WARC files as a WACZ (the webrecorder `wacz` tool): what ReplayWeb.page opens.

A WACZ is a zip holding archive/*.warc.gz, a CDXJ index (indexes/index.cdx.gz + index.idx),
pages/pages.jsonl (here: one line per article, with its kcorpus id and title) and a datapackage.json
listing every file with its sha256 (datapackage-digest.json holds the digest of that). Written next to
the WARC files as wacz/<run_id>.wacz, to a temporary name first and renamed into place, never rewritten.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.datahome import wacz_name  # noqa: F401  (the naming rule is the ground's; re-exported)

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Articles (kcorpus documents)"}


class WaczError(RuntimeError):
    """The wacz tool refused to package or validate a run (its own words are in the message)."""


@dataclass(frozen=True)
class Page:
    """One article of the run as pages.jsonl lists it: URL, capture date, kcorpus id, title."""

    url: str
    ts: str           # the capture's WARC-Date (ISO 8601)
    kcorpus_id: str
    title: str

    def to_json(self) -> str:
        # the WACZ page id is the kcorpus id: stable, and unique within one run
        return json.dumps({"id": self.kcorpus_id, "url": self.url, "ts": self.ts, "title": self.title,
                           "kcorpus_id": self.kcorpus_id}, ensure_ascii=False)


def package_run(warc_paths: list[Path], pages: list[Page], out: Path, *, title: str, description: str) -> Path:
    """Write `out` (a .wacz) from `warc_paths` and `pages`; refuses to overwrite an existing file.

    The WARC files are the run's own plus any earlier ones its revisit records point at, so the WACZ
    replays every capture of the run on its own. Returns `out`.
    """
    from wacz.main import main as wacz_main

    if out.exists():
        raise FileExistsError(f"{out} exists; a run's WACZ is never rewritten")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".wacz-") as tmp:
        pages_file = Path(tmp) / "pages.jsonl"
        pages_file.write_text("\n".join([json.dumps(PAGES_HEADER)] + [p.to_json() for p in pages]) + "\n",
                              encoding="utf-8")
        partial = Path(tmp) / out.name
        args = ["create", "-o", str(partial), "--copy-pages", "-p", str(pages_file), "--title", title,
                "--desc", description, "--hash-type", "sha256"] + [str(p) for p in warc_paths]
        code, said = _run(wacz_main, args)
        if code != 0 or not partial.exists():
            raise WaczError(f"wacz create failed for {out.name}: {said.strip().splitlines()[-1:] or code}")
        os.replace(partial, out)
    return out


def validate(path: Path) -> tuple[bool, str]:
    """Run `wacz validate` on a package: (passed, what the tool said)."""
    from wacz.main import main as wacz_main

    code, said = _run(wacz_main, ["validate", "-f", str(path)])
    return code == 0, said


def _run(entry, args: list[str]) -> tuple[int, str]:
    """Call the wacz tool in-process, its chatter captured instead of printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        try:
            code = entry(args)
        except SystemExit as exc:  # argparse errors
            code = exc.code if isinstance(exc.code, int) else 1
    return int(code or 0), buffer.getvalue()
