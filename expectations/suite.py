"""The quality gate's rules: which columns each document row carries and what is expected of them.

Declared in code, reviewed like code. `document_expectations` and `batch_expectations` return plain
specs (type, kwargs); `expectations.gate` turns them into a Great Expectations suite. The chrome
strings come from the site profiles, so the check and the cleaner can never drift apart.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from core.document import Document
from core.ids import ID_PATTERN
from core.profiles import Profile, builtin_profiles

GENERIC_SITE = "web"  # documents from hosts without a profile (trafilatura fallback)
# Corruption the cleaners repair must not survive them. Non-capturing groups only: a capturing
# group makes pandas warn on every run.
BACKSLASH_RESIDUE = r"\\(?:[A-Za-z])"
ROM_RESIDUE = r"(?:^|[^\w\\&'’-])rom\s"
CONTROL_CHARS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
DEFAULT_BODY_BOUNDS = (200, 200_000)


@dataclass(frozen=True)
class GateSettings:
    """Limits of the gate. Per-site body bounds come from a profile's [expectations] section."""

    max_count_drop: float = 0.5          # a site's documents may fall at most this share below the last release
    max_quarantine_share: float = 0.2    # at most this share of a site's documents quarantined
    earliest: date = date(1945, 1, 1)    # nothing kcorpus collects predates the DPRK's founding era
    body_bounds: dict[str, tuple[int, int]] = field(default_factory=dict)

    def bounds(self, profile: Profile) -> tuple[int, int]:
        if profile.name in self.body_bounds:
            return self.body_bounds[profile.name]
        spec = getattr(profile, "expectations", None) or {}
        return (int(spec.get("min_body_chars", DEFAULT_BODY_BOUNDS[0])),
                int(spec.get("max_body_chars", DEFAULT_BODY_BOUNDS[1])))


def known_sites() -> list[str]:
    return sorted(builtin_profiles()) + [GENERIC_SITE]


def _published(value: str | None) -> datetime | None:
    """The publication day as a datetime (time and offset dropped), None when missing or unparseable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value[:10])
    except ValueError:
        return None


def _on_site_host(doc: Document) -> bool:
    profile = builtin_profiles().get(doc.site)
    if profile is None:
        return doc.site == GENERIC_SITE and bool(urlsplit(doc.source_url).hostname)
    return profile.owns(doc.source_url)


def looks_mojibake(text: str) -> bool:
    """ftfy's own mojibake test (`is_bad`), skipped for ASCII-only text: every one of its patterns needs
    a non-ASCII character (mojibake is UTF-8 bytes decoded as a legacy charset, which yields accented
    letters, C1 controls, box drawing, currency signs ...), so ASCII text can never match — checked
    over every 3-character ASCII sequence (tests/test_expectations.py). Most paragraphs are ASCII, and
    `is_bad` was 99% of the gate's time per document.

    >>> looks_mojibake("The delegation left Pyongyang."), looks_mojibake("Kim Il Sungâ€™s birthday")
    (False, True)
    """
    if text.isascii():
        return False
    from ftfy.badness import is_bad

    return is_bad(text)


def document_row(doc: Document) -> dict:
    """One row of the batch table: the document's fields plus the derived columns the suite checks."""
    body = "\n\n".join(doc.paragraphs)
    return {
        "id": doc.id, "site": doc.site, "source_url": doc.source_url, "title": doc.title or "",
        "body": body, "text": (doc.title or "") + "\n" + body, "body_chars": len(body),
        "paragraph_count": len(doc.paragraphs), "lang": doc.lang, "date": doc.date,
        "published": _published(doc.date), "url_on_site_host": _on_site_host(doc),
        "looks_mojibake": looks_mojibake(doc.title or "") or any(map(looks_mojibake, doc.paragraphs)),
    }


def row_digest(doc: Document) -> str:
    """A digest of exactly what `document_row` reads of a document: two documents with the same digest get
    the same row, so the same verdict from the same suite."""
    parts = [doc.id, doc.site, doc.source_url, doc.title or "", doc.lang or "", doc.date or "", *doc.paragraphs]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def suite_digest(settings: GateSettings) -> str:
    """What a document's verdict depends on besides its row: the declared checks (their regexes, bounds,
    the sites' chrome strings), the code that derives the row, and the Great Expectations version. The
    day's upper bound on `published` is left out: a date that was not in the future yesterday is not
    today either, so a pass stays a pass as days go by."""
    from importlib.metadata import version
    from pathlib import Path

    specs = document_expectations(date(9999, 12, 31), settings)
    this_module = Path(__file__).read_bytes()
    return hashlib.sha256(repr(specs).encode() + this_module + version("great_expectations").encode()).hexdigest()


def document_expectations(today: date, settings: GateSettings) -> list[tuple[str, dict]]:
    """(expectation class name, kwargs) for the per-document suite."""
    specs: list[tuple[str, dict]] = [
        ("ExpectColumnValuesToBeUnique", {"column": "id"}),
        ("ExpectColumnValuesToMatchRegex", {"column": "id", "regex": ID_PATTERN.pattern}),
        ("ExpectColumnValuesToBeInSet", {"column": "site", "value_set": known_sites()}),
        ("ExpectColumnValuesToBeInSet", {"column": "url_on_site_host", "value_set": [True]}),
        ("ExpectColumnValueLengthsToBeBetween", {"column": "title", "min_value": 1}),
        ("ExpectColumnValueLengthsToBeBetween", {"column": "body", "min_value": 1}),
        ("ExpectColumnValuesToBeBetween", {"column": "paragraph_count", "min_value": 1}),
        ("ExpectColumnValuesToNotBeNull", {"column": "published"}),
        ("ExpectColumnValuesToBeBetween", {"column": "published",
                                           "min_value": datetime.combine(settings.earliest, datetime.min.time()),
                                           "max_value": datetime.combine(today, datetime.min.time())}),
        ("ExpectColumnValuesToBeInSet", {"column": "lang", "value_set": ["en", "ko"]}),
        ("ExpectColumnValuesToNotMatchRegex", {"column": "text", "regex": BACKSLASH_RESIDUE}),
        ("ExpectColumnValuesToNotMatchRegex", {"column": "text", "regex": ROM_RESIDUE}),
        ("ExpectColumnValuesToNotMatchRegex", {"column": "text", "regex": CONTROL_CHARS}),
        ("ExpectColumnValuesToBeInSet", {"column": "looks_mojibake", "value_set": [False]}),
    ]
    from great_expectations.expectations.row_conditions import Column

    for profile in builtin_profiles().values():
        condition = {"row_condition": Column("site") == profile.name}
        low, high = settings.bounds(profile)
        specs.append(("ExpectColumnValuesToBeBetween",
                      {"column": "body_chars", "min_value": low, "max_value": high, **condition}))
        if profile.chrome_strings:
            chrome = "(?:" + "|".join(re.escape(s) for s in profile.chrome_strings) + ")"
            specs.append(("ExpectColumnValuesToNotMatchRegex", {"column": "text", "regex": chrome, **condition}))
    return specs


# Outcomes of a site's last crawl that let it be released ("not crawled": released before, no crawl since).
RELEASABLE_CRAWLS = ("ok", "partial", "not crawled")


def batch_expectations(settings: GateSettings) -> list[tuple[str, dict]]:
    """(expectation class name, kwargs) for the per-site batch suite (one row per site)."""
    return [
        ("ExpectColumnValuesToBeBetween", {"column": "count_drop_share", "max_value": settings.max_count_drop}),
        ("ExpectColumnValuesToBeBetween", {"column": "quarantine_share", "max_value": settings.max_quarantine_share}),
        # No empty release: every site crawled or released before must have documents to release, a
        # first release included (an outage once wrote an immutable empty release and exited 0).
        ("ExpectColumnValuesToBeBetween", {"column": "to_release", "min_value": 1}),
        # A site whose last crawl could not reach it, or whose layout changed, is not released from
        # what that crawl left behind; a partial crawl may not lose any document at all.
        ("ExpectColumnValuesToBeInSet", {"column": "last_crawl", "value_set": list(RELEASABLE_CRAWLS)}),
        ("ExpectColumnValuesToBeBetween", {"column": "count_drop_after_partial", "max_value": 0.0}),
    ]


def describe(spec_type: str, kwargs: dict) -> str:
    """A stable, readable name for one expectation, e.g. "expect_column_values_to_not_match_regex(text) [kancc]"."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", spec_type).lower()
    # the condition is an object when declared, a dict or string when read back from a result
    site = re.search(r"""parameter['"]?\s*[:=]\s*['"]([^'"]+)|site\s*==\s*["']([^"']+)""",
                     str(kwargs.get("row_condition") or ""))
    return f"{snake}({kwargs.get('column', '')})" + (f" [{site.group(1) or site.group(2)}]" if site else "")
