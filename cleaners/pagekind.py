"""What kind of page is this? Decided from the page's own evidence, for any site, before any text is
extracted: an article, or a list/index page, an attachment-only post, an empty post (design.md, "Reading
a page", layer 1). Error pages served as 200 are cleaners.errorpages' (they name their own reason).

A page that is not an article is refused with cleaners.errors.NotAnArticle: its kind and its reason in words.
"""

from __future__ import annotations

import re

from cleaners.errors import NotAnArticle

NEVER_TEXT = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head", "title")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]")
# An item of a list page pairs a link to a sibling page with a short lead; more text than this of its
# own and it is content (an article that quotes a link), not an item.
ITEM_OWN_WORDS = 60
# A list page: this many items, and less running text outside them than LIST_OUTSIDE_WORDS
LIST_MIN_ITEMS = 5
LIST_OUTSIDE_WORDS = 40
# With this many items, a list page may carry a notice of its own shorter than its items and than
# LIST_NOTICE_WORDS (KANCC's eng_news board: a 54-word disclaimer above its rows); a short article with
# many teasers around it has more text of its own (jpost.com in the Zyte benchmark: 201 words).
LIST_MANY_ITEMS = 8
LIST_NOTICE_WORDS = 100
# Paragraph text that makes a page an article whatever links it holds.
RUNNING_TEXT_WORDS = 200
# Files a post may carry instead of text: "Download: statement.pdf", GNUBoard's 첨부파일 box
ATTACHMENT = re.compile(r"(?i)\.(?:pdf|hwp|hwpx|docx?|xlsx?|pptx?|zip|rar|7z|jpe?g|png|gif|mp3|mp4|avi)\b|download\.php")
ATTACHMENT_LINE = re.compile(r"(?i)^(?:(?:download|첨부\s*파일|첨부|attachment|file|附件|下载)\s*[:：]?\s*)?"
                             r"\S.{0,120}\.(?:pdf|hwp|hwpx|docx?|xlsx?|pptx?|zip|rar|7z|jpe?g|png|gif|mp3|mp4|avi)"
                             r"(?:\s*\(\s*[\d.,]+\s*[KMG]?i?B?\s*\))?$|^(?:첨부\s*파일|첨부|attachments?|附件)$")


# Besides a file's name, an attachment-only post shows at most a heading or a label of this many words.
ATTACHMENT_OTHER_WORDS = 30


def words(text: str) -> int:
    """Words of a text, a CJK text's characters counted two to a word.

    >>> words("Talks held in Pyongyang"), words("조선중앙통신 보도")
    (4, 4)
    """
    return max(len(text.split()), len(CJK.findall(text)) // 2)


def _text(el) -> str:
    """An element's visible text (scripts and styles left out)."""
    parts = []
    for node in el.iter():
        if not isinstance(node.tag, str) or node.tag in NEVER_TEXT:
            if node is not el and node.tail:
                parts.append(node.tail)
            continue
        if node.text:
            parts.append(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
    return " ".join(" ".join(parts).split())


def is_headline_link(a) -> bool:
    """A link to a sibling page whose text reads as a headline: three words or more (six CJK characters),
    to a page rather than an anchor, a script or a file."""
    href = (a.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:")) or ATTACHMENT.search(href):
        return False
    return words(_text(a)) >= 3


SITE_CHROME_TAGS = ("aside", "nav", "footer", "header")
SITE_CHROME_NAME = re.compile(r"(?i)sidebar|widget|related|recent|popular|menu|\bnav|footer|header|\baside")


def in_site_chrome(a) -> bool:
    """A link in the site's own chrome (a sidebar, a menu, a "related" or "recent posts" box, a footer):
    every page has those, so they say nothing of what kind this page is."""
    for el in a.iterancestors():
        if el.tag in SITE_CHROME_TAGS or SITE_CHROME_NAME.search(f"{el.get('class', '')} {el.get('id', '')}"):
            return True
    return False


def list_items(root) -> tuple[list, int]:
    """The items of the page's lists of sibling pages (each the largest block around one headline link
    that holds no other), and the words of running text outside them."""
    links = [a for a in root.iter("a") if is_headline_link(a) and not in_site_chrome(a)]
    counts: dict = {}
    for a in links:
        node = a
        while node is not None:
            counts[node] = counts.get(node, 0) + 1
            node = node.getparent()
    items = []
    for a in links:
        item = a
        while item.getparent() is not None and counts.get(item.getparent(), 0) == 1 and item.getparent().tag != "body":
            item = item.getparent()
        own = words(_text(item)) - sum(words(_text(x)) for x in item.iter("a"))
        if own <= ITEM_OWN_WORDS:
            items.append(item)
    inside = set()
    for item in items:
        inside.update(item.iter())
    outside = 0
    body = root.find("body")
    for el in (body if body is not None else root).iter():
        if el in inside or not isinstance(el.tag, str) or el.tag in NEVER_TEXT:
            continue
        for text, owner in ((el.text, el), (el.tail, el.getparent())):
            if text and text.strip() and owner is not None and owner not in inside and owner.tag != "a" \
                    and not any(p.tag == "a" for p in owner.iterancestors()):
                outside += words(text)
    return items, outside


def has_running_text(root) -> bool:
    """RUNNING_TEXT_WORDS words or more in paragraphs (<p>) outside their links: an article's text, never
    a list page's (a board's disclaimer above its list is shorter). The cheap answer for most articles
    (lxml gathers the text), before list_items walks the page."""
    total = 0
    for p in root.iter("p"):
        text = p.text_content()
        if not text.strip():
            continue
        parent = p.getparent()
        if parent is not None and any(is_headline_link(a) for child in parent if child is not p
                                      for a in child.iter("a")):
            continue  # a lead beside its headline (a list item's), not running text: list_items decides
        total += words(text) - sum(words(a.text_content()) for a in p.iter("a"))
        if total >= RUNNING_TEXT_WORDS:
            return True
    return False


def list_page_reason(root) -> str | None:
    """Why the page is a list or index page (links to sibling pages, each with at most a short lead, and
    no running text of its own), or None.

    >>> import lxml.html
    >>> page = lxml.html.fromstring("<html><body><ul>" + "".join(
    ...     f"<li><a href='/a{i}.htm'>Talks Held in City Number {i}</a> KCNA 14 Jul 2024</li>" for i in range(6))
    ...     + "</ul></body></html>")
    >>> list_page_reason(page)
    'list or index page: 6 links to sibling pages with short leads, 0 words of running text of its own'
    """
    if has_running_text(root):
        return None
    items, outside = list_items(root)
    listed = sum(words(_text(item)) for item in items)
    # a list says little of its own: a line or two, or a notice shorter than its items (a board's
    # disclaimer above its rows); links in the site's chrome (sidebars, menus) are no items
    if len(items) >= LIST_MIN_ITEMS and (outside < LIST_OUTSIDE_WORDS or
                                         (len(items) >= LIST_MANY_ITEMS and outside < min(listed, LIST_NOTICE_WORDS))):
        return (f"list or index page: {len(items)} links to sibling pages with short leads, "
                f"{outside} words of running text of its own")
    return None


def attachment_reason(root, paragraphs: list[str]) -> str | None:
    """Why a post holds only an attachment, or None: the page links a file, and its text is nothing, or a
    file's name ("Download: statement.pdf", "첨부파일 : rodong.hwp") with at most a short heading or
    label beside it (ATTACHMENT_OTHER_WORDS), no running text.

    >>> import lxml.html
    >>> page = lxml.html.fromstring("<html><body><a href='/f/statement.pdf'>Download: statement.pdf</a></body></html>")
    >>> attachment_reason(page, ["Juche Korea News", "Statement of July 14 (PDF)", "Download: statement.pdf"])
    "attachment-only post: no text, a link to 'Download: statement.pdf'"
    """
    files = [a for a in root.iter("a") if ATTACHMENT.search(a.get("href") or "")]
    if not files:
        return None
    lines = [line for line in (p.replace("\u00a0", " ").strip() for p in paragraphs) if line]
    named = [line for line in lines if ATTACHMENT_LINE.search(line)]
    other = [line for line in lines if not ATTACHMENT_LINE.search(line)]
    if lines and not named:
        return None
    if sum(words(line) for line in other) > ATTACHMENT_OTHER_WORDS or any(words(line) > 20 for line in other):
        return None
    name = _text(files[0]) or files[0].get("href")
    return f"attachment-only post: no text, a link to {name[:80]!r}"


def refuse(kind: str, reason: str) -> None:
    """Raise NotAnArticle for a page of `kind` (list, attachment, empty, error)."""
    raise NotAnArticle(kind, reason)
