"""The what-changed commands of `kcorpus`: `diff` (two releases), `audit` (crawl runs, the release
timeline, captured versions, copies across sites), `history` (one document) and `watchlist`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from kcorpus import render
from kcorpus.app import HomeOption, JsonOption, app, audit_app

@app.command()
def diff(old: Annotated[str, typer.Argument(help="Older release: version or folder.")],
         new: Annotated[str, typer.Argument(help="Newer release: version or folder.")],
         as_json: JsonOption = False,
         html: Annotated[Optional[Path], typer.Option("--html", help="Also write a self-contained HTML report here.")] = None,
         home: HomeOption = None) -> None:
    """Compare every record of two releases: added, removed, moved, not checked, edited (word-level and
    metadata; upstream, pipeline or cosmetic), as the audit classes them."""
    from flows.audit import compare_releases
    from flows.home import home_at

    result = compare_releases(home_at(home), old, new)  # read-only: the data home is never created
    if as_json:
        render.as_json(result.to_dict())
    else:
        render.release_changes(result)
    if html:
        render.release_changes_html(result, html)


@audit_app.callback()
def audit(ctx: typer.Context, as_json: JsonOption = False,
          history: Annotated[bool, typer.Option("--history", help="Old spelling of `kcorpus audit versions`.", hidden=True)] = False,
          witnesses: Annotated[bool, typer.Option("--witnesses", help="Old spelling of `kcorpus audit witnesses`.", hidden=True)] = False,
          since: Annotated[Optional[str], typer.Option("--since", help="Old spelling of `kcorpus audit releases --since`.", hidden=True)] = None,
          home: HomeOption = None) -> None:
    """What changed: `crawls` (the default), `releases --since`, `versions`, `witnesses`."""
    if ctx.invoked_subcommand:
        ctx.obj = home
        return
    if history:
        audit_versions(ctx, as_json, home)
    if witnesses:
        audit_witnesses(ctx, as_json, home)
    if since is not None:
        audit_releases(ctx, since, as_json, home)
    if not (history or witnesses or since is not None):
        audit_crawls(ctx, as_json, home)


@audit_app.command("crawls")
def audit_crawls(ctx: typer.Context, as_json: JsonOption = False, home: HomeOption = None) -> None:
    """Compare the two latest crawl runs at the capture level: new, gone, changed, failed, not-checked URLs."""
    from flows.crawl import compare_crawls
    from flows.home import existing_home

    result = compare_crawls(existing_home(home or ctx.obj))
    if as_json:
        render.as_json(result.to_dict())
    else:
        render.crawl_comparison(result)


@audit_app.command("releases")
def audit_releases(ctx: typer.Context,
                   since: Annotated[str, typer.Option("--since", help="From this release version, or the first release made on or after this date (YYYY-MM-DD).")],
                   as_json: JsonOption = False, home: HomeOption = None) -> None:
    """The release timeline to the newest: per release the counts, events, moves, not-checked sites and watch-list."""
    from flows.audit import releases_timeline
    from flows.home import existing_home

    tl = releases_timeline(existing_home(home or ctx.obj), since)
    if as_json:
        render.as_json(tl.to_dict())
    else:
        render.timeline(tl)


@audit_app.command("versions")
def audit_versions(ctx: typer.Context, as_json: JsonOption = False, home: HomeOption = None) -> None:
    """The edits between each document's captured versions (live crawls and Wayback copies), dated by both captures."""
    from flows.audit import version_edits
    from flows.home import existing_home

    edits = version_edits(existing_home(home or ctx.obj))
    if as_json:
        render.as_json([e.to_dict() for e in edits])
    else:
        render.version_edits(edits)


@audit_app.command("witnesses")
def audit_witnesses(ctx: typer.Context, as_json: JsonOption = False, home: HomeOption = None) -> None:
    """Copies of one article across sites, and where they differ, word by word."""
    import flows.audit
    from flows.home import existing_home

    works, differences = flows.audit.witnesses(existing_home(home or ctx.obj))
    if as_json:
        render.as_json({"works": [w.to_dict() for w in works], "differences": [d.__dict__ for d in differences]})
    else:
        render.witnesses(works, differences)


@app.command()
def history(doc_id: Annotated[str, typer.Argument(help="Document id, e.g. globalsecurity-dprk-100917-kcna04.")],
            as_json: JsonOption = False,
            html: Annotated[Optional[Path], typer.Option("--html", help="Also write the history as a self-contained HTML page here.")] = None,
            home: HomeOption = None) -> None:
    """Every capture and every released version of one document, with each change's diff and class."""
    from flows.audit import document_history
    from flows.home import existing_home

    result = document_history(existing_home(home), doc_id)
    if as_json:
        render.as_json(result.to_dict())
    else:
        render.document_history(result)
    if html:
        render.document_history_html(result, html)


@app.command()
def watchlist(init: Annotated[bool, typer.Option("--init", help="Write the shipped example to <data home>/watchlist.toml (never over an existing one).")] = False,
              home: HomeOption = None) -> None:
    """Show the watch-list and how many documents of the newest release mention each entry."""
    from flows.audit import watchlist_overview
    from flows.home import open_home

    render.watchlist(watchlist_overview(open_home(home), init=init))
