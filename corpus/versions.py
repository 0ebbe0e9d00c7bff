"""Versions of a document across its captures: the edits between successive versions, each dated by the
captures that show it (a Wayback capture of 2012 against one of 2016 shows an edit made in between)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from core.document import Document
from corpus.worddiff import changed_excerpts, word_diff


@dataclass
class VersionEdit:
    """One change of a document's text between two successive captured versions."""

    id: str
    title: str
    source_url: str
    before_captured_at: str      # the last capture still showing the old text
    after_captured_at: str       # the first capture showing the new text
    before_via: str              # "wayback" or "crawl": where each version's capture came from
    after_via: str
    ops: list[list] = field(default_factory=list)
    words_deleted: int = 0
    words_inserted: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _via(doc: Document) -> str:
    return (doc.capture or {}).get("via") or "crawl"


def _text(doc: Document) -> str:
    return doc.title + "\n\n" + "\n\n".join(doc.paragraphs)


def version_edits(versions: list[Document]) -> list[VersionEdit]:
    """The edits between successive versions of one document, oldest first.

    `versions` are cleanings of the document's captures (each with `capture.captured_at`); they are
    ordered by capture date here, and a capture whose text equals the one before it is no edit (the
    Wayback often re-captures an unchanged page). The edit is dated by the last capture with the old
    text and the first with the new: the change happened between those two dates.
    """
    ordered = sorted(versions, key=lambda d: (d.capture or {}).get("captured_at", ""))
    edits: list[VersionEdit] = []
    previous: Document | None = None
    last_same: Document | None = None
    for doc in ordered:
        if previous is None:
            previous = last_same = doc
            continue
        if _text(doc) == _text(previous):
            last_same = doc
            continue
        ops = word_diff(_text(previous), _text(doc))
        count = lambda kind: sum(len(re.findall(r"\w+", t)) for k, t in ops if k == kind)  # noqa: E731
        edits.append(VersionEdit(doc.id, doc.title, doc.source_url,
                                 (last_same.capture or {}).get("captured_at", ""),
                                 (doc.capture or {}).get("captured_at", ""), _via(last_same), _via(doc),
                                 ops, count("delete"), count("insert")))
        previous = last_same = doc
    return edits


def render_version_edits(edits: list[VersionEdit], context: int = 30) -> str:
    """The edits for a terminal: one line per edit with both capture dates, then each change in its sentence.

    >>> a = Document("gs-1", "gs", "u", "T", paragraphs=["They met Kim and Jang on Friday."],
    ...              capture={"captured_at": "2012-03-01T00:00:00Z", "via": "wayback"})
    >>> b = Document("gs-1", "gs", "u", "T", paragraphs=["They met Kim on Friday."],
    ...              capture={"captured_at": "2016-05-02T00:00:00Z", "via": "wayback"})
    >>> print(render_version_edits(version_edits([b, a])))
    ~ gs-1  T  (captured 2012-03-01 (wayback) -> 2016-05-02 (wayback): -2 +0 words)
        They met Kim[- and Jang-] on Friday.
    """
    lines = []
    for e in edits:
        lines.append(f"~ {e.id}  {e.title}  (captured {e.before_captured_at[:10]} ({e.before_via}) -> "
                     f"{e.after_captured_at[:10]} ({e.after_via}): -{e.words_deleted} +{e.words_inserted} words)")
        for excerpt in changed_excerpts(e.ops, context):
            text = "".join(t if k == "equal" else (f"[-{t}-]" if k == "delete" else f"{{+{t}+}}") for k, t in excerpt)
            lines.append("    " + text.replace("\n\n", " ¶ ").replace("\n", " "))
    return "\n".join(lines)
