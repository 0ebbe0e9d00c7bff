"""Fuzzing the cleaner: no exception escapes clean_page except CleaningError, whatever the bytes.

Hundreds of generated pages and byte strings run here; `bench/fuzz.py` runs tens of thousands.
"""

from __future__ import annotations

import os
from pathlib import Path

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


# Real pages of every site with a profile (and one without), to scatter hostile characters through
FIXTURES = Path(__file__).parent / "fixtures"
REAL_PAGES = [
    ("sites/kcnakp-kim-yo-jong-2024-07-14.html", "http://www.kcna.kp/en/article/q/134a0eb1839cb01381c703e99144182116b5c41fea8bd4fb75e6da9cf995125e.kcmsf"),
    ("sites/kcnakp-review-of-rodong-sinmun-2024-05-27.html", "http://www.kcna.kp/en/article/detail/5d2f0c1e9a7b4c3d8e6f1a2b3c4d5e6f"),
    ("sites/rodong-new-houses-haeju-2024-08-01.html", "http://www.rodong.rep.kp/en/index.php?MTJAMjAyNC0wOC0wMS1IMDA1QDE1QDFAQDBAMg=="),
    ("generic/kcna-co-jp-2010-09-14.html", "http://www.kcna.co.jp/item/2010/201009/news14/20100914-01ee.html"),
    ("globalsecurity/kcna-2003-several-items-one-headline.html",
     "https://www.globalsecurity.org/wmd/library/news/dprk/2003/dprk-031213-kcna01.htm"),
]
HOSTILE_BYTES = [b"\x00", b"\x01", b"\x0b", b"\x0c", b"\x1f", b"\x7f", b"\xff", b"\xfe", b"\xc3", b"\xed\xa0\x80",
                 "\ufffe".encode(), "\uffff".encode(), b"&#0;", b"&#1;", b"&#x1F;", b"&#x1f", b"&#12;", b"&#xFFFE;",
                 b"&#65535;", b"&#xd800;", b"<\x00p>", b"<p title='\x0b'>", b"<a href='\x01'>x</a>", b"\xef\xbb\xbf"]


@st.composite
def real_pages_with_hostile_bytes(draw) -> tuple[bytes, str]:
    name, url = draw(st.sampled_from(REAL_PAGES))
    body = bytearray((FIXTURES / name).read_bytes())
    for _ in range(draw(st.integers(1, 12))):
        position = draw(st.integers(0, len(body)))
        body[position:position] = draw(st.sampled_from(HOSTILE_BYTES))
    return bytes(body), url


@settings(max_examples=max(300, EXAMPLES // 5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(real_pages_with_hostile_bytes())
def test_real_pages_with_nuls_controls_and_bad_utf8_raise_only_cleaning_error(case):
    check(*case)


def test_a_character_reference_to_a_control_in_a_dropped_elements_tail_is_cleaned():
    """The path the fuzz found: a kcna.kp page whose profile drops an element, with "&#x1F;" (or a raw
    U+FFFE) in the text after it; lxml refused the re-set tail with ValueError out of clean_page."""
    page = (FIXTURES / "sites/kcnakp-kim-yo-jong-2024-07-14.html").read_bytes()
    url = REAL_PAGES[0][1]
    clean = cleaners.clean_page(page, url)
    for hostile in (b"&#x1F;", b"&#1;", "\ufffe".encode(), b"&#xFFFF;"):
        body = page.replace(b"</h1>", b"</h1>" + hostile, 1).replace(b"</script>", b"</script>" + hostile)
        doc = cleaners.clean_page(body, url)
        assert doc.paragraphs == clean.paragraphs and doc.title == clean.title
        assert "control-char" in {r["rule"] for r in doc.repairs}
