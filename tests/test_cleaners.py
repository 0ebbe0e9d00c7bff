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
from core.document import PUBLIC_KEYS
from core.profiles import profile_for_url
from replay.server import load_snapshot
from tests.conftest import SEEDS

HERE = Path(__file__).resolve().parent
CASES = json.loads((HERE / "cases" / "repairs.json").read_text(encoding="utf-8"))
GS = "https://www.globalsecurity.org/wmd/library/news/dprk/2010/"
ARTICLE = re.compile(r"kcna\d\d\.htm$|[?&]wr_id=\d+$")


@pytest.fixture(scope="module")
def snapshot():
    return load_snapshot([HERE.parent / "flows" / "snapshots" / "snapshot-1.warc.gz"])


def clean(snapshot, url):
    page = snapshot[url]
    return cleaners.clean_page(page.body, url, headers={k.lower(): v for k, v in page.headers})


@pytest.fixture(scope="module")
def snapshot_articles(snapshot):
    """Every article page of snapshot 1, cleaned: {url: Document} (its error pages served as 200 are not
    articles: they raise SoftNotFound, tests/test_site_eras.py checks them)."""
    articles = {}
    for url, r in sorted(snapshot.items()):
        if r.status == 200 and ARTICLE.search(url):
            try:
                articles[url] = clean(snapshot, url)
            except cleaners.SoftNotFound:
                continue
    return articles


@pytest.fixture(scope="module")
def kancc_seed(snapshot):
    """The KANCC seed post (seeds/kancc-reminiscences-ch21-6.txt) as the snapshot serves it."""
    return clean(snapshot, SEEDS["kancc"])


@pytest.fixture(scope="module")
def gs_seed(snapshot):
    """The GlobalSecurity seed article (seeds/globalsecurity-kcna-2010-09-14.txt) as the snapshot serves it."""
    return clean(snapshot, SEEDS["globalsecurity"])


def body_text(doc) -> str:
    """What the golden files hold: title, paragraphs and flags (the metadata is checked on its own)."""
    return "\n\n".join([doc.title, *doc.paragraphs]) + (f"\n[{', '.join(doc.flags)}]" if doc.flags else "") + "\n"


# --- golden seeds ---------------------------------------------------------------------------------

@pytest.mark.parametrize("doc_fixture, golden", [("kancc_seed", "kancc-reminiscences-ch21-6"),
                                                 ("gs_seed", "globalsecurity-kcna-2010-09-14")])
def test_seed_pages_clean_to_the_reviewed_golden_text(request, doc_fixture, golden):
    """tests/golden/<seed>.txt: the reviewed text of each seed page after cleaning."""
    doc = request.getfixturevalue(doc_fixture)
    assert body_text(doc) == (HERE / "golden" / f"{golden}.txt").read_text(encoding="utf-8")


def test_render_text_has_title_metadata_and_body(kancc_seed):
    lines = cleaners.render_text(kancc_seed).split("\n")
    assert lines[0] == kancc_seed.title and lines[2] == ""
    assert lines[1] == f"2020-09-18 | With the Century | {kancc_seed.source_url}"
    assert lines[3] == kancc_seed.paragraphs[0] and lines[-2] == "[truncated]"


def test_kancc_seed_figures(kancc_seed):
    body = "\n".join(kancc_seed.paragraphs)
    headings = kancc_seed.extra["heading_lines"]
    assert kancc_seed.title == "Let Us Defend the Soviet Union with Arms!"
    assert (body + kancc_seed.title + "".join(headings)).count("\\") == 0 and not re.search(r"\brom\b", body)
    # #bo_v_con holds 65 "Soviet Union": 64 repaired from "\union", 1 written with a no-break space.
    # Its first two lines (subject and section heading) are headings, not paragraphs: kept in extra.
    assert headings == ["[Reminiscences]Chapter 21 6. “Let Us Defend the Soviet Union with Arms!”",
                        "6. “Let Us Defend the Soviet Union with Arms!”"]
    assert body.count("Soviet Union") == 63 and (body + "".join(headings)).count("Soviet Union") == 65
    assert "truncated" in kancc_seed.flags and body.endswith("who had lost all their men e")
    repairs = {(r["rule"], r["where"]): r for r in kancc_seed.repairs}
    body_backslash = repairs[("backslash-space", "body")]["detail"]
    assert (body_backslash["\\and"], body_backslash["\\union"], body_backslash["\\or"]) == (123, 64, 12)
    assert repairs[("backslash-space", "body")]["count"] == 211
    assert repairs[("backslash-space", "title")]["detail"] == {"\\union": 1}
    assert repairs[("rom-from", "body")]["count"] == 28
    assert repairs[("print-hyphen", "body")]["count"] == 3
    assert repairs[("paragraph-rejoin", "body")]["count"] == 2
    assert repairs[("heading-line", "body")]["count"] == 2
    for entry in kancc_seed.repairs:
        assert entry["count"] >= 1 and 1 <= len(entry["examples"]) <= 5
    for word in ("circumstances", "distinguish", "Revolutionary"):
        assert word in body
    for split in ("cir-cumstances", "dis-tinguish", "Revolu-tionary"):
        assert split not in body
    assert "some comrades from the Hunchun" in body and "incident at Lake Khasan." in body
    assert "From 1932 to 1939" in body and "necessity. From the outset" in body
    assert "\u00a0" not in body and "anti-Japanese" in body and "Khalkhin-Gol" in body


@pytest.mark.parametrize("doc_fixture", ["kancc_seed", "gs_seed"])
def test_cleaning_a_cleaned_seed_changes_nothing(request, doc_fixture):
    doc = request.getfixturevalue(doc_fixture)
    log = RepairLog()
    assert repair_paragraphs(doc.paragraphs, log) == (doc.paragraphs, doc.flags)
    assert repair_text(doc.title, log) == doc.title and log.as_list() == []


def test_kancc_seed_metadata(kancc_seed):
    pub = kancc_seed.public_dict()
    assert list(pub) == list(PUBLIC_KEYS)
    assert (pub["site"], pub["series"], pub["chapter"], pub["section"], pub["lang"]) == (
        "kancc", "With the Century", 21, 6, "en")
    # `date` is always an ISO date; the posting's date-time (Korea time) has a field of its own
    assert pub["date"] == "2020-09-18" and pub["posted_at"] == "2020-09-18T19:23:00+09:00"
    assert pub["author"] == "Kim Il Sung" and pub["site_section"] is None
    extra = kancc_seed.extra
    board, post_id = re.search(r"bo_table=(\w+)&wr_id=(\d+)", kancc_seed.source_url).groups()
    assert (extra["poster"], extra["comment_count"], extra["board"], extra["post_id"]) == ("편집국", 0, board, post_id)
    assert kancc_seed.id == f"kancc-{board}-{post_id}"  # kancc-memoir-1093 for the canonical URL
    assert extra["subject_raw"] == "[Reminiscences]Chapter 21 6. “Let Us Defend the Soviet\\\\union with Arms!”"
    assert extra["series_ko"] == "세기와 더불어"
    text = kancc_seed.title + "\n".join(kancc_seed.paragraphs)
    for chrome in ("페이스북", "댓글", "Copyright", "본문 바로가기", "추천", "페이지 정보", "편집국", "\\"):
        assert chrome not in text


def test_globalsecurity_seed_metadata_and_chrome(gs_seed):
    assert gs_seed.id == "globalsecurity-dprk-100914-kcna01"
    assert gs_seed.title == "International Obligation Noted in History of DPRK-China Friendship"
    assert (gs_seed.date, gs_seed.place) == ("2010-09-14", "Pyongyang")
    assert gs_seed.agency == "Korean Central News Agency (KCNA)"
    assert gs_seed.distributor == "Korea News Service (KNS)"
    assert gs_seed.site_section == "Weapons of Mass Destruction (WMD)" and gs_seed.section is None
    text = gs_seed.title + "\n".join(gs_seed.paragraphs)
    for chrome in ("UNITED24", "mailing list", "Weapons of Mass Destruction (WMD)", "Korea News Service", "NEWSLETTER"):
        assert chrome not in text
    # the dateline is part of the article's text: it stays (and gave place, date and agency)
    assert gs_seed.paragraphs[0].startswith("Pyongyang, September 14 (KCNA) -- Upon the lapse")
    assert len(gs_seed.paragraphs) == 28 and gs_seed.repairs == [] and gs_seed.flags == []


def test_every_snapshot_article_cleans_without_chrome_or_corruption(snapshot_articles):
    residue = re.compile(r"UNITED24|mailing list|NEWSLETTER|Page last modified|Clearance Job|GlobalSecurity\.org"
                         r"|댓글|페이스북|Copyright|본문 바로가기|\\|\brom\b|â€|\u00a0|\x0c")
    assert set(SEEDS.values()) <= set(snapshot_articles) and len(snapshot_articles) >= 10
    for url, doc in snapshot_articles.items():
        assert not residue.search(doc.title + "\n".join(doc.paragraphs)), url
        assert doc.date and doc.lang in ("en", "ko") and doc.site == profile_for_url(url).name
        for chrome in profile_for_url(url).chrome_strings:
            assert chrome not in doc.title + "\n".join(doc.paragraphs), (url, chrome)


def test_snapshot_kancc_posts_have_their_metadata(snapshot_articles):
    # the memoir's posts (the data board reposts North Korean media: no series, chapter or section)
    posts = [d for u, d in snapshot_articles.items() if "wr_id=" in u and "bo_table=data" not in u]
    assert posts
    for doc in posts:
        assert doc.chapter and doc.section and doc.series == "With the Century", doc.source_url
        assert re.fullmatch(r"20\d\d-\d\d-\d\d", doc.date) and doc.posted_at.startswith(doc.date)
        assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:00\+09:00", doc.posted_at)
        assert doc.extra["post_id"] == doc.source_url.rsplit("=", 1)[1] and doc.extra["heading_lines"]


def test_charset_evidence_and_its_log(snapshot):
    wrong = clean(snapshot, GS + "dprk-100915-kcna02.htm")    # declares iso-8859-1, bytes are UTF-8
    text = "\n".join(wrong.paragraphs)
    assert "“" in text and "”" in text and "â€" not in text
    assert [r["rule"] for r in wrong.repairs] == ["charset"]
    assert wrong.repairs[0]["examples"][0] == ["declared cp1252", "decoded as utf-8 (the bytes are not cp1252)"]
    cp1252 = clean(snapshot, GS + "dprk-100913-kcna03.htm")   # declares iso-8859-1, bytes windows-1252
    text = "\n".join(cp1252.paragraphs)
    assert "“Let Us Increase Production" in text and "\x93" not in text and "â€" not in text
    assert cp1252.repairs == []


def test_korean_post_is_kept_exactly(snapshot, snapshot_articles):
    korean = [d for d in snapshot_articles.values() if d.lang == "ko"]
    assert korean
    for doc in korean:
        page = snapshot[doc.source_url].body.decode("utf-8").replace("&nbsp;", " ").replace("\u00a0", " ")
        page = " ".join(page.split())  # runs of spaces are collapsed (the whitespace rule), nothing else
        for paragraph in doc.paragraphs:
            assert paragraph in page  # Korean text passes through every rule unchanged
        assert not [r for r in doc.repairs if r["rule"] in ("backslash-space", "rom-from", "print-hyphen", "ftfy")]


def test_form_feed_variant_page():
    """The KANCC form-feed variant (a real capture of another post: "way\\f rom"), as a page."""
    html = ("<html><head><title>[Reminiscences]Chapter 11 5. Choe Hyon, a Veteran General &gt; 회고록</title></head>"
            "<body><div id='bo_v_info'>작성자 편집국 작성일20-09-01 10:00 댓글0건</div><div id='bo_v_con'>"
            "<p>[Reminiscences]Chapter 11 5. Choe Hyon, a Veteran General</p><p>5. Choe Hyon, a Veteran General</p>"
            "<p>We made a major stopover on our way\x0crom Nanhutou to Mt. Paektu at the rear base.\\and then "
            "we went on.</p></div></body></html>")
    doc = cleaners.clean_page(html.encode("utf-8"), "https://kancc.org/bbs/board.php?bo_table=memoir&wr_id=700")
    assert doc.paragraphs == ["We made a major stopover on our way from Nanhutou to Mt. Paektu at the rear base. "
                              "And then we went on."]
    assert {r["rule"] for r in doc.repairs} >= {"form-feed-from", "backslash-space", "heading-line"}
    assert (doc.chapter, doc.section, doc.title) == (11, 5, "Choe Hyon, a Veteran General")


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


MANGLE_TOKENS = st.sampled_from([
    "the", "Soviet", "union", "Union", "and", "or", "rom", "from", "ROM", "Rom", "cir", "cumstances", "anti",
    "Japanese", "\\", "\\\\", "\x0c", "\u00a0", " ", " ", " ", ".", ",", "-", "“", "”", "’", "&amp;", "&rsquo;",
    "회고록", "C:", "Windows", "at", "Lake", "Khasan", "e", "1932", "\u200b", "â€œ", "way", "order", "where"])


@settings(max_examples=600, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.lists(st.lists(MANGLE_TOKENS, min_size=1, max_size=40).map("".join), min_size=1, max_size=4))
def test_repairs_are_idempotent_on_any_mix_of_corruption(paragraphs):
    """Whatever the mix of backslashes, form feeds, entities, mojibake and hyphens: a second cleaning
    of cleaned text changes nothing."""
    once, flags = repair_paragraphs(paragraphs)
    log = RepairLog()
    twice, flags_twice = repair_paragraphs(once, log)
    assert (twice, flags_twice) == (once, flags) and log.as_list() == []


CLEAN_WORDS = st.sampled_from([
    "the", "Soviet", "Union", "union", "trade", "and", "or", "from", "prom", "random", "Rome", "chrome", "ROM", "Rom",
    "CD-ROM", "anti-Japanese", "high-ranking", "Khalkhin-Gol", "Sahoe-ri", "twenty-one", "self-reliance", "so-called",
    "Kim", "Il", "Sung", "Workers’", "Party", "people’s", "“Juche”", "‘idea’", "—", "1939", "50,000", "C:\\Windows",
    "\\n", "회고록", "《세기와", "더불어》", "조선-", "order", "where", "whereas", "organize", "Pyongyang,", "(KCNA)", "--"])


@settings(max_examples=600, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.lists(st.lists(st.tuples(CLEAN_WORDS, PUNCT).map("".join), min_size=1, max_size=30).map(" ".join),
                min_size=1, max_size=4))
def test_text_without_the_corruption_is_never_touched(paragraphs):
    """Real words, compounds, names, paths, quotes and Korean, with nothing mangled: every word-level
    rule leaves them exactly as they are, and logs nothing."""
    log = RepairLog()
    assert [repair_text(p, log) for p in paragraphs] == paragraphs and log.as_list() == []


# --- paragraph structure and truncation --------------------------------------------------------------

@pytest.mark.parametrize("paragraphs, expected", [
    (["In the summer of 1938 the Japanese imperialists provoked an incident at", "Lake Khasan. That was all."],
     ["In the summer of 1938 the Japanese imperialists provoked an incident at Lake Khasan. That was all."]),
    (["While we were operating in the guerrilla zone at Xiaowangqing, some", "comrades from the regiment came."],
     ["While we were operating in the guerrilla zone at Xiaowangqing, some comrades from the regiment came."]),
    (["The circumstances of the campaign at that time required all of us to dis-", "tinguish friend from foe."],
     ["The circumstances of the campaign at that time required all of us to distinguish friend from foe."]),
])
def test_paragraph_broken_mid_sentence_is_rejoined(paragraphs, expected):
    log = RepairLog()
    assert repair_paragraphs(paragraphs, log)[0] == expected
    assert "paragraph-rejoin" in {r["rule"] for r in log.as_list()}


@pytest.mark.parametrize("paragraphs", [
    ["Kim Jong Un Inspects the Construction Site of a New Hospital in Pyongyang", "He said the work was good."],
    ["The anniversary of the founding of the army was marked across the country", "The Korean people rejoiced."],
    ["Short heading in lower case", "then a paragraph that starts in lower case."],
    ["6. “Let Us Defend the Soviet Union with Arms!”", "The Soviet Union, which had established a government."],
    ["깊은 산속 밀영에서 맞는 밤은 길고도 추웠다 그리고 대원들은 모닥불가에 둘러앉아 조국에 대한 이야기를", "나누었다."],
])
def test_paragraphs_that_are_not_broken_stay_apart(paragraphs):
    assert repair_paragraphs(paragraphs)[0] == paragraphs


@pytest.mark.parametrize("last, truncated", [
    ("I heard later that the Japanese officers who had lost all their men e", True),
    ("the soldiers of the army fought on,", True),
    ("It ended well.", False), ("“Let us defend the Soviet Union with arms!”", False),
    ("Kim Il Sung", False), ("Pyongyang, September 14, Juche 99 (2010)", False),
])
def test_truncation_flag(last, truncated):
    assert ("truncated" in repair_paragraphs(["A first paragraph.", last])[1]) is truncated


# --- metadata rules ------------------------------------------------------------------------------------

@pytest.mark.parametrize("line, expected", [
    ("Pyongyang, September 14 (KCNA) -- Upon the lapse", ("Pyongyang", 9, 14, "KCNA", None)),
    ("Pyongyang, Sept. 9 (KCNA) -- The", ("Pyongyang", 9, 9, "KCNA", None)),
    ("Pyongyang, June 25, 2012 (KNS-KCNA) -- The", ("Pyongyang", 6, 25, "KNS-KCNA", 2012)),
    ("Phnom Penh, 3 May (KCNA) — The", ("Phnom Penh", 5, 3, "KCNA", None)),
])
def test_kcna_dateline_variants(line, expected):
    from cleaners.kcna import parse_dateline
    found = parse_dateline(line)
    assert (found["place"], found["month"], found["day"], found["agency"], found["year"]) == expected


@pytest.mark.parametrize("line", ["In the past, communists and revolutionary people", "Pyongyang, the capital (KCNA)",
                                  "Pyongyang, Smarch 14 (KCNA) -- no such month"])
def test_not_a_dateline(line):
    from cleaners.kcna import parse_dateline
    assert parse_dateline(line) is None


def test_proper_names_are_data():
    from cleaners.repairs import PROPER_NAMES, proper_form
    assert "Soviet Union" in PROPER_NAMES and all(name == name.strip() for name in PROPER_NAMES)
    assert proper_form("union", "the Soviet", " with arms") == "Union"
    assert proper_form("union", "the trade", " with arms") is None
    assert proper_form("army", "the Korean People's Revolutionary", "") == "Army"


def test_cleaner_version_names_the_rules():
    assert re.fullmatch(r"\d+\.\d+\.\d+\+[0-9a-f]{10}", cleaners.CLEANER_VERSION)


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


def _repost_page(dateline: str) -> bytes:
    paragraphs = [f"{dateline} The delegation of the Workers' Party of Korea left here today for a visit to several "
                  "countries of Southeast Asia at the invitation of their parties."] + [
        f"Paragraph {i} of the article tells of the struggle and the victory of the people in the long war." for i in range(5)]
    return ("<html><head><title>Delegation Leaves</title></head><body><article><h1>Delegation Leaves</h1>"
            + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article></body></html>").encode("utf-8")


def test_unknown_site_year_from_the_dateline_or_flagged_from_the_capture():
    url = "https://mirror.example/news/delegation-leaves"
    with_year = cleaners.clean_page(_repost_page("Pyongyang, March 3, 2011 (KNS-KCNA) --"), url)
    assert (with_year.date, with_year.place, with_year.flags) == ("2011-03-03", "Pyongyang", [])
    assert with_year.agency == "Korean Central News Agency (KCNA)"
    guessed = cleaners.clean_page(_repost_page("Pyongyang, March 3 (KCNA) --"), url,
                                  capture={"captured_at": "2026-10-01T03:00:00Z"})
    assert guessed.date == "2026-03-03" and guessed.flags == ["date-year-from-capture"]
    assert guessed.capture == {"captured_at": "2026-10-01T03:00:00Z"}
    # the page's own headline, repeated as the first line of the text, is a heading: kept out of the body
    assert guessed.paragraphs[0].startswith("Pyongyang, March 3 (KCNA) -- The delegation")


def test_globalsecurity_page_in_unknown_markup_still_cleans_fully():
    """The profile's selectors are a reconstruction: a real page laid out otherwise must still come out
    clean (trafilatura + the profile's chrome line patterns) with its metadata (read by text pattern)."""
    text = (Path(__file__).resolve().parent / "seeds" / "globalsecurity-kcna-2010-09-14.txt").read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    html = ("<html><head><title>" + blocks[2] + "</title></head><body>"
            "<div id='u24'><a href='https://u24.gov.ua'>" + blocks[0] + "</a></div>"
            "<div class='menu'><ul><li><a href='/'>Home</a></li><li><a href='/wmd/'>WMD</a></li></ul></div>"
            "<div class='label'>" + blocks[1] + "</div><div class='main'><div class='title'><b>" + blocks[2] +
            "</b></div><div class='src'><i>" + blocks[3] + "</i></div>" + "".join(f"<p>{p}</p>" for p in blocks[4:-1]) +
            "</div><div class='footer'><b>NEWSLETTER</b><br><a href='/join'>" + blocks[-1].strip() + "</a></div></body></html>")
    doc = cleaners.clean_page(html.encode(), "https://www.globalsecurity.org/wmd/library/news/dprk/2010/dprk-100914-kcna01.htm")
    assert doc.extra["extraction"] == "trafilatura"
    assert doc.paragraphs == [p for p in blocks[4:-1]]
    assert (doc.title, doc.date, doc.place) == (blocks[2], "2010-09-14", "Pyongyang")
    assert (doc.distributor, doc.site_section) == ("Korea News Service (KNS)", "Weapons of Mass Destruction (WMD)")


def test_table_layout_kcna_repost_without_profile_keeps_its_paragraphs():
    """Old KCNA mirrors lay articles out in tables, which main-text extractors flatten into one line
    per cell: the densest text block is read instead, paragraph by paragraph."""
    paras = ["Pyongyang, July 5 (KCNA) -- The residents' association held a meeting at its hall on July 3 to mark the day.",
             "Displayed at the venue were photos showing the history of the association and its activities.",
             "Speakers said that they would carry forward the movement under the banner of independence.",
             "Then followed a film show and an art performance given by the members of the association."]
    html = ("<html><head><title>Meeting Held by Residents</title></head><body><table>"
            "<tr><td>calendar&gt;&gt;July 5. 2014 Juche 103</td></tr><tr><td><font size=4><b>Meeting Held by Residents</b>"
            "</font></td></tr><tr><td>" + "".join(f"<p>{p}</p>" for p in paras) + "</td></tr><tr><td>Copyright (C) "
            "KOREA NEWS SERVICE(KNS) All Rights Reserved.</td></tr></table></body></html>")
    doc = cleaners.clean_page(html.encode(), "http://www.kcna.co.jp/item/2014/201407/news05/20140705-17ee.html")
    assert doc.site == "web" and doc.extra["extraction"] == "densest-block"
    assert doc.paragraphs == paras and doc.title == "Meeting Held by Residents"
    assert (doc.date, doc.place, doc.agency) == ("2014-07-05", "Pyongyang", "Korean Central News Agency (KCNA)")


def test_memoir_reposted_on_another_board_gets_a_stable_site_id(snapshot):
    """The same post on the site's news board (as on the real site): cleaned under the profile, own id."""
    from tests.conftest import SEEDS

    page = snapshot[SEEDS["kancc"]]
    doc = cleaners.clean_page(page.body, "http://www.kancc.org/bbs/board.php?bo_table=news&wr_id=28533",
                              headers={k.lower(): v for k, v in page.headers})
    assert doc.id == "kancc-news-28533" and doc.site == "kancc"
    assert doc.title == "Let Us Defend the Soviet Union with Arms!"


def test_document_to_dict_is_asdict_and_a_copy(snapshot_articles):
    """Document.to_dict skips dataclasses.asdict's deepcopy of every leaf; it must give the same data,
    JSON included, and a copy the caller can change."""
    import dataclasses

    for doc in snapshot_articles.values():
        plain = doc.to_dict()
        assert plain == dataclasses.asdict(doc)
        assert json.dumps(plain, ensure_ascii=False) == json.dumps(dataclasses.asdict(doc), ensure_ascii=False)
    doc = next(d for d in snapshot_articles.values() if d.repairs)
    plain = doc.to_dict()
    plain["paragraphs"].append("x")
    plain["repairs"][0]["rule"] = "changed"
    assert doc.paragraphs[-1] != "x" and doc.repairs[0]["rule"] != "changed"
