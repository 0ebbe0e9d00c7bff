"""The `kcorpus` command line: one entry point over the same functions the Prefect flows call.

Heavy libraries (Prefect, Great Expectations) are imported inside the commands that need them,
so `kcorpus clean` starts fast.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
import typer.core
from rich.console import Console
from rich.table import Table

from core.datahome import DataHome, DataHomeBusy, OutsideHome, WriterLock
from flows.runs import SNAPSHOTS, run_refresh, run_release, snapshot_path, task_runner_for

# --debug (before the command) shows tracebacks; without it every failure is one `error: ...` line.
DEBUG = {"on": False}


def describe_failure(exc: BaseException) -> str:
    """An exception as the one line a user reads after `error:` (no traceback, Prefect's included)."""
    import errno
    import sqlite3

    from scrapers.crawl import describe_sqlite_error
    from scrapers.warcstore import WarcWriteError, describe_os_error

    if isinstance(exc, WarcWriteError):
        return exc.strerror
    if isinstance(exc, sqlite3.OperationalError):
        return f"the crawl state could not be written: {describe_sqlite_error(exc)}"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" writing {exc.filename}" if exc.filename else ""
        return f"{describe_os_error(exc)}{where}; nothing already written was lost"
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{describe_os_error(exc)}{where}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class _Commands(typer.core.TyperGroup):
    """Every command's unexpected failure becomes one `error: ...` line and exit 1 (`--debug` shows
    the traceback); usage errors keep click's exit 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, click.exceptions.Exit, click.exceptions.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            err.print("error: interrupted", highlight=False)
            raise typer.Exit(130)
        except Exception as exc:
            if DEBUG["on"]:
                import traceback
                traceback.print_exception(exc, file=sys.stderr)
            err.print(f"[red]error:[/red] {describe_failure(exc)}", highlight=False, soft_wrap=True, markup=True)
            raise typer.Exit(1)


app = typer.Typer(help="kcorpus: archive, clean, validate and release North Korean state media reposted on the web.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, cls=_Commands)
quarantine_app = typer.Typer(help="List and inspect documents held back by the quality gate.",
                             invoke_without_command=True)
app.add_typer(quarantine_app, name="quarantine")



def _width(stream) -> int | None:
    """The table width: the terminal's; when piped, $COLUMNS if set (Rich reads it), else 132 rather
    than Rich's 80, so the summary tables fit in CI logs and `| less`."""
    import os
    return None if stream.isatty() or os.environ.get("COLUMNS", "").isdigit() else 132


console = Console(width=_width(sys.stdout))
err = Console(stderr=True, width=_width(sys.stderr))
# Set by the global options (--quiet / --verbose / --log-file), read when a command runs Prefect.
LOGGING = {"console_level": "WARNING", "log_file": None}


def _version_callback(value: bool) -> None:
    if value:
        from core.version import __version__
        print(f"kcorpus {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                               help="Print kcorpus's version and exit.")] = False,
         quiet: Annotated[bool, typer.Option("--quiet", help="Only errors from Prefect on the terminal, no progress line.")] = False,
         verbose: Annotated[bool, typer.Option("--verbose", help="Prefect's INFO lines on the terminal too.")] = False,
         log_file: Annotated[Optional[Path], typer.Option("--log-file", help="Where Prefect's log lines go (default: <data home>/logs/kcorpus.log).")] = None,
         debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of a failure (before the command: kcorpus --debug refresh).")] = False) -> None:
    """kcorpus: archive, clean, validate and release North Korean state media reposted on the web."""
    DEBUG["on"] = debug
    LOGGING["console_level"] = "ERROR" if quiet else "INFO" if verbose else "WARNING"
    LOGGING["log_file"] = log_file
    if quiet:
        console.quiet = True


def _prefect_logging(home: DataHome) -> Path:
    """Prefect's log lines: at the chosen level on the terminal (WARNING unless --verbose), and all of
    them (INFO and up) in the log file. Called before a command runs a flow; returns the log file."""
    import logging
    import os

    from flows.settings import apply_prefect_defaults

    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", LOGGING["console_level"])
    apply_prefect_defaults(home.root)
    import prefect  # noqa: F401 - configures Prefect's logging; the file handler goes on after it

    path = Path(LOGGING["log_file"] or home.root / "logs" / "kcorpus.log")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not LOGGING["log_file"]:
        try:   # the home's own log: never appended through a link that leads out of the home
            home.inside(path)
        except OutsideHome as exc:
            _fail(str(exc))
    root = logging.getLogger()
    if not any(getattr(h, "baseFilename", None) == str(path.resolve()) for h in root.handlers):
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    return path

HomeOption = Annotated[Optional[Path], typer.Option(
    "--home", help="Data home (default: $KCORPUS_HOME, else ./kcorpus-data).", show_default=False)]


def _home(home: Path | None) -> DataHome:
    return DataHome.resolve(home).ensure()


def _existing_home(home: Path | None) -> DataHome:
    """The data home of a read-only command: never created (a typo must not make an empty one)."""
    data_home = DataHome.resolve(home)
    if not data_home.exists():
        _fail(f"no data home at {data_home.root} (nothing to read; --home or $KCORPUS_HOME names another)")
    return data_home


@contextlib.contextmanager
def _writer(home: Path | None, command: str):
    """The data home, held by this command alone (one writer per data home); leftovers of a killed
    writer (temporary release folders, *.tmp files) are removed once the lock is held."""
    data_home = DataHome.resolve(home)
    lock = WriterLock(data_home, f"kcorpus {command}")
    try:
        lock.acquire()
    except (DataHomeBusy, OutsideHome) as exc:
        _fail(str(exc))
    try:
        data_home.ensure()
        data_home.remove_leftovers()
        yield data_home
    finally:
        lock.release()


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


# --- replay / refresh ---------------------------------------------------------------------------

@app.command()
def replay(warc: Annotated[list[Path], typer.Argument(help="WARC file(s) to serve; later files win.", exists=True)],
           port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8088) -> None:
    """Serve recorded WARC snapshots over HTTP on 127.0.0.1 with their recorded status and headers."""
    from scrapers.replay import ReplayServer

    server = ReplayServer(warc, port=port)
    console.print(f"Replaying {len(server.snapshot)} recorded URLs from {len(warc)} WARC file(s) on "
                  f"{server.base_url}/  (hosts: {', '.join(sorted(server.hosts()))}). Ctrl-C stops.")
    console.print(f"Crawler-style: curl -H 'Host: kancc.org' {server.base_url}/bbs/board.php?bo_table=heigo&page=1")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()


class CrawlProgress:
    """A live line on the terminal while a crawl runs: pages captured so far, read from the crawl state
    (the crawl itself runs in Prefect tasks, possibly on other machines, so it is watched, not hooked)."""

    def __init__(self, home: DataHome):
        self.home = home
        self.enabled = console.is_terminal
        self._stop = None

    def _count(self, since: int) -> tuple[int, int]:
        import sqlite3
        try:
            with sqlite3.connect(f"file:{self.home.state_db}?mode=ro", uri=True, timeout=1) as db:
                row = db.execute("SELECT count(*), coalesce(sum(record_type = 'response'), 0) FROM captures "
                                 "WHERE id > ? AND kind = 'article'", (since,)).fetchone()
                return row[0], row[1]
        except sqlite3.Error:
            return 0, 0

    def __enter__(self):
        if not self.enabled:
            return self
        import sqlite3
        import threading
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        since = 0
        if self.home.state_db.exists():
            with sqlite3.connect(self.home.state_db) as db:
                since = db.execute("SELECT coalesce(max(id), 0) FROM captures").fetchone()[0] or 0
        self._stop = threading.Event()
        progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                            transient=True)
        task = progress.add_task("crawling", total=None)

        def watch():
            with progress:
                while not self._stop.wait(0.5):
                    seen, downloaded = self._count(since)
                    progress.update(task, description=f"crawling: {seen} article pages checked, {downloaded} downloaded")

        self._thread = threading.Thread(target=watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._stop:
            self._stop.set()
            self._thread.join(timeout=2)


def print_refresh(summary: dict) -> None:
    table = Table(title=f"Crawl run {summary['run_id']}")
    for col in ("site", "outcome", "list pages", "articles", "downloaded", "unchanged", "gone", "failed",
                "cleaned", "re-used", "retired", "refused"):
        table.add_column(col, justify="right" if col not in ("site", "outcome") else "left",
                         no_wrap=col in ("site", "outcome"))
    for site, crawl in summary["crawl"].items():
        clean = summary["clean"][site]
        outcome = summary.get("outcomes", {}).get(site, {}).get("outcome", "")
        table.add_row(site, outcome if outcome == "ok" else f"[red]{outcome}[/red]", str(crawl["index_pages"]),
                      str(crawl["articles"]), str(crawl["downloaded"]),
                      str(crawl["unchanged"]), str(crawl["gone"]), str(len(crawl["failed"])),
                      str(len(clean["cleaned"])), str(len(clean["reused"])), str(len(clean["retired"])),
                      str(len(clean["failures"])))
    console.print(table)
    for site, crawl in summary["crawl"].items():
        for url, error in crawl["failed"]:
            console.print(f"  [yellow]{site}: failed[/yellow] {url}: {error}", highlight=False)
        for soft in summary["clean"][site].get("soft_404", []):
            console.print(f"  {site}: gone (error page served as 200) {soft['url']}: {soft['reason']}", highlight=False)
        for failure in summary["clean"][site]["failures"]:
            console.print(f"  [yellow]{site}: not cleaned[/yellow] {failure['url']}: {failure['error']}",
                          highlight=False)
        for href, reason in crawl.get("bad_links", []):
            console.print(f"  [yellow]{site}: bad link skipped[/yellow] {reason}", highlight=False)
        if crawl.get("revisit"):
            from scrapers.revisit import describe
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


@app.command()
def refresh(site: Annotated[Optional[list[str]], typer.Option("--site", help="Site profile name (repeatable; default: all).")] = None,
            replay: Annotated[Optional[list[Path]], typer.Option(
                "--replay", help="Answer every request from these WARC files via a local replay server.", exists=True)] = None,
            delay: Annotated[Optional[float], typer.Option(help="Seconds between requests to one host (default 1; 0 for a replay).")] = None,
            task_runner: Annotated[str, typer.Option("--task-runner", help="thread (default) or dask.")] = "thread",
            dask_address: Annotated[Optional[str], typer.Option("--dask-address", help="Scheduler of an existing Dask cluster (with --task-runner dask).")] = None,
            revisit_budget: Annotated[Optional[int], typer.Option("--revisit-budget", min=0, help="Re-check at most N known articles per site this run, most overdue first (the revisit policy; overrides the profile's [revisit] budget).")] = None,
            home: HomeOption = None) -> None:
    """Crawl the sites (or a replay of archived WARCs) and clean what changed."""
    from core.profiles import UnknownSiteError, get_profile
    try:
        for name in site or []:
            get_profile(name)
    except UnknownSiteError as exc:
        _fail(str(exc))
    try:
        runner = task_runner_for(task_runner, dask_address)
    except ValueError as exc:
        _fail(str(exc), 2)
    from flows.stages import failure_lines
    with _writer(home, "refresh") as data_home:
        _prefect_logging(data_home)
        progress = CrawlProgress(data_home) if not console.quiet else None
        summary = run_refresh(data_home, site, replay, delay, runner, progress=progress, revisit_budget=revisit_budget)
    print_refresh(summary)
    failed = failure_lines(summary.get("outcomes", {}))
    for line in failed:  # one line per site that was not ok: site, outcome, cause
        err.print(f"[red]error:[/red] {line}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


@app.command()
def backfill(site: Annotated[str, typer.Option("--site", help="Site profile name (the Wayback prefixes of its profile are listed).")],
             from_year: Annotated[Optional[int], typer.Option("--from", help="First capture year (inclusive).")] = None,
             to_year: Annotated[Optional[int], typer.Option("--to", help="Last capture year (inclusive).")] = None,
             limit: Annotated[Optional[int], typer.Option("--limit", help="Fetch at most N captures this run (the rest on the next).")] = None,
             delay: Annotated[float, typer.Option(min=0, help="Seconds between two requests to the Wayback Machine (3 s: 20 a minute).")] = 3.0,
             pause_after_429: Annotated[float, typer.Option("--pause-after-429", min=0, help="Seconds to pause after a 429 that gives no Retry-After.")] = 60.0,
             cdx_timeout: Annotated[float, typer.Option("--cdx-timeout", min=1, help="Seconds to wait for one CDX page (large prefixes are slow).")] = 600.0,
             wayback: Annotated[str, typer.Option("--wayback", help="Wayback Machine base URL (CDX + id_ replay).")] = "https://web.archive.org",
             home: HomeOption = None) -> None:
    """Archive the Wayback Machine's captures of a site's articles (every version, original dates) and clean them."""
    from core.profiles import UnknownSiteError, get_profile
    from flows import stages
    from scrapers.fetch import CrawlSettings
    from scrapers.wayback import WaybackSettings

    try:
        get_profile(site)
    except UnknownSiteError as exc:
        _fail(str(exc))
    if from_year and to_year and from_year > to_year:
        _fail(f"--from {from_year} is after --to {to_year}", 2)
    summary = stages.backfill(_home(home), site, from_year=from_year, to_year=to_year, limit=limit,
                              settings=CrawlSettings(delay=delay, obey_robots=False), wayback=wayback,
                              wayback_settings=WaybackSettings(pace=delay, rate_limit_pause=pause_after_429,
                                                               cdx_timeout=cdx_timeout))
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
    for url, error in report["failed"]:
        console.print(f"  [yellow]failed[/yellow] {url}: {error}", highlight=False)
    if report["outcome"] != "ok":
        _fail(f"backfill of {site} {report['outcome']}: {report['detail']}")


@app.command()
def schedule(cron: Annotated[str, typer.Option("--cron", help="Cron schedule of the unattended run (server time).")] = "0 3 * * *",
             site: Annotated[Optional[list[str]], typer.Option("--site", help="Site profile name (repeatable; default: all).")] = None,
             revisit_budget: Annotated[Optional[int], typer.Option("--revisit-budget", min=0, help="Re-check at most N known articles per site each run (the revisit policy; overrides the profile's [revisit] budget).")] = None,
             home: HomeOption = None) -> None:
    """Serve a deployment of the scheduled refresh (refresh, validate, release, audit) on a cron schedule.

    Needs a running Prefect server (`prefect server start`) and PREFECT_API_URL pointing at it.
    """
    import os

    from flows.settings import apply_prefect_defaults
    apply_prefect_defaults(None)
    from prefect.client.schemas.schedules import CronSchedule
    try:
        CronSchedule(cron=cron)
    except ValueError:  # pydantic's ValidationError is a ValueError
        _fail(f"bad cron schedule {cron!r} (five fields: minute hour day month weekday, e.g. \"0 3 * * *\")", 2)
    if not os.environ.get("PREFECT_API_URL"):
        _fail("no Prefect server configured: run `prefect server start` in another terminal, then "
              "`export PREFECT_API_URL=http://127.0.0.1:4200/api` and try again")
    from prefect import serve
    from flows.scheduled import build_deployment

    from flows.server import ensure_api
    ensure_api()  # a configured server that does not answer is one line, not a Prefect traceback
    data_home = _home(home)
    console.print(f"Serving the kcorpus scheduled refresh ({cron}) for {data_home.root}; Ctrl-C stops.")
    serve(build_deployment(cron, home=str(data_home.root), sites=site, revisit_budget=revisit_budget))


# --- clean ---------------------------------------------------------------------------------------

@app.command()
def clean(file: Annotated[str, typer.Argument(help="Saved page (HTML file), or - for standard input.")],
          url: Annotated[str, typer.Option(help="The page's URL: picks the site profile and the document id.")],
          format: Annotated[str, typer.Option("--format", help="Output: json, text or tei.")] = "json") -> None:
    """Clean one saved page and print the document."""
    import cleaners

    if format not in ("json", "text", "tei"):
        _fail(f"unknown format {format!r} (json, text, tei)", 2)
    from scrapers.urls import BadURL, to_uri
    try:
        to_uri(url)
    except BadURL as exc:
        _fail(f"bad --url: {exc}", 2)
    try:
        body = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}")
    try:
        doc = cleaners.clean_page(body, url)
    except cleaners.CleaningError as exc:
        _fail(str(exc))
    if format == "json":
        print(json.dumps(doc.public_dict(), ensure_ascii=False, indent=2))
    elif format == "text":
        print(cleaners.render_text(doc))
    else:
        from corpus.tei import document_to_tei
        sys.stdout.write(document_to_tei(doc, release=None, changes=[]).decode("utf-8"))


@app.command()
def reclean(site: Annotated[Optional[list[str]], typer.Option("--site", help="Only these sites.")] = None,
            home: HomeOption = None) -> None:
    """Re-clean every current document from its archived capture (after a cleaning rule changed)."""
    from flows.stages import reclean as reclean_documents

    with _writer(home, "reclean") as data_home:
        reports = reclean_documents(data_home, site)
    for report in reports:
        console.print(f"{report.site}: {len(report.cleaned)} re-cleaned, {len(report.failures)} failed")


# --- validate / release ----------------------------------------------------------------------------

def print_release(outcome) -> None:
    rel = outcome.release
    console.print(f"Release [bold]{rel.version}[/bold]: {rel.documents} documents "
                  f"({', '.join(f'{s} {n}' for s, n in sorted(rel.counts_by_site.items()))}) -> {rel.path}",
                  highlight=False)
    if outcome.quarantined:
        console.print(f"  quarantined (not released): {len(outcome.quarantined)}: {', '.join(outcome.quarantined)}",
                      highlight=False)
    if outcome.batch_failures:
        console.print("  [yellow]released with --allow-partial despite:[/yellow] " + "; ".join(outcome.batch_failures))
    if outcome.data_docs_path:
        console.print(f"  Data Docs: {outcome.data_docs_path}", highlight=False)
    if getattr(outcome, "quality_report", None):
        console.print(f"  Quality report (HTML, offline): {outcome.quality_report}", highlight=False)


@app.command()
def release(version: Annotated[Optional[str], typer.Option(help="Release version (default YYYY.MM.DD[.N]).")] = None,
            allow_partial: Annotated[bool, typer.Option("--allow-partial", help="Release even if a batch expectation fails (recorded in the manifest).")] = False,
            home: HomeOption = None) -> None:
    """Validate the current documents, quarantine failures, and write an immutable release."""
    from corpus.release import ReleaseExists
    from flows.stages import BlockedRelease

    from corpus.release import check_version
    with _writer(home, "release") as data_home:
        _prefect_logging(data_home)
        try:
            if version is not None:
                check_version(data_home, version)  # before the gate (and Prefect) start
            outcome = run_release(data_home, version, allow_partial)
        except (ReleaseExists, ValueError) as exc:
            _fail(str(exc))
        if isinstance(outcome, BlockedRelease):
            if outcome.data_docs_path:
                err.print(f"Data Docs: {outcome.data_docs_path}", highlight=False)
            if outcome.quality_report:
                err.print(f"Quality report (HTML, offline): {outcome.quality_report}", highlight=False)
            _fail(f"release blocked: {'; '.join(outcome.messages)} (use --allow-partial to release anyway)")
        print_release(outcome)
        print_release_audit(_publish(data_home))  # the audit pages and feeds are written under the lock too


def _publish(data_home: DataHome):
    """Write the newest release's audit, history pages and feeds; a bad watch-list is a one-line error."""
    from corpus.watchlist import WatchlistError
    from flows.stages import publish_release_audit

    try:
        return publish_release_audit(data_home)
    except WatchlistError as exc:
        _fail(str(exc))


def print_release_audit(audit_) -> None:
    """The events, moves and not-checked sites of the newest release, and where its report and feeds are."""
    from corpus.events_report import render_changes_text

    if audit_.changes is None:
        return
    console.print(render_changes_text(audit_.changes), highlight=False, soft_wrap=True)
    console.print(f"Audit report (HTML): {audit_.report}", highlight=False)
    console.print(f"Atom feeds: {audit_.feeds['all.atom'].parent} ({len(audit_.feeds)} files)", highlight=False)


@app.command()
def releases(home: HomeOption = None) -> None:
    """List the releases in the data home, oldest first."""
    from corpus.release import list_releases

    table = Table()
    # versions, dates and counts are never cut; per-site counts and the path wrap when the width runs out
    for col in ("version", "created", "documents", "per site", "partial", "path"):
        table.add_column(col, no_wrap=col in ("version", "created", "documents", "partial"), overflow="fold")
    for info in list_releases(_existing_home(home)):
        table.add_row(info.version, str(info.created_at)[:16].replace("T", " "), str(info.documents),
                      ", ".join(f"{s} {n}" for s, n in sorted(info.counts_by_site.items())),
                      "yes" if info.partial else "", str(info.path))
    console.print(table)


def _release_dir(home: DataHome, name: str) -> Path:
    from corpus.release import read_manifest
    path = Path(name)
    if path.is_dir():
        try:
            read_manifest(path)
        except (FileNotFoundError, ValueError) as exc:
            _fail(str(exc))
        return path
    candidate = home.releases_dir / name
    if candidate.is_dir():
        return candidate
    _fail(f"no release {name!r} (not a folder, nor under {home.releases_dir})")


@app.command()
def diff(old: Annotated[str, typer.Argument(help="Older release: version or folder.")],
         new: Annotated[str, typer.Argument(help="Newer release: version or folder.")],
         as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON.")] = False,
         html: Annotated[Optional[Path], typer.Option("--html", help="Also write a self-contained HTML report here.")] = None,
         home: HomeOption = None) -> None:
    """Compare two releases: documents added, removed and edited (word-level), upstream vs pipeline."""
    from corpus.diff import diff_releases, render_text
    from corpus.report import render_html

    data_home = DataHome.resolve(home)  # read-only: never created
    result = diff_releases(_release_dir(data_home, old), _release_dir(data_home, new))
    if as_json:
        print(result.to_json())
    else:
        print(render_text(result))
    if html:
        html.write_text(render_html(result), encoding="utf-8")
        err.print(f"HTML report: {html}", highlight=False)


@app.command()
def audit(as_json: Annotated[bool, typer.Option("--json", help="Print the audit as JSON.")] = False,
          history: Annotated[bool, typer.Option("--history", help="Instead: the edits between each document's captured versions, with both capture dates.")] = False,
          witnesses: Annotated[bool, typer.Option("--witnesses", help="Instead: copies of one article across sites, and where they differ.")] = False,
          since: Annotated[Optional[str], typer.Option("--since", help="Release timeline from this version or date (YYYY-MM-DD) to the newest release: events, moves, not-checked sites and watch-list counts per release.")] = None,
          home: HomeOption = None) -> None:
    """Compare the two latest crawl runs (new, gone, changed URLs), or with --since the releases over time."""
    from scrapers.audit import audit_latest
    from scrapers.state import CrawlState

    if history or witnesses:
        from flows import stages
        if history:
            edits = stages.version_edits(_home(home))
            if as_json:
                print(json.dumps([e.to_dict() for e in edits], ensure_ascii=False, indent=2))
            else:
                from corpus.versions import render_history
                console.print(f"{len(edits)} edits between captured versions", highlight=False)
                console.print(render_history(edits), highlight=False, markup=False)
        if witnesses:
            works, differences = stages.witnesses(_home(home))
            if as_json:
                print(json.dumps({"works": [w.to_dict() for w in works],
                                  "differences": [d.__dict__ for d in differences]}, ensure_ascii=False, indent=2))
            else:
                from corpus.witnesses import render_differences
                console.print(f"{len(works)} works with more than one witness", highlight=False)
                console.print(render_differences(works, differences), highlight=False, markup=False)
        return

    if since is not None:
        from corpus.events_report import render_timeline_text
        from corpus.watchlist import WatchlistError
        from flows.stages import audit_since

        try:
            tl = audit_since(_existing_home(home), since)
        except (LookupError, WatchlistError) as exc:
            _fail(str(exc))
        if as_json:
            print(json.dumps(tl.to_dict(), ensure_ascii=False, indent=2))
        else:
            console.print(render_timeline_text(tl), highlight=False, soft_wrap=True)
        return
    data_home = _existing_home(home)
    if not data_home.state_db.exists():
        _fail(f"no crawl state in {data_home.root}: run kcorpus refresh first")
    state = CrawlState(data_home.state_db)
    try:
        result = audit_latest(state)
    except LookupError as exc:
        _fail(str(exc))
    finally:
        state.close()
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    console.print(f"Crawl {result.old_run} -> {result.new_run}: {len(result.new)} new, {len(result.gone)} gone, "
                  f"{len(result.changed)} changed, {result.unchanged} unchanged, {len(result.failed)} failed, "
                  f"{len(result.not_checked)} not checked",
                  highlight=False)
    for label, urls in (("new", result.new), ("gone", result.gone), ("changed", result.changed),
                        ("failed", result.failed), ("not checked", result.not_checked)):
        for url in urls:
            console.print(f"  {label:11} {url}", highlight=False)


@app.command()
def history(doc_id: Annotated[str, typer.Argument(help="Document id, e.g. globalsecurity-dprk-100917-kcna04.")],
            as_json: Annotated[bool, typer.Option("--json", help="Print the history as JSON.")] = False,
            html: Annotated[Optional[Path], typer.Option("--html", help="Also write the history as a self-contained HTML page here.")] = None,
            home: HomeOption = None) -> None:
    """Every capture and every released version of one document, with each change's diff and class."""
    from corpus.events_report import render_history_html, render_history_text
    from flows.stages import document_history

    try:
        result = document_history(_existing_home(home), doc_id)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        console.print(render_history_text(result), highlight=False, soft_wrap=True)
    if html:
        html.write_text(render_history_html(result), encoding="utf-8")
        err.print(f"HTML history: {html}", highlight=False)


@app.command()
def watchlist(init: Annotated[bool, typer.Option("--init", help="Write the shipped example to <data home>/watchlist.toml (never over an existing one).")] = False,
              home: HomeOption = None) -> None:
    """Show the watch-list and how many documents of the newest release mention each entry."""
    from corpus.events import ReleaseView, mentions_in
    from corpus.release import latest_release
    from corpus.watchlist import WatchlistError, example_watchlist, load_watchlist

    data_home = _home(home)
    if init:
        if data_home.watchlist.exists():
            _fail(f"{data_home.watchlist} already exists (nothing was changed)")
        data_home.watchlist.write_text(example_watchlist(), encoding="utf-8")
        console.print(f"Wrote the example watch-list to {data_home.watchlist}", highlight=False)
    try:
        entries = load_watchlist(data_home.watchlist)
    except WatchlistError as exc:
        _fail(str(exc))
    if not entries:
        console.print(f"No watch-list at {data_home.watchlist} (kcorpus watchlist --init writes an example).",
                      highlight=False)
        return
    latest = latest_release(data_home)
    counts = {e.name: len(ids) for e, ids in zip(entries, mentions_in(ReleaseView.read(latest).records(None), entries).values())} \
        if latest else {}
    table = Table(title=f"Watch-list {data_home.watchlist}" + (f" in release {latest.name}" if latest else ""))
    for col in ("name", "aliases", "documents"):
        table.add_column(col)
    for e in entries:
        table.add_row(e.name, ", ".join(e.aliases), str(counts.get(e.name, "")))
    console.print(table)


@app.command()
def demo(home: HomeOption = None) -> None:
    """Replay three recorded snapshots of both sites, release each, and show what changed: edits, events, a move, an unreachable site."""
    from flows.demo import DemoHomeNotEmpty, check_fresh, run_demo
    from corpus.diff import render_text

    data_home = DataHome.resolve(home)
    try:
        check_fresh(data_home)
    except DemoHomeNotEmpty as exc:
        _fail(str(exc))
    with _writer(home, "demo") as data_home:
        _prefect_logging(data_home)
        try:
            result = run_demo(data_home, [snapshot_path(name) for name in SNAPSHOTS],
                              on_step=lambda message: console.rule(message))
        except DemoHomeNotEmpty as exc:
            _fail(str(exc))
    console.rule("Summary")
    for summary, outcome in zip(result.refreshes, result.releases):
        print_refresh(summary)
        print_release(outcome)
    audit_ = result.crawl_audit
    console.print(f"Crawl audit (captures): {len(audit_.new)} new, {len(audit_.gone)} gone, "
                  f"{len(audit_.changed)} changed URLs", highlight=False)
    console.print(render_text(result.diff), highlight=False)
    if result.works:
        from corpus.witnesses import render_differences
        console.print(f"One article, many copies: {len(result.works)} works with witnesses on more than one site",
                      highlight=False)
        console.print(render_differences(result.works, result.witness_differences), highlight=False, markup=False)
    console.print(f"Audit report (HTML): {result.diff_html}", highlight=False)
    last = result.audits[-1] if result.audits else None
    if last is not None and last.changes is not None:
        console.rule(f"Release {last.changes.old} -> {last.changes.new}: events, moves, sites not checked")
        if len(result.releases) >= 3:
            console.print("The third release was made with allow_partial=True: KANCC did not answer (HTTP 503), so its "
                          "documents are kept as last seen and reported as not checked.", highlight=False)
        print_release_audit(last)
        for event in last.changes.events[:1]:
            console.print(f"EVENT: {event.label}", highlight=False)
        for move in last.changes.of("moved"):
            console.print(f"MOVE: {move.moved_from['id']} -> {move.id}", highlight=False)
        for site, row in last.changes.not_checked.items():
            console.print(f"NOT CHECKED: {site}: {row['documents']} documents, none removed", highlight=False)
    console.print(f"Data home: {data_home.root}", highlight=False)


@app.command()
def verify(version: Annotated[Optional[str], typer.Argument(help="Release version or folder (default: the latest).")] = None,
           home: HomeOption = None) -> None:
    """Recheck a release: every checksum, and the WARC payload digest of every document's capture."""
    from corpus.release import latest_release
    from flows.stages import verify_release

    data_home = DataHome.resolve(home)
    if version is None:
        if not data_home.exists() or latest_release(data_home) is None:
            _fail(f"no release to verify in {data_home.root}")
        path = latest_release(data_home)
    else:
        path = _release_dir(data_home, version)
    checked, problems = verify_release(data_home, path)
    for problem in problems:
        err.print(f"[red]error:[/red] {path.name}: {problem}", highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    console.print(f"Release {path.name}: every checksum holds, {checked} documents' WARC payloads match "
                  f"their digests", highlight=False)


# --- status / show / export ---------------------------------------------------------------------------

def _disk_use(root: Path) -> dict[str, int]:
    """Bytes under each top-level folder (and file) of the data home."""
    use: dict[str, int] = {}
    for entry in sorted(root.iterdir()) if root.exists() else []:
        paths = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file() and not p.is_symlink()]
        use[entry.name] = sum(p.stat().st_size for p in paths)
    return use


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
           home: HomeOption = None) -> None:
    """The state of a data home: each site's last crawl and its outcome, the last release, quarantined
    documents, disk use."""
    from corpus.release import list_releases
    from expectations.quarantine import list_quarantine
    from scrapers.status import last_crawls

    data_home = _existing_home(home)
    releases = list_releases(data_home)
    last = releases[-1] if releases else None
    report = {
        "home": str(data_home.root), "crawls": last_crawls(data_home.state_db),
        "last_release": {"version": last.version, "created_at": last.created_at, "documents": last.documents,
                         "counts_by_site": last.counts_by_site, "partial": bool(last.partial)} if last else None,
        "releases": len(releases), "quarantined": len(list_quarantine(data_home)),
        "disk_use": _disk_use(data_home.root),
    }
    if as_json:
        print(json.dumps(report, indent=2))
        return
    console.print(f"Data home {report['home']}", highlight=False)
    table = Table(title="Last crawl per site")
    for col in ("site", "run", "started", "status", "outcome", "downloaded", "unchanged", "gone", "failed"):
        table.add_column(col, no_wrap=col != "run", overflow="fold")
    for site, crawl in report["crawls"].items():
        table.add_row(site, crawl["run_id"], crawl["started_at"][:19], crawl["status"], crawl.get("outcome") or "",
                      str(crawl["downloaded"]),
                      str(crawl["unchanged"]), str(crawl["gone"]), str(crawl["failed"]))
    console.print(table if report["crawls"] else "No crawl yet.")
    for site, crawl in report["crawls"].items():
        revisit = crawl.get("revisit")
        if revisit:
            console.print(f"  {site}: {revisit['scheduled']} known articles scheduled for re-checks, "
                          f"{revisit['due_now']} due now; oldest check {revisit['oldest_check'] or 'never'}"
                          + (f", next due {revisit['next_due']}" if revisit["next_due"] else ""), highlight=False)
    if last:
        console.print(f"Last release: {last.version} ({last.created_at[:19]}), {last.documents} documents "
                      f"({', '.join(f'{k} {v}' for k, v in sorted(last.counts_by_site.items()))})"
                      f"{', partial' if last.partial else ''}; {len(releases)} release(s) in all", highlight=False)
    else:
        console.print("No release yet.")
    console.print(f"Quarantined documents: {report['quarantined']}", highlight=False)
    console.print("Disk use: " + ", ".join(f"{name} {_size(n)}" for name, n in report["disk_use"].items()) +
                  f" (total {_size(sum(report['disk_use'].values()))})", highlight=False)


@app.command()
def show(doc_id: Annotated[str, typer.Argument(help="Document id, e.g. kancc-heigo-504.")],
         release: Annotated[str, typer.Option("--release", help="Release version or folder.")] = "latest",
         format: Annotated[str, typer.Option("--format", help="Output: text, json or tei.")] = "text",
         home: HomeOption = None) -> None:
    """Print one document of a release: its text, its JSON record, or its TEI file."""
    import cleaners
    from corpus.load import NoSuchRelease, find_document, resolve_release
    from corpus.release import read_manifest

    if format not in ("text", "json", "tei"):
        _fail(f"unknown format {format!r} (text, json, tei)", 2)
    data_home = _existing_home(home)
    try:
        folder = resolve_release(release, data_home)
        doc = find_document(folder, doc_id)
    except NoSuchRelease as exc:
        _fail(str(exc))
    except KeyError as exc:
        _fail(str(exc.args[0]))
    if format == "json":
        print(json.dumps({**doc.to_dict(), "text": doc.text}, ensure_ascii=False, indent=2))
    elif format == "text":
        print(cleaners.render_text(doc), end="")
    else:
        entry = next(d for d in read_manifest(folder)["documents"] if d["id"] == doc_id)
        sys.stdout.write((folder / entry["path"]).read_text(encoding="utf-8"))


@app.command()
def export(version: Annotated[str, typer.Argument(help="Release version or folder (or latest).")],
           format: Annotated[str, typer.Option("--format", help="txt, parquet, conllu or jsonl.")] = "jsonl",
           output: Annotated[Optional[Path], typer.Option("--output", help="Where to write (default: kcorpus-<version>.<format> here; txt: a folder).")] = None,
           home: HomeOption = None) -> None:
    """Export a release in one format: plain text per document, Parquet, CoNLL-U or JSON lines."""
    from corpus.load import EXPORT_FORMATS, NoSuchRelease, export_release, resolve_release

    if format not in EXPORT_FORMATS:
        _fail(f"unknown format {format!r} ({', '.join(EXPORT_FORMATS)})", 2)
    try:
        folder = resolve_release(version, _existing_home(home))
    except NoSuchRelease as exc:
        _fail(str(exc))
    name = folder.resolve().name
    target = output or Path(f"kcorpus-{name}" + ("-text" if format == "txt" else f".{format}"))
    try:
        written = export_release(folder, format, target)
    except (FileExistsError, ValueError) as exc:
        _fail(str(exc))
    err.print(f"Release {name} as {format}: {written}", highlight=False)


# --- quarantine ------------------------------------------------------------------------------------

@quarantine_app.callback()
def quarantine_list(ctx: typer.Context, home: HomeOption = None) -> None:
    """List quarantined documents (`kcorpus quarantine show ID` for one)."""
    if ctx.invoked_subcommand:
        ctx.obj = home
        return
    from expectations.quarantine import list_quarantine

    entries = list_quarantine(_existing_home(home))
    if not entries:
        console.print("No quarantined documents.")
        return
    table = Table()
    for col in ("id", "site", "why (check: where)", "source URL"):
        table.add_column(col)
    for entry in entries:
        # records written before reasons existed name only the GX expectation
        why = "; ".join(f"{f['check']}: {f['where']}" if f.get("check") else f["expectation"] for f in entry["failed"])
        table.add_row(entry["id"], entry["site"], why, entry["source_url"])
    console.print(table)


@quarantine_app.command("show")
def quarantine_show(doc_id: Annotated[str, typer.Argument(help="Document id.")], ctx: typer.Context,
                    home: HomeOption = None) -> None:
    """Show one quarantined document with the reasons it was held back."""
    from expectations.quarantine import load_quarantine

    try:
        entry = load_quarantine(_existing_home(home or ctx.obj), doc_id)
    except KeyError as exc:
        _fail(str(exc.args[0]) if exc.args else f"no quarantined document {doc_id!r}")
    print(json.dumps(entry, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    app()
