"""Auditing: what changed between releases (one change model, corpus.events: the audit page, its
history pages and Atom feeds, `kcorpus diff`, the scheduled run's summary), between crawl runs, between
a document's captured versions, and between copies of one article across sites.

`after_release` is the one step every release is followed by: the CLI, the demo and the scheduled run
all call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cleaners.store import current_documents
from core.datahome import DataHome
from core.document import Document
from scrapers.revisit import describe
from scrapers.state import CrawlState


FEED_STEPS = 5   # the stable feeds under reports/feeds/ carry the changes of the last releases, not only the newest


def watchlist(home: DataHome):
    """The data home's watch-list entries (none when there is no watchlist.toml)."""
    from corpus.watchlist import load_watchlist
    return load_watchlist(home.watchlist)


@dataclass
class ReleaseAudit:
    """The audit written for the newest release: its changes, the HTML report, history pages, feeds."""

    changes: object | None            # corpus.events.ReleaseChanges (None before the second release)
    report: Path | None
    history_pages: list[Path] = field(default_factory=list)
    feeds: dict[str, Path] = field(default_factory=dict)
    replaced: list[str] = field(default_factory=list)   # feed entries whose text held XML-illegal characters


def published_base(home: DataHome, base_url: str | None = None) -> str | None:
    """Where reports/ is served: `base_url` (--base-url), else the installation's setting
    (KCORPUS_BASE_URL, [publish] base_url in kcorpus.toml), else None: links relative to each file."""
    from core.settings import SettingsError, check_base_url, load_settings
    from flows.errors import BadOption

    if base_url:
        try:
            return check_base_url(base_url)
        except SettingsError:   # the command line's value: a usage error naming the option
            raise BadOption("--base-url", f"not an http(s) URL: {base_url!r}") from None
    return load_settings(home.root).base_url


def published_link(home: DataHome, path: Path | str | None, base_url: str | None = None) -> str | None:
    """The address of a report file under reports/ where reports/ is published (published_base), or
    None when nothing is configured or the file lies elsewhere: then the caller names the file relative
    to the data home, never as a file:// path of this machine."""
    base = published_base(home, base_url)
    if path is None or base is None:
        return None
    try:
        relative = Path(path).resolve().relative_to(home.reports_dir.resolve())
    except ValueError:
        return None
    return base + relative.as_posix()


def in_home(home: DataHome, path: Path | str) -> str:
    """A file of the data home named relative to it ("reports/quality-2026.12.03.html"): what travels."""
    try:
        return Path(path).resolve().relative_to(home.root.resolve()).as_posix()
    except ValueError:
        return str(path)


def after_release(home: DataHome, base_url: str | None = None) -> ReleaseAudit:
    """What follows every release (the CLI's, the demo's and the scheduled run's alike): compare it with
    the one before (events, moves, not checked, cosmetic, watch-list), write reports/audit-OLD-NEW.html,
    a history page for every document it names, and the Atom feeds (reports/feeds/<version>/ for this
    release, reports/feeds/*.atom over the last releases), and the step in reports/history.sqlite that
    `kcorpus serve` browses. Before the second release: nothing to compare.

    Links in the feeds go to `base_url` (published_base) when there is one, else they are relative to
    the feed file: never a file:// path of the machine that wrote them. Entry ids use the
    installation's tag authority (core.settings.tag_authority)."""
    from core.settings import load_settings, tag_authority
    from corpus.events import timeline
    from corpus.audit_page import history_file_name, render_changes_html, render_history_html
    from corpus.feeds import release_feeds, tag_prefix
    from corpus.manifest import list_releases

    from flows.browse import bring_history_up_to_date

    infos = list_releases(home)
    if len(infos) < 2:
        bring_history_up_to_date(home)
        return ReleaseAudit(None, None)
    entries = watchlist(home)
    recent = infos[-(FEED_STEPS + 1):]
    tl = timeline([i.path for i in recent], entries)
    step = tl.steps[-1]
    bring_history_up_to_date(home, {s.new: s for s in tl.steps})   # the steps compared here, not again
    reports = home.reports_dir
    feeds_dir = reports / "feeds"
    (feeds_dir / step.new).mkdir(parents=True, exist_ok=True)
    (reports / "history").mkdir(parents=True, exist_ok=True)
    base = published_base(home, base_url)
    tag = tag_prefix(tag_authority(home.root, load_settings(home.root)))
    # relative links climb from the feed file to reports/: feeds/<version>/x.atom is two folders down
    this_base, stable_base = (base, base) if base else ("../../", "../")

    def report_name(s) -> str:
        return f"audit-{s.old}-{s.new}.html"

    sites = sorted({e["site"] for i in recent[-2:] for e in _manifest_entries(i.path)})
    feed_links = {"all": f"feeds/{step.new}/all.atom", **{s: f"feeds/{step.new}/site-{s}.atom" for s in sites},
                  **{e.name: f"feeds/{step.new}/watch-{e.slug}.atom" for e in entries}}
    report = reports / report_name(step)
    report.write_text(render_changes_html(step, "history/", feed_links), encoding="utf-8")
    named = {c.id for c in step.changes if c.change != "not_checked"} | \
            {c.moved_from["id"] for c in step.changes if c.moved_from} | \
            {i for row in step.watch.values() for i in row["lost"] + row["gained"]}
    pages = []
    made = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    histories = document_histories(home, named)   # each release read once for all the named documents
    for doc_id in sorted(named):
        page = reports / "history" / history_file_name(doc_id)
        page.write_text(render_history_html(histories[doc_id], as_of=made), encoding="utf-8")
        pages.append(page)
    timed = {i.version: i.created_at for i in recent}
    written: dict[str, Path] = {}
    replaced: list[str] = []
    this_release = release_feeds([(step, this_base + report_name(step), timed[step.new])],
                                 f"{base}feeds/{step.new}/" if base else "", entries, sites, tag, replaced)
    for name, data in this_release.items():
        (feeds_dir / step.new / name).write_bytes(data)
        written[f"{step.new}/{name}"] = feeds_dir / step.new / name
    stable = release_feeds([(s, stable_base + report_name(s), timed[s.new]) for s in reversed(tl.steps)],
                           f"{base}feeds/" if base else "", entries, sites, tag, replaced)
    for name, data in stable.items():
        (feeds_dir / name).write_bytes(data)
        written[name] = feeds_dir / name
    for s in tl.steps[:-1]:  # earlier steps' reports, for the stable feeds' links (written once)
        if not (reports / report_name(s)).exists():
            (reports / report_name(s)).write_text(render_changes_html(s, "history/"), encoding="utf-8")
    return ReleaseAudit(step, report, pages, written, sorted(set(replaced)))


def _manifest_entries(release_dir: Path) -> list[dict]:
    from corpus.events import ReleaseView
    return list(ReleaseView.read(release_dir).entries.values())


def document_history(home: DataHome, doc_id: str):
    """Every capture (from the crawl state) and every released version of one document."""

    history = document_histories(home, [doc_id])[doc_id]
    if not history.versions and not history.captures:
        raise KeyError(f"no release and no capture knows the document {doc_id!r}")
    return history


def document_histories(home: DataHome, doc_ids) -> dict:
    """The histories of many documents, each release read once for all of them (corpus.history)."""
    import corpus.history
    from corpus.manifest import list_releases

    paths = [info.path for info in list_releases(home)]
    histories = corpus.history.document_histories(paths, doc_ids)
    urls: dict[str, set[str]] = {}
    for doc_id, history in histories.items():
        urls[doc_id] = {v["source_url"] for v in history.versions if v.get("source_url")}
    if home.state_db.exists() and any(urls.values()):
        state = CrawlState.read_only(home.state_db)
        try:
            for doc_id, history in histories.items():
                captures = [{k: row[k] for k in ("captured_at", "run_id", "url", "status", "record_type",
                                                 "payload_digest", "record_id", "warc_file", "error")}
                            for url in sorted(urls[doc_id]) for row in state.url_capture_log(url)]
                history.captures = sorted(captures, key=lambda c: (c.get("captured_at") or "", c.get("run_id") or ""))
        finally:
            state.close()
    return histories


def releases_timeline(home: DataHome, since: str):
    """The timeline from release `since` (a version or a date YYYY-MM-DD) to the newest release."""
    from corpus.events import releases_since, timeline
    from corpus.manifest import list_releases

    infos = releases_since(list_releases(home), since)
    return timeline([i.path for i in infos], watchlist(home))


def version_edits(home: DataHome, sites: list[str] | None = None) -> list:
    """The edits between the captured versions of every document: live crawls and Wayback copies alike,
    read from the crawl state (each capture once per payload, cleaned from its WARC record), dated by both
    captures (corpus.versions.VersionEdit). A document whose captures all hold one payload is skipped
    before anything is read."""
    import corpus.versions
    from core.profiles import builtin_profiles, get_profile
    from flows.backfill import captured_versions, captures_by_document

    if not home.state_db.exists():
        return []
    edits = []
    state = CrawlState(home.state_db)
    try:
        for site in sites or sorted(builtin_profiles()):
            for doc_id, rows in captures_by_document(state, get_profile(site)).items():
                if len({row["payload_digest"] for row in rows}) < 2:
                    continue
                versions, cleaned = captured_versions(home, site, rows)
                if len({v["text_sha256"] for v in versions}) < 2:
                    continue
                docs = []
                for v in versions:
                    version = Document.from_dict(cleaned[v["payload_digest"]].to_dict())
                    version.capture = {"captured_at": v["captured_at"], "via": v["via"]}
                    docs.append(version)
                edits += corpus.versions.version_edits(docs)
    finally:
        state.close()
    return edits


def witnesses(home: DataHome, sites: list[str] | None = None) -> tuple[list, list]:
    """Copies of one article across the current documents: (works with more than one witness, and the
    word-level differences of each witness from its work's base witness)."""
    from corpus.witnesses import link_witnesses, witness_differences

    documents = current_documents(home, sites)
    by_id = {d.id: d for d in documents}
    works = [w for w in link_witnesses(documents) if len(w.witnesses) > 1]
    return works, [d for w in works for d in witness_differences(w, by_id)]


def run_summary_markdown(refresh_summary: dict, release_outcome, release_audit: ReleaseAudit) -> str:
    """The markdown summary a scheduled run publishes (as a Prefect artifact)."""
    lines = [f"# kcorpus run {refresh_summary['run_id']}", "",
             "| site | articles | downloaded | unchanged | gone | failed | cleaned | quarantined |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    quarantined = set(release_outcome.quarantined) if release_outcome else set()
    for site, crawl_report in refresh_summary["crawl"].items():
        clean_report = refresh_summary["clean"][site]
        held = sum(1 for doc_id in quarantined if doc_id.startswith(site + "-"))
        lines.append(f"| {site} | {crawl_report['articles']} | {crawl_report['downloaded']} | "
                     f"{crawl_report['unchanged']} | {crawl_report['gone']} | {len(crawl_report['failed'])} | "
                     f"{len(clean_report['cleaned'])} | {held} |")
    for site, crawl_report in refresh_summary["crawl"].items():
        if crawl_report.get("revisit"):
            lines += ["", f"{site}: {describe(crawl_report['revisit'])}"]
        lines += [line for w in crawl_report.get("warnings", []) for line in ("", f"**Warning** ({site}): {w}")]
    if release_outcome:
        rel = release_outcome.release
        lines += ["", f"**Release {rel.version}**: {rel.documents} documents at `{rel.path}`"]
    changes = release_audit.changes
    if changes is not None:
        counts = {key: sum(row[key] for row in changes.counts_by_site.values())
                  for key in ("added", "removed", "moved", "edited_upstream", "edited_pipeline", "cosmetic",
                              "not_checked")}
        also = [f"{counts[key]} {label}" for key, label in (("moved", "moved"), ("cosmetic", "cosmetic edits"),
                                                            ("not_checked", "not checked")) if counts[key]]
        lines += ["", f"**Changes since {changes.old}**: {counts['added']} new, "
                      f"{counts['edited_upstream'] + counts['edited_pipeline']} changed "
                      f"({counts['edited_upstream']} upstream, {counts['edited_pipeline']} pipeline), "
                      f"{counts['removed']} removed" + "".join(f", {a}" for a in also)]
    return "\n".join(lines) + "\n"


def compare_releases(home: DataHome, old: str, new: str):
    """Two releases (each a version under the data home or a folder) compared record by record, in the
    audit's change model (corpus.events.ReleaseChanges: added, removed, moved, not checked, edited word
    by word and field by field; upstream, pipeline or cosmetic)."""
    from corpus.diff import diff_releases
    from flows.release import find_release

    return diff_releases(find_release(home, old), find_release(home, new))


@dataclass
class WatchlistOverview:
    """The watch-list of a data home and how many documents of the newest release mention each entry."""

    path: Path
    entries: list                      # corpus.watchlist.WatchEntry
    release: str | None                # the newest release's name (None before the first)
    counts: dict[str, int] = field(default_factory=dict)
    written: bool = False              # the shipped example was just written


def watchlist_overview(home: DataHome, *, init: bool = False) -> WatchlistOverview:
    """The watch-list and its counts in the newest release; `init` first writes the shipped example to
    <data home>/watchlist.toml (FileExistsError over an existing one: nothing is changed)."""
    from corpus.events import ReleaseView, mentions_in
    from corpus.manifest import latest_release
    from corpus.watchlist import example_watchlist

    if init:
        if home.watchlist.exists():
            raise FileExistsError(f"{home.watchlist} already exists (nothing was changed)")
        home.watchlist.write_text(example_watchlist(), encoding="utf-8")
    entries = watchlist(home)
    latest = latest_release(home) if entries else None
    counts = {e.name: len(ids) for e, ids in
              zip(entries, mentions_in(ReleaseView.read(latest).records(None), entries).values())} if latest else {}
    return WatchlistOverview(home.watchlist, entries, latest.name if latest else None, counts, init)
