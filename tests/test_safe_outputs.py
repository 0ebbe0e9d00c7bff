"""No output of kcorpus turns upstream text into live markup: an article quoting <script>, onerror= and
javascript: goes through the gate, two releases and the audit, and every HTML and Markdown file written
shows it as text. The quality report says in words why a document was held back, and where."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from cleaners.store import save_document
from core.datahome import DataHome
from flows.audit import after_release
from flows.release import validate_and_release

MARK = "KXSS"
HOSTILE = (f"<script>alert('{MARK}')</script> <img src=x onerror=alert('{MARK}')> "
           f"<a href=\"javascript:alert('{MARK}')\">read</a> [more](javascript:alert('{MARK}')) "
           f"<svg onload=alert('{MARK}')> <img src=x onerror=\"document.body.setAttribute('data-{MARK}','ran')\">")
PASSING = "globalsecurity-dprk-100909-kcna01"
HELD = "globalsecurity-dprk-100910-kcna02"


@pytest.fixture(scope="module")
def hostile_home(tmp_path_factory, snapshot_documents):
    """Two releases and an audit over documents carrying hostile text; one of them quarantined."""
    home = DataHome.resolve(tmp_path_factory.mktemp("hostile")).ensure()
    docs = {d.id: copy.deepcopy(d) for d in snapshot_documents}
    docs[PASSING].title += " " + HOSTILE
    docs[PASSING].paragraphs.append("Quoted on the page: " + HOSTILE)
    docs[HELD].title = HOSTILE
    docs[HELD].paragraphs[1] += " the workers\\and peasants " + HOSTILE   # a residue the gate refuses
    for doc in docs.values():
        save_document(home, doc)
    first = validate_and_release(home, version="r1")
    edited = copy.deepcopy(docs[PASSING])                  # an upstream edit, so the audit shows it
    edited.paragraphs[-1] = "Quoted anew: " + HOSTILE.replace("read", "read it")
    edited.title = HOSTILE + " edited"
    edited.capture = {**edited.capture, "payload_digest": "sha1:EDITEDEDITEDEDITEDEDITEDEDITEDED"}
    save_document(home, edited)
    second = validate_and_release(home, version="r2")
    audit = after_release(home)
    return home, first, second, audit


def _outputs(home: DataHome, suffix: str) -> list[Path]:
    return [p for p in home.root.rglob(f"*{suffix}") if ".tmp" not in p.name]


def test_no_html_output_holds_live_markup_from_upstream_text(hostile_home):
    home, first, second, audit = hostile_home
    pages = _outputs(home, ".html")
    names = {p.name for p in pages}
    assert {"quality-r1.html", "quality-r2.html", "index.html", audit.report.name} <= names
    shown_in = set()
    for page in pages:
        tree = lxml_html.fromstring(page.read_bytes())
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            assert not (element.tag == "script" and MARK in (element.text or "") + element.get("src", "")), page
            assert element.tag not in ("svg", "img") or MARK not in lxml_html.tostring(element, encoding="unicode"), page
            for name, value in element.attrib.items():
                assert not (name.lower().startswith("on") and MARK in value), (page, name, value)
                assert not value.strip().lower().startswith("javascript:"), (page, name, value)
        if MARK in tree.text_content():
            shown_in.add(page.name)
    # the hostile text is there, as text: in both quality reports, the audit and the GX validation pages
    assert {"quality-r1.html", "quality-r2.html", audit.report.name} <= shown_in
    assert any(p.parent.name != "reports" and p.name in shown_in for p in pages if "data_docs" in str(p))


def test_no_markdown_output_holds_live_markup_from_upstream_text(hostile_home):
    home, *_ = hostile_home
    markdown = _outputs(home, ".md")   # each release's CHANGELOG.md and README.md
    assert len([p for p in markdown if p.name == "CHANGELOG.md"]) == 2
    seen = 0
    for path in markdown:
        for line in path.read_text(encoding="utf-8").splitlines():
            if MARK not in line:
                continue
            seen += 1
            assert not re.search(r"(?<!\\)<\s*(script|img|a|svg)\b", line, re.I), line
            assert not re.search(r"(?<!\\)\]\(\s*javascript:", line, re.I), line
            assert "<javascript:" not in line.lower(), line
    assert seen >= 2   # r1 added the titles, r2 edited one: both lines escaped, not dropped


def test_quality_report_says_which_check_failed_where_with_the_snippet(hostile_home):
    home, first, *_ = hostile_home
    assert first.quarantined == [HELD]
    page = (home.reports_dir / "quality-r1.html").read_text(encoding="utf-8")
    tree = lxml_html.fromstring(page)
    text = re.sub(r"\s+", " ", tree.text_content())
    assert "backslash stands right before a letter" in text
    assert "paragraph 2, character" in text
    assert [m.text_content() for m in tree.iter("mark")] == ["\\a"]
    held = next(d for d in tree.find_class("doc"))
    assert "https://www.globalsecurity.org/wmd/library/news/dprk/2010/dprk-100910-kcna02.htm" in held.text_content()
    assert "captured 2026-10-01T03:00:00Z" in held.text_content()
    # per site: counts, and each check with pass/fail
    assert "backslash-residue" in text and "site-chrome" in text and "fail (1)" in text
    # nothing may load: no external URL in any src/href of the page but the source links, and a CSP
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not [e for e in tree.iter() if isinstance(e.tag, str) and e.get("src")]
    # the quarantine record and the changelog say it in words too
    from expectations.quarantine import load_quarantine
    record = load_quarantine(home, HELD)
    failure = next(f for f in record["failed"] if f["check"] == "backslash-residue")
    assert failure["where"].startswith("paragraph 2") and failure["snippet"]["match"] == "\\a"
    changelog = (home.releases_dir / "r1" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "backslash stands right before a letter" in changelog


def test_gx_config_keeps_relative_paths_so_a_moved_home_writes_its_docs_inside_itself(hostile_home, tmp_path):
    import shutil

    from expectations.gate import validate_batch
    from cleaners.store import current_documents

    home, *_ = hostile_home
    config = next(home.gx_dir.rglob("great_expectations.yml")).read_text(encoding="utf-8")
    assert str(home.root) not in config
    moved = DataHome.resolve(tmp_path / "moved")
    shutil.copytree(home.root, moved.root, symlinks=True)
    result = validate_batch(current_documents(moved)[:3], home=moved)
    assert result.data_docs_path.is_relative_to(moved.root)


from tests.tools.browser import chromium, open_page  # noqa: E402


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (Debian: apt-get install chromium)")
def test_reports_open_offline_in_a_real_browser_and_run_nothing(hostile_home, tmp_path):
    """Headless Chromium opens the quality report and the audit report: no request leaves the machine,
    no upstream script runs, and the pages render (screenshots written)."""
    home, first, second, audit = hostile_home
    for report in (second.quality_report, audit.report):
        shot = tmp_path / (report.stem + ".png")
        opened = open_page(report, screenshot=shot)
        assert opened.requests == [], (report.name, opened.requests)
        assert "<body" in opened.dom and f'data-{MARK.lower()}="ran"' not in opened.dom.lower()
        assert MARK in opened.dom                       # shown, as text
        assert shot.exists() and shot.stat().st_size > 10_000
