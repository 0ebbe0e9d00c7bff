"""clean_page: one captured page -> one Document (decode, extract, metadata, repairs, flags)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date, datetime
from urllib.parse import urlsplit

from cleaners.decode import decode_html
from core.document import Document
from cleaners.errors import CleaningError
from cleaners.extract import Extracted, extract_generic, extract_with_profile
from cleaners.repairs import RepairLog, repair_paragraphs_tracked, repair_text, repair_tracked
from cleaners.tracked import Tracked, fold_into_neighbour
from core.profiles import Profile, profile_for_url

MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
# "Pyongyang, September 14 (KCNA) -- ": the dateline that opens every KCNA article. Reposts vary it:
# "Sept. 14", "14 September", a year ("September 14, 2010" or "Juche 99"), "(KNS-KCNA)", "--" or a dash.
KCNA_DATELINE = re.compile(
    r"^(?P<place>[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,3}),\s+"
    r"(?:(?P<month>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2})|(?P<day_first>\d{1,2})\s+(?P<month_after>[A-Z][a-z]{2,8})\.?)"
    r"(?:,?\s+(?P<year>(?:19|20)\d\d))?(?:,?\s+Juche\s+\d{1,3})?"
    r"\s*\((?P<agency>KCNA|KNS|KNS-KCNA|KCNA-KNS)\)\s*(?:--|—|–|-|:)?\s*")
AGENCIES = {"KCNA": "Korean Central News Agency (KCNA)", "KNS": "Korea News Service (KNS)",
            "KNS-KCNA": "Korean Central News Agency (KCNA)", "KCNA-KNS": "Korean Central News Agency (KCNA)"}
DATELINE_SEARCH = 3  # paragraphs searched for a dateline (a fallback extraction may put the headline first)
QUOTED = re.compile(r"^[“\"‘'](?P<inner>.+)[”\"’']$")
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
# lxml refuses control characters in element text; the form feed carries meaning (the "\f" of a
# mangled "\from") so it travels through parsing as a private-use stand-in and comes back after.
PARSE_HOSTILE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
FORM_FEED_STAND_IN = "\ue00c"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_dateline(paragraph: str) -> dict | None:
    """Place, month, day, agency (and the year, when the dateline gives one) from a KCNA dateline, or None.

    >>> parse_dateline("Pyongyang, September 14 (KCNA) -- Upon the lapse of sixty-five years")
    {'place': 'Pyongyang', 'month': 9, 'day': 14, 'agency': 'KCNA', 'year': None}
    >>> parse_dateline("Pyongyang, 3 Sept., 2012 (KNS-KCNA) -- The")["month"], parse_dateline("Phnom Penh, May 2 (KCNA) --")["place"]
    (9, 'Phnom Penh')
    >>> parse_dateline("In the past, communists and revolutionary people") is None
    True
    """
    m = KCNA_DATELINE.match(paragraph)
    if not m:
        return None
    month = (m.group("month") or m.group("month_after"))[:3].lower()
    if month not in MONTHS:
        return None
    return {"place": m.group("place"), "month": MONTHS[month], "day": int(m.group("day") or m.group("day_first")),
            "agency": m.group("agency"), "year": int(m.group("year")) if m.group("year") else None}


def find_dateline(paragraphs: list[str]) -> dict | None:
    """The first KCNA dateline among the opening paragraphs."""
    for paragraph in paragraphs[:DATELINE_SEARCH]:
        found = parse_dateline(paragraph)
        if found:
            return found
    return None


def year_from_url(groups: dict, url: str) -> int | None:
    """The article's year from the URL: a `year` group, a `yymmdd` group, or a /YYYY/ folder."""
    if groups.get("year"):
        return int(groups["year"])
    if groups.get("yymmdd"):
        yy = int(groups["yymmdd"][:2])
        return 2000 + yy if yy < 90 else 1900 + yy
    m = re.search(r"/((?:19|20)\d\d)/", url)
    return int(m.group(1)) if m else None


def detect_lang(paragraphs: list[str]) -> str:
    """"ko" when Hangul makes up most letters of the body, else "en".

    >>> detect_lang(["깊은 산속 밀영에서 맞는 밤은 길고도 추웠다."]), detect_lang(["The Soviet Union"])
    ('ko', 'en')
    """
    text = "".join(paragraphs)
    letters = sum(1 for c in text if c.isalpha())
    return "ko" if letters and len(HANGUL.findall(text)) > letters * 0.3 else "en"


def unquote_title(title: str) -> str:
    """A title wrapped whole in quotes loses them: “Let Us Defend …!” -> Let Us Defend …!"""
    m = QUOTED.match(title.strip())
    return m.group("inner").strip() if m else title.strip()


def heading_key(text: str) -> str:
    """Letters and digits only, lower-cased: a line and a heading compare equal whatever their
    quotes, spacing and punctuation ("6. “Let Us …!”" vs section "6" + title "Let Us …!")."""
    return "".join(c for c in text.lower() if c.isalnum())


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


def generic_id(url: str) -> str:
    """A safe, stable id for a page of a site without a profile: host + path, slugged, + a digest."""
    parts = urlsplit(url)
    slug = re.sub(r"[^a-z0-9]+", "-", f"{parts.hostname or ''}{parts.path}".lower()).strip("-")[:80].strip("-")
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:8]
    return f"web-{slug or 'page'}-{digest}"


def _parse_fields(profile: Profile, extracted: Extracted, url: str = "") -> dict[str, str]:
    """Apply the profile's [[metadata.parse]] regexes to the extracted fields, the title or the page's
    URL (field = "url"); named groups become metadata, the first match of each name wins."""
    values: dict[str, str] = {}
    for rule in profile.metadata.get("parse", []):
        sources = {"title": extracted.title, "url": url}
        source = sources[rule["field"]] if rule["field"] in sources else extracted.fields.get(rule["field"], "")
        m = re.search(rule["pattern"], source)
        if m:
            for name, value in m.groupdict().items():
                if value is not None and name not in values:
                    values[name] = value.strip()
    return values


def extract_page(body: bytes, url: str, headers: Mapping[str, str] | None = None,
                 log: RepairLog | None = None) -> tuple[Profile | None, Extracted]:
    """Decode and extract one page, before any text repair: (its site profile, what extraction found).
    The paragraphs are the text as the site served it, the baseline every recorded repair starts from.
    Raises CleaningError when the page holds no article text."""
    log = log if log is not None else RepairLog()
    text, _ = decode_html(body, {k.lower(): v for k, v in (headers or {}).items()}, log)
    text = text.replace("\x0c", FORM_FEED_STAND_IN)
    text, removed = PARSE_HOSTILE.subn(" ", text)
    if removed:
        log.add("control-char", "page", ("control characters in the page", "spaces"), count=removed)
    profile = profile_for_url(url)
    extracted = extract_with_profile(text, profile) if profile else None
    if extracted is None or not extracted.paragraphs:
        extracted = extract_generic(text, profile.chrome.get("lines", []) if profile else [])
    if not extracted.paragraphs:
        raise CleaningError("no article text found on the page")
    restore = lambda value: value.replace(FORM_FEED_STAND_IN, "\x0c")  # noqa: E731
    extracted.title = restore(extracted.title)
    extracted.paragraphs = [restore(p) for p in extracted.paragraphs]
    for line in extracted.dropped:
        log.add("chrome-line", "page", (line[:60], ""))
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
               capture: dict | None = None) -> Document:
    """Clean one captured page into a Document.

    body      the response body as archived (bytes)
    url       the page's URL: picks the site profile (by host) and the document id
    headers   response headers (lower-case names), for the declared charset
    capture   provenance to carry (core.capture.Capture.provenance()), None for a one-off clean
    Raises CleaningError (one line) for a page that cannot be cleaned.
    """
    from cleaners import CLEANER_VERSION

    log = RepairLog()
    profile, extracted = extract_page(body, url, headers, log)
    meta = dict(profile.metadata) if profile else {}
    meta.pop("parse", None)
    parsed = _parse_fields(profile, extracted, url) if profile else {}
    groups = (profile.article_match(url).groupdict() if profile and profile.article_match(url) else {})

    subject = extracted.title
    headline = Tracked(served_headline(extracted, parsed))
    title = repair_tracked(headline, log, "title").text
    tracked, flags = repair_paragraphs_tracked([Tracked(p) for p in extracted.paragraphs], log, "body")
    paragraphs = [t.text for t in tracked]
    # The post repeats its subject and section heading above the text (GNUBoard pastes): structure,
    # not body text. They were repaired with the body (the log counts every repair on the page's
    # text) and are kept in `extra`, so nothing is lost; their served form stays in the record, folded
    # into the first paragraph of the text.
    headings = [repair_text(subject), title, f"{parsed['section']} {title}" if parsed.get("section") else ""]
    heading_lines, paragraphs = split_heading_lines(paragraphs, headings)
    for line in heading_lines:
        log.add("heading-line", "body", (line[:60], ""))
        if len(tracked) > 1:
            tracked = fold_into_neighbour(tracked, 0, "heading-line")
    if not paragraphs:
        raise CleaningError("no article text left after removing chrome")
    spans = document_spans(headline, tracked)

    doc_date, posted_at, place, agency = None, None, meta.get("place"), meta.get("agency")
    dateline = find_dateline(paragraphs)
    if dateline:
        place = dateline["place"]
        agency = agency or AGENCIES.get(dateline["agency"])
        # the dateline gives month and day; the year from the dateline itself, the URL, the page's own
        # date, or, failing all of these, the capture (flagged: a repost may be years younger)
        year = dateline["year"] or year_from_url(groups, url) or _year_from(extracted.fields.get("date"))
        if year is None and _year_from((capture or {}).get("captured_at")):
            year = _year_from(capture["captured_at"])
            flags.append("date-year-from-capture")
        try:
            doc_date = date(year, dateline["month"], dateline["day"]).isoformat() if year else None
        except ValueError:
            flags.append("date-invalid")
    if parsed.get("posted") and meta.get("date_format"):
        try:
            posted = datetime.strptime(parsed["posted"], meta["date_format"])
            # the posting's date-time has a field of its own; `date` is always a plain ISO date (the
            # dateline's, when the text has one, else the day it was posted, in the site's time zone)
            posted_at = posted.isoformat() + meta.get("timezone", "")
            doc_date = doc_date or posted.date().isoformat()
        except ValueError:
            flags.append("date-invalid")
    if doc_date is None and extracted.fields.get("date"):
        doc_date = extracted.fields["date"][:10]
    if doc_date is not None and not ISO_DATE.fullmatch(doc_date):
        doc_date = None
        flags.append("date-invalid")

    distributor = parsed.get("distributor") or meta.get("distributor")
    if profile is None:
        site, doc_id = "web", generic_id(url)
    else:
        site, doc_id = profile.name, profile.document_id(url) or generic_id(url)
    chapter = parsed.get("chapter") or parsed.get("chapter_ko")
    extra = {k: v for k, v in {
        "board": parsed.get("board") or groups.get("board"), "post_id": parsed.get("post_id") or groups.get("wr_id"),
        "poster": parsed.get("poster"),
        "comment_count": int(parsed["comment_count"]) if parsed.get("comment_count") else None,
        "posted": parsed.get("posted"), "subject": subject if subject != title else None,
        "subject_raw": subject if subject != title else None, "heading_lines": heading_lines or None,
        "source_line": extracted.fields.get("source_line"), "series_ko": meta.get("series_ko"),
        "extraction": extracted.method,
    }.items() if v not in (None, "")}
    return Document(
        id=doc_id, site=site, source_url=url, title=title, date=doc_date, place=place, agency=agency,
        distributor=distributor, author=meta.get("author"), series=meta.get("series"),
        chapter=int(chapter) if chapter else None,
        section=int(parsed["section"]) if parsed.get("section", "").isdigit() else None,
        site_section=parsed.get("site_section") or extracted.fields.get("site_section") or None,
        posted_at=posted_at,
        lang=detect_lang(paragraphs), paragraphs=paragraphs, flags=flags, repairs=log.as_list(), spans=spans,
        extra=extra,
        capture=capture, cleaner_version=CLEANER_VERSION)


def _year_from(value: str | None) -> int | None:
    m = re.match(r"((?:19|20)\d\d)", value or "")
    return int(m.group(1)) if m else None


def render_text(doc: Document) -> str:
    """The document as plain text: title, a line of metadata, then the paragraphs."""
    meta = " | ".join(str(v) for v in (doc.date, doc.place, doc.agency or doc.series, doc.source_url) if v)
    flags = f"\n[{', '.join(doc.flags)}]" if doc.flags else ""
    return f"{doc.title}\n{meta}\n\n" + "\n\n".join(doc.paragraphs) + flags + "\n"
