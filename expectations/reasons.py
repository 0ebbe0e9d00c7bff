"""Quarantine reasons a researcher understands: which check failed, in words, and where in the document.

GX names an expectation by its class and column (`expect_column_values_to_not_match_regex(text)`), the
same name for three different residue checks. `check_words` says what each declared check means;
`explain` says why one document failed it: the field, the paragraph, the character offset and the
offending snippet (`before`, `match`, `after`, so a report can highlight the match).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from expectations.suite import BACKSLASH_RESIDUE, CONTROL_CHARS, ROM_RESIDUE

SNIPPET_CONTEXT = 60   # characters shown on each side of an offending match

_RESIDUE_WORDS = {
    BACKSLASH_RESIDUE: ("backslash-residue", "a backslash stands right before a letter: the site's "
                        "backslash-for-space corruption (Soviet\\union) survived cleaning"),
    ROM_RESIDUE: ("rom-residue", "a standalone 'rom' survived cleaning: the site's corruption of 'from'"),
    CONTROL_CHARS: ("control-character", "an invisible control character is in the text"),
}


@dataclass(frozen=True)
class Reason:
    """Why one document failed one check."""

    check: str             # short, stable name, e.g. "backslash-residue"
    words: str             # what the check wants, in words
    where: str = ""        # e.g. "paragraph 3, character 120", "title", "date"
    before: str = ""       # snippet around the offending text: before + match + after
    match: str = ""
    after: str = ""

    @property
    def sentence(self) -> str:
        """One line: the reason, where, and the offending text."""
        found = f": …{self.before}[{self.match}]{self.after}…" if self.match else ""
        return f"{self.words}" + (f" ({self.where})" if self.where else "") + found


def check_words(spec_type: str, kwargs: dict) -> tuple[str, str]:
    """(short name, words) of one declared check, from its GX class name (snake or Camel) and kwargs.

    >>> check_words("expect_column_values_to_not_match_regex", {"column": "text", "regex": ROM_RESIDUE})[0]
    'rom-residue'
    """
    kind = re.sub(r"(?<!^)(?=[A-Z])", "_", spec_type).lower()
    column = kwargs.get("column", "")
    if kind.endswith("not_match_regex") and column == "text":
        regex = kwargs.get("regex", "")
        if regex in _RESIDUE_WORDS:
            return _RESIDUE_WORDS[regex]
        return ("site-chrome", "a piece of the site's page chrome (navigation, banners, footers, read from the "
                               "site profile) is in the text: extraction kept part of the page around the article")
    words = {
        ("be_unique", "id"): ("unique-id", "another document in the batch has the same id"),
        ("match_regex", "id"): ("id-form", "the id is not a stable kcorpus id (site-localid, lower case)"),
        ("be_in_set", "site"): ("known-site", "the site is not one kcorpus has a profile for"),
        ("be_in_set", "url_on_site_host"): ("url-on-site", "the source URL is not on the site's own host"),
        ("be_in_set", "lang"): ("language", "the language is not English (en) or Korean (ko)"),
        ("be_in_set", "looks_mojibake"): ("mojibake", "the text looks like mojibake (ftfy's is_bad): "
                                                      "characters decoded with the wrong encoding"),
        ("lengths_to_be_between", "title"): ("title-present", "the title is empty"),
        ("lengths_to_be_between", "body"): ("body-present", "the body is empty"),
        ("be_between", "paragraph_count"): ("paragraphs", "the body has no paragraph"),
        ("not_be_null", "published"): ("date-present", "no publication date could be read"),
        ("be_between", "published"): ("date-range", "the publication date is before 1945-01-01 or in the future"),
        ("be_between", "body_chars"): ("body-length", "the body's length is outside the site's bounds "
                                                      f"({kwargs.get('min_value')}–{kwargs.get('max_value')} characters)"),
        ("be_between", "count_drop_share"): ("count-drop", "the site's document count fell too far below the "
                                                           "previous release"),
        ("be_between", "quarantine_share"): ("quarantine-share", "too many of the site's documents were quarantined"),
    }
    for (suffix, col), named in words.items():
        if column == col and kind.endswith(suffix):
            return named
    return (kind.removeprefix("expect_column_"), f"{kind.replace('_', ' ')} ({column})")


def locate(regex: str, title: str, paragraphs: list[str]) -> tuple[str, str, str, str] | None:
    """The first match of `regex` in the title or the paragraphs: (where, before, match, after).

    >>> locate(r"\\\\(?:[A-Za-z])", "A title", ["Clean.", "the Soviet\\\\union and"])
    ('paragraph 2, character 10', 'the Soviet', '\\\\u', 'nion and')
    """
    pattern = re.compile(regex)
    for where, text in [("title", title)] + [(f"paragraph {i}", p) for i, p in enumerate(paragraphs, 1)]:
        found = pattern.search(text)
        if found:
            start, end = found.span()
            if regex == ROM_RESIDUE:  # the match holds the separators around the word: highlight the word
                start, end = text.index("rom", start), text.index("rom", start) + 3
            return (f"{where}, character {start}", text[max(0, start - SNIPPET_CONTEXT):start], text[start:end],
                    text[end:end + SNIPPET_CONTEXT])
    return None


def explain(spec_type: str, kwargs: dict, row: dict) -> Reason:
    """Why the document in `row` (expectations.suite.document_row) failed the check (spec_type, kwargs)."""
    check, words = check_words(spec_type, kwargs)
    column = kwargs.get("column", "")
    if "regex" in kwargs and column == "text":
        located = locate(kwargs["regex"], row.get("title", ""), row.get("paragraphs") or row.get("body", "").split("\n\n"))
        if located:
            return Reason(check, words, *located)
        return Reason(check, words, "text")
    if column == "body_chars":
        return Reason(check, words, f"body, {row.get('body_chars')} characters")
    if column in ("published", "date"):
        return Reason(check, words, f"date {row.get('date')!r}" if row.get("date") else "date")
    if column == "lang":
        return Reason(check, words, f"lang {row.get('lang')!r}")
    if column in ("id", "site", "url_on_site_host"):
        value = row.get("source_url") if column == "url_on_site_host" else row.get(column)
        return Reason(check, words, f"{'source URL' if column == 'url_on_site_host' else column} {value!r}")
    return Reason(check, words, column)
