"""Repairs of characters: what a wrong reading of the bytes or a careless editor left in the text (mojibake
fixed by ftfy, legacy CJK tables read as Latin-1 or windows-1252, entities, control, zero-width and no-break
characters). Each fix is a rule of cleaners.repairs."""

from __future__ import annotations

import html
import re
from functools import lru_cache

try:  # CPython's own pattern parser and node names (private), for badness_anchors; without them
    import re._constants as _pattern_nodes  # is_bad simply always runs
    import re._parser as _pattern_parser
except ImportError:
    _pattern_nodes = _pattern_parser = None

import ftfy
import ftfy.badness

# ftfy with an explicit configuration: undo mojibake (UTF-8 read as windows-1252, etc.), but keep
# typographic quotes, Korean text and line structure exactly as they are; entities, control
# characters and spaces have rules of their own below so each is logged by name.
FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False, remove_terminal_escapes=True, fix_encoding=True, restore_byte_a0=True,
    replace_lossy_sequences=True, decode_inconsistent_utf8=True, fix_c1_controls=True,
    fix_latin_ligatures=False, fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False,
    fix_surrogates=True, remove_control_chars=False, normalization=None, explain=False)


def fix_mojibake(text: str) -> str:
    """Mojibake: UTF-8 bytes decoded as windows-1252 or Latin-1 (GlobalSecurity pages that declare
    iso-8859-1 while holding UTF-8), repaired by ftfy.

    >>> fix_mojibake("the â€œway of revolutionary struggleâ€\x9d")
    'the “way of revolutionary struggle”'
    >>> fix_mojibake("Let Us Defend the Soviet Union with Arms! 《세기와 더불어》")
    'Let Us Defend the Soviet Union with Arms! 《세기와 더불어》'
    """
    if not ftfy_could_change(text):
        return text
    return ftfy.fix_text(text, config=FTFY_CONFIG)


# What FTFY_CONFIG touches besides mojibake: terminal escapes (ESC), C1 controls, surrogates.
FTFY_OWN_CHARACTERS = re.compile("[\x1b\x80-\x9f\ud800-\udfff]")


def ftfy_could_change(text: str) -> bool:
    """False when ftfy (6.x, FTFY_CONFIG) provably returns `text` unchanged, judged without running it.

    ASCII text has no mojibake, and of what the configuration touches only an ANSI escape (ESC "[") is
    ASCII: no ESC, nothing to do (str.isascii() is O(1)). A line of other text (fix_text works line by
    line; no newline means one segment): its encoding fix runs only when ftfy's own `is_bad` finds
    mojibake, and its other fixes only on an ESC, a C1 control or a surrogate. Skipping ftfy's machinery
    for everything else halves the rule table's time on clean text."""
    if text.isascii():
        return "\x1b" in text
    if "\n" in text or len(text) > FTFY_CONFIG.max_decode_length:
        return True
    if FTFY_OWN_CHARACTERS.search(text) is not None:
        return True
    return (BADNESS_ANCHORS is None or not BADNESS_ANCHORS.isdisjoint(text)) and ftfy.badness.is_bad(text)


def _set_of(op, av) -> set[str] | None:
    """The characters one node of a parsed pattern matches: a literal, or a class of literals and ranges
    (None for anything else: a negated class, a category such as \\w)."""
    if op is _pattern_nodes.LITERAL:
        return {chr(av)}
    if op is not _pattern_nodes.IN:
        return None
    found: set[str] = set()
    for item, value in av:
        if item is _pattern_nodes.LITERAL:
            found.add(chr(value))
        elif item is _pattern_nodes.RANGE:
            found.update(map(chr, range(value[0], value[1] + 1)))
        else:
            return None
    return found


def badness_anchors(pattern: re.Pattern) -> frozenset[str] | None:
    """Characters of which every match of `pattern` (ftfy's BADNESS_RE: 37 alternatives, each a
    sequence) holds at least one: from each alternative, one mandatory literal or class of non-ASCII
    characters (the one with the fewest common quotes and dashes). A text with none of them cannot
    match, so is_bad (a fifth of cleaning a page of Korean text or curly quotes) need not run. None
    when the pattern is not of that shape (another ftfy): then is_bad always runs."""
    common = set("‘’“”—–…")
    if _pattern_parser is None:
        return None
    try:
        tree = _pattern_parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # the parser is CPython's own, private: never let it stop the cleaner
        return None
    if pattern.flags & re.IGNORECASE or len(tree.data) != 1 or tree.data[0][0] is not _pattern_nodes.BRANCH:
        return None
    anchors: set[str] = set()
    for alternative in tree.data[0][1][1]:
        candidates = []
        for op, av in alternative.data:
            if op is _pattern_nodes.MAX_REPEAT and av[0] >= 1 and len(av[2].data) == 1:
                op, av = av[2].data[0]  # x+ or x{2,}: x is there at least once
            chars = _set_of(op, av)
            if chars and not any(c.isascii() for c in chars):
                candidates.append(chars)
        if not candidates:
            return None
        anchors |= min(candidates, key=lambda chars: (len(chars & common), len(chars)))
    return frozenset(anchors)


BADNESS_ANCHORS = badness_anchors(ftfy.badness.BADNESS_RE)


@lru_cache(maxsize=4096)
def _legacy_repair(text: str) -> dict[tuple[int, int], str]:
    """Where legacy CJK bytes read as Latin-1 stand in `text`: (start, end) -> the decoded run."""
    from cleaners.legacy import LATIN1_RUN, repair_latin1_cjk

    repaired, pairs, _ = repair_latin1_cjk(text)
    if not pairs:
        return {}
    spans, decoded = {}, dict(pairs)
    for m in LATIN1_RUN.finditer(text):
        if m.group(0) in decoded:
            spans[(m.start(), m.end())] = decoded[m.group(0)]
    return spans


def _legacy_cjk(m: re.Match) -> str | None:
    """EUC-KR / CP949, GBK or KPS 9566 text read as Latin-1: "¡°Song of Comradeship¡±" (“ and ” in
    EUC-KR), "Kim Il Sung¡¯s", whole Korean words ("±èÀϼº" 김일성). Decided per string, on certain
    evidence only (cleaners.legacy.repair_latin1_cjk): correct Latin-1 text is never touched.

    >>> from cleaners.repairs import RULES_BY_NAME
    >>> fix = RULES_BY_NAME["legacy-cjk"].fix
    >>> fix("the ¡°Song of Comradeship¡± and Kim Il Sung¡¯s works")
    'the “Song of Comradeship” and Kim Il Sung’s works'
    >>> fix("Grüße an Herrn Müller, ¡Él vino!")
    'Grüße an Herrn Müller, ¡Él vino!'
    """
    return _legacy_repair(m.string).get((m.start(), m.end()))


def fix_cp1252_cjk(text: str) -> str:
    """GBK or EUC-KR/CP949 text read as windows-1252 and saved so ("±±º«¿ìÔò12ÈÕ·¢Éä" is 北韩快则12日发射), a
    repost's mojibake whose second bytes fall outside Latin-1 (cleaners.legacy.repair_cp1252_cjk). Only a
    string made of such characters, decoding to common CJK text, changes.

    >>> fix_cp1252_cjk("±±º«¿ìÔò12ÈÕ·¢Éä¡°ÒøºÓ3ºÅ¡±¡£"), fix_cp1252_cjk("Müller’s café ¡Olé!")
    ('北韩快则12日发射“银河3号”。', 'Müller’s café ¡Olé!')
    """
    if text.isascii():  # O(1): most text of the corpus, nothing to do
        return text
    from cleaners.legacy import repair_cp1252_cjk

    return repair_cp1252_cjk(text)[0]


# An entity, possibly escaped more than once ("&amp;amp;rsquo;"): all layers go in one step, so a
# second cleaning finds nothing left to do.
ENTITY = re.compile(r"&(?:amp;)*(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _unescape_entity(m: re.Match) -> str | None:
    """An HTML entity left over after parsing (double-escaped source: "&amp;rsquo;" shows as "&rsquo;").

    >>> from cleaners.repairs import RULES_BY_NAME
    >>> RULES_BY_NAME["html-entity"].fix("the delegation&rsquo;s visit &amp; talks")
    'the delegation’s visit & talks'
    >>> RULES_BY_NAME["html-entity"].fix("AT&T; R&D")
    'AT&T; R&D'
    >>> RULES_BY_NAME["html-entity"].fix("Kim&amp;amp;rsquo;s")
    'Kim’s'
    """
    value = m.group(0)
    while "&" in value:
        unescaped = html.unescape(value)
        if unescaped == value:
            break
        value = unescaped
    return None if value == m.group(0) else value


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]+")


def _control_char(m: re.Match) -> str:
    """Control characters (including a stray form feed) have no place in text: a space.

    >>> from cleaners.repairs import RULES_BY_NAME
    >>> RULES_BY_NAME["control-char"].fix("Pyongyang\\x0c\\x07September")
    'Pyongyang September'
    """
    return " "


ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff\u00ad]")


def _zero_width(m: re.Match) -> str:
    """Zero-width spaces, word joiners, byte-order marks and soft hyphens pasted in from editors.

    >>> from cleaners.repairs import RULES_BY_NAME
    >>> RULES_BY_NAME["zero-width"].fix("Kim\\u200b Il Sung\\ufeff")
    'Kim Il Sung'
    """
    return ""


NBSP = re.compile("[\u00a0\u2007\u202f]")


def _nbsp(m: re.Match) -> str:
    """No-break spaces (the seed's one "Soviet\\xa0Union", the "Chapter\\xa021" of KANCC headings).

    >>> from cleaners.repairs import RULES_BY_NAME
    >>> RULES_BY_NAME["nbsp"].fix("Soviet\\u00a0Union")
    'Soviet Union'
    """
    return " "


FULLWIDTH_DIGITS = re.compile("[\uff10-\uff19]+")
_TO_ASCII_DIGITS = {0xFF10 + i: ord("0") + i for i in range(10)}


def _fullwidth_digits(m: re.Match) -> str:
    """Full-width digits from an East Asian input method in Latin text: Rodong Sinmun's English pages
    write "the ８０th anniversary". Read as ASCII digits, so dates and numbers match and search.

    >>> from cleaners.repairs import RULES_BY_NAME
    >>> RULES_BY_NAME["fullwidth-digit"].fix("the ８０th anniversary")
    'the 80th anniversary'
    """
    return m.group().translate(_TO_ASCII_DIGITS)
