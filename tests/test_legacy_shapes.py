"""Legacy encodings in other shapes (cleaners/legacy.py, cleaners/page.py): GBK text read as windows-1252
on a repost, EUC-KR read as Latin-1 whose byte 0xAD became a soft hyphen, GB2312 with no charset — each
in several markups — and the negative cases: correct text is never touched. Real text: the evaluation
set's Chinese and Korean texts (sources in tests/eval/texts.json)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pytest

import cleaners
from cleaners.legacy import repair_cp1252_cjk, sniff_legacy_page
from cleaners.repairs import RULES_BY_NAME

TEXTS = {t["id"]: t for t in json.loads((Path(__file__).parent / "eval" / "texts.json").read_text(encoding="utf-8"))["texts"]}
ZH = TEXTS["zh-2012-04-12-satellite"]["paragraphs"]
KO = TEXTS["ko-travelogue-2013-02-11"]["paragraphs"]
MARKUPS = ["<p>{}</p>", "<div>{}<br><br></div>", "<table><tr><td><font size=2>{}</font></td></tr></table>"]


def as_windows_1252(text: str, codec: str) -> str:
    """What a browser shows for `codec` bytes read as windows-1252 (undefined bytes as C1 controls)."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in text.encode(codec))


@pytest.mark.parametrize("markup", MARKUPS)
def test_gbk_read_as_windows_1252_on_a_repost_is_repaired_in_any_markup(markup):
    body = "".join(markup.format(escape(as_windows_1252(p, "gbk"))) for p in ZH)
    page = f"<html><head><meta charset='utf-8'><title>Repost</title></head><body><h2>北韩快则今日发射卫星</h2>{body}</body></html>"
    doc = cleaners.clean_page(page.encode("utf-8"), "https://korea-repost.example.org/satellite/")
    assert doc.paragraphs == ZH
    assert any(r["rule"] == "legacy-cjk-cp1252" for r in doc.repairs)


@pytest.mark.parametrize("markup", MARKUPS)
def test_euc_kr_read_as_latin1_keeps_its_0xad_bytes_in_any_markup(markup):
    assert any(b == 0xAD for p in KO for b in p.encode("cp949"))  # the case: 서 is BC AD
    body = "".join(markup.format(p) for p in KO)
    page = f"<html><head><title>t</title></head><body><h1>기행</h1>{body}</body></html>".encode("cp949")
    doc = cleaners.clean_page(page, "https://minjok.example.kr/post/502", headers={"content-type": "text/html; charset=iso-8859-1"})
    assert doc.paragraphs == KO


@pytest.mark.parametrize("markup", MARKUPS)
def test_gb2312_page_with_no_charset_is_read_as_chinese(markup):
    body = "".join(markup.format("\u3000\u3000" + p) for p in ZH)
    page = f"<html><head><title>北韩快则今日发射卫星</title></head><body>{body}</body></html>".encode("gb2312")
    assert sniff_legacy_page(page) == "gb18030"
    doc = cleaners.clean_page(page, "http://chinese-mirror.example.cn/news/satellite.htm")
    assert [p.strip("\u3000 ") for p in doc.paragraphs] == ZH


@pytest.mark.parametrize("correct", [
    "Grüße an Herrn Müller aus Köln, señor — “naïve” café crème brûlée",
    "As ações da Petrobrás subiram; ¡Él vino ayer! «Ça va», dit-il. 25°C ± 2°, 3½ µm",
    "Ærøskøbing, Ålborg, Øresund: ½ × ¾ ÷ ¼ — ©®™ €100 • “quoted” ‘single’ …",
    "ÀÉÈÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞß àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ",
    "the â€œway of revolutionary struggleâ€\x9d",  # UTF-8 read as windows-1252: ftfy's, not this rule's
])
def test_correct_text_and_utf8_mojibake_are_never_read_as_gbk(correct):
    assert repair_cp1252_cjk(correct) == (correct, None)
    assert RULES_BY_NAME["legacy-cjk-cp1252"].fix(correct) == correct
