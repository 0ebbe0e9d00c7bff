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
from cleaners.extract import Extracted, extract_generic, extract_with_profile, parse_html, parse_source
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
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# A repost that states the article's own date in its text: "(KCNA - August 15, 2019)", "(KCNA, Aug. 15, 2019)",
# "(Rodong Sinmun, 15 August 2019)". The blog's own post date is then the repost's, not the article's.
STATED_DATE = re.compile(
    r"\((?P<source>KCNA|KNS|Rodong Sinmun|Minju Joson|Uriminzokkiri|Naenara|Pyongyang Times)\s*(?:[-–—,:]\s*)"
    r"(?:(?P<month>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2})|(?P<day_first>\d{1,2})\s+(?P<month_after>[A-Z][a-z]{2,8})\.?)"
    r",?\s+(?P<year>(?:19|20)\d\d)\)")
# A Korean heading typeset with a space between its syllables ("머 리 글", "차 례"): structure, not text.
SPACED_HEADING = re.compile(r"^(?:[\uac00-\ud7a3][ \u00a0\u3000]){1,7}[\uac00-\ud7a3]$")
META_LINE_SEARCH = 5  # opening body lines searched for metadata lines (source line, "Date:" line)


def stated_date(paragraphs: list[str]) -> str | None:
    """The article's own date when a repost states it in its text ("(KCNA - August 15, 2019)"), ISO format.

    >>> stated_date(["Pyongyang, August 15 (KCNA) -- text", "(KCNA - August 15, 2019)"])
    '2019-08-15'
    >>> stated_date(["He was born in August 15, 1912 (the record says)."]) is None
    True
    """
    for paragraph in paragraphs[:3] + paragraphs[-3:]:
        m = STATED_DATE.search(paragraph)
        if m:
            month = (m.group("month") or m.group("month_after"))[:3].lower()
            try:
                return date(int(m.group("year")), MONTHS[month], int(m.group("day") or m.group("day_first"))).isoformat()
            except (KeyError, ValueError):
                continue
    return None


def closest_year(month: int, day: int, reference: date) -> date | None:
    """The date with this month and day nearest to `reference`: a dateline gives month and day only, and
    a repost is dated a day or two later, so a "December 31" dateline in a file of January 2 is of the
    year before.

    >>> closest_year(12, 31, date(2005, 1, 2)), closest_year(8, 1, date(2004, 8, 2))
    (datetime.date(2004, 12, 31), datetime.date(2004, 8, 1))
    """
    best = None
    for year in (reference.year - 1, reference.year, reference.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if best is None or abs((candidate - reference).days) < abs((best - reference).days):
            best = candidate
    return best


def yymmdd_date(value: str | None) -> date | None:
    """A date from a file name's YYMMDD (GlobalSecurity's posting day), or None."""
    if not value or not re.fullmatch(r"\d{6}", value):
        return None
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    try:
        return date(2000 + yy if yy < 90 else 1900 + yy, mm, dd)
    except ValueError:
        return None


def day_first_date(value: str | None) -> date | None:
    """A DD/MM/YYYY date ("Date: 07/03/2020" on GlobalSecurity pages of the 2020s), or None."""
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)", (value or "").strip())
    if not m:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def match_source(line: str, sources: list[dict]) -> dict | None:
    """Agency (and distributor) named by a page's source line, from the profile's [[metadata.sources]]
    (first match; named groups of the pattern override the entry's constants), or None."""
    for entry in sources:
        m = re.search(entry["pattern"], line.strip())
        if m:
            found = {k: v for k, v in entry.items() if k != "pattern"}
            found.update({k: v.strip() for k, v in m.groupdict().items() if v})
            return found
    return None


def split_meta_lines(paragraphs: list[str], line_patterns: list[str], sources: list[dict],
                     limit: int = META_LINE_SEARCH) -> tuple[list[str], dict[str, str], list[str]]:
    r"""Metadata lines among the opening body lines (a source line "Korean Central News Agency of DPRK",
    a "Date: 07/03/2020" line): removed from the body. Returns (the rest, fields, the removed lines);
    a source line becomes field `source_line`, a line pattern's named groups become fields. Searching
    stops at the first line that is neither (the text has begun).

    >>> split_meta_lines(["KCNA", "Date: 07/03/2020", "Pyongyang, March 6 (KCNA) -- Text"],
    ...                  [r"^Date:\s*(?P<page_date>\d{2}/\d{2}/\d{4})$"], [{"pattern": "^KCNA$"}])
    (['Pyongyang, March 6 (KCNA) -- Text'], {'source_line': 'KCNA', 'page_date': '07/03/2020'}, ['KCNA', 'Date: 07/03/2020'])
    """
    compiled = [re.compile(p) for p in line_patterns]
    fields: dict[str, str] = {}
    removed: list[str] = []
    n = 0
    while n < min(limit, len(paragraphs)):
        line = paragraphs[n].replace("\u00a0", " ").strip()
        m = next((m for c in compiled if (m := c.search(line))), None)
        if m:
            fields.update({k: v.strip() for k, v in m.groupdict().items() if v and k not in fields})
        elif len(line) <= 120 and "source_line" not in fields and match_source(line, sources) is not None:
            fields["source_line"] = line
        else:
            break
        removed.append(paragraphs[n])
        n += 1
    return paragraphs[n:], fields, removed


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
SENTENCE_CLOSE = re.compile(r"[.!?。！？…\"'”’»)]\s*(?:-0-)?$")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]")
HEADLINE_WORDS = 20
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
        raise CleaningError(f"only page chrome found, no sentence of article text "
                            f"({len(paragraphs)} short line(s): {sample!r})")
    if words < ERROR_PAGE_WORDS and any(ERROR_PAGE.search(line) for line in [title] + paragraphs[:2]):
        raise CleaningError(f"error page served as a page (soft 404): {sample!r}")


def looks_like_site_name(title: str, sitename: str | None, url: str) -> bool:
    """A page <title> that names the site rather than the article: one word ("KCNA", "Home"), the
    site's own name, or a label of its host name. Old KCNA mirrors title every page "KCNA".

    >>> looks_like_site_name("KCNA", None, "http://www.kcna.co.jp/item/2003/200312/news12/13.htm")
    True
    >>> looks_like_site_name("Meeting Held by Residents", "KCNA", "http://www.kcna.co.jp/x.htm")
    False
    """
    words = title.split()
    host_labels = set((urlsplit(url).hostname or "").lower().split("."))
    return (len(words) <= 1 or title.strip().lower() == (sitename or "").strip().lower()
            or title.strip().lower() in host_labels)


def is_headline(line: str) -> bool:
    """A short line that does not end like a sentence: a headline, not running text."""
    text = line.strip()
    return 0 < len(text.split()) <= HEADLINE_WORDS and not SENTENCE_CLOSE.search(text) and " | " not in text


def headline_from_body(paragraphs: list[str]) -> str | None:
    """The article's headline when the page title only names the site: the headline-like line just
    above the first KCNA dateline (a mirror's page puts each item's headline there), else the first
    line if it is headline-like and running text follows it.

    >>> headline_from_body(["Home", "Talks Held", "Pyongyang, May 2 (KCNA) -- Talks were held here on Friday."])
    'Talks Held'
    """
    for i, paragraph in enumerate(paragraphs[:DATELINE_SEARCH + 1]):
        if parse_dateline(paragraph):
            return paragraphs[i - 1].strip() if i and is_headline(paragraphs[i - 1]) else None
    if len(paragraphs) > 1 and is_headline(paragraphs[0]) and not is_headline(paragraphs[1]):
        return paragraphs[0].strip()
    return None


# KCNA closes every item with " -0-" (the wire's end-of-item mark): structure, not text. Reposts drop it,
# so it is taken off (and logged) before the copies are compared.
END_MARK = re.compile(r"\s*-0-\s*$")
JUCHE_OFFSET = 1911  # Juche 1 = 1912, the year of Kim Il Sung's birth


def strip_end_mark(paragraphs: list[Tracked]) -> tuple[list[Tracked], bool]:
    """The paragraphs with KCNA's closing " -0-" mark taken off the last one (recorded as the repair
    "end-mark", so the served text keeps it), and whether it was there.

    >>> paras, found = strip_end_mark([Tracked("Pyongyang, May 27 (KCNA) -- Text."), Tracked("A last line. -0-")])
    >>> [p.text for p in paras], paras[-1].served, found
    (['Pyongyang, May 27 (KCNA) -- Text.', 'A last line.'], 'A last line. -0-', True)
    >>> strip_end_mark([Tracked("A score of 3-0-1 stays.")])[1]
    False
    """
    if not paragraphs:
        return paragraphs, False
    last = paragraphs[-1]
    m = END_MARK.search(last.text)
    if not m or re.search(r"\w-0-\s*$", last.text):
        return paragraphs, False
    last.replace(m.start(), m.end(), "", "end-mark")
    if not last.text.strip() and len(paragraphs) > 1:  # the mark stood alone: its paragraph folds away
        return fold_into_neighbour(paragraphs, len(paragraphs) - 1, "end-mark"), True
    return paragraphs, True


def own_page_date(parsed: dict[str, str]) -> date | None:
    """The page's own date from parsed `page_year`/`juche_year`, `page_month` (number or name), `page_day`.

    >>> own_page_date({"juche_year": "113", "page_month": "5", "page_day": "27"})
    datetime.date(2024, 5, 27)
    >>> own_page_date({"page_year": "2026", "page_month": "Feb", "page_day": "19"}), own_page_date({})
    (datetime.date(2026, 2, 19), None)
    """
    year = int(parsed["page_year"]) if parsed.get("page_year") else \
        int(parsed["juche_year"]) + JUCHE_OFFSET if parsed.get("juche_year") else None
    month = parsed.get("page_month") or ""
    month_number = int(month) if month.isdigit() else MONTHS.get(month[:3].lower())
    if not (year and month_number and parsed.get("page_day")):
        return None
    try:
        return date(year, month_number, int(parsed["page_day"]))
    except ValueError:
        return None


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
        source = sources[rule["field"]] if rule["field"] in sources else extracted.fields.get(rule["field"], "")
        m = re.search(rule["pattern"], source)
        if m:
            for name, value in {**m.groupdict(), **rule.get("set", {})}.items():
                if value is not None and name not in values:
                    values[name] = value.strip()
    return values


def _refuse_error_page(text: str, extracted: Extracted, profile: Profile | None) -> None:
    """Raise SoftNotFound when the page is an error page served as 200 (see cleaners.errorpages)."""
    # the site's own error wording: [extract] error_patterns and the [soft_404] patterns, one mechanism
    patterns = [*profile.extract.get("error_patterns", []), *(p.pattern for p in profile.soft_404)] if profile else []
    body_text = "\n".join(extracted.paragraphs)
    if not could_be_error_page(parse_source(text), body_text):
        return
    reason = error_page_reason(parse_html(text), body_text, patterns)
    if reason:
        raise SoftNotFound(reason)


def is_error_page(body: bytes, url: str, headers: Mapping[str, str] | None = None) -> str | None:
    """Why a captured page is an error page served as 200 (one line: "alert: 글이 존재하지 않습니다. …",
    "title: Page Not Found"), or None. For the crawl, which counts such a URL as gone; clean_page raises
    SoftNotFound with the same reason."""
    try:
        clean_page(body, url, headers=headers)
    except SoftNotFound as exc:
        return exc.reason
    except CleaningError:
        return None
    return None


def _only_chrome(paragraphs: list[str], profile: Profile | None) -> bool:
    """True when every extracted line is site chrome or a footer (copyright, maintainer, mailing list):
    what an extraction that missed the article returns. Never a document."""
    patterns = list(profile.chrome.get("footer_lines", [])) if profile else []
    patterns += [r"(?i)^copyright\b|^©|\ball rights reserved\b", r"(?i)^site maintained by\b",
                 r"(?i)mailing list|newsletter|subscribe"]
    compiled = [re.compile(p) for p in patterns]
    return bool(paragraphs) and all(any(c.search(p.strip()) for c in compiled) for p in paragraphs)


def _extract(text: str, profile: Profile | None) -> Extracted:
    """The article of a decoded page: the profile's selectors, else the generic extractor; error pages
    served as 200 raise SoftNotFound, pages of only footer and chrome CleaningError."""
    extracted = extract_with_profile(text, profile) if profile else None
    if extracted is not None and extracted.paragraphs and _only_chrome(extracted.paragraphs, profile):
        extracted = None  # the profile's body held only chrome: its markup is not the one the profile knows
    if extracted is None or not extracted.paragraphs:
        extracted = extract_generic(text, profile.chrome.get("lines", []) if profile else [],
                                    page_lines=profile is not None)
    _refuse_error_page(text, extracted, profile)
    if not extracted.paragraphs and extracted.dropped:
        raise CleaningError(f"no article text found: the page's text is only its footer and chrome "
                            f"({len(extracted.dropped)} chrome lines, {extracted.dropped[0][:60]!r} …)")
    if not extracted.paragraphs:
        raise CleaningError("no article text found on the page")
    if _only_chrome(extracted.paragraphs, profile):
        raise CleaningError("no article text found: the page's text is only its footer and chrome "
                            f"({extracted.paragraphs[0][:60]!r} …)")
    if extracted.method != "profile":
        refuse_chrome_only(extracted.paragraphs, extracted.title)
    return extracted


def extract_page(body: bytes, url: str, headers: Mapping[str, str] | None = None,
                 log: RepairLog | None = None) -> tuple[Profile | None, Extracted]:
    """Decode and extract one page, before any text repair: (its site profile, what extraction found).
    The paragraphs are the text as the site served it, the baseline every recorded repair starts from.
    Raises CleaningError when the page holds no article text, SoftNotFound for an error page served as 200."""
    log = log if log is not None else RepairLog()
    text, _ = decode_html(body, {k.lower(): v for k, v in (headers or {}).items()}, log)
    text = unfold_hostile_references(text).replace("\x0c", FORM_FEED_STAND_IN)
    text, removed = PARSE_HOSTILE.subn(" ", text)
    if removed:
        log.add("control-char", "page", ("control characters in the page", "spaces"), count=removed)
    profile = profile_for_url(url)
    try:
        extracted = _extract(text, profile)
    except RecursionError:
        # nesting the flattening did not undo (block tags thousands deep): refused, never half-read
        raise CleaningError("page nested too deeply to read safely (block elements thousands of levels deep)") from None
    restore = lambda value: value.replace(FORM_FEED_STAND_IN, "\x0c")  # noqa: E731
    extracted.paragraphs = [restore(p) for p in extracted.paragraphs]
    # a subject cut with "…" (GNUBoard 5.2) is the content's full subject: the page serves both
    extracted.title = uncut_subject(restore(extracted.title), extracted.paragraphs)
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
    Raises CleaningError (one line) for a page that cannot be cleaned, and its subclass SoftNotFound for
    an error page served as 200 (the crawl counts the URL as gone).
    """
    from cleaners import CLEANER_VERSION

    log = RepairLog()
    profile, extracted = extract_page(body, url, headers, log)
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

    if extracted.method != "profile" and looks_like_site_name(extracted.title, extracted.fields.get("sitename"), url):
        extracted.title = (headline_from_body(extracted.paragraphs) or extracted.fields.get("headline")
                           or extracted.title)
    subject = extracted.title
    headline = Tracked(served_headline(extracted, parsed))
    title = repair_tracked(headline, log, "title").text
    tracked, flags = repair_paragraphs_tracked([Tracked(p) for p in extracted.paragraphs], log, "body")
    paragraphs = [t.text for t in tracked]
    # the metadata lines leave the text, not the record: their served form is folded into the text
    paragraphs, _, meta_lines = split_meta_lines(paragraphs, meta_line_patterns, sources)
    for line in meta_lines:
        log.add("meta-line", "body", (line[:60], ""))
        if len(tracked) > 1:
            tracked = fold_into_neighbour(tracked, 0, "meta-line")
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
        raise CleaningError("no article text left after removing chrome")
    spans = document_spans(headline, tracked)

    # who published it: the page's own source line (profile [[metadata.sources]]), else the dateline's agency
    source = match_source(extracted.fields["source_line"], sources) if extracted.fields.get("source_line") else None
    agency = (source or {}).get("agency") or extracted.fields.get("source_line") or meta.get("agency") or None
    distributor = (source or {}).get("distributor") or parsed.get("distributor") or meta.get("distributor")
    doc_date, posted_at, place = None, None, meta.get("place")
    url_date = yymmdd_date(groups.get("yymmdd") or parsed.get("url_yymmdd"))
    page_date = day_first_date(extracted.fields.get("page_date"))
    dateline = find_dateline(paragraphs)
    if dateline:
        place = dateline["place"]
        agency = agency or AGENCIES.get(dateline["agency"])
        # month and day from the dateline; the year from the dateline itself, else the date nearest to the
        # page's own date (the file name's posting day, a "Date:" line), else the URL's year folder, the
        # page's date field, or, failing all of these, the capture (flagged: a repost may be years younger)
        reference = url_date or page_date or own_date
        year = dateline["year"] or (None if reference else (year_from_url(groups, url) or _year_from(extracted.fields.get("date"))))
        if dateline["year"] is None and reference:
            nearest = closest_year(dateline["month"], dateline["day"], reference)
            year = nearest.year if nearest else None
        if year is None and _year_from((capture or {}).get("captured_at")):
            year = _year_from(capture["captured_at"])
            flags.append("date-year-from-capture")
        try:
            doc_date = date(year, dateline["month"], dateline["day"]).isoformat() if year else None
        except ValueError:
            flags.append("date-invalid")
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


def _year_from(value: str | None) -> int | None:
    m = re.match(r"((?:19|20)\d\d)", value or "")
    return int(m.group(1)) if m else None


def render_text(doc: Document) -> str:
    """The document as plain text: title, a line of metadata, then the paragraphs."""
    meta = " | ".join(str(v) for v in (doc.date, doc.place, doc.agency or doc.series, doc.source_url) if v)
    flags = f"\n[{', '.join(doc.flags)}]" if doc.flags else ""
    return f"{doc.title}\n{meta}\n\n" + "\n\n".join(doc.paragraphs) + flags + "\n"
