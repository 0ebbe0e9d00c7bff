"""Page kind first, from the page's own evidence (cleaners/pagekind.py): list and index pages and
attachment-only posts are refused with their kind, on any site, and an article is never taken for one —
not with a sidebar of related links, not when short. Real text: the evaluation set's KCNA texts."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pytest

import cleaners

TEXTS = {t["id"]: t for t in json.loads((Path(__file__).parent / "eval" / "texts.json").read_text(encoding="utf-8"))["texts"]}
KCNA = [t for t in TEXTS.values() if t["kind"] == "kcna"]
SHORT = TEXTS["kcna-2024-05-27-review-of-rodong"]


def _related(markup: str, container: str = "related") -> str:
    links = "".join(markup.format(i=i, title=escape(t["title"])) for i, t in enumerate(KCNA))
    return f"<div class='{container}'>{links}</div>"


@pytest.mark.parametrize("item", [
    "<li><a href='/news/{i}.html'>{title}</a></li>",
    "<p><a href='/news/{i}.html'>{title}</a> <small>2024-07-1{i}</small></p>",
    "<div class='card'><h4><a href='/p/{i}'>{title}</a></h4></div>",
])
def test_an_article_with_a_sidebar_of_related_links_is_an_article(item):
    text = SHORT  # six short paragraphs: the least running text of the set's KCNA items
    page = (f"<html><head><title>{escape(text['title'])}</title></head><body><h1>{escape(text['title'])}</h1>"
            + "".join(f"<p>{escape(p)}</p>" for p in text["paragraphs"]) + _related(item) + "</body></html>")
    doc = cleaners.clean_page(page.encode(), "https://kcna-mirror.example.org/2024/05/27/review.html")
    assert doc.paragraphs[0].startswith("Pyongyang, May 27 (KCNA)")


@pytest.mark.parametrize("item", [
    "<li><a href='/news/{i}.html'>{title}</a></li>",
    "<tr><td><a href='/news/{i}.html'>{title}</a></td><td>2024-07-1{i}</td></tr>",
    "<div class='card'><h4><a href='/p/{i}'>{title}</a></h4><p>KCNA, July 1{i}</p></div>",
])
def test_a_page_of_links_to_sibling_articles_is_refused_as_a_list(item):
    page = (f"<html><head><title>News</title></head><body><h1>Latest news</h1>{_related(item, 'article-list')}"
            f"{_related(item)}</body></html>")  # the page's list, and its sidebar's
    with pytest.raises(cleaners.NotAnArticle) as refused:
        cleaners.clean_page(page.encode(), "https://kcna-mirror.example.org/news/page/2/")
    assert refused.value.kind == "list" and "links to sibling pages" in refused.value.reason


@pytest.mark.parametrize("post", [
    "<div class='post'><h3>Statement (PDF)</h3><a href='/f/statement.pdf'>statement.pdf</a></div>",
    "<div class='entry'><p>첨부파일 : <a href='/files/rodong.hwp'>rodong-2024-08-01.hwp</a></p></div>",
    "<div id='bo_v_file'><a href='download.php?bo_table=data&wr_id=9&no=0'>원문.pdf</a></div><div id='bo_v_con'>&nbsp;</div>",
])
def test_a_post_holding_only_an_attachment_is_refused_as_one(post):
    page = f"<html><head><title>Board</title></head><body>{post}</body></html>"
    with pytest.raises(cleaners.NotAnArticle) as refused:
        cleaners.clean_page(page.encode(), "https://board.example.org/view.php?id=9")
    assert refused.value.kind == "attachment"


def test_an_article_that_links_its_source_document_is_an_article():
    text = KCNA[0]
    page = (f"<html><body><h1>{escape(text['title'])}</h1>" + "".join(f"<p>{escape(p)}</p>" for p in text["paragraphs"])
            + "<p><a href='/files/original.pdf'>original.pdf</a></p></body></html>")
    doc = cleaners.clean_page(page.encode(), "https://kcna-mirror.example.org/a.html")
    assert len(doc.paragraphs) >= 5


DISCLAIMER = ("DISCLAIMER. Korean American National Coordinating Council, Inc. does not represent or endorse the "
              "accuracy or reliability of some of the information or content contained in this website. These are only "
              "introduced for the Korean Americans and others to have a direct access to know the positions of the DPRK "
              "(North Korea) and some other opinions of ROK (South Korea).")


@pytest.mark.parametrize("url", ["http://kancc.org/bbs/board.php?bo_table=eng_news",
                                 "http://kancc.org/bbs/board.php?bo_table=eng_news&page=2&sca=News",
                                 "http://gnuboard-mirror.example.org/bbs/board.php?bo_table=eng_news&page=3"])
def test_a_board_list_under_its_disclaimer_is_a_list_wherever_its_url(url):
    """The eng_news board's real DISCLAIMER (54 words) above its rows: URLs the profile's list pattern does
    not name, and a mirror no profile knows, still give a list by the page's own evidence."""
    rows = "".join(f"<tr><td class='td_num'>{900 - i}</td><td class='td_subject'><a href='./board.php?bo_table=eng_news"
                   f"&wr_id={900 - i}'>{escape(t['title'])}</a></td><td class='td_date'>24-07-1{i}</td></tr>"
                   for i, t in enumerate(KCNA + KCNA[:4]))
    page = (f"<html><head><title>News</title></head><body><div id='bo_head'><p>{DISCLAIMER}</p></div>"
            f"<div id='bo_list'><table>{rows}</table></div></body></html>")
    with pytest.raises(cleaners.NotAnArticle) as refused:
        cleaners.clean_page(page.encode(), url)
    assert refused.value.kind == "list"


MENU = "".join(f"<li><a href='/{i}'>{name}</a></li>" for i, name in enumerate(
    ["김정은동지 혁명활동", "로동신문", "정치", "경제", "문화", "조국통일", "국제", "사진", "동영상", "기사모음"] * 12))


@pytest.mark.parametrize("message", ["<p>알수 없는 주소입니다.</p>", "<div class='err'><b>알 수 없는 주소</b></div>",
                                     "<td><font color=red>글이 존재하지 않습니다.</font></td>"])
def test_a_korean_error_page_amid_a_long_menu_is_refused_as_an_error(message):
    page = f"<html><head><title>로동신문</title></head><body><ul class='gnb'>{MENU}</ul><table><tr>{message}</tr></table></body></html>"
    with pytest.raises(cleaners.NotAnArticle) as refused:
        cleaners.clean_page(page.encode(), "http://www.rodong.rep.kp/ko/index.php?strPageID=SF01_02_01&newsID=2024-99")
    assert refused.value.kind == "error"
