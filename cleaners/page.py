"""clean_page: one captured page -> one Document (decode, extract, metadata, repairs, flags)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date, datetime
from urllib.parse import urlsplit

from cleaners.decode import decode_html
from core.document import Document
from cleaners.errors import CleaningError, SoftNotFound
from cleaners.errorpages import could_be_error_page, error_page_reason
from cleaners.extract import Extracted, block_texts, extract_generic, extract_with_profile, parse_html, parse_source
from cleaners.repairs import RepairLog, repair_paragraphs_tracked, repair_text, repair_tracked
from cleaners.template import SiteTemplate, drop_template_lines
from cleaners.pagekind import attachment_reason, list_page_reason, refuse
from cleaners.kcna import (AGENCIES, date_line, SOURCE_LINES, dateline_date, split_front_matter, choose_headline, page_date_line, week_end_date, SENTENCE_CLOSE, day_first_date, find_dateline, match_source, own_page_date, split_meta_lines, stated_date,
                           strip_end_mark, year_from_url, yymmdd_date)
from cleaners.tracked import Tracked, fold_into_neighbour
from core.profiles import Profile, profile_for_url

QUOTED = re.compile(r"^[“\"‘'](?P<inner>.+)[”\"’']$")
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
# lxml refuses control characters in element text; the form feed carries meaning (the "\f" of a
# mangled "\from") so it travels through parsing as a private-use stand-in and comes back after.
# U+FFFE/U+FFFF and lone surrogates too: lxml refuses them in any text it is handed back (drop_tree
# re-sets a tail), so a page holding one raised lxml's ValueError out of clean_page.
PARSE_HOSTILE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# A numeric character reference (&#1;, &#x1F;, &#xFFFE;; HTML allows it without its ";"): libxml2 turns
# one to a control character or U+FFFE/U+FFFF into that character while parsing, past PARSE_HOSTILE.
NUMERIC_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")


def unfold_hostile_references(text: str) -> str:
    """Numeric character references to characters lxml refuses in text (C0 controls but tab, newline and
    return; U+FFFE, U+FFFF) written out as those characters, so the page's own handling of them (the form
    feed's stand-in, PARSE_HOSTILE's recorded spaces) applies to them too. Every other reference stays
    for the parser. (A fuzzed page with "&#x1F;" in its kcna.kp body raised lxml's ValueError.)

    >>> unfold_hostile_references("a&#1;b&#x1f;c&#65;d&#10;e&#xFFFE;f")
    'a\\x01b\\x1fc&#65;d&#10;e\\ufffef'
    """
    def unfold(match: re.Match) -> str:
        value = int(match.group(1), 16) if match.group(1) else int(match.group(2))
        hostile = (0 < value < 0x20 and value not in (0x09, 0x0A, 0x0D)) or value in (0xFFFE, 0xFFFF)
        return chr(value) if hostile else match.group(0)
    return NUMERIC_REFERENCE.sub(unfold, text) if "&#" in text else text
FORM_FEED_STAND_IN = "\ue00c"
# Legacy CJK bytes read as Latin-1 or windows-1252 include characters extractors drop as invisible: the
# soft hyphen U+00AD (EUC-KR's byte 0xAD, in 서 "¼\xad") and the C1 controls a browser shows for the five
# bytes windows-1252 leaves undefined (GBK's 0x81, 0x8D, 0x8F, 0x90, 0x9D). Dropped, the byte pair they
# belonged to is broken for good. Inside a run of such characters they travel through extraction as
# stand-ins and come back for the legacy repairs; the stand-ins are printable letters (trafilatura drops
# private-use characters too) from Latin Extended-D, which no page of this corpus writes.
LEGACY_INVISIBLE = {"\u00ad": "\ua7ff", "\x81": "\ua781", "\x8d": "\ua78d", "\x8f": "\ua78f", "\x90": "\ua790",
                    "\x9d": "\ua79d"}
LEGACY_INVISIBLE_IN_RUN = re.compile("(?<=[\u0080-\u00ff])[\u00ad\x81\x8d\x8f\x90\x9d]|"
                                     "[\u00ad\x81\x8d\x8f\x90\x9d](?=[\u0080-\u00ff])")
LEGACY_INVISIBLE_ANY = re.compile("[\u00ad\x81\x8d\x8f\x90\x9d]")
LEGACY_STAND_INS = re.compile("[%s]" % "".join(LEGACY_INVISIBLE.values()))
LEGACY_RESTORE = {v: k for k, v in LEGACY_INVISIBLE.items()}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# A Korean heading typeset with a space between its syllables ("머 리 글", "차 례"): structure, not text.
SPACED_HEADING = re.compile(r"^(?:[\uac00-\ud7a3][ \u00a0\u3000]){1,7}[\uac00-\ud7a3]$")


def uncut_subject(subject: str, paragraphs: list[str]) -> str:
    """A subject cut with "…" (GNUBoard 5.2's cut_str at 70 characters) completed from the content, which
    repeats the full subject in its opening lines; unchanged when no opening line extends it.

    >>> uncut_subject("[R]Chapter 10. With the Conviction 1. A R…", ["", "[R]Chapter 10. With the Conviction 1. A Raging Whirlwind"])
    '[R]Chapter 10. With the Conviction 1. A Raging Whirlwind'
    """
    stem = subject.rstrip()
    if not (stem.endswith("…") or stem.endswith("...")):
        return subject
    stem_key = heading_key(stem.rstrip(".…"))
    for paragraph in paragraphs[:6]:
        if heading_key(paragraph).startswith(stem_key) and len(paragraph.strip()) >= len(stem.rstrip(".…")):
            return " ".join(paragraph.split())
    return subject


def split_spaced_headings(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """Korean headings typeset with spaced syllables ("머 리 글"): (the body without them, the headings).

    >>> split_spaced_headings(["머 리 글", "나는 이 글을 쓰면서", "차 례"])
    (['나는 이 글을 쓰면서'], ['머 리 글', '차 례'])
    """
    kept, headings = [], []
    for paragraph in paragraphs:
        (headings if SPACED_HEADING.match(paragraph.strip()) else kept).append(paragraph)
    return kept, headings


def detect_lang(paragraphs: list[str]) -> str:
    """"ko" when Hangul makes up most letters of the body, else "en".

    >>> detect_lang(["깊은 산속 밀영에서 맞는 밤은 길고도 추웠다."]), detect_lang(["The Soviet Union"])
    ('ko', 'en')
    """
    text = "".join(paragraphs)
    hangul = len(HANGUL.findall(text))
    if not hangul:  # "en" whatever the letter count: no need to count letters one by one
        return "en"
    letters = sum(map(str.isalpha, text))
    return "ko" if letters and hangul > letters * 0.3 else "en"


def unquote_title(title: str) -> str:
    """A title wrapped whole in quotes loses them: “Let Us Defend …!” -> Let Us Defend …!"""
    m = QUOTED.match(title.strip())
    return m.group("inner").strip() if m else title.strip()


def heading_key(text: str) -> str:
    """Letters and digits only, lower-cased: a line and a heading compare equal whatever their
    quotes, spacing and punctuation ("6. “Let Us …!”" vs section "6" + title "Let Us …!")."""
    return "".join(filter(str.isalnum, text.lower()))


def split_heading_lines(paragraphs: list[str], headings: list[str], limit: int = 3) -> tuple[list[str], list[str]]:
    """The opening lines that only repeat the post's subject or its section heading (GNUBoard posts
    paste them above the text): (those lines, the rest). Only exact repeats, at most `limit` lines.

    >>> split_heading_lines(["[R]Chapter 21 6. “Let Us!”", "6. “Let Us!”", "The Soviet"], ["[R]Chapter 21 6. Let Us!", "6 Let Us!"])
    (['[R]Chapter 21 6. “Let Us!”', '6. “Let Us!”'], ['The Soviet'])
    """
    keys = {heading_key(h) for h in headings if heading_key(h)}
    n = 0
    while n < min(limit, len(paragraphs)) and heading_key(paragraphs[n]) in keys:
        n += 1
    return paragraphs[:n], paragraphs[n:]


# Running text: a paragraph of at least this many words (or CJK characters) that ends like a sentence.
SENTENCE_WORDS = 8
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]")
CHROME_ONLY_WORDS = 40
# "Page not found" served with status 200 (a soft 404), in the forms sites and CMSs use; the Korean
# line is GNUBoard's "the post does not exist"
ERROR_PAGE = re.compile(r"(?i)\b(?:page|article|post|story|content|file)s?\b[^.]{0,60}?\b(?:(?:was|could|can) ?not (?:be )?found|"
                        r"not found|(?:does not|doesn't|no longer) exists?|(?:is )?no longer available|has been (?:removed|deleted))\b"
                        r"|^\W*(?:error )?404\b|\bnot found\W*$|글이 존재하지 않습니다|페이지를 찾을 수 없습니다")
ERROR_PAGE_WORDS = 80


def is_sentence(paragraph: str) -> bool:
    """A paragraph that reads as running text, not a menu item, a label or a button.

    >>> is_sentence("The meeting discussed the organizational issue and elected a director."), is_sentence("Home | Contact")
    (True, False)
    """
    text = paragraph.strip()
    size = max(len(text.split()), len(CJK.findall(text)) // 2)
    return size >= SENTENCE_WORDS and bool(SENTENCE_CLOSE.search(text))


def refuse_chrome_only(paragraphs: list[str], title: str = "") -> None:
    """Refuse what the fallback extraction found when it is not an article, rather than release a
    near-empty document: CleaningError naming what was found.

    - only chrome (a menu, a footer, a cookie button): fewer than CHROME_ONLY_WORDS words and no
      paragraph that reads as a sentence (a list article, e.g. a race calendar, has more words);
    - an error page served with status 200 ("Page not found", "글이 존재하지 않습니다"): a short body
      whose title or opening line says the page does not exist.
    """
    words = sum(len(p.split()) for p in paragraphs)
    sample = " / ".join(p.strip()[:40] for p in paragraphs[:3])
    if words < CHROME_ONLY_WORDS and not any(is_sentence(p) for p in paragraphs):
        refuse("empty", f"only page chrome found, no sentence of article text "
                        f"({len(paragraphs)} short line(s): {sample!r})")
    if words < ERROR_PAGE_WORDS and any(ERROR_PAGE.search(line) for line in [title] + paragraphs[:2]):
        refuse("error", f"error page served as a page (soft 404): {sample!r}")


def id_date_disagreement(parsed: dict[str, str], groups: dict[str, str]) -> str | None:
    """Why a page is not the article its URL names, judged by dates: the page shows its own date
    (Rodong's "Aug. 1, 2024") and the URL's article id carries one (`2024-08-01-H005`); more than a day
    apart, the page renders another article (some Wayback captures of Rodong's base64 URLs do). None
    when they agree or either is missing.

    >>> id_date_disagreement({"page_year": "2024", "page_month": "Aug", "page_day": "1"},
    ...                      {"page_year": "2024", "page_month": "08", "page_day": "01"}) is None
    True
    >>> id_date_disagreement({"page_year": "2021", "page_month": "Mar", "page_day": "5"},
    ...                      {"page_year": "2024", "page_month": "08", "page_day": "01"})
    "the page shows an article of 2021-03-05, its URL's id one of 2024-08-01: another article"
    """
    shown, named = own_page_date(parsed), own_page_date(groups)
    if shown is None or named is None or abs((shown - named).days) <= 1:
        return None
    return f"the page shows an article of {shown.isoformat()}, its URL's id one of {named.isoformat()}: another article"


def generic_id(url: str) -> str:
    """A safe, stable id for a page of a site without a profile: host + path, slugged, + a digest."""
    parts = urlsplit(url)
    slug = re.sub(r"[^a-z0-9]+", "-", f"{parts.hostname or ''}{parts.path}".lower()).strip("-")[:80].strip("-")
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:8]
    return f"web-{slug or 'page'}-{digest}"


def _parse_fields(profile: Profile, extracted: Extracted, url: str = "") -> dict[str, str]:
    """Apply the profile's [[metadata.parse]] regexes to the extracted fields, the title or the page's
    URL (field = "url"); named groups become metadata, the first match of each name wins. A rule's
    `set` table adds constants when it matches (the memoir's series and author only on memoir posts)."""
    values: dict[str, str] = {}
    for rule in profile.metadata.get("parse", []):
        sources = {"title": extracted.title, "url": url}
        source = sources[rule["field"]] if rule["field"] in sources else legible(extracted.fields.get(rule["field"], ""))
        m = re.search(rule["pattern"], source)
        if m:
            for name, value in {**m.groupdict(), **rule.get("set", {})}.items():
                if value is not None and name not in values:
                    values[name] = value.strip()
    return values


def _error_patterns(profile: Profile | None) -> list[str]:
    """The site's own error wording: [extract] error_patterns and the [soft_404] patterns, one mechanism."""
    return [*profile.extract.get("error_patterns", []), *(p.pattern for p in profile.soft_404)] if profile else []


def _refuse_error_page(text: str, extracted: Extracted, profile: Profile | None, root=None) -> None:
    """Raise SoftNotFound when the page is an error page served as 200 (see cleaners.errorpages)."""
    # the site's own error wording: [extract] error_patterns and the [soft_404] patterns, one mechanism
    patterns = _error_patterns(profile)
    body_text = "\n".join(extracted.paragraphs)
    if not could_be_error_page(parse_source(text), body_text):
        return
    reason = error_page_reason(root if root is not None else parse_html(text), body_text, patterns)
    if reason:
        raise SoftNotFound(reason)




def _only_chrome(paragraphs: list[str], profile: Profile | None) -> bool:
    """True when every extracted line is site chrome or a footer (copyright, maintainer, mailing list):
    what an extraction that missed the article returns. Never a document."""
    patterns = list(profile.chrome.get("footer_lines", [])) if profile else []
    patterns += [r"(?i)^copyright\b|^©|\ball rights reserved\b", r"(?i)^site maintained by\b",
                 r"(?i)mailing list|newsletter|subscribe"]
    compiled = [re.compile(p) for p in patterns]
    return bool(paragraphs) and all(any(c.search(p.strip()) for c in compiled) for p in paragraphs)


def _extract(text: str, profile: Profile | None, url: str = "", template: SiteTemplate | None = None) -> Extracted:
    """The article of a decoded page: its kind first (cleaners.pagekind: a list page, an attachment-only
    or empty post raise NotAnArticle), then the profile's selectors, else the generic extractor; error
    pages served as 200 raise SoftNotFound."""
    # (a URL can match both: Rodong's base64 keys name a list or an article, told apart by what they decode to)
    if profile is not None and profile.is_index(url) and profile.document_id(url) is None:
        refuse("list", f"list page of {profile.label} (its URL is one of the site's list pages)")
    root = parse_html(text)
    if reason := list_page_reason(root):
        # an error page keeps the site's menus (a list of links): its message says which it is
        if error := error_page_reason(root, "", _error_patterns(profile)):
            raise SoftNotFound(error)
        refuse("list", reason)
    extracted = extract_with_profile(text, profile, url) if profile else None
    if extracted is not None and extracted.paragraphs and _only_chrome(extracted.paragraphs, profile):
        extracted = None  # the profile's body held only chrome: its markup is not the one the profile knows
    if extracted is not None and (reason := attachment_reason(root, extracted.paragraphs)):
        refuse("attachment", reason)
    if extracted is None or not extracted.paragraphs:
        extracted = extract_generic(text, profile.chrome.get("lines", []) if profile else [],
                                    page_lines=profile is not None, page=root)
    _refuse_error_page(text, extracted, profile, root)
    # the site's template, learned from its crawl (cleaners.template): lines no profile lists yet
    extracted.paragraphs, extracted.template_dropped = drop_template_lines(extracted.paragraphs, template)
    if reason := attachment_reason(root, extracted.paragraphs):
        refuse("attachment", reason)
    if not extracted.paragraphs and extracted.dropped:
        refuse("empty", f"no article text found: the page's text is only its footer and chrome "
                        f"({len(extracted.dropped)} chrome lines, {extracted.dropped[0][:60]!r} …)")
    if not extracted.paragraphs:
        refuse("empty", "no article text found on the page")
    if _only_chrome(extracted.paragraphs, profile):
        refuse("empty", "no article text found: the page's text is only its footer and chrome "
                        f"({extracted.paragraphs[0][:60]!r} …)")
    if extracted.method != "profile":  # judged on the text as it reads once legacy bytes are repaired
        refuse_chrome_only([legible(p) for p in extracted.paragraphs], extracted.title)
    return extracted


def extract_page(body: bytes, url: str, headers: Mapping[str, str] | None = None,
                 log: RepairLog | None = None, template: SiteTemplate | None = None) -> tuple[Profile | None, Extracted]:
    """Decode and extract one page, before any text repair: (its site profile, what extraction found).
    The paragraphs are the text as the site served it, the baseline every recorded repair starts from.
    Raises CleaningError when the page holds no article text, SoftNotFound for an error page served as 200."""
    log = log if log is not None else RepairLog()
    text, _ = decode_html(body, {k.lower(): v for k, v in (headers or {}).items()}, log)
    text = unfold_hostile_references(text).replace("\x0c", FORM_FEED_STAND_IN)
    if LEGACY_INVISIBLE_ANY.search(text):  # a scan for one character class first: most pages hold none
        text = LEGACY_INVISIBLE_IN_RUN.sub(lambda m: LEGACY_INVISIBLE[m.group(0)], text)
    text, removed = PARSE_HOSTILE.subn(" ", text)
    if removed:
        log.add("control-char", "page", ("control characters in the page", "spaces"), count=removed)
    profile = profile_for_url(url)
    try:
        extracted = _extract(text, profile, url, template)
    except RecursionError:
        # nesting the flattening did not undo (block tags thousands deep): refused, never half-read
        raise CleaningError("page nested too deeply to read safely (block elements thousands of levels deep)") from None
    restore = lambda value: LEGACY_STAND_INS.sub(  # noqa: E731
        lambda m: LEGACY_RESTORE[m.group(0)], value.replace(FORM_FEED_STAND_IN, "\x0c"))
    extracted.paragraphs = [restore(p) for p in extracted.paragraphs]
    # a subject cut with "…" (GNUBoard 5.2) is the content's full subject: the page serves both
    extracted.title = uncut_subject(restore(extracted.title), extracted.paragraphs)
    for line in extracted.dropped:
        log.add("chrome-line", "page", (line[:60], ""))
    for line in extracted.template_dropped:
        log.add("template-line", "page", (line[:60], ""))
    return profile, extracted


def served_headline(extracted: Extracted, parsed: dict[str, str]) -> str:
    """The headline as served, before repairs: the title part of the post's subject (or the page title),
    without the quotes that wrap it whole."""
    return unquote_title(parsed.get("title") or extracted.title)


def document_spans(title: Tracked, paragraphs: list[Tracked]) -> list[list]:
    """The document's repair spans (core.document.Span): where in the title and in each paragraph a
    repair changed the served text, what was served there, and which rules did it."""
    spans = [["title", 0, start, end, served, " ".join(rules)] for start, end, served, rules in title.spans()]
    for index, paragraph in enumerate(paragraphs):
        spans += [["body", index, start, end, served, " ".join(rules)]
                  for start, end, served, rules in paragraph.spans()]
    return spans


def clean_page(body: bytes, url: str, *, headers: Mapping[str, str] | None = None,
               capture: dict | None = None, template: SiteTemplate | None = None) -> Document:
    """Clean one captured page into a Document.

    body      the response body as archived (bytes)
    url       the page's URL: picks the site profile (by host) and the document id
    headers   response headers (lower-case names), for the declared charset
    capture   provenance to carry (core.capture.Capture.provenance()), None for a one-off clean
    template  the site's template learned from its crawl (cleaners.template), None: none known
    Raises CleaningError (one line) for a page that cannot be cleaned, and its subclass SoftNotFound for
    an error page served as 200 (the crawl counts the URL as gone).
    """
    from cleaners import CLEANER_VERSION

    log = RepairLog()
    profile, extracted = extract_page(body, url, headers, log, template)
    meta = dict(profile.metadata) if profile else {}
    meta.pop("parse", None)
    sources = meta.pop("sources", [])
    meta_line_patterns = meta.pop("lines", [])
    # Metadata lines at the top of the body (a source line, a "Date:" line) are metadata, not text.
    _, line_fields, _ = split_meta_lines(list(extracted.paragraphs), meta_line_patterns, sources)
    for name, value in line_fields.items():
        if not extracted.fields.get(name):  # a selector's field wins; an empty one is filled from the line
            extracted.fields[name] = value
    parsed = _parse_fields(profile, extracted, url) if profile else {}
    groups = (profile.article_groups(url)
              or next((m.groupdict() for p in profile.id_patterns if (m := p.search(url))), {})) if profile else {}
    # the page's own date (kcna.kp's "Juche113.5.27.", Rodong's "2024.8.1."), or the one its URL carries
    own_date = own_page_date(parsed) or own_page_date(groups)
    disagreement = id_date_disagreement(parsed, groups)
    if disagreement:
        raise CleaningError(disagreement)
    if own_date is None and extracted.fields.get("page_date"):  # a form the profile's patterns do not read
        own_date = date_line(extracted.fields["page_date"])  # ("주체113(2024)년 8월 1일 목요일" on Rodong's Korean pages)

    if extracted.method != "profile":
        extracted.title = choose_headline(
            extracted.title, [h for h in extracted.fields.get("headings", "").split("\n") if h],
            extracted.fields.get("page_title", ""), extracted.fields.get("sitename"), url, extracted.paragraphs,
            extracted.fields.get("headline", ""))
    subject = extracted.title
    headline = Tracked(served_headline(extracted, parsed))
    title = repair_tracked(headline, log, "title").text
    tracked, flags = repair_paragraphs_tracked([Tracked(p) for p in extracted.paragraphs], log, "body")
    paragraphs = [t.text for t in tracked]
    # the metadata lines leave the text, not the record: their served form is folded into the text
    served = paragraphs
    paragraphs, repaired_fields, meta_lines = split_meta_lines(paragraphs, meta_line_patterns, sources)
    for name, value in repaired_fields.items():  # a line legible only once repaired (a mojibake date line)
        extracted.fields.setdefault(name, value)
    at = 0 if not meta_lines or served[0] == meta_lines[0] else 1  # a headline above them stays in place
    for line in meta_lines:
        log.add("meta-line", "body", (line[:60], ""))
        if len(tracked) > at + 1:
            tracked = fold_into_neighbour(tracked, at, "meta-line")
    # The post repeats its subject and section heading above the text (GNUBoard pastes): structure,
    # not body text. They were repaired with the body (the log counts every repair on the page's
    # text) and are kept in `extra`, so nothing is lost; their served form stays in the record, folded
    # into the first paragraph of the text.
    chapter_heading = (f"Chapter {parsed['chapter']}. {parsed['chapter_title']}"
                       if parsed.get("chapter") and parsed.get("chapter_title") else "")
    # a subject led by a source tag ("【로동신문】…", "[Reminiscences]…") is repeated without it too
    untagged = re.sub(r"^\s*[\[【][^\]】]{1,20}[\]】]\s*", "", subject)
    headings = [repair_text(subject), untagged, title, f"{parsed['section']} {title}" if parsed.get("section") else "",
                chapter_heading, f"{chapter_heading} {parsed.get('section', '')} {title}" if chapter_heading else ""]
    heading_lines, paragraphs = split_heading_lines(paragraphs, headings, limit=4)
    # the site's, the section's and the book's headings above the text (a layout no profile knows, or a
    # memoir post that pastes the book's title lines above its chapter)
    front, paragraphs = split_front_matter(paragraphs, title)
    heading_lines += front
    for line in heading_lines:
        log.add("heading-line", "body", (line[:60], ""))
        if len(tracked) > 1:
            tracked = fold_into_neighbour(tracked, 0, "heading-line")
    # Korean headings set with spaced syllables ("머 리 글") anywhere in the text: structure too
    for index in reversed([i for i, p in enumerate(paragraphs) if SPACED_HEADING.match(p.strip())]):
        heading_lines.append(paragraphs.pop(index))
        log.add("heading-line", "body", (heading_lines[-1][:60], ""))
        if len(tracked) > 1:
            tracked = fold_into_neighbour(tracked, index, "heading-line")
    # KCNA's closing "-0-": the body's last paragraph is the last tracked one (heading lines go from the start)
    before = len(tracked)
    tracked, end_mark = strip_end_mark(tracked)
    if end_mark:
        log.add("end-mark", "body", ("-0-", ""))
        paragraphs = paragraphs[:-1] if len(tracked) < before else paragraphs[:-1] + [tracked[-1].text]
    if not paragraphs:
        refuse("empty", "no article text left after removing chrome")
    spans = document_spans(headline, tracked)

    # who published it: the page's own source line (profile [[metadata.sources]]), else the dateline's agency
    source = (match_source(extracted.fields["source_line"], [*sources, *SOURCE_LINES])
              if extracted.fields.get("source_line") else None)
    agency = (source or {}).get("agency") or extracted.fields.get("source_line") or meta.get("agency") or None
    distributor = (source or {}).get("distributor") or parsed.get("distributor") or meta.get("distributor")
    doc_date, posted_at, place = None, None, meta.get("place")
    url_date = yymmdd_date(groups.get("yymmdd") or parsed.get("url_yymmdd"))
    # the page's own date line ("Date: 14/12/2019", a portal's "Posted : 2024.07.14", "주체102(2013)년 2월
    # 11일"), in the text's opening lines or just above them; a weekly's, the last day of its week
    line_date = date.fromisoformat(extracted.fields["date_line"]) if extracted.fields.get("date_line") else None
    if line_date is None and not (extracted.fields.get("date") or url_date or own_date):  # read the page only then
        line_date = page_date_line([legible(line) for line in visible_lines(extracted)], legible(extracted.paragraphs[0]))
    page_date = day_first_date(extracted.fields.get("page_date")) or line_date or week_end_date(title)
    dateline = find_dateline(paragraphs)
    if dateline:
        place = dateline["place"]
        agency = agency or AGENCIES.get(dateline["agency"])
        # month and day from the dateline; the year from the dateline itself, else the date nearest to the
        # page's own date (the file name's posting day, a "Date:" line), else the URL's year folder, the
        # page's date field, or, failing all of these, the capture (flagged: a repost may be years younger)
        doc_date, date_flags = dateline_date(
            dateline, url_date or page_date or own_date,
            year_from_url(groups, url) or _year_from(extracted.fields.get("date")),
            _year_from((capture or {}).get("captured_at")))
        flags += date_flags
    elif page_date:
        doc_date = page_date.isoformat()
    elif url_date:
        doc_date = url_date.isoformat()
        flags.append("date-from-url")
    if parsed.get("posted") and meta.get("date_format"):
        try:
            posted = datetime.strptime(parsed["posted"], meta["date_format"])
            # the posting's date-time has a field of its own; `date` is always a plain ISO date (the
            # dateline's, when the text has one, else the day it was posted, in the site's time zone)
            posted_at = posted.isoformat() + meta.get("timezone", "")
            doc_date = doc_date or posted.date().isoformat()
        except ValueError:
            flags.append("date-invalid")
    if doc_date is None and own_date:
        doc_date = own_date.isoformat()
    if doc_date is None and extracted.fields.get("date"):
        doc_date = extracted.fields["date"][:10]
    # A repost that states the article's own date: that is the article's date; the repost's own is kept.
    own = stated_date(paragraphs)
    if own:
        doc_date = own
    page_own = (extracted.fields.get("date") or "")[:10] or None
    repost_date = page_own if page_own and doc_date and page_own != doc_date[:10] else None
    if doc_date is not None and not ISO_DATE.fullmatch(doc_date):
        doc_date = None
        flags.append("date-invalid")

    if profile is None:
        site, doc_id = "web", generic_id(url)
    else:
        site, doc_id = profile.name, profile.document_id(url) or generic_id(url)
    chapter = parsed.get("chapter") or parsed.get("chapter_ko")
    extra = {k: v for k, v in {
        "board": parsed.get("board") or groups.get("board"), "post_id": parsed.get("post_id") or groups.get("wr_id"),
        "board_name": parsed.get("board_name"),
        "poster": parsed.get("poster"),
        "comment_count": int(parsed["comment_count"]) if parsed.get("comment_count") else None,
        "posted": parsed.get("posted"), "subject": subject if subject != title else None,
        "subject_raw": subject if subject != title else None, "heading_lines": heading_lines or None,
        "chapter_title": parsed.get("chapter_title"),
        "source_line": extracted.fields.get("source_line"), "meta_lines": meta_lines or None,
        "page_date": page_date.isoformat() if page_date else None, "repost_date": repost_date,
        "posting_date": url_date.isoformat() if url_date and dateline else None,
        "series_ko": parsed.get("series_ko") or meta.get("series_ko"),
        "extraction": extracted.method,
        "end_mark": "-0-" if end_mark else None,
    }.items() if v not in (None, "")}
    return Document(
        id=doc_id, site=site, source_url=url, title=title, date=doc_date, place=place, agency=agency,
        distributor=distributor, author=parsed.get("author") or meta.get("author"),
        series=parsed.get("series") or meta.get("series"),
        chapter=int(chapter) if chapter else None,
        section=int(parsed["section"]) if parsed.get("section", "").isdigit() else None,
        site_section=parsed.get("site_section") or extracted.fields.get("site_section") or None,
        posted_at=posted_at,
        lang=detect_lang(paragraphs), paragraphs=paragraphs, flags=flags, repairs=log.as_list(), spans=spans,
        extra=extra,
        capture=capture, cleaner_version=CLEANER_VERSION)


def visible_lines(extracted: Extracted) -> list[str]:
    """Every visible line of the page (for metadata an extractor left out, such as a date line above the
    text): the profile path's `page_lines` field, else read from the parsed page the generic path kept."""
    if extracted.fields.get("page_lines"):
        return extracted.fields["page_lines"].split("\n")
    if extracted.page is None:
        return []
    body = extracted.page.find("body")
    return [line.strip() for line in block_texts(body if body is not None else extracted.page)]


LEGACY_RUN = re.compile("[\u00a1-\u00fe]{2,}")


def legible(line: str) -> str:
    """A page line as it reads once repaired, when it holds legacy CJK bytes read as Latin-1 (a mojibake
    date line "ÁÖÃ¼102(2013)³â"): only for finding metadata; the text's own repairs are logged elsewhere."""
    return repair_text(line) if LEGACY_RUN.search(line) else line


def _year_from(value: str | None) -> int | None:
    m = re.match(r"((?:19|20)\d\d)", value or "")
    return int(m.group(1)) if m else None


def render_text(doc: Document) -> str:
    """The document as plain text: title, a line of metadata, then the paragraphs."""
    meta = " | ".join(str(v) for v in (doc.date, doc.place, doc.agency or doc.series, doc.source_url) if v)
    flags = f"\n[{', '.join(doc.flags)}]" if doc.flags else ""
    return f"{doc.title}\n{meta}\n\n" + "\n\n".join(doc.paragraphs) + flags + "\n"
