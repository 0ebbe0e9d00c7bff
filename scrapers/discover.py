"""Find article URLs and further list pages on index pages, using only the site profile's patterns."""

from __future__ import annotations

import lxml.html
from lxml import etree

from core.profiles import Profile
from scrapers.urls import BadURL, join_link

# HTML parsing in libxml2 never loads DTDs or external entities; no_network makes sure of it.
_PARSER = lxml.html.HTMLParser(no_network=True, recover=True)
# Links that are not pages at all: not crawled, and not counted as bad links either.
_NOT_PAGES = ("mailto:", "javascript:", "tel:", "data:")


def script_link_target(href: str, patterns) -> str | None:
    """The page a `javascript:` link opens, when a profile pattern's group holds it: Rodong Sinmun's old
    lists link every article as `javascript:article_open('index.php?strPageID=SF01_02_01&newsID=…')`.

    >>> import re
    >>> script_link_target("javascript:article_open('index.php?newsID=2015-01-02-0001')",
    ...                    [re.compile(r"article_open\\('([^']+)'\\)")])
    'index.php?newsID=2015-01-02-0001'
    """
    for pattern in patterns:
        m = pattern.search(href)
        if m:
            return m.group(1).replace("\\'", "'").replace("&amp;", "&")
    return None


def extract_links(html: bytes, base_url: str, rejected: list[tuple[str, str]] | None = None,
                  script_links=()) -> list[str]:
    """Absolute URIs of every <a href> in the page, in document order (broken HTML tolerated).

    Each link is made an ASCII URI (scrapers.urls.to_uri); a malformed one (`http://[oops/`, a
    mailto:, a bad port) is left out and, when `rejected` is given, appended to it as (href, reason).
    A `javascript:` link is followed only when one of `script_links` (profile patterns) recovers its
    target. The parser never resolves entities nor touches the network.
    """
    if not html.strip():
        return []
    try:
        root = lxml.html.document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return []
    try:
        base = join_link(base_url, root.base) if root.base else base_url
    except BadURL:
        base = base_url
    links = []
    for href in root.xpath("//a/@href"):
        if href.strip().lower().startswith("javascript:") and script_links:
            href = script_link_target(href, script_links) or ""
        if not href.strip() or href.strip().startswith("#") or href.strip().lower().startswith(_NOT_PAGES):
            continue
        try:
            links.append(join_link(base, href))
        except BadURL as exc:
            if rejected is not None:
                rejected.append((href, str(exc)))
    return links


def classify_links(profile: Profile, links: list[str]) -> tuple[list[str], list[str]]:
    """Split links into (index pages, article pages) of this site, canonical and de-duplicated.

    Anything else — other sites, other items in the same folders (e.g. NIS weeklies) — is ignored.
    """
    index_pages: dict[str, None] = {}
    articles: dict[str, None] = {}
    for link in links:
        if not profile.owns(link):
            continue
        link = link.split("#", 1)[0]
        article_url = profile.canonical_url(link)
        # an article URL names a document (a base64 key that decodes to no article is a list, not an article)
        if profile.article_match(article_url) and profile.document_id(article_url):
            articles[article_url] = None
        elif profile.is_index(link):
            index_pages[link] = None
    return list(index_pages), list(articles)
