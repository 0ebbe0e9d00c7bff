"""Browsing a release in a web browser: the history database brought up to date, and the Datasette
settings (`kcorpus serve`). Read-only: the databases are opened immutable, bound to 127.0.0.1, and every
page is served from this machine (Datasette's own assets, no CDN)."""

from __future__ import annotations

import json
from pathlib import Path

from core.datahome import DataHome
from corpus.database import (DATABASE_NAME, HISTORY_NAME, build_release_database, built_for, known_steps,
                             stored_mentions, stored_releases, update_history)
from corpus.events import ReleaseView, compare, mentions_in
from corpus.manifest import list_releases, read_manifest_head
from corpus.watchlist import load_watchlist

FACETS = ["site", "year", "agency", "author", "lang"]


class NothingToServe(LookupError):
    """The data home has no release (or not the one asked for)."""


def history_path(home: DataHome) -> Path:
    return home.reports_dir / HISTORY_NAME


def bring_history_up_to_date(home: DataHome, compared: dict | None = None) -> int:
    """Add to history.sqlite every release step it does not hold yet (each step compares one release with
    the one before it; texts are read only for changed documents, and the watch-list mentions of the
    older release come from the database). `compared`: steps already computed by the caller (release
    version -> corpus.events.ReleaseChanges), used instead of comparing again. Returns the steps added."""
    infos = list_releases(home)
    path = history_path(home)
    known = known_steps(path)
    watchlist = load_watchlist(home.watchlist) if home.watchlist.exists() else []
    releases, steps, counts, mentions_by_release = [], [], {}, {}
    views: dict[str, ReleaseView] = {}

    def view(info) -> ReleaseView:
        if info.version not in views:
            views[info.version] = ReleaseView.read(info.path)
        return views[info.version]

    for n, info in enumerate(infos):
        if n == 0 and (not path.exists() or info.version not in stored_releases(path)):
            first = view(info)
            mentions = mentions_in(first.records(None), watchlist) if watchlist else {}
            mentions_by_release[info.version] = mentions
            counts[info.version] = {name: len(ids) for name, ids in mentions.items()}
            releases.append({"version": info.version, "date": first.release_date, "documents": len(first.entries)})
        if n == 0 or info.version in known:
            continue
        old = infos[n - 1]
        old_mentions = mentions_by_release.get(old.version)
        if old_mentions is None:
            old_mentions = stored_mentions(path, old.version, watchlist) if watchlist else {}
        if old_mentions is None:
            old_mentions = mentions_in(view(old).records(None), watchlist)
        step = (compared or {}).get(info.version)
        if step is not None and step.old == old.version:
            mentions = {name: (old_mentions.get(name, set()) - set(row.get("lost", []))) | set(row.get("gained", []))
                        for name, row in step.watch.items()}
        else:
            step, mentions = compare(view(old), view(info), watchlist, old_mentions)
        steps.append(step)
        mentions_by_release[info.version] = mentions
        counts[info.version] = {name: len(ids) for name, ids in mentions.items()}
        releases.append({"version": info.version, "documents": info.documents,
                         "date": read_manifest_head(info.path).get("release_date") or info.created_at[:10]})
    if not releases and path.exists():
        return 0
    return update_history(path, steps, releases, counts, mentions_by_release)


def release_database(home: DataHome, version: str | None = None) -> tuple[str, Path]:
    """The version and kcorpus.sqlite of a release (the latest by default): the one inside the release
    when it was written with one (kcorpus before per-document records), else the data home's cache of
    it (index/releases/<version>/), built from the release when missing or built from another release of
    that name. NothingToServe when there is no such release."""
    infos = list_releases(home)
    if not infos:
        raise NothingToServe(f"no release in {home.root}: run `kcorpus release` first")
    chosen = infos[-1] if version in (None, "latest") else next((i for i in infos if i.version == version), None)
    if chosen is None:
        raise NothingToServe(f"no release {version!r} in {home.root} (known: {', '.join(i.version for i in infos)})")
    inside = chosen.path / DATABASE_NAME
    if inside.exists():
        return chosen.version, inside
    cached = home.release_databases_dir / chosen.version / DATABASE_NAME
    if not cached.exists() or built_for(cached) != chosen.created_at:
        build_release_database(chosen.path, cached)
    return chosen.version, cached


def datasette_metadata(version: str, home: DataHome) -> dict:
    """Titles, facets, full-text search and the canned queries a historian starts from."""
    release_db = "kcorpus"
    return {
        "title": f"kcorpus release {version}",
        "description": "DPRK state media as reposted on the open web: cleaned, versioned, with every change "
                       "between releases. Search needs at least three characters (trigram index: Korean "
                       "names are found inside words).",
        "databases": {
            release_db: {
                "tables": {
                    "documents": {"facets": FACETS, "fts_table": "documents_fts", "sort_desc": "date",
                                  "label_column": "title"},
                },
                "queries": {
                    "search": {
                        "title": "Search the full text: the paragraphs that hold a phrase",
                        "sql": "select d.id, d.site, d.date, d.title, p.n as paragraph, p.text from documents d "
                               "join paragraphs p on p.document_id = d.id where d.rowid in (select rowid from "
                               "documents_fts where documents_fts match '\"' || replace(:q, '\"', '\"\"') || '\"') "
                               "and p.text like '%' || :q || '%' order by d.date desc, p.n limit 500",
                    },
                    "works": {
                        "title": "One article, many copies (works with witnesses on several sites)",
                        "sql": "select work, count(*) as witnesses, group_concat(site, ', ') as sites, "
                               "min(document_id) as first from witnesses group by work order by witnesses desc",
                    },
                },
            },
            "history": {
                "tables": {"changes": {"facets": ["change", "kind", "site", "step"]}},
                "queries": {
                    "edit_events": {
                        "title": "Edit events: one change made in many articles",
                        "sql": "select step as release, label, documents, sites, deleted, inserted from edit_events "
                               "order by documents desc, step",
                    },
                    "deleted": {
                        "title": "Deleted upstream, by release and site",
                        "sql": "select step as release, site, label, documents, mentions from deletions order by step",
                    },
                },
            },
        },
        "plugins": {"kcorpus": {"version": version, "home": str(home.root)}},
    }


def write_metadata(path: Path, version: str, home: DataHome) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(datasette_metadata(version, home), indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def datasette_command(home: DataHome, version: str | None, *, plugins_dir: Path, templates_dir: Path,
                      host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The datasette command line that serves a release and the history, read-only; `plugins_dir` and
    `templates_dir` hold the pages Datasette lacks (a document with its versions, a watch-list plot)."""
    import sys

    version, database = release_database(home, version)
    bring_history_up_to_date(home)
    metadata = write_metadata(home.reports_dir / "datasette-metadata.json", version, home)
    # copies named for Datasette's URLs (/kcorpus, /history); -i opens them immutable (read-only, no locks)
    # -i: immutable (read-only, no locks); Datasette names each database by its file's stem
    return [sys.executable, "-m", "datasette", "serve", "-i", str(database), "-i", str(history_path(home)),
            "--metadata", str(metadata), "--host", host, "--port", str(port),
            "--setting", "sql_time_limit_ms", "5000", "--plugins-dir", str(plugins_dir),
            "--template-dir", str(templates_dir)]
