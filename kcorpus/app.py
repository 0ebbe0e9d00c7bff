"""The `kcorpus` command group: the Typer app, its global options, the shared options of its commands,
and how a failure reads (one `error:` line). The commands themselves are in kcorpus/cli.py and
kcorpus/audit_cli.py."""

from __future__ import annotations

import io
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
import typer.core

from kcorpus import render
from kcorpus.render import console, err

# --debug (before the command) shows tracebacks; without it every failure is one `error: ...` line.
DEBUG = {"on": False}
# Set by the global options (--quiet / --verbose / --log-file), read when a command runs Prefect.
LOGGING = {"console_level": "WARNING", "log_file": None}
QUIET = logging.CRITICAL + 10   # above every level: nothing logged reaches the terminal

# Typer 0.26+ carries its own copy of click (typer._click) whose exceptions are not click's; older Typer
# raises click's. Either way they live in the module of typer.BadParameter.
_CLICK = sys.modules[typer.BadParameter.__module__]
CLICK_ERRORS = (_CLICK.ClickException,)
USAGE_ERRORS = (_CLICK.UsageError,)
EXITS = tuple({typer.Exit, typer.Abort, getattr(_CLICK, "Exit", typer.Exit), getattr(_CLICK, "Abort", typer.Abort)})

# What each option's value is, in help and usage lines (never a type name such as <list[Path]>)
METAVARS = {"home": "DIR", "site": "NAME", "replay": "WARC", "delay": "S", "task_runner": "thread|dask",
            "dask_address": "HOST:PORT", "revisit_budget": "N", "port": "N", "url": "URL", "format": "FORMAT",
            "version": "V", "release": "V", "output": "PATH", "html": "FILE", "since": "VERSION|YYYY-MM-DD",
            "from_year": "YYYY", "to_year": "YYYY", "limit": "N", "pause_after_429": "S", "cdx_timeout": "S",
            "wayback": "URL", "cron": "CRON", "log_file": "PATH", "base_url": "URL"}


def _name_values(command) -> None:
    """Give every option that takes a value a metavar (METAVARS, else its name in capitals), in this
    command and the ones under it."""
    for param in command.params:
        if param.param_type_name == "argument":  # its name says what it is: no type beside it
            param.metavar = param.metavar or param.name.upper()
            param.display_type_rich = lambda ctx: None
        elif not getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = METAVARS.get(param.name, param.name.upper())
    for sub in getattr(command, "commands", {}).values():
        _name_values(sub)


def quiet_closed_pipe() -> None:
    """The reader of standard output went away (`kcorpus status | head -1`): say nothing more, exit 0.
    Later writes (and the interpreter's last flush) go to /dev/null instead of raising again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):  # no real file (CliRunner)
        pass


class _Commands(typer.core.TyperGroup):
    """Every failure is one `error: ...` line: a usage error (unknown command or option, a bad value, an
    unknown site) exits 2 and names the option; anything unexpected exits 1 (`--debug` shows the
    traceback); a closed pipe ends quietly with 0."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        _name_values(self)
        try:
            code = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        except USAGE_ERRORS as exc:
            hint = f" (see {exc.ctx.command_path} --help)" if getattr(exc, "ctx", None) is not None else ""
            err.print(f"[red]error:[/red] {exc.format_message()}{hint}", highlight=False, soft_wrap=True, markup=True)
            code = 2
        except CLICK_ERRORS as exc:
            err.print(f"[red]error:[/red] {exc.format_message()}", highlight=False, soft_wrap=True, markup=True)
            code = exc.exit_code
        except typer.Abort:
            err.print("error: aborted", highlight=False)
            code = 1
        except BrokenPipeError:
            quiet_closed_pipe()
            code = 0
        code = code if isinstance(code, int) else 0
        if not standalone_mode:
            return code
        sys.exit(code)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except EXITS + CLICK_ERRORS:
            raise
        except BrokenPipeError:  # Typer's own handling would exit 1
            quiet_closed_pipe()
            raise typer.Exit(0)
        except KeyboardInterrupt:
            err.print("error: interrupted", highlight=False)
            raise typer.Exit(130)
        except Exception as exc:
            from flows.errors import BadOption
            if isinstance(exc, BadOption):  # a value only the flows can judge (a site name): a usage error
                where = " ".join(filter(None, [ctx.command_path, ctx.invoked_subcommand]))
                raise _CLICK.UsageError(f"{exc} (see {where} --help)") from None
            if DEBUG["on"]:
                import traceback
                traceback.print_exception(exc, file=sys.stderr)
            from flows.errors import describe_failure
            err.print(f"[red]error:[/red] {describe_failure(exc)}", highlight=False, soft_wrap=True, markup=True)
            raise typer.Exit(1)


app = typer.Typer(help="kcorpus: archive, clean, validate and release North Korean state media reposted on the web.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, cls=_Commands,
                  rich_markup_mode=None)
quarantine_app = typer.Typer(help="List and inspect documents held back by the quality gate.",
                             invoke_without_command=True)
app.add_typer(quarantine_app, name="quarantine")
audit_app = typer.Typer(help="What changed, and why: between crawl runs, releases, captured versions, copies "
                             "across sites.", invoke_without_command=True)
app.add_typer(audit_app, name="audit")

HomeOption = Annotated[Optional[Path], typer.Option(
    "--home", help="Data home (default: $KCORPUS_HOME, else ./kcorpus-data).", show_default=False)]
BaseUrlOption = Annotated[Optional[str], typer.Option(
    "--base-url", help="Where the data home's reports/ folder is published (links in feeds, history pages and "
                       "artifacts; default: $KCORPUS_BASE_URL, else kcorpus.toml, else relative links).")]
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
         quiet: Annotated[bool, typer.Option("--quiet", help="No log lines (Prefect's included) and no progress line on the terminal: only the command's result and its error: line.")] = False,
         verbose: Annotated[bool, typer.Option("--verbose", help="Prefect's INFO lines on the terminal too.")] = False,
         log_file: Annotated[Optional[Path], typer.Option("--log-file", help="Where Prefect's log lines go (default: <data home>/logs/kcorpus.log).")] = None,
         debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of a failure (before the command: kcorpus --debug refresh).")] = False) -> None:
    """kcorpus: archive, clean, validate and release North Korean state media reposted on the web."""
    DEBUG["on"] = debug
    # --quiet: no log line of Prefect's or any library's on the terminal (the log file has them all); the
    # command's own `error:` line says what failed
    LOGGING["console_level"] = QUIET if quiet else "INFO" if verbose else "WARNING"
    # A log line that cannot be written (the log file on a full disk, Prefect's logs to a server whose
    # database is full) is dropped, not reported with a traceback per line ("--- Logging error ---",
    # "--- Error logging to API ---"); --debug keeps those reports.
    logging.raiseExceptions = debug
    LOGGING["log_file"] = log_file
    console.quiet = quiet   # set each time: a later command in the same process (a test's) is not quiet


def log_prefect(home) -> None:
    """Prefect's log lines for a command that runs a flow, as the global options asked."""
    import flows.settings
    flows.settings.log_prefect(home.root, LOGGING["console_level"], LOGGING["log_file"])
