"""One word diff: the word-level edit operations between two texts, and the excerpts a reader sees of
them (each change inside its sentence). Every comparison of kcorpus (releases, captured versions, copies
across sites, a document's history) diffs with these."""

from __future__ import annotations

import difflib
import re

TOKEN = re.compile(r"\w+(?:[’'-]\w+)*|[^\w\s]|\n\n|\s+")


# Above this many tokens between the common prefix and suffix, the word diff is anchored on whole
# paragraphs first: SequenceMatcher on two long token lists full of repeated tokens (spaces, "the")
# is quadratic (1.8 s for one 8k-token document).
ANCHOR_TOKENS = 2000


def _trimmed_opcodes(a: list, b: list) -> list[tuple]:
    """SequenceMatcher opcodes of a -> b, the common prefix and suffix taken off first: identical ops
    for an edit in one place (the usual case), in time linear in the unchanged text."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    q = 0
    while q < n - p and a[len(a) - 1 - q] == b[len(b) - 1 - q]:
        q += 1
    middle_a, middle_b = a[p:len(a) - q], b[p:len(b) - q]
    if max(len(middle_a), len(middle_b)) > ANCHOR_TOKENS:
        middle = _anchored_opcodes(middle_a, middle_b)
    else:
        middle = difflib.SequenceMatcher(None, middle_a, middle_b, autojunk=False).get_opcodes()
    ops = [("equal", 0, p, 0, p)] if p else []
    ops += [(tag, i1 + p, i2 + p, j1 + p, j2 + p) for tag, i1, i2, j1, j2 in middle]
    if q:
        ops.append(("equal", len(a) - q, len(a), len(b) - q, len(b)))
    return ops


def _paragraph_spans(tokens: list) -> list[tuple[int, int]]:
    """[start, end) of each paragraph of a token list, the "\n\n" token ending the one before it."""
    spans, start = [], 0
    for i, token in enumerate(tokens):
        if token == "\n\n":
            spans.append((start, i + 1))
            start = i + 1
    if start < len(tokens):
        spans.append((start, len(tokens)))
    return spans


def _anchored_opcodes(a: list, b: list) -> list[tuple]:
    """Opcodes of a long a -> b: paragraphs matched first (as whole units: few, and rarely repeated),
    then words inside each changed run of paragraphs. Edits in several places of a long document cost
    the size of the changed paragraphs, not the product of the document lengths."""
    spans_a, spans_b = _paragraph_spans(a), _paragraph_spans(b)
    units_a = ["".join(a[i:j]) for i, j in spans_a]
    units_b = ["".join(b[i:j]) for i, j in spans_b]
    ops: list[tuple] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, units_a, units_b, autojunk=False).get_opcodes():
        ta1 = spans_a[i1][0] if i1 < len(spans_a) else len(a)
        ta2 = spans_a[i2 - 1][1] if i2 > i1 else ta1
        tb1 = spans_b[j1][0] if j1 < len(spans_b) else len(b)
        tb2 = spans_b[j2 - 1][1] if j2 > j1 else tb1
        if tag == "equal":
            ops.append(("equal", ta1, ta2, tb1, tb2))
            continue
        inner = difflib.SequenceMatcher(None, a[ta1:ta2], b[tb1:tb2], autojunk=False).get_opcodes()
        ops += [(t, i + ta1, k + ta1, j + tb1, m + tb1) for t, i, k, j, m in inner]
    return ops


def word_diff(old: str, new: str) -> list[list]:
    """Word-level diff ops: [["equal"|"delete"|"insert", text], ...] (whitespace and punctuation kept)."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    blocks: list[list] = []  # ["equal", text] or ["change", deleted, inserted]
    for tag, i1, i2, j1, j2 in _trimmed_opcodes(a, b):
        deleted, inserted = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag != "equal":
            if blocks and blocks[-1][0] == "change":
                blocks[-1][1] += deleted
                blocks[-1][2] += inserted
            else:
                blocks.append(["change", deleted, inserted])
        elif blocks and blocks[-1][0] == "change" and not deleted.strip():
            # a lone space between two changed words: one phrase replaced, not word-by-word flicker
            blocks[-1][1] += deleted
            blocks[-1][2] += deleted
        else:
            blocks.append(["equal", deleted])
    ops: list[list] = []
    for block in blocks:
        if block[0] == "equal":
            ops.append(block)
            continue
        deleted, inserted = block[1], block[2]
        # whitespace carried on both sides of a change belongs outside it
        while deleted and inserted and deleted[-1].isspace() and inserted[-1] == deleted[-1]:
            deleted, inserted = deleted[:-1], inserted[:-1]
            block.append(" ")
        if deleted:
            ops.append(["delete", deleted])
        if inserted:
            ops.append(["insert", inserted])
        if len(block) > 3:
            ops.append(["equal", "".join(block[3:])])
    return _merge_equals(_slide_whitespace(_merge_equals(ops)))


def _merge_equals(ops: list[list]) -> list[list]:
    merged: list[list] = []
    for op in ops:
        if merged and op[0] == "equal" and merged[-1][0] == "equal":
            merged[-1] = ["equal", merged[-1][1] + op[1]]
        else:
            merged.append(list(op))
    return merged


def _slide_whitespace(ops: list[list]) -> list[list]:
    """Put the space of a lone inserted or deleted word before it: " further" rather than "further ".

    Both are the same edit; which one a matcher reports depends on where it started matching (the whole
    texts, or what is left after the common prefix and suffix), so the audit would otherwise show the
    same edit two ways. Only whitespace moves, so words and their order never change.

    >>> _slide_whitespace([["equal", "the "], ["insert", "further "], ["equal", "talks"]])
    [['equal', 'the'], ['insert', ' further'], ['equal', ' talks']]
    """
    ops = [list(op) for op in ops]
    for i in range(1, len(ops)):
        kind, text = ops[i]
        before = ops[i - 1]
        after = ops[i + 1] if i + 1 < len(ops) else None
        if kind == "equal" or before[0] != "equal" or (after is not None and after[0] != "equal"):
            continue
        while text and before[1] and text[-1].isspace() and before[1][-1] == text[-1] and not text[:-1].isspace():
            moved = text[-1]
            before[1] = before[1][:-1]
            text = moved + text[:-1]
            if after is None:
                after = ["equal", ""]
                ops.append(after)
            after[1] = moved + after[1]
        ops[i][1] = text
    return [op for op in ops if op[1]]


ELLIPSIS = "…"


def _is_word(token: str) -> bool:
    return bool(re.match(r"\w", token))


def _sentence_end(tokens: list[str], i: int) -> bool:
    """True when tokens[i] closes a sentence: . ! ? (after any closing quotes) before a space or the end."""
    j = i
    while j >= 0 and tokens[j] in "\"”’')":
        j -= 1
    return j >= 0 and tokens[j] in (".", "!", "?", ELLIPSIS) and (i + 1 >= len(tokens) or tokens[i + 1].isspace())


def context_before(text: str, words: int) -> str:
    """The unchanged text just before a change, from the start of its sentence (or paragraph), cut to
    at most `words` words (then opened with …)."""
    tokens = TOKEN.findall(text)
    i, count = len(tokens), 0
    while i > 0:
        token = tokens[i - 1]
        if token == "\n\n" or _sentence_end(tokens, i - 1):
            return "".join(tokens[i:]).lstrip()
        count += _is_word(token)
        if count > words:
            return ELLIPSIS + " " + "".join(tokens[i:]).lstrip()
        i -= 1
    return "".join(tokens)


def context_after(text: str, words: int) -> str:
    """The unchanged text just after a change, to the end of its sentence (or paragraph), cut to at
    most `words` words (then closed with …)."""
    tokens = TOKEN.findall(text)
    count = 0
    for i, token in enumerate(tokens):
        if token == "\n\n":
            return "".join(tokens[:i])
        count += _is_word(token)
        if count > words:
            return "".join(tokens[:i]).rstrip() + " " + ELLIPSIS
        if _sentence_end(tokens, i):
            return "".join(tokens[:i + 1])
    return "".join(tokens)


def changed_excerpts(ops: list[list], context: int = 30) -> list[list[list]]:
    """Group diff ops into excerpts a reader can follow: each change shown inside its sentence (at most
    `context` words either side); changes a sentence or less apart share one excerpt. The unchanged
    rest of a 4,000-word text is left out."""
    excerpts: list[list[list]] = []
    current: list[list] | None = None
    for i, (kind, text) in enumerate(ops):
        if kind != "equal":
            if current is None:
                current = []
                if i > 0:
                    current.append(["equal", context_before(ops[i - 1][1], context)])
            current.append([kind, text])
            continue
        if current is None:
            continue
        between = sum(map(_is_word, TOKEN.findall(text)))
        if i < len(ops) - 1 and between <= context and "\n\n" not in text:
            current.append(["equal", text])  # the next change is in the same stretch of text
        else:
            current.append(["equal", context_after(text, context)])
            excerpts.append(current)
            current = None
    if current:
        excerpts.append(current)
    return [[op for op in excerpt if op[1]] for excerpt in excerpts]
