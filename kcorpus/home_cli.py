"""The commands about a data home as a whole: `kcorpus status`, `kcorpus quarantine`, `kcorpus check`
(every invariant, kept or repaired) and `kcorpus serve` (a release and its history in a web browser). Registered on the app of kcorpus/app.py;
like the rest of the CLI they parse, call flows/ and render."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from kcorpus import render
from kcorpus.app import HomeOption, JsonOption, app, quarantine_app


@app.command()
def check(repair: Annotated[bool, typer.Option("--repair", help="Also mend what loses nothing: cut a WARC file's torn tail, remove a killed writer's temporary files, mark dead runs interrupted (takes the writer lock).")] = False,
          as_json: JsonOption = False, home: HomeOption = None) -> None:
    """Verify every invariant of a data home (releases, WARC files, crawl state, documents, quarantine,
    leftovers); each break is one line and the exit status is 1. Changes nothing without --repair."""
    from flows.check import check_home
    from flows.home import home_at

    report = check_home(home_at(home), repair=repair)
    if as_json:
        render.as_json(report.to_dict())
    else:
        render.check_report(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def serve(version: Annotated[Optional[str], typer.Argument(help="Release version (default: the latest).")] = None,
          port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8001,
          host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
          home: HomeOption = None) -> None:
    """Browse, search and watch a release in a web browser (Datasette, read-only): full-text search with
    facets, each document's versions and word diffs, edit events, watch-list plots."""
    import subprocess

    from flows.browse import datasette_command
    from flows.home import existing_home

    web = Path(__file__).resolve().parent / "web"
    command = datasette_command(existing_home(home), version, plugins_dir=web, templates_dir=web / "templates",
                                host=host, port=port)
    render.serving(host, port)
    try:
        raise typer.Exit(subprocess.run(command).returncode)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@app.command()
def status(as_json: JsonOption = False, home: HomeOption = None) -> None:
    """The state of a data home: each site's last crawl and its outcome, the last release, quarantined
    documents, disk use."""
    import flows.home

    report = flows.home.status(flows.home.existing_home(home))
    if as_json:
        render.as_json(report)
    else:
        render.status(report)


@quarantine_app.callback()
def quarantine_list(ctx: typer.Context, home: HomeOption = None) -> None:
    """List quarantined documents (`kcorpus quarantine show ID` for one)."""
    if ctx.invoked_subcommand:
        ctx.obj = home
        return
    from flows.home import existing_home
    from flows.release import quarantined

    render.quarantine(quarantined(existing_home(home)))


@quarantine_app.command("show")
def quarantine_show(doc_id: Annotated[str, typer.Argument(help="Document id.")], ctx: typer.Context,
                    home: HomeOption = None) -> None:
    """Show one quarantined document with the reasons it was held back."""
    from flows.home import existing_home
    from flows.release import quarantined_document

    render.as_json(quarantined_document(existing_home(home or ctx.obj), doc_id))
