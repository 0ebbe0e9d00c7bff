"""The command line's conventions, as a newcomer meets them: usage errors exit 2 on one line naming the
option, unknown sites list the known ones, help shows what a value is (never a type name), a closed pipe
ends quietly, tables shorten columns rather than split words, and the writing commands refuse a missing
or empty data home before writing anything. CliRunner throughout (no Prefect starts)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from core.datahome import DataHome
from kcorpus import render
from kcorpus.cli import app

KNOWN = "globalsecurity, kancc, kcnakp, rodong"


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def one_error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_a_mistyped_command_exits_2_suggesting_the_right_one():
    result = run("refesh")
    assert result.exit_code == 2
    assert "No such command 'refesh'" in one_error_line(result) and "'refresh'" in result.output


@pytest.mark.parametrize("args, option", [
    (["refresh", "--no-such-option"], "--no-such-option"),
    (["refresh", "--revisit-budget", "-1"], "--revisit-budget"),
    (["refresh", "--delay", "soon"], "--delay"),
    (["backfill", "--site", "globalsecurity", "--from", "2012", "--to", "2010"], "--from"),
    (["export", "latest", "--format", "docx"], "docx"),
    (["show", "x", "--format", "pdf"], "pdf"),
    (["clean", "-", "--url", "http://[oops/"], "--url"),
    (["backfill"], "--site"),
    (["release", "--base-url", "/srv/www/reports"], "--base-url"),
    (["schedule", "--base-url", "file:///srv/www"], "--base-url"),
])
def test_usage_errors_exit_2_on_one_line_naming_the_option(args, option, tmp_path):
    result = run(*args, *(["--home", str(tmp_path / "h")] if args[0] in ("export", "show") else []))
    assert result.exit_code == 2, result.output
    assert option in one_error_line(result)
    assert not (tmp_path / "h").exists()


@pytest.mark.parametrize("command", [["refresh"], ["reclean"], ["schedule"], ["backfill"]])
def test_an_unknown_site_exits_2_listing_the_known_ones_and_creates_nothing(command, tmp_path):
    home = tmp_path / "home"
    result = run(*command, "--site", "nosuchsite", "--home", str(home))
    assert result.exit_code == 2, result.output
    line = one_error_line(result)
    assert "--site" in line and "nosuchsite" in line and KNOWN in line
    assert not home.exists()


def test_help_names_what_each_value_is_never_a_type(monkeypatch):
    group = typer.main.get_command(app)
    commands = [[]] + [[name] for name in group.commands] + \
        [[name, sub] for name, cmd in group.commands.items() for sub in getattr(cmd, "commands", {})]
    for path in commands:
        result = run(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert not re.search(r"<(bool|str|int|float|path|list\[[^\]]*\]|int range|float range)>", result.output), \
            (path, result.output)
    assert "--site NAME" in run("refresh", "--help").output and "--home DIR" in run("release", "--help").output
    assert "four sites" in run("demo", "--help").output


@pytest.mark.parametrize("command", ["release", "reclean"])
def test_release_and_reclean_refuse_a_missing_or_empty_home_writing_nothing(command, tmp_path):
    missing = tmp_path / "typo"
    result = run(command, "--home", str(missing))
    assert result.exit_code == 1 and "no data home at" in one_error_line(result)
    assert not missing.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(command, "--home", str(empty))
    assert result.exit_code == 1 and "holds no crawl, documents or releases" in one_error_line(result)
    assert list(empty.iterdir()) == []   # no writer.lock, no folders


def test_a_closed_pipe_ends_quietly_with_0(monkeypatch, tmp_path):
    home = DataHome.resolve(tmp_path).ensure()
    read_end, write_end = os.pipe()
    os.close(read_end)   # the reader went away, as `| head -1` does
    with os.fdopen(write_end, "w") as closed:
        # a console of its own: the handler silences the console it runs on and redirects standard output
        monkeypatch.setattr(render, "console", render._Console(file=closed))
        result = CliRunner().invoke(app, ["status", "--home", str(home.root)])
        monkeypatch.undo()
        try:
            closed.close()
        except BrokenPipeError:
            pass
    assert result.exit_code == 0 and "Broken pipe" not in result.output and "error" not in result.output


def test_a_closed_pipe_in_a_real_process_is_quiet(tmp_path):
    """`kcorpus status | head -1`, with the reader gone before kcorpus writes."""
    home = DataHome.resolve(tmp_path).ensure()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-m", "kcorpus.cli", "status", "--home", str(home.root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and "Broken pipe" not in stderr and "Error" not in stderr, stderr


def test_tables_at_80_columns_shorten_columns_and_keep_words_whole(monkeypatch):
    monkeypatch.setattr(render, "console", render._Console(file=(out := io.StringIO()), width=80))
    crawl = {"index_pages": 12, "articles": 1500, "downloaded": 812, "unchanged": 688, "gone": 3, "failed": [],
             "bad_links": [], "warnings": []}
    clean = {"cleaned": [1] * 812, "reused": [], "retired": [], "failures": []}
    render.refresh_summary({"run_id": "20261203T084400Z-1a2b", "crawl": {"globalsecurity": crawl, "kancc": crawl},
                            "clean": {"globalsecurity": clean, "kancc": clean},
                            "outcomes": {"globalsecurity": {"outcome": "ok"}, "kancc": {"outcome": "changed-layout"}}})
    text = out.getvalue()
    assert max(map(len, text.splitlines())) <= 80
    for word in ("globalsecurity", "changed-layout", "articles", "unchanged", "cleaned", "re-used", "refused",
                 "1,500", "812"):
        assert word in text, (word, text)
    assert "…" not in text


def test_releases_at_80_columns_keep_versions_counts_and_the_folder_whole(monkeypatch):
    from datetime import datetime
    from types import SimpleNamespace

    monkeypatch.setattr(render, "console", render._Console(file=(out := io.StringIO()), width=80))
    deep = Path("/srv/research/north-korea/state-media/kcorpus-data-of-the-project/releases/2026.12.03.2")
    render.releases([SimpleNamespace(version="2026.12.03.2", created_at=datetime(2026, 12, 3, 8, 44), documents=123456,
                                     counts_by_site={"globalsecurity": 100000, "kancc": 20000, "kcnakp": 3000,
                                                     "rodong": 456}, partial=True, path=deep)])
    text = out.getvalue()
    table = text.split(":\n", 1)[1]
    assert max(map(len, table.splitlines())) <= 80 and str(deep.parent) in text   # the folder: soft-wrapped, whole
    for whole in ("2026.12.03.2", "2026-12-03 08:44", "123,456", "globalsecurity 100,000", "kancc 20,000", "rodong 456"):
        assert whole in table, (whole, text)
    assert "…" not in table


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["release", "--help"]])
def test_version_and_help_load_neither_prefect_nor_great_expectations(args):
    """`kcorpus --version` and `--help` answer at once: the heavy libraries load only in the commands that run them."""
    probe = ("import sys\nfrom kcorpus.cli import app\ntry:\n    app(%r)\nexcept SystemExit:\n    pass\n"
             "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'prefect', 'great_expectations', 'pandas', "
             "'pyarrow', 'kiwipiepy', 'lxml'})\nprint('HEAVY', heavy)\n") % (args,)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_refresh_says_what_it_is_starting_before_anything_heavy(monkeypatch, tmp_path):
    """The first line comes before Prefect starts: here the run itself is replaced, so the test sees the
    line and the order, not a crawl."""
    import flows.runs

    def no_run(*args, **kwargs):
        raise RuntimeError("stopped before the flow")

    monkeypatch.setattr(flows.runs, "run_refresh", no_run)
    monkeypatch.setattr("kcorpus.app.log_prefect", lambda home: None)
    monkeypatch.setattr("kcorpus.cli.log_prefect", lambda home: None)
    result = run("refresh", "--site", "kancc", "--home", str(tmp_path))
    lines = result.output.splitlines()
    assert lines[0].startswith("kcorpus refresh: crawling kancc")
    assert lines[-1] == "error: stopped before the flow" and result.exit_code == 1


def test_crawl_progress_on_a_terminal_names_each_site_with_its_total_and_rate(monkeypatch):
    import time

    monkeypatch.setattr(render, "console", render._Console(file=(out := io.StringIO()), force_terminal=True, width=120))
    counts = {"globalsecurity": (812, 120), "kancc": (40, 40)}
    with render.CrawlProgress(lambda: 0, lambda since: counts, lambda: {"globalsecurity": 1500}):
        time.sleep(1.3)
    text = out.getvalue()
    assert "crawling globalsecurity" in text and "812/1500" in text and "120 downloaded" in text
    assert "crawling kancc" in text and "40/40" in text   # a first crawl: the total grows with what was seen
    assert re.search(r"\d+\.\d/s", text)


def test_crawl_progress_piped_is_a_plain_line_now_and_then(monkeypatch):
    import time

    monkeypatch.setattr(render, "console", render._Console(file=io.StringIO(), width=120))
    monkeypatch.setattr(render, "err", render._Console(file=(out := io.StringIO()), width=200))
    with render.CrawlProgress(lambda: 0, lambda since: {"globalsecurity": (812, 120)}, lambda: {"globalsecurity": 1500},
                              every=0.2):
        time.sleep(0.5)
    lines = out.getvalue().splitlines()
    assert lines and all(line.startswith("crawling: globalsecurity 812/1,500 pages (120 downloaded); ") for line in lines)
    assert "\x1b" not in out.getvalue()   # no control codes in a log


def test_refresh_announces_prefect_only_when_it_starts_it(tmp_path, monkeypatch):
    """The first line of `refresh` promised "starting Prefect first: ~10 s" on every run, though a one-shot
    command runs without Prefect unless a server is configured or asked for (flows.runs.use_prefect)."""
    from typer.testing import CliRunner

    import flows.runs
    from kcorpus.cli import app

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("KCORPUS_PREFECT", "auto")
    monkeypatch.setattr(flows.runs, "run_refresh", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("stop here")))
    plain = CliRunner().invoke(app, ["refresh", "--home", str(tmp_path / "a")])
    assert "then cleaning what changed" in plain.output and "starting Prefect" not in plain.output
    monkeypatch.setenv("KCORPUS_PREFECT", "always")
    flow = CliRunner().invoke(app, ["refresh", "--home", str(tmp_path / "b")])
    assert "starting Prefect first" in flow.output
