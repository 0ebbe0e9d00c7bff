"""The CoNLL-U writer's shortcuts against the code they replaced: the same tokens and fields for any text
(gaps between syntok's tokens scanned only when they hold more than spaces; fields translated only when
they hold a tab or line break); and Kiwi, whose model takes ~500 MB (bench/demo.py), loaded only for a
release that holds Korean text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from corpus.nlp import _field, _fill_gaps


def _fill_gaps_reference(text, spans):
    out = [spans[0]]
    for start, end in spans[1:]:
        out += [(out[-1][1] + m.start(), out[-1][1] + m.end()) for m in re.finditer(r"\S+", text[out[-1][1]:start])]
        out.append((start, end))
    return out


def _field_reference(value):
    value = re.sub(r"[\t\r\n]", " ", value)
    return value if value.strip() else "_"


TEXT = st.text(alphabet=st.sampled_from(list("ab -–\t\n\r.,’김")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(TEXT, st.data())
def test_fill_gaps_is_the_reference(text, data):
    words = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
    if not words:
        return
    spans = sorted(data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=len(words), unique=True)))
    assert _fill_gaps(text, spans) == _fill_gaps_reference(text, spans)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_field_is_the_reference(value):
    assert _field(value) == _field_reference(value)


class KiwiAsked(Exception):
    """Kiwi was asked for (the test stops there rather than load its model)."""


def test_kiwi_is_loaded_only_for_a_release_holding_korean_text(tmp_path, snapshot_documents, monkeypatch):
    """The snapshot's English articles and posts make a release without asking for Kiwi; one Korean KANCC
    post (the demo has three) is enough to ask for it."""
    import corpus.nlp
    from core.datahome import DataHome
    from corpus.release import build_release

    def analyse_korean(text):
        raise KiwiAsked()

    monkeypatch.setattr(corpus.nlp, "analyse_korean", analyse_korean)
    english = sorted((d for d in snapshot_documents if d.lang != "ko"), key=lambda d: d.id)
    korean = [d for d in snapshot_documents if d.lang == "ko"]
    assert len(english) > 20 and korean
    build_release(DataHome.resolve(tmp_path / "english"), english)
    with pytest.raises(KiwiAsked):
        build_release(DataHome.resolve(tmp_path / "korean"), sorted(english[:2] + korean[:1], key=lambda d: d.id))


def test_kiwi_runs_in_a_process_of_its_own_and_a_killed_one_is_one_line():
    """Kiwi's model (~510 MB) lives in the analyser's process, never in the release's; when that process is
    killed (out of memory), the paragraph fails with one line and the next one starts a new analyser."""
    import os
    import signal

    import corpus.nlp as nlp

    memoir = "백두산 밀영에서 맞는 밤은 길고도 추웠다."   # With the Century's camp (KANCC's Korean posts)
    words = [t.form for s in nlp._korean(memoir) for t in s.tokens]
    assert words == ["백두산", "밀영에서", "맞는", "밤은", "길고도", "추웠다", "."]
    assert nlp.kiwi.cache_info().currsize == 0   # not built here
    worker = nlp._analyser().submit(os.getpid).result()
    assert worker != os.getpid()
    os.kill(worker, signal.SIGKILL)
    with pytest.raises(RuntimeError, match="Korean analyser's process .* ended without an answer"):
        nlp._korean(memoir)
    assert [t.form for s in nlp._korean(memoir) for t in s.tokens] == words
    assert nlp._analyser().submit(os.getpid).result() != worker
