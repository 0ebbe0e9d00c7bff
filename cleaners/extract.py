"""Find the article in a page: the site profile's selectors, or trafilatura for sites without one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from cleaners.errors import CleaningError
from core.profiles import Profile

# libxml2's HTML parser never loads DTDs or external entities; no_network makes sure of it.
# The text is already decoded (cleaners.decode weighs the charset evidence): lxml must not re-sniff
# the page's <meta charset> and decode the UTF-8 we hand it as something else.
# huge_tree lifts libxml2's nesting limit (256 levels, 2048 with it): pasted editor markup nests an
# unclosed <font><span> per line, and beyond the limit libxml2 drops the text without a word.
_PARSER = lxml.html.HTMLParser(no_network=True, recover=True, remove_comments=True, remove_pis=True,
                               encoding="utf-8", huge_tree=True)
# Deeper than this, the nesting is flattened before parsing (see flatten_deep_nesting): huge_tree parses
# up to 2048 levels, but walking the tree recursively (block_texts) must stay well inside Python's stack.
MAX_DEPTH = 500
INLINE_TAGS = ("font", "span", "b", "i", "u", "em", "strong", "small", "big", "sup", "sub", "strike", "s", "nobr")
BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
              "footer", "table", "tr", "td", "th", "blockquote", "dd", "dt", "dl", "nav", "aside", "main",
              "form", "center", "caption", "figure", "figcaption", "address", "hr", "tbody", "thead"}
NEVER_TEXT = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg")


@dataclass
class Extracted:
    """What extraction found, before any text repair: raw strings exactly as on the page."""

    title: str
    paragraphs: list[str]
    fields: dict[str, str] = field(default_factory=dict)
    method: str = "profile"       # "profile" or "trafilatura"
    dropped: list[str] = field(default_factory=list)  # chrome lines dropped by text pattern


def max_open_depth(text: str) -> int:
    """A cheap upper bound of the page's element nesting: start tags minus end tags, at their peak."""
    depth = peak = 0
    for m in re.finditer(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*?(/?)>", text):
        if m.group(1):
            depth -= 1
        elif not m.group(3) and m.group(2).lower() not in ("br", "img", "hr", "meta", "link", "input", "wbr"):
            depth += 1
            peak = max(peak, depth)
    return peak


def flatten_deep_nesting(text: str) -> str:
    """Inline formatting tags (<font>, <span>, <b> …) removed, their text kept: the last resort for pages
    nested deeper than libxml2 parses even with huge_tree (an editor that opened a <font><span> per line
    and never closed them). Block structure (<p>, <div>, <br>) stays.

    >>> flatten_deep_nesting('<p><font face="a"><span style="x">deep</span> text</font></p>')
    '<p>deep text</p>'
    """
    return re.sub(r"</?(?:%s)\b[^>]*>" % "|".join(INLINE_TAGS), "", text, flags=re.IGNORECASE)


def parse_html(text: str) -> etree._Element:
    """Parse decoded HTML (broken markup tolerated); CleaningError when nothing is left. A page nested
    deeper than the parser goes is flattened first, so no text is dropped."""
    if text.count("<") > MAX_DEPTH * 2 and max_open_depth(text) > MAX_DEPTH:
        text = flatten_deep_nesting(text)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise CleaningError(f"not HTML: {exc}".splitlines()[0]) from None
    if root is None:
        raise CleaningError("not HTML: nothing parsed")
    return root


def _pre_paragraphs(text: str) -> list[str]:
    """Preformatted bodies (GlobalSecurity 2003-05): a paragraph starts at an indented or blank-separated line."""
    paragraphs: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            paragraphs.append("")
        elif re.match(r"^[ \t\u00a0]{2,}", line) or not paragraphs:
            paragraphs.append(line.strip(" \t"))
        else:
            paragraphs[-1] = (paragraphs[-1] + " " + line.strip(" \t")).strip(" ")
    return [p for p in paragraphs if p.strip()]


def block_texts(element) -> list[str]:
    """The element's text split at block elements and <br>: one string per visual line/paragraph.

    Source newlines inside running text are spaces, as a browser renders them; spaces are kept
    as they are (the repairs decide what to change, and log it).
    """
    if element.tag == "pre":  # a profile may select the <pre> itself as the body (GlobalSecurity 2003-06)
        return _pre_paragraphs(element.text_content())
    chunks: list[str] = []

    def walk(el):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in NEVER_TEXT:
            if el.tail:
                chunks.append(el.tail.replace("\n", " "))
            return
        if tag == "pre":
            chunks.append("\n\x00PRE" + el.text_content() + "\x00\n")
        else:
            if tag in BLOCK_TAGS:
                chunks.append("\n")
            if tag == "br":
                chunks.append("\n")
            if el.text:
                chunks.append(el.text.replace("\n", " "))
            for child in el:
                walk(child)
            if tag in BLOCK_TAGS:
                chunks.append("\n")
        if el.tail:
            chunks.append(el.tail.replace("\n", " "))

    text = element.text.replace("\n", " ") if element.text else ""
    chunks.append(text)
    for child in element:
        walk(child)
    lines: list[str] = []
    for part in re.split(r"(\x00PRE.*?\x00)", "".join(chunks), flags=re.DOTALL):
        if part.startswith("\x00PRE"):
            lines.extend(_pre_paragraphs(part[4:-1]))
        else:
            lines.extend(line for line in part.split("\n") if line.strip(" \t\r"))
    return lines


def _select(root, selector: str) -> list:
    try:
        return root.cssselect(selector)
    except Exception as exc:  # cssselect raises its own SelectorError family
        raise ValueError(f"bad selector in site profile: {selector!r}: {exc}") from None


def _first_text(root, selectors: list[str] | str) -> str:
    for selector in [selectors] if isinstance(selectors, str) else selectors:
        for el in _select(root, selector):
            text = " ".join(t for t in block_texts(el) if t.strip()) if el.tag != "title" else (el.text or "")
            if text.strip():
                return text.strip(" \t\r\n")
    return ""


def drop_chrome_lines(paragraphs: list[str], patterns: list[str]) -> tuple[list[str], list[str]]:
    """Drop whole lines that are site chrome by their text (banners, newsletter boxes, share
    buttons): the fallback that still works when a site's markup is not the one the profile knows."""
    compiled = [re.compile(p) for p in patterns]
    kept, dropped = [], []
    for paragraph in paragraphs:
        probe = paragraph.replace("\u00a0", " ").strip()
        (dropped if any(c.search(probe) for c in compiled) else kept).append(paragraph)
    return kept, dropped


def extract_with_profile(text: str, profile: Profile) -> Extracted:
    """Fields first (on the whole page), then chrome removed, then the body's blocks."""
    root = parse_html(text)
    spec = profile.extract
    fields = {name: _first_text(root, selectors) for name, selectors in spec.get("fields", {}).items()}
    title = _first_text(root, spec.get("title", ["title"]))
    strips = spec.get("title_strip", [])
    for pattern in [strips] if isinstance(strips, str) else strips:
        title = re.sub(pattern, "", title)
    for selector in spec.get("remove", []):
        for el in _select(root, selector):
            el.drop_tree()
    # `body`: one selector, or alternatives tried in order (layouts of different eras of the same site)
    selectors = spec.get("body") or []
    bodies = next((found for sel in ([selectors] if isinstance(selectors, str) else selectors)
                   if (found := _select(root, sel))), [])
    if not bodies:
        return Extracted(title, [], fields, method="profile")
    body = bodies[0]
    for selector in spec.get("body_drop", []):
        for el in _select(body, selector):
            el.drop_tree()
    paragraphs, dropped = drop_chrome_lines(block_texts(body), profile.chrome.get("lines", []))
    return Extracted(title, paragraphs, fields, "profile", dropped)


def densest_block(root) -> etree._Element | None:
    """The element whose own paragraphs (<p> children, or <br>-separated text) hold the most text:
    the article body of an old table- or div-based page that main-text extractors flatten."""
    best, best_score = None, 0
    for el in root.iter("td", "div", "article", "section", "main", "body", "blockquote"):
        # <pre> children count too: GlobalSecurity's bodies of 2003-06 are one <pre> of indented lines
        score = sum(len(p.text_content()) for p in el.findall("p")) + \
            sum(len(pre.text_content()) for pre in el.findall("pre")) + \
            sum(len(br.tail or "") for br in el.findall("br")) + len((el.text or "").strip())
        if score > best_score:
            best, best_score = el, score
    return best


def extract_generic(text: str, chrome_lines: list[str] | None = None) -> Extracted:
    """Sites without a profile (or whose markup the profile does not know): trafilatura finds the main
    text and the title; where it finds nothing, or flattens a table layout into one line per cell,
    the page's densest text block is read instead."""
    import trafilatura  # imported here: ~0.5 s, and only unknown sites need it

    document = trafilatura.bare_extraction(text, include_comments=False, include_tables=True,
                                           favor_precision=True, with_metadata=True)
    data = (document.as_dict() if hasattr(document, "as_dict") else dict(document)) if document else {}
    lines = [line.strip(" |\t") for line in (data.get("text") or "").split("\n")]
    flattened = any(" | " in line for line in (data.get("text") or "").split("\n"))
    root = parse_html(text)
    method = "trafilatura"
    if flattened or not any(lines):
        block = densest_block(root)
        if block is not None:
            lines, method = block_texts(block), "densest-block"
    paragraphs, dropped = drop_chrome_lines([line for line in lines if line.strip()], chrome_lines or [])
    fields = {k: str(data[k]) for k in ("date", "sitename", "author") if data.get(k)}
    # Metadata an extractor drops as boilerplate (a source line, a section label) is still on the page:
    # profiles can read it by text pattern from `page_lines` when their selectors found nothing.
    body = root.find("body")
    fields["page_lines"] = "\n".join(line.strip() for line in block_texts(body if body is not None else root))
    title = data.get("title") or (root.findtext(".//title") or "").strip()
    return Extracted(title, paragraphs, fields, method, dropped)
