"""What changed between two releases: documents added, removed and edited (word by word, and which
metadata fields), each change classed as upstream (the captured page changed) or pipeline (same
capture, different cleaning)."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.document import PUBLIC_KEYS, Document

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


class NotARelease(FileNotFoundError):
    """The folder given is not a kcorpus release (no documents.jsonl to compare)."""


def load_documents(release_dir: Path) -> dict[str, Document]:
    """The documents of a release, by id (from its documents.jsonl, the exact records released)."""
    path = Path(release_dir) / "documents.jsonl"
    if not path.is_file():
        raise NotARelease(f"{release_dir} is not a kcorpus release (no documents.jsonl)")
    docs = {}
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    doc = Document.from_dict(json.loads(line))
                except (json.JSONDecodeError, TypeError) as exc:
                    raise ValueError(f"{path}, line {number}: not a document record ({exc})") from None
                docs[doc.id] = doc
    return docs


class _OutOfOrder(Exception):
    """A documents.jsonl not in id order (not written by build_release): the diff reads it whole."""


_ID_PREFIX = re.compile(r'\{"id": ("(?:[^"\\]|\\.)*")')


def _record_id(line: str, path: Path, number: int) -> str:
    """The id of one documents.jsonl record, read from its opening key when it has the layout
    build_release writes (id first), else by parsing the whole record."""
    match = _ID_PREFIX.match(line)
    try:
        return json.loads(match.group(1)) if match else json.loads(line)["id"]
    except (json.JSONDecodeError, TypeError, KeyError) as exc:
        raise ValueError(f"{path}, line {number}: not a document record ({exc})") from None


def _records(release_dir: Path, *, ordered: bool = True):
    """(id, json line) of each document of a release, streamed in id order (build_release writes them
    so). Raises _OutOfOrder when `ordered` and the file is not in id order; `ordered=False` reads the
    whole file and sorts it (for a hand-made release)."""
    path = Path(release_dir) / "documents.jsonl"
    if not path.is_file():
        raise NotARelease(f"{release_dir} is not a kcorpus release (no documents.jsonl)")
    if not ordered:
        yield from sorted(dict(_unordered(path)).items())  # a repeated id: the last record wins, as before
        return
    last = None
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                record_id = _record_id(line, path, number)
                if last is not None and record_id <= last:
                    raise _OutOfOrder(path)
                last = record_id
                yield record_id, line


def _unordered(path: Path):
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                yield _record_id(line, path, number), line


def _document(line: str, path: Path) -> Document:
    try:
        return Document.from_dict(json.loads(line))
    except (json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"{path}: not a document record ({exc})") from None


def release_name(release_dir: Path) -> str:
    """The release's version from its manifest (so releases/latest is named by what it points at)."""
    from corpus.release import read_manifest_head

    try:
        return read_manifest_head(Path(release_dir))["version"]
    except (OSError, ValueError, KeyError):
        return Path(release_dir).resolve().name


# Above this many tokens between the common prefix and suffix, the word diff is anchored on whole
# paragraphs first: SequenceMatcher on two long token lists full of repeated tokens (spaces, "the")
# is quadratic (1.8 s for one 8k-token document).
ANCHOR_TOKENS = 2000


def _trimmed_opcodes(a: list, b: list) -> list[tuple]:
    """SequenceMatcher opcodes of a -> b, the common prefix and suffix taken off first: identical ops
    for an edit in one place (the usual case), in time linear in the unchanged text."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    q = 0
    while q < n - p and a[len(a) - 1 - q] == b[len(b) - 1 - q]:
        q += 1
    middle_a, middle_b = a[p:len(a) - q], b[p:len(b) - q]
    if max(len(middle_a), len(middle_b)) > ANCHOR_TOKENS:
        middle = _anchored_opcodes(middle_a, middle_b)
    else:
        middle = difflib.SequenceMatcher(None, middle_a, middle_b, autojunk=False).get_opcodes()
    ops = [("equal", 0, p, 0, p)] if p else []
    ops += [(tag, i1 + p, i2 + p, j1 + p, j2 + p) for tag, i1, i2, j1, j2 in middle]
    if q:
        ops.append(("equal", len(a) - q, len(a), len(b) - q, len(b)))
    return ops


def _paragraph_spans(tokens: list) -> list[tuple[int, int]]:
    """[start, end) of each paragraph of a token list, the "\n\n" token ending the one before it."""
    spans, start = [], 0
    for i, token in enumerate(tokens):
        if token == "\n\n":
            spans.append((start, i + 1))
            start = i + 1
    if start < len(tokens):
        spans.append((start, len(tokens)))
    return spans


def _anchored_opcodes(a: list, b: list) -> list[tuple]:
    """Opcodes of a long a -> b: paragraphs matched first (as whole units: few, and rarely repeated),
    then words inside each changed run of paragraphs. Edits in several places of a long document cost
    the size of the changed paragraphs, not the product of the document lengths."""
    spans_a, spans_b = _paragraph_spans(a), _paragraph_spans(b)
    units_a = ["".join(a[i:j]) for i, j in spans_a]
    units_b = ["".join(b[i:j]) for i, j in spans_b]
    ops: list[tuple] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, units_a, units_b, autojunk=False).get_opcodes():
        ta1 = spans_a[i1][0] if i1 < len(spans_a) else len(a)
        ta2 = spans_a[i2 - 1][1] if i2 > i1 else ta1
        tb1 = spans_b[j1][0] if j1 < len(spans_b) else len(b)
        tb2 = spans_b[j2 - 1][1] if j2 > j1 else tb1
        if tag == "equal":
            ops.append(("equal", ta1, ta2, tb1, tb2))
            continue
        inner = difflib.SequenceMatcher(None, a[ta1:ta2], b[tb1:tb2], autojunk=False).get_opcodes()
        ops += [(t, i + ta1, k + ta1, j + tb1, m + tb1) for t, i, k, j, m in inner]
    return ops


def word_diff(old: str, new: str) -> list[list]:
    """Word-level diff ops: [["equal"|"delete"|"insert", text], ...] (whitespace and punctuation kept)."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    blocks: list[list] = []  # ["equal", text] or ["change", deleted, inserted]
    for tag, i1, i2, j1, j2 in _trimmed_opcodes(a, b):
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
    return _merge_equals(_slide_whitespace(_merge_equals(ops)))


def _merge_equals(ops: list[list]) -> list[list]:
    merged: list[list] = []
    for op in ops:
        if merged and op[0] == "equal" and merged[-1][0] == "equal":
            merged[-1] = ["equal", merged[-1][1] + op[1]]
        else:
            merged.append(list(op))
    return merged


def _slide_whitespace(ops: list[list]) -> list[list]:
    """Put the space of a lone inserted or deleted word before it: " further" rather than "further ".

    Both are the same edit; which one a matcher reports depends on where it started matching (the whole
    texts, or what is left after the common prefix and suffix), so the audit would otherwise show the
    same edit two ways. Only whitespace moves, so words and their order never change.

    >>> _slide_whitespace([["equal", "the "], ["insert", "further "], ["equal", "talks"]])
    [['equal', 'the'], ['insert', ' further'], ['equal', ' talks']]
    """
    ops = [list(op) for op in ops]
    for i in range(1, len(ops)):
        kind, text = ops[i]
        before = ops[i - 1]
        after = ops[i + 1] if i + 1 < len(ops) else None
        if kind == "equal" or before[0] != "equal" or (after is not None and after[0] != "equal"):
            continue
        while text and before[1] and text[-1].isspace() and before[1][-1] == text[-1] and not text[:-1].isspace():
            moved = text[-1]
            before[1] = before[1][:-1]
            text = moved + text[:-1]
            if after is None:
                after = ["equal", ""]
                ops.append(after)
            after[1] = moved + after[1]
        ops[i][1] = text
    return [op for op in ops if op[1]]


def _full_text(doc: Document) -> str:
    return doc.title + "\n\n" + "\n\n".join(doc.paragraphs)


def _kind(old: Document, new: Document) -> str:
    return "upstream" if (old.capture or {}).get("payload_digest") != (new.capture or {}).get("payload_digest") \
        else "pipeline"


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


ELLIPSIS = "…"


def _is_word(token: str) -> bool:
    return bool(re.match(r"\w", token))


def _sentence_end(tokens: list[str], i: int) -> bool:
    """True when tokens[i] closes a sentence: . ! ? (after any closing quotes) before a space or the end."""
    j = i
    while j >= 0 and tokens[j] in "\"”’')":
        j -= 1
    return j >= 0 and tokens[j] in (".", "!", "?", ELLIPSIS) and (i + 1 >= len(tokens) or tokens[i + 1].isspace())


def context_before(text: str, words: int) -> str:
    """The unchanged text just before a change, from the start of its sentence (or paragraph), cut to
    at most `words` words (then opened with …)."""
    tokens = TOKEN.findall(text)
    i, count = len(tokens), 0
    while i > 0:
        token = tokens[i - 1]
        if token == "\n\n" or _sentence_end(tokens, i - 1):
            return "".join(tokens[i:]).lstrip()
        count += _is_word(token)
        if count > words:
            return ELLIPSIS + " " + "".join(tokens[i:]).lstrip()
        i -= 1
    return "".join(tokens)


def context_after(text: str, words: int) -> str:
    """The unchanged text just after a change, to the end of its sentence (or paragraph), cut to at
    most `words` words (then closed with …)."""
    tokens = TOKEN.findall(text)
    count = 0
    for i, token in enumerate(tokens):
        if token == "\n\n":
            return "".join(tokens[:i])
        count += _is_word(token)
        if count > words:
            return "".join(tokens[:i]).rstrip() + " " + ELLIPSIS
        if _sentence_end(tokens, i):
            return "".join(tokens[:i + 1])
    return "".join(tokens)


def changed_excerpts(ops: list[list], context: int = 30) -> list[list[list]]:
    """Group diff ops into excerpts a reader can follow: each change shown inside its sentence (at most
    `context` words either side); changes a sentence or less apart share one excerpt. The unchanged
    rest of a 4,000-word text is left out."""
    excerpts: list[list[list]] = []
    current: list[list] | None = None
    for i, (kind, text) in enumerate(ops):
        if kind != "equal":
            if current is None:
                current = []
                if i > 0:
                    current.append(["equal", context_before(ops[i - 1][1], context)])
            current.append([kind, text])
            continue
        if current is None:
            continue
        between = sum(map(_is_word, TOKEN.findall(text)))
        if i < len(ops) - 1 and between <= context and "\n\n" not in text:
            current.append(["equal", text])  # the next change is in the same stretch of text
        else:
            current.append(["equal", context_after(text, context)])
            excerpts.append(current)
            current = None
    if current:
        excerpts.append(current)
    return [[op for op in excerpt if op[1]] for excerpt in excerpts]
