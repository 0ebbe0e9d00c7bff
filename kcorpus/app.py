"""The `kcorpus` command group: the Typer app, its global options, the shared options of its commands,
and how a failure reads (one `error:` line). The commands themselves are in kcorpus/cli.py and
kcorpus/audit_cli.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
import typer.core

from kcorpus import render
from kcorpus.render import console, err

# --debug (before the command) shows tracebacks; without it every failure is one `error: ...` line.
DEBUG = {"on": False}
# Set by the global options (--quiet / --verbose / --log-file), read when a command runs Prefect.
LOGGING = {"console_level": "WARNING", "log_file": None}


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
            from flows.errors import describe_failure
            err.print(f"[red]error:[/red] {describe_failure(exc)}", highlight=False, soft_wrap=True, markup=True)
            raise typer.Exit(1)


app = typer.Typer(help="kcorpus: archive, clean, validate and release North Korean state media reposted on the web.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, cls=_Commands)
quarantine_app = typer.Typer(help="List and inspect documents held back by the quality gate.",
                             invoke_without_command=True)
app.add_typer(quarantine_app, name="quarantine")
audit_app = typer.Typer(help="What changed, and why: between crawl runs, releases, captured versions, copies "
                             "across sites.", invoke_without_command=True)
app.add_typer(audit_app, name="audit")

HomeOption = Annotated[Optional[Path], typer.Option(
    "--home", help="Data home (default: $KCORPUS_HOME, else ./kcorpus-data).", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
SitesOption = Annotated[Optional[list[str]], typer.Option("--site", help="Site profile name (repeatable; default: all).")]


def fail(message: str, code: int = 1) -> None:
    render.error(message)
    raise typer.Exit(code)


def _version_callback(value: bool) -> None:
    if value:
        render.version()
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


def log_prefect(home) -> None:
    """Prefect's log lines for a command that runs a flow, as the global options asked."""
    import flows.settings
    flows.settings.log_prefect(home.root, LOGGING["console_level"], LOGGING["log_file"])
