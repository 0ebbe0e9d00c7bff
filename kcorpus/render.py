"""What the `kcorpus` commands print: tables and lines on the terminal (Rich), one function per result
the flows return. Nothing here decides or computes; it only shows."""

from __future__ import annotations

import json
import os
import sys
import threading

from rich.console import Console
from rich.table import Table


def _width(stream) -> int | None:
    """The table width: the terminal's; when piped, $COLUMNS if set (Rich reads it), else 132 rather
    than Rich's 80, so the summary tables fit in CI logs and `| less`."""
    return None if stream.isatty() or os.environ.get("COLUMNS", "").isdigit() else 132


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """The reader went away (`kcorpus status | head -1`): what it read was what it wanted, so stop
        writing and exit 0 (Rich's own handler exits 1). Later writes go to /dev/null."""
        self.quiet = True
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        raise SystemExit(0)


console = _Console(width=_width(sys.stdout))
err = Console(stderr=True, width=_width(sys.stderr))


def fitted_table(columns: dict[str, str], **options) -> Table:
    """A table that gives way by shortening columns, never by breaking a word: `columns` maps each header
    to "num" (right-aligned, never cut), "key" (a name, version or id: kept whole, cut with "…" only
    when nothing else gives) or "text" (wraps between words; a word too long for its column is cut
    with "…", not split over lines)."""
    from rich import box

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True, **options)  # 2 spaces a column
    for name, kind in columns.items():
        table.add_column(name, justify="right" if kind == "num" else "left", no_wrap=kind != "text",
                         overflow="ellipsis", min_width=len(name) if kind == "num" else None)
    return table


def keep_words(table: Table, longest: int = 24) -> Table:
    """After the rows are in: no "text" column narrower than its longest word, when that word is at most
    `longest` characters; a column holding longer ones (a path, a URL) is the one that gives way, cut with "…"."""
    for column in table.columns:
        words = [len(word) for cell in column.cells for word in str(cell).split()]
        if not column.no_wrap and max(words, default=0) <= longest:
            column.min_width = max([len(str(column.header)), *words])
    return table


def error(message: str) -> None:
    """One `error: ...` line on standard error."""
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)


def starting(what: str) -> None:
    """The first line a long command prints, at once, before Prefect and the heavy libraries load: what
    it is starting (on standard error, so a piped summary stays clean; --quiet drops it)."""
    if not console.quiet:
        err.print(what, highlight=False, soft_wrap=True)


def version() -> None:
    from core.version import __version__
    print(f"kcorpus {__version__}")


def as_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


class CrawlProgress:
    """What a crawl is doing while it runs, per site, read from the crawl state (the crawl runs in Prefect
    tasks, possibly on other machines, so it is watched, not hooked). On a terminal: a bar per site,
    "crawling globalsecurity 812/1,500 pages", downloads and the rate; the total is the article URLs known
    before the run (none on a first crawl). Piped: a plain line every `every` seconds.
    `start()`, `count(since)` and `totals()` come from flows.crawl (last_capture_id, crawl_progress,
    known_articles)."""

    def __init__(self, start, count, totals=dict, every: float = 30.0):
        self.terminal = console.is_terminal
        self._start, self._count, self._totals, self.every = start, count, totals, every
        self._stop = None

    def __enter__(self):
        since, totals = self._start(), self._totals()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._bars if self.terminal else self._lines, args=(since, totals),
                                        daemon=True)
        self._thread.start()
        return self

    def _bars(self, since: int, totals: dict) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("pages, {task.fields[new]} downloaded, {task.fields[rate]}"),
                            TimeElapsedColumn(), console=console, transient=True)
        tasks: dict[str, int] = {}
        with progress:
            while not self._stop.wait(0.5):
                for site, (seen, downloaded) in sorted(self._count(since).items()):
                    if site not in tasks:
                        tasks[site] = progress.add_task(f"crawling {site}", total=totals.get(site) or None,
                                                        new=0, rate="")
                    task = progress.tasks[tasks[site]]
                    total = max(totals.get(site) or 0, seen) or None
                    rate = f"{seen / task.elapsed:.1f}/s" if task.elapsed else ""
                    progress.update(tasks[site], completed=seen, total=total, new=f"{downloaded:,}", rate=rate)

    def _lines(self, since: int, totals: dict) -> None:
        import time

        began = time.monotonic()
        while not self._stop.wait(self.every):
            counts = self._count(since)
            if counts:
                elapsed = time.monotonic() - began
                err.print("crawling: " + ", ".join(
                    f"{site} {seen:,}" + (f"/{totals[site]:,}" if totals.get(site, 0) >= seen else "")
                    + f" pages ({downloaded:,} downloaded)" for site, (seen, downloaded) in sorted(counts.items()))
                    + f"; {sum(c[0] for c in counts.values()) / elapsed:.1f} pages/s", highlight=False, soft_wrap=True)

    def __exit__(self, *exc):
        if self._stop:
            self._stop.set()
            self._thread.join(timeout=2)


def replay_banner(server, files: int) -> None:
    console.print(f"Replaying {len(server.snapshot)} recorded URLs from {files} WARC file(s) on "
                  f"{server.base_url}/  (hosts: {', '.join(sorted(server.hosts()))}). Ctrl-C stops.")
    console.print(f"Crawler-style: curl -H 'Host: kancc.org' {server.base_url}/bbs/board.php?bo_table=heigo&page=1")
    for path, fault in sorted(server.hostile.items()):
        console.print(f"Hostile: {path} answers with {fault} on every host", highlight=False)
    sys.stdout.flush()


def refresh_summary(summary: dict) -> None:
    """The crawl run's table (one row per site) and a line per failed, gone, refused or skipped page."""
    from scrapers.revisit import describe

    # two tables (what the crawl fetched, what the cleaning did): each fits in 80 columns with whole words
    table = fitted_table({"site": "key", "outcome": "key", "lists": "num", "articles": "num", "new": "num",
                          "unchanged": "num", "gone": "num", "failed": "num"}, title=f"Crawl run {summary['run_id']}")
    cleaning = fitted_table({"site": "key", "cleaned": "num", "re-used": "num", "retired": "num", "refused": "num"})
    for site, crawl in summary["crawl"].items():
        clean = summary["clean"][site]
        outcome = summary.get("outcomes", {}).get(site, {}).get("outcome", "")
        table.add_row(site, outcome if outcome == "ok" else f"[red]{outcome}[/red]", f"{crawl['index_pages']:,}",
                      f"{crawl['articles']:,}", f"{crawl['downloaded']:,}", f"{crawl['unchanged']:,}",
                      f"{crawl['gone']:,}", f"{len(crawl['failed']):,}")
        cleaning.add_row(site, f"{len(clean['cleaned']):,}", f"{len(clean['reused']):,}", f"{len(clean['retired']):,}",
                         f"{len(clean['failures']):,}")
    console.print(table)
    console.print(cleaning)
    for site, crawl in summary["crawl"].items():
        for url, error_text in crawl["failed"]:
            console.print(f"  [yellow]{site}: failed[/yellow] {url}: {error_text}", highlight=False)
        for soft in summary["clean"][site].get("soft_404", []):
            console.print(f"  {site}: gone (error page served as 200) {soft['url']}: {soft['reason']}", highlight=False)
        for failure in summary["clean"][site]["failures"]:
            console.print(f"  [yellow]{site}: not cleaned ({failure.get('kind', 'unreadable')})[/yellow] "
                          f"{failure['url']}: {failure['error']}",
                          highlight=False)
        for href, reason in crawl.get("bad_links", []):
            console.print(f"  [yellow]{site}: bad link skipped[/yellow] {reason}", highlight=False)
        if crawl.get("revisit"):
            console.print(f"  {site}: {describe(crawl['revisit'])}", highlight=False)
        for warning in crawl.get("warnings", []):
            console.print(f"  [yellow]warning: {site}:[/yellow] {warning}", highlight=False)
        not_checked = summary["clean"][site].get("not_checked", [])
        if not_checked:
            console.print(f"  {site}: {len(not_checked)} documents not checked this run (kept): "
                          f"{', '.join(not_checked[:5])}{' ...' if len(not_checked) > 5 else ''}", highlight=False)
    wacz = summary.get("wacz") or {}
    if wacz.get("file"):
        console.print(f"  WACZ: {wacz['file']} ({wacz['pages']} pages)", highlight=False)
    elif wacz.get("skipped"):
        console.print(f"  WACZ: {wacz['skipped']}", highlight=False)
    elif wacz.get("error"):
        console.print(f"  [yellow]no WACZ:[/yellow] {wacz['error']}", highlight=False)


def backfill_summary(summary: dict, site: str, wayback: str) -> None:
    report, clean = summary["backfill"], summary["clean"]
    console.print(f"Backfill {summary['run_id']} of {site} from {wayback}: {report['listed']} captures listed, "
                  f"{report['articles']} articles, {report['fetched']} fetched, {report['revisits']} same payload "
                  f"(revisits, not fetched), {report['already_held']} already held, {len(report['failed'])} failed, "
                  f"{report['rate_limited']} rate-limit pauses; {len(clean['cleaned'])} documents cleaned with their "
                  f"history", highlight=False)
    for url, why in report["unverified"]:
        console.print(f"  [yellow]unverified[/yellow] {url}: {why}", highlight=False)
    for warning in report["warnings"]:
        console.print(f"  [yellow]warning[/yellow] {warning}", highlight=False)
    for url, error_text in report["failed"]:
        console.print(f"  [yellow]failed[/yellow] {url}: {error_text}", highlight=False)
    for refused in clean.get("failures", []):   # fetched and archived, but no version of the article
        console.print(f"  [yellow]refused by the cleaner[/yellow] {refused['url']}: {refused['error']}", highlight=False)


def cleaned_page(doc, fmt: str) -> None:
    """A page cleaned by `kcorpus clean`: its public JSON record, plain text or TEI."""
    import cleaners

    if fmt == "json":
        as_json(doc.public_dict())
    elif fmt == "text":
        print(cleaners.render_text(doc))
    else:
        from corpus.tei import document_to_tei
        sys.stdout.write(document_to_tei(doc, release=None, changes=[]).decode("utf-8"))


def released_document(doc, fmt: str, tei_file) -> None:
    """A released document (`kcorpus show`): its JSON record with its text, plain text, or its TEI file."""
    import cleaners

    if fmt == "json":
        as_json({**doc.to_dict(), "text": doc.text})
    elif fmt == "text":
        print(cleaners.render_text(doc), end="")
    else:
        sys.stdout.write(tei_file.read_text(encoding="utf-8"))


def release_outcome(outcome) -> None:
    rel = outcome.release
    console.print(f"Release [bold]{rel.version}[/bold]: {rel.documents} documents "
                  f"({', '.join(f'{s} {n}' for s, n in sorted(rel.counts_by_site.items()))}) -> {rel.path}",
                  highlight=False)
    if outcome.quarantined:
        console.print(f"  quarantined (not released): {len(outcome.quarantined)}: {', '.join(outcome.quarantined)}",
                      highlight=False)
    if outcome.batch_failures:
        console.print("  [yellow]released with --allow-partial despite:[/yellow] " + "; ".join(outcome.batch_failures))
    # the offline quality report is the page to open; GX Data Docs need the CDNs for their styles
    if getattr(outcome, "quality_report", None):
        console.print(f"  Quality report (HTML, offline): {outcome.quality_report}", highlight=False)
    if outcome.data_docs_path:
        console.print(f"  Great Expectations Data Docs (online styles): {outcome.data_docs_path}", highlight=False)


def blocked_release(blocked) -> None:
    if blocked.quality_report:
        err.print(f"Quality report (HTML, offline): {blocked.quality_report}", highlight=False)
    if blocked.data_docs_path:
        err.print(f"Great Expectations Data Docs (online styles): {blocked.data_docs_path}", highlight=False)


def release_audit(audit) -> None:
    """The events, moves and not-checked sites of the newest release, and where its report and feeds are."""
    from corpus.audit_page import render_changes_text

    if audit.changes is None:
        return
    console.print(render_changes_text(audit.changes), highlight=False, soft_wrap=True)
    console.print(f"Audit report (HTML): {audit.report}", highlight=False)
    console.print(f"Atom feeds: {audit.feeds['all.atom'].parent} ({len(audit.feeds)} files)", highlight=False)
    for line in getattr(audit, "replaced", []):
        err.print(f"warning: feed text repaired: {line}", highlight=False, soft_wrap=True)


def releases(infos: list) -> None:
    """The releases, oldest first: versions, dates and counts never cut, per-site counts wrapped between
    sites; the folder they are in on a line of its own (each is <that folder>/<version>)."""
    folders = sorted({str(info.path.parent) for info in infos})
    if folders:
        console.print(f"Releases in {', '.join(folders)}:", highlight=False, soft_wrap=True)
    table = fitted_table({"version": "key", "created": "key", "documents": "num", "per site": "text",
                          "partial": "key"})
    for info in infos:
        table.add_row(info.version, str(info.created_at)[:16].replace("T", " "), f"{info.documents:,}",
                      ", ".join(f"{s} {n:,}" for s, n in sorted(info.counts_by_site.items())),
                      "yes" if info.partial else "")
    console.print(keep_words(table))


def release_changes(changes) -> None:
    """What changed between two releases, as the audit shows it (corpus.audit_page)."""
    from corpus.audit_page import render_changes_text
    console.print(render_changes_text(changes), highlight=False, soft_wrap=True, markup=False)


def release_changes_html(changes, path) -> None:
    """The audit page of two releases, written to `path` (document ids not linked: no history pages beside it)."""
    from corpus.audit_page import render_changes_html
    path.write_text(render_changes_html(changes, history_base=None), encoding="utf-8")
    err.print(f"HTML report: {path}", highlight=False)


def crawl_comparison(result) -> None:
    console.print(f"Crawl {result.old_run} -> {result.new_run}: {len(result.new)} new, {len(result.gone)} gone, "
                  f"{len(result.changed)} changed, {result.unchanged} unchanged, {len(result.failed)} failed, "
                  f"{len(result.not_checked)} not checked", highlight=False)
    for label, urls in (("new", result.new), ("gone", result.gone), ("changed", result.changed),
                        ("failed", result.failed), ("not checked", result.not_checked)):
        for url in urls:
            console.print(f"  {label:11} {url}", highlight=False)


def timeline(tl) -> None:
    from corpus.audit_page import render_timeline_text
    console.print(render_timeline_text(tl), highlight=False, soft_wrap=True)


def version_edits(edits: list) -> None:
    from corpus.versions import render_version_edits
    console.print(f"{len(edits)} edits between captured versions", highlight=False)
    console.print(render_version_edits(edits), highlight=False, markup=False)


def witnesses(works: list, differences: list) -> None:
    from corpus.witnesses import render_differences
    console.print(f"{len(works)} works with more than one witness", highlight=False)
    console.print(render_differences(works, differences), highlight=False, markup=False)


def document_history(history) -> None:
    from corpus.audit_page import render_history_text
    console.print(render_history_text(history), highlight=False, soft_wrap=True)


def document_history_html(history, path) -> None:
    from corpus.audit_page import render_history_html
    path.write_text(render_history_html(history), encoding="utf-8")
    err.print(f"HTML history: {path}", highlight=False)


def watchlist(overview) -> None:
    if overview.written:
        console.print(f"Wrote the example watch-list to {overview.path}", highlight=False)
    if not overview.entries:
        console.print(f"No watch-list at {overview.path} (kcorpus watchlist --init writes an example).",
                      highlight=False)
        return
    table = fitted_table({"name": "key", "aliases": "text", "documents": "num"},
                         title=f"Watch-list {overview.path}" + (f" in release {overview.release}" if overview.release else ""))
    for e in overview.entries:
        table.add_row(e.name, ", ".join(e.aliases), str(overview.counts.get(e.name, "")))
    console.print(table)


def demo(result, home) -> None:
    """The demo's summary: each run and release, the crawl comparison, what changed in each release
    (the audit, with the report of the second release), the copies of one article across sites."""
    console.rule("Summary")
    for summary, outcome in zip(result.refreshes, result.releases):
        refresh_summary(summary)
        release_outcome(outcome)
    crawls = result.crawl_comparison
    console.print(f"Crawl comparison (captures): {len(crawls.new)} new, {len(crawls.gone)} gone, "
                  f"{len(crawls.changed)} changed URLs", highlight=False)
    second = result.audits[1] if len(result.audits) > 1 else None
    if second is not None and second.changes is not None:
        from corpus.audit_page import render_changes_text
        console.print(render_changes_text(second.changes), highlight=False, soft_wrap=True)
    if result.works:
        from corpus.witnesses import render_differences
        console.print(f"One article, many copies: {len(result.works)} works with witnesses on more than one site",
                      highlight=False)
        console.print(render_differences(result.works, result.witness_differences), highlight=False, markup=False)
    if second is not None and second.report is not None:
        console.print(f"Audit report (HTML): {second.report}", highlight=False)
    last = result.audits[-1] if result.audits else None
    if last is not None and last.changes is not None:
        console.rule(f"Release {last.changes.old} -> {last.changes.new}: events, moves, sites not checked")
        if len(result.releases) >= 3:
            console.print("The third release was made with allow_partial=True: KANCC did not answer (HTTP 503), so its "
                          "documents are kept as last seen and reported as not checked.", highlight=False)
        release_audit(last)
        for event in last.changes.events[:1]:
            console.print(f"EVENT: {event.label}", highlight=False)
        for move in last.changes.of("moved"):
            console.print(f"MOVE: {move.moved_from['id']} -> {move.id}", highlight=False)
        for site, row in last.changes.not_checked.items():
            console.print(f"NOT CHECKED: {site}: {row['documents']} documents, none removed", highlight=False)
    console.print(f"Data home: {home.root}", highlight=False)


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def status(report: dict) -> None:
    console.print(f"Data home {report['home']}", highlight=False)
    table = fitted_table({"site": "key", "run": "text", "started": "key", "status": "key", "outcome": "key",
                          "new": "num", "same": "num", "gone": "num", "failed": "num"}, title="Last crawl per site")
    for site, crawl in report["crawls"].items():
        table.add_row(site, crawl["run_id"], crawl["started_at"][:19], crawl["status"], crawl.get("outcome") or "",
                      str(crawl["downloaded"]), str(crawl["unchanged"]), str(crawl["gone"]), str(crawl["failed"]))
    console.print(table if report["crawls"] else "No crawl yet.")
    for site, crawl in report["crawls"].items():
        if crawl.get("refused"):
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(crawl["refused"].items()))
            console.print(f"  {site}: refused as not articles in its last crawl: {kinds}", highlight=False)
        revisit = crawl.get("revisit")
        if revisit:
            console.print(f"  {site}: {revisit['scheduled']} known articles scheduled for re-checks, "
                          f"{revisit['due_now']} due now; oldest check {revisit['oldest_check'] or 'never'}"
                          + (f", next due {revisit['next_due']}" if revisit["next_due"] else ""), highlight=False)
    last = report["last_release"]
    if last:
        console.print(f"Last release: {last['version']} ({last['created_at'][:19]}), {last['documents']} documents "
                      f"({', '.join(f'{k} {v}' for k, v in sorted(last['counts_by_site'].items()))})"
                      f"{', partial' if last['partial'] else ''}; {report['releases']} release(s) in all",
                      highlight=False)
    else:
        console.print("No release yet.")
    console.print(f"Quarantined documents: {report['quarantined']}", highlight=False)
    console.print("Disk use: " + ", ".join(f"{name} {_size(n)}" for name, n in report["disk_use"].items()) +
                  f" (total {_size(sum(report['disk_use'].values()))})", highlight=False)


def quarantine(entries: list[dict]) -> None:
    if not entries:
        console.print("No quarantined documents.")
        return
    table = fitted_table({"id": "key", "site": "key", "why (check: where)": "text", "source URL": "text"})
    for entry in entries:
        # records written before reasons existed name only the GX expectation
        why = "; ".join(f"{f['check']}: {f['where']}" if f.get("check") else f["expectation"] for f in entry["failed"])
        table.add_row(entry["id"], entry["site"], why, entry["source_url"])
    console.print(keep_words(table))


def check_report(report) -> None:
    """`kcorpus check`: each broken invariant on its own line, what --repair did, then the totals."""
    for line in report.repaired:
        console.print(f"repaired: {line}", highlight=False, soft_wrap=True)
    for line in report.problems:
        err.print(f"[red]problem:[/red] {line}", highlight=False, soft_wrap=True)
    checked = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in report.checked.items())
    verdict = "every invariant holds" if report.ok else f"{len(report.problems)} problem(s)"
    console.print(f"Checked {checked}: {verdict}", highlight=False)


def serving(host: str, port: int) -> None:
    console.print(f"Serving the release at http://{host}:{port}/ (read-only; Ctrl-C stops)", highlight=False)


class ReleasePhases:
    """The phases of a release as it runs, on standard error: "gate: 10,000 documents", "linking copies
    across sites", "writing 2,500/10,000 documents (412/s)"; one line each (a terminal or a pipe alike),
    never more than one every second for the writing."""

    def __init__(self):
        import time

        self.clock = time.monotonic
        self.started = self.last = self.clock()
        self.phase = None

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if console.quiet:
            return
        now = self.clock()
        if phase != self.phase:
            self.phase, self.started = phase, now
            words = {"gate": f"release: the quality gate over {total or 0:,} documents",
                     "linking": "release: linking copies of one article across sites",
                     "writing": "release: writing the release files"}
            err.print(words.get(phase, f"release: {phase}"), highlight=False)
        if phase == "writing" and done and now - self.last >= 1.0:
            rate = done / max(now - self.started, 1e-6)
            err.print(f"  writing {done:,}/{total:,} documents ({rate:,.0f}/s)" if total
                      else f"  writing {done:,} documents ({rate:,.0f}/s)", highlight=False)
            self.last = now
