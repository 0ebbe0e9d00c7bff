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


def _related(markup: str) -> str:
    links = "".join(markup.format(i=i, title=escape(t["title"])) for i, t in enumerate(KCNA))
    return f"<div class='related'>{links}</div>"


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
    page = f"<html><head><title>News</title></head><body><h1>Latest news</h1>{_related(item)}</body></html>"
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
