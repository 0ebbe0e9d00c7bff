"""The text conventions of DPRK state media and its mirrors, for every site, profiled or not: datelines
("Pyongyang, September 14 (KCNA) --"), Juche years, day-first and Korean/Chinese date lines, agency and
source lines, KCNA's "-0-" end mark, and the headline a page sets above its dateline.

A convention that holds beyond one site lives here, never in one site's profile (design.md, "Reading a page").
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from cleaners.tracked import Tracked, fold_into_neighbour

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


# A repost that states the article's own date in its text: "(KCNA - August 15, 2019)", "(KCNA, Aug. 15, 2019)",
# "(Rodong Sinmun, 15 August 2019)". The blog's own post date is then the repost's, not the article's.
STATED_DATE = re.compile(
    r"\((?P<source>KCNA|KNS|Rodong Sinmun|Minju Joson|Uriminzokkiri|Naenara|Pyongyang Times)\s*(?:[-–—,:]\s*)"
    r"(?:(?P<month>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2})|(?P<day_first>\d{1,2})\s+(?P<month_after>[A-Z][a-z]{2,8})\.?)"
    r",?\s+(?P<year>(?:19|20)\d\d)\)")


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


SENTENCE_CLOSE = re.compile(r"[.!?。！？…\"'”’»)]\s*(?:-0-)?$")


HEADLINE_WORDS = 20


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
