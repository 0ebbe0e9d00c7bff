"""Document: the cleaned, citable form of one article, with its provenance and repair log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple, TypedDict

import orjson


class Repair(TypedDict, total=False):
    """One repair rule's record on one document (cleaners.repairs.RepairLog writes these, in rule order).

    rule      the rule's name, e.g. "backslash-space"
    description  what the rule undoes, in one line (the TEI header's taxonomy and the codebook read it)
    where     the field it touched: "title", "body", a metadata field
    count     how many times it fired there
    examples  up to a few [before, after] pairs, as found in the text
    detail    optional counts per variant, e.g. {"\\and": 123, "\\union": 64}
    """

    rule: str
    description: str
    where: str
    count: int
    examples: list[list[str]]
    detail: dict[str, int]


class Span(NamedTuple):
    """Where a repair changed the served text (Document.spans holds these as plain JSON lists).

    where     "title" or "body"
    index     the paragraph (0 for the title), in the repaired document
    start, end  offsets of the repaired stretch in that repaired string: its text is title[start:end]
              or paragraphs[index][start:end]
    served    what the site served there, exactly; "\n" marks a served paragraph break the repair
              removed (re-joined paragraphs, a heading line moved to metadata, a blank paragraph dropped)
    rules     the rules that made the change, in order, space-separated ("nbsp backslash-space")
    """

    where: str
    index: int
    start: int
    end: int
    served: str
    rules: str


SERVED_BREAK = "\n"


def served_text(repaired: str, spans: list[Span]) -> str:
    """The served string of one repaired string, given its spans (sorted by start, none overlapping).

    >>> served_text("the Soviet Union and", [Span("body", 0, 10, 16, "\\\\union", "backslash-space")])
    'the Soviet\\\\union and'
    """
    out, pos = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        out += [repaired[pos:span.start], span.served]
        pos = span.end
    return "".join(out) + repaired[pos:]


# The JSON keys `kcorpus clean` prints, in order (the cleaners issue fixes this contract).
PUBLIC_KEYS = ("id", "site", "source_url", "title", "date", "posted_at", "place", "agency", "distributor",
               "author", "series", "chapter", "section", "site_section", "lang", "paragraphs", "flags", "repairs")


_FIELD_NAMES: dict[type, frozenset[str]] = {}   # a dataclass's field names (dataclasses.fields is slow per call)


@dataclass
class Document:
    """One cleaned article.

    id           stable across releases: "<site>-<local id from the URL>", e.g. kancc-heigo-504
    date         the publication date, always an ISO date (2010-09-14): a KCNA dateline's, else the day
                 a post was put on the site (site time zone); None when unknown
    posted_at    when the reposting site posted it, ISO date-time with offset (2020-09-18T19:23:00+09:00),
                 where the site shows it; the capture's date-time is in `capture`
    chapter, section   position in a series (memoir chapter 21, section 6), numbers
    site_section the reposting site's own navigation label ("Weapons of Mass Destruction (WMD)")
    paragraphs   the body, one string per paragraph, after all repairs
    flags        e.g. "truncated"
    repairs      Repair records, in rule order
    spans        where the repairs changed the served text (Span as a list): with them, the text as the
                 site served it is regenerated exactly (served_paragraphs)
    extra        site-specific metadata (board, post_id, poster, comment_count, ...)
    capture      provenance of the capture it came from (Capture.provenance()), None for `kcorpus clean`
    """

    id: str
    site: str
    source_url: str
    title: str
    date: str | None = None
    posted_at: str | None = None
    place: str | None = None
    agency: str | None = None
    distributor: str | None = None
    author: str | None = None
    series: str | None = None
    chapter: int | None = None
    section: int | None = None
    site_section: str | None = None
    lang: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    spans: list[list] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    capture: dict[str, Any] | None = None
    cleaner_version: str = ""

    @property
    def text(self) -> str:
        """The body as plain text, paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    def served_title(self) -> str:
        """The headline as the site served it, before any repair."""
        return served_text(self.title, [Span(*s) for s in self.spans if s[0] == "title"])

    def served_paragraphs(self) -> list[str]:
        """The body as the site served it (the extraction before repairs), paragraph by paragraph."""
        by_index: dict[int, list[Span]] = {}
        for span in self.spans:
            if span[0] == "body":
                by_index.setdefault(span[1], []).append(Span(*span))
        text = SERVED_BREAK.join(served_text(p, by_index.get(i, [])) for i, p in enumerate(self.paragraphs))
        return text.split(SERVED_BREAK) if self.paragraphs else []

    def text_sha256(self) -> str:
        """Digest of title + body: equal digests mean equal text for the audit."""
        return hashlib.sha256((self.title + "\n\n" + self.text).encode("utf-8")).hexdigest()

    def public_dict(self) -> dict[str, Any]:
        """The `kcorpus clean --format json` view: PUBLIC_KEYS only, in order."""
        full = self.to_dict()
        return {key: full[key] for key in PUBLIC_KEYS}

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain data, lists and dicts copied (the caller may change them freely): what
        dataclasses.asdict gives, without its deepcopy of every leaf (12% of cleaning's CPU)."""
        return {f.name: _plain_copy(getattr(self, f.name)) for f in fields(self)}

    def fields_for_json(self) -> dict[str, Any]:
        """Every field in order, the document's own values (not copies): what json.dumps(to_dict()) writes,
        byte for byte, without copying every list and dict first (a third of writing a record of an
        unchanged document in a daily release). Only for serialising: the values must not be changed."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.fields_for_json(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Document":
        known = _FIELD_NAMES.get(cls) or _FIELD_NAMES.setdefault(cls, frozenset(f.name for f in fields(cls)))
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json_bytes(cls, data: bytes) -> "Document":
        """A stored document file's bytes (UTF-8 JSON) as a Document: what json.loads(data.decode()) reads,
        parsed by orjson (~2× faster: a daily release reads every stored document three times). What orjson
        refuses and Python's json accepts (a lone surrogate escape, NaN, an integer past 64 bits) falls back
        to json, so both read the same files alike; invalid UTF-8 still raises UnicodeDecodeError."""
        try:
            return cls.from_dict(orjson.loads(data))
        except orjson.JSONDecodeError:
            return cls.from_dict(json.loads(data.decode("utf-8")))


def _plain_copy(value: Any) -> Any:
    """A copy of JSON-like data (lists, dicts, tuples of str, numbers, None), as asdict would make it."""
    if isinstance(value, list):
        return [_plain_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, tuple):
        items = [_plain_copy(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    import copy
    return copy.deepcopy(value)
