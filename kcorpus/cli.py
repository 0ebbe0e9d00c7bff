"""The `kcorpus` command line (the console script's `app`): each command parses, calls the use cases in
flows/, and shows their results (kcorpus/render.py). No stage logic, no SQL; tests/test_floors.py keeps
the imports to flows and the CLI's own modules. Heavy libraries (Prefect, Great Expectations) load
inside the commands that need them, so `kcorpus clean` starts fast. The what-changed commands are in
kcorpus/audit_cli.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from kcorpus import render
from kcorpus.app import BaseUrlOption, HomeOption, SitesOption, app, fail, log_prefect
from kcorpus.render import console, err

__all__ = ["app"]


# --- crawl ------------------------------------------------------------------------------------------

@app.command()
def replay(warc: Annotated[list[Path], typer.Argument(help="WARC file(s) to serve; later files win.", exists=True)],
           port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8088,
           fault: Annotated[Optional[list[str]], typer.Option("--fault", help="PATH=NAME: the page at PATH (with its query) answers with the hostile response NAME (gzip-bomb, drip, timeout, ...: replay/faults.py) instead of its recording, to test a crawl against; repeatable.")] = None) -> None:
    """Serve recorded WARC snapshots over HTTP on 127.0.0.1 with their recorded status and headers."""
    from flows.runs import replay_server

    server = replay_server(warc, port, fault)
    render.replay_banner(server, len(warc))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()


@app.command()
def refresh(site: SitesOption = None,
            replay: Annotated[Optional[list[Path]], typer.Option(
                "--replay", help="Answer every request from these WARC files via a local replay server.", exists=True)] = None,
            delay: Annotated[Optional[float], typer.Option(help="Seconds between requests to one host (default 1; 0 for a replay).")] = None,
            task_runner: Annotated[str, typer.Option("--task-runner", help="thread (default) or dask.")] = "thread",
            dask_address: Annotated[Optional[str], typer.Option("--dask-address", help="Scheduler of an existing Dask cluster (with --task-runner dask).")] = None,
            revisit_budget: Annotated[Optional[int], typer.Option("--revisit-budget", min=0, help="Re-check at most N known articles per site this run, most overdue first (the revisit policy; overrides the profile's [revisit] budget).")] = None,
            home: HomeOption = None) -> None:
    """Crawl the sites (or a replay of archived WARCs) and clean what changed."""
    from flows.crawl import check_sites, crawl_progress, failure_lines, known_articles, last_capture_id
    from flows.home import writer
    from flows.runs import run_refresh, task_runner_for, use_prefect

    check_sites(site)
    render.starting(f"kcorpus refresh: crawling {', '.join(site) if site else 'every site'}"
                    f"{' from a replay of ' + ', '.join(p.name for p in replay) if replay else ''}, then cleaning "
                    f"what changed" + (" (starting Prefect first: ~10 s)" if use_prefect(task_runner != "thread" or None) else ""))
    try:
        runner = task_runner_for(task_runner, dask_address)
    except ValueError as exc:
        fail(str(exc), 2)
    with writer(home, "refresh") as data_home:
        log_prefect(data_home)
        progress = None if console.quiet else render.CrawlProgress(lambda: last_capture_id(data_home),
                                                                    lambda since: crawl_progress(data_home, since),
                                                                    lambda: known_articles(data_home))
        summary = run_refresh(data_home, site, replay, delay, runner, progress=progress, revisit_budget=revisit_budget)
    render.refresh_summary(summary)
    failed = failure_lines(summary.get("outcomes", {}))
    for line in failed:  # one line per site that was not ok: site, outcome, cause
        render.error(line)
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
    import flows.backfill
    from flows.crawl import check_sites
    from flows.home import writer

    check_sites([site])
    if from_year and to_year and from_year > to_year:
        fail(f"--from {from_year} is after --to {to_year}", 2)
    settings, wayback_settings = flows.backfill.command_settings(delay, pause_after_429, cdx_timeout)
    # a backfill writes WARC files, the crawl state and the document store: one writer at a time, as a
    # refresh or a release (it ran beside them before)
    with writer(home, "backfill") as data_home:
        summary = flows.backfill.backfill(data_home, site, from_year=from_year, to_year=to_year, limit=limit,
                                          settings=settings, wayback=wayback, wayback_settings=wayback_settings)
    render.backfill_summary(summary, site, wayback)
    report = summary["backfill"]
    if report["outcome"] != "ok":
        fail(f"backfill of {site} {report['outcome']}: {report['detail']}")


@app.command()
def schedule(cron: Annotated[str, typer.Option("--cron", help="Cron schedule of the unattended run (server time).")] = "0 3 * * *",
             site: SitesOption = None,
             revisit_budget: Annotated[Optional[int], typer.Option("--revisit-budget", min=0, help="Re-check at most N known articles per site each run (the revisit policy; overrides the profile's [revisit] budget).")] = None,
             replay: Annotated[Optional[list[Path]], typer.Option(
                 "--replay", help="An offline try: every scheduled run crawls a replay of these WARC files.", exists=True)] = None,
             base_url: BaseUrlOption = None,
             home: HomeOption = None) -> None:
    """Serve a deployment of the scheduled refresh (refresh, validate, release, audit) on a cron schedule.

    Needs a running Prefect server (`prefect server start`) and PREFECT_API_URL pointing at it. One run
    at a time: a run due while the last one still runs is cancelled.
    """
    from flows.settings import apply_prefect_defaults
    apply_prefect_defaults(None)
    from flows.crawl import check_sites
    from flows.home import open_home
    from flows.scheduled import check_cron, serve_schedule

    check_sites(site)
    try:
        check_cron(cron)
    except ValueError as exc:
        fail(str(exc), 2)
    from flows.audit import published_base
    from flows.home import home_at
    published_base(home_at(home), base_url)   # a bad --base-url: refused before the server is asked
    root = str(open_home(home).root)
    serve_schedule(cron, home=root, sites=site, revisit_budget=revisit_budget, replay=replay, base_url=base_url, on_ready=lambda: console.print(
        f"Serving the kcorpus scheduled refresh ({cron}) for {root}"
        f"{' over a replay of ' + ', '.join(p.name for p in replay) if replay else ''}; Ctrl-C stops."))


# --- clean --------------------------------------------------------------------------------------------

@app.command()
def clean(file: Annotated[str, typer.Argument(help="Saved page (HTML file), or - for standard input.")],
          url: Annotated[str, typer.Option(help="The page's URL: picks the site profile and the document id.")],
          format: Annotated[str, typer.Option("--format", help="Output: json, text or tei.")] = "json") -> None:
    """Clean one saved page and print the document."""
    from flows.clean import check_url, clean_one_page

    if format not in ("json", "text", "tei"):
        fail(f"unknown format {format!r} (json, text, tei)", 2)
    try:
        check_url(url)
    except ValueError as exc:
        fail(f"bad --url: {exc}", 2)
    try:
        body = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    render.cleaned_page(clean_one_page(body, url), format)


@app.command()
def reclean(site: SitesOption = None,
            home: HomeOption = None) -> None:
    """Re-clean every current document from its archived capture (after a cleaning rule changed)."""
    import flows.clean
    from flows.crawl import check_sites
    from flows.home import writer

    check_sites(site)
    with writer(home, "reclean", needs_data=True) as data_home:
        render.starting(f"kcorpus reclean: re-cleaning the documents of {', '.join(site) if site else 'every site'} "
                        f"from their archived captures")
        reports = flows.clean.reclean(data_home, site)
    for report in reports:
        console.print(f"{report.site}: {len(report.cleaned)} re-cleaned, {len(report.failures)} failed")
        for failure in report.failures:
            render.error(f"{report.site}: not re-cleaned ({failure.get('kind', 'unreadable')}) {failure['url']}: "
                         f"{failure['error']}")
    if any(report.failures for report in reports):
        raise typer.Exit(1)   # a page that no longer cleans is a failure to say, not a count to skim past


# --- release ------------------------------------------------------------------------------------------

@app.command()
def release(version: Annotated[Optional[str], typer.Option(help="Release version (default YYYY.MM.DD[.N]).")] = None,
            allow_partial: Annotated[bool, typer.Option("--allow-partial", help="Release even if a batch expectation fails (recorded in the manifest).")] = False,
            base_url: BaseUrlOption = None,
            home: HomeOption = None) -> None:
    """Validate the current documents, quarantine failures, write an immutable release, and audit it."""
    from flows.audit import after_release, published_base
    from flows.home import home_at, writer
    from flows.release import BlockedRelease, check_version
    from flows.runs import run_release, use_prefect

    published_base(home_at(home), base_url)   # a bad --base-url or KCORPUS_BASE_URL: refused before anything runs

    with writer(home, "release", needs_data=True) as data_home:
        if version is not None:
            check_version(data_home, version)  # before the gate (and Prefect) start
        render.starting("kcorpus release: the quality gate, then the release files and the audit"
                        + (" (starting Prefect first: ~10 s)" if use_prefect() else ""))
        log_prefect(data_home)
        outcome = run_release(data_home, version, allow_partial, progress=render.ReleasePhases())
        if isinstance(outcome, BlockedRelease):
            render.blocked_release(outcome)
            fail(f"release blocked: {'; '.join(outcome.messages)}"
                 + (" (use --allow-partial to release anyway)" if outcome.overridable else ""))
        render.release_outcome(outcome)
        render.release_audit(after_release(data_home, base_url))  # the audit pages and feeds are written under the lock too


@app.command()
def releases(home: HomeOption = None) -> None:
    """List the releases in the data home, oldest first."""
    import flows.release
    from flows.home import existing_home

    render.releases(flows.release.releases(existing_home(home)))


@app.command()
def verify(version: Annotated[Optional[str], typer.Argument(help="Release version or folder (default: the latest).")] = None,
           home: HomeOption = None) -> None:
    """Recheck a release: every checksum, and the WARC payload digest of every document's capture."""
    from flows.home import home_at
    from flows.release import find_release, latest_release, verify_release

    data_home = home_at(home)
    path = find_release(data_home, version) if version is not None else latest_release(data_home)
    if path is None:
        fail(f"no release to verify in {data_home.root}")
    checked, problems = verify_release(data_home, path)
    for problem in problems:
        render.error(f"{path.name}: {problem}")
    if problems:
        raise typer.Exit(1)
    console.print(f"Release {path.name}: every checksum holds, {checked} documents' WARC payloads match "
                  f"their digests", highlight=False)


@app.command()
def show(doc_id: Annotated[str, typer.Argument(help="Document id, e.g. kancc-heigo-504.")],
         release: Annotated[str, typer.Option("--release", help="Release version or folder.")] = "latest",
         format: Annotated[str, typer.Option("--format", help="Output: text, json or tei.")] = "text",
         home: HomeOption = None) -> None:
    """Print one document of a release: its text, its JSON record, or its TEI file."""
    from flows.home import existing_home
    from flows.release import released_document

    if format not in ("text", "json", "tei"):
        fail(f"unknown format {format!r} (text, json, tei)", 2)
    doc, tei_file = released_document(existing_home(home), release, doc_id)
    render.released_document(doc, format, tei_file)


@app.command()
def export(version: Annotated[str, typer.Argument(help="Release version or folder (or latest).")],
           format: Annotated[str, typer.Option("--format", help="txt, parquet, conllu, jsonl or teicorpus (members inlined).")] = "jsonl",
           output: Annotated[Optional[Path], typer.Option("--output", help="Where to write (default: kcorpus-<version>.<format> here; txt: a folder).")] = None,
           home: HomeOption = None) -> None:
    """Export a release in one format: plain text per document, Parquet, CoNLL-U, JSON lines or one teiCorpus file."""
    import flows.release
    from flows.home import existing_home

    try:
        flows.release.check_export_format(format)
    except ValueError as exc:
        fail(str(exc), 2)
    name, written = flows.release.export(existing_home(home), version, format, output)
    err.print(f"Release {name} as {format}: {written}", highlight=False)


# --- the data home ------------------------------------------------------------------------------------

@app.command()
def demo(home: HomeOption = None) -> None:
    """Replay three recorded snapshots of the four sites, release each, and show what changed: edits, events, a move, an unreachable site."""
    from flows.demo import check_fresh, run_demo
    from flows.home import home_at, writer
    from flows.runs import SNAPSHOTS, snapshot_path

    check_fresh(home_at(home))
    from flows.runs import use_prefect

    render.starting("kcorpus demo: three recorded snapshots of the four sites replayed on 127.0.0.1, each refreshed, "
                    "released and audited (about a minute" + ("; starting Prefect first: ~10 s)" if use_prefect() else ")"))
    with writer(home, "demo") as data_home:
        log_prefect(data_home)
        result = run_demo(data_home, [snapshot_path(name) for name in SNAPSHOTS],
                          on_step=lambda message: console.rule(message))
    render.demo(result, data_home)


# the what-changed commands (diff, audit, history, watchlist) and the data home's own (check, serve),
# registered after these: `kcorpus --help` lists the crawl-to-release commands first
import kcorpus.audit_cli  # noqa: E402,F401
import kcorpus.home_cli  # noqa: E402,F401

if __name__ == "__main__":
    app()
