"""The generic path (hosts without a profile): table-layout KCNA mirrors, reposting blogs, refusals.

Fixtures are in tests/fixtures/generic/ (real KCNA text in reconstructed markup; sources in its README).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cleaners
from cleaners.extract import drop_chrome_lines, drop_link_lists, generic_chrome_lines

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "generic"
SEED_GS = (HERE / "seeds" / "globalsecurity-kcna-2010-09-14.txt").read_text(encoding="utf-8").split("\n\n")


def clean_fixture(name: str, url: str):
    return cleaners.clean_page((FIXTURES / name).read_bytes(), url)


def test_kcna_co_jp_day_page_of_2003_in_nested_tables_keeps_every_item():
    """kcna.co.jp's 2003 day pages: Shift_JIS declared, <title> just "KCNA", the items in a cell of
    nested layout tables, one bold headline per item, paragraphs indented with NBSP between <br>s.
    Before: titled "KCNA", the first headline left in the body."""
    doc = clean_fixture("kcna-co-jp-2003-12-13.html", "http://kcna.co.jp/item/2003/200312/news12/13.htm")
    assert doc.site == "web" and doc.extra["extraction"] == "densest-block"
    assert doc.title == "10th Meeting of Executive Council of ARIJI Held"
    assert (doc.date, doc.place, doc.agency) == ("2003-12-12", "Pyongyang", "Korean Central News Agency (KCNA)")
    assert doc.paragraphs[0].startswith("Pyongyang, December 12 (KCNA) -- The 10th Meeting of the Executive Council")
    assert doc.paragraphs[1] == ("The meeting discussed the organizational issue and elected Garib Newaz director "
                                 "general of the institute.")
    # the second item of the day stays whole, its headline included: nothing on the page is lost
    second = doc.paragraphs.index("Kim Il Sung's Reminiscences Published in Romania")
    assert doc.paragraphs[second + 1].startswith('Pyongyang, December 12 (KCNA) -- President Kim Il Sung\'s reminiscences "With the Century"')
    assert doc.paragraphs[-1].endswith("will go down to posterity with the reminiscences.") and len(doc.paragraphs) == 9
    text = "\n".join(doc.paragraphs)
    for chrome in ("Past news", "Home", "日本語", "Copyright", "calendar>>"):
        assert chrome not in text
    assert "\u00a0" not in text and doc.extra["heading_lines"] == [doc.title]


def test_kcna_co_jp_article_page_of_2010_titled_kcna_gets_its_headline_from_the_layout():
    """kcna.co.jp's 2010 article pages: the headline in its own table cell above the text, the body
    in <font> with <br><br> between paragraphs. Before: the menu came out as the article ("HOME",
    "calendar", …), titled "KCNA", dated 2010-01-01."""
    doc = clean_fixture("kcna-co-jp-2010-09-14.html", "http://www.kcna.co.jp/item/2010/201009/news14/20100914-01ee.html")
    assert doc.extra["extraction"] == "densest-block"
    assert doc.title == "International Obligation Noted in History of DPRK-China Friendship"
    assert doc.paragraphs == [p.strip() for p in SEED_GS[4:-1] if p.strip()]
    assert (doc.date, doc.place) == ("2010-09-14", "Pyongyang")


def test_wordpress_repost_of_a_kcna_item_comes_out_as_the_kcna_text():
    """A reposting blog (WordPress): the KCNA text, without its "Image credit:" line (logged as a
    chrome-line repair) or its related-posts list; dateline day, URL year. Before: the credit line
    was a paragraph of the article."""
    doc = clean_fixture("nkaggregator-2016-05-03-dprk-introduced-by-russian-media.html",
                        "https://nkaggregator.com/2016/05/03/dprk-introduced-by-russian-media-2/")
    assert doc.title == "DPRK Introduced by Russian Media"
    assert (doc.date, doc.place, doc.agency) == ("2016-05-03", "Pyongyang", "Korean Central News Agency (KCNA)")
    assert doc.paragraphs[0].startswith("Pyongyang, May 3 (KCNA) — The Eastern Siberian Publishing House")
    assert doc.paragraphs[1] == "The article said:" and len(doc.paragraphs) == 11
    assert doc.paragraphs[-1].endswith("with their own technology and resources.")
    text = "\n".join(doc.paragraphs)
    assert "Image credit" not in text and "Related posts" not in text and "Mongolia" not in text
    chrome = [r for r in doc.repairs if r["rule"] == "chrome-line"]
    assert chrome and chrome[0]["examples"][0][0].startswith("Image credit: https://www.flickr.com/")


@pytest.mark.parametrize("fixture, reason", [
    # Blogger's own "page not found" text, served as a page with the blog's sidebar
    ("blogspot-juche007-2012-03-missing-post.html", "error page served as a page (soft 404)"),
    # a page whose articles a script loads: menu, cookie notice and footer only
    ("wordpress-chrome-only.html", "only page chrome found, no sentence of article text"),
])
def test_fallback_that_finds_no_article_refuses_the_page_with_a_reason(fixture, reason):
    """Before: each was released as a one-paragraph document ("Sorry, the page …", "Copyright © …")."""
    with pytest.raises(cleaners.CleaningError) as err:
        clean_fixture(fixture, "http://juche007-anglo-peopleskoreafriendship.blogspot.com/2012/03/x.html")
    assert str(err.value).startswith(reason) and "\n" not in str(err.value)


# Real chrome lines of reposting pages, each of which the generic rules must drop.
CHROME = [
    "Image credit: https://www.flickr.com/photos/cynthinee/9434402958/",
    "Copyright (C) KOREA NEWS SERVICE(KNS) All Rights Reserved.",
    "Copyright © 2020 Korean Friendship Association UK",
    "We use cookies to ensure that we give you the best experience on our website.",
    "Copyright ⓒ 연합뉴스 무단전재 및 재배포 금지",
    "Read more: Kim Jong Un Inspects KPA Unit 405",
    "Filed under: KCNA |",
    "Leave a Reply",
    "12 comments",
]


@pytest.mark.parametrize("line", CHROME)
def test_generic_chrome_line_is_dropped(line):
    kept, dropped = drop_chrome_lines([line], list(generic_chrome_lines()))
    assert (kept, dropped) == ([], [line])


def test_generic_chrome_rules_never_touch_real_article_text():
    """Negative cases: every paragraph of the real KCNA and memoir seeds, and sentences that start like
    chrome, pass through the chrome-line and link-list rules unchanged."""
    seeds = [p.strip() for name in ("globalsecurity-kcna-2010-09-14.txt", "kancc-reminiscences-ch21-6.txt")
             for p in (HERE / "seeds" / name).read_text(encoding="utf-8").split("\n\n") if len(p.split()) > 8]
    sentences = ["Copyright law of the DPRK protects the works of its authors, a spokesman said.",
                 "Related to this, the spokesman said that the U.S. should stop its hostile acts.",
                 "The meeting was attended by officials, and a report was made there."]
    article = seeds + sentences
    assert len(seeds) > 20
    assert drop_chrome_lines(article, list(generic_chrome_lines())) == (article, [])
    assert drop_link_lists(article, list(generic_chrome_lines("list_headings"))) == (article, [])


def test_data_table_in_an_article_is_kept_row_by_row_not_read_as_layout():
    """A table of figures inside the article (trafilatura writes it as Markdown) stays in the body,
    one row a line; only cells of paragraph length make a table a layout table."""
    paras = ["Pyongyang, February 4 (KCNA) -- An inaugural ceremony of a preparatory committee for the \"Month "
             "of Celebrating the Sun of the 21st Century\" was held by the Federation of Peace and Friendship "
             "Organization of Mongolia on Jan. 28.",
             "The committee set the period from February to April \"Month of Celebrating the Sun of the 21st "
             "Century\" and adopted a decision of holding colorful political and cultural functions in this "
             "period and discussed an action program."]
    page = ("<html><head><title>Preparatory Committee Inaugurated in Mongolia</title></head><body><article>"
            "<h1>Preparatory Committee Inaugurated in Mongolia</h1>" + "".join(f"<p>{p}</p>" for p in paras) +
            "<table><tr><th>Month</th><th>Functions</th></tr><tr><td>February</td><td>12</td></tr>"
            "<tr><td>March</td><td>9</td></tr></table></article></body></html>")
    doc = cleaners.clean_page(page.encode(), "https://mirror.example/2004/02/05/preparatory-committee")
    assert doc.extra["extraction"] == "trafilatura"
    assert doc.paragraphs[:2] == paras and doc.paragraphs[-2:] == ["February | 12", "March | 9"]
    assert not any(re.fullmatch(r"[|\s:-]*", p) for p in doc.paragraphs)
