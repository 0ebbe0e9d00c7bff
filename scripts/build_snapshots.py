"""Build the replay snapshots: HTML pages that reproduce each site's structure -> two WARC files.

    python scripts/build_snapshots.py            # writes flows/snapshots/{src/,snapshot-1.warc.gz,snapshot-2.warc.gz}

Deterministic: fixed dates, record ids derived from URL + snapshot, gzip without timestamps, so a
rebuild gives byte-identical files (a test checks that the committed ones are up to date).
"""

from __future__ import annotations

import gzip
import hashlib
import html
import io
import re
import sys
import uuid
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import BufferWARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import snapshot_texts as texts  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "flows" / "snapshots"
SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
SEED_COPY = ROOT / "tests" / "seeds"  # the seeds travel with the repo (CI has no ../shared)

GS = "https://www.globalsecurity.org/wmd/library/news/dprk/2010/"
BOARD = "https://kancc.org/bbs/board.php?bo_table=heigo"
SNAPSHOT_DATES = {1: ("2026-10-01T03:00:00Z", "Thu, 01 Oct 2026 03:00:00 GMT"),
                  2: ("2026-11-01T03:00:00Z", "Sun, 01 Nov 2026 03:00:00 GMT"),
                  3: ("2026-12-01T03:00:00Z", "Tue, 01 Dec 2026 03:00:00 GMT")}
E = html.escape


def seed_text(name: str) -> str:
    path = SEED_COPY / name
    if not path.exists():
        path = SEEDS / name
    return path.read_text(encoding="utf-8")


# --- GlobalSecurity ---------------------------------------------------------------------------

U24 = ('<div class="u24-banner"><a href="https://u24.gov.ua/">UNITED24 - Make a charitable donation in '
       'support of Ukraine!</a></div>')
OLD_BANNER = '<div class="jobs-banner"><a href="https://www.clearancejobs.com/">Find a Security Clearance Job!</a></div>'


def gs_page(title: str, source: str, paragraphs: list[str], *, charset: str = "iso-8859-1",
            chrome: str = "2022", seed: bool = False, raw_paragraphs: bool = False,
            last_modified: str = "14-09-2010 12:31:22 ZULU") -> str:
    """A GlobalSecurity KCNA repost: table layout, banner, section label, title, source line, paragraphs, footer."""
    paras = "\n".join(f"<p>{p if raw_paragraphs else E(p, quote=False)}</p>" for p in paragraphs)
    breadcrumb = "" if seed else (
        '<p class="breadcrumb"><a href="/">GlobalSecurity.org</a> &gt; <a href="/wmd/">WMD</a> &gt; '
        '<a href="/wmd/library/">Library</a> &gt; <a href="/wmd/library/news/">News</a> &gt; '
        '<a href="/wmd/library/news/dprk/">DPRK</a></p>')
    banner = U24 if chrome == "2022" else OLD_BANNER
    if seed:
        footer = '<a href="/join-mailing-list.htm">Join the GlobalSecurity.org mailing list</a>'
    elif chrome == "2022":
        footer = ('<p><b>NEWSLETTER</b></p><form action="/join-mailing-list.htm"><a href="/join-mailing-list.htm">'
                  'Join the GlobalSecurity.org mailing list</a> <input type="text" name="email" value="">'
                  f'<input type="submit" value="Subscribe"></form><p class="modified">Page last modified: {last_modified}</p>')
    else:
        footer = (f'<a href="/join.htm">Join the mailing list</a><p class="modified">Page last modified: '
                  f'{last_modified}</p>')
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{E(title, quote=False)}</title>
<link rel="stylesheet" type="text/css" href="/css/gs.css">
<script type="text/javascript" src="/js/ads.js"></script>
</head>
<body bgcolor="#FFFFFF">
{banner}
<table width="100%" border="0" cellpadding="0" cellspacing="0" class="header">
<tr><td><a href="/"><img src="/images/gs-logo.gif" alt="" border="0"></a></td></tr>
</table>
<table width="100%" border="0" cellpadding="4" cellspacing="0" class="layout">
<tr><td class="section-label" colspan="2"><a href="/wmd/index.html">Weapons of Mass Destruction (WMD)</a></td></tr>
<tr>
<td id="content" valign="top">
{breadcrumb}
<h1>{E(title, quote=False)}</h1>
<p class="source"><i>{E(source, quote=False)}</i></p>
{paras}
</td>
<td class="ads" valign="top" width="160"><div class="ad-slot" id="ad-right"></div></td>
</tr>
</table>
<div id="footer">
{footer}
</div>
</body>
</html>
"""


def seed_gs() -> tuple[str, str, list[str]]:
    """Title, source line and paragraphs of the GlobalSecurity seed, exactly as captured."""
    blocks = [b for b in seed_text("globalsecurity-kcna-2010-09-14.txt").split("\n\n")]
    assert blocks[0].startswith("UNITED24") and blocks[-1].startswith("Join the GlobalSecurity.org")
    return blocks[2], blocks[3], blocks[4:-1]


def gs_index(items: list[tuple[str, str, str, str]]) -> str:
    """The 2010 year index: "Title SOURCE DD Mon YYYY -- lead" bullets (plus one ROK NIS weekly)."""
    lis = "\n".join(f'<li><a href="{stem}.htm">{E(title)}</a> {E(src)} {day} -- {E(lead, quote=False)}</li>'
                    for stem, title, src, day, lead in items)
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<title>DPRK News - 2010</title></head>
<body>
{U24}
<table width="100%" class="layout"><tr><td id="content">
<h1>North Korea News - 2010</h1>
<ul>
{lis}
</ul>
</td></tr></table>
<div id="footer"><a href="/join-mailing-list.htm">Join the GlobalSecurity.org mailing list</a></div>
</body></html>
"""


# --- KANCC (GNUBoard 5, pre-5.3 basic skin) ---------------------------------------------------

SIDEBAR = [line for line in """달라지는 조국의 모습
사랑의 길
조국과 인민이 지켜보고있다
[론설] 당결정은 당적량심과 자각성을 가지고 헌신적으로 집행해야 한다
[론설] 당의 사상을 잘 알아야 모든 사업을 주동적으로, 적극적으로 해나갈수 있다
[사진으로 보는 노동신문] 11월 10일(수) 
김일성화사적표식비 제막행사 인도네시아에서 진행
끝없이 이어지고있는 인민사랑의 력사
판이한 직업륜리가 말해주는것은
[사진으로 보는 노동신문] 12월 6일(월)
[제목으로 보는 노동신문] 12월 6일(월)
유투브로 보는 조선중앙텔레비젼 보도 12월 5일
[사진으로 보는 노동신문] 12월 5일(일) 
[제목으로 보는 노동신문] 12월 5일(일)
유투브로 보는 조선중앙텔레비젼 보도 12월 4일
창조와 건설의 영재를 모시여
태양의 그 미소 그립습니다
[사설] 백두산정신으로 난관을 부시며 우리식 사회주의의 새로운 발전을 이룩해나가자""".split("\n")]
BOARD_TITLE = "회고록 《세기와 더불어》"


def gnu_subject_cut(subject: str, width: int = 59) -> str:
    """GNUBoard's cut_str: the subject cut to `width` characters with an ellipsis."""
    return subject if len(subject) <= width else subject[:width] + "…"


def kancc_post(wr_id: int, subject: str, posted: str, comments: int, content_lines: list[str]) -> str:
    """A GNUBoard 5 basic-skin post page. `content_lines`: the #bo_v_con lines ("" = empty line)."""
    title_subject = subject.replace("\\", "\\\\")  # the site escapes the subject twice in <title> and h2
    content = "\n".join(f"<p>{E(line, quote=False)}</p>" if line else "<p><br></p>" for line in content_lines)
    if comments:
        comment_items = "\n".join(
            f'<article id="c_{wr_id}{i}"><header><span class="member">독자{i}</span> '
            f'<span class="bo_vc_hdinfo"><time>{posted}</time></span></header>'
            f'<p>좋은 글 감사합니다. {i}</p></article>' for i in range(1, comments + 1))
    else:
        comment_items = '<p id="bo_vc_empty">등록된 댓글이 없습니다.</p>'
    sidebar = "\n".join(f'<li><a href="/bbs/board.php?bo_table=news&amp;wr_id={30000 + i}">{E(h)}</a></li>'
                        for i, h in enumerate(SIDEBAR))
    return f"""<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta http-equiv="imagetoolbar" content="no">
<title>{E(title_subject, quote=False)} &gt; {BOARD_TITLE}</title>
<link rel="stylesheet" href="https://kancc.org/theme/basic/css/default.css">
<script src="https://kancc.org/js/jquery-1.8.3.min.js"></script>
</head>
<body>
<div id="skip_to_container"><a href="#container">본문 바로가기</a></div>
<div id="hd"><h1 id="hd_h1" class="hidden">{E(title_subject, quote=False)} &gt; {BOARD_TITLE}</h1></div>
<div id="wrapper">
<div id="container">
<h2 id="container_title"><span title="{E(title_subject)}">{BOARD_TITLE}</span></h2>
<article id="bo_v" style="width:100%">
<header>
<h2 id="bo_v_title"><span class="bo_v_tit">{E(gnu_subject_cut(title_subject), quote=False)}</span></h2>
</header>
<section id="bo_v_info">
<h2>페이지 정보</h2>
<span class="sound_only">작성자</span> <strong><span class="sv_member">편집국</span></strong>
<span class="sound_only">작성일</span><strong>{posted}</strong>
<span class="sound_only">댓글</span><strong>{comments}건</strong>
</section>
<section id="bo_v_atc">
<h2 id="bo_v_atc_title" class="sound_only hidden">본문</h2>
<div id="bo_v_con">
{content}
</div>
<div id="bo_v_act"><a href="./good.php?bo_table=heigo&amp;wr_id={wr_id}&amp;good=good" class="bo_v_good">추천 <strong>0</strong></a></div>
<div id="bo_v_sns"><ul>
<li><a href="https://www.facebook.com/sharer/sharer.php?u=x" target="_blank"><img src="/skin/board/basic/img/sns_fb.png" alt="페이스북으로 보내기">페이스북으로 보내기</a></li>
<li><a href="https://twitter.com/share?url=x" target="_blank"><img src="/skin/board/basic/img/sns_twt.png" alt="트위터로 보내기">트위터로 보내기</a></li>
<li><a href="https://plus.google.com/share?url=x" target="_blank"><img src="/skin/board/basic/img/sns_goo.png" alt="구글플러스로 보내기">구글플러스로 보내기</a></li>
</ul></div>
</section>
<section id="bo_vc">
<h2 class="sound_only hidden">댓글목록</h2>
{comment_items}
</section>
</article>
</div>
<div id="aside"><div class="lt"><ul style="list-style:none">
{sidebar}
</ul></div></div>
</div>
<div id="ft"><div id="ft_copy">Copyright ⓒ 2000-2021 KANCC(Korean American National Coordinating Council). All rights reserved.<br>
E-mail: &nbsp;: &nbsp;webmaster@kancc.org</div></div>
</body>
</html>
"""


def seed_kancc() -> tuple[str, list[str]]:
    """Subject and #bo_v_con lines of the KANCC seed, exactly as captured."""
    lines = seed_text("kancc-reminiscences-ch21-6.txt").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("작성자 편집국")) + 1
    end = lines.index("추천 0")
    content = lines[start:end]
    while content and not content[0]:
        content.pop(0)
    while content and not content[-1]:
        content.pop()
    subject = lines[0].split(" > ")[0].replace("\\\\", "\\")
    return subject, content


def corrupt(text: str) -> str:
    """The KANCC site's corruption, applied to clean FILLER text (see snapshots README):
    a space before and/or/union/where/whereas/order/organiz… becomes a backslash and the word is
    lower-cased; a space before "from" becomes a form feed eaten with the f ("rom")."""
    text = re.sub(r" (and|or|where|whereas|order|organi[sz]\w*)\b", r"\\\1", text)
    text = re.sub(r" (Union)\b", lambda m: "\\" + m.group(1).lower(), text)
    text = re.sub(r"(^|(?<= ))[Ff]rom\b", "rom", text)
    return text


def print_artefacts(paragraphs: list[str], wr_id: int) -> list[str]:
    """Print hyphenation in one long word and a page break mid-sentence, as in the seed."""
    out = list(paragraphs)
    for i, p in enumerate(out):
        m = re.search(r"\b(circumstances|difficulties|accompanied|organizations|revolutionary|surprise|liberation)\b", p)
        if m and i > 0:
            word = m.group(1)
            cut = len(word) // 2
            out[i] = p[:m.start()] + word[:cut] + "-" + word[cut:] + p[m.end():]
            break
    longest = max(range(1, len(out)), key=lambda i: len(out[i]))
    words = out[longest].split(" ")
    half = len(words) // 2
    out[longest:longest + 1] = [" ".join(words[:half]), " ".join(words[half:])]
    return out


def kancc_content(subject: str, paragraphs: list[str], corrupted: bool = True) -> list[str]:
    """#bo_v_con lines for a post: the subject line, blank lines, then the section heading and body."""
    body = print_artefacts([corrupt(p) for p in paragraphs], 0) if corrupted else paragraphs
    lines = [subject.replace("\\\\", "\\"), "", "", "", body[0] + "\u00a0", ""]
    for p in body[1:]:
        lines += [p, ""]
    return lines[:-1]


def kancc_list(posts: list[tuple[int, str, str, int]], page: int, pages: int, total: int) -> str:
    """A GNUBoard list page: #bo_list table rows and the pg_wrap pagination."""
    rows = []
    for n, (wr_id, subject, posted, comments) in enumerate(posts):
        cnt = f' <span class="cnt_cmt">{comments}</span>' if comments else ""
        rows.append(f"""<tr>
<td class="td_num">{total - (page - 1) * 5 - n}</td>
<td class="td_subject"><a href="./board.php?bo_table=heigo&amp;wr_id={wr_id}&amp;page={page}">{E(subject)}</a>{cnt}</td>
<td class="td_name sv_use"><span class="sv_member">편집국</span></td>
<td class="td_date">{posted[3:8]}</td>
</tr>""")
    links = []
    if page > 1:
        links.append('<a href="./board.php?bo_table=heigo&amp;page=1" class="pg_page pg_start">처음</a>')
    for p in range(1, pages + 1):
        links.append(f'<span class="sound_only">열린</span><strong class="pg_current">{p}</strong>' if p == page
                     else f'<a href="./board.php?bo_table=heigo&amp;page={p}" class="pg_page">{p}</a>')
    if page < pages:
        links.append(f'<a href="./board.php?bo_table=heigo&amp;page={pages}" class="pg_page pg_end">맨끝</a>')
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>{BOARD_TITLE} {page} 페이지</title></head>
<body>
<div id="skip_to_container"><a href="#container">본문 바로가기</a></div>
<div id="container"><h2 id="container_title">{BOARD_TITLE}</h2>
<div id="bo_list"><table><caption>{BOARD_TITLE} 목록</caption>
<thead><tr><th>번호</th><th>제목</th><th>글쓴이</th><th>날짜</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></div>
<nav class="pg_wrap"><span class="pg">{"".join(links)}</span></nav>
</div>
<div id="ft"><div id="ft_copy">Copyright ⓒ 2000-2021 KANCC(Korean American National Coordinating Council). All rights reserved.</div></div>
</body></html>
"""


# --- the two snapshots --------------------------------------------------------------------------

def pages_for(snapshot: int) -> dict[str, tuple[int, bytes, str]]:
    """url -> (status, body bytes, content-type) for snapshot 1, 2 or 3."""
    if snapshot == 3:
        return pages_for_3()
    pages: dict[str, tuple[int, bytes, str]] = {}
    html_iso = "text/html; charset=iso-8859-1"
    html_utf8 = "text/html; charset=utf-8"
    # robots.txt for both hosts
    pages["https://www.globalsecurity.org/robots.txt"] = (
        200, b"User-agent: *\nDisallow: /cgi-bin/\nDisallow: /search/\n", "text/plain")
    pages["https://kancc.org/robots.txt"] = (200, b"User-agent: *\nDisallow: /bbs/login.php\nDisallow: /adm/\n",
                                             "text/plain")

    # GlobalSecurity
    title, source, paras = seed_gs()
    pages[GS + "dprk-100914-kcna01.htm"] = (200, gs_page(title, source, paras, seed=True).encode("iso-8859-1"), html_iso)
    index_items = [("dprk-100914-kcna01", title, "KCNA", "14 Sep 2010", paras[0][:90] + "...")]
    kns = "Korean Central News Agency of DPRK via Korea News Service (KNS)"
    gs_articles = list(texts.GS_ARTICLES)
    if snapshot == 2:
        gs_articles = [a for a in gs_articles if a[0] != "dprk-100920-kcna01"]  # deleted upstream
        gs_articles = [(s, t, d, texts.GS_EDITED[1] if s == texts.GS_EDITED[0] else p) for s, t, d, p in gs_articles]
        gs_articles.append(texts.GS_NEW)
    for stem, art_title, day, body in gs_articles:
        dated = [f"Pyongyang, {day} (KCNA) -- {body[0]}"] + body[1:]
        url = GS + stem + ".htm"
        if stem == "dprk-100913-kcna03":      # declared iso-8859-1, bytes are windows-1252 (curly quotes)
            data = gs_page(art_title, kns, dated).encode("cp1252")
        elif stem == "dprk-100915-kcna02":    # declared iso-8859-1 (header + meta), bytes are UTF-8
            data = gs_page(art_title, kns, dated).encode("utf-8")
        elif stem == "dprk-100916-kcna01":    # entities: &rsquo; &nbsp;
            raw = [E(p, quote=False).replace("\u2019", "&rsquo;").replace("two countries", "two&nbsp;countries")
                   for p in dated]
            data = gs_page(art_title, kns, raw, raw_paragraphs=True).encode("ascii")
        elif stem == "dprk-100922-kcna03":    # an older capture's chrome
            data = gs_page(art_title, kns, dated, chrome="old").encode("iso-8859-1")
        else:
            data = gs_page(art_title, kns, dated).encode("cp1252")
        pages[url] = (200, data, html_iso)
        month_day = day.split()[1]
        index_items.append((stem, art_title, "KCNA", f"{month_day} Sep 2010", body[0][:90] + "..."))
    if snapshot == 2:
        pages[GS + "dprk-100920-kcna01.htm"] = (
            404, b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>",
            "text/html; charset=iso-8859-1")
    nis = "dprk-nis_100913-100919"
    pages[GS + nis + ".htm"] = (200, gs_page("North Korea Weekly (September 13 ~ 19, 2010)",
                                             "ROK National Intelligence Service",
                                             ["[Inside North Korea]", "o The weekly summary is not a KCNA article."]
                                             ).encode("iso-8859-1"), html_iso)
    index_items.append((nis, "North Korea Weekly (September 13 ~ 19, 2010)", "ROK NIS", "19 Sep 2010",
                        "Weekly developments"))
    index_items.sort(key=lambda item: item[0], reverse=True)
    pages[GS + "index.html"] = (200, gs_index(index_items).encode("cp1252"), html_iso)

    # KANCC
    subject, content = seed_kancc()
    posts = {504: (subject, "20-09-18 19:23", 0, content)}
    for wr_id, subj, posted, comments, body in texts.KANCC_POSTS:
        posts[wr_id] = (subj, posted, comments, kancc_content(subj, body))
    wr_id, subj, posted, comments, body = texts.KANCC_KOREAN
    posts[wr_id] = (subj, posted, comments, kancc_content(subj, body, corrupted=False))
    wr_id, subj, posted, comments, body = texts.KANCC_REAL_376
    posts[wr_id] = (subj, posted, comments, kancc_content(subj, body, corrupted=False))
    if snapshot == 2:
        wr_id, subj, posted, comments, body = texts.KANCC_NEW
        posts[wr_id] = (subj, posted, comments, kancc_content(subj, body))
    for wr_id, (subj, posted, comments, lines) in posts.items():
        pages[f"{BOARD}&wr_id={wr_id}"] = (200, kancc_post(wr_id, subj, posted, comments, lines).encode("utf-8"),
                                           html_utf8)
    ordered = sorted(posts.items(), key=lambda kv: kv[0], reverse=True)
    listing = [(wr_id, subj, posted, comments) for wr_id, (subj, posted, comments, _) in ordered]
    per_page = 5
    page_count = (len(listing) + per_page - 1) // per_page
    for page in range(1, page_count + 1):
        chunk = listing[(page - 1) * per_page: page * per_page]
        pages[f"{BOARD}&page={page}"] = (200, kancc_list(chunk, page, page_count, len(listing)).encode("utf-8"),
                                         html_utf8)
    return pages


# --- snapshot 3 (issue 15): a purge, a move, an unreachable site ---------------------------------

NOT_FOUND = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
UNAVAILABLE = (b"<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1>"
               b"<p>The server is temporarily unable to service your request.</p></body></html>")


def pages_for_3() -> dict[str, tuple[int, bytes, str]]:
    """Snapshot 2, a month later: the name Jang Song Thaek removed from the three GlobalSecurity articles
    still carrying it; one article re-filed under a new URL (same bytes; the old URL answers 404 and the
    year index links the new one); and KANCC unreachable: every URL, robots.txt first, answers 503."""
    pages = dict(pages_for(2))
    kns = "Korean Central News Agency of DPRK via Korea News Service (KNS)"
    titles = {stem: (title, day) for stem, title, day, _ in texts.GS_ARTICLES}
    for stem, body in texts.GS_PURGED.items():
        title, day = titles[stem]
        dated = [f"Pyongyang, {day} (KCNA) -- {body[0]}"] + body[1:]
        pages[GS + stem + ".htm"] = (200, gs_page(title, kns, dated).encode("cp1252"), "text/html; charset=iso-8859-1")
    old, new = texts.GS_MOVED
    pages[GS + new + ".htm"] = pages[GS + old + ".htm"]
    pages[GS + old + ".htm"] = (404, NOT_FOUND, "text/html; charset=iso-8859-1")
    status, index, ctype = pages[GS + "index.html"]
    pages[GS + "index.html"] = (status, index.replace(f'href="{old}.htm"'.encode(), f'href="{new}.htm"'.encode()), ctype)
    for url in [u for u in pages if u.startswith("https://kancc.org/")]:
        pages[url] = (503, UNAVAILABLE, "text/html; charset=iso-8859-1")
    return pages


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


def build_warc(snapshot: int, previous: dict[str, tuple[int, bytes, str]] | None = None) -> bytes:
    """The WARC of one snapshot. Unchanged pages keep the previous snapshot's Last-Modified/Date."""
    warc_date, http_date = SNAPSHOT_DATES[snapshot]
    writer = BufferWARCWriter(gzip=False)
    records = []
    first = pages_for(1) if snapshot == 3 else {}
    for url, (status, body, ctype) in sorted(pages_for(snapshot).items()):
        unchanged = previous is not None and previous.get(url) == (status, body, ctype)
        modified = SNAPSHOT_DATES[1][1] if unchanged or snapshot == 1 else http_date
        if unchanged and snapshot == 3 and first.get(url) != (status, body, ctype):
            modified = SNAPSHOT_DATES[2][1]  # changed in snapshot 2, unchanged since
        headers = [("Date", http_date), ("Server", "Apache"), ("Content-Type", ctype),
                   ("Content-Length", str(len(body)))]
        if status == 200:
            headers += [("ETag", _etag(body)), ("Last-Modified", modified)]
        reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
        for rec_type, payload, http_headers in (
                ("response", body, StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1")),
                ("request", b"", StatusAndHeaders(f"GET {url.split('/', 3)[3] and '/' + url.split('/', 3)[3]} HTTP/1.1",
                                                  [("Host", url.split("/")[2]),
                                                   ("User-Agent", "kcorpus-snapshot-builder")],
                                                  is_http_request=True))):
            record = writer.create_warc_record(url, rec_type, payload=io.BytesIO(payload), http_headers=http_headers,
                                               warc_headers_dict={"WARC-Date": warc_date})
            record.rec_headers.replace_header(
                "WARC-Record-ID", f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{snapshot}|{rec_type}|{url}')}>")
            records.append(record)
    # One gzip member per record (as WARC readers expect), without timestamps: byte-reproducible.
    out = io.BytesIO()
    for record in records:
        buffer = BufferWARCWriter(gzip=False)
        buffer.write_record(record)
        out.write(gzip.compress(buffer.get_contents(), mtime=0))
    return out.getvalue()


def write_sources(snapshot: int, previous: dict | None = None) -> None:
    """The HTML pages as files, for reading (named by a digest, never by raw URL text).

    A later snapshot's folder holds only the pages that differ from `previous`; its INDEX.tsv lists
    every URL, pointing at the earlier folder for the unchanged ones.
    """
    folder = OUT / "src" / f"snapshot-{snapshot}"
    if folder.exists():
        for old in folder.iterdir():
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    earlier = {}  # url -> file in the previous folder's index (which may point further back)
    index = OUT / "src" / f"snapshot-{snapshot - 1}" / "INDEX.tsv"
    if previous is not None and index.exists():
        for line in index.read_text(encoding="utf-8").splitlines():
            _, file_name, url = line.split("\t")
            earlier[url] = file_name if file_name.startswith("../") else f"../snapshot-{snapshot - 1}/{file_name}"
    for url, page in sorted(pages_for(snapshot).items()):
        status, body, _ = page
        host = url.split("/")[2].replace(".", "_")
        name = f"{host}-{hashlib.sha1(url.encode()).hexdigest()[:10]}.html"
        if previous is not None and previous.get(url) == page:
            name = earlier.get(url, f"../snapshot-{snapshot - 1}/{name}")
        else:
            (folder / name).write_bytes(body)
        lines.append(f"{status}\t{name}\t{url}")
    (folder / "INDEX.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    SEED_COPY.mkdir(parents=True, exist_ok=True)
    for name in ("globalsecurity-kcna-2010-09-14.txt", "kancc-reminiscences-ch21-6.txt"):
        if not (SEED_COPY / name).exists():
            (SEED_COPY / name).write_bytes((SEEDS / name).read_bytes())
    first = pages_for(1)
    (OUT / "snapshot-1.warc.gz").write_bytes(build_warc(1))
    (OUT / "snapshot-2.warc.gz").write_bytes(build_warc(2, previous=first))
    write_sources(1)
    write_sources(2, previous=first)
    second = pages_for(2)
    (OUT / "snapshot-3.warc.gz").write_bytes(build_warc(3, previous=second))
    write_sources(3, previous=second)
    print(f"wrote {OUT / 'snapshot-1.warc.gz'}, snapshot-2.warc.gz and snapshot-3.warc.gz")


if __name__ == "__main__":
    main()
