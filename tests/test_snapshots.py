"""The recorded snapshots: reproducible, complete, carrying the seeds exactly, differing as declared."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import lxml.html
import pytest

from replay.server import load_snapshot

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "flows" / "snapshots"
SEEDS = Path(__file__).resolve().parent / "seeds"
GS = "https://www.globalsecurity.org/wmd/library/news/dprk/2010/"
BOARD = "https://kancc.org/bbs/board.php?bo_table=heigo"
BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "section", "article", "header", "tr", "td", "ul", "br", "nav",
          "table", "form", "caption", "thead", "tbody", "th"}


def _builder():
    spec = importlib.util.spec_from_file_location("build_snapshots", ROOT / "scripts" / "build_snapshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def snaps():
    return {n: load_snapshot([SNAPSHOTS / f"snapshot-{n}.warc.gz"]) for n in (1, 2)}


def visible_lines(body: bytes, encoding: str) -> list[str]:
    """What "select all, copy" gives: the <title>, then the body's text by blocks, CSS-hidden elements
    (class "hidden") and scripts left out. Empty lines dropped; trailing ASCII spaces ignored."""
    root = lxml.html.document_fromstring(body.decode(encoding))
    for bad in root.xpath("//script|//style|//*[contains(concat(' ', @class, ' '), ' hidden ')]"):
        bad.drop_tree()
    chunks = [root.findtext(".//title") or "", "\n"]

    def walk(el):
        if el.tag in BLOCKS:
            chunks.append("\n")
        if el.tag == "li" and "list-style:none" not in (el.getparent().get("style") or ""):
            chunks.append("\x00")  # a copied list item carries its bullet: "  • " (added after collapsing)
        if el.text:
            chunks.append(el.text.replace("\n", " "))  # a newline in source text renders as a space
        for child in el:
            walk(child)
            if child.tail:
                chunks.append(child.tail.replace("\n", " "))
        if el.tag in BLOCKS:
            chunks.append("\n")

    walk(root.find("body"))
    text = re.sub(r"[ \t\r]*\n[ \t\r\n]*", "\n", "".join(chunks)).replace("\x00", "  \u2022 ")
    return [line.rstrip(" \t") for line in text.split("\n") if line.strip(" \t\u2022")]


def seed_lines(name: str) -> list[str]:
    return [line.rstrip(" \t") for line in (SEEDS / name).read_text(encoding="utf-8").split("\n") if line.strip(" \t")]


def test_committed_warcs_match_a_fresh_deterministic_build():
    builder = _builder()
    first = builder.build_warc(1)
    assert first == builder.build_warc(1)
    assert first == (SNAPSHOTS / "snapshot-1.warc.gz").read_bytes()
    assert builder.build_warc(2, previous=builder.pages_for(1)) == (SNAPSHOTS / "snapshot-2.warc.gz").read_bytes()
    assert builder.build_warc(3, previous=builder.pages_for(2)) == (SNAPSHOTS / "snapshot-3.warc.gz").read_bytes()


def test_each_snapshot_holds_both_sites_with_recorded_headers(snaps):
    for snap in snaps.values():
        kcna = [u for u, r in snap.items() if re.search(r"dprk-\d{6}-kcna\d\d\.htm$", u) and r.status == 200]
        posts = [u for u, r in snap.items() if "&wr_id=" in u]
        assert len(kcna) >= 8 and len(posts) >= 8
        assert f"{GS}index.html" in snap and f"{BOARD}&page=1" in snap and f"{BOARD}&page=2" in snap
        for url in kcna + posts:
            r = snap[url]
            assert r.header("etag") and r.header("last-modified") and "charset=" in r.header("content-type")


def test_globalsecurity_seed_page_shows_exactly_the_seed(snaps):
    page = snaps[1][GS + "dprk-100914-kcna01.htm"]
    assert page.header("content-type") == "text/html; charset=iso-8859-1"
    lines = visible_lines(page.body, "iso-8859-1")
    # the seed was copied from the page body: it starts at the banner, after the <title>
    assert lines[0] == "International Obligation Noted in History of DPRK-China Friendship"
    assert lines[1:] == seed_lines("globalsecurity-kcna-2010-09-14.txt")


def test_kancc_seed_page_shows_exactly_the_seed(snaps):
    page = snaps[1][f"{BOARD}&wr_id=504"]
    assert visible_lines(page.body, "utf-8") == seed_lines("kancc-reminiscences-ch21-6.txt")


def test_snapshot_two_differs_exactly_as_declared(snaps):
    one, two = snaps[1], snaps[2]
    articles = lambda s: {u for u in s if ("kcna" in u or "&wr_id=" in u) and s[u].status == 200}  # noqa: E731
    assert articles(two) - articles(one) == {GS + "dprk-100923-kcna01.htm", f"{BOARD}&wr_id=505"}
    assert articles(one) - articles(two) == {GS + "dprk-100920-kcna01.htm"}
    assert two[GS + "dprk-100920-kcna01.htm"].status == 404
    changed = {u for u in articles(one) & articles(two) if one[u].body != two[u].body}
    assert changed == {GS + "dprk-100917-kcna04.htm"}
    edited = two[GS + "dprk-100917-kcna04.htm"]
    assert b"Jang Song Thaek" in one[GS + "dprk-100917-kcna04.htm"].body and b"Jang Song Thaek" not in edited.body
    assert edited.header("etag") != one[GS + "dprk-100917-kcna04.htm"].header("etag")
    for url in articles(one) & articles(two) - changed:
        assert one[url].header("etag") == two[url].header("etag")
        assert one[url].header("last-modified") == two[url].header("last-modified")


def test_snapshot_three_purges_a_name_moves_an_article_and_finds_kancc_unreachable(snaps):
    two, three = snaps[2], load_snapshot([SNAPSHOTS / "snapshot-3.warc.gz"])
    kcna = {u for u in two if re.search(r"kcna\d\d\.htm$", u) and two[u].status == 200}
    changed = {u for u in kcna if u in three and three[u].body != two[u].body}
    purged = {GS + f"dprk-{s}.htm" for s in ("100909-kcna01", "100910-kcna02", "100921-kcna02")}
    assert changed == purged | {GS + "dprk-100922-kcna03.htm"}
    for url in purged:
        assert b"Jang Song Thaek" in two[url].body and b"Jang Song Thaek" not in three[url].body
    assert three[GS + "dprk-100922-kcna03.htm"].status == 404
    assert three[GS + "dprk-100922-kcna05.htm"].body == two[GS + "dprk-100922-kcna03.htm"].body
    assert b"dprk-100922-kcna05.htm" in three[GS + "index.html"].body
    kancc = [u for u in three if u.startswith("https://kancc.org/")]
    assert kancc and all(three[u].status == 503 for u in kancc)
