"""Edit events, moves, cosmetic changes, not-checked documents, the watch-list, histories, timelines and
Atom feeds: over releases of the snapshots' real text, and over the demo's three releases."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from core.datahome import DataHome
from corpus.events import ReleaseView, compare, releases_since, timeline
from corpus.feeds import release_feeds, tag_prefix
from corpus.history import document_history
from corpus.manifest import list_releases
from corpus.release import build_release
from corpus.watchlist import WatchEntry, WatchlistError, parse_watchlist

ATOM = "{http://www.w3.org/2005/Atom}"
JANG = WatchEntry("Jang Song Thaek", ("Jang Song-thaek",))


def check_atom(data: bytes) -> etree._Element:
    """RFC 4287's requirements a reader relies on: an atom:feed with id, title, updated (RFC 3339) and an
    author; every entry with a unique absolute id, a title, an updated date and an alternate link."""
    root = etree.fromstring(data)
    assert root.tag == ATOM + "feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(ATOM + name)) == 1, name
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    datetime.fromisoformat(root.findtext(ATOM + "updated"))
    ids = []
    for entry in root.findall(ATOM + "entry"):
        ids.append(entry.findtext(ATOM + "id"))
        assert ids[-1].startswith("tag:") and " " not in ids[-1]
        assert entry.findtext(ATOM + "title")
        datetime.fromisoformat(entry.findtext(ATOM + "updated"))
        links = [l for l in entry.findall(ATOM + "link") if l.get("rel", "alternate") == "alternate"]
        assert len(links) == 1 and "#" in links[0].get("href")  # a missing rel means alternate (RFC 4287 4.2.7.2)
    assert len(ids) == len(set(ids))
    return root


def _purge(doc, name="Jang Song Thaek"):
    """The document with the name cut out the way KCNA cut it (", NAME" or "NAME and ")."""
    doc = copy.deepcopy(doc)
    doc.paragraphs = [p.replace(f", {name}", "").replace(f"{name} and ", "").replace(f" and {name}", "")
                      .replace(f"{name}, ", "") for p in doc.paragraphs]
    doc.capture = {**(doc.capture or {}), "payload_digest": "sha1:changed-" + doc.id}
    return doc


@pytest.fixture()
def two_releases(tmp_path, snapshot_documents):
    """Release A: snapshot 1's documents, plus the name in one KANCC post. Release B: the name purged
    from every article carrying it on both sites, one article moved to a new id, one quote-style edit."""
    home = DataHome.resolve(tmp_path)
    docs = {d.id: copy.deepcopy(d) for d in snapshot_documents}
    post = docs["kancc-heigo-502"]
    post.paragraphs[1] = post.paragraphs[1] + " Jang Song Thaek and Kim Chaek marched at the head of the column."
    build_release(home, list(docs.values()), today=date(2026, 10, 1))
    carrying = [i for i, d in docs.items() if any("Jang Song Thaek" in p for p in d.paragraphs)]
    after = dict(docs)
    for doc_id in carrying:
        after[doc_id] = _purge(docs[doc_id])
    moved = copy.deepcopy(docs["globalsecurity-dprk-100922-kcna03"])
    moved.id, moved.source_url = "globalsecurity-dprk-100922-kcna05", moved.source_url.replace("kcna03", "kcna05")
    del after["globalsecurity-dprk-100922-kcna03"]
    after[moved.id] = moved
    quoted = copy.deepcopy(docs["globalsecurity-dprk-100913-kcna03"])
    quoted.paragraphs = [p.replace("\u201c", '"').replace("\u201d", '"') for p in quoted.paragraphs]
    after[quoted.id] = quoted
    build_release(home, list(after.values()), today=date(2026, 11, 1))
    return home, carrying


def test_a_name_purged_across_both_sites_is_one_event_with_a_move_and_a_cosmetic_edit(two_releases):
    home, carrying = two_releases
    a, b = (ReleaseView.read(i.path) for i in list_releases(home))
    changes, mentions = compare(a, b, [JANG])
    assert len(carrying) >= 5 and {c.split("-")[0] for c in carrying} == {"globalsecurity", "kancc"}
    event = changes.events[0]
    assert (event.deleted, event.inserted) == ("Jang Song Thaek", "")
    assert sorted(d["id"] for d in event.documents) == sorted(carrying)
    assert event.sites == ["globalsecurity", "kancc"]
    assert event.label.startswith(f"“Jang Song Thaek” removed from {len(carrying)} articles of 2 sites")
    moves = changes.of("moved")
    assert [(m.moved_from["id"], m.id) for m in moves] == [("globalsecurity-dprk-100922-kcna03",
                                                            "globalsecurity-dprk-100922-kcna05")]
    assert changes.of("removed") == [] and changes.of("added") == []
    assert [c.id for c in changes.of("edited", "cosmetic")] == ["globalsecurity-dprk-100913-kcna03"]
    assert changes.watch["Jang Song Thaek"] == {"documents": 0, "previous": len(carrying), "gained": [],
                                                "lost": sorted(carrying)}
    assert mentions["Jang Song Thaek"] == set()


def test_a_site_not_ok_is_not_checked_never_removed(two_releases):
    home, _ = two_releases
    a, b = (ReleaseView.read(i.path) for i in list_releases(home))
    kancc = [i for i, e in a.entries.items() if e["site"] == "kancc"]
    b.entries = {i: e for i, e in b.entries.items() if e["site"] != "kancc"}   # the site's pages did not answer
    b.crawl_outcomes = {"kancc": {"outcome": "unreachable", "cause": "HTTP 503", "run_id": "r3"}}
    changes, _ = compare(a, b, [JANG])
    assert not [c for c in changes.of("removed") if c.site == "kancc"]
    assert sorted(c.id for c in changes.of("not_checked")) == sorted(kancc)
    assert changes.not_checked["kancc"]["outcome"] == "unreachable"
    assert changes.not_checked["kancc"]["documents"] == len(kancc)
    assert all(e.sites == ["globalsecurity"] for e in changes.events)


def test_an_unchanged_last_check_means_not_checked(two_releases):
    home, _ = two_releases
    a, b = (ReleaseView.read(i.path) for i in list_releases(home))
    doc_id = "kancc-heigo-498"
    a.entries[doc_id]["last_checked"] = b.entries[doc_id]["last_checked"] = {"run_id": "r1", "at": "2026-10-01T03:00:00Z"}
    other = "kancc-heigo-499"
    a.entries[other]["last_checked"] = {"run_id": "r1", "at": "2026-10-01T03:00:00Z"}
    b.entries[other]["last_checked"] = {"run_id": "r2", "at": "2026-11-01T03:00:00Z"}
    changes, _ = compare(a, b)
    assert [c.id for c in changes.of("not_checked")] == [doc_id]
    assert changes.not_checked["kancc"]["last_checked"] == "2026-10-01T03:00:00Z"


def test_history_lists_each_version_with_its_diff_and_class(two_releases):
    home, carrying = two_releases
    paths = [i.path for i in list_releases(home)]
    history = document_history(paths, "globalsecurity-dprk-100917-kcna04",
                               [{"captured_at": "2026-10-01T03:00:00Z", "run_id": "r1", "status": 200}])
    assert [v["change"] for v in history.versions] == ["added", "edited"]
    assert history.versions[1]["kind"] == "upstream"
    assert ["delete", ", Jang Song Thaek"] in history.versions[1]["ops"]
    # a move is followed both ways: from the old id to the new, and the new id's history starts at the old
    moved = document_history(paths, "globalsecurity-dprk-100922-kcna03")
    assert [(v["change"], v["id"]) for v in moved.versions] == [("added", "globalsecurity-dprk-100922-kcna03"),
                                                               ("moved", "globalsecurity-dprk-100922-kcna05")]
    assert moved.versions[1]["moved_from"] == "globalsecurity-dprk-100922-kcna03"
    arrived = document_history(paths, "globalsecurity-dprk-100922-kcna05")
    assert [(v["change"], v["id"]) for v in arrived.versions] == [(v["change"], v["id"]) for v in moved.versions]
    with pytest.raises(KeyError):
        document_history(paths, "globalsecurity-no-such-doc")


def test_timeline_counts_the_watch_list_per_release_and_since_takes_a_version_or_date(two_releases):
    home, carrying = two_releases
    infos = list_releases(home)
    tl = timeline([i.path for i in infos], [JANG])
    assert tl.watch_counts == {infos[0].version: {"Jang Song Thaek": len(carrying)},
                               infos[1].version: {"Jang Song Thaek": 0}}
    assert len(tl.steps) == 1
    assert releases_since(infos, infos[1].version) == infos
    assert releases_since(infos, "2000-01-01") == infos
    with pytest.raises(LookupError):
        releases_since(infos, "no-such-version")


def test_feeds_are_valid_atom_with_entries_linking_to_the_report(two_releases):
    home, carrying = two_releases
    a, b = (ReleaseView.read(i.path) for i in list_releases(home))
    changes, _ = compare(a, b, [JANG])
    feeds = release_feeds([(changes, "https://example.org/audit.html", "2026-11-01T03:00:00+00:00")],
                          "https://example.org/feeds/", [JANG], ["globalsecurity", "kancc"], tag_prefix("example.org,2026"))
    assert set(feeds) == {"all.atom", "site-globalsecurity.atom", "site-kancc.atom", "watch-jang-song-thaek.atom"}
    roots = {name: check_atom(data) for name, data in feeds.items()}
    titles = [e.findtext(ATOM + "title") for e in roots["watch-jang-song-thaek.atom"].findall(ATOM + "entry")]
    assert any("removed from" in t for t in titles)
    kancc_links = [e.find(ATOM + "link").get("href") for e in roots["site-kancc.atom"].findall(ATOM + "entry")]
    assert kancc_links and all(link.startswith("https://example.org/audit.html#") for link in kancc_links)


def test_watchlist_file_errors_are_one_clear_line():
    entries = parse_watchlist('[[entry]]\nname = "Jang Song Thaek"\naliases = ["장성택"]\n')
    assert entries[0].mentioned_in("the name 장성택 appears") and not entries[0].mentioned_in("Jang Song")
    for bad in ('[[entry]]\naliases = ["x"]\n', "[[entry]\nname=", '[[entry]]\nname = "A"\n[[entry]]\nname = "A"\n'):
        with pytest.raises(WatchlistError):
            parse_watchlist(bad)


# --- the demo's third release ---------------------------------------------------------------------

def test_demo_third_release_shows_one_event_one_move_and_kancc_not_checked(demo_run):
    home, result = demo_run
    assert len(result.releases) == 3
    changes = result.audits[-1].changes
    purged = {"globalsecurity-dprk-100909-kcna01", "globalsecurity-dprk-100910-kcna02",
              "globalsecurity-dprk-100921-kcna02"}
    jang = [e for e in changes.events if "Jang Song Thaek" in e.deleted]
    assert len(jang) == 1 and {d["id"] for d in jang[0].documents} == purged
    assert [(m.moved_from["id"], m.id) for m in changes.of("moved")] == [
        ("globalsecurity-dprk-100922-kcna03", "globalsecurity-dprk-100922-kcna05")]
    assert changes.of("removed") == [] and changes.of("added") == []
    assert not [c for c in changes.changes if c.site == "kancc" and c.change != "not_checked"]
    assert changes.not_checked["kancc"]["documents"] == 14
    html = result.audits[-1].report.read_text(encoding="utf-8")
    assert f"id='event-{jang[0].id}'" in html and "not checked" in html and "Moved (1)" in html
    assert "href='history/globalsecurity-dprk-100909-kcna01.html'" in html
    assert (home.reports_dir / "history" / "globalsecurity-dprk-100909-kcna01.html").exists()
    for path in result.audits[-1].feeds.values():
        check_atom(path.read_bytes())
    assert any(p.name == "watch-jang-song-thaek.atom" for p in result.audits[-1].feeds.values())


def test_history_and_audit_since_commands_on_the_demo_home(demo_run):
    from typer.testing import CliRunner
    from kcorpus.cli import app

    home, result = demo_run
    runner = CliRunner()
    out = runner.invoke(app, ["history", "globalsecurity-dprk-100917-kcna04", "--home", str(home.root)])
    assert out.exit_code == 0, out.output
    assert "edited (upstream" in out.output and "[-, Jang Song Thaek-]" in out.output
    data = json.loads(runner.invoke(app, ["history", "globalsecurity-dprk-100917-kcna04", "--json",
                                          "--home", str(home.root)]).output)
    # (a later test module may add a re-cleaned release: only the demo's three are checked)
    assert [v["change"] for v in data["versions"]][:3] == ["added", "edited", "unchanged"]
    assert len(data["captures"]) == 3
    first = result.releases[0].release.version
    out = runner.invoke(app, ["audit", "--since", result.releases[1].release.version, "--home", str(home.root)])
    assert out.exit_code == 0, out.output
    assert "RECURRING “Jang Song Thaek”" in out.output and "NOT CHECKED kancc" in out.output
    tl = json.loads(runner.invoke(app, ["audit", "--since", first, "--json", "--home", str(home.root)]).output)
    assert [tl["watch_counts"][r.release.version]["Jang Song Thaek"] for r in result.releases] == [4, 3, 0]
    assert runner.invoke(app, ["audit", "--since", "nope", "--home", str(home.root)]).exit_code == 1
    assert runner.invoke(app, ["history", "nope-1", "--home", str(home.root)]).exit_code == 1


HOSTILE_TITLE = "Kim Jong Un\ufffe Inspects\x00 the\x01\x1f Hospital \ud800Site"


def test_feeds_and_reports_hold_a_title_with_xml_illegal_characters_and_say_so():
    """U+FFFE, C0 controls and a lone surrogate in an upstream title: each feed is still written (lxml
    refused the whole feed before, on this release and every later one, naming no document), the
    characters are shown as U+FFFD and each repair is recorded with its entry."""
    from corpus.events import DocChange, ReleaseChanges
    from corpus.audit_page import render_changes_html
    step = ReleaseChanges("2026.10.01", "2026.11.01", "2026-10-01", "2026-11-01", changes=[
        DocChange("kcnakp-ab12", "kcnakp", HOSTILE_TITLE, "http://www.kcna.kp/en/article/q/ab12.kcmsf", "added",
                  "upstream"),
        DocChange("kcnakp-cd34", "kcnakp", "Plain title", "http://www.kcna.kp/en/article/q/cd34.kcmsf", "added",
                  "upstream")])
    replaced: list[str] = []
    feeds = release_feeds([(step, "https://example.org/audit.html", "2026-11-01T03:00:00+00:00")],
                          "https://example.org/feeds/", [JANG], ["kcnakp"], tag_prefix("example.org,2026"), replaced)
    titles = [e.findtext(ATOM + "title") for e in check_atom(feeds["all.atom"]).findall(ATOM + "entry")]
    assert "[2026.11.01] Added: Kim Jong Un\ufffd Inspects\ufffd the\ufffd\ufffd Hospital \ufffdSite [kcnakp]" in titles
    check_atom(feeds["site-kcnakp.atom"])
    assert replaced == [
        "feed all: entry 2026.10.01..2026.11.01/added/kcnakp-ab12: 5 XML-illegal character(s) replaced by U+FFFD "
        "(U+0000, U+0001, U+001F, U+D800, U+FFFE)",
        "feed site/kcnakp: entry 2026.10.01..2026.11.01/added/kcnakp-ab12: 5 XML-illegal character(s) replaced by "
        "U+FFFD (U+0000, U+0001, U+001F, U+D800, U+FFFE)"]
    page = render_changes_html(step).encode("utf-8")   # a lone surrogate cannot be encoded: replaced first
    assert "Kim Jong Un\ufffd Inspects".encode() in page
    assert b"5 character(s) no HTML or XML document can hold (U+0000, U+0001, U+001F, U+D800, U+FFFE)" in page


def test_a_release_holding_a_u_fffe_title_gets_its_feeds(two_releases, snapshot_documents):
    """The path the issue saw: the release is written with the title, then the audit's feeds of it."""
    home, _ = two_releases
    doc = copy.deepcopy(next(d for d in snapshot_documents if d.site == "globalsecurity"))
    doc.id, doc.source_url = doc.id + "x", doc.source_url + "?x"
    doc.title = "DPRK\ufffe Premier\x0b Meets Delegation"
    latest = ReleaseView.read(list_releases(home)[-1].path)
    build_release(home, [*(d for d in snapshot_documents), doc], today=date(2026, 12, 1))
    infos = list_releases(home)
    changes, _ = compare(latest, ReleaseView.read(infos[-1].path), [JANG])
    replaced: list[str] = []
    feeds = release_feeds([(changes, "https://example.org/audit.html", "2026-12-01T03:00:00+00:00")],
                          "https://example.org/feeds/", [JANG], ["globalsecurity", "kancc"], tag_prefix("example.org,2026"),
                          replaced)
    titles = [e.findtext(ATOM + "title") for e in check_atom(feeds["all.atom"]).findall(ATOM + "entry")]
    assert any("DPRK\ufffd Premier\ufffd Meets Delegation" in t for t in titles)
    assert any(doc.id in line and "(U+000B, U+FFFE)" in line for line in replaced)


def test_after_release_links_relatively_mints_its_own_ids_and_dates_history_pages(two_releases):
    """No base URL configured: every feed link is relative to the feed file and resolves to the audit page
    on disk (the reports folder travels: copied or served, its links still work); entry ids carry this
    data home's tag authority, never a shared one; each history page says when it was made."""
    from urllib.parse import urljoin, urlsplit

    from flows.audit import after_release

    home, _ = two_releases
    audit = after_release(home)
    authority = json.loads((home.root / "installation.json").read_text())["tag_authority"]
    for feed in (home.reports_dir / "feeds" / "all.atom", home.reports_dir / "feeds" / audit.changes.new / "all.atom"):
        root = check_atom(feed.read_bytes())
        assert root.findtext(ATOM + "id").startswith(f"tag:{authority}:feed/")
        hrefs = [link.get("href") for link in root.iter(ATOM + "link")]
        assert hrefs and not any(h.startswith(("file:", "/")) for h in hrefs), hrefs
        for href in hrefs:
            target = urlsplit(urljoin(feed.resolve().as_uri(), href)).path
            assert Path(target).exists(), (feed, href)
    ids = [e.findtext(ATOM + "id") for e in check_atom((home.reports_dir / "feeds" / "all.atom").read_bytes()).iter(ATOM + "entry")]
    after_release(home)   # written again (a later run): the same ids for the same changes
    assert ids == [e.findtext(ATOM + "id") for e in
                   check_atom((home.reports_dir / "feeds" / "all.atom").read_bytes()).iter(ATOM + "entry")]
    page = audit.history_pages[0].read_text(encoding="utf-8")
    assert re.search(r"As of \d{4}-\d\d-\d\d \d\d:\d\d UTC, through release ", page)


def _moved(doc, new_id: str, new_url: str):
    """The document as its site serves it at a new address (the same text: a move, not an edit)."""
    doc = copy.deepcopy(doc)
    doc.id, doc.source_url = new_id, new_url
    return doc


def test_a_move_is_followed_alike_by_one_history_and_an_audits_pages_in_two_markups(tmp_path, snapshot_documents):
    """Three releases: a GlobalSecurity article (static HTML) and a KANCC post (GNUBoard) each move to a new
    URL in the second, and the moved KANCC post is edited in the third. Each history follows the move
    both ways (from the old id and from the new one), and the batched walk of an audit's pages gives every
    document the history the one-document walk gives it (before, the pages showed removed + added)."""
    from corpus.history import document_histories

    home = DataHome.resolve(tmp_path)
    docs = {d.id: copy.deepcopy(d) for d in snapshot_documents}
    build_release(home, list(docs.values()), today=date(2026, 10, 1))
    gs_old, kancc_old = "globalsecurity-dprk-100922-kcna03", "kancc-heigo-498"
    gs_new = _moved(docs[gs_old], "globalsecurity-dprk-100922-kcna05", docs[gs_old].source_url.replace("kcna03", "kcna05"))
    kancc_new = _moved(docs[kancc_old], "kancc-heigo-998", docs[kancc_old].source_url.replace("wr_id=498", "wr_id=998"))
    assert kancc_new.source_url != docs[kancc_old].source_url
    second = {i: d for i, d in docs.items() if i not in (gs_old, kancc_old)} | {gs_new.id: gs_new, kancc_new.id: kancc_new}
    build_release(home, list(second.values()), today=date(2026, 11, 1))
    edited = copy.deepcopy(kancc_new)
    first_words = edited.paragraphs[0].split(" ", 3)
    edited.paragraphs[0] = " ".join(first_words[:2] + first_words[3:])   # one word cut
    edited.capture = {**(edited.capture or {}), "payload_digest": "sha1:changed-" + edited.id}
    build_release(home, list((second | {edited.id: edited}).values()), today=date(2026, 12, 1))
    paths = [i.path for i in list_releases(home)]

    for old, new, last in ((gs_old, gs_new.id, "unchanged"), (kancc_old, kancc_new.id, "edited")):
        for doc_id in (old, new):
            history = document_history(paths, doc_id)
            assert [(v["change"], v["id"]) for v in history.versions] == [("added", old), ("moved", new), (last, new)]
            assert history.versions[1]["moved_from"] == old
            assert history.versions[1]["source_url"] != history.versions[0]["source_url"]
    assert ["delete", " " + first_words[2]] in document_history(paths, kancc_old).versions[2]["ops"]
    ids = set(docs) | set(second)
    batched = document_histories(paths, ids)
    for doc_id in sorted(ids):
        assert batched[doc_id].versions == document_history(paths, doc_id).versions, doc_id


def test_the_demo_history_of_a_moved_article_follows_it_and_lists_its_old_urls_captures(demo_run):
    """The demo's third snapshot moves an article (kcna03 -> kcna05): `kcorpus history` of either id and
    the audit's history page show one history (added, then moved), and the captures of both URLs from the
    crawl state (the old page's too), each capture with its URL."""
    from typer.testing import CliRunner

    from corpus.audit_page import history_file_name
    from flows.audit import document_histories
    from kcorpus.cli import app

    home, result = demo_run
    old, new = "globalsecurity-dprk-100922-kcna03", "globalsecurity-dprk-100922-kcna05"
    versions = [v.release.version for v in result.releases]
    runner = CliRunner()
    shown = {}
    for doc_id in (old, new):
        out = runner.invoke(app, ["history", doc_id, "--json", "--home", str(home.root)])
        assert out.exit_code == 0, out.output
        shown[doc_id] = json.loads(out.output)
    data = shown[new]
    rows = [(v["release"], v["change"], v["id"]) for v in data["versions"] if v["release"] in versions]
    assert rows[-1] == (versions[2], "moved", new) and rows[0] == (versions[0], "added", old)
    assert shown[old]["versions"] == data["versions"] and shown[old]["captures"] == data["captures"]
    urls = {c["url"] for c in data["captures"]}
    old_url = next(v["source_url"] for v in data["versions"] if v["id"] == old)
    new_url = next(v["source_url"] for v in data["versions"] if v["id"] == new)
    assert {old_url, new_url} <= urls
    assert len([c for c in data["captures"] if c["url"] == old_url]) >= 2   # crawled by each of the snapshots' runs
    # the audit's page (the batched walk over every document the audit names) shows the same history
    named = {c.id for c in result.audits[2].changes.changes} | {old}
    batched = document_histories(home, named)
    assert batched[new].versions == data["versions"] and batched[new].captures == data["captures"]
    page = (home.reports_dir / "history" / history_file_name(new)).read_text(encoding="utf-8")
    assert f"moved from <code>{old}</code> to <code>{new}</code>" in page
    assert f"<td><a href='{old_url}'>{old_url}</a></td>" in page and f"Captures ({len(data['captures'])})" in page
    text = runner.invoke(app, ["history", new, "--home", str(home.root)]).output
    assert f"moved from {old} to {new}" in text and old_url in text
