"""What changed between two releases: documents added, removed and edited (word by word, and which
metadata fields), each change classed as upstream (the captured page changed) or pipeline (same
capture, different cleaning)."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cleaners.document import PUBLIC_KEYS, Document

METADATA_FIELDS = [k for k in PUBLIC_KEYS if k not in ("id", "paragraphs", "flags", "repairs")] + ["flags"]
TOKEN = re.compile(r"\w+(?:[’'-]\w+)*|[^\w\s]|\n\n|\s+")


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
            row = sites.setdefault(site, {"added": 0, "removed": 0, "edited_upstream": 0, "edited_pipeline": 0})
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
    """The documents of a release, by id (from its documents.jsonl)."""
    docs = {}
    with open(release_dir / "documents.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                doc = Document.from_dict(json.loads(line))
                docs[doc.id] = doc
    return docs


def word_diff(old: str, new: str) -> list[list]:
    """Word-level diff ops: [["equal"|"delete"|"insert", text], ...] (whitespace and punctuation kept)."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    blocks: list[list] = []  # ["equal", text] or ["change", deleted, inserted]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        deleted, inserted = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag != "equal":
            if blocks and blocks[-1][0] == "change":
                blocks[-1][1] += deleted
                blocks[-1][2] += inserted
            else:
                blocks.append(["change", deleted, inserted])
        elif blocks and blocks[-1][0] == "change" and not deleted.strip():
            # a lone space between two changed words: one phrase replaced, not word-by-word flicker
            blocks[-1][1] += deleted
            blocks[-1][2] += deleted
        else:
            blocks.append(["equal", deleted])
    ops: list[list] = []
    for block in blocks:
        if block[0] == "equal":
            ops.append(block)
            continue
        deleted, inserted = block[1], block[2]
        # whitespace carried on both sides of a change belongs outside it
        while deleted and inserted and deleted[-1].isspace() and inserted[-1] == deleted[-1]:
            deleted, inserted = deleted[:-1], inserted[:-1]
            block.append(" ")
        if deleted:
            ops.append(["delete", deleted])
        if inserted:
            ops.append(["insert", inserted])
        if len(block) > 3:
            ops.append(["equal", "".join(block[3:])])
    return _merge_equals(ops)


def _merge_equals(ops: list[list]) -> list[list]:
    merged: list[list] = []
    for op in ops:
        if merged and op[0] == "equal" and merged[-1][0] == "equal":
            merged[-1] = ["equal", merged[-1][1] + op[1]]
        else:
            merged.append(list(op))
    return merged


def _full_text(doc: Document) -> str:
    return doc.title + "\n\n" + "\n\n".join(doc.paragraphs)


def _kind(old: Document, new: Document) -> str:
    return "upstream" if (old.capture or {}).get("payload_digest") != (new.capture or {}).get("payload_digest") \
        else "pipeline"


def _summary(doc: Document, kind: str) -> dict:
    return {"id": doc.id, "site": doc.site, "title": doc.title, "source_url": doc.source_url, "kind": kind}


def diff_releases(old_dir: Path, new_dir: Path) -> ReleaseDiff:
    """Compare two release folders."""
    old, new = load_documents(Path(old_dir)), load_documents(Path(new_dir))
    result = ReleaseDiff(Path(old_dir).name, Path(new_dir).name)
    # A document appears or disappears because its page did (or a profile changed what is crawled).
    result.added = [_summary(new[i], "upstream") for i in sorted(set(new) - set(old))]
    result.removed = [_summary(old[i], "upstream") for i in sorted(set(old) - set(new))]
    for doc_id in sorted(set(old) & set(new)):
        a, b = old[doc_id], new[doc_id]
        a_pub, b_pub = a.public_dict(), b.public_dict()
        metadata = {f: [a_pub[f], b_pub[f]] for f in METADATA_FIELDS if a_pub[f] != b_pub[f]}
        if a.paragraphs == b.paragraphs and not metadata:
            result.unchanged += 1
            continue
        ops = word_diff(_full_text(a), _full_text(b)) if a.paragraphs != b.paragraphs or a.title != b.title else []
        count = lambda kind: sum(len(re.findall(r"\w+", t)) for k, t in ops if k == kind)  # noqa: E731
        result.edited.append(EditedDocument(doc_id, b.site, b.title, b.source_url, _kind(a, b), metadata, ops,
                                            count("delete"), count("insert")))
    return result


def render_text(diff: ReleaseDiff, context: int = 8) -> str:
    """The diff for a terminal: summary per site, then each change; edits as [-deleted-]{+inserted+}."""
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
            lines.append("      " + "".join(t if k == "equal" else (f"[-{t}-]" if k == "delete" else f"{{+{t}+}}")
                                            for k, t in excerpt).replace("\n", " "))
    return "\n".join(lines)


def changed_excerpts(ops: list[list], context: int = 8) -> list[list[list]]:
    """Group diff ops into excerpts: each change with about `context` words of unchanged text either
    side; changes closer than that share one excerpt."""
    span = context * 2  # tokens: words and the spaces between them
    excerpts: list[list[list]] = []
    current: list[list] | None = None
    for i, (kind, text) in enumerate(ops):
        if kind != "equal":
            if current is None:
                current = []
                if i > 0:
                    current.append(["equal", "".join(TOKEN.findall(ops[i - 1][1])[-span:])])
            current.append([kind, text])
        elif current is not None:
            tokens = TOKEN.findall(text)
            if i < len(ops) - 1 and len(tokens) <= span * 2:
                current.append(["equal", text])
            else:
                current.append(["equal", "".join(tokens[:span])])
                excerpts.append(current)
                current = None
    if current:
        excerpts.append(current)
    return excerpts
