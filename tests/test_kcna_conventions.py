"""State-media conventions on every path (cleaners/kcna.py): a source line and a date line are metadata in
whatever markup holds them, on a profiled site or none; the headline is the heading nearest the text, not
the site's name. The same real KCNA text (tests/eval/texts.json) in several markups each."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pytest

import cleaners

TEXT = next(t for t in json.loads((Path(__file__).parent / "eval" / "texts.json").read_text(encoding="utf-8"))["texts"]
            if t["id"] == "kcna-2019-12-14-kpa-general-staff")
BODY = "".join(f"<p>{escape(p)}</p>" for p in TEXT["paragraphs"])
HOSTS = ["https://www.globalsecurity.org/wmd/library/news/dprk/2019/dprk-191215-kcna05.htm",
         "https://kcna-mirror.example.org/2019/12/15/statement.html"]
SOURCE = "Korean Central News Agency of DPRK via Korea News Service (KNS)"


@pytest.mark.parametrize("url", HOSTS)
@pytest.mark.parametrize("markup", ["<p class='source'>{}</p>", "<p align=center><i>{}</i></p>", "<div>{}</div>",
                                    "<font face=arial size=2>{}</font><br>", "<center><b>{}</b></center>"])
def test_a_source_line_is_metadata_in_any_markup_on_any_path(url, markup):
    page = f"<html><body><h1>{escape(TEXT['title'])}</h1>{markup.format(SOURCE)}{BODY}</body></html>"
    doc = cleaners.clean_page(page.encode(), url)
    assert SOURCE not in doc.text and doc.agency == "Korean Central News Agency (KCNA)"
    assert doc.title == TEXT["title"] and doc.date == "2019-12-14"


@pytest.mark.parametrize("line", ["Date: 14/12/2019", "Posted : 2019.12.14 09:12 | Updated : 2019.12.15 10:40",
                                  "Saturday, December 14, 2019", "주체108(2019)년 12월 14일", "2019年12月14日",
                                  "December 14, Juche 108 (2019)"])
@pytest.mark.parametrize("markup", ["<p class='date'>{}</p>", "<div class='byline'><span>{}</span></div>",
                                    "<font size=1>{}</font><br>"])
def test_a_date_line_is_metadata_and_dates_the_text_in_any_form_and_markup(line, markup):
    undated = [p.replace("Pyongyang, December 14 (KCNA) -- ", "") for p in TEXT["paragraphs"]]
    body = "".join(f"<p>{escape(p)}</p>" for p in undated)
    page = f"<html><body><h1>{escape(TEXT['title'])}</h1>{markup.format(escape(line))}{body}</body></html>"
    doc = cleaners.clean_page(page.encode(), "https://kcna-mirror.example.org/statement.html")
    assert doc.date == "2019-12-14" and line not in doc.text


@pytest.mark.parametrize("site_heading", ["<h1>Juche Korea News</h1>", "<div class='logo'><b>KCNA Watch</b></div>",
                                          "<p class='site-title'>KCNA</p>"])
def test_the_headline_is_the_heading_nearest_the_text_not_the_site_name(site_heading):
    page = (f"<html><head><title>{site_heading.split('>')[-3].split('<')[0] or 'KCNA'}</title></head><body>"
            f"{site_heading}<h3 class='post-title'>{escape(TEXT['title'])}</h3>{BODY}</body></html>")
    doc = cleaners.clean_page(page.encode(), "http://juche-korea-news.blogspot.com/2019/12/statement.html")
    assert doc.title == TEXT["title"]


MEMOIR = next(t for t in json.loads((Path(__file__).parent / "eval" / "texts.json").read_text(encoding="utf-8"))["texts"]
              if t["id"] == "memoir-ch4-7-summer-1930")
CONTENTS = ("<p>Contents</p><p>Chapter 1. Korea in Distress</p><p>Chapter 2. Unforgettable Huadian</p>"
            "<p>Chapter 3. The Years in Jilin</p>")
BOOK = "<p>KIM IL SUNG</p><p>WITH THE CENTURY</p><p>Volume 2</p><p>Chapter 4</p>"


@pytest.mark.parametrize("url, wrap", [
    ("http://kancc.org/bbs/board.php?bo_table=heigo&wr_id=777",
     "<title>[Reminiscences]Chapter 4 7. The Summer of 1930 > 회고록</title></head><body><div id='bo_v_con'>{}</div>"),
    ("http://www.korean-books.example.com.kp/en/memoir/ch4-7.html", "<title>With the Century</title></head><body><div class='chapter'>{}</div>"),
    ("http://memoir-blog.example.org/2020/06/summer-1930.html", "<title>Memoir Blog</title></head><body><div class='post-body'>{}</div>"),
])
def test_a_volumes_contents_and_the_books_heading_lines_above_a_chapter_are_not_text(url, wrap):
    text = "".join(f"<p>{escape(p)}</p>" for p in MEMOIR["paragraphs"])
    inner = CONTENTS + BOOK + f"<h3>7. {MEMOIR['title']}</h3>" + text
    doc = cleaners.clean_page(("<html><head>" + wrap.format(inner) + "</body></html>").encode(), url)
    assert doc.paragraphs == MEMOIR["paragraphs"]
    assert doc.title == MEMOIR["title"]


@pytest.mark.parametrize("page_title", ["GlobalSecurity.org - {}", "{} | GlobalSecurity.org", "{}"])
def test_a_profiled_page_titled_by_its_title_element_loses_the_site_name_beside_the_headline(page_title):
    page = (f"<html><head><title>{escape(page_title.format(TEXT['title']))}</title></head><body><table><tr>"
            f"<td id='content'>{BODY}</td></tr></table></body></html>")
    doc = cleaners.clean_page(page.encode(), HOSTS[0])
    assert doc.title == TEXT["title"]
