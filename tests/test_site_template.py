"""Site templates learned from the crawl (cleaners/template.py): lines a site repeats on many pages are its
chrome, whatever markup holds them, and a phrase repeated in many articles (a leader's title, a slogan)
never is. Real text: the GlobalSecurity seed (tests/seeds) and the evaluation set's KCNA texts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import cleaners
from cleaners.template import SiteTemplate, TemplateStore, could_be_chrome, learn_template, page_lines

TEXTS = [t for t in json.loads((Path(__file__).parent / "eval" / "texts.json").read_text(encoding="utf-8"))["texts"]
         if t["kind"] == "kcna"]
# A banner of a new era no profile lists, and a slogan line that closes many articles.
BANNER = "Support independent defence journalism: become a member today"
SLOGAN = "Long live the great Comrade Kim Il Sung!"


def _page(text: dict, banner: str = BANNER) -> str:
    body = "".join(f"<p>{p}</p>" for p in text["paragraphs"])
    # the banner inside the article's own container, where an extractor keeps it
    return (f"<html><head><title>{text['title']}</title></head><body><div class='article'>"
            f"<h1>{text['title']}</h1>{body}{banner}<p>{SLOGAN}</p></div></body></html>")


def _lines(page: str) -> list[str]:
    from cleaners.extract import block_texts, parse_html

    return block_texts(parse_html(page).find("body"))


@pytest.mark.parametrize("markup", ["<p>{}</p>", "<p align=center><i>{}</i></p>", "<font size=2>{}</font><br>"])
def test_a_banner_repeated_across_the_crawl_is_learned_and_dropped_in_any_markup(markup):
    pages = [("article", _lines(_page(t, markup.format(BANNER)))) for t in TEXTS]
    pages.append(("list", _lines(f"<html><body>{markup.format(BANNER)}<ul><li>x</li></ul></body></html>")))
    template = learn_template("example", pages)
    assert BANNER in template.lines
    assert SLOGAN not in template.lines  # on every article, and still text: the guard
    url = "https://kcna-mirror.example.org/2019/12/14/chief-of-kpa-general-staff.html"
    untaught = cleaners.clean_page(_page(TEXTS[3], markup.format(BANNER)).encode(), url)
    assert BANNER in untaught.text  # no profile, no generic rule knows this banner
    doc = cleaners.clean_page(_page(TEXTS[3], markup.format(BANNER)).encode(), url, template=template)
    assert BANNER not in doc.text and SLOGAN in doc.text
    assert any(r["rule"] == "template-line" for r in doc.repairs)


def test_too_few_pages_teach_nothing():
    assert not learn_template("x", [("article", ["NEWSLETTER"])] * 3).lines


@pytest.mark.parametrize("line, chrome", [
    ("Join the GlobalSecurity.org mailing list", True),
    ("Respected Comrade Kim Jong Un inspected the site", False),
    ("Pyongyang, December 14 (KCNA) -- Pak Jong Chon, chief of the General Staff of the Korean People's Army, "
     "issued the following statement on Saturday.", False),
])
def test_what_the_template_may_take(line, chrome):
    assert could_be_chrome(line) is chrome


def test_the_store_keeps_a_template_per_site(tmp_path):
    store = TemplateStore(tmp_path / "templates")
    assert store.load("globalsecurity").lines == frozenset()
    store.save(SiteTemplate("globalsecurity", frozenset({"NEWSLETTER"}), 12))
    assert store.load("globalsecurity") == SiteTemplate("globalsecurity", frozenset({"NEWSLETTER"}), 12)
    with pytest.raises(ValueError):
        store.load("../etc")


def test_page_lines_reads_a_capture_as_its_visible_lines():
    page = "<html><body><div>UNITED24 - Make a charitable donation</div><p>Text\u00a0here.</p></body></html>"
    assert page_lines(page.encode(), "https://www.globalsecurity.org/x.htm") == [
        "UNITED24 - Make a charitable donation", "Text here."]
    assert page_lines(b"\x00\x01binary", "https://x.example/") == []


def test_a_crawl_learns_its_sites_template_and_every_document_names_it(tmp_path):
    """A banner of a new era that no profile lists, on every GlobalSecurity page of a replay (articles and
    the index): the crawl learns it, every document comes out without it and says so in its repairs,
    names the template it was cleaned with (kept under its digest), and a second crawl of the same pages
    re-cleans nothing."""
    from core.datahome import DataHome
    from flows.crawl import refresh
    from replay.server import ReplayServer, load_snapshot
    from scrapers.fetch import CrawlSettings
    from scrapers.warcstore import WarcStore

    snapshot = Path(__file__).resolve().parent.parent / "flows" / "snapshots" / "snapshot-1.warc.gz"
    folder = tmp_path / "replay"
    folder.mkdir()
    with WarcStore(folder, "snapshot", "test") as store:
        for url, page in sorted(load_snapshot([snapshot]).items()):
            body = page.body
            if "globalsecurity" in url and b"</h1>" in body:   # under every headline, and on the index
                body = body.replace(b"</h1>", b"</h1><p>" + BANNER.encode() + b"</p>", 1)
            elif "globalsecurity" in url and b"<body" in body:
                body = re.sub(b"(<body[^>]*>)", lambda m: m.group(1) + b"<p>" + BANNER.encode() + b"</p>", body, count=1)
            store.write_exchange(url, method="GET", request_headers=[], status=page.status, reason="OK",
                                 response_headers=list(page.headers), body=body, warc_date="2026-10-01T00:00:00Z")
    home = DataHome.resolve(tmp_path / "home").ensure()
    fast = CrawlSettings(delay=0, retries=0, timeout=5)
    with ReplayServer([store.path]) as server:
        first = refresh(home, ["globalsecurity"], settings=fast, replay_port=server.port)
    template = TemplateStore(home.templates_dir).load("globalsecurity")
    assert BANNER in template.lines
    docs = [json.loads(p.read_text()) for p in (home.documents_dir / "globalsecurity").glob("*.json")]
    assert docs and all(BANNER not in d["title"] + " ".join(d["paragraphs"]) for d in docs)
    assert all(d["extra"]["template"] == template.digest for d in docs)
    dropped = [d["id"] for d in docs if any(r["rule"] == "template-line" for r in d["repairs"])]
    assert "globalsecurity-dprk-100914-kcna01" in dropped and len(dropped) >= 0.8 * len(docs)  # the rest: outside the body
    assert TemplateStore(home.templates_dir).by_digest("globalsecurity", template.digest) == template
    with ReplayServer([store.path]) as server:
        second = refresh(home, ["globalsecurity"], settings=fast, replay_port=server.port)
    assert first["clean"]["globalsecurity"]["cleaned"] and not second["clean"]["globalsecurity"]["cleaned"]
