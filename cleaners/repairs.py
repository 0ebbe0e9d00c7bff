"""Text repairs: small, documented rules applied in a fixed order, each one logged (after ftfy's FIXERS).

Every rule is a `Rule` in `RULES`. Its `fix(text)` is a plain `str -> str` function; the runner
(`repair_text`) applies the rules in order and records, for each rule that changed something,
`{rule, count, examples: [[before, after], ...], where, detail}` — so a TEI header can say exactly
what was changed, and nothing is rewritten silently. `where` is "title" or "body"; `detail` tallies
backslash repairs per word ("\\and": 123).

Order (stable names, used in logs and TEI):
  per string (title, each paragraph), repeated until nothing changes:
    html-entity      entities left after parsing, however many times escaped ("&amp;rsquo;")
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
  (cleaners.page / cleaners.extract), heading-line (the post's repeated subject/section heading).

The corruption these rules undo was seen on the KANCC board (GNUBoard) reposting *With the Century*
and on GlobalSecurity.org's KCNA reposts; see ../shared/seeds and tests/cases/repairs.json.
"""

from __future__ import annotations

import html
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

try:  # CPython's own pattern parser and node names (private), for badness_anchors; without them
    import re._constants as _pattern_nodes  # is_bad simply always runs
    import re._parser as _pattern_parser
except ImportError:
    _pattern_nodes = _pattern_parser = None

import ftfy
import ftfy.badness

from cleaners.tracked import Tracked, fold_into_neighbour, join_paragraphs

MAX_EXAMPLES = 5
CONTEXT = 12  # characters of context either side of a repaired span, in the log's examples


@lru_cache(maxsize=100_000)
def zipf(word: str) -> float:
    """English word frequency on wordfreq's Zipf scale (0 = not a word in its lists)."""
    from wordfreq import zipf_frequency
    return zipf_frequency(word, "en")


def is_word(word: str, floor: float = 1.0) -> bool:
    """True when `word` is an English word (wordfreq Zipf frequency at least `floor`)."""
    return zipf(word.lower()) >= floor


NAMES_FILE = Path(__file__).with_name("proper_names.toml")


def load_proper_names(path: Path = NAMES_FILE) -> tuple[str, ...]:
    """The declared proper-noun phrases (cleaners/proper_names.toml) used to restore lost capitals."""
    return tuple(tomllib.loads(path.read_text(encoding="utf-8"))["names"])


PROPER_NAMES = load_proper_names()


def _name_part(word: str) -> str:
    """A regex for one word of a name: ' and ’ alike (case is ignored by the caller)."""
    return "".join("['’]" if c in "'’" else re.escape(c) for c in word)


NameEntry = tuple[str, "re.Pattern | None", "re.Pattern | None"]
SEPARATOR = r"[\\\s]+"  # words of a name apart by spaces, or by a backslash not yet repaired


def _proper_name_index(names: tuple[str, ...]) -> dict[str, list[NameEntry]]:
    """For each lower-cased word of a multi-word name: (its proper form, a pattern for the words that
    must stand before it, a pattern for the words that must follow it; None when there are none)."""
    index: dict[str, list[NameEntry]] = {}
    for name in names:
        words = name.split()
        if len(words) < 2:
            continue  # a one-word name says nothing about the context of a repaired word
        for k, word in enumerate(words):
            before = SEPARATOR.join(_name_part(w) for w in words[:k])
            after = SEPARATOR.join(_name_part(w) for w in words[k + 1:])
            before_re = re.compile(rf"(?i)(?<![\w'’-]){before}[\\\s]*$") if before else None
            after_re = re.compile(rf"(?i){SEPARATOR}{after}(?![\w'’-])") if after else None
            index.setdefault(word.lower(), []).append((word, before_re, after_re))
    # longest names first: "Korean People's Revolutionary Army" is tried before "Red Army"
    for entries in index.values():
        entries.sort(key=lambda e: -sum(len(r.pattern) for r in e[1:] if r is not None))
    return index


_PROPER_INDEX = _proper_name_index(PROPER_NAMES)


def proper_form(word: str, before: str, after: str) -> str | None:
    """The word's casing inside a declared proper name standing around it, or None.

    >>> proper_form("union", "the Soviet", ", which"), proper_form("union", "the trade", " leaders")
    ('Union', None)
    >>> proper_form("party", "the Workers’", " of Korea"), proper_form("united", "the", "\\\\nations")
    ('Party', 'United')
    """
    for proper, before_re, after_re in _PROPER_INDEX.get(word.lower(), ()):
        if (before_re is None or before_re.search(before)) and (after_re is None or after_re.match(after)):
            return proper
    return None


SENTENCE_END = re.compile(r"(?:^|[.!?]['\"”’)]*\s*)$")


@dataclass
class Rule:
    """One repair: a name (stable identifier, used in logs and TEI), what it fixes, and how."""

    name: str
    description: str
    fix_match: Callable[[re.Match], str | None] | None = None
    pattern: re.Pattern | None = None
    fix_whole: Callable[[str], str] | None = None
    # A necessary condition for the pattern to match, far cheaper than scanning with it (a substring
    # test, or str.isascii(), which is O(1) in CPython): False means the rule has nothing to do here.
    could_match: Callable[[str], bool] | None = None

    def apply(self, text: str, log: "RepairLog | None" = None, where: str = "body") -> str:
        """Apply the rule; record each change in `log`."""
        return splice(text, self.edits(text, log, where))

    def edits(self, text: str, log: "RepairLog | None" = None, where: str = "body") -> list[tuple[int, int, str]]:
        """Where the rule changes `text`: (start, end, replacement) in text order, each one logged. A
        whole-text fixer (ftfy) is diffed against its input, so its repairs are located too."""
        if self.fix_whole is not None:
            fixed = self.fix_whole(text)
            if fixed == text:
                return []
            if log is not None:
                log.add(self.name, where, _first_difference(text, fixed))
            return _differences(text, fixed)

        found: list[tuple[int, int, str]] = []
        if self.could_match is not None and not self.could_match(text):
            return found
        for m in self.pattern.finditer(text):
            replacement = self.fix_match(m)
            if replacement is None or replacement == m.group(0):
                continue
            if log is not None:
                start, end = m.start(), m.end()
                before = text[max(0, start - CONTEXT):end + CONTEXT]
                after = text[max(0, start - CONTEXT):start] + replacement + text[end:end + CONTEXT]
                log.add(self.name, where, (before, after), key=_detail_key(self.name, m))
            found.append((m.start(), m.end(), replacement))
        return found

    def fix(self, text: str) -> str:
        """The rule as a plain `str -> str` function."""
        return self.apply(text)


def splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """`text` with the (start, end, replacement) edits made (non-overlapping, in text order)."""
    out, pos = [], 0
    for start, end, replacement in edits:
        out += [text[pos:start], replacement]
        pos = end
    return "".join(out) + text[pos:]


def _differences(before: str, after: str) -> list[tuple[int, int, str]]:
    """The edits that turn `before` into `after`, character-aligned (for whole-text fixers).

    >>> _differences("the â€œwayâ€\x9d", "the “way”")
    [(4, 7, '“'), (10, 13, '”')]
    """
    from difflib import SequenceMatcher

    matcher = SequenceMatcher(None, before, after, autojunk=False)
    return [(i1, i2, after[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]


def _detail_key(rule: str, m: re.Match) -> str | None:
    """What to tally a repair under, for rules where the per-word figures matter (\\and: 123 ...)."""
    if rule == "backslash-space":
        return "\\" + m.group("word").lower()
    return None


def _first_difference(before: str, after: str) -> tuple[str, str]:
    """A short [before, after] pair around the first place two texts differ."""
    start = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
    tail = 0
    while tail < min(len(before), len(after)) - start and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    lo = max(0, start - CONTEXT)
    return before[lo:len(before) - tail + CONTEXT], after[lo:len(after) - tail + CONTEXT]


@dataclass
class RepairLog:
    """The repairs made to one document, in rule order: what a TEI header and a researcher read."""

    entries: dict[tuple[str, str], dict] = field(default_factory=dict)

    def add(self, rule: str, where: str, example: tuple[str, str], key: str | None = None, count: int = 1) -> None:
        entry = self.entries.setdefault((rule, where), {"rule": rule, "description": describe(rule), "where": where,
                                                        "count": 0, "examples": []})
        entry["count"] += count
        if len(entry["examples"]) < MAX_EXAMPLES:
            entry["examples"].append([example[0], example[1]])
        if key is not None:
            detail = entry.setdefault("detail", {})
            detail[key] = detail.get(key, 0) + count

    def as_list(self) -> list[dict]:
        return list(self.entries.values())


# --- the rules, in the order they run ----------------------------------------------------------

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

    >>> fix = RULES_BY_NAME["legacy-cjk"].fix
    >>> fix("the ¡°Song of Comradeship¡± and Kim Il Sung¡¯s works")
    'the “Song of Comradeship” and Kim Il Sung’s works'
    >>> fix("Grüße an Herrn Müller, ¡Él vino!")
    'Grüße an Herrn Müller, ¡Él vino!'
    """
    return _legacy_repair(m.string).get((m.start(), m.end()))


# An entity, possibly escaped more than once ("&amp;amp;rsquo;"): all layers go in one step, so a
# second cleaning finds nothing left to do.
ENTITY = re.compile(r"&(?:amp;)*(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _unescape_entity(m: re.Match) -> str | None:
    """An HTML entity left over after parsing (double-escaped source: "&amp;rsquo;" shows as "&rsquo;").

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


def _form_feed_from(m: re.Match) -> str:
    """ "\\from" whose "\\f" became a form feed (U+000C): the form feed stands for " f", and for
    " F" where a sentence starts (the capital was lost with the backslash).

    >>> fix = RULES_BY_NAME["form-feed-from"].fix
    >>> fix("on our way\x0crom Nanhutou"), fix("a moral necessity.\x0crom the outset")
    ('on our way from Nanhutou', 'a moral necessity. From the outset')
    """
    before = m.string[m.string.rfind("\n", 0, m.start()) + 1:m.start()]
    return " F" if SENTENCE_END.search(before) else " f"


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]+")


def _control_char(m: re.Match) -> str:
    """Control characters (including a stray form feed) have no place in text: a space.

    >>> RULES_BY_NAME["control-char"].fix("Pyongyang\\x0c\\x07September")
    'Pyongyang September'
    """
    return " "


ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff\u00ad]")


def _zero_width(m: re.Match) -> str:
    """Zero-width spaces, word joiners, byte-order marks and soft hyphens pasted in from editors.

    >>> RULES_BY_NAME["zero-width"].fix("Kim\\u200b Il Sung\\ufeff")
    'Kim Il Sung'
    """
    return ""


NBSP = re.compile("[\u00a0\u2007\u202f]")


def _nbsp(m: re.Match) -> str:
    """No-break spaces (the seed's one "Soviet\\xa0Union", the "Chapter\\xa021" of KANCC headings).

    >>> RULES_BY_NAME["nbsp"].fix("Soviet\\u00a0Union")
    'Soviet Union'
    """
    return " "


FULLWIDTH_DIGITS = re.compile("[\uff10-\uff19]+")
_TO_ASCII_DIGITS = {0xFF10 + i: ord("0") + i for i in range(10)}


def _fullwidth_digits(m: re.Match) -> str:
    """Full-width digits from an East Asian input method in Latin text: Rodong Sinmun's English pages
    write "the ８０th anniversary". Read as ASCII digits, so dates and numbers match and search.

    >>> RULES_BY_NAME["fullwidth-digit"].fix("the ８０th anniversary")
    'the 80th anniversary'
    """
    return m.group().translate(_TO_ASCII_DIGITS)


# A backslash (or a doubled one, as in the KANCC <title>) standing where a space was, before a
# lower-case word: "workers\and peasants", "Soviet\union", "world,\and had". The word after it must
# be an English word; a path ("C:\Windows\system32"), an escape ("\n") or a capitalised or numeric
# segment is left alone.
BACKSLASH = re.compile(r"(?<=[^\s\\])\\{1,2}(?P<word>[a-z]{2,})\b")
PATH_PREFIX = re.compile(r"^[\"'(“‘]*(?:[A-Za-z]:\\|\\\\)")
SEGMENT = re.compile(r"(?P<word>[a-z]{2,})(?:['’][a-z]{1,2})?(?:[-—–][A-Za-z]+)*[^\w\\]*")


def path_like(token: str) -> bool:
    r"""A Windows path or an escape, not mangled prose: a drive or UNC prefix, or a backslash
    segment that is not a lower-case English word ("Windows\system32", "\n").

    >>> path_like(r"C:\Windows"), path_like(r"Windows\system32"), path_like(r"Soviet\union\and")
    (True, True, False)
    """
    if PATH_PREFIX.match(token):
        return True
    for segment in re.split(r"\\+", token)[1:]:
        m = SEGMENT.fullmatch(segment)
        if not m or not is_word(m.group("word"), 2.0):
            return True
    return False


def _backslash_space(m: re.Match) -> str | None:
    """Backslash-for-space mangling (KANCC, *With the Century*), case restored where it was lost.

    >>> fix = RULES_BY_NAME["backslash-space"].fix
    >>> fix("a people’s government for workers\\\\and peasants")
    'a people’s government for workers and peasants'
    >>> fix("the Soviet\\\\union, which had")
    'the Soviet Union, which had'
    >>> fix("they ate no meat.\\\\and in the midst of it")
    'they ate no meat. And in the midst of it'
    >>> fix("copy C:\\\\Windows\\\\system32\\\\drivers and \\\\n")
    'copy C:\\\\Windows\\\\system32\\\\drivers and \\\\n'
    """
    text, start = m.string, m.start()
    line_start = text.rfind("\n", 0, start) + 1
    token_start = max(text.rfind(" ", 0, start), line_start - 1) + 1
    token_end = text.find(" ", m.end())
    token = text[token_start: token_end if token_end != -1 else len(text)]
    if path_like(token):
        return None
    word = m.group("word")
    before = text[line_start:start]
    proper = proper_form(word, before, text[m.end():m.end() + 80])
    if proper:
        word = proper
    elif SENTENCE_END.search(before):
        word = word[0].upper() + word[1:]
    # a backslash straight after punctuation that ends a clause (",\and", ".\and") stood for a space too
    return " " + word


# "rom" as a word of its own: at the start or after a space or an opening quote or bracket (never
# glued to other text: "CD-ROM", "game.rom", "\\rom"), and followed by more words.
ROM = re.compile(r"(?<![^\s“\"‘(\[—–])rom(?=\s+[\w“\"‘(])")


def _rom_from(m: re.Match) -> str | None:
    """"rom" standing for "from" (the "\\f" of "\\from" was eaten), capitalised at a sentence start.
    "ROM", "Rom" and words containing "rom" are untouched.

    >>> fix = RULES_BY_NAME["rom-from"].fix
    >>> fix("dealt hard blows at them rom behind the lines")
    'dealt hard blows at them from behind the lines'
    >>> fix("as a moral necessity. rom the outset of our struggle")
    'as a moral necessity. From the outset of our struggle'
    >>> fix("a CD-ROM drive, Rom in Norway, random rom")
    'a CD-ROM drive, Rom in Norway, random rom'
    >>> fix("load game.rom now, a rom-com, (rom the east")
    'load game.rom now, a rom-com, (from the east'
    """
    before = m.string[m.string.rfind("\n", 0, m.start()) + 1:m.start()]
    return "From" if SENTENCE_END.search(before) else "from"


GLUED_ROM = re.compile(r"\b(?P<head>[a-z]{3,})rom\b")


def _glued_rom(m: re.Match) -> str | None:
    """"wayrom": "way\\from" whose form feed was dropped, gluing "rom" to the word before.
    Only when the glued token is no word and its head is a common one.

    >>> fix = RULES_BY_NAME["rom-glued"].fix
    >>> fix("a major stopover on our wayrom Nanhutou")
    'a major stopover on our way from Nanhutou'
    >>> fix("a random prom in the chrom")
    'a random prom in the chrom'
    """
    token, head = m.group(0), m.group("head")
    if is_word(token, 0.5) or not is_word(head, 4.0):
        return None
    return head + " from"


# Words cut by a print hyphen: "cir-cumstances", "dis-tinguish", "Revolu-tionary". Joined only when
# the joined form is a word and one of the parts is not — a genuine compound ("anti-Japanese",
# "high-ranking", "border-guard") has word parts, capitals after the hyphen, or a known prefix.
# "cir-cumstances", or "cir- cumstances" where a line break became a space; never a link of a chain
# ("comrades-in-arms", "life-and-death") and never a part written in capitals ("Khalkhin-Gol").
PRINT_HYPHEN = re.compile(r"(?<![\w'’-])(?P<a>[A-Za-z][a-z]+)- ?(?P<b>[a-z]{2,})\b(?![-'’])")
COMPOUND_PREFIXES = {"anti", "non", "pro", "co", "re", "pre", "post", "self", "ex", "semi", "multi", "inter",
                     "counter", "neo", "pseudo", "quasi", "sub", "super", "ultra", "vice", "well", "all", "half"}


def _print_hyphen(m: re.Match) -> str | None:
    """Print hyphenation left inside a word.

    >>> fix = RULES_BY_NAME["print-hyphen"].fix
    >>> fix("under the cir-cumstances essential, to dis-tinguish the Revolu-tionary")
    'under the circumstances essential, to distinguish the Revolutionary'
    >>> fix("anti-Japanese, high-ranking, Khalkhin-Gol, Sahoe-ri, non-aggression, machine-gun")
    'anti-Japanese, high-ranking, Khalkhin-Gol, Sahoe-ri, non-aggression, machine-gun'
    >>> fix("the cir- cumstances of comrades-in-arms in a life-and-death fight, pre- and post-war")
    'the circumstances of comrades-in-arms in a life-and-death fight, pre- and post-war'
    """
    a, b = m.group("a"), m.group("b")
    if a.lower() in COMPOUND_PREFIXES:
        return None
    joined = a + b
    if not is_word(joined, 2.0) or (is_word(a, 0.1) and is_word(b, 0.1)):
        return None
    return joined


# Korean family names as the memoir romanises them: a footnote digit glued to the given name after one
# ("Yun Kwan5") is a note mark of the printed book; a digit after anything else is left alone.
FAMILY_NAMES = ("Kim Ri Pak Choe Jong Kang Cho Jo Yun Jang Rim Han O So Sin Kwon Hwang An Song Ryu Hong Jon Ko Mun "
                "Yang Son Pae Paek Ho Yu Nam Sim No Ha Kwak Cha Ju U Ku Min Chon Chae Won Pang Kong Hyon Ham Pyon "
                "Yom Chu Pyo Tong Myong Ki Pan Ma Chi Hyong Ok Im Sol Tae To Yo").split()
FOOTNOTE_MARK = re.compile(r"\b(?P<name>(?:%s)(?: [A-Z][a-z]{1,7}){1,2})(?P<note>\d{1,2})(?![\w\d]|[.,]\d)"
                           % "|".join(FAMILY_NAMES))


def _footnote_mark(m: re.Match) -> str:
    """A footnote number of the printed memoir stuck to a name ("Yun Kwan5", "Ri Je Sun12"): the name
    alone (the log keeps the number). Never a digit after other words ("Su-25", "MiG21", "B52", "Unit 731").

    >>> fix = RULES_BY_NAME["footnote-mark"].fix
    >>> fix("a letter from Yun Kwan5 and Ri Je Sun12, who"), fix("the MiG21 of Kang Kon, Su-25 and B52 units")
    ('a letter from Yun Kwan and Ri Je Sun, who', 'the MiG21 of Kang Kon, Su-25 and B52 units')
    >>> fix("Kim Il Sung 2, Kim Jong Il2000, Pak Tal3.5 km")
    'Kim Il Sung 2, Kim Jong Il2000, Pak Tal3.5 km'
    """
    return m.group("name")


SPACES = re.compile(r"[ \t]{2,}|^[ \t]+|[ \t]+$", re.MULTILINE)


def _whitespace(m: re.Match) -> str:
    """Runs of spaces collapsed, lines trimmed.

    >>> RULES_BY_NAME["whitespace"].fix("  the  Soviet   Union ")
    'the Soviet Union'
    """
    text = m.string
    at_edge = m.start() == 0 or text[m.start() - 1] == "\n" or m.end() == len(text) or text[m.end()] == "\n"
    return "" if at_edge else " "


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
    "paragraph-rejoin": "a paragraph broken where a printed page ended, joined again",
    "blank-paragraph": "a paragraph holding only spaces (e.g. &nbsp; indents), dropped",
}


def describe(rule: str) -> str:
    """What a repair rule undoes, in one line (for the TEI header's taxonomy and the codebook)."""
    found = RULES_BY_NAME.get(rule)
    return found.description if found else OTHER_REPAIRS.get(rule, f"repair rule {rule}")


# --- paragraph-level rules -----------------------------------------------------------------------

# A sentence ends with a stop, maybe followed by closing quotes and brackets, or with a closing quote
SENTENCE_STOPS = tuple(".!?…:;")
CLOSERS = "'\"”’)]"
CLOSING_QUOTES = ("\"", "”", "’", ")")
# How a page that ended mid-sentence ends (open_end): a comma, an opening bracket or quote, a dash.
OPEN_PUNCTUATION = frozenset(",(“‘—–")
ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
LOWER_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORDISH = re.compile(r"[\w'’-]")
_WORD = re.compile(r"\w")


def open_end(text: str) -> bool:
    """True when `text` ends the way a page cut mid-sentence does: a whole lower-case word (not the
    tail of "DPRK's" or "Kim-il"), a word cut by a print hyphen ("cir-"), a comma, an opening bracket,
    quote or a dash. Read from the end in one pass, with the answers of the pattern it replaces,
    (?<![\\w'’-])[a-z]+|[A-Za-z]-|[,(“‘—–])$ searched.

    >>> open_end("some"), open_end("cir-"), open_end("at Xiaowangqing,"), open_end("DPRK's"), open_end("Pyongyang")
    (True, True, True, False, False)
    """
    if text.endswith("\n") and _open_end(text[:-1]):   # as the pattern's $ did: before a final newline too
        return True
    return _open_end(text)


def _open_end(text: str) -> bool:
    if not text:
        return False
    last = text[-1]
    if last in OPEN_PUNCTUATION:
        return True
    if last == "-":
        return len(text) >= 2 and text[-2] in ASCII_LETTERS
    run = len(text) - len(text.rstrip(LOWER_LETTERS))
    if not run:
        return False
    before = text[-run - 1] if run < len(text) else ""
    return not before or not _WORDISH.match(before)


def last_latin_word(text: str) -> str | None:
    """The last run of ASCII letters of `text` when only non-word characters follow it ("at" in "an
    incident at"), else None. One pass from the end: the search for ([A-Za-z]+)\\W*$ it replaces tried
    every letter of a long run followed by another word (16k letters, then " at": 2.4 s here, 9 s
    measured in the issue).

    >>> last_latin_word("provoked an incident at ..."), last_latin_word("Juche 99"), last_latin_word("")
    ('at', None, None)
    """
    end = len(text)
    while end and not _WORD.match(text[end - 1]):
        end -= 1
    start = end
    while start and text[start - 1] in ASCII_LETTERS:
        start -= 1
    return text[start:end] if start < end else None
# Words that cannot end an English sentence (articles, prepositions, conjunctions, possessives,
# auxiliaries): after one of these, even a capitalised line ("Lake Khasan.") goes on the sentence.
CLOSED_CLASS = frozenset("""a an the of at in on to by for from with into onto upon about above across after
against along among around before behind below beneath beside between beyond during except inside near
off out outside over since through throughout till toward towards under until unlike via within without
and or nor but yet so as than that which who whom whose where when while whereas if because though
although unless whether his her its their our my your this these those such every each both either
neither some any no not is are was were be been being am has have had do does did will would shall
should can could may might must very most more""".split())
CONTINUATION = re.compile(r"^[a-z0-9(“\"‘]")


def ends_sentence(paragraph: str) -> bool:
    """True when a paragraph ends with closing punctuation (or a closing quote). Read from the end: a
    pattern anchored with $ is tried at every position of the paragraph.

    >>> ends_sentence("It ended well.”) "), ends_sentence("the men e"), ends_sentence("“Let Us!”")
    (True, False, True)
    """
    text = paragraph.rstrip()
    return text.rstrip(CLOSERS).endswith(SENTENCE_STOPS) or text.endswith(CLOSING_QUOTES)


def broken_mid_sentence(previous: str, paragraph: str) -> bool:
    """True when `previous` stops where a printed page ended and `paragraph` carries on the sentence:
    `previous` is a full-length Latin-script line with no closing punctuation, ending in a lower-case
    word (or a comma, or a print hyphen), and `paragraph` starts in lower case, or `previous` ends in
    a word no sentence can end with ("...an incident at" / "Lake Khasan.").

    >>> broken_mid_sentence("While we were operating in the guerrilla zone at Xiaowangqing, some", "comrades rom the")
    True
    >>> broken_mid_sentence("In the summer of 1938 the Japanese imperialists provoked an incident at", "Lake Khasan.")
    True
    >>> broken_mid_sentence("Kim Jong Un Inspects the Construction Site of a New Hospital in Pyongyang", "He said")
    False
    >>> broken_mid_sentence("The anniversary of the founding of the army was marked across the country", "The Korean")
    False
    """
    previous = previous.rstrip()
    if len(previous) < 60 or ends_sentence(previous) or not open_end(previous) or not _is_latin(previous):
        return False
    if CONTINUATION.search(paragraph):
        return True
    last_word = last_latin_word(previous)
    return bool(last_word) and last_word.lower() in CLOSED_CLASS and paragraph[:1].isupper()


def rejoin_paragraphs(paragraphs: list[str], log: RepairLog | None = None, where: str = "body") -> list[str]:
    """Paragraphs broken mid-sentence where a printed page ended are joined (see broken_mid_sentence);
    a word cut by a hyphen at the break ("cir-" / "cumstances") is joined without a space, and left
    for the print-hyphen rule to judge.

    >>> rejoin_paragraphs(["In the summer of 1938 the Japanese imperialists provoked an incident at", "Lake Khasan."])
    ['In the summer of 1938 the Japanese imperialists provoked an incident at Lake Khasan.']
    >>> rejoin_paragraphs(["6. “Let Us Defend the Soviet Union with Arms!”", "The Soviet Union, which..."])
    ['6. “Let Us Defend the Soviet Union with Arms!”', 'The Soviet Union, which...']
    """
    return [t.text for t in rejoin_tracked([Tracked(p) for p in paragraphs], log, where)]


def rejoin_tracked(paragraphs: list[Tracked], log: RepairLog | None = None, where: str = "body") -> list[Tracked]:
    """rejoin_paragraphs on Tracked paragraphs: the removed break is kept as a repaired piece."""
    out: list[Tracked] = []
    for paragraph in paragraphs:
        if out and broken_mid_sentence(out[-1].text, paragraph.text):
            previous, current = out[-1].text, paragraph.text
            glue = "" if re.search(r"[A-Za-z]-$", previous.rstrip()) else " "
            if log is not None:
                log.add("paragraph-rejoin", where, (previous[-CONTEXT * 2:] + " ¶ " + current[:CONTEXT * 2],
                                                    previous[-CONTEXT * 2:] + glue + current[:CONTEXT * 2]))
            out[-1] = join_paragraphs(out[-1], paragraph, glue, "paragraph-rejoin")
        else:
            out.append(paragraph)
    return out


def _is_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("LATIN" in unicodedata.name(c, "") for c in letters) > len(letters) / 2


def looks_truncated(paragraphs: list[str]) -> bool:
    """A body cut off mid-word or mid-sentence (the KANCC seed ends "...lost all their men e"): the
    last paragraph ends in a lower-case word, a comma, a hyphen or an opening bracket. A closing line
    without a full stop that ends in a capital or a figure (a signature, "Juche 99 (2010)") is not.

    >>> looks_truncated(["It ended well."]), looks_truncated(["the Japanese officers who had lost all their men e"])
    (False, True)
    >>> looks_truncated(["Kim Il Sung"]), looks_truncated(["Pyongyang, September 14, Juche 99 (2010)"])
    (False, False)
    >>> looks_truncated(["깊은 산속 밀영에서 맞는 밤은 길고도"])
    True
    """
    if not paragraphs:
        return False
    last = paragraphs[-1].rstrip()
    if ends_sentence(last):
        return False
    if _is_latin(last):
        return open_end(last)
    # other scripts (Korean): a sentence ends with punctuation; anything else was cut off
    return bool(last) and not re.search(r"[)\]》」』\d]$", last)


def repair_paragraphs(paragraphs: list[str], log: RepairLog | None = None,
                      where: str = "body") -> tuple[list[str], list[str]]:
    """Repair every paragraph, re-join broken ones, flag truncation. Returns (paragraphs, flags)."""
    tracked, flags = repair_paragraphs_tracked([Tracked(p) for p in paragraphs], log, where)
    return [t.text for t in tracked], flags


def drop_blank(paragraphs: list[Tracked], log: RepairLog | None, where: str) -> list[Tracked]:
    """Paragraphs left with no text (only spaces, or emptied by a repair) leave the text, their served
    form folded into a neighbour (see tracked.fold_into_neighbour) so it can still be regenerated."""
    k = 0
    while k < len(paragraphs):
        if paragraphs[k].text.strip() or len(paragraphs) == 1:
            k += 1
            continue
        if log is not None:
            log.add("blank-paragraph", where, (paragraphs[k].served[:CONTEXT * 2], ""))
        paragraphs = fold_into_neighbour(paragraphs, k, "blank-paragraph")
    return paragraphs


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
