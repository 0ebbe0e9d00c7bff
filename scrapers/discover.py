"""Find article URLs and further list pages on index pages, using only the site profile's patterns."""

from __future__ import annotations

from urllib.parse import urljoin

import lxml.html
from lxml import etree

from core.profiles import Profile

# HTML parsing in libxml2 never loads DTDs or external entities; no_network makes sure of it.
_PARSER = lxml.html.HTMLParser(no_network=True, recover=True)


def extract_links(html: bytes, base_url: str) -> list[str]:
    """Absolute URLs of every <a href> in the page, in document order (broken HTML tolerated).

    The parser never resolves entities nor touches the network.
    """
    if not html.strip():
        return []
    try:
        root = lxml.html.document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return []
    base = root.base or base_url
    return [urljoin(base_url, urljoin(base, href.strip())) for href in root.xpath("//a/@href") if href.strip()]


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
        if profile.article_match(article_url):
            articles[article_url] = None
        elif profile.is_index(link):
            index_pages[link] = None
    return list(index_pages), list(articles)
