"""The evaluation set: real public texts (tests/eval/texts.json) set in the markups of many sites and eras,
each page with its expectations as data (title, date, snippets kept and gone, or the refusal expected).

Every kind of page is built from the same text in at least three markups (README of tests/eval), so a rule
that passes only one layout shows as a floor that does not move. `build_pages()` gives the pages,
`score(pages)` the per-measure figures; tests/test_eval_gate.py pins floors, bench/evalset.py prints them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape
from pathlib import Path

HERE = Path(__file__).parent
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December"]


@dataclass
class Page:
    """One page of the set: markup family, what kind it is, and what cleaning it must give."""

    id: str
    family: str
    kind: str                      # article | list | error | attachment | empty
    url: str
    body: bytes
    headers: dict = field(default_factory=dict)
    title: str | None = None       # expected title (None: not checked)
    date: str | None = None        # expected ISO date (None: not checked)
    keep: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


def _num(key: str, modulo: int) -> int:
    """A stable number from a key (Python's hash() changes from process to process)."""
    import hashlib
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % modulo


def load_texts() -> list[dict]:
    return json.loads((HERE / "texts.json").read_text(encoding="utf-8"))["texts"]


def _d(iso: str | None) -> date:
    return date.fromisoformat(iso) if iso else date(2020, 6, 2)


def _paras(t: dict, tag: str = "p", attrs: str = "") -> str:
    return "\n".join(f"<{tag}{attrs}>{escape(p)}</{tag}>" for p in t["paragraphs"])


def _keep(t: dict) -> list[str]:
    """Snippets that must stay: the start of the first paragraph's text and the end of the last."""
    first, last = t["paragraphs"][0], t["paragraphs"][-1]
    first = first.split("--", 1)[-1].split("—", 1)[-1].strip() if "(KCNA)" in first[:80] else first
    return [first[:40].strip(), last[-40:].strip()]


def _html(title: str, body: str, head: str = "") -> str:
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">{head}<title>{escape(title)}</title></head>\n"
            f"<body>\n{body}\n</body></html>")


# --- GlobalSecurity.org, 2003 to the 2020s -------------------------------------------------------------

GS_OLD_CHROME = ("<p><a href='/jobs/'>Find a Security Clearance Job!</a></p>", "<p>Join the mailing list</p>"
                 "<p>Copyright &copy; 2000-2005 GlobalSecurity.org All rights reserved.</p>"
                 "<p>Site maintained by: John Pike</p>")


def _gs_url(t: dict, kind: str = "kcna01") -> str:
    posted = _d(t["date"]) + timedelta(days=1)
    folder = f"{posted.year}/{posted.month:02d}/" if posted.year == 2004 else f"{posted.year}/"
    return f"https://www.globalsecurity.org/wmd/library/news/dprk/{folder}dprk-{posted:%y%m%d}-{kind}.htm"


def gs_2003_pre(t):
    body = "\n".join("   " + p for p in t["paragraphs"])
    html = _html(t["title"], f"<table><tr><td>{GS_OLD_CHROME[0]}</td></tr></table>\n<h3>{escape(t['title'])}</h3>\n"
                 f"<p>KCNA</p>\n<pre>\n{escape(body)}\n</pre>\n{GS_OLD_CHROME[1]}")
    return _gs_url(t), html, ["Find a Security Clearance Job", "Site maintained by", "Join the mailing list"]


def gs_2005_table(t):
    html = _html(t["title"], f"<table width=780><tr><td colspan=2>{GS_OLD_CHROME[0]}</td></tr><tr>"
                 f"<td class=nav><a href='/wmd/'>WMD</a><br><a href='/military/'>Military</a></td><td>"
                 f"<p class='title'><b>{escape(t['title'])}</b></p>\n"
                 f"<p class='source'>Korean Central News Agency of DPRK</p>\n{_paras(t)}\n</td></tr>"
                 f"<tr><td colspan=2>{GS_OLD_CHROME[1]}</td></tr></table>")
    return _gs_url(t), html, ["Korean Central News Agency of DPRK", "Site maintained by", "Find a Security"]


def gs_2010_kns(t):
    html = _html(t["title"], "<div id='hd'><p>The Largest Security-Cleared Career Network. JOIN NOW</p></div>"
                 f"<table><tr><td><h2>{escape(t['title'])}</h2>\n"
                 f"<p align=center><i>Korean Central News Agency of DPRK via Korea News Service (KNS)</i></p>\n"
                 f"{_paras(t)}\n</td></tr></table><p>Join the GlobalSecurity.org mailing list</p>"
                 "<p>Page last modified: 17-09-2010 01:33:51 ZULU</p>")
    return _gs_url(t), html, ["Korea News Service", "Security-Cleared Career", "Page last modified"]


def gs_2022(t):
    d = _d(t["date"])
    html = _html(f"{t['title']}", "<div class='banner'><a href='https://u24.gov.ua/'>UNITED24 - Make a charitable "
                 "donation in support of Ukraine!</a></div><p>Win the adventure of a lifetime!</p>"
                 "<div class='section'>Weapons of Mass Destruction (WMD)</div>"
                 f"<div class='content'><h1>{escape(t['title'])}</h1>\n"
                 f"<font size=2>Korean Central News Agency of DPRK</font><br>\n<div>Date: {d:%d/%m/%Y}</div>\n"
                 f"{_paras(t)}\n</div><p>NEWSLETTER</p><p>Join the GlobalSecurity.org mailing list</p>"
                 "<p>Unconventional Threat podcast - Threats Foreign and Domestic</p>"
                 "<p>Page last modified: 14-07-2024 18:22:31 ZULU</p>")
    return _gs_url(t), html, ["UNITED24", f"Date: {d:%d/%m/%Y}", "Korean Central News Agency of DPRK",
                              "Weapons of Mass Destruction", "NEWSLETTER"]


# --- kcna.co.jp (KCNA's Tokyo mirror, 1997-2012), kcna.kp and Rodong Sinmun ----------------------------

def kcna_co_jp(t):
    d = _d(t["date"])
    url = f"http://www.kcna.co.jp/item/{d.year}/{d:%Y%m}/news{d.day:02d}/{d:%Y%m%d}-03ee.html"
    html = _html("KCNA", "<table width=780><tr><td><img src='/image/title-e.gif' alt='Korean Central News Agency'>"
                 "</td></tr><tr><td><a href='/index-k.htm'>Korean</a> | <a href='/index-e.htm'>English</a> | "
                 "<a href='/index-s.htm'>Spanish</a> | <a href='/index-j.htm'>Japanese</a></td></tr><tr><td>"
                 f"<table><tr><td><font size=2>calendar&gt;&gt; {MONTH_NAMES[d.month - 1]} {d.day}. {d.year} "
                 f"Juche {d.year - 1911}</font></td></tr></table>"
                 f"<font size=4><b>{escape(t['title'])}</b></font><br>\n"
                 + "".join(f"&nbsp;&nbsp;&nbsp;{escape(p)}<br><br>\n" for p in t["paragraphs"])
                 + "<a href='../news13/index-e.htm'>&lt;&lt; Previous</a> | <a href='../news15/index-e.htm'>Next "
                 "&gt;&gt;</a></td></tr></table>")
    return url, html, ["calendar>>", "Previous", "Spanish"]


def kcnakp_q(t):
    d = _d(t["date"])
    url = "http://www.kcna.kp/en/article/q/" + format(_num(t["id"], 16 ** 32), "032x") + ".kcmsf"
    html = _html(t["title"], "<header><div class='menu'><a href='/en'>Home</a> <a>Top News</a></div></header>"
                 f"<div class='article-main-title'>{escape(t['title'])}</div>"
                 f"<div class='article-content-body'><div class='content-wrapper'>{_paras(t)}"
                 f"<span class='publish-time'>www.kcna.kp (Juche{d.year - 1911}.{d.month}.{d.day}.)</span>"
                 "</div></div><footer>Copyright © 2024 KCNA</footer>")
    return url, html, ["www.kcna.kp", "Top News", "Copyright"]


def kcnakp_detail(t):
    url = "http://www.kcna.kp/en/article/detail/" + format(_num(t["id"] + "d", 16 ** 32), "032x")
    html = _html("KCNA", "<header><nav><a>Home</a><a>Kim Jong Un's Revolutionary Activities</a></nav></header>"
                 f"<main><article><h1 class='text-center'>{escape(t['title'])}</h1>{_paras(t)}</article></main>"
                 "<footer>Copyright © 2026 KCNA</footer>")
    return url, html, ["Revolutionary Activities", "Copyright"]


def _rodong_url(t, n=5):
    import base64
    d = _d(t["date"])
    key = base64.b64encode(f"12@{d:%Y-%m-%d}-H{n:03d}@15@1@@0@2".encode()).decode()
    return f"http://www.rodong.rep.kp/en/index.php?{key}"


def rodong_2021(t):
    d = _d(t["date"])
    url = f"http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID={d:%Y-%m-%d}-0007"
    html = _html("Rodong Sinmun", "<div class='menu'><a>Home</a> <a>Politics</a> <a>Economy</a></div><div id='ContDIV'>"
                 f"<p class='ArticleContent' align='center'>{escape(t['title'])}</p>"
                 f"{_paras(t, 'p', ' class=ArticleContent')}<p class='ArticleContent'>Rodong Sinmun</p></div>")
    return url, html, ["Politics", "Economy"]


def rodong_2024(t):
    d = _d(t["date"])
    html = _html("Rodong Sinmun", "<div class='menu'><a>Home</a> <a>Politics</a></div><div id='articleContent'>"
                 f"<div class='news_Title'>{escape(t['title'])}</div><span class='NewsDate'>{d.year}.{d.month}.{d.day}.</span>"
                 f"{_paras(t, 'p', ' class=ArticleContent')}</div><footer>Copyright © 2024 Rodong Sinmun</footer>")
    return _rodong_url(t, 5), html, ["Politics", "Copyright"]


def rodong_2025(t):
    d = _d(t["date"])
    html = _html("Rodong Sinmun", "<div id='article-homepage'><a>Home</a></div><div class='top-menu'><p>Politics</p>"
                 "<p>Economy</p><p>Culture</p><p>World</p></div><div class='article'>"
                 f"<div id='article-date'>{MONTH_NAMES[d.month - 1][:3]}. {d.day}, {d.year} {d:%A}</div>"
                 f"<p class='TitleP'>{escape(t['title'])}</p>{_paras(t, 'p', ' class=TextP')}</div>"
                 "<div class='bottom'>Rodong Sinmun</div>")
    return _rodong_url(t, 6), html, ["Politics", "Culture", f"{d:%A}"]


# --- reposts: kcnawatch, blogs, news portals (no profile) ----------------------------------------------

def kcnawatch(t):
    d = _d(t["date"])
    url = f"https://kcnawatch.org/newstream/{_num(t['id'], 10**10)}/{t['id']}/"
    html = _html(f"{t['title']} | KCNA Watch",
                 "<nav class='main-nav'><a>Newstream</a> <a>Stories</a> <a>Calendar</a> <a>Subscribe</a></nav>"
                 f"<article class='article-single'><h1 class='article-title'>{escape(t['title'])}</h1>"
                 f"<div class='article-meta'><span class='article-source'>Korean Central News Agency</span> "
                 f"<span class='article-date'>{MONTH_NAMES[d.month - 1]} {d.day}, {d.year}</span></div>"
                 f"<div class='article-content'>{_paras(t)}</div></article>"
                 "<aside><h3>Related</h3><ul><li><a>KCNA Commentary on U.S.</a></li></ul></aside>")
    return url, html, ["Newstream", "Subscribe"]


def blog_repost(t):
    d = _d(t["date"])
    url = f"http://juche-korea-news.blogspot.com/{d.year}/{d.month:02d}/{t['id'][:40]}.html"
    html = _html("Juche Korea News", "<div class='header'><h1 class='title'>Juche Korea News</h1>"
                 "<p class='description'>News from the DPRK</p></div><div class='main'>"
                 f"<h2 class='date-header'><span>{d:%A}, {MONTH_NAMES[d.month - 1]} {d.day}, {d.year}</span></h2>"
                 f"<div class='post'><h3 class='post-title'>{escape(t['title'])}</h3>"
                 f"<div class='post-body'>{'<br><br>'.join(escape(p) for p in t['paragraphs'])}</div>"
                 "<div class='post-footer'>Posted by juche at 9:12 AM</div></div>"
                 "<a class='blog-pager-newer-link'>Newer Post</a> <a class='blog-pager-older-link'>Older Post</a> "
                 "<a class='home-link'>Home</a></div><div class='sidebar'><h2>Blog Archive</h2><ul>"
                 "<li><a>July (12)</a></li><li><a>June (30)</a></li></ul></div>")
    return url, html, ["Juche Korea News", "Posted by", "Older Post", "Blog Archive"]


def news_portal(t):
    d = _d(t["date"])
    url = f"https://www.nknewsportal.example.net/news/articleView.html?idxno={_num(t['id'], 100000)}"
    html = _html(f"{t['title']} - NK News Portal", "<div class='gnb'><a>Home</a> <a>Politics</a> <a>North Korea</a> "
                 "<a>World</a></div><div class='section-label'>North Korea</div><div class='article-head'>"
                 f"<h2 class='headline'>{escape(t['title'])}</h2><div class='byline'>Posted : {d:%Y.%m.%d} 09:12 | "
                 "Updated : {d:%Y.%m.%d} 10:40</div></div>".replace("{d:%Y.%m.%d}", f"{d:%Y.%m.%d}")
                 + f"<div id='article-view-content'>{_paras(t)}</div><div class='prev-next'>"
                 "<a>◀ Previous article</a> <a>Next article ▶</a></div><div class='copyright'>"
                 "Copyright © NK News Portal. All rights reserved.</div>")
    return url, html, ["Posted :", "Previous article", "All rights reserved"]


# --- the memoir and Korean posts: KANCC (GNUBoard), a book site, a blog --------------------------------

def _gnuboard(board: str, board_name: str, wr_id: int, subject: str, posted: str, content: str, files: str = ""):
    url = f"http://kancc.org/bbs/board.php?bo_table={board}&wr_id={wr_id}"
    html = _html(f"{subject} > {board_name}", "<div id='skip_to_container'><a href='#container'>본문 바로가기</a></div>"
                 f"<div id='hd'><a>KANCC</a></div><div id='container'><article id='bo_v'>"
                 f"<h2 id='bo_v_title'><span class='bo_v_tit'>{escape(subject)}</span></h2>"
                 f"<section id='bo_v_info'><h2>페이지 정보</h2>작성자 <strong>kancc</strong> "
                 f"<span class='sound_only'>작성일</span>{posted} 댓글<strong>0건</strong></section>{files}"
                 f"<section id='bo_v_atc'><h2 id='bo_v_atc_title'>본문</h2><div id='bo_v_con'>{content}</div>"
                 "</section><section id='bo_vc'><p id='bo_vc_empty'>등록된 댓글이 없습니다.</p></section></article></div>"
                 "<div id='ft'>Copyright ⓒ 2000-2021 KANCC(Korean American National Coordinating Council). "
                 "All rights reserved.</div>")
    return url, html


def kancc_post(t):
    posted = _d(t.get("posted") or "2020-06-02")
    chapter = t.get("chapter", 4)
    subject = (f"[Reminiscences]Chapter {chapter} {t.get('section', 1)}. {t['title']}" if t["kind"] == "memoir"
               else t["title"])
    url, html = _gnuboard("heigo" if t["kind"] == "memoir" else "data", "회고록 《세기와 더불어》" if t["kind"] == "memoir"
                          else "북녘 소식", 300 + len(t["id"]), subject, f"{posted:%y-%m-%d} 08:27",
                          "".join(f"<p>{escape(p)}</p>" for p in t["paragraphs"]))
    return url, html, ["페이지 정보", "Copyright ⓒ", "등록된 댓글"], posted.isoformat()


def memoir_book(t):
    chapter = t.get("chapter", 4)
    toc = "".join(f"<li><a href='ch{n}.html'>Chapter {n}. {name}</a></li>" for n, name in
                  [(1, "Korea in Distress"), (2, "Unforgettable Huadian"), (3, "The Years in Jilin"),
                   (4, "Going among the People")])
    url = f"http://www.korean-books.example.com.kp/en/memoir/with-the-century/{t['id']}.html"
    html = _html("With the Century", "<div class='langbar'><a>조선어</a> | <a>English</a> | <a>中文</a> | "
                 "<a>Русский</a> | <a>Español</a></div><div class='book'><div class='toc'><h4>Contents</h4>"
                 f"<ul>{toc}</ul></div><div class='chapter'><p class='book'>KIM IL SUNG</p>"
                 "<p class='book'>WITH THE CENTURY</p><p class='part'>Volume 2</p>"
                 f"<p class='chap'>Chapter {chapter}</p><h3>{t.get('section', 1)}. {escape(t['title'])}</h3>"
                 f"{_paras(t)}</div><div class='pager'><a>« Previous</a> | <a>Contents</a> | <a>Next »</a></div></div>")
    return url, html, ["Unforgettable Huadian", "Русский", "WITH THE CENTURY", "« Previous"]


def ko_portal(t):
    d = _d(t["date"])
    url = f"https://www.tongil-news.example.kr/news/articleView.html?idxno={_num(t['id'], 100000)}"
    html = _html(f"{t['title']} - 통일뉴스", "<div class='gnb'><a>홈</a> <a>정치</a> <a>북한</a></div>"
                 "<div class='section'>북한 소식</div>"
                 f"<h1 class='headline'>{escape(t['title'])}</h1><div class='info'>입력 {d:%Y.%m.%d} 08:27</div>"
                 f"<div class='article'>{_paras(t)}</div><div class='copy'>저작권자 © 통일뉴스 무단전재 및 재배포 금지</div>")
    return url, html, ["입력 ", "저작권자", "북한 소식"]


def ko_blog(t):
    d = _d(t["date"])
    url = f"https://minjok-blog.example.kr/post/{_num(t['id'], 100000)}"
    html = _html("민족의 소리", f"<h1 class='blog-title'>민족의 소리</h1><div class='post'>"
                 f"<h2>{escape(t['title'])}</h2><p class='date'>주체{d.year - 1911}({d.year})년 {d.month}월 {d.day}일</p>"
                 f"<div class='entry'>{_paras(t)}</div></div><div class='nav'>이전글 | 다음글</div>")
    return url, html, ["민족의 소리", "이전글", "주체"]


# --- KCNA's Korean service: its own dateline, legacy tables ------------------------------------------

def _kps(text: str) -> bytes:
    from kps9566.kps9566_mapping import kps9566_mapping
    return b"".join(kps9566_mapping[c] if c in kps9566_mapping else c.encode("ascii") for c in text)


def kcna_ko_page(t, encoding: str):
    """kcna.co.jp's Korean calendar page (2011): EUC-KR declared, or KPS 9566 with no charset."""
    d = _d(t["date"])
    url = f"http://kcna.co.jp/calendar/{d.year}/{d.month:02d}/{d:%m-%d}/{d:%Y-%m%d}-033.html"
    meta = "<meta http-equiv='Content-Type' content='text/html; charset=euc-kr'>" if encoding == "cp949" else ""
    page = (f"<html><head>{meta}<title>조선중앙통신</title></head><body><table><tr><td>"
            "<a href='/index-k.htm'>조선어</a> | <a href='/index-e.htm'>English</a> | <a href='/index-s.htm'>Espanol</a>"
            f"</td></tr><tr><td>{_paras(t)}</td></tr></table></body></html>")
    body = _kps(page) if encoding == "kps9566" else page.encode(encoding)
    return url, body, {}, ["English | ", "Espanol"]


def kcna_ko_portal(t):
    d = _d(t["date"])
    url = f"https://www.tongil-news.example.kr/news/articleView.html?idxno={_num(t['id'], 100000)}"
    html = _html("통일뉴스", "<div class='gnb'><a>홈</a> <a>정치</a> <a>북한</a></div><div class='section'>북한 소식</div>"
                 f"<div class='info'>입력 {d:%Y.%m.%d} 08:27</div><div class='article'>{_paras(t)}</div>"
                 "<div class='copy'>저작권자 © 통일뉴스 무단전재 및 재배포 금지</div>")
    return url, html.encode("utf-8"), {}, ["입력 ", "저작권자", "북한 소식"]


# --- encodings ---------------------------------------------------------------------------------------

def zh_gb2312_undeclared(t):
    url = f"http://www.chinese-mirror.example.cn/news/{t['id']}.htm"
    body = "".join(f"<p>\u3000\u3000{escape(p)}</p>" for p in t["paragraphs"])
    html = (f"<html><head><title>{escape(t['title'])}</title></head><body><p>首页 | 国际 | 朝鲜半岛</p>"
            f"<h1>{escape(t['title'])}</h1><p>{t['date'][:4]}年{int(t['date'][5:7])}月{int(t['date'][8:])}日</p>"
            f"{body}<p>版权所有</p></body></html>")
    return url, html.encode("gb18030"), {}, ["首页", "版权所有", "¡¡"]


def zh_gbk_mojibake(t):
    url = f"https://korea-repost.example.org/{t['id']}/"
    # as a browser reads GBK bytes as windows-1252 (WHATWG: the five bytes cp1252 leaves undefined are C1 controls)
    mangled = lambda s: "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b)  # noqa: E731
                                for b in s.encode("gb18030"))
    body = "".join(f"<p>{escape(mangled(p))}</p>" for p in t["paragraphs"])
    html = (f"<html><head><meta charset='utf-8'><title>Korea Repost</title></head><body><h1>Korea Repost</h1>"
            f"<h2>{escape(t['title'])}</h2><p class='date'>Posted {t['date']}</p>{body}"
            "<p>Comments are closed.</p></body></html>")
    return url, html.encode("utf-8"), {}, ["Korea Repost", "Comments are closed"]


def zh_portal(t):
    d = _d(t["date"])
    url = f"https://www.zh-portal.example.com/gj/{d:%Y%m%d}/{_num(t['id'], 100000)}.htm"
    html = _html(f"{t['title']}_国际新闻", "<div class='nav'>首页 &gt; 国际 &gt; 正文</div>"
                 f"<h1>{escape(t['title'])}</h1><div class='time'>{d.year}年{d.month}月{d.day}日 08:57</div>"
                 f"<div class='content'>{_paras(t)}</div><div class='ft'>新闻排行 | 图集 | 视频</div>")
    return url, html.encode("utf-8"), {}, ["首页", "新闻排行", "08:57"]


def euc_kr_as_latin1(t, family):
    """Korean text saved in EUC-KR and served as iso-8859-1 (the bytes read as Latin-1 in the page)."""
    url, html, gone = family(t)[:3]
    return url, html.replace('<meta charset="utf-8">', "").replace("©", "(c)").encode("cp949"), \
        {"content-type": "text/html; charset=iso-8859-1"}, gone


# --- pages that are not articles ---------------------------------------------------------------------

def _items(texts):
    return [(t["title"], t["paragraphs"][0][:120], _d(t["date"] or "2020-06-02")) for t in texts]


def list_pages(texts) -> list[tuple[str, str, str]]:
    """(family, url, html) list and index pages of each site, built from the same headlines."""
    items = _items(texts)
    gs = "".join(f"<li><a href='dprk-{d:%y%m%d}-kcna0{i}.htm'>{escape(ti)}</a> KCNA {d:%d %b %Y} -- {escape(lead)}</li>"
                 for i, (ti, lead, d) in enumerate(items, 1))
    kancc = "".join(f"<tr><td class='td_num'>{500 - i}</td><td class='td_subject'><a href='./board.php?bo_table=heigo"
                    f"&wr_id={500 - i}&page=1'>{escape(ti)}</a></td><td class='td_name'>kancc</td><td class='td_date'>"
                    f"{d:%y-%m-%d}</td></tr>" for i, (ti, _, d) in enumerate(items))
    kp = "".join(f"<li><a href='/en/article/q/{i:032x}.kcmsf'>{escape(ti)}</a><span class='publish-time'>"
                 f"{d:%Y.%m.%d}</span></li>" for i, (ti, _, d) in enumerate(items, 1))
    rod = "".join(f"<tr><td><a href='index.php?strPageID=SF01_02_01&newsID={d:%Y-%m-%d}-000{i}'>{escape(ti)}</a>"
                  f"</td></tr>" for i, (ti, _, d) in enumerate(items, 1))
    blog = "".join(f"<div class='post'><h3 class='post-title'><a href='/p/{i}.html'>{escape(ti)}</a></h3>"
                   f"<div class='post-body'>{escape(lead[:90])}… <a href='/p/{i}.html'>Read more »</a></div></div>"
                   for i, (ti, lead, d) in enumerate(items, 1))
    portal = "".join(f"<li><a href='articleView.html?idxno={i}'><strong>{escape(ti)}</strong></a>"
                     f"<span class='date'>{d:%Y.%m.%d}</span></li>" for i, (ti, _, d) in enumerate(items, 1))
    watch = "".join(f"<div class='article-summary'><a href='/newstream/{i}/'>{escape(ti)}</a> "
                    f"<span>{MONTH_NAMES[d.month - 1]} {d.day}, {d.year}</span></div>" for i, (ti, _, d) in enumerate(items, 1))
    return [
        ("gs-daily-index", "https://www.globalsecurity.org/wmd/library/news/dprk/2004/09/09-13_index.htm",
         _html("DPRK News - 13 September 2004", f"<h2>North Korea News</h2><ul>{gs}</ul><p>Site maintained by: John Pike</p>")),
        ("kancc-board-list", "http://kancc.org/bbs/board.php?bo_table=heigo&page=2",
         _html("회고록 《세기와 더불어》 2 페이지", f"<div id='bo_list'><table>{kancc}</table></div><nav class='pg_wrap'>"
               "<span class='pg'><a class='pg_page'>1</a><strong class='pg_current'>2</strong><a class='pg_page'>3</a>"
               "</span></nav>")),
        ("kcnakp-list", "http://www.kcna.kp/en/article/list/6a47505ba5268fd7749c0fe11e4b24b4?page=2",
         _html("KCNA", f"<div class='article-list'><ul>{kp}</ul></div>")),
        ("rodong-list", "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_01_02&iMenuID=1&iSubMenuID=1&iPage=2",
         _html("Rodong Sinmun", f"<table class='list'>{rod}</table>")),
        ("blog-archive", "http://juche-korea-news.blogspot.com/2024/07/",
         _html("Juche Korea News: July 2024", f"<h1>Juche Korea News</h1>{blog}")),
        ("portal-section", "https://www.nknewsportal.example.net/news/articleList.html?sc_section_code=S1N2",
         _html("North Korea - NK News Portal", f"<div class='section-label'>North Korea</div><ul>{portal}</ul>")),
        ("kcnawatch-list", "https://kcnawatch.org/newstream/?page=3",
         _html("Newstream | KCNA Watch", f"<div class='newstream'>{watch}</div>")),
    ]


ERROR_PAGES = [
    ("gs-not-found", "https://www.globalsecurity.org/wmd/library/news/dprk/2024/dprk-240715-kcna09.htm",
     _html("GlobalSecurity.org - Page Not Found", "<h1>Page Not Found</h1><p>The page you requested could not be found."
           "</p><p>Site maintained by: John Pike</p>")),
    ("blog-not-found", "http://juche-korea-news.blogspot.com/2012/03/missing-post.html",
     _html("Juche Korea News", "<h1>Juche Korea News</h1><div class='status-msg-body'>Sorry, the page you were looking "
           "for in this blog does not exist.</div><a>Home</a>")),
    ("portal-not-found", "https://www.nknewsportal.example.net/news/articleView.html?idxno=999999",
     _html("NK News Portal", "<div class='gnb'><a>Home</a> <a>Politics</a></div><p>The article you requested "
           "has been deleted or does not exist.</p>")),
    ("rodong-ko-unknown-address", "http://www.rodong.rep.kp/ko/index.php?strPageID=SF01_02_01&newsID=2024-13-99-0001",
     _html("로동신문", "<div class='menu'><a>홈</a></div><p>알수 없는 주소입니다.</p><p>주소를 다시 확인하십시오.</p>")),
    ("kcnakp-ko-unknown-address", "http://www.kcna.kp/kp/article/q/00000000000000000000000000000000.kcmsf",
     _html("조선중앙통신", "<header><a>홈</a></header><div class='error'><h2>알수 없는 주소</h2></div>")),
    ("ko-portal-no-post", "https://www.tongil-news.example.kr/news/articleView.html?idxno=0",
     _html("통일뉴스", "<div class='gnb'><a>홈</a></div><script>alert('해당 글이 존재하지 않습니다.');history.back();</script>")),
    ("kancc-alert", "http://kancc.org/bbs/board.php?bo_table=heigo&wr_id=99999",
     _html("오류안내 페이지", "<script>alert(\"글이 존재하지 않습니다.\\n\\n글이 삭제되었거나 이동된 경우입니다.\");"
           "document.location.replace('./board.php?bo_table=heigo');</script><noscript><p>글이 존재하지 않습니다.</p>"
           "</noscript>")),
]


def attachment_and_empty_pages():
    file_box = ("<section id='bo_v_file'><h2>첨부파일</h2><ul><li><a href='download.php?bo_table=data&wr_id=901&no=0'>"
                "<strong>2024-07-14-statement.pdf</strong></a> (1.2M)</li></ul></section>")
    pages = []
    url, html = _gnuboard("data", "북녘 소식", 901, "김여정 부부장 담화 (원문 첨부)", "24-07-14 10:02", "<p>&nbsp;</p>", file_box)
    pages.append(("kancc-attachment", "attachment", url, html))
    pages.append(("blog-attachment", "attachment", "http://juche-korea-news.blogspot.com/2024/07/statement-pdf.html",
                  _html("Juche Korea News", "<h1>Juche Korea News</h1><div class='post'><h3 class='post-title'>"
                        "Statement of July 14 (PDF)</h3><div class='post-body'><a href='https://example.org/files/"
                        "statement-2024-07-14.pdf'>Download: statement-2024-07-14.pdf</a></div></div>")))
    pages.append(("portal-attachment", "attachment", "https://www.tongil-news.example.kr/news/articleView.html?idxno=77",
                  _html("자료실 - 통일뉴스", "<div class='section'>자료실</div><h1 class='headline'>로동신문 사설 원문</h1>"
                        "<div class='article'><p>첨부파일 : <a href='/files/rodong-2024-08-01.hwp'>rodong-2024-08-01.hwp"
                        "</a></p></div>")))
    url, html = _gnuboard("heigo", "회고록 《세기와 더불어》", 902, "[Reminiscences]Chapter 5 1. (준비중)", "20-06-03 09:00", "")
    pages.append(("kancc-empty", "empty", url, html))
    pages.append(("blog-empty", "empty", "http://juche-korea-news.blogspot.com/2024/07/draft.html",
                  _html("Juche Korea News", "<h1>Juche Korea News</h1><div class='post'><h3 class='post-title'>Draft"
                        "</h3><div class='post-body'></div></div><a>Older Post</a> <a>Home</a>")))
    pages.append(("gs-empty", "empty", "https://www.globalsecurity.org/wmd/library/news/dprk/2024/dprk-240716-kcna02.htm",
                  _html("GlobalSecurity.org", "<div>UNITED24 - Make a charitable donation in support of Ukraine!</div>"
                        "<p>Weapons of Mass Destruction (WMD)</p><p>NEWSLETTER</p><p>Join the GlobalSecurity.org mailing"
                        " list</p>")))
    return pages


KCNA_FAMILIES = [gs_2003_pre, gs_2005_table, gs_2010_kns, gs_2022, kcna_co_jp, kcnakp_q, kcnakp_detail, kcnawatch,
                 blog_repost, news_portal]
RODONG_FAMILIES = [rodong_2021, rodong_2024, rodong_2025, kcnawatch, blog_repost, news_portal]


def gs_weekly(variant):
    def build(t):
        url = _gs_url({"date": t["date"]}, "nis")
        url = url.rsplit("/", 1)[0] + f"/dprk-nis_{_d(t['date']) - timedelta(days=6):%y%m%d}-{_d(t['date']):%y%m%d}.htm"
        source = {"p": "<p class='source'>ROK National Intelligence Service</p>",
                  "i": "<p align=center><i>ROK National Intelligence Service</i></p>",
                  "font": "<font face=arial size=2>ROK National Intelligence Service</font><br>"}[variant]
        html = _html(f"{t['title']}", f"<table><tr><td>{GS_OLD_CHROME[0]}</td></tr><tr><td>"
                     f"<h2>{escape(t['title'])}</h2>{source}{_paras(t)}</td></tr></table>{GS_OLD_CHROME[1]}")
        return url, html, ["ROK National Intelligence Service", "Site maintained by"]
    build.__name__ = f"gs_weekly_{variant}"
    return build


def build_pages() -> list[Page]:
    texts = load_texts()
    pages: list[Page] = []

    def add(family, t, url, body, gone, headers=None, title=None, date_=None, check_date=True):
        pages.append(Page(f"{t['id']}@{family}", family, "article", url,
                          body if isinstance(body, bytes) else body.encode("utf-8"), headers or {},
                          title or t.get("title"), (date_ or t["date"]) if check_date else None, _keep(t), gone))

    for t in texts:
        if t["kind"] == "kcna":
            for family in KCNA_FAMILIES:
                url, html, gone = family(t)
                add(family.__name__, t, url, html, gone)
        elif t["kind"] == "rodong":
            for family in RODONG_FAMILIES:
                url, html, gone = family(t)
                add(family.__name__, t, url, html, gone)
        elif t["kind"] == "weekly":
            for family in (gs_weekly("p"), gs_weekly("i"), gs_weekly("font")):
                url, html, gone = family(t)
                add(family.__name__, t, url, html, gone)
        elif t["kind"] == "memoir":
            url, html, gone, posted = kancc_post(t)
            add("kancc_post", t, url, html, gone, date_=posted)
            url, html, gone = memoir_book(t)
            add("memoir_book", t, url, html, gone, check_date=False)
            dated = dict(t, date="2020-06-02")
            url, html, gone = blog_repost(dated)
            add("blog_repost", t, url, html, gone + ["Monday, June 2"], date_="2020-06-02")
        elif t["kind"] == "ko":
            url, html, gone, posted = kancc_post(dict(t, posted=t["date"]))
            add("kancc_post", t, url, html, gone, date_=posted)
            for family in (ko_portal, ko_blog):
                url, html, gone = family(t)
                add(family.__name__, t, url, html, gone)
            for family in (kancc_post, ko_portal, ko_blog):
                url, body, headers, gone = euc_kr_as_latin1(dict(t, posted=t["date"]), family)
                add(f"euc-kr-as-latin1/{family.__name__}", t, url, body, gone, headers)
        elif t["kind"] == "kcna-ko":
            for name, build in (("kcna_ko_euc_kr", lambda t: kcna_ko_page(t, "cp949")),
                                ("kcna_ko_kps9566_undeclared", lambda t: kcna_ko_page(t, "kps9566")),
                                ("kcna_ko_portal", kcna_ko_portal)):
                url, body, headers, gone = build(t)
                add(name, t, url, body, gone, headers)
        elif t["kind"] == "zh":
            for family in (zh_gb2312_undeclared, zh_gbk_mojibake, zh_portal):
                url, body, headers, gone = family(t)
                add(family.__name__, t, url, body, gone, headers)
    # the weekly's pages in the KCNA families too (the weekly dated by the last day it covers)
    pool = [t for t in texts if t["kind"] in ("kcna", "rodong")]
    for n, chunk in enumerate((pool[:5], pool[3:8], pool[5:10])):
        for family, url, html in list_pages(chunk):
            pages.append(Page(f"list{n}@{family}", family, "list", url.replace("page=", f"page={n + 2}"),
                              html.encode("utf-8")))
    for family, url, html in ERROR_PAGES:
        pages.append(Page(f"error@{family}", family, "error", url, html.encode("utf-8")))
    for family, kind, url, html in attachment_and_empty_pages():
        pages.append(Page(f"{kind}@{family}", family, kind, url, html.encode("utf-8")))
    return pages + more_pages(texts) + third_batch(texts)


def more_pages(texts: list[dict]) -> list[Page]:
    """A second batch of markups, each another site's or era's way of holding the same kinds: a source line
    in <center><b>, <p class> source and date lines, a WordPress repost, a Juche date line, <time>, a portal
    titled "Site :: Title", kcna.co.jp's news-of-the-day index, a tag page, WordPress's "nothing found", an
    empty GNUBoard board, a correct EUC-KR page (must come out unchanged)."""
    T = {t["id"]: t for t in texts}
    k = T["kcna-2019-12-14-kpa-general-staff"]
    k2 = T["kcna-2024-07-14-kim-yo-jong"]
    r = T["rodong-2024-08-01-war-veterans"]
    w = T["nis-weekly-2009-12-28"]
    pages = []
    def add(family, url, html, t, gone, title=None, date=None, kind="article", headers=None):
        pid = f"{t['id']}@{family}" if kind == "article" else f"{kind}@{family}"
        pages.append(Page(pid, family, kind, url, html if isinstance(html, bytes) else html.encode(), headers or {},
                          None if kind != "article" else (title or t["title"]), None if kind != "article" else (date or t["date"]),
                          _keep(t) if kind == "article" else [], gone))
    # GS 2006: source line in <center><b>, pre body
    body = "\n".join("     " + p for p in k["paragraphs"])
    add("gs2006-center-b", "https://www.globalsecurity.org/wmd/library/news/dprk/2019/dprk-191215-kcna02.htm",
        _html(k["title"], f"<center><h2>{escape(k['title'])}</h2><b>Korean Central News Agency of DPRK via Korea News Service (KNS)</b></center><pre>{escape(body)}</pre><hr><p>Copyright &copy; 2000-2019 GlobalSecurity.org All rights reserved.</p>"), k, ["Korea News Service", "Copyright"])
    # GS 2020s: source in <p class=src>, date in <p class=date>
    add("gs2020-pclass", "https://www.globalsecurity.org/wmd/library/news/dprk/2019/dprk-191216-kcna01.htm",
        _html(f"{k['title']}", f"<div id='page'><h1>{escape(k['title'])}</h1><p class='src'>Korean Central News Agency of DPRK</p><p class='date'>Date: 14/12/2019</p>{_paras(k)}<p>Page last modified: 15-12-2019 18:22:31 ZULU</p></div>"), k, ["Date: 14/12/2019", "Korean Central News Agency of DPRK", "Page last modified"])
    # WordPress repost: title "Blog | tagline", Posted on ... by admin, Filed under
    add("wp-repost", "https://dprk-solidarity.example.org/2024/07/15/press-statement/",
        _html("DPRK Solidarity | Friends of Korea", f"<header><p class='site-title'>DPRK Solidarity</p><p class='site-description'>Friends of Korea</p><nav>Home About Archive</nav></header><article><h1 class='entry-title'>{escape(k2['title'])}</h1><div class='entry-meta'>Posted on July 15, 2024 by admin</div><div class='entry-content'>{_paras(k2)}</div><footer class='entry-footer'>Filed under: KCNA | Leave a comment</footer></article>"), k2, ["Posted on", "Filed under", "DPRK Solidarity"], date="2024-07-14")
    # Rodong Korean-style date line (English text): date in a div with weekday, Juche
    add("rodong-juche-dateline", "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=2024-08-01-0003",
        _html("Rodong Sinmun", f"<div class='menu'><a>Home</a> <a>Politics</a> <a>Economy</a> <a>Culture</a></div><div id='ContDIV'><p class='ArticleContent' align='center'>{escape(r['title'])}</p><p class='date'>Juche 113 (2024) August 1 Thursday</p>{_paras(r,'p',' class=ArticleContent')}</div>"), r, ["Juche 113", "Thursday"])
    # kcnawatch with <time datetime>
    add("kcnawatch-time", "https://kcnawatch.org/newstream/1720950000-123/press-statement/",
        _html("KCNA Watch", f"<div class='breadcrumbs'>Home » Newstream » KCNA</div><h1>{escape(k2['title'])}</h1><p><time datetime='2024-07-14T09:00:00+09:00'>July 14, 2024</time> | Korean Central News Agency</p><div class='article-body'>{_paras(k2)}</div><div class='share'>Share this: Twitter Facebook</div>"), k2, ["Home » Newstream", "Share this"])
    # weekly on a portal: title with " - " inside parentheses, site name first
    add("weekly-portal", "https://www.nkinfo.example.net/nis/weekly-2010-01-03.html",
        _html(f"NK Info :: {w['title']}", f"<div class='logo'>NK Info</div><div class='cat'>Weekly Reports</div><h2>{escape(w['title'])}</h2><p align=center><i>ROK National Intelligence Service</i></p>{_paras(w)}"), w, ["NK Info", "ROK National Intelligence Service", "Weekly Reports"])
    # memoir on eng_news board with DISCLAIMER
    # a site heading above the headline (GlobalSecurity), a title element naming the agency (kcna.kp)
    add("gs-site-heading", "https://www.globalsecurity.org/wmd/library/news/dprk/2019/dprk-191215-kcna03.htm",
        _html("GlobalSecurity.org", f"<table><tr><td id='content'><h1>GlobalSecurity.org</h1><h2>{escape(k['title'])}"
              f"</h2><p class='source'>Korean Central News Agency of DPRK</p>{_paras(k)}</td></tr></table>"),
        k, ["Korean Central News Agency of DPRK", "GlobalSecurity.org"])
    add("kcnakp-agency-title", "http://www.kcna.kp/en/article/q/0123456789abcdef0123456789abcdef.kcmsf",
        _html("KCNA", "<div class='article-main-title'>Korean Central News Agency</div><div class='article-content-body'>"
              f"<div class='content-wrapper'><h3>{escape(k['title'])}</h3>{_paras(k)}<span class='publish-time'>"
              "www.kcna.kp (Juche108.12.14.)</span></div></div>"), k, ["www.kcna.kp", "Juche108"])
    # list pages
    items = [T[i] for i in ("kcna-2019-12-14-kpa-general-staff","kcna-2024-07-14-kim-yo-jong","kcna-2003-12-12-ariji","kcna-2016-05-03-russian-media","kcna-2004-08-20-fm-spokesman","kcna-2003-07-04-psychological-warfare")]
    lst = "".join(f"<tr><td><font size=2><a href='{i}.htm'>{escape(t['title'])}</a></font></td></tr>" for i,t in enumerate(items))
    add("kcnacojp-news-of-day", "http://www.kcna.co.jp/item/2003/200312/news12/index-e.htm", _html("KCNA", f"<table><tr><td>calendar&gt;&gt; December 12. 2003 Juche 92</td></tr>{lst}</table>"), items[0], [], kind="list")
    wp = "".join(f"<article><h2 class='entry-title'><a href='/p/{i}/'>{escape(t['title'])}</a></h2><div class='entry-meta'>Posted on July {i+1}, 2024</div></article>" for i,t in enumerate(items))
    add("wp-tag-page", "https://dprk-solidarity.example.org/tag/kcna/", _html("KCNA | DPRK Solidarity", f"<h1 class='page-title'>Tag: KCNA</h1>{wp}<nav>Older posts</nav>"), items[0], [], kind="list")
    # error: English blog "Nothing Found", kcna.kp english "The page you are looking for is not available"
    add("wp-nothing-found", "https://dprk-solidarity.example.org/2024/07/99/missing/", _html("Page not found | DPRK Solidarity", "<header><p>DPRK Solidarity</p></header><h1>Oops! That page can&rsquo;t be found.</h1><p>It looks like nothing was found at this location.</p>"), items[0], [], kind="error")
    add("gnuboard-no-posts", "http://kancc.org/bbs/board.php?bo_table=heigo&page=99", _html("회고록", "<div id='bo_list'><table><tr><td class='empty_table'>게시물이 없습니다.</td></tr></table></div>"), items[0], [], kind="list")
    # correct EUC-KR page: never touched
    ko = T["ko-travelogue-2013-02-11"]
    add("euckr-correct", "https://www.tongil-news.example.kr/news/articleView.html?idxno=4242",
        ("<html><head><meta charset='euc-kr'><title>"+ko["title"]+" - 통일뉴스</title></head><body><h1>"+ko["title"]+"</h1><div>입력 2013.02.11 08:27</div>"+_paras(ko)+"</body></html>").encode("cp949"), ko, ["입력 "])
    return pages


def third_batch(texts: list[dict]) -> list[Page]:
    """A third batch, written after the rules like the second: a 2004 page titled only by <title>, a blog
    whose <h1> is its name, Rodong's Korean layout with a Korean Juche date, a Yonhap-style portal
    ("송고시간"), a weekly on an archive site, an empty page, a list page with long leads."""
    T = {t["id"]: t for t in texts}
    k = T["kcna-2024-07-14-kim-yo-jong"]
    ko = T["kcna-ko-2011-06-27-complete-works-95"]
    r = T["rodong-2024-08-01-haeju-houses"]
    w = T["nis-weekly-2004-11-29"]
    pages = []

    def add(family, url, html, t, gone, title="__", date_="__", kind="article", headers=None):
        pid = f"{t['id']}@{family}" if kind == "article" else f"{kind}@{family}"
        pages.append(Page(pid, family, kind, url, html if isinstance(html, bytes) else html.encode(), headers or {},
                          (t.get("title") if title == "__" else title) if kind == "article" else None,
                          (t["date"] if date_ == "__" else date_) if kind == "article" else None,
                          _keep(t) if kind == "article" else [], gone))

    add("gs2004-title-only", "https://www.globalsecurity.org/wmd/library/news/dprk/2024/dprk-240715-kcna01.htm",
        _html(k["title"], "<pre>\n" + "\n".join("   " + escape(p) for p in k["paragraphs"]) + "\n</pre>"), k, [])
    add("blog-h1-name-h2-title", "https://koreanfriends.example.net/2024/07/15/statement/",
        _html(f"Korean Friends: {k['title']}", f"<h1>Korean Friends</h1><p>Solidarity with the DPRK since 2001</p><h2>{escape(k['title'])}</h2><p>July 15, 2024</p>{_paras(k)}<p>Tags: KCNA, statement</p>"), k, ["Korean Friends", "Tags:", "July 15, 2024"])
    add("rodong-ko", "http://www.rodong.rep.kp/ko/index.php?MTJAMjAyNC0wOC0wMS1IMDA1QDE1QDFAQDBAMg==",
        _html("로동신문", f"<div id='articleContent'><p class='TitleP'>{escape(r['title'])}</p><div id='article-date'>주체113(2024)년 8월 1일 목요일</div>{_paras(r,'p',' class=TextP')}</div>"), r, ["주체113"])
    add("ko-portal-yonhap", "https://www.yna.example.kr/view/AKR20110627",
        _html("연합뉴스", "<div class='nav'>홈 &gt; 북한</div><p class='update-time'>송고시간 2011-06-27 10:12</p>"
              f"<div class='story-news'>{_paras(ko)}<p class='txt-copyright'>&lt;저작권자(c) 연합뉴스, 무단 전재-재배포 "
              "금지&gt;</p></div>"), ko, ["송고시간", "저작권자"], title=None)
    add("weekly-generic-dated", "https://nkweekly.example.org/archive/2004/12/05/",
        _html("NK Weekly Archive", f"<h1>NK Weekly Archive</h1><h2>{escape(w['title'])}</h2><p><i>Source: ROK National Intelligence Service</i></p>{_paras(w)}"), w, ["Source: ROK"])
    add("empty-html", "https://empty.example.org/x", "<html><head><title>x</title></head><body>   </body></html>", k, [], kind="empty")
    leads = "".join(f"<div class='item'><h3><a href='/a/{i}'>{escape(t['title'])}</a></h3><p>{escape(t['paragraphs'][1][:260])}</p></div>" for i, t in enumerate([T[x] for x in T if T[x]['kind'] == 'kcna']))
    add("list-long-leads", "https://nkportal.example.org/kcna/", _html("KCNA news - NK Portal", f"<h1>KCNA news</h1>{leads}"), k, [], kind="list")
    return pages


def _norm(text: str | None) -> str:
    return " ".join((text or "").replace("\u00a0", " ").split()).strip("“”\"' ")


def run_page(page: Page) -> dict:
    """Clean one page; the outcome of every measure for it (None: not applicable)."""
    import cleaners

    result = {"id": page.id, "family": page.family, "kind": page.kind}
    try:
        # a capture a day after the page's date: what the crawl passes (kcna.kp's detail pages take the year from it)
        captured = (date.fromisoformat(page.date) + timedelta(days=1)).isoformat() if page.date else "2024-08-02"
        doc = cleaners.clean_page(page.body, page.url, headers=page.headers,
                                  capture={"captured_at": captured + "T10:00:00Z"})
    except cleaners.CleaningError as exc:
        refusal = getattr(exc, "kind", None) or ("error" if isinstance(exc, cleaners.SoftNotFound) else "refused")
        result.update(refused=True, refusal=refusal, reason=str(exc)[:160],
                      kind_ok=page.kind != "article", refusal_kind_ok=refusal == page.kind)
        if page.kind == "article":
            result.update(title_ok=False, date_ok=False if page.date else None, keep_ok=False, gone_ok=False)
        result["ok"] = page.kind != "article"
        return result
    text = "\n".join(doc.paragraphs)
    result.update(refused=False, kind_ok=page.kind == "article", refusal_kind_ok=None,
                  generic=doc.extra.get("extraction") != "profile", got_title=doc.title, got_date=doc.date)
    if page.kind != "article":
        result["ok"] = False
        return result
    result["title_ok"] = (_norm(doc.title) == _norm(page.title)) if page.title else None
    result["date_ok"] = (doc.date == page.date) if page.date else None
    result["keep_ok"] = all(_norm(k) in _norm(text) for k in page.keep)
    missing = [g for g in page.gone if g in text or g in doc.title]
    result["gone_ok"] = not missing
    result["left"] = missing
    result["ok"] = all(result[k] is not False for k in ("title_ok", "date_ok", "keep_ok", "gone_ok"))
    return result


MEASURES = ("ok", "kind_ok", "refusal_kind_ok", "title_ok", "date_ok", "keep_ok", "gone_ok")


def score(results: list[dict]) -> dict[str, float]:
    """Share of pages passing each measure (pages where it applies); `generic_title`/`generic_date` are the
    title and date accuracy of articles the generic path cleaned."""
    figures = {}
    for measure in MEASURES:
        values = [r[measure] for r in results if r.get(measure) is not None]
        figures[measure] = round(sum(values) / len(values), 4) if values else 1.0
    for measure in ("title_ok", "date_ok"):
        values = [r[measure] for r in results if r.get("generic") and r.get(measure) is not None]
        figures["generic_" + measure] = round(sum(values) / len(values), 4) if values else 1.0
    return figures
