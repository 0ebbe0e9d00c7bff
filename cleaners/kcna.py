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
    r"(?:,?\s+(?P<year>(?:19|20)\d\d))?(?:,?\s+Juche\s+\d{1,3}(?:\s*\((?P<juche_ad>(?:19|20)\d\d)\))?)?"
    r"\s*\((?P<agency>KCNA|KNS|KNS-KCNA|KCNA-KNS)\)\s*(?:--|—|–|-|:)?\s*")


AGENCIES = {"KCNA": "Korean Central News Agency (KCNA)", "KNS": "Korea News Service (KNS)",
            "KNS-KCNA": "Korean Central News Agency (KCNA)", "KCNA-KNS": "Korean Central News Agency (KCNA)",
            "Rodong Sinmun": "Rodong Sinmun"}


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
    sources = [*sources, *SOURCE_LINES]
    fields: dict[str, str] = {}
    removed: list[str] = []
    skipped: list[int] = []
    n = 0
    while n < min(limit, len(paragraphs)):
        line = paragraphs[n].replace("\u00a0", " ").strip()
        m = next((m for c in compiled if (m := c.search(line))), None)
        if m:
            fields.update({k: v.strip() for k, v in m.groupdict().items() if v and k not in fields})
        elif len(line) <= 120 and "source_line" not in fields and match_source(line, sources) is not None:
            fields["source_line"] = line
        elif "date_line" not in fields and (stated := date_line(line)) is not None:
            fields["date_line"] = stated.isoformat()
        elif is_short_line(line) and n + 1 < len(paragraphs) and not skipped:
            skipped.append(n)  # a headline above the metadata lines: kept, and the search goes on below it
            n += 1
            continue
        else:
            break
        removed.append(paragraphs[n])
        n += 1
    rest = [p for i, p in enumerate(paragraphs[:n]) if i in skipped] + paragraphs[n:]
    return rest, fields, removed


# KCNA's datelines in its Korean and Chinese services: "(평양 6월 27일발 조선중앙통신)", "【평양 6월 27일발
# 조선중앙통신】", "（朝中社平壤7月14日电）", "据朝中社平壤7月14日电".
KOREAN_DATELINE = re.compile(r"^[(\[【（]?\s*(?P<place>[\uac00-\ud7a3]{2,6})\s*(?P<month>\d{1,2})\s*월\s*(?P<day>\d{1,2})\s*일\s*발?"
                             r"\s*(?P<agency>조선중앙통신|로동신문)\s*[)\]】）]?\s*")
CHINESE_DATELINE = re.compile(r"^[(\[【（]?\s*(?:据)?(?P<agency>朝中社|朝鲜中央通讯社|朝鮮中央通訊社)\s*(?P<place>[\u4e00-\u9fff]{2,4}?)\s*"
                              r"(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日\s*[电電]\s*[)\]】）]?\s*")
CJK_AGENCIES = {"조선중앙통신": "KCNA", "로동신문": "Rodong Sinmun", "朝中社": "KCNA", "朝鲜中央通讯社": "KCNA",
                "朝鮮中央通訊社": "KCNA"}


def parse_dateline(paragraph: str) -> dict | None:
    """Place, month, day, agency (and the year, when the dateline gives one) from a KCNA dateline, or None.

    >>> parse_dateline("Pyongyang, September 14 (KCNA) -- Upon the lapse of sixty-five years")
    {'place': 'Pyongyang', 'month': 9, 'day': 14, 'agency': 'KCNA', 'year': None}
    >>> parse_dateline("Pyongyang, 3 Sept., 2012 (KNS-KCNA) -- The")["month"], parse_dateline("Phnom Penh, May 2 (KCNA) --")["place"]
    (9, 'Phnom Penh')
    >>> parse_dateline("In the past, communists and revolutionary people") is None
    True
    >>> parse_dateline("(평양 6월 27일발 조선중앙통신)위대한 수령 김일성동지의 로작들을")["month"], parse_dateline("朝中社平壤7月14日电 朝鲜")["day"]
    (6, 14)
    >>> parse_dateline("Pyongyang, July 14, Juche 113 (2024) (KCNA) -- Text")["year"]
    2024
    """
    m = KCNA_DATELINE.match(paragraph)
    if not m:
        m = KOREAN_DATELINE.match(paragraph) or CHINESE_DATELINE.match(paragraph)
        if not m:
            return None
        return {"place": m.group("place"), "month": int(m.group("month")), "day": int(m.group("day")),
                "agency": CJK_AGENCIES[m.group("agency")], "year": None}
    month = (m.group("month") or m.group("month_after"))[:3].lower()
    if month not in MONTHS:
        return None
    year = m.group("year") or m.group("juche_ad")
    return {"place": m.group("place"), "month": MONTHS[month], "day": int(m.group("day") or m.group("day_first")),
            "agency": m.group("agency"), "year": int(year) if year else None}


def dateline_date(dateline: dict, reference: date | None, fallback_year: int | None,
                  capture_year: int | None) -> tuple[str | None, list[str]]:
    """The article's date from its dateline: (ISO date or None, flags). Month and day come from the
    dateline; the year from the dateline itself, else the year that puts the date nearest `reference` (the
    file name's posting day, a "Date:" line, the page's own date: a repost is dated a day or two later),
    else `fallback_year` (the URL's year folder, the page's date field), else the capture's year, flagged
    "date-year-from-capture" (a repost may be years younger than its article).

    >>> dateline_date({"month": 12, "day": 31, "year": None}, date(2005, 1, 2), None, None)
    ('2004-12-31', [])
    >>> dateline_date({"month": 7, "day": 14, "year": None}, None, None, 2024)
    ('2024-07-14', ['date-year-from-capture'])
    """
    flags: list[str] = []
    year = dateline["year"] or (None if reference else fallback_year)
    if dateline["year"] is None and reference:
        nearest = closest_year(dateline["month"], dateline["day"], reference)
        year = nearest.year if nearest else None
    if year is None and capture_year:
        year = capture_year
        flags.append("date-year-from-capture")
    try:
        return (date(year, dateline["month"], dateline["day"]).isoformat() if year else None), flags
    except ValueError:
        return None, flags + ["date-invalid"]


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


def _key(text: str) -> str:
    return "".join(filter(str.isalnum, text.lower()))


def looks_like_site_name(title: str, sitename: str | None, url: str) -> bool:
    """A page <title> that names the site rather than the article: one word ("KCNA", "Home"), the
    site's own name, or its host name's label ("Juche Korea News" on juche-korea-news.blogspot.com).
    Old KCNA mirrors title every page "KCNA".

    >>> looks_like_site_name("Juche Korea News", None, "http://juche-korea-news.blogspot.com/2012/03/x.html")
    True
    >>> looks_like_site_name("Global Security .org", None, "https://www.globalsecurity.org/wmd/x.htm")
    True

    >>> looks_like_site_name("KCNA", None, "http://www.kcna.co.jp/item/2003/200312/news12/13.htm")
    True
    >>> looks_like_site_name("Meeting Held by Residents", "KCNA", "http://www.kcna.co.jp/x.htm")
    False
    """
    words = title.split()
    host = (urlsplit(url).hostname or "").lower()
    host_labels = {_key(label) for label in host.split(".")} | {_key(host.removeprefix("www."))}
    one_word = len(words) <= 1 and len(CJK_CHAR.findall(title)) < 5  # Chinese and Korean titles need no spaces
    return (one_word or _key(title) == _key(sitename or "-")
            or _key(title) in host_labels)


def is_short_line(line: str) -> bool:
    """A line too short to be running text: a headline, a label, a heading (whatever its last character:
    KCNA headlines end in "!" and weeklies' in ")").

    >>> is_short_line("Let Us Defend the Soviet Union with Arms!"), is_short_line("Pyongyang, May 2 (KCNA) -- " + "word " * 20)
    (True, False)
    """
    text = line.strip()
    return 0 < max(len(text.split()), len(CJK_CHAR.findall(text)) // 3) <= HEADLINE_WORDS


CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]")


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
    def headline(line: str) -> bool:  # a date line or a source line above the text is metadata, no headline
        return is_headline(line) and date_line(line) is None and match_source(line, SOURCE_LINES) is None

    for i, paragraph in enumerate(paragraphs[:DATELINE_SEARCH + 1]):
        if parse_dateline(paragraph):
            return paragraphs[i - 1].strip() if i and headline(paragraphs[i - 1]) else None
    if len(paragraphs) > 1 and headline(paragraphs[0]) and not is_headline(paragraphs[1]):
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


# --- date lines: a line that only states the page's date is metadata, never body text ---------------

MONTH_NAME = r"(?P<month_name>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
WEEKDAY = r"(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?|[월화수목금토일]요일|星期[一二三四五六日天]"
# The forms a page states its date in (every group name is read by _date_of): ISO and dotted
# ("2024-07-14", "2024.7.14."), day first ("14/12/2019": GlobalSecurity's "Date:" lines), English
# ("July 14, 2024", "14 July 2024", "Sept. 14. 2010"), Korean ("2013년 2월 11일", "주체102(2013)년 2월 11일"),
# Chinese ("2012年4月12日"), Juche dotted ("Juche113.5.27.").
DATE_EXPRESSIONS = (
    r"(?:주체\s*\d{1,3}\s*\(\s*)?(?P<year_ko>(?:19|20)\d\d)\s*\)?\s*년\s*(?P<month_ko>\d{1,2})\s*월\s*(?P<day_ko>\d{1,2})\s*일",
    r"(?P<year_zh>(?:19|20)\d\d)\s*年\s*(?P<month_zh>\d{1,2})\s*月\s*(?P<day_zh>\d{1,2})\s*[日号]",
    r"Juche\s*(?P<juche>\d{2,3})\s*\.\s*(?P<month_j>\d{1,2})\s*\.\s*(?P<day_j>\d{1,2})\.?",
    r"(?P<year>(?:19|20)\d\d)\s*[-./]\s*(?P<month>\d{1,2})\s*[-./]\s*(?P<day>\d{1,2})\.?",
    r"(?P<day_f>\d{1,2})\s*/\s*(?P<month_f>\d{1,2})\s*/\s*(?P<year_f>(?:19|20)\d\d)",
    MONTH_NAME + r"\s+(?P<day_n>\d{1,2})(?:st|nd|rd|th)?[.,]?\s+(?P<year_n>(?:19|20)\d\d)",
    MONTH_NAME.replace("month_name", "month_name3") + r"\s+(?P<day_n3>\d{1,2}),?\s+Juche\s*\d{1,3}\s*\(\s*(?P<year_n3>(?:19|20)\d\d)\s*\)",
    r"Juche\s*\d{1,3}\s*\(\s*(?P<year_n4>(?:19|20)\d\d)\s*\)\s*" + MONTH_NAME.replace("month_name", "month_name4")
    + r"\s+(?P<day_n4>\d{1,2})",
    r"(?P<day_n2>\d{1,2})\s+" + MONTH_NAME.replace("month_name", "month_name2") + r",?\s+(?P<year_n2>(?:19|20)\d\d)",
)
DATE_EXPRESSION = re.compile("|".join(f"(?:{e})" for e in DATE_EXPRESSIONS), re.IGNORECASE)
# What may stand around the date on a date line: labels ("Date:", "Posted :", "입력", "发布时间：", the
# kcna.co.jp calendar box's "calendar>>"), weekdays, times, Juche years, separators, a second dated label.
DATE_LINE_REST = re.compile(
    r"(?i)\b(?:date|dated|posted|updated|published|modified|last updated|issued|time|on|calendar)\b|>>|"
    r"입력|수정|등록|작성일|승인|발행|기사입력|최종수정|发布时间|發佈時間|发布|發佈|时间|時間|日期|来源|"
    r"\b(?:KCNA|KNS|Korean Central News Agency(?: of DPRK)?|Rodong Sinmun|Pyongyang Times|Minju Joson)\b|"
    r"조선중앙통신|로동신문|朝中社|"
    r"\bjuche\s*\d{1,3}\b|\(\s*(?:19|20)\d\d\s*\)|" + WEEKDAY +
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AP]\.?M\.?|KST|UTC|GMT|ZULU)?\b|[|:：,\-–—/()\[\]·•]|\s+")


def _date_of(m: re.Match) -> date | None:
    g = {k: v for k, v in m.groupdict().items() if v}
    try:
        if "year_ko" in g:
            return date(int(g["year_ko"]), int(g["month_ko"]), int(g["day_ko"]))
        if "year_zh" in g:
            return date(int(g["year_zh"]), int(g["month_zh"]), int(g["day_zh"]))
        if "juche" in g:
            return date(int(g["juche"]) + JUCHE_OFFSET, int(g["month_j"]), int(g["day_j"]))
        if "year" in g:
            return date(int(g["year"]), int(g["month"]), int(g["day"]))
        if "year_f" in g:
            return date(int(g["year_f"]), int(g["month_f"]), int(g["day_f"]))
        name = g.get("month_name") or g.get("month_name2") or g.get("month_name3") or g.get("month_name4")
        return date(int(g.get("year_n") or g.get("year_n2") or g.get("year_n3") or g["year_n4"]),
                    MONTHS[name[:3].lower()], int(g.get("day_n") or g.get("day_n2") or g.get("day_n3") or g["day_n4"]))
    except (KeyError, ValueError):
        return None


def date_line(line: str) -> date | None:
    """The date a line states when the line is only a date line (a label, a date, a weekday, a time,
    a Juche year): "Date: 14/12/2019", "Posted : 2024.07.14 09:12 | Updated : …", "입력 2013.02.11 08:27",
    "주체102(2013)년 2월 11일", "2012年4月12日 08:57", "Thursday, March 1, 2012", "calendar>> September 14.
    2010 Juche 99". None for a line of text that mentions a date.

    >>> date_line("Date: 14/12/2019"), date_line("주체102(2013)년 2월 11일"), date_line("2012年4月12日 08:57")
    (datetime.date(2019, 12, 14), datetime.date(2013, 2, 11), datetime.date(2012, 4, 12))
    >>> date_line("calendar>> September 14. 2010 Juche 99"), date_line("Monday, June 2, 2020")
    (datetime.date(2010, 9, 14), datetime.date(2020, 6, 2))
    >>> date_line("July 14, Juche 113 (2024)"), date_line("Juche 113 (2024) August 1 Thursday")
    (datetime.date(2024, 7, 14), datetime.date(2024, 8, 1))
    >>> date_line("He was born on April 15, 1912 in Mangyongdae.") is None
    True
    >>> date_line("송고시간 2011-06-27 10:12"), date_line("Mangyongdae April 15, 1912 birth") is None
    (datetime.date(2011, 6, 27), True)
    """
    text = line.replace("\u00a0", " ").strip()
    if not text or len(text) > 90:
        return None
    found = list(DATE_EXPRESSION.finditer(text))
    if not found:
        return None
    rest = DATE_LINE_REST.sub(" ", DATE_EXPRESSION.sub(" ", text)).split()
    # what is left: nothing (or a stray letter), or one label of the site's own before the date
    # ("송고시간 2011-06-27 10:12", "Issued 14/12/2019")
    label = len(rest) == 1 and len(rest[0]) <= 10 and text.startswith(rest[0])
    if len("".join(rest)) > 3 and not label:
        return None
    return _date_of(found[0])


# A weekly's title names the week it covers: "North Korea Weekly (December 28, 2009 ~ January 3, 2010)",
# "(November 29 - December 5, 2004)". The weekly is dated by the last day of that week.
WEEK_RANGE = re.compile(
    r"\((?:" + MONTH_NAME.replace("month_name", "m1") + r"\s+(?P<d1>\d{1,2})(?:,\s*(?P<y1>(?:19|20)\d\d))?)\s*[~\-–—]\s*"
    r"(?:" + MONTH_NAME.replace("month_name", "m2") + r"\s+)?(?P<d2>\d{1,2}),?\s*(?P<y2>(?:19|20)\d\d)\)", re.IGNORECASE)


def week_end_date(title: str) -> date | None:
    """The last day of the week a weekly's title names, or None.

    >>> week_end_date("North Korea Weekly (December 28, 2009 ~ January 3, 2010)")
    datetime.date(2010, 1, 3)
    >>> week_end_date("Major Weekly Developments in North Korea (November 29 - December 5, 2004)")
    datetime.date(2004, 12, 5)
    """
    m = WEEK_RANGE.search(title)
    if not m:
        return None
    month = (m.group("m2") or m.group("m1"))[:3].lower()
    try:
        return date(int(m.group("y2")), MONTHS[month], int(m.group("d2")))
    except (KeyError, ValueError):
        return None


# --- source and agency lines, wherever they stand ----------------------------------------------------

# Lines naming who published the text (GlobalSecurity's "Korean Central News Agency of DPRK via Korea News
# Service (KNS)", a repost's "Source: KCNA", the NIS weeklies' "ROK National Intelligence Service",
# Rodong Sinmun's closing signature): metadata, whatever markup holds them. A profile's own
# [[metadata.sources]] are tried first.
SOURCE_LINES = [
    {"pattern": r"^(?:Source\s*:\s*)?\(?(?:KCNA|Korean Central News Agency(?: of (?:the )?DPRK)?)\)?(?:\s+via\s+(?P<distributor>.+?))?\s*$",
     "agency": "Korean Central News Agency (KCNA)"},
    {"pattern": r"^(?:Source\s*:\s*)?(?:ROK |Republic of Korea )?National Intelligence Service\s*$",
     "agency": "ROK National Intelligence Service"},
    {"pattern": r"^(?:Source\s*:\s*)?\(?(?:Rodong Sinmun|Rodong Sinmnun)\)?\s*$", "agency": "Rodong Sinmun"},
    {"pattern": r"^(?:출처\s*[:：]?\s*)?[(\[【]?(?:조선중앙통신|로동신문)[)\]】]?$", "agency": "Korean Central News Agency (KCNA)"},
    {"pattern": r"^(?:来源\s*[:：]?\s*)?(?:朝中社|朝鲜中央通讯社|朝鮮中央通訊社)$", "agency": "Korean Central News Agency (KCNA)"},
]


def page_date_line(page_lines: list[str], first_line: str, before: int = 12) -> date | None:
    """The date a page states on a line of its own near the article (above it, as portals, blogs and the
    kcna.co.jp calendar box set it): the date line nearest above the article's first line, else one of
    its first lines."""
    probe = " ".join(first_line.split())[:30]
    start = next((i for i, line in enumerate(page_lines) if probe and probe in " ".join(line.split())), None)
    if start is None:
        return None
    for line in [*reversed(page_lines[max(0, start - before):start]), *page_lines[start:start + 3]]:
        found = date_line(line)
        if found:
            return found
    return None


BOOK_HEADING = re.compile(r"(?i)^(?:volume|vol\.|book|part|chapter|제\s*\d+\s*(?:권|부|장))\s*[\dIVXLC]*\.?$|^제\s*\d+\s*(?:권|부|장)$")
SECTION_NUMBER = re.compile(r"^\d{1,2}\.\s+(?=\S)")


def usable_headline(text: str, url: str, sitename: str | None) -> bool:
    """A heading that can be the article's title: not the site's name, a date line, a source line or a
    book/part/chapter heading ("Volume 2", "Chapter 4"), and short enough for a headline."""
    text = text.strip()
    return bool(text) and len(text) <= 200 and len(text.split()) <= 30 and \
        not looks_like_site_name(text, sitename, url) and date_line(text) is None and \
        match_source(text, SOURCE_LINES) is None and not BOOK_HEADING.match(text)


def choose_headline(title: str, headings: list[str], page_title: str, sitename: str | None, url: str,
                    paragraphs: list[str], layout_headline: str = "") -> str:
    """The article's headline on a page without a profile: of the headings above the text, the nearest
    one that <title> also names, else the nearest one (the site's name and section labels stand above
    it), a leading section number ("7. ") taken off; when no heading is usable, the extractor's title
    unless it only names the site, then the line above the dateline.

    >>> choose_headline("Juche Korea News", ["Juche Korea News", "Talks Held"], "Juche Korea News", None,
    ...                 "http://juche-korea-news.blogspot.com/p.html", [])
    'Talks Held'
    """
    usable = [SECTION_NUMBER.sub("", h) for h in headings if usable_headline(h, url, sitename)]
    if usable:
        named = [h for h in usable if _key(h) and _key(h) in _key(page_title)]
        if named and len(usable) > 1 and named == usable[:1] and _key(named[0]) == _key(page_title):
            named = []  # <title> is only the first heading, the site's (a blog's name): not the headline
        return (named or usable)[-1]
    if looks_like_site_name(title, sitename, url):
        return headline_from_body(paragraphs) or layout_headline or title
    return title


def split_front_matter(paragraphs: list[str], title: str, limit: int = 8) -> tuple[list[str], list[str]]:
    """Lines above the article's text that only frame it: the site's heading, a section label, a book's
    author/title/volume/chapter lines above a memoir chapter ("KIM IL SUNG", "WITH THE CENTURY", "Volume
    2", "Chapter 4"), up to and including the headline's own line. Only short lines that do not read as
    sentences, and only when the headline stands among the opening lines (or they are book headings).
    Returns (those lines, the rest).

    >>> split_front_matter(["KIM IL SUNG", "Volume 2", "Chapter 4", "Before and after August 1, 1930, the factionalists rose."], "The Summer of 1930")
    (['KIM IL SUNG', 'Volume 2', 'Chapter 4'], ['Before and after August 1, 1930, the factionalists rose.'])
    """
    key = _key(SECTION_NUMBER.sub("", title))
    head = paragraphs[:limit]
    at = next((i for i, p in enumerate(head) if key and _key(SECTION_NUMBER.sub("", p)) == key), None)
    if at is not None and all(is_headline(p) for p in head[:at]):
        return paragraphs[:at + 1], paragraphs[at + 1:]
    n = 0
    while n < len(head) and is_headline(head[n]) and (BOOK_HEADING.match(head[n].strip()) or
                                                       (head[n].isupper() and len(head[n].split()) <= 5)):
        n += 1
    if n and any(BOOK_HEADING.match(p.strip()) for p in head[:n]):
        return paragraphs[:n], paragraphs[n:]
    return [], paragraphs


# What DPRK state media repeats in many articles on purpose: the leaders' names and titles, the party and
# state, and the slogans. A line holding one is text, however often it recurs (cleaners.template's guard).
PROTECTED = re.compile(
    r"(?i)\bKim (?:Il Sung|Jong Il|Jong Un|Jong Suk|Yo Jong)\b|김일성|김정일|김정은|김정숙|金日成|金正日|金正恩|"
    r"\bJuche\b|\bSongun\b|\bWorkers' Party\b|\bWPK\b|\bDPRK\b|\bLong live\b|만세|주체|선군|로동당|"
    r"\bgeneral secretary\b|\bsupreme leader\b|\bgreat leader\b|\brespected\b|\bcomrade\b|\bmotherland\b")
