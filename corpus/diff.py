"""What changed between two releases: documents added, removed and edited (word by word, and which
metadata fields), each change classed as upstream (the captured page changed) or pipeline (same
capture, different cleaning)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.document import PUBLIC_KEYS, Document
from corpus.events import capture_class, change_class
from corpus.manifest import parse_record, read_records, record_id, record_lines, release_name
from corpus.worddiff import changed_excerpts, word_diff

METADATA_FIELDS = [k for k in PUBLIC_KEYS if k not in ("id", "paragraphs", "flags", "repairs")] + ["flags"]


@dataclass
class EditedDocument:
    """One document whose text or metadata changed."""

    id: str
    site: str
    title: str
    source_url: str
    kind: str                                     # upstream | pipeline
    metadata: dict[str, list] = field(default_factory=dict)   # field -> [old, new]
    ops: list[list] = field(default_factory=list)            # [["equal"|"delete"|"insert", text], ...]
    words_deleted: int = 0
    words_inserted: int = 0


@dataclass
class ReleaseDiff:
    old: str
    new: str
    added: list[dict] = field(default_factory=list)     # {id, site, title, source_url, kind}
    removed: list[dict] = field(default_factory=list)
    edited: list[EditedDocument] = field(default_factory=list)
    unchanged: int = 0

    @property
    def summary_by_site(self) -> dict[str, dict[str, int]]:
        sites: dict[str, dict[str, int]] = {}
        def bump(site, key):
            row = sites.setdefault(site, {"added": 0, "removed": 0, "edited_upstream": 0, "edited_pipeline": 0,
                                          "edited_cosmetic": 0})
            row[key] += 1
        for d in self.added:
            bump(d["site"], "added")
        for d in self.removed:
            bump(d["site"], "removed")
        for e in self.edited:
            bump(e.site, f"edited_{e.kind}")
        return dict(sorted(sites.items()))

    def to_dict(self) -> dict:
        return {"old": self.old, "new": self.new, "summary_by_site": self.summary_by_site,
                "added": self.added, "removed": self.removed, "edited": [asdict(e) for e in self.edited],
                "unchanged": self.unchanged}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def load_documents(release_dir: Path) -> dict[str, Document]:
    """The documents of a release, by id (from its documents.jsonl, the exact records released)."""
    return read_records(release_dir, None)


class _OutOfOrder(Exception):
    """A documents.jsonl not in id order (not written by build_release): the diff reads it whole."""


def _records(release_dir: Path, *, ordered: bool = True):
    """(id, json line) of each document of a release, streamed in id order (build_release writes them
    so). Raises _OutOfOrder when `ordered` and the file is not in id order; `ordered=False` reads the
    whole file and sorts it (for a hand-made release)."""
    path = Path(release_dir) / "documents.jsonl"
    if not ordered:
        # a repeated id: the last record wins, as before
        yield from sorted({record_id(line, path, n): line for n, line in record_lines(release_dir)}.items())
        return
    last = None
    for number, line in record_lines(release_dir):
        current = record_id(line, path, number)
        if last is not None and current <= last:
            raise _OutOfOrder(path)
        last = current
        yield current, line


def _document(line: str, path: Path) -> Document:
    return parse_record(line, path)


def _full_text(doc: Document) -> str:
    return doc.title + "\n\n" + "\n\n".join(doc.paragraphs)


def _kind(old: Document, new: Document) -> str:
    """upstream, pipeline or cosmetic (corpus.events.change_class) when the text changed; a metadata-only
    edit is classed by its captures alone."""
    old_digest, new_digest = (old.capture or {}).get("payload_digest"), (new.capture or {}).get("payload_digest")
    if _full_text(old) == _full_text(new):
        return capture_class(old_digest, new_digest)
    return change_class(_full_text(old), _full_text(new), old_digest, new_digest)


def _summary(doc: Document, kind: str) -> dict:
    return {"id": doc.id, "site": doc.site, "title": doc.title, "source_url": doc.source_url, "kind": kind}


def diff_releases(old_dir: Path, new_dir: Path) -> ReleaseDiff:
    """Compare two release folders (a version folder or releases/latest).

    Added and removed documents are classed upstream (their page appeared or went); an edited one is
    upstream when its capture's payload digest differs, pipeline when the same capture was cleaned
    differently. Raises NotARelease for a folder without documents.jsonl.

    Both documents.jsonl files are read side by side in id order (a merge), so memory holds two
    documents and the edits found, not two corpora; an identical record is not even parsed.
    """
    old_dir, new_dir = Path(old_dir), Path(new_dir)
    result = ReleaseDiff(release_name(old_dir), release_name(new_dir))
    try:
        _merge_diff(result, _records(old_dir), _records(new_dir), old_dir, new_dir)
    except _OutOfOrder:  # a release not written by build_release: read it whole and sorted
        result = ReleaseDiff(result.old, result.new)
        _merge_diff(result, _records(old_dir, ordered=False), _records(new_dir, ordered=False), old_dir, new_dir)
    return result


def _merge_diff(result: ReleaseDiff, old_records, new_records, old_dir: Path, new_dir: Path) -> None:
    end = (None, None)
    old_id, old_line = next(old_records, end)
    new_id, new_line = next(new_records, end)
    while old_id is not None or new_id is not None:
        if new_id is None or (old_id is not None and old_id < new_id):
            # A document appears or disappears because its page did (or a profile changed what is crawled).
            result.removed.append(_summary(_document(old_line, old_dir), "upstream"))
            old_id, old_line = next(old_records, end)
            continue
        if old_id is None or new_id < old_id:
            result.added.append(_summary(_document(new_line, new_dir), "upstream"))
            new_id, new_line = next(new_records, end)
            continue
        if old_line.rstrip("\n") == new_line.rstrip("\n"):
            result.unchanged += 1
        else:
            _compare(result, new_id, _document(old_line, old_dir), _document(new_line, new_dir))
        old_id, old_line = next(old_records, end)
        new_id, new_line = next(new_records, end)


def _compare(result: ReleaseDiff, doc_id: str, a: Document, b: Document) -> None:
    """One document in both releases: unchanged, or an EditedDocument with its word diff."""
    a_pub, b_pub = a.public_dict(), b.public_dict()
    metadata = {f: [a_pub[f], b_pub[f]] for f in METADATA_FIELDS if a_pub[f] != b_pub[f]}
    if a.paragraphs == b.paragraphs and not metadata:
        result.unchanged += 1
        return
    ops = word_diff(_full_text(a), _full_text(b)) if a.paragraphs != b.paragraphs or a.title != b.title else []
    count = lambda kind: sum(len(re.findall(r"\w+", t)) for k, t in ops if k == kind)  # noqa: E731
    result.edited.append(EditedDocument(doc_id, b.site, b.title, b.source_url, _kind(a, b), metadata, ops,
                                        count("delete"), count("insert")))


def render_text(diff: ReleaseDiff, context: int = 30) -> str:
    """The diff for a terminal: summary per site, then each change; edits as [-deleted-]{+inserted+},
    each inside the sentence it happened in (¶ marks a paragraph break)."""
    lines = [f"Release {diff.old} -> {diff.new}: {len(diff.added)} added, {len(diff.removed)} removed, "
             f"{len(diff.edited)} edited, {diff.unchanged} unchanged"]
    for site, row in diff.summary_by_site.items():
        lines.append(f"  {site}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in row.items()))
    for d in diff.added:
        lines.append(f"  + {d['id']}  {d['title']}  ({d['kind']})")
    for d in diff.removed:
        lines.append(f"  - {d['id']}  {d['title']}  ({d['kind']})")
    for e in diff.edited:
        lines.append(f"  ~ {e.id}  {e.title}  ({e.kind}: -{e.words_deleted} +{e.words_inserted} words)")
        for name, (before, after) in e.metadata.items():
            lines.append(f"      {name}: {before!r} -> {after!r}")
        for excerpt in changed_excerpts(e.ops, context):
            text = "".join(t if k == "equal" else (f"[-{t}-]" if k == "delete" else f"{{+{t}+}}") for k, t in excerpt)
            lines.append("      " + text.replace("\n\n", " ¶ ").replace("\n", " "))
    return "\n".join(lines)
