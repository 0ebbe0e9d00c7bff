"""kcna.kp and Rodong Sinmun (English): real text in each site's layouts cleans with no chrome and the right
metadata; both URL schemes give ids; the quality gate's chrome strings come from the same profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

import cleaners
from core.profiles import get_profile

FIXTURES = Path(__file__).parent / "fixtures" / "sites"
KIM_YO_JONG = "http://www.kcna.kp/en/article/q/134a0eb1839cb01381c703e99144182116b5c41fea8bd4fb75e6da9cf995125e.kcmsf"
REVIEW = "http://www.kcna.kp/en/article/detail/5d2f0c1e9a7b4c3d8e6f1a2b3c4d5e6f"
HAEJU = "http://www.rodong.rep.kp/en/index.php?MTJAMjAyNC0wOC0wMS1IMDA1QDE1QDFAQDBAMg=="
VETERANS = "http://www.rodong.rep.kp/en/index.php?MTJAMjAyNC0wOC0wMS1IMDAzQDE1QDFAQDBAMQ=="
CHROME = ["Top News", "Home", "Copyright", "Kim Jong Un's Revolutionary Activities", "www.kcna.kp", "-0-",
          "Rodong Sinmnun", "Politics", "document", "[Photo]"]


def clean(name: str, url: str):
    return cleaners.clean_page((FIXTURES / name).read_bytes(), url)


def assert_no_chrome(doc):
    text = doc.title + "\n" + doc.text
    for chrome in CHROME:
        assert chrome not in text, chrome
    assert not doc.text.rstrip().endswith("Rodong Sinmun")


def test_kcnakp_q_layout_press_statement():
    doc = clean("kcnakp-kim-yo-jong-2024-07-14.html", KIM_YO_JONG)
    assert doc.site == "kcnakp" and doc.id == "kcnakp-134a0eb1839cb01381c703e99144182116b5c41fea8bd4fb75e6da9cf995125e"
    assert doc.title == "Press Statement of Vice Department Director of WPK Central Committee Kim Yo Jong"
    assert doc.date == "2024-07-14" and doc.place == "Pyongyang" and doc.agency == "Korean Central News Agency (KCNA)"
    assert doc.paragraphs[0].startswith("Pyongyang, July 14 (KCNA) -- Kim Yo Jong, vice department director")
    assert doc.paragraphs[-1].endswith("a very high price for their dirty play.")
    assert len(doc.paragraphs) == 9 and doc.extra["end_mark"] == "-0-"
    assert any(r["rule"] == "end-mark" for r in doc.repairs)
    assert_no_chrome(doc)


def test_kcnakp_detail_layout_review():
    doc = clean("kcnakp-review-of-rodong-sinmun-2024-05-27.html", REVIEW)
    assert doc.id == "kcnakp-5d2f0c1e9a7b4c3d8e6f1a2b3c4d5e6f" and doc.title == "Review of Rodong Sinmun"
    # no page date in this layout: the dateline's month and day, the year from the capture (flagged)
    assert doc.date is None or doc.date.endswith("-05-27")
    assert doc.paragraphs[0].startswith("Pyongyang, May 27 (KCNA) -- Following are major news items")
    assert doc.paragraphs[-1].endswith('goes downhill for its high-handed and arbitrary practices.')
    assert len(doc.paragraphs) == 6
    assert_no_chrome(doc)
    dated = cleaners.clean_page((FIXTURES / "kcnakp-review-of-rodong-sinmun-2024-05-27.html").read_bytes(), REVIEW,
                                capture={"captured_at": "2024-05-28T01:02:03Z"})
    assert dated.date == "2024-05-27" and "date-year-from-capture" in dated.flags


def test_rodong_2024_layout():
    doc = clean("rodong-new-houses-haeju-2024-08-01.html", HAEJU)
    assert doc.site == "rodong" and doc.id == "rodong-2024-08-01-h005"
    assert doc.title == "New Houses Built in Haeju City" and doc.date == "2024-08-01"
    assert doc.agency == "Rodong Sinmun" and len(doc.paragraphs) == 5
    assert doc.paragraphs[0] == ("New houses have been built at the Jangbang Farm in Haeju City, South Hwanghae "
                                 "Province of the DPRK this year.")
    assert doc.paragraphs[-1] == "Amid a cheerful music and dancing, the village was in a festive mood."
    assert_no_chrome(doc)


def test_rodong_2025_layout():
    doc = clean("rodong-war-veterans-yangdok-2024-08-01.html", VETERANS)
    assert doc.id == "rodong-2024-08-01-h003" and doc.date == "2024-08-01"
    assert doc.title == "War Veterans Enjoy Themselves at Yangdok Hot Spring Resort"
    assert len(doc.paragraphs) == 4 and doc.paragraphs[-1].endswith("who marked their birthdays.")
    assert_no_chrome(doc)


@pytest.mark.parametrize("url, expected", [
    (KIM_YO_JONG, "kcnakp-134a0eb1839cb01381c703e99144182116b5c41fea8bd4fb75e6da9cf995125e"),
    ("http://kcna.kp/en/article/detail/05503f758d64c1a0328e43c2f83e4469", "kcnakp-05503f758d64c1a0328e43c2f83e4469"),
    ("http://kcna.kp/en/article/list/701e7819068d44ac7432ad3daf1821f2", None),
    ("http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=2021-09-12-0009", "rodong-2021-09-12-0009"),
    (HAEJU, "rodong-2024-08-01-h005"),
    ("http://www.rodong.rep.kp/en/index.php?bm9uc2Vuc2U=", None),          # base64 of "nonsense": no article key
    ("http://www.rodong.rep.kp/en/index.php?strPageID=SF01_01_02&iMenuID=1&iSubMenuID=1", None),
])
def test_both_url_schemes_give_stable_ids(url, expected):
    profile = get_profile("kcnakp" if "kcna" in url else "rodong")
    assert profile.document_id(url) == expected


def test_kcnakp_and_rodong_pass_the_same_quality_gate(tmp_path):
    from core.datahome import DataHome
    from expectations.gate import validate_batch

    docs = [clean("kcnakp-kim-yo-jong-2024-07-14.html", KIM_YO_JONG),
            clean("rodong-new-houses-haeju-2024-08-01.html", HAEJU),
            clean("rodong-war-veterans-yangdok-2024-08-01.html", VETERANS)]
    result = validate_batch(docs, home=DataHome.resolve(tmp_path), build_docs=False)
    assert [d.id for d in result.passed] == [d.id for d in docs] and not result.batch_failures
    # and it refuses the site's chrome when it is left in a document
    leaky = clean("kcnakp-kim-yo-jong-2024-07-14.html", KIM_YO_JONG)
    leaky.paragraphs.append("www.kcna.kp (Juche113.7.14.)")
    result = validate_batch([leaky], home=DataHome.resolve(tmp_path), build_docs=False)
    assert [d.id for d in result.quarantined] == [leaky.id]


# --- Rodong Sinmun as it really answers (issue 23) ------------------------------------------------------

VETERANS_PCT = VETERANS.replace("==", "%3D%3D")
OLD_HAEJU = "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=2024-08-01-0005"


def test_rodong_2025_page_body_is_the_article_alone_byline_as_author_digits_repaired():
    doc = clean("rodong-2025-layout-controls-byline.html", VETERANS_PCT)
    assert doc.id == "rodong-2024-08-01-h003" and doc.date == "2024-08-01"   # the %3D%3D URL has its id
    assert doc.title == "War Veterans Enjoy Themselves at Yangdok Hot Spring Resort"
    assert len(doc.paragraphs) == 4 and doc.paragraphs[-1].endswith("who marked their birthdays.")
    text = doc.title + "\n" + doc.text
    for control in ("Prev", "Next", "3 / 543", "Politics", "By Ri Kyong Su", "Benevolent Care", "After the Celebrations"):
        assert control not in text, control
    assert doc.author == "Ri Kyong Su"
    assert "the 71st anniversary" in doc.paragraphs[0]
    assert any(r["rule"] == "fullwidth-digit" for r in doc.repairs)   # recorded, not silent
    # the same text in the 2025 markup without the extras: the same paragraphs
    assert doc.paragraphs[1:] == clean("rodong-war-veterans-yangdok-2024-08-01.html", VETERANS).paragraphs[1:]


def test_rodong_old_layout_body_falls_back_in_order_and_keeps_no_menu():
    old = clean("rodong-old-layout-2021.html", OLD_HAEJU)
    new = clean("rodong-new-houses-haeju-2024-08-01.html", HAEJU)
    assert old.title == new.title == "New Houses Built in Haeju City"
    assert old.paragraphs == new.paragraphs          # one text, two eras of markup
    assert not any(w in old.text for w in ("Supreme Leader", "Editorial", "Korean", "Home"))


def test_rodong_address_unknown_page_is_refused_as_an_error_page():
    with pytest.raises(cleaners.SoftNotFound) as refused:
        clean("rodong-address-unknown.html", OLD_HAEJU)
    assert "알수 없는 주소" in str(refused.value)


def test_a_capture_that_renders_another_article_is_refused_by_its_date():
    """Some Wayback captures of Rodong's base64 URLs serve another day's article: the page's own date must
    agree with the date in the URL's id."""
    other_day = "http://www.rodong.rep.kp/en/index.php?" + __import__("base64").b64encode(
        b"12@2021-03-05-H003@15@1@@0@1").decode()
    with pytest.raises(cleaners.CleaningError) as refused:
        clean("rodong-war-veterans-yangdok-2024-08-01.html", other_day)
    assert "another article" in str(refused.value) and "2024-08-01" in str(refused.value)


def test_rodong_old_lists_reach_articles_through_article_open_links():
    from scrapers.discover import classify_links, extract_links

    profile = get_profile("rodong")
    page_url = profile.start_urls[0]
    links = extract_links((FIXTURES / "rodong-old-list-article-open.html").read_bytes(), page_url,
                          script_links=profile.script_links)
    index_pages, articles = classify_links(profile, links)
    assert articles == ["http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=2021-09-12-0009",
                        "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=2021-09-12-0012",
                        "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=2021-09-11-0003"]
    assert "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_01_02&iMenuID=1&iSubMenuID=2" in index_pages
    # without the profile's pattern, a javascript: link is no link at all
    assert not classify_links(profile, extract_links((FIXTURES / "rodong-old-list-article-open.html").read_bytes(),
                                                     page_url))[1]


def test_rodong_lists_every_section_and_the_2022_base64_lists():
    profile = get_profile("rodong")
    sections = {u.split("strPageID=")[1].split("&iMenuID")[0] for u in profile.start_urls}
    assert sections == {"SF01_01_02", "SF01_01_03&iThemeID=2", "SF01_01_03&iThemeID=3", "SF01_01_03&iThemeID=4",
                        "SF01_01_04&iClassID=4", "SF01_01_04&iClassID=5", "SF01_01_04&iClassID=6",
                        "SF01_01_05&iClassID=7"}
    assert all(profile.is_index(u) for u in profile.start_urls)
    section_2022 = "http://www.rodong.rep.kp/en/index.php?MUAxQDBAMEAwQDBAMEAw"   # base64 of "1@1@0@0@0@0@0@0"
    from scrapers.discover import classify_links
    assert classify_links(profile, [section_2022, HAEJU]) == ([section_2022], [HAEJU])
