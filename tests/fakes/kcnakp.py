"""A fake kcna.kp on 127.0.0.1 whose list pages page by POST, in a session, as the real site does.

Sources for each behaviour:
[RSSHUB]  DIYgod/RSSHub lib/v2/kcna (news.js, radar.js): list URLs /en/category/articles/q/<32 hex>.kcmsf
          (Latest News 1ee9bdb7186944f765208f34ecfb5407, Top News 5394b80bdae203fadef02522cfb578c0), items
          `.article-link li a` with a `.publish-time` "[Juche113.2.18.]", article body
          `.article-content-body .content-wrapper`; the site drops the packets of IPs that ask too fast.
[ABOT]    an ArchiveBot operator's notes on crawling kcna.kp (2023): "next" is `javascript:page(N)`, a POST
          to /en/category/articles.kcmsf with form data (_token, q, page, category) answered by a 302 to a
          q/<hash>.kcmsf list URL; "pagination is stored in session" (a cookie): without the session a
          client gets the first page again; an ArchiveBot crawl "could only see the first page of each
          category listing because the page buttons are js".
[ISSUE]   kcorpus issue 23, from public scrapers of 2025-26: the hidden `_csrf` field, `page_num`, the page
          count in `var page_cnt`. The field names are parameters here: both spellings are served by tests.
The item titles and dates are real KCNA headlines (reposted with their datelines on kfauk.com); the
article keys are ours (the real ones are not known), bodies are the real lead sentences.
"""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import parse_qsl

from tests.fakes.http import LocalServer, send

LATEST = "/en/category/articles/q/1ee9bdb7186944f765208f34ecfb5407.kcmsf"
ACTION = "/en/category/articles.kcmsf"

# (title, Juche date, lead sentence): real headlines and leads of KCNA items (2023-2024)
ITEMS = [
    ("U.S. Indo-Pacific Strategy Is Geopolitical Confrontation Scenario Disturbing Regional Peace and Stability",
     "113.2.18", "Pyongyang, February 18 (KCNA) -- Ri Ji Won, a researcher of the Institute for American Studies of "
     "the DPRK Foreign Ministry, released the following article titled \"Washington's Indo-Pacific strategy is a "
     "geopolitical confrontation scenario that disturbs regional peace and stability\"."),
    ("Press Statement of Vice Department Director of C.C., WPK Kim Yo Jong", "113.2.15",
     "Pyongyang, February 15 (KCNA) -- Kim Yo Jong, vice department director of the Central Committee of the "
     "Workers' Party of Korea, issued the following press statement on February 15."),
    ("Kim Son Gyong, Vice Foreign Minister of DPRK, Releases Press Statement", "112.6.1",
     "Pyongyang, June 1 (KCNA) -- Kim Son Gyong, vice-minister of Foreign Affairs of the DPRK, released the "
     "following press statement titled \"Dangerous sea intercepting drill escalating the regional tension\" on June 1."),
    ("Kim Yo Jong, Vice Department Director of C.C., WPK Releases Press Statement", "112.6.1",
     "Pyongyang, June 1 (KCNA) -- Kim Yo Jong, vice department director of the Central Committee of the Workers' "
     "Party of Korea, issued the following press statement titled \"No one can deny the DPRK's sovereign right to "
     "satellite launch\" on June 1."),
    ("KCNA Report", "112.5.31",
     "Pyongyang, May 31 (KCNA) -- The Korean Central News Agency (KCNA) made public the following report on "
     "Wednesday as regards an accident occurred during the launch of military reconnaissance satellite."),
    ("Struggle for Punishing Traitor Yoon Suk Yeol Intensifies in Region of Puppets", "112.5.30",
     "Pyongyang, May 30 (KCNA) -- The people in the region of puppets are getting evermore angry at Yoon Suk Yeol, "
     "a warmonger and sycophantic traitor."),
    ("Review of Rodong Sinmun", "113.5.27",
     "Pyongyang, May 27 (KCNA) -- Following are major news items and articles of Rodong Sinmun, a leading "
     "newspaper of the DPRK on Monday."),
]


def article_path(index: int) -> str:
    return "/en/article/q/" + hashlib.md5(f"kcorpus-fake-{index}".encode()).hexdigest() + ".kcmsf"


class FakeKcnaKp(LocalServer):
    """kcna.kp's Latest News list, `per_page` items a page, paged by POST in a cookie session."""

    def __init__(self, items=ITEMS, per_page: int = 2, token_field: str = "_csrf", page_field: str = "page_num",
                 redirect: bool = True, first_page: int = 1):
        self.items, self.per_page, self.first_page = list(items), per_page, first_page
        self.token_field, self.page_field, self.redirect = token_field, page_field, redirect
        self.sessions: dict[str, dict] = {}     # cookie -> {"token", "page"}
        self.requests: list[tuple[str, str, str]] = []   # (method, path, body)
        self.pages = -(-len(self.items) // per_page)
        super().__init__()

    def _session(self, handler) -> tuple[str, dict, bool]:
        cookie = next((c.split("=", 1)[1] for c in (handler.headers.get("Cookie") or "").split("; ")
                       if c.startswith("JSESSIONID=")), None)
        if cookie in self.sessions:
            return cookie, self.sessions[cookie], False
        cookie = secrets.token_hex(8)
        self.sessions[cookie] = {"token": secrets.token_hex(16), "page": 1}
        return cookie, self.sessions[cookie], True

    def _send(self, handler, status, body: bytes, headers=(), cookie=None):
        extra = [("Set-Cookie", f"JSESSIONID={cookie}; Path=/; HttpOnly")] if cookie else []
        send(handler, status, [("Content-Type", "text/html; charset=utf-8"), *headers, *extra], body)

    def list_page(self, session: dict) -> bytes:
        """The list as the session's page shows it [RSSHUB markup; ABOT/ISSUE form and page count]."""
        page = session["page"]
        session["token"] = secrets.token_hex(16)   # a fresh token on every page
        start = (page - 1) * self.per_page
        rows = "".join(
            f'<li><a href="{article_path(start + i)}">{title}<span class="publish-time">[Juche{date}.]</span></a></li>'
            for i, (title, date, _) in enumerate(self.items[start:start + self.per_page]))
        return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>KCNA | Article | Latest News</title>
<script>var page_cnt = {self.pages};</script></head>
<body id="top" class="en articles"><div class="main-container">
<header><nav><a href="/en">Home</a> <a href="{LATEST}">Latest News</a></nav></header>
<div class="article-wrapper"><ul class="article-link">{rows}</ul></div>
<form id="frmList" method="post"><input type="hidden" name="{self.token_field}" value="{session['token']}">
<input type="hidden" name="q" value="1ee9bdb7186944f765208f34ecfb5407"><input type="hidden" name="category" value="NT62">
<input type="hidden" name="{self.page_field}" value="{page - 1 + self.first_page}"></form>
<div class="pagination"><a href="javascript:page({page + 1});">Next</a> <span>{page} / {self.pages}</span></div>
<footer>Copyright © 2024 Korean Central News Agency</footer></div></body></html>""".encode("utf-8")

    def handle_get(self, handler):
        self.requests.append(("GET", handler.path, ""))
        cookie, session, new = self._session(handler)
        if handler.path == "/robots.txt":
            self._send(handler, 200, b"User-agent: *\nAllow: /\n")
            return
        if handler.path == LATEST or handler.path.startswith("/en/category/articles/q/"):
            if handler.path == LATEST:
                session["page"] = 1
            self._send(handler, 200, self.list_page(session), cookie=cookie if new else None)
            return
        for i, (title, date, lead) in enumerate(self.items):
            if handler.path == article_path(i):
                body = (f'<html><body><div class="article-main-title">{title}</div><div class="article-content-body">'
                        f'<div class="content-wrapper"><p>{lead}</p><span class="publish-time">www.kcna.kp '
                        f'(Juche{date}.)</span></div></div></body></html>').encode("utf-8")
                self._send(handler, 200, body)
                return
        self._send(handler, 404, b"<html><body>Not Found</body></html>")

    def handle_post(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(handler.rfile.read(length).decode("ascii")))
        self.requests.append(("POST", handler.path, "&".join(f"{k}={v}" for k, v in form.items())))
        cookie, session, new = self._session(handler)
        if handler.path != ACTION or new or form.get(self.token_field) != session["token"]:
            # no session or a stale token: the site shows the first page again [ABOT]
            session["page"] = 1
        else:
            number = int(form.get(self.page_field) or self.first_page) - self.first_page + 1
            session["page"] = max(1, min(self.pages, number))
        if self.redirect:   # [ABOT]: a 302 to a q/ list URL; the page is in the session
            target = "/en/category/articles/q/" + hashlib.md5(f"p{session['page']}".encode()).hexdigest() + ".kcmsf"
            self._send(handler, 302, b"", headers=[("Location", target)], cookie=cookie if new else None)
        else:
            self._send(handler, 200, self.list_page(session), cookie=cookie if new else None)
