"""Cleaners: golden seed pages, repair cases as data, properties, metadata, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cleaners
from cleaners.repairs import RepairLog, repair_paragraphs, repair_text
from scrapers.replay import load_snapshot

HERE = Path(__file__).resolve().parent
CASES = json.loads((HERE / "cases" / "repairs.json").read_text(encoding="utf-8"))
GS = "https://www.globalsecurity.org/wmd/library/news/dprk/2010/"
KANCC = "https://kancc.org/bbs/board.php?bo_table=heigo&wr_id="


@pytest.fixture(scope="module")
def snapshot():
    return load_snapshot([HERE.parent / "kcorpus" / "snapshots" / "snapshot-1.warc.gz"])


def clean(snapshot, url):
    page = snapshot[url]
    return cleaners.clean_page(page.body, url, headers={k.lower(): v for k, v in page.headers})


@pytest.fixture(scope="module")
def kancc_seed(snapshot):
    return clean(snapshot, KANCC + "504")


@pytest.fixture(scope="module")
def gs_seed(snapshot):
    return clean(snapshot, GS + "dprk-100914-kcna01.htm")


# --- golden seeds ---------------------------------------------------------------------------------

@pytest.mark.parametrize("doc_fixture, golden", [("kancc_seed", "kancc-heigo-504"),
                                                 ("gs_seed", "globalsecurity-dprk-100914-kcna01")])
def test_seed_pages_clean_to_the_reviewed_golden_text(request, doc_fixture, golden):
    doc = request.getfixturevalue(doc_fixture)
    assert cleaners.render_text(doc) == (HERE / "golden" / f"{golden}.txt").read_text(encoding="utf-8")


def test_kancc_seed_figures(kancc_seed):
    body = "\n".join(kancc_seed.paragraphs)
    assert kancc_seed.title == "Let Us Defend the Soviet Union with Arms!"
    assert body.count("\\") == 0 and not re.search(r"\brom\b", body)
    # 65 in the TEI body: the title as <head> plus 64 in the paragraphs (63 repaired + 1 NBSP)
    assert (kancc_seed.title + "\n" + body).count("Soviet Union") == 65
    assert "truncated" in kancc_seed.flags
    repairs = {(r["rule"], r["where"]): r for r in kancc_seed.repairs}
    body_backslash = repairs[("backslash-space", "body")]["detail"]
    assert body_backslash["\\and"] == 123
    assert body_backslash["\\union"] + repairs[("backslash-space", "title")]["detail"]["\\union"] == 64
    assert repairs[("rom-from", "body")]["count"] == 28
    assert repairs[("print-hyphen", "body")]["count"] == 3
    assert repairs[("paragraph-rejoin", "body")]["count"] == 2
    for word in ("circumstances", "distinguish", "Revolutionary"):
        assert word in body
    assert "some comrades from the Hunchun" in body and "incident at Lake Khasan." in body


def test_kancc_seed_metadata(kancc_seed):
    pub = kancc_seed.public_dict()
    assert list(pub) == list(cleaners.document.PUBLIC_KEYS)
    assert (pub["series"], pub["chapter"], pub["section"], pub["lang"]) == ("With the Century", 21, "6", "en")
    assert pub["date"] == "2020-09-18T19:23:00+09:00" and pub["author"] == "Kim Il Sung"
    assert kancc_seed.extra["poster"] == "편집국" and kancc_seed.extra["comment_count"] == 0
    assert (kancc_seed.extra["board"], kancc_seed.extra["post_id"]) == ("heigo", "504")
    assert kancc_seed.id == "kancc-heigo-504"
    text = kancc_seed.title + "\n".join(kancc_seed.paragraphs)
    for chrome in ("페이스북", "댓글", "Copyright", "본문 바로가기", "추천", "페이지 정보", "편집국"):
        assert chrome not in text


def test_globalsecurity_seed_metadata_and_chrome(gs_seed):
    assert gs_seed.title == "International Obligation Noted in History of DPRK-China Friendship"
    assert (gs_seed.date, gs_seed.place) == ("2010-09-14", "Pyongyang")
    assert gs_seed.agency == "Korean Central News Agency (KCNA)"
    assert gs_seed.distributor == "Korea News Service (KNS)"
    assert gs_seed.section == "Weapons of Mass Destruction (WMD)"
    text = "\n".join(gs_seed.paragraphs)
    for chrome in ("UNITED24", "mailing list", "Weapons of Mass Destruction (WMD)", "Korea News Service"):
        assert chrome not in text
    assert gs_seed.paragraphs[0].startswith("Pyongyang, September 14 (KCNA) -- Upon the lapse")
    assert len(gs_seed.paragraphs) == 28 and gs_seed.repairs == [] and gs_seed.flags == []


def test_every_snapshot_article_cleans_without_chrome_or_corruption(snapshot):
    residue = re.compile(r"UNITED24|mailing list|NEWSLETTER|Page last modified|Clearance Job|GlobalSecurity\.org"
                         r"|댓글|페이스북|Copyright|본문 바로가기|\\|\brom\b|â€|\u00a0")
    urls = [u for u, r in snapshot.items() if r.status == 200 and re.search(r"kcna\d\d\.htm$|wr_id=\d+$", u)]
    assert len(urls) == 19
    for url in urls:
        doc = clean(snapshot, url)
        assert not residue.search(doc.title + "\n".join(doc.paragraphs)), url
        assert doc.date and doc.lang in ("en", "ko")


def test_charset_evidence_and_its_log(snapshot):
    wrong = clean(snapshot, GS + "dprk-100915-kcna02.htm")    # declares iso-8859-1, bytes are UTF-8
    assert "“way of revolutionary struggle”" in "\n".join(wrong.paragraphs)
    assert [r["rule"] for r in wrong.repairs] == ["charset"]
    cp1252 = clean(snapshot, GS + "dprk-100913-kcna03.htm")   # declares iso-8859-1, bytes windows-1252
    assert "“Let Us Increase Production in the Last Quarter”" in "\n".join(cp1252.paragraphs)
    assert cp1252.repairs == []


def test_korean_post_is_kept_exactly(snapshot):
    doc = clean(snapshot, KANCC + "497")
    assert doc.lang == "ko" and doc.title == "밀영의 밤" and doc.chapter == 20
    assert "깊은 산속 밀영에서 맞는 밤은 길고도 추웠다. 대원들은 모닥불가에 둘러앉아 조국에 대한 이야기를 나누었다." in doc.paragraphs


def test_real_form_feed_variant(snapshot):
    doc = clean(snapshot, KANCC + "376")
    assert doc.paragraphs[1].startswith("We made a major stopover on our way from Nanhutou")
    assert "truncated" in doc.flags


# --- repair cases as data (after ftfy's test-cases) ---------------------------------------------------

@pytest.mark.parametrize("case", CASES["in-the-wild"] + CASES["synthetic"], ids=lambda c: c["label"])
def test_repair_case(case):
    log = RepairLog()
    assert repair_text(case["original"], log) == case["fixed"]
    assert log.as_list(), "a repair must be logged"


@pytest.mark.parametrize("case", CASES["negative"], ids=lambda c: c["label"])
def test_negative_case_is_untouched(case):
    log = RepairLog()
    assert repair_text(case["original"], log) == case["original"]
    assert log.as_list() == []


# --- properties ---------------------------------------------------------------------------------------

WORDS = st.sampled_from(["the", "Soviet", "Union", "and", "or", "army", "Korean", "people", "from", "struggle",
                         "anti-Japanese", "high-ranking", "“Let", "us”", "1939", "회고록", "세기와", "ROM", "Rom",
                         "C:\\Windows", "random", "order", "where"])
PUNCT = st.sampled_from(["", ",", ".", "!", "?", ";"])
SENTENCES = st.lists(st.tuples(WORDS, PUNCT).map("".join), min_size=1, max_size=25).map(" ".join)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(SENTENCES)
def test_clean_text_is_never_touched(text):
    assert repair_text(text) == text


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(SENTENCES, min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_repairs_are_idempotent_on_corrupted_text(paragraphs, rnd):
    corrupted = [re.sub(r" (and|or|where|order)\b", lambda m: "\\" + m.group(1) if rnd.random() < 0.5 else m.group(0), p)
                 for p in paragraphs]
    once, _ = repair_paragraphs(corrupted)
    twice, _ = repair_paragraphs(once)
    assert once == twice
    # corruption glued onto a real path ("C:\\Windows\\and") is ambiguous and rightly left alone
    residue = [t for p in once for t in p.split() if re.search(r"\\(and|or|where|order)\b", t) and ":\\" not in t]
    assert residue == []


# --- bad input ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, message", [
    (b"", "empty page"), (b"   \n ", "empty page"), (b"\x00\x01\x02binary\xff" * 50, "not HTML: binary"),
    (b"just some plain text, no markup at all", "not HTML"),
    (b"<html><body><nav></nav></body></html>", "no article text"),
])
def test_bad_input_raises_one_line_cleaning_error(body, message):
    with pytest.raises(cleaners.CleaningError) as err:
        cleaners.clean_page(body, "https://example.org/x.htm")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_unknown_kcna_site_falls_back_to_trafilatura_with_same_repairs():
    paragraphs = ["Pyongyang, March 3 (KCNA) -- The Soviet\\union was faced with a threat rom the east, "
                  "and the people of the country rose up to defend it with all their strength and will."] + [
        f"Paragraph {i} of the article tells of the struggle\\and the victory of the people in the war."
        for i in range(6)]
    page = ("<html><head><title>A Repost</title></head><body><div class='menu'><a href='/'>Home</a></div>"
            "<article><h1>A Repost</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs) +
            "</article><footer>Copyright 2024 Example</footer></body></html>").encode("utf-8")
    doc = cleaners.clean_page(page, "https://kcna-mirror.example/2012/03/a-repost.html")
    assert doc.site == "web" and re.fullmatch(r"web-[a-z0-9-]+-[0-9a-f]{8}", doc.id)
    assert doc.extra["extraction"] == "trafilatura"
    assert (doc.place, doc.date) == ("Pyongyang", "2012-03-03")
    assert doc.paragraphs[0].startswith("Pyongyang, March 3 (KCNA) -- The Soviet Union was faced with a threat from")
    assert "\\" not in "".join(doc.paragraphs)


def test_import_is_cheap():
    import subprocess
    import sys
    code = "import sys, cleaners; bad = {'trafilatura', 'great_expectations', 'prefect'} & set(sys.modules); assert not bad, bad"
    subprocess.run([sys.executable, "-c", code], check=True)
