"""Document: the cleaned, citable form of one article, with its provenance and repair log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypedDict


class Repair(TypedDict, total=False):
    """One repair rule's record on one document (cleaners.repairs.RepairLog writes these, in rule order).

    rule      the rule's name, e.g. "backslash-space"
    where     the field it touched: "title", "body", a metadata field
    count     how many times it fired there
    examples  up to a few [before, after] pairs, as found in the text
    detail    optional counts per variant, e.g. {"\\and": 123, "\\union": 64}
    """

    rule: str
    where: str
    count: int
    examples: list[list[str]]
    detail: dict[str, int]


# The JSON keys `kcorpus clean` prints, in order (the cleaners issue fixes this contract).
PUBLIC_KEYS = ("id", "site", "source_url", "title", "date", "place", "agency", "distributor",
               "author", "series", "chapter", "section", "lang", "paragraphs", "flags", "repairs")


@dataclass
class Document:
    """One cleaned article.

    id           stable across releases: "<site>-<local id from the URL>", e.g. kancc-heigo-504
    date         ISO 8601: a date (2010-09-14) or a date-time with offset (2020-09-18T19:23:00+09:00)
    chapter, section   position in a series (memoir chapter 21, section 6); for KCNA `section` is the
                 site's section label
    paragraphs   the body, one string per paragraph, after all repairs
    flags        e.g. "truncated"
    repairs      Repair records, in rule order
    extra        site-specific metadata (board, post_id, poster, comment_count, ...)
    capture      provenance of the capture it came from (Capture.provenance()), None for `kcorpus clean`
    """

    id: str
    site: str
    source_url: str
    title: str
    date: str | None = None
    place: str | None = None
    agency: str | None = None
    distributor: str | None = None
    author: str | None = None
    series: str | None = None
    chapter: int | None = None
    section: str | None = None
    lang: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    capture: dict[str, Any] | None = None
    cleaner_version: str = ""

    @property
    def text(self) -> str:
        """The body as plain text, paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    def text_sha256(self) -> str:
        """Digest of title + body: equal digests mean equal text for the audit."""
        return hashlib.sha256((self.title + "\n\n" + self.text).encode("utf-8")).hexdigest()

    def public_dict(self) -> dict[str, Any]:
        """The `kcorpus clean --format json` view: PUBLIC_KEYS only, in order."""
        full = asdict(self)
        return {key: full[key] for key in PUBLIC_KEYS}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Document":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
