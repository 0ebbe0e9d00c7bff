"""Browsing a release (`kcorpus serve`): the release's SQLite database with full-text search (Korean
included), the history database of changes between releases, and the Datasette pages a historian uses
(search with facets, a document with its versions and word diff, an edit event, a watch-list plot) — in
process through Datasette's own client, and in a real headless Chromium where one is installed."""

from __future__ import annotations

import copy
import json
import socket
import sqlite3
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from core.datahome import DataHome
from corpus.release import build_release

WEB = Path(__file__).resolve().parent.parent / "kcorpus" / "web"
NAME = "Kim Jong Il"


@pytest.fixture(scope="module")
def browse_home(tmp_path_factory, snapshot_documents):
    """Two releases of the snapshot's documents; in the second a name is struck from every article that
    carried it (an edit event), and the watch-list follows that name."""
    home = DataHome.resolve(tmp_path_factory.mktemp("browse-home"))
    home.root.mkdir(parents=True, exist_ok=True)
    home.watchlist.write_text(f'[[entry]]\nname = "{NAME}"\n', encoding="utf-8")
    docs = [copy.deepcopy(d) for d in snapshot_documents]
    build_release(home, docs, today=date(2026, 11, 1))
    struck = []
    for doc in docs:
        if any(NAME in p for p in doc.paragraphs):
            doc.paragraphs = [p.replace(NAME, "the leader") for p in doc.paragraphs]
            doc.capture = {**doc.capture, "payload_digest": "sha1:EDITED" + doc.id}
            struck.append(doc.id)
    assert struck, "the snapshot holds no article naming the watched name"
    build_release(home, docs, today=date(2026, 11, 2))
    return home, struck, docs


def test_the_release_database_holds_every_document_and_finds_korean_inside_words(browse_home):
    from corpus.release import list_releases
    from flows.browse import release_database

    home, _, docs = browse_home
    version, path = release_database(home)
    assert version == list_releases(home)[-1].version and path.parent == home.release_databases_dir / version
    db = sqlite3.connect(path)
    assert db.execute("select count(*) from documents").fetchone()[0] == len(docs)
    korean = next(d for d in docs if d.lang == "ko")
    word = next(w for p in korean.paragraphs for w in p.split() if len(w) >= 5 and not w.isascii())
    inside = word[1:4]   # three characters from inside a Korean word: a word tokenizer would miss it
    hits = {row[0] for row in db.execute("select d.id from documents d where d.rowid in (select rowid from "
                                         "documents_fts where documents_fts match ?)", [f'"{inside}"'])}
    assert korean.id in hits
    # built from the release into the data home's cache, never part of the release (nor of its checksums)
    release = list_releases(home)[-1].path
    assert not list(release.rglob("*.sqlite")) and ".sqlite" not in (release / "SHA256SUMS").read_text()
    built = path.stat().st_mtime_ns
    assert release_database(home) == (version, path) and path.stat().st_mtime_ns == built   # built once
    path.unlink()
    assert release_database(home) == (version, path) and path.exists()                     # rebuilt if lost
    first = list_releases(home)[0]
    assert release_database(home, first.version)[1] == home.release_databases_dir / first.version / path.name


def test_history_is_added_step_by_step(browse_home):
    from flows.browse import bring_history_up_to_date, history_path

    home, struck, _ = browse_home
    bring_history_up_to_date(home)
    assert bring_history_up_to_date(home) == 0   # nothing new: nothing recomputed
    db = sqlite3.connect(history_path(home))
    edited = {row[0] for row in db.execute("select document_id from changes where change = 'edited'")}
    assert edited == set(struck)
    counts = dict(db.execute("select release, documents from watch_counts where name = ? order by release", [NAME]))
    assert list(counts.values()) == [len(struck), 0]


def _client(home):
    from datasette.app import Datasette
    from flows.browse import bring_history_up_to_date, datasette_metadata, history_path, release_database

    bring_history_up_to_date(home)
    version, database = release_database(home)
    return Datasette([], immutables=[str(database), str(history_path(home))], plugins_dir=str(WEB),
                     template_dir=str(WEB / "templates"), metadata=datasette_metadata(version, home))


def test_pages_in_process(browse_home):
    import asyncio

    asyncio.run(_pages_in_process(*browse_home))


async def _pages_in_process(home, struck, docs):
    ds = _client(home)
    search = await ds.client.get("/kcorpus/documents.json?_search=Pyongyang&_shape=array")
    assert search.status_code == 200 and search.json()
    facets = await ds.client.get("/kcorpus/documents.json?_search=Pyongyang&_facet=site")
    by_site = {f["value"]: f["count"] for f in facets.json()["facet_results"]["site"]["results"]}
    site = sorted(by_site)[0]
    narrowed = await ds.client.get(f"/kcorpus/documents.json?_search=Pyongyang&site={site}&_shape=array")
    assert len(narrowed.json()) == by_site[site] < sum(by_site.values()) or len(by_site) == 1
    page = await ds.client.get(f"/-/kcorpus/document/{struck[0]}")
    assert page.status_code == 200 and f"<del>{NAME}</del>" in page.text.replace("<del> ", "<del>")
    phrase = " ".join(next(d for d in docs if d.lang == "en").paragraphs[1].split()[:5])
    found = await ds.client.get("/kcorpus/search.json", params={"q": phrase, "_shape": "array"})
    assert found.status_code == 200 and any(phrase in row["text"] for row in found.json())
    events = await ds.client.get("/history/edit_events.json?_shape=array")
    assert any(NAME in (e["deleted"] or "") and e["documents"] == len(struck) for e in events.json())
    plot = await ds.client.get("/-/kcorpus/watch")
    assert "<polyline" in plot.text and NAME in plot.text
    missing = await ds.client.get("/-/kcorpus/document/no-such-doc")
    assert missing.status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(browse_home):
    """`kcorpus serve`'s Datasette, as a real server on 127.0.0.1."""
    from flows.browse import datasette_command

    home = browse_home[0]
    port = _free_port()
    command = datasette_command(home, None, plugins_dir=WEB, templates_dir=WEB / "templates", port=port)
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("datasette did not start: " + server.stdout.read1().decode(errors="replace"))
        yield f"http://127.0.0.1:{port}", browse_home
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_in_a_real_browser(served, tmp_path):
    """Search finds a known sentence, a facet narrows it, a document page shows its diff, the plot renders,
    and no request leaves 127.0.0.1 (Chromium's own network log). Screenshots go to docs/."""
    from tests.tools.browser import chromium_driver

    base, (home, struck, docs) = served
    driver = chromium_driver()   # skips with the reason when no Chromium is installed
    try:
        sentence_doc = next(d for d in docs if d.lang == "en" and d.id not in struck)
        phrase = " ".join(sentence_doc.paragraphs[1].split()[:6])
        driver.get(f"{base}/kcorpus/documents")
        box = driver.find_element("css selector", "input[name=_search]")
        box.send_keys(phrase)
        box.submit()
        time.sleep(0.5)
        assert sentence_doc.id in driver.page_source
        rows = len(driver.find_elements("css selector", "table.rows-and-columns tbody tr"))
        driver.get(f"{base}/kcorpus/documents?_search=the&_facet=site")
        all_rows = driver.find_element("css selector", "h3").text
        facet = driver.find_elements("css selector", ".facet-info a")
        assert facet, "no facet to narrow by"
        facet[0].click()
        time.sleep(0.5)
        assert driver.find_element("css selector", "h3").text != all_rows
        docs_dir = Path(__file__).resolve().parent.parent / "docs"
        driver.save_screenshot(str(docs_dir / "serve-search.png"))
        driver.get(f"{base}/-/kcorpus/document/{struck[0]}")
        assert driver.find_elements("css selector", ".kcorpus-diff del")
        driver.execute_script("document.querySelector('.kcorpus-change').scrollIntoView()")
        driver.save_screenshot(str(docs_dir / "serve-document.png"))
        driver.get(f"{base}/-/kcorpus/watch")
        plot = driver.find_element("css selector", "svg.kcorpus-plot")
        assert plot.size["width"] > 100 and driver.find_elements("css selector", "svg.kcorpus-plot circle")
        driver.save_screenshot(str(docs_dir / "serve-watch.png"))
        hosts = set()
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                url = message["params"]["request"]["url"]
                if url.startswith(("http:", "https:", "ws:", "wss:")):
                    hosts.add(url.split("/")[2].rsplit(":", 1)[0])
        assert hosts == {"127.0.0.1"}, hosts
        assert rows >= 1
    finally:
        driver.quit()


def test_after_release_adds_the_step_it_compared_and_it_equals_a_fresh_build(browse_home, tmp_path):
    """after_release writes the release step into history.sqlite from the comparison it made for the
    audit page; a history rebuilt from nothing holds the same rows."""
    import shutil

    from flows.audit import after_release
    from flows.browse import history_path

    home = browse_home[0]
    copy_home = DataHome.resolve(tmp_path / "copy")
    shutil.copytree(home.root, copy_home.root, symlinks=True)
    history_path(copy_home).unlink(missing_ok=True)
    after_release(copy_home)

    def rows(path):
        db = sqlite3.connect(path)
        try:
            return {table: sorted(db.execute(f"select * from {table}").fetchall()) for table in
                    ("releases", "steps", "changes", "edit_events", "edit_event_documents", "deletions",
                     "watch_counts", "watch_mentions")}
        finally:
            db.close()

    made_by_release = rows(history_path(copy_home))
    history_path(copy_home).unlink()
    from flows.browse import bring_history_up_to_date
    bring_history_up_to_date(copy_home)
    assert rows(history_path(copy_home)) == made_by_release and made_by_release["steps"]
