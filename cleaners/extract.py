"""Find the article in a page: the site profile's selectors, or trafilatura for sites without one."""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

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
    method: str = "profile"       # "profile", "trafilatura", "trafilatura-recall" or "densest-block"
    dropped: list[str] = field(default_factory=list)  # chrome lines dropped by text pattern
    template_dropped: list[str] = field(default_factory=list)  # lines of the site's learned template
    page: object = field(default=None, repr=False, compare=False)  # the parsed page, unchanged (generic path)


# A tag: "/" if it ends one, its name, the rest up to the first ">" (ending in "/" for an empty element)
START_OR_END_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)([^>]*)>")
VOID_TAGS = frozenset(("br", "img", "hr", "meta", "link", "input", "wbr"))


def max_open_depth(text: str) -> int:
    """A cheap upper bound of the page's element nesting: start tags minus end tags, at their peak.
    (One greedy scan and a running sum in C, itertools.accumulate: a loop over every tag in Python with
    a lazy pattern cost a fifth of cleaning a large unprofiled page.)

    >>> max_open_depth("<div><p>a<br>b</p><p><b>c</b></p></div>"), max_open_depth("</p></p>")
    (3, 0)
    """
    steps = [-1 if close else 0 if rest.endswith("/") or name.lower() in VOID_TAGS else 1
             for close, name, rest in START_OR_END_TAG.findall(text)]
    return max(0, max(accumulate(steps), default=0))


def flatten_deep_nesting(text: str) -> str:
    """Inline formatting tags (<font>, <span>, <b> …) removed, their text kept: the last resort for pages
    nested deeper than libxml2 parses even with huge_tree (an editor that opened a <font><span> per line
    and never closed them). Block structure (<p>, <div>, <br>) stays.

    >>> flatten_deep_nesting('<p><font face="a"><span style="x">deep</span> text</font></p>')
    '<p>deep text</p>'
    """
    return re.sub(r"</?(?:%s)\b[^>]*>" % "|".join(INLINE_TAGS), "", text, flags=re.IGNORECASE)


# Tables nested deeper than this are read as rows of text (see flatten_deep_tables): trafilatura's table
# handling is quadratic in the nesting (14 KB of nested tables: 34 s), and no layout nests tables this deep.
MAX_TABLE_DEPTH = 24
TABLE_TAG = re.compile(r"<(/?)(table|tbody|thead|tfoot|tr|td|th)\b[^>]*>", re.IGNORECASE)


def flatten_deep_tables(text: str, limit: int = MAX_TABLE_DEPTH) -> str:
    """Table markup nested deeper than `limit` tables removed, its text kept: a cell start below the
    limit becomes a line break, so cells stay apart. One pass over the table tags (a nesting count, as
    max_open_depth: an unclosed table counts as open); a page nested no deeper comes back unchanged.

    >>> flatten_deep_tables("<table><tr><td>a<table><tr><td>b</td><td>c</td></tr></table></td></tr></table>", 1)
    '<table><tr><td>a<br>b<br>c</td></tr></table>'
    """
    depth, flattened = 0, False

    def keep_shallow(match: re.Match) -> str:
        nonlocal depth, flattened
        closing, name = match.group(1), match.group(2).lower()
        if name == "table":
            depth = max(0, depth - 1) if closing else depth + 1
            deep = depth >= limit if closing else depth > limit
        else:
            deep = depth > limit
        if not deep:
            return match.group(0)
        flattened = True
        return "<br>" if not closing and name in ("td", "th") else ""

    flat = TABLE_TAG.sub(keep_shallow, text)
    return flat if flattened else text


@lru_cache(maxsize=2)
def parse_source(text: str) -> str:
    """The markup parse_html (and trafilatura) read: the page, flattened first when it nests deeper than
    the parser goes, or nests tables deeper than MAX_TABLE_DEPTH. Kept for the last two pages: a page is
    parsed more than once (extraction, then the error-page check), and the depth is measured once."""
    if text.count("<") > MAX_DEPTH * 2 and max_open_depth(text) > MAX_DEPTH:
        text = flatten_deep_nesting(text)
    if len(TABLE_OPEN.findall(text)) > MAX_TABLE_DEPTH:
        text = flatten_deep_tables(text)
    return text


TABLE_OPEN = re.compile(r"<table\b", re.IGNORECASE)


def parse_html(text: str) -> etree._Element:
    """Parse decoded HTML (broken markup tolerated); CleaningError when nothing is left. A page nested
    deeper than the parser goes is flattened first, so no text is dropped."""
    text = parse_source(text)
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


@lru_cache(maxsize=1024)
def compiled_selector(selector: str) -> CSSSelector:
    """A profile's CSS selector translated to XPath once per process, not on every page (cssselect's
    translation cost more than running the XPath: a sixth of cleaning a profiled page). What
    `element.cssselect(selector)` runs, by lxml's own definition; lxml locks an XPath during a call."""
    return CSSSelector(selector, translator="html")


def _select(root, selector: str) -> list:
    try:
        return compiled_selector(selector)(root)
    except Exception as exc:  # cssselect raises its own SelectorError family
        raise ValueError(f"bad selector in site profile: {selector!r}: {exc}") from None


def _first_text(root, selectors: list[str] | str, usable=None, site_name_off: bool = False) -> str:
    """The text of the first element a selector finds (alternatives tried in order), skipping texts that
    `usable` (when given) refuses; `site_name_off`: a <title>'s site name taken off (strip_site_name)."""
    for selector in [selectors] if isinstance(selectors, str) else selectors:
        for el in _select(root, selector):
            # a <title> names the site beside the headline ("GlobalSecurity.org - Talks Held"): taken off
            text = (" ".join(t for t in block_texts(el) if t.strip()) if el.tag != "title" else
                    strip_site_name(el.text or "") if site_name_off else (el.text or ""))
            if text.strip() and (usable is None or usable(text.strip())):
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


def extract_with_profile(text: str, profile: Profile, url: str = "") -> Extracted:
    """Fields first (on the whole page), then chrome removed, then the body's blocks. The title is the
    first selector's text that can be a headline (not the site's name, a source or a date line: a site
    heading above the headline, an era whose title element says "KCNA"); when none can, the heading
    nearest the body's text is (fields["headings"], for cleaners.kcna.choose_headline)."""
    from cleaners.kcna import usable_headline  # reads text only: no cycle at import

    root = parse_html(text)
    spec = profile.extract
    fields = {name: _first_text(root, selectors) for name, selectors in spec.get("fields", {}).items()}
    # a profile with its own title_strip rules knows its <title>'s form; else a site name beside it goes
    title = _first_text(root, spec.get("title", ["title"]), lambda t: usable_headline(t, url, profile.label),
                        site_name_off=not spec.get("title_strip"))
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
    if len(bodies) > 1 and all(el.tag == "p" for el in bodies):
        # an alternative naming the text's paragraphs themselves (Rodong 2025's p.TextP, no container
        # known): all of them, in document order, gathered under one element
        body = etree.Element("div")
        for paragraph in bodies:
            copy = etree.fromstring(etree.tostring(paragraph, with_tail=False))
            body.append(copy)
    else:
        body = bodies[0]
    for selector in spec.get("body_drop", []):
        for el in _select(body, selector):
            el.drop_tree()
    if not title:  # no selector holds a headline: the heading nearest the text is it
        from cleaners.kcna import is_short_line

        lines = block_texts(body)
        start = next((line for line in lines if not is_short_line(line)), "")
        fields["headings"] = "\n".join(heading_candidates(root, start)) if start else ""
        usable = [h for h in fields["headings"].split("\n") if h and usable_headline(h, url, profile.label)]
        title = usable[-1] if usable else ""
    lines, contents = drop_link_lists(block_texts(body), list(generic_chrome_lines("toc_headings")))
    paragraphs, dropped = drop_chrome_lines(lines, [*profile.chrome.get("lines", []),
                                                    *generic_chrome_lines("every_path")])
    dropped = contents + dropped
    return Extracted(title, paragraphs, fields, "profile", dropped)


GENERIC_CHROME_FILE = Path(__file__).with_name("generic_chrome.toml")
# A precision-mode extraction shorter than this (about three sentences) may have cut the article
# itself rather than its chrome: the recall-mode extraction is tried as well, and taken when it is
# at least RECALL_GAIN times longer.
RECALL_RETRY_CHARS = 500
RECALL_GAIN = 2.0
# A table cell holding this many words is a paragraph, not data: the table lays out the page.
LAYOUT_CELL_WORDS = 40
# Lines this short, without a sentence's closing punctuation, under a "Related posts" heading are links.
LINK_LIST_WORDS = 15
SENTENCE_END = re.compile(r"[.!?。…:;\"'”’»)\]]\s*(?:-0-)?$")
LIST_ITEM = re.compile(r"^(?:[-–•*·▪►]|\d{1,2}[.)])\s")
# the containers a page's running text belongs to; text in <p>, <font>, <span>, <b>, <a> belongs to
# the nearest of these around it, so the container of an article's paragraphs collects them all
TEXT_CONTAINERS = ("td", "th", "div", "article", "section", "main", "body", "blockquote", "center")


@lru_cache(maxsize=4)
def generic_chrome_lines(key: str = "lines") -> tuple[str, ...]:
    """Whole-line regexes of the chrome of unprofiled sites (cleaners/generic_chrome.toml), anchored:
    `lines` (chrome lines), `list_headings` (headings of lists of links), `every_path` (chrome of eras
    no profile lists, dropped on profiled pages too) or `toc_headings` (a volume's table of contents)."""
    patterns = tomllib.loads(GENERIC_CHROME_FILE.read_text(encoding="utf-8"))[key]
    return tuple(rf"^(?i:{p[4:]})$" if p.startswith("(?i)") else rf"^(?:{p})$" for p in patterns)


def table_row_text(line: str) -> str | None:
    r"""A row of the Markdown table trafilatura writes for <table>: its cells joined by " | " (the text a
    reader sees), None for the separator row (|---|---|) and for rows with no text.

    >>> table_row_text("| DL | Larry Ogunjobi | 63 | 85% | 1 sack \\| 1 TFL | ")
    'DL | Larry Ogunjobi | 63 | 85% | 1 sack | 1 TFL'
    >>> table_row_text("|---|---|") is None, table_row_text("|  |  | ") is None, table_row_text("A plain line.")
    (True, True, 'A plain line.')
    """
    stripped = line.strip()
    if not (stripped.startswith("|") and stripped.endswith("|")):
        return line
    cells = [cell.replace("\\|", "|").strip() for cell in re.split(r"(?<!\\)\|", stripped[1:-1])]
    cells = [cell for cell in cells if cell]
    if not cells or all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells):
        return None
    return " | ".join(cells)


def is_layout_table(lines: list[str]) -> bool:
    """True when a table row of the extraction holds a paragraph-long cell: the page is laid out in
    tables (old KCNA mirrors, 1990s-2000s static sites), and the extractor read the layout as data,
    flattening the article into table cells. Data tables (scores, prices) have short cells.

    >>> is_layout_table(["| Home | " + " ".join(["word"] * 45) + " |"]), is_layout_table(["| DL | 63 | 85% |"])
    (True, False)
    """
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|"):
            if any(len(cell.split()) >= LAYOUT_CELL_WORDS for cell in re.split(r"(?<!\\)\|", stripped)):
                return True
    return False


def densest_block(root) -> etree._Element | None:
    """The block element that itself holds the most running text: its own text and that of its
    inline children (<font>, <b>, <span>, text between <br>s) and <p>s, not text inside nested tables
    or divs, and not link text (menus). The article body of an old table- or div-based page, which
    main-text extractors flatten into table cells or miss."""
    owned: dict = {}

    def credit(holder, text):
        block, in_link = holder, False
        while block is not None and block.tag not in TEXT_CONTAINERS:
            in_link = in_link or block.tag == "a"
            block = block.getparent()
        if block is not None and not in_link:
            owned[block] = owned.get(block, 0) + len(text.strip())

    for el in root.iter():
        if isinstance(el.tag, str) and el.tag not in NEVER_TEXT and el.text and el.text.strip():
            credit(el, el.text)
        if el.tail and el.tail.strip() and el.getparent() is not None:
            credit(el.getparent(), el.tail)
    return max(owned, key=owned.get) if owned else None


EMPHASIS = {"b", "strong", "big", "h1", "h2", "h3", "h4"}
HEADLINE_MAX_WORDS = 20


def headline_before(root, block) -> str:
    """The headline a table layout sets in its own cell above the article: the last emphasised
    (<b>, <strong>, <h1>-<h4>, <font size=4+>) short line before `block` in document order, or "".
    Old KCNA mirrors title every page just "KCNA" and put the headline there."""
    found = ""
    for el in root.iter():
        if el is block:
            break
        if not isinstance(el.tag, str):
            continue
        size = (el.get("size") or "").lstrip("+")
        if el.tag in EMPHASIS or (el.tag == "font" and size.isdigit() and int(size) >= 4):
            text = " ".join(el.text_content().split())
            if text and len(text.split()) <= HEADLINE_MAX_WORDS:
                found = text
    return found


def drop_link_lists(paragraphs: list[str], headings: list[str]) -> tuple[list[str], list[str]]:
    """Drop each list of links to other articles that a page sets in or under the article ("Related
    posts:", "You may also like", "DON'T MISS"): the heading line (a whole-line regex of `headings`)
    and the headline-like lines under it (short, not ending like a sentence), up to the next line of
    running text. Lists without such a heading (tour dates, product lists, tables) are kept.

    >>> drop_link_lists(["The meeting was held.", "Related posts:", "Envoy Leaves", "Talks Held", "More text."], [r"^Related posts:$"])
    (['The meeting was held.', 'More text.'], ['Related posts:', 'Envoy Leaves', 'Talks Held'])
    """
    compiled = [re.compile(h) for h in headings]
    kept, dropped, in_list = [], [], False
    for paragraph in paragraphs:
        probe = paragraph.replace("\u00a0", " ").strip()
        if any(c.search(probe) for c in compiled):
            in_list = True
            dropped.append(paragraph)
        elif in_list and " | " not in probe and len(probe.split()) <= LINK_LIST_WORDS and not SENTENCE_END.search(probe):
            dropped.append(paragraph)
        else:
            in_list = False
            kept.append(paragraph)
    return kept, dropped


def _trafilatura(page, focus: str) -> str:
    """One trafilatura pass without its fallback extractors (fast=True: kcorpus does its own
    fallbacks) and without its metadata (40% of its time; page_metadata reads what kcorpus uses):
    "precision" prunes link-dense and teaser blocks harder, "recall" keeps more. `page` is the HTML
    text or a parsed tree, which trafilatura prunes in place."""
    import trafilatura  # imported here: ~0.5 s, and only unknown sites need it

    document = trafilatura.bare_extraction(
        page, include_comments=False, include_tables=True, fast=True, with_metadata=False,
        favor_precision=focus == "precision", favor_recall=focus == "recall")
    if document is None:
        return ""
    text = document.get("text") if isinstance(document, dict) else getattr(document, "text", None)
    return text or ""


TITLE_SEPARATOR = re.compile(r"\s+[|–—•·»:~-]\s+")
META_TITLE = ("og:title", "twitter:title")
META_DATE = ("article:published_time", "datePublished", "date", "pubdate", "publishdate", "DC.date.issued",
             "dc.date", "og:published_time", "sailthru.date", "parsely-pub-date")
ISO_DATE = re.compile(r"((?:19|20)\d\d)-([01]\d)-([0-3]\d)")


def _meta(root, names: tuple[str, ...]) -> str:
    """The content of the first <meta> whose property, name or itemprop is one of `names`, in that order."""
    found = {}
    for el in root.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop")
        if key in names and key not in found and (el.get("content") or "").strip():
            found[key] = el.get("content").strip()
    return next((found[name] for name in names if name in found), "")


def strip_site_name(whole: str, sitename: str = "") -> str:
    """A <title> without the site's name: split at a site-name separator (" - ", " | ", " :: " …) outside
    brackets, the parts that name the site (short, no digits, or the og:site_name) dropped. A weekly's
    dated title ("North Korea Weekly (December 28, 2009 ~ January 3, 2010)") is never cut inside its
    brackets, and a title without a site part stays whole.

    >>> strip_site_name("Talks Held - Example News"), strip_site_name("North Korea Weekly (December 28, 2009 ~ January 3, 2010)")
    ('Talks Held', 'North Korea Weekly (December 28, 2009 ~ January 3, 2010)')
    """
    cuts, depth = [], 0  # (start, end) of each separator outside brackets
    for m in re.finditer(r"[(\[（]|[)\]）]|" + TITLE_SEPARATOR.pattern, whole):
        token = m.group(0)
        if token in "([（":
            depth += 1
        elif token in ")]）":
            depth = max(0, depth - 1)
        elif depth == 0:
            cuts.append((m.start(), m.end()))
    if not cuts:
        return whole.strip()
    key = lambda text: "".join(filter(str.isalnum, text.lower()))  # noqa: E731
    site_like = lambda part: key(part) == key(sitename) or (  # noqa: E731
        len(part.split()) <= 4 and not re.search(r"\d", part))
    last, first = whole[cuts[-1][1]:], whole[:cuts[0][0]]
    if site_like(last):
        return whole[:cuts[-1][0]].strip()
    if site_like(first):
        return whole[cuts[0][1]:].strip()
    return whole.strip()


def page_metadata(root) -> dict[str, str]:
    """Title, publication date and site name of a page from its markup, for sites without a profile.

    title: the page's only <h1>, else its og:/twitter: title, else <title> without the site's name
    ("Talks Held - Example News" -> "Talks Held"). date: the first ISO date of the publication-date <meta>s
    or of a <time datetime>. sitename: og:site_name. `page_title`: the whole <title>.
    """
    sitename = _meta(root, ("og:site_name", "application-name"))
    h1s = [" ".join(h.text_content().split()) for h in root.iter("h1")]
    title = h1s[0] if len(h1s) == 1 and h1s[0] else _meta(root, META_TITLE)
    whole = " ".join((root.findtext(".//title") or "").split())
    if not title:
        title = strip_site_name(whole, sitename) if whole else (h1s[0] if h1s else "")
    fields = {"title": title, "page_title": whole}
    dates = [_meta(root, META_DATE)] + [el.get("datetime") or "" for el in root.iter("time")]
    iso = next((m for m in (ISO_DATE.search(d) for d in dates if d) if m), None)
    if iso:
        fields["date"] = iso.group(0)
    if sitename:
        fields["sitename"] = sitename
    return fields


HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5"}
NEAREST_HEADINGS = 60
# The elements that can be a heading, before a given one in document order (lxml returns them so).
HEADING_XPATH = ("preceding::*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::b or self::strong"
                 " or self::font or @class or @id]")
HEADING_CLASS = re.compile(r"(?i)title|headline|subject|(?:^|[-_ ])tit(?:$|[-_ ])|heading")


def heading_candidates(root, first_line: str) -> list[str]:
    """The headings set before the article's first line, in document order: <h1>-<h5>, blocks whose class
    or id says title/headline/subject, and emphasised lines (<b>, <strong>, <font size=4+>) alone in their
    block. The headline is the one nearest the text; the site's name and section labels stand above it."""
    probe = " ".join(first_line.split())[:30]
    head = probe[:8]
    found: list[str] = []

    def holds_probe(raw: str | None) -> bool:
        return bool(raw) and head in raw and probe in " ".join(raw.split())

    # Where the text begins, found by XPath; the headings are then the candidates before it in document
    # order (preceding::, and the element whose tail the text is), not a walk over the whole page.
    texts = root.xpath("//text()[contains(., $h)]", h=head) if head else []
    hit = next((t for t in texts if holds_probe(str(t))), None)
    owner = hit.getparent() if hit is not None else None
    if owner is None:  # the first line runs across inline elements ("<p><b>Pyongyang</b>, May 2 …"): its block
        for text in texts[:5]:
            block = text.getparent()
            while block is not None and block.tag not in BLOCK_TAGS:
                block = block.getparent()
            if block is not None and probe in " ".join(block.text_content().split()):
                owner = block
                break
    if owner is not None:
        before = owner.xpath(HEADING_XPATH) + (owner.xpath("descendant-or-self::*") if hit is not None and hit.is_tail else [])
        # the headline stands near the text: the nearest NEAREST_HEADINGS candidates are enough
        elements = [el for el in before[-NEAREST_HEADINGS:] if isinstance(el.tag, str)]
    else:
        elements = root.iter()
    for el in elements:
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag or tag in NEVER_TEXT:
            continue
        if probe and holds_probe(el.text):
            break  # the article's text begins here
        if probe and holds_probe(el.tail):
            break  # … right after this element (a <br> before the first paragraph); it is no heading
        size = (el.get("size") or "").lstrip("+")
        heading = (tag in HEADING_TAGS or tag in ("b", "strong") or (tag == "font" and size.isdigit() and int(size) >= 4)
                   or ((el.get("class") or el.get("id")) and tag not in ("title", "a", "li", "ul", "table", "tr", "td")
                       and HEADING_CLASS.search(f"{el.get('class', '')} {el.get('id', '')}")))
        if not heading:
            continue
        text = " ".join(el.text_content().split())
        if not text or len(text) > 200:
            continue
        parent = el.getparent()
        if tag in ("b", "strong", "font") and parent is not None and " ".join(parent.text_content().split()) != text:
            continue  # emphasis inside a sentence, not a heading
        if not found or found[-1] != text:
            found.append(text)
    return found


def extract_generic(text: str, chrome_lines: list[str] | None = None, *, page_lines: bool = True,
                    page=None) -> Extracted:
    """Sites without a profile (or whose markup the profile does not know): README, "The generic path".

    trafilatura in precision mode finds the main text; when that is short, the recall mode is tried
    too and taken if it finds much more (precision mode sometimes prunes the article itself). When the
    page is laid out in tables (the extractor returns the article inside a table cell) or nothing is
    found, the page's densest text block is read instead, and the headline above it kept in
    fields["headline"]. Then lists of links under a "Related posts"-style heading, the lines of generic
    chrome (cleaners/generic_chrome.toml) and the profile's chrome lines, if any, are dropped (returned
    in `dropped`). Title, date and site name come from the markup (page_metadata). `page_lines`: also
    return every line of the page (profiles read metadata from it by text pattern). `page`: the page already
    parsed, left unchanged (read for the headings above the text; parsed here when not given).
    """
    # trafilatura prunes the tree it reads: it gets a copy of the parsed page (a copy costs 40% of a parse)
    root = copy.deepcopy(page) if page is not None else parse_html(text)
    fields = page_metadata(root)
    title = fields.pop("title")
    headings_root = page if page is not None else parse_html(text)
    if page_lines:
        # Metadata an extractor drops as boilerplate (a source line, a section label) is still on the
        # page: profiles can read it by text pattern from `page_lines` when their selectors found nothing.
        page_body = root.find("body")
        fields["page_lines"] = "\n".join(line.strip() for line in block_texts(page_body if page_body is not None else root))
    body, method = _trafilatura(root, "precision"), "trafilatura"  # prunes `root`: not used after this
    if len(body) < RECALL_RETRY_CHARS:
        recall = _trafilatura(parse_source(text), "recall")   # flattened as parse_html read it
        if len(recall) >= RECALL_GAIN * max(len(body), 1):
            body, method = recall, "trafilatura-recall"
    raw_lines = body.split("\n")
    if is_layout_table(raw_lines) or not body.strip():
        fresh = parse_html(text)
        block = densest_block(fresh)
        if block is not None:
            raw_lines, method = block_texts(block), "densest-block"
            if headline := headline_before(fresh, block):
                fields["headline"] = headline
    lines = [row.strip(" \t") for row in (table_row_text(line) for line in raw_lines) if row and row.strip()]
    lines, link_lists = drop_link_lists(lines, [*generic_chrome_lines("list_headings"), *generic_chrome_lines("toc_headings")])
    paragraphs, dropped = drop_chrome_lines(lines, [*(chrome_lines or []), *generic_chrome_lines(),
                                                    *generic_chrome_lines("every_path")])
    from cleaners.kcna import is_short_line  # the kcna module reads text, never markup: no cycle at import

    text_start = next((p for p in paragraphs if not is_short_line(p)), paragraphs[0] if paragraphs else "")
    if text_start:
        fields["headings"] = "\n".join(heading_candidates(headings_root, text_start))
    return Extracted(title, paragraphs, fields, method, link_lists + dropped, page=headings_root)
