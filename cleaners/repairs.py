"""Text repairs: small, documented rules applied in a fixed order, each one logged (after ftfy's FIXERS).

Every rule is a `Rule` in `RULES`. Its `fix(text)` is a plain `str -> str` function; the runner
(`repair_text`) applies the rules in order and records, for each rule that changed something,
`{rule, count, examples: [[before, after], ...], where, detail}` — so a TEI header can say exactly
what was changed, and nothing is rewritten silently. `where` is "title" or "body"; `detail` tallies
backslash repairs per word ("\\and": 123).

Order (stable names, used in logs and TEI):
  per string (title, each paragraph), repeated until nothing changes:
    html-entity      entities left after parsing, however many times escaped ("&amp;rsquo;")
    legacy-cjk-cp1252  GBK or EUC-KR text read as windows-1252, the whole string (cleaners/legacy.py)
    legacy-cjk       EUC-KR/CP949, GBK or KPS 9566 text read as Latin-1 ("¡°" -> "“", cleaners/legacy.py)
    ftfy             mojibake (UTF-8 read as windows-1252/Latin-1), ftfy with an explicit config
    form-feed-from   "\\from" whose "\\f" became a form feed: "way\\x0crom" -> "way from"
    control-char     other control characters -> a space
    zero-width       zero-width spaces, joiners, BOMs, soft hyphens removed
    nbsp             no-break and narrow spaces -> a space
    print-hyphen     "cir-cumstances" -> "circumstances" (joined form a word, not a compound)
    backslash-space  "workers\\and" -> "workers and", case restored ("meat.\\and" -> "meat. And",
                     "Soviet\\union" -> "Soviet Union" from proper_names.toml)
    rom-from         "rom" standing for "from" ("From" at a sentence start)
    rom-glued        "wayrom" (the form feed dropped) -> "way from"
    footnote-mark    a footnote number stuck to a name: "Yun Kwan5" -> "Yun Kwan" (the number is logged)
    whitespace       runs of spaces collapsed, ends trimmed
  per body (repair_paragraphs): paragraph-rejoin (a paragraph broken where a printed page ended),
  then the per-string rules, then again until stable; the `truncated` flag.
  Recorded elsewhere: charset (cleaners.decode), control-char on the raw page and chrome-line
  (cleaners.page / cleaners.extract), heading-line (the post's repeated subject/section heading),
  meta-line (a source or date line), template-line (cleaners.template), end-mark (cleaners.kcna).

Where the rules live: cleaners.encoding_rules (characters: mojibake, legacy tables, entities, controls,
invisible and no-break spaces), cleaners.word_rules (words: backslashes, "rom", print hyphens, footnote
marks, spaces), cleaners.paragraphs (across paragraphs); cleaners.repairlog holds Rule and RepairLog.
This module orders and runs them.

The corruption these rules undo was seen on the KANCC board (GNUBoard) reposting *With the Century*
and on GlobalSecurity.org's KCNA reposts; see ../shared/seeds and tests/cases/repairs.json.
"""

from __future__ import annotations

import re
from typing import Callable

from cleaners.encoding_rules import (BADNESS_ANCHORS, CONTROL, ENTITY, FTFY_CONFIG, FULLWIDTH_DIGITS,  # noqa: F401
                                     NBSP, ZERO_WIDTH, _control_char, _fullwidth_digits, ftfy_could_change,
                                     _legacy_cjk, _nbsp, _unescape_entity, _zero_width, fix_cp1252_cjk,
                                     fix_mojibake)
from cleaners.paragraphs import drop_blank, looks_truncated, rejoin_tracked
from cleaners import repairlog
from cleaners.repairlog import (CONTEXT, RepairLog, Rule, _differences, _first_difference,  # noqa: F401
                                splice)
from cleaners.tracked import Tracked
from cleaners.word_rules import (BACKSLASH, FOOTNOTE_MARK, GLUED_ROM, NAMES_FILE, PRINT_HYPHEN,  # noqa: F401
                                 PROPER_NAMES, ROM, SPACES, _backslash_space, _footnote_mark, _form_feed_from,
                                 _glued_rom, _print_hyphen, _rom_from, _whitespace, proper_form)


# --- the rules, in the order they run ----------------------------------------------------------


def _non_ascii(text: str) -> bool:
    """Whether a pattern of non-ASCII characters only (Latin-1 runs, zero-width and no-break spaces) can
    match: never in ASCII text, which CPython knows without a scan (str.isascii() is O(1))."""
    return not text.isascii()


def _containing(literal: str) -> Callable[[str], bool]:
    """A rule's precondition: its pattern matches only text containing `literal` (a C substring search)."""
    return lambda text: literal in text


def _searching(pattern: str) -> Callable[[str], bool]:
    """A rule's precondition as a pattern that starts with a literal (the regex engine jumps from one
    occurrence of it to the next, where the rule's own pattern, starting with a lookbehind or a class,
    tries every position): it must match wherever the rule's pattern does."""
    compiled = re.compile(pattern)
    return lambda text: compiled.search(text) is not None


def _has_control(text: str) -> bool:
    """The control-char pattern matches only category Cc characters, none of which is printable: a
    printable text (str.isprintable, one pass in C) has none."""
    return not text.isprintable()


def _has_space_run(text: str) -> bool:
    """The whitespace pattern matches only a tab, two spaces, or a space at the start or end of a line."""
    return ("\t" in text or "  " in text or text.startswith(" ") or text.endswith(" ")
            or " \n" in text or "\n " in text)


RULES: list[Rule] = [
    Rule("html-entity", "HTML entities left over after parsing", _unescape_entity, ENTITY,
         could_match=_containing("&")),
    Rule("legacy-cjk-cp1252", "GBK or EUC-KR/CP949 text read as windows-1252, the whole string",
         fix_whole=fix_cp1252_cjk),
    Rule("legacy-cjk", "EUC-KR/CP949, GBK or KPS 9566 text read as Latin-1", _legacy_cjk,
         re.compile("[\u00a1-\u00fe]{2,}"), could_match=_non_ascii),
    Rule("ftfy", "mojibake repaired by ftfy (explicit config)", fix_whole=fix_mojibake),
    Rule("form-feed-from", "a form feed standing for the f of \\from", _form_feed_from, re.compile("\x0c(?=rom\\b)"),
         could_match=_containing("\x0c")),
    Rule("control-char", "control characters", _control_char, CONTROL, could_match=_has_control),
    Rule("zero-width", "zero-width characters and soft hyphens", _zero_width, ZERO_WIDTH, could_match=_non_ascii),
    Rule("nbsp", "no-break spaces", _nbsp, NBSP, could_match=_non_ascii),
    Rule("fullwidth-digit", "full-width digits (\"８０th\") in Latin text", _fullwidth_digits, FULLWIDTH_DIGITS,
         could_match=_non_ascii),
    Rule("print-hyphen", "a word split by a print hyphen", _print_hyphen, PRINT_HYPHEN,
         could_match=_searching(r"-(?<=[a-z]-) ?[a-z]")),  # a lower-case letter, "-", maybe a space, a letter
    Rule("backslash-space", "a backslash standing for a space before a word", _backslash_space, BACKSLASH,
         could_match=_containing("\\")),
    Rule("rom-from", "\"rom\" standing for \"from\"", _rom_from, ROM,
         could_match=_searching("rom(?<![^\\s“\"‘(\\[—–]rom)")),  # ROM's own lookbehind, after the literal
    Rule("rom-glued", "\"rom\" glued to the word before (\"wayrom\")", _glued_rom, GLUED_ROM,
         could_match=_searching(r"rom\b(?<=[a-z]{3}rom)")),  # three lower-case letters, then "rom" ends a word
    Rule("footnote-mark", "a footnote number stuck to a name (\"Yun Kwan5\")", _footnote_mark, FOOTNOTE_MARK,
         could_match=_searching(r"\d(?<=[a-z]\d)")),  # a name ends in a lower-case letter, the digit follows
    Rule("whitespace", "runs of spaces collapsed, lines trimmed", _whitespace, SPACES, could_match=_has_space_run),
]
RULES_BY_NAME = {rule.name: rule for rule in RULES}


MAX_PASSES = 3  # one pass almost always suffices; a repair can uncover another ("\xa0â€œ" -> " â€œ" -> "“")


def repair_text(text: str, log: RepairLog | None = None, where: str = "body") -> str:
    """Apply every rule, in order, to one string (a title or a paragraph), repeating the whole table
    until nothing changes (at most MAX_PASSES times), so that cleaning clean text changes nothing."""
    return repair_tracked(Tracked(text), log, where).text


def repair_tracked(tracked: Tracked, log: RepairLog | None = None, where: str = "body") -> Tracked:
    """repair_text on a Tracked string: each rule's edits are recorded where they were made (in place).

    A rule is a pure function of the text: one that found nothing in a text finds nothing in it again.
    So a pass after the first re-runs only the rules whose input changed since they last found nothing:
    the rules after the last one that fired see the text they already passed, and are skipped — the
    same edits and the same records as running the whole table again, at a fraction of the cost."""
    passed: dict[int, str] = {}  # rule index -> the text it last found nothing to do in
    for _ in range(MAX_PASSES):
        before = tracked.text
        text = before
        for index, rule in enumerate(RULES):
            if passed.get(index) == text:
                continue
            edits = rule.edits(text, log, where)
            if edits:
                tracked.apply_edits(edits, rule.name)
                text = splice(text, edits)
            else:
                passed[index] = text
        if text == before:
            break
    return tracked


# Repairs recorded outside the rule table, by the stage that makes them: name -> what they undo.
OTHER_REPAIRS = {
    "charset": "a page decoded with another charset than it declared (the bytes are not the declared one)",
    "chrome-line": "a line of site chrome (banner, newsletter box, share buttons) dropped by its text",
    "heading-line": "the post's repeated subject or section heading, moved out of the text into metadata",
    "template-line": "a line the site repeats on many of its pages (its template, learned from the crawl), dropped",
    "paragraph-rejoin": "a paragraph broken where a printed page ended, joined again",
    "blank-paragraph": "a paragraph holding only spaces (e.g. &nbsp; indents), dropped",
}


def describe(rule: str) -> str:
    """What a repair rule undoes, in one line (for the TEI header's taxonomy and the codebook)."""
    found = RULES_BY_NAME.get(rule)
    return found.description if found else OTHER_REPAIRS.get(rule, f"repair rule {rule}")


repairlog.DESCRIBE[0] = describe   # the log below names rules through this table


# --- paragraph-level rules -----------------------------------------------------------------------


def repair_paragraphs(paragraphs: list[str], log: RepairLog | None = None,
                      where: str = "body") -> tuple[list[str], list[str]]:
    """Repair every paragraph, re-join broken ones, flag truncation. Returns (paragraphs, flags)."""
    tracked, flags = repair_paragraphs_tracked([Tracked(p) for p in paragraphs], log, where)
    return [t.text for t in tracked], flags


def repair_paragraphs_tracked(paragraphs: list[Tracked], log: RepairLog | None = None,
                              where: str = "body") -> tuple[list[Tracked], list[str]]:
    """repair_paragraphs on Tracked paragraphs: every change, including joins and drops, is kept."""
    # Structure first: a sentence broken across a page end is one string before words are repaired
    # ("...obtained food rom" / "the people..." is only recognisably "rom the" once joined); then again
    # after, as repairs change lengths and endings, until nothing changes (cleaning clean text must
    # change nothing).
    repaired = drop_blank(list(paragraphs), log, where)
    settled: set[str] = set()  # outputs of repair_text: already fixpoints, no need to run the table again
    for _ in range(MAX_PASSES):
        before = [t.text for t in repaired]
        joined = rejoin_tracked(repaired, log, where)
        repaired = [t if t.text in settled else repair_tracked(t, log, where) for t in joined]
        repaired = drop_blank(repaired, log, where)
        settled.update(t.text for t in repaired)
        if [t.text for t in repaired] == before:
            break
    texts = [t.text for t in repaired]
    if len(texts) == 1 and not texts[0].strip():
        repaired, texts = [], []
    flags = ["truncated"] if looks_truncated(texts) else []
    return repaired, flags
