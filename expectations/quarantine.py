"""The quarantine: documents the gate held back, kept with their failed expectations and capture.

quarantine/<id>.json is the current record of a held-back document. Nothing is ever deleted: when a
document passes later, its record moves to quarantine/resolved/<id>-<timestamp>.json.
File names come only from validated document ids, never from URL text.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from core.datahome import DataHome, temp_name
from core.ids import ID_PATTERN

RESOLVED = "resolved"


def _path(home: DataHome, doc_id: str) -> Path:
    if not ID_PATTERN.match(doc_id):
        raise KeyError(f"not a document id: {doc_id!r}")
    return home.quarantine_dir / f"{doc_id}.json"


def write_quarantine(home: DataHome, result) -> list[Path]:
    """Record every quarantined document of a BatchResult; resolve records of documents that passed."""
    home.quarantine_dir.mkdir(parents=True, exist_ok=True)
    home.inside(home.quarantine_dir)   # a quarantine folder linked out of the home: refused
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    written = []
    for doc in result.quarantined:
        record = {
            "id": doc.id, "site": doc.site, "source_url": doc.source_url, "quarantined_at": now,
            "capture": doc.capture or {}, "failed": [f.to_dict() for f in result.verdicts[doc.id]],
            "document": doc.to_dict(),
        }
        path = _path(home, doc.id)
        tmp = temp_name(path)  # unique per writer (a killed one's leftovers go at the next start)
        tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    held = {doc.id for doc in result.quarantined}
    for path in sorted(home.quarantine_dir.glob("*.json")) if home.quarantine_dir.is_dir() else []:
        doc_id = path.stem
        if doc_id in held or doc_id not in result.verdicts:   # held now, or not in this batch at all
            continue
        resolved = home.quarantine_dir / RESOLVED
        resolved.mkdir(exist_ok=True)
        os.replace(path, resolved / f"{doc_id}-{now.replace(':', '')}.json")
    return written


def list_quarantine(home: DataHome) -> list[dict]:
    """Current quarantine records, by id."""
    if not home.quarantine_dir.exists():
        return []
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(home.quarantine_dir.glob("*.json"))]


def load_quarantine(home: DataHome, doc_id: str) -> dict:
    """One quarantine record; KeyError with a clear message when there is none."""
    path = _path(home, doc_id)
    if not path.exists():
        raise KeyError(f"no quarantined document {doc_id!r} in {home.quarantine_dir}")
    return json.loads(path.read_text(encoding="utf-8"))
