"""Sentences and tokens for the derived formats (CoNLL-U, statistics): syntok's rule-based segmenter for
English, kiwipiepy (its model ships as a package: nothing is downloaded) for Korean words and parts of
speech. Both are imported on first use, and Kiwi is built once per process."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache


NON_SPACE = re.compile(r"\S+")


@dataclass
class Token:
    """One CoNLL-U word: the surface form, and where known its lemma and tags."""

    form: str
    lemma: str = "_"
    upos: str = "_"
    xpos: str = "_"
    space_after: bool = True


@dataclass
class Sentence:
    text: str
    tokens: list[Token] = field(default_factory=list)


def segment(text: str, lang: str | None) -> list[Sentence]:
    """One paragraph's sentences and tokens, by the document's language ("ko": Kiwi, else syntok)."""
    if not text.strip():
        return []
    return _korean(text) if lang == "ko" else _english(text)


def _english(text: str) -> list[Sentence]:
    """English: syntok's sentences and tokens; forms are the paragraph's own characters (syntok's
    value may normalise, e.g. "n't" -> "not": the offset is what counts), SpaceAfter from the gaps.

    >>> [[t.form for t in s.tokens] for s in _english("Pyongyang, September 14 (KCNA) -- It ended. They left.")]
    [['Pyongyang', ',', 'September', '14', '(', 'KCNA', ')', '--', 'It', 'ended', '.'], ['They', 'left', '.']]
    """
    from syntok import segmenter

    sentences: list[Sentence] = []
    for paragraph in segmenter.analyze(text):
        for raw in paragraph:
            spans = []
            for token in raw:
                if not token.value:
                    continue
                start = token.offset
                end = start + len(token.value)
                if text[start:end] != token.value:  # a normalised value: take the characters as written
                    m = NON_SPACE.match(text, start)
                    end = m.end() if m else start
                if end > start and (not spans or start >= spans[-1][1]):
                    spans.append((start, end))
            if spans:
                spans = _fill_gaps(text, spans)
                sentences.append(_sentence(text, spans, [Token(text[s:e]) for s, e in spans]))
    return sentences


def _fill_gaps(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Characters between tokens that a segmenter passed over (syntok skips the hyphen of "high-ranking")
    become tokens of their own: the words must spell the sentence exactly."""
    out = [spans[0]]
    for start, end in spans[1:]:
        gap_start = out[-1][1]
        if start > gap_start and not text[gap_start:start].isspace():   # most gaps are one space
            out += [(m.start(), m.end()) for m in NON_SPACE.finditer(text, gap_start, start)]
        out.append((start, end))
    return out


def _sentence(text: str, spans: list[tuple[int, int]], tokens: list[Token]) -> Sentence:
    for k, token in enumerate(tokens[:-1]):
        token.space_after = spans[k + 1][0] > spans[k][1]
    tokens[-1].space_after = True
    return Sentence(text[spans[0][0]:spans[-1][1]], tokens)


# Sejong tags (Kiwi) -> Universal POS, by the first morpheme of a word (eojeol)
SEJONG_UPOS = {"NNG": "NOUN", "NNP": "PROPN", "NNB": "NOUN", "NR": "NUM", "NP": "PRON", "VV": "VERB", "VA": "ADJ",
               "VX": "AUX", "VCP": "AUX", "VCN": "AUX", "MM": "DET", "MAG": "ADV", "MAJ": "CCONJ", "IC": "INTJ",
               "SN": "NUM", "SL": "X", "SH": "X", "SF": "PUNCT", "SP": "PUNCT", "SS": "PUNCT", "SSO": "PUNCT",
               "SSC": "PUNCT", "SE": "PUNCT", "SO": "PUNCT", "SW": "SYM", "XPN": "X", "XR": "X"}


@lru_cache(maxsize=1)
def kiwi():
    """The Korean analyser (built once per process: ~1 s and ~510 MB, its model from the kiwipiepy_model
    package). Only the analyser's own process builds it (`_analyser`)."""
    from kiwipiepy import Kiwi
    return Kiwi()


def kiwi_sentences(text: str) -> list[tuple[int, int, list[tuple[str, str, int, int]]]]:
    """Kiwi's sentences of `text` with their morphemes: (start, end, [(form, tag, start, end), ...]).
    Plain tuples: what comes back from the analyser's process."""
    return [(sent.start, sent.end, [(m.form, str(m.tag), m.start, m.end) for m in sent.tokens or []])
            for sent in kiwi().split_into_sents(text, return_tokens=True)]


def _die_with_parent(parent: int) -> None:
    """In the analyser's process: end when the process that started it ends, a SIGKILL included, so no
    analyser holding half a gigabyte outlives a killed release. A thread watches the parent's pid rather
    than Linux's PR_SET_PDEATHSIG, which fires when the starting *thread* ends (a Prefect task's thread
    may start the analyser that later tasks use)."""
    import os
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@lru_cache(maxsize=1)
def _analyser():
    """Kiwi in a process of its own, started on the first Korean paragraph. Its model is most of a
    release's memory (~510 MB of a ~830 MB release at 1k documents): apart, the release's own process
    stays small and the model's pages go back to the system when the command ends."""
    import atexit
    import os
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_die_with_parent,
                               initargs=(os.getpid(),))
    atexit.register(pool.shutdown)   # before the interpreter tears its modules down under the pool's threads
    return pool


def analyse_korean(text: str) -> list[tuple[int, int, list[tuple[str, str, int, int]]]]:
    """kiwi_sentences, run in the analyser's process."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return _analyser().submit(kiwi_sentences, text).result()
    except BrokenProcessPool:
        _analyser.cache_clear()
        raise RuntimeError("the Korean analyser's process (Kiwi) ended without an answer (killed, or out of "
                           "memory)") from None


def _korean(text: str) -> list[Sentence]:
    """Korean: Kiwi's sentences and morphemes, grouped into words (eojeol: what spaces and punctuation
    delimit), as Korean UD treebanks do: LEMMA and XPOS join the morphemes with "+", UPOS is the first
    morpheme's.

    >>> s = _korean("깊은 산속 밀영에서 맞는 밤은 길고도 추웠다.")[0]
    >>> [t.form for t in s.tokens], s.tokens[2].xpos.endswith("+JKB"), s.tokens[-1].upos
    (['깊은', '산속', '밀영에서', '맞는', '밤은', '길고도', '추웠다', '.'], True, 'PUNCT')
    """
    sentences = []
    for sent_start, sent_end, morphs in analyse_korean(text):
        # words: runs of non-space characters, punctuation split off as its own word
        words = [(m.start(), m.end()) for m in re.finditer(r"[^\s\W]+|[^\w\s]", text[sent_start:sent_end])]
        words = [(sent_start + s, sent_start + e) for s, e in words]
        if not words:
            continue
        grouped: list[list] = [[] for _ in words]
        k = 0
        for morph in morphs:
            while k < len(words) - 1 and morph[2] >= words[k][1]:
                k += 1
            grouped[k].append(morph)
        tokens = []
        for (s, e), group in zip(words, grouped):
            tags = [tag.split("-")[0] for _, tag, _, _ in group]
            tokens.append(Token(text[s:e], "+".join(form for form, _, _, _ in group) or text[s:e],
                                SEJONG_UPOS.get(tags[0] if tags else "", "X"), "+".join(tags) or "_"))
        sentences.append(_sentence(text, words, tokens))
    return sentences


@lru_cache(maxsize=1)
def nlp_version() -> str:
    """What a document's CoNLL-U depends on besides its text: the segmenters' versions and this layout.
    A release reuses the previous release's CoNLL-U of an unchanged document only under the same one."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "absent"
    return f"conllu-1 syntok {installed('syntok')} kiwipiepy {installed('kiwipiepy')}"


def conllu_counts(block: str) -> tuple[int, int]:
    """(tokens, sentences) of a CoNLL-U block as conllu_document writes it: a word line starts with its
    number, a sentence with its `# sent_id` comment."""
    lines = block.split("\n")
    return (sum(1 for line in lines if line[:1].isdigit()),
            sum(1 for line in lines if line.startswith("# sent_id = ")))


def conllu_document(doc_id: str, title: str, paragraphs: list[str], lang: str | None) -> tuple[str, int, int]:
    """One document in CoNLL-U: `# newdoc id`, `# newpar` per paragraph, `# sent_id` and `# text` per
    sentence, ten tab-separated columns per word. Returns (the text, tokens, sentences)."""
    lines = [f"# newdoc id = {doc_id}", f"# title = {comment_value(title)}"]
    tokens = sentences = 0
    for index, paragraph in enumerate(paragraphs, start=1):
        found = segment(paragraph, lang)
        if not found:
            continue
        lines.append(f"# newpar id = {doc_id}-p{index}")
        for sentence in found:
            sentences += 1
            lines += [f"# sent_id = {doc_id}-s{sentences}", f"# text = {comment_value(sentence.text)}"]
            for n, token in enumerate(sentence.tokens, start=1):
                misc = "_" if token.space_after or n == len(sentence.tokens) else "SpaceAfter=No"
                lines.append("\t".join((str(n), _field(token.form), _field(token.lemma), token.upos, token.xpos,
                                        "_", "_", "_", "_", misc)))
                tokens += 1
            lines.append("")
    return "\n".join(lines) + "\n", tokens, sentences


def comment_value(value: str) -> str:
    """A value on one CoNLL-U comment line: whitespace runs (newlines included) become one space."""
    return re.sub(r"\s+", " ", value).strip()


def _field(value: str) -> str:
    """A CoNLL-U column holds no tab, newline or (in FORM/LEMMA) space-only value."""
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.translate(_LINE_BREAKS)
    return value if value.strip() else "_"


_LINE_BREAKS = str.maketrans("\t\r\n", "   ")
