"""Every era, board and kind of page of the real sites, from real public text (tests/fixtures/README.md).

The expectations are data (tests/fixtures/cases.json, after trafilatura's evaluation set): per page, the
snippets that must be kept, those that must be gone, the metadata expected, or the error expected.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaners import CleaningError, clean_page
from cleaners.decode import decode_html
from cleaners.errors import SoftNotFound
from cleaners.legacy import decode_kps9566, repair_latin1_cjk, sniff_legacy_page
from cleaners.repairs import RULES_BY_NAME

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = [(site, case) for site, cases in json.loads((FIXTURES / "cases.json").read_text(encoding="utf-8")).items()
         for case in cases]


def _value(doc, dotted: str):
    if dotted.startswith("extra."):
        return doc.extra.get(dotted[len("extra."):])
    return getattr(doc, dotted)


@pytest.mark.parametrize("site,case", CASES, ids=[f"{s}/{c['file']}" for s, c in CASES])
def test_real_page_of_each_era_and_board(site, case):
    body = (FIXTURES / site / case["file"]).read_bytes()
    if case.get("error"):
        with pytest.raises(SoftNotFound) as raised:
            clean_page(body, case["url"], headers=case["headers"])
        assert raised.value.reason
        return
    doc = clean_page(body, case["url"], headers=case["headers"])
    text = doc.title + "\n" + "\n".join(doc.paragraphs) + "\n"
    body_text = "\n".join(doc.paragraphs) + "\n"
    for snippet in case["keep"]:
        assert snippet in text, f"lost: {snippet!r}"
    for snippet in case["gone"]:
        assert snippet not in body_text, f"left in the body: {snippet!r}"
    for name, expected in case.get("meta", {}).items():
        assert _value(doc, name) == expected, name
    for name, unexpected in case.get("not_meta", {}).items():
        assert _value(doc, name) != unexpected, name
    if "paragraphs" in case:
        assert len(doc.paragraphs) == case["paragraphs"]
    logged = {r["rule"] for r in doc.repairs}
    for rule in case.get("repairs", []):
        assert rule in logged


def test_soft_not_found_is_a_cleaning_error_the_crawl_can_tell_apart():
    """The crawl catches CleaningError; SoftNotFound is the subclass it counts as gone."""
    assert issubclass(SoftNotFound, CleaningError)
    body = (FIXTURES / "kancc" / "soft-404-gnuboard-alert.html").read_bytes()
    with pytest.raises(SoftNotFound, match="글이 존재하지 않습니다"):
        clean_page(body, "https://kancc.org/bbs/board.php?bo_table=news&wr_id=1")


def test_an_article_quoting_page_not_found_is_still_an_article():
    page = ("<html><head><title>KCNA on Internet Blocking</title></head><body><table><tr><td id='content'>"
            "<h1>KCNA on Internet Blocking</h1><p>Pyongyang, March 3 (KCNA) -- Readers in south Korea who try to open "
            "the site see only the message \"Page Not Found\", the commentary says, calling the blocking of the "
            "site a fascist act that no one can justify and a crime against the freedom of the press.</p>"
            "</td></tr></table></body></html>").encode()
    doc = clean_page(page, "https://www.globalsecurity.org/wmd/library/news/dprk/2005/dprk-050304-kcna01.htm")
    assert "Page Not Found" in doc.paragraphs[0]


def test_a_page_of_only_footer_is_refused_with_a_reason():
    page = ("<html><head><title>x</title></head><body><p>Copyright &copy; 2000-2004 GlobalSecurity.org "
            "All rights reserved.</p><p>Site maintained by: John Pike</p></body></html>").encode()
    with pytest.raises(CleaningError, match="footer"):
        clean_page(page, "https://www.globalsecurity.org/wmd/library/news/dprk/2004/08/dprk-040802-kcna03.htm")


# --- legacy encodings: real text, encoded the way the legacy pages held it -----------------------------

KCNA_KO = ("(평양 6월 27일발 조선중앙통신)위대한 수령 김일성동지의 로작들을 년대순에 따라 체계적으로, 전면적으로 "
           "수록하는 영생불멸의 주체사상의 총서인 《김일성전집》 제95권을 조선로동당출판사에서 출판하였다.")


def _kps(text: str) -> bytes:
    from kps9566.kps9566_mapping import kps9566_mapping
    return b"".join(kps9566_mapping[c] if c in kps9566_mapping else c.encode("ascii") for c in text)


def test_kps9566_page_decodes_when_declared_and_when_undeclared():
    page = b"<html><head><meta charset=\"KPS9566\"></head><body><p>" + _kps(KCNA_KO) + b"</p></body></html>"
    assert KCNA_KO in decode_html(page)[0]
    undeclared = page.replace(b' charset="KPS9566"', b"")
    assert sniff_legacy_page(undeclared) == "kps9566"
    assert KCNA_KO in decode_html(undeclared)[0]
    assert decode_kps9566(_kps(KCNA_KO)) == KCNA_KO


def test_euc_kr_page_with_cp949_syllables_decodes():
    """EUC-KR declared, and a syllable only CP949 has (똠): a strict EUC-KR decoder fails on real pages."""
    text = KCNA_KO + " 똠방각하"
    page = b"<html><head><meta charset=euc-kr></head><body><p>" + text.encode("cp949") + b"</p></body></html>"
    decoded, codec = decode_html(page)
    assert text in decoded and codec == "cp949"


@pytest.mark.parametrize("codec", ["cp949", "kps9566", "gb18030"])
def test_legacy_text_read_as_latin1_is_repaired_with_the_right_table(codec):
    chinese = "朝鲜中央通讯社报道，“金日成全集”第95卷出版了。"
    text = chinese if codec == "gb18030" else KCNA_KO
    raw = _kps(text) if codec == "kps9566" else text.encode(codec)
    repaired, pairs, used = repair_latin1_cjk(raw.decode("latin-1"))
    assert repaired == text and used == codec and pairs


@pytest.mark.parametrize("correct", [
    "Grüße an Herrn Müller aus Köln", "As ações da Petrobrás subiram", "¡Él vino ayer!", "«Ça va», dit-il",
    "25°C ± 2°, 3½ µm", "Kim Il Sung’s “With the Century”", "Ærøskøbing, Ålborg, Øresund", "naïve café crème brûlée",
])
def test_legacy_repair_never_touches_correct_text(correct):
    assert RULES_BY_NAME["legacy-cjk"].fix(correct) == correct
    assert repair_latin1_cjk(correct)[0] == correct


def test_every_kancc_board_is_crawled_and_named():
    """heigo, eng_news, news and data: list pages followed, posts (with their list's search and sort
    parameters dropped) taken as articles with a per-board id."""
    from core.profiles import get_profile
    from scrapers.discover import classify_links

    profile = get_profile("kancc")
    base = "https://kancc.org/bbs/board.php?bo_table="
    assert all(any(f"bo_table={board}&page=1" in u for u in profile.start_urls) for board in ("eng_news", "news", "data"))
    links = [f"{base}eng_news&page=2", f"{base}news&page=3",
             f"{base}eng_news&wr_id=1541&sst=wr_datetime&sod=desc&sop=and&page=16", f"{base}news&wr_id=28147&page=1",
             f"{base}data&wr_id=502&sca=%EA%B8%B0%ED%96%89"]
    index_pages, articles = classify_links(profile, links)
    assert index_pages == links[:2]
    assert articles == [f"{base}eng_news&wr_id=1541", f"{base}news&wr_id=28147", f"{base}data&wr_id=502"]
    assert [profile.document_id(u) for u in articles] == ["kancc-eng_news-1541", "kancc-news-28147", "kancc-data-502"]


def test_nesting_deeper_than_huge_tree_is_flattened_and_kept():
    """Past even huge_tree's 2048 levels the inline tags are flattened before parsing: the text stays."""
    body = (FIXTURES / "kancc" / "data-18476-nesting-deeper-than-libxml2.html").read_text(encoding="utf-8")
    deeper = body.replace('<div id="bo_v_con">', '<div id="bo_v_con">' + '<font face="arial"><span>' * 1500, 1)
    doc = clean_page(deeper.encode("utf-8"), "http://kancc.org/bbs/board.php?bo_table=data&wr_id=18476")
    assert any("근본바탕을 두고 있다는 글을 게재하였다." in p for p in doc.paragraphs)


def test_block_nesting_thousands_deep_is_refused_with_a_reason():
    page = ("<html><body>" + "<div>" * 5000 + "text at the bottom" + "</div>" * 5000 + "</body></html>").encode()
    with pytest.raises(CleaningError):
        clean_page(page, "https://www.globalsecurity.org/wmd/library/news/dprk/2010/dprk-100901-kcna01.htm")
