"""List pages that page by POSTing their own form, as a site profile declares them ([crawl.pagination]).

kcna.kp's lists show 15 items; "next" runs `javascript:page(N)`, which POSTs the page's form (a hidden
CSRF token, the list's key, the page number) to the site, and the answer (often a 302 to a list URL)
depends on the session cookie: a GET crawler sees only the first page. The page count is in the page's
script (`var page_cnt = 2858;`). Everything site-specific is profile data: which lists, the form, the
field that carries the page number, the page-count pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from scrapers.urls import BadURL, join_link

_PARSER = lxml.html.HTMLParser(no_network=True, recover=True)


@dataclass(frozen=True)
class PostForm:
    """What to POST for one list page: the form's action URL and its fields, page number set."""

    action: str
    fields: list[tuple[str, str]]


def applies(spec: dict, url: str) -> bool:
    """True when `url` is a list page the profile says pages by POST."""
    return bool(spec) and any(re.search(p, url) for p in spec.get("list_patterns", []))


def page_count(html: bytes, pattern: str) -> int | None:
    """The number of pages a list declares in its script, e.g. `var page_cnt = 2858;`; None when absent.

    >>> page_count(b"<script>var page_cnt = 12; var cur = 1;</script>", r"var\\s+page_cnt\\s*=\\s*(\\d+)")
    12
    """
    m = re.search(pattern.encode("ascii"), html, re.ASCII)
    return int(m.group(1)) if m else None


def post_form(html: bytes, page_url: str, spec: dict, page: int) -> PostForm | None:
    """The form a list page POSTs to reach page `page`: its hidden fields as served (a fresh CSRF token on
    every page), the profile's page field set to `page`, the form's action (else the profile's).

    spec["form"]         CSS selector of the paging form ("" or absent: the first form with hidden fields)
    spec["page_fields"]  names the page number may go by; the first the form holds is used (else the first)
    spec["action"]       the action when the form names none (relative to the page)
    None when the page has no such form.
    """
    try:
        root = lxml.html.document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    selector = spec.get("form") or ""
    if selector:
        forms = CSSSelector(selector, translator="html")(root)
    else:   # the first form holding hidden fields, else every hidden input of the page
        forms = [f for f in root.iter("form") if f.xpath(".//input[@type='hidden']")] or [root]
    if not forms:
        return None
    form = forms[0]
    fields = [(i.get("name"), i.get("value") or "") for i in form.iter("input")
              if i.get("name") and (i.get("type") or "text").lower() == "hidden"]
    names = [name for name, _ in fields]
    wanted = list(spec.get("page_fields") or ["page"])
    page_field = next((n for n in wanted if n in names), wanted[0])
    fields = [(n, str(page) if n == page_field else v) for n, v in fields]
    if page_field not in names:
        fields.append((page_field, str(page)))
    action = (form.get("action") if form.tag == "form" else None) or spec.get("action") or page_url
    try:
        return PostForm(join_link(page_url, action), fields)
    except BadURL:
        return None
