"""Repairs across paragraphs: a paragraph broken where a printed page ended (joined again), a post cut off
mid-word (the `truncated` flag), paragraphs holding only spaces. Used by cleaners.repairs' body runner."""

from __future__ import annotations

import re
import unicodedata

from cleaners.repairlog import CONTEXT, RepairLog
from cleaners.tracked import Tracked, fold_into_neighbour, join_paragraphs

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


def rejoin_tracked(paragraphs: list[Tracked], log: RepairLog | None = None, where: str = "body") -> list[Tracked]:
    """Paragraphs a print page break split mid-sentence joined again; the removed break is kept as a
    repaired piece."""
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
