"""Repairs of words: the corruption of the KANCC board's memoir posts (a backslash for a space, "rom" for
"from", print hyphens, footnote digits stuck to names) and runs of spaces, judged against word frequencies
and the declared proper names (proper_names.toml). Each fix is a rule of cleaners.repairs."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

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


def _form_feed_from(m: re.Match) -> str:
    """ "\\from" whose "\\f" became a form feed (U+000C): the form feed stands for " f", and for
    " F" where a sentence starts (the capital was lost with the backslash).

    >>> from cleaners.repairs import RULES_BY_NAME
    >>> fix = RULES_BY_NAME["form-feed-from"].fix
    >>> fix("on our way\x0crom Nanhutou"), fix("a moral necessity.\x0crom the outset")
    ('on our way from Nanhutou', 'a moral necessity. From the outset')
    """
    before = m.string[m.string.rfind("\n", 0, m.start()) + 1:m.start()]
    return " F" if SENTENCE_END.search(before) else " f"


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

    >>> from cleaners.repairs import RULES_BY_NAME
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

    >>> from cleaners.repairs import RULES_BY_NAME
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

    >>> from cleaners.repairs import RULES_BY_NAME
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

    >>> from cleaners.repairs import RULES_BY_NAME
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

    >>> from cleaners.repairs import RULES_BY_NAME
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

    >>> from cleaners.repairs import RULES_BY_NAME
    >>> RULES_BY_NAME["whitespace"].fix("  the  Soviet   Union ")
    'the Soviet Union'
    """
    text = m.string
    at_edge = m.start() == 0 or text[m.start() - 1] == "\n" or m.end() == len(text) or text[m.end()] == "\n"
    return "" if at_edge else " "
