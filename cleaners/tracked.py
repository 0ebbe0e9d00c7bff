"""Text that remembers what the site served: the repair runner's record of where each rule changed it.

A `Tracked` string is a run of pieces. An unchanged piece is text as served; a repaired piece holds the
served characters, the text that replaced them and the rules that did it, in order. Rules see only
the current text and say what to replace (start, end, replacement); `Tracked.replace` maps that back
onto the pieces, so at the end both texts come out exactly: `served` (what extraction found on the
page) and `text` (what the repairs made of it). The TEI writer turns repaired pieces into
<choice><orig>served</orig><reg type="rule">text</reg></choice>; the document keeps them as compact
spans (core.document.Span).

A served paragraph break that a repair removed (paragraphs re-joined, a heading line moved to metadata,
a blank paragraph dropped) is the character PARAGRAPH_BREAK ("\\n") in `served`: extracted paragraphs
never contain a newline (cleaners.extract splits on them), so it cannot be confused with served text.
"""

from __future__ import annotations

from dataclasses import dataclass

PARAGRAPH_BREAK = "\n"


@dataclass(frozen=True)
class Piece:
    """A stretch of text: as served, as it is now, and the rules that changed it (empty: unchanged)."""

    served: str
    text: str
    rules: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.rules) or self.served != self.text


def _add_rules(rules: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, ...]:
    return rules + tuple(r for r in new if r not in rules)


class Tracked:
    """A string and its history: `text` now, `served` as extracted, `pieces` saying which rule changed what.

    >>> t = Tracked("the Soviet\\\\union and")
    >>> t.replace(10, 16, " Union", "backslash-space")
    >>> t.text, t.served, [p.rules for p in t.pieces]
    ('the Soviet Union and', 'the Soviet\\\\union and', [(), ('backslash-space',), ()])
    """

    __slots__ = ("_pieces", "_text")

    def __init__(self, text: str = "", pieces: list[Piece] | None = None):
        self.pieces = pieces if pieces is not None else ([Piece(text, text)] if text else [])

    @property
    def pieces(self) -> list[Piece]:
        """The pieces, in order. A new list replaces them (never changed in place: `text` is cached)."""
        return self._pieces

    @pieces.setter
    def pieces(self, pieces: list[Piece]) -> None:
        self._pieces = pieces
        self._text: str | None = None

    @property
    def text(self) -> str:
        # joined once per change, not on every read: the repair runner and the paragraph rules read the
        # text of every paragraph many times between two changes
        if self._text is None:
            self._text = "".join(p.text for p in self._pieces)
        return self._text

    @property
    def served(self) -> str:
        return "".join(p.served for p in self.pieces)

    def __repr__(self) -> str:
        return f"Tracked({self.text!r}, served={self.served!r})"

    def replace(self, start: int, end: int, replacement: str, rule: str) -> None:
        """Replace text[start:end] by `replacement`, credited to `rule`. Unchanged pieces are split at the
        edges; a repaired piece the range only touches in part is taken in whole (its served characters
        cannot be divided), and the merged piece lists every rule that shaped it."""
        before: list[Piece] = []
        covered: list[Piece] = []
        after: list[Piece] = []
        prefix = suffix = ""
        pos = 0
        for piece in self.pieces:
            p_start, p_end = pos, pos + len(piece.text)
            pos = p_end
            if p_start == p_end:          # nothing left of it in the text: taken along when at the edit
                hit = start <= p_start <= end
            elif start < end:
                hit = p_start < end and p_end > start
            else:                         # an insertion: only a piece it falls strictly inside
                hit = p_start < start < p_end
            if not hit:
                (before if p_end <= start and not covered else after).append(piece)
                continue
            if piece.changed:
                if p_start < start:
                    prefix = piece.text[:start - p_start]
                if p_end > end:
                    suffix = piece.text[end - p_start:]
                covered.append(piece)
                continue
            head, tail = piece.text[:max(0, start - p_start)], piece.text[max(0, end - p_start):]
            middle = piece.text[len(head):len(piece.text) - len(tail)]
            if head:
                before.append(Piece(head, head))
            if middle:
                covered.append(Piece(middle, middle))
            if tail:
                after.append(Piece(tail, tail))
        rules: tuple[str, ...] = ()
        for piece in covered:
            rules = _add_rules(rules, piece.rules)
        rules = _add_rules(rules, (rule,))
        merged = Piece("".join(p.served for p in covered), prefix + replacement + suffix, rules)
        self.pieces = before + [merged] + after

    def apply_edits(self, edits: list[tuple[int, int, str]], rule: str) -> None:
        """Apply non-overlapping (start, end, replacement) edits, given in text order, all credited to `rule`."""
        for start, end, replacement in reversed(edits):
            self.replace(start, end, replacement, rule)

    @classmethod
    def join(cls, parts: list["Tracked | Piece"]) -> "Tracked":
        """Concatenate tracked strings and single pieces (e.g. a removed paragraph break)."""
        pieces: list[Piece] = []
        for part in parts:
            pieces.extend(part.pieces if isinstance(part, Tracked) else [part])
        return cls(pieces=[p for p in pieces if p.served or p.text])

    def spans(self) -> list[tuple[int, int, str, tuple[str, ...]]]:
        """Each repaired piece as (start, end, served, rules), offsets into `text`; adjacent repaired
        pieces are one span (one <choice> inline)."""
        out: list[tuple[int, int, str, tuple[str, ...]]] = []
        pos = 0
        for piece in self.pieces:
            end = pos + len(piece.text)
            if piece.changed:
                if out and out[-1][1] == pos:
                    s, _, served, rules = out[-1]
                    out[-1] = (s, end, served + piece.served, _add_rules(rules, piece.rules))
                else:
                    out.append((pos, end, piece.served, piece.rules))
            pos = end
        return out


def strip_edges(tracked: Tracked) -> tuple[int, int]:
    """How many characters of whitespace the text has at its start and at its end."""
    text = tracked.text
    return len(text) - len(text.lstrip()), len(text) - len(text.rstrip())


def join_paragraphs(first: Tracked, second: Tracked, glue: str, rule: str) -> Tracked:
    """`first` and `second` as one paragraph, the served break (and the spaces either side of it, which
    the join drops) kept as a repaired piece whose text is `glue`.

    >>> t = join_paragraphs(Tracked("provoked an incident at "), Tracked("Lake Khasan."), " ", "paragraph-rejoin")
    >>> t.text, t.served
    ('provoked an incident at Lake Khasan.', 'provoked an incident at \\nLake Khasan.')
    """
    _, trailing = strip_edges(first)
    leading, _ = strip_edges(second)
    joined = Tracked.join([first, Piece(PARAGRAPH_BREAK, "", (rule,)), second])
    at = len(first.text)
    joined.replace(at - trailing, at + leading, glue, rule)
    return joined


def fold_into_neighbour(paragraphs: list[Tracked], index: int, rule: str) -> list[Tracked]:
    """Remove paragraph `index` from the text but not from the record: its served text (and the break
    that separated it) becomes a repaired piece with empty text at the end of the paragraph before it,
    or at the start of the one after it when it was first. With no neighbour, nothing can hold it: the
    list is returned unchanged."""
    gone = paragraphs[index]
    rules: tuple[str, ...] = ()
    for piece in gone.pieces:
        rules = _add_rules(rules, piece.rules)
    rules = _add_rules(rules, (rule,))
    rest = paragraphs[:index] + paragraphs[index + 1:]
    if not rest:
        return paragraphs
    if index > 0:
        rest[index - 1] = Tracked.join([rest[index - 1], Piece(PARAGRAPH_BREAK + gone.served, "", rules)])
    else:
        rest[0] = Tracked.join([Piece(gone.served + PARAGRAPH_BREAK, "", rules), rest[0]])
    return rest
