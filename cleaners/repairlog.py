"""The repair machinery: a Rule (a named, documented fix), the log that records every change it makes,
and the splicing of edits into a text. The rules themselves live in encoding_rules, word_rules and
paragraphs; cleaners.repairs orders and runs them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

MAX_EXAMPLES = 5


CONTEXT = 12  # characters of context either side of a repaired span, in the log's examples


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


def _unregistered(rule: str) -> str:
    return f"repair rule {rule}"


# The rule table (cleaners.repairs) sits above this module and registers its descriptions here when it
# loads, so the log names each rule in words without importing upward.
DESCRIBE: list[Callable[[str], str]] = [_unregistered]


@dataclass
class RepairLog:
    """The repairs made to one document, in rule order: what a TEI header and a researcher read."""

    entries: dict[tuple[str, str], dict] = field(default_factory=dict)

    def add(self, rule: str, where: str, example: tuple[str, str], key: str | None = None, count: int = 1) -> None:
        entry = self.entries.setdefault((rule, where), {"rule": rule, "description": DESCRIBE[0](rule), "where": where,
                                                        "count": 0, "examples": []})
        entry["count"] += count
        if len(entry["examples"]) < MAX_EXAMPLES:
            entry["examples"].append([example[0], example[1]])
        if key is not None:
            detail = entry.setdefault("detail", {})
            detail[key] = detail.get(key, 0) + count

    def as_list(self) -> list[dict]:
        return list(self.entries.values())
