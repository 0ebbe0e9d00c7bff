"""Fuzzing the cleaner: no exception escapes clean_page except CleaningError, whatever the bytes.

Hundreds of generated pages and byte strings run here; `bench/fuzz.py` runs tens of thousands.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cleaners
from core.document import Document

# bench/fuzz.py raises this for long runs (tens of thousands); the suite runs 200 of each kind, enough to
# keep every property exercised on each run without spending minutes of the suite on chance
EXAMPLES = int(os.environ.get("KCORPUS_FUZZ_EXAMPLES", "200"))
URLS = st.sampled_from([
    "https://kancc.org/bbs/board.php?bo_table=heigo&wr_id=504",
    "https://www.globalsecurity.org/wmd/library/news/dprk/2010/dprk-100914-kcna01.htm",
    "https://unknown.example/kcna/2012/article.html",
])
TAGS = st.sampled_from(["p", "div", "td", "h1", "span", "br", "pre", "title", "script", "table", "li", "article"])
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.sampled_from(
    ["Soviet\\union", "workers\\and", "rom 1932", "cir-cumstances", "&rsquo;", "&xxe;", "\x0c", "\u00a0",
     "Pyongyang, September 14 (KCNA) -- ", "UNITED24 - Make a charitable donation", "페이스북으로 보내기"])


@st.composite
def pages(draw) -> bytes:
    """Random, often broken, HTML built from the sites' own ids and the seeds' corruption."""
    parts = ["<html><head><meta charset='" + draw(st.sampled_from(["utf-8", "iso-8859-1", "euc-kr", "bogus"])) + "'>"]
    for _ in range(draw(st.integers(0, 30))):
        tag = draw(TAGS)
        attr = draw(st.sampled_from(["", " id='bo_v_con'", " id='content'", " class='u24-banner'", " id='bo_v_info'"]))
        parts.append(f"<{tag}{attr}>{draw(TEXT)}" + (f"</{tag}>" if draw(st.booleans()) else ""))
    html = "".join(parts)
    encoding = draw(st.sampled_from(["utf-8", "cp1252", "euc-kr", "utf-16"]))
    return html.encode(encoding, errors="replace")


def check(body: bytes, url: str) -> None:
    try:
        doc = cleaners.clean_page(body, url)
    except cleaners.CleaningError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(doc, Document) and doc.paragraphs and all(p.strip() for p in doc.paragraphs)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages(), URLS)
def test_generated_pages_never_raise_anything_but_cleaning_error(body, url):
    check(body, url)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), URLS)
def test_arbitrary_bytes_never_raise_anything_but_cleaning_error(body, url):
    check(body, url)
