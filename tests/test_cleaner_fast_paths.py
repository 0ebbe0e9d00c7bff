"""The cleaner's fast paths change nothing: each shortcut against the slow path it replaces.

Every shortcut in cleaners/ (a rule skipped on text its pattern cannot match, ftfy skipped where it
provably changes nothing, later repair passes re-running only the rules whose input changed, compiled
selectors, the nesting depth summed in C, the error-page check's second parse skipped) is checked here
against the plain computation, on the seeds' real text and corruption and on generated text.
bench/clean_golden.py checks the whole cleaner, page by page, on every page the project has.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import ftfy
import ftfy.badness
import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import extract, paragraphs, repairs
from cleaners.errorpages import could_be_error_page, error_page_reason
from cleaners.tracked import Tracked
from core.profiles import builtin_profiles

HERE = Path(__file__).parent
SEED_LINES = [line for path in sorted((HERE / "seeds").glob("*.txt"))
              for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
CASES = json.loads((HERE / "cases" / "repairs.json").read_text(encoding="utf-8"))
CASE_TEXTS = [case["original"] for kind in CASES.values() for case in kind]
# Mojibake made the way GlobalSecurity's pages carry it: the seeds' UTF-8 read as windows-1252 / Latin-1
MOJIBAKE = [line.encode("utf-8").decode(codec, "replace") for line in SEED_LINES[:80] if not line.isascii()
            for codec in ("cp1252", "latin-1")]
# What the rules and ftfy look for, to scatter through generated text
TOKENS = ["rom", "from", "wayrom", "\x0crom", "-", "- ", "cir", "cumstances", "\\", "\\\\", "and", "union", "Kim",
          "Yun Kwan", "Ri Je Sun", "5", "12", "٥", "&", "amp;", "rsquo;", "#8217;", " ", "  ", "\t", "\n", "\x07",
          "\x1b[31m", "\x85", "\u00a0", "\u200b", "\u00ad", "“", "”", "‘", "’", "—", "(", ".", "Ã", "Â", "â€", "™",
          "¡°", "±èÀϼº", "세기와", "Œ", "×²", "\ud800", "A", "z"]
GENERATED = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join) | st.text(max_size=60)


def reference_repair(text: str, log: repairs.RepairLog) -> Tracked:
    """The repair runner as it was: the whole rule table, every pass, every rule scanning with its pattern."""
    tracked = Tracked(text)
    for _ in range(repairs.MAX_PASSES):
        before = tracked.text
        current = before
        for rule in repairs.RULES:
            if rule.fix_whole is not None:
                fixed = (ftfy.fix_text(current, config=repairs.FTFY_CONFIG) if rule.name == "ftfy"
                         else rule.fix_whole(current))
                edits = [] if fixed == current else repairs._differences(current, fixed)
                if edits:
                    log.add(rule.name, "body", repairs._first_difference(current, fixed))
            else:
                slow = repairs.Rule(rule.name, rule.description, rule.fix_match, rule.pattern)
                edits = slow.edits(current, log, "body")
            if edits:
                tracked.apply_edits(edits, rule.name)
                current = repairs.splice(current, edits)
        if current == before:
            break
    return tracked


def assert_same_repairs(text: str) -> None:
    fast_log, slow_log = repairs.RepairLog(), repairs.RepairLog()
    fast = repairs.repair_tracked(Tracked(text), fast_log, "body")
    slow = reference_repair(text, slow_log)
    assert (fast.text, fast.pieces, fast_log.as_list()) == (slow.text, slow.pieces, slow_log.as_list())


def test_repair_runner_matches_the_whole_table_on_real_text_and_corruption():
    for text in SEED_LINES + CASE_TEXTS + MOJIBAKE:
        assert_same_repairs(text)


@settings(max_examples=300, deadline=None)
@given(GENERATED)
def test_repair_runner_matches_the_whole_table_on_generated_text(text):
    assert_same_repairs(text)


def assert_preconditions_hold(text: str) -> None:
    for rule in repairs.RULES:
        if rule.could_match is not None and rule.pattern.search(text):
            assert rule.could_match(text), (rule.name, text)
    if ftfy.fix_text(text, config=repairs.FTFY_CONFIG) != text:
        assert repairs.ftfy_could_change(text), text
    if ftfy.badness.is_bad(text):
        assert not repairs.BADNESS_ANCHORS.isdisjoint(text), text


def test_rule_preconditions_hold_wherever_a_rule_matches_real_text():
    for text in SEED_LINES + CASE_TEXTS + MOJIBAKE:
        assert_preconditions_hold(text)
    assert sum(ftfy.badness.is_bad(text) for text in MOJIBAKE) > 20  # the check above was exercised


@settings(max_examples=500, deadline=None)
@given(GENERATED)
def test_rule_preconditions_hold_on_generated_text(text):
    assert_preconditions_hold(text)


def test_ftfy_is_skipped_on_clean_text_only():
    assert not repairs.ftfy_could_change("Let Us Defend the Soviet Union with Arms! 《세기와 더불어》 “quoted”")
    assert repairs.ftfy_could_change("the â€œway of revolutionary struggleâ€\x9d")
    assert repairs.ftfy_could_change("red \x1b[31mtext")  # an ANSI escape: ftfy's only ASCII repair
    assert repairs.BADNESS_ANCHORS is not None and not repairs.BADNESS_ANCHORS & set("‘’“”—–…")


def every_profile_selector() -> set[str]:
    selectors: set[str] = set()
    for profile in builtin_profiles().values():
        spec = profile.extract
        for value in [spec.get("title", []), spec.get("body", []), spec.get("remove", []), spec.get("body_drop", []),
                      *spec.get("fields", {}).values()]:
            selectors.update([value] if isinstance(value, str) else value)
    return selectors


def test_compiled_selectors_select_what_cssselect_selects():
    selectors = every_profile_selector()
    assert len(selectors) > 10
    pages = sorted((HERE / "fixtures").glob("*/*.html"))
    for path in pages:
        root = extract.parse_html(path.read_bytes().decode("utf-8", "replace"))
        for selector in selectors:
            assert extract.compiled_selector(selector)(root) == root.cssselect(selector), (path.name, selector)


def reference_depth(text: str) -> int:
    """max_open_depth as it was: a loop over every tag."""
    depth = peak = 0
    for m in re.finditer(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*?(/?)>", text):
        if m.group(1):
            depth -= 1
        elif not m.group(3) and m.group(2).lower() not in ("br", "img", "hr", "meta", "link", "input", "wbr"):
            depth += 1
            peak = max(peak, depth)
    return peak


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["<p>", "</p>", "<br>", "<br/>", "<b >", "</b>", "<img src='/x'>", "<a/ >",
                                 "<x//>", "<div class='a/'>", "text", ">", "<", "/", "<3", "</"]), max_size=40))
def test_nesting_depth_matches_the_tag_loop(parts):
    assert extract.max_open_depth("".join(parts)) == reference_depth("".join(parts))


def test_nesting_depth_matches_the_tag_loop_on_every_fixture():
    for path in sorted((HERE / "fixtures").glob("*/*.html")):
        text = path.read_bytes().decode("utf-8", "replace")
        assert extract.max_open_depth(text) == reference_depth(text), path.name


def test_error_page_check_is_skipped_only_where_it_finds_nothing():
    for path in sorted((HERE / "fixtures").glob("*/*.html")):
        text = path.read_bytes().decode("utf-8", "replace")
        root = lxml.html.document_fromstring(text.encode("utf-8"))
        for body_text in ("", root.text_content(), "x" * 2000):
            if error_page_reason(extract.parse_html(text), body_text) is not None:
                assert could_be_error_page(extract.parse_source(text), body_text), path.name
    alert_page = "<html><script>alert('글이 존재하지 않습니다');</script><p>" + "text " * 500 + "</p></html>"
    assert could_be_error_page(alert_page, "text " * 500)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([".", "!", "?", "…", ":", ";", "'", '"', "”", "’", ")", "]", "“", "(", "a", " ",
                                 "\n", "\t", "-0-", "x."]), max_size=12).map("".join))
def test_sentence_end_read_from_the_end_matches_the_pattern(text):
    closing = re.compile(r"[.!?…:;]['\"”’)\]]*$|[\"”’)]$")  # ends_sentence as it was
    assert paragraphs.ends_sentence(text) == bool(closing.search(text.rstrip()))


# The two patterns broken_mid_sentence and looks_truncated searched with, quadratic on one long run of
# letters (16k letters: 9 s): the one-pass readings from the end must say the same on every text.
OLD_OPEN_END = re.compile(r"(?:(?<![\w'’-])[a-z]+|[A-Za-z]-|[,(“‘—–])$")
OLD_LAST_WORD = re.compile(r"([A-Za-z]+)\W*$")
ENDINGS = ["", "at", "some", "cir-", "DPRK's", "Kim-il", "men e", "Pyongyang", "1938", "Khasan.", ",", "(", "“", "‘",
           "—", "–", "-", " -", "é", "_", "’s", "at ’", "at...", "at —", "x\u00a0", "\n", "ŝ", "A-", "é-"]
ENDED = st.lists(st.sampled_from(TOKENS + ENDINGS + [" ", "a", "Z"]), max_size=30).map("".join) | st.text(max_size=40)


@settings(max_examples=2000, deadline=None)
@given(ENDED)
def test_open_end_and_last_latin_word_read_from_the_end_as_the_patterns_did(text):
    assert paragraphs.open_end(text) == bool(OLD_OPEN_END.search(text))
    old = OLD_LAST_WORD.search(text)
    assert paragraphs.last_latin_word(text) == (old.group(1) if old else None)


def test_the_seeds_paragraph_breaks_are_judged_as_before():
    for line in SEED_LINES + CASE_TEXTS:
        for cut in (len(line), len(line) // 2, len(line) // 3):
            assert paragraphs.open_end(line[:cut].rstrip()) == bool(OLD_OPEN_END.search(line[:cut].rstrip())), line


def test_one_long_run_of_letters_is_judged_whole():
    """200,000 letters in one run (a page of base64 or a stuck key): read once from the end, with the
    pattern's answers; bench/quadratic.py prints the time."""
    run = "a" * 200_000
    # the shape that was quadratic: a long run, then another word (every letter of the run was tried)
    assert paragraphs.broken_mid_sentence("The unit crossed the river " + run + " at", "Lake Khasan.")
    assert not paragraphs.broken_mid_sentence("The unit crossed the river " + run + " x", "Lake Khasan.")
    assert paragraphs.last_latin_word(run + " at ...") == "at" and paragraphs.last_latin_word(run + " 1") is None
    assert paragraphs.open_end(run) and paragraphs.open_end("Korean " * 10 + run)
    assert not paragraphs.open_end("A" * 200_000) and not paragraphs.open_end("é" + run)
    assert paragraphs.last_latin_word("the column marched " + run + " ...") == run
    assert paragraphs.broken_mid_sentence("The unit crossed the river and " + run, "then it rested.")
    assert not paragraphs.broken_mid_sentence("The unit crossed the river and " + run + ".", "then it rested.")
    assert paragraphs.looks_truncated(["The unit crossed the river and " + run])


# Nested tables (a layout pasted into itself, or a hostile page): trafilatura's table handling is
# quadratic in the nesting (14 KB: 34 s); the page reaches it with the nesting bounded, text kept.
KCNA = [line for line in (HERE / "seeds" / "globalsecurity-kcna-2010-09-14.txt").read_text(encoding="utf-8").splitlines()
        if len(line) > 80][:3]


def _table_depth(page) -> int:
    root = page if not isinstance(page, str) else lxml.html.document_fromstring(page.encode("utf-8"))
    return max((sum(1 for _ in t.iterancestors("table")) + 1 for t in root.iter("table")), default=0)


@pytest.mark.parametrize("markup", ["bottom", "every-cell", "rows"])
def test_deeply_nested_tables_reach_trafilatura_bounded_and_keep_their_text(monkeypatch, markup):
    import cleaners
    depth = 930
    if markup == "bottom":       # the article at the bottom of 930 nested tables
        html = "<table><tr><td>" * depth + "".join(f"<p>{p}</p>" for p in KCNA)
    elif markup == "every-cell":  # a sentence per level
        html = "".join(f"<table><tr><td>{KCNA[i % len(KCNA)]}" for i in range(depth // 3))
    else:                         # rows of cells, nested in the last cell
        html = "".join(f"<table><tr><td>Pyongyang</td><td>{KCNA[i % len(KCNA)]}" for i in range(depth // 3))
    page = f"<html><head><title>Nested</title></head><body>{html}</body></html>".encode("utf-8")
    seen = []
    real = extract._trafilatura
    monkeypatch.setattr(extract, "_trafilatura", lambda p, focus: seen.append(_table_depth(p)) or real(p, focus))
    doc = cleaners.clean_page(page, "https://unknown.example/news/2010/article.html")
    assert seen and max(seen) <= extract.MAX_TABLE_DEPTH
    text = " ".join(doc.paragraphs)
    assert all(p[:60] in text for p in KCNA)


def test_pages_nested_within_the_bound_are_not_touched():
    pages = [p for p in (HERE / "fixtures").rglob("*.htm*")]
    assert len(pages) > 20
    for path in pages:
        text = path.read_bytes().decode("utf-8", "replace")
        assert extract.flatten_deep_tables(text) == text, path
    nested = "<table><tr><td>" * extract.MAX_TABLE_DEPTH + "text"
    assert extract.flatten_deep_tables(nested) == nested
    assert extract.flatten_deep_tables("<table><tr><td>" + nested) != nested
