"""The kcorpus command line, driven with typer's CliRunner (and a real replay server for `replay`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from core.datahome import DataHome
from kcorpus.cli import app

runner = CliRunner()
SNAPSHOTS = Path(__file__).resolve().parent.parent / "flows" / "snapshots"
SEED_URL = "https://kancc.org/bbs/board.php?bo_table=heigo&wr_id=504"


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory):
    from replay.server import load_snapshot

    path = tmp_path_factory.mktemp("pages") / "kancc-504.html"
    path.write_bytes(load_snapshot([SNAPSHOTS / "snapshot-1.warc.gz"])[SEED_URL].body)
    return path


def test_clean_json_has_the_contract_keys(seed_page):
    result = runner.invoke(app, ["clean", str(seed_page), "--url", SEED_URL])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert list(doc) == ["id", "site", "source_url", "title", "date", "posted_at", "place", "agency", "distributor",
                         "author", "series", "chapter", "section", "site_section", "lang", "paragraphs", "flags",
                         "repairs"]
    assert doc["title"] == "Let Us Defend the Soviet Union with Arms!" and doc["flags"] == ["truncated"]


def test_clean_text_tei_and_stdin(seed_page):
    text = runner.invoke(app, ["clean", str(seed_page), "--url", SEED_URL, "--format", "text"])
    assert text.exit_code == 0 and text.stdout.startswith("Let Us Defend the Soviet Union with Arms!\n")
    tei = runner.invoke(app, ["clean", "-", "--url", SEED_URL, "--format", "tei"], input=seed_page.read_bytes())
    assert tei.exit_code == 0 and '<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="kancc-heigo-504"' in tei.stdout


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\x03" * 100, b"plain words, not a page"])
def test_clean_bad_input_exits_non_zero_with_one_line(tmp_path, content):
    page = tmp_path / "bad.html"
    page.write_bytes(content)
    result = runner.invoke(app, ["clean", str(page), "--url", SEED_URL])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error:")


def test_clean_missing_file(tmp_path):
    result = runner.invoke(app, ["clean", str(tmp_path / "nope.html"), "--url", SEED_URL])
    assert result.exit_code == 1 and "cannot read" in result.stderr


def test_replay_command_serves_over_real_http():
    """With `--fault PATH=NAME` one recorded page answers with a hostile response, the others as recorded."""
    proc = subprocess.Popen([sys.executable, "-m", "kcorpus.cli", "replay", str(SNAPSHOTS / "snapshot-1.warc.gz"),
                             "--port", "0", "--fault", "/bbs/board.php?bo_table=heigo&wr_id=503=server-error"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))
        r = httpx.get(f"http://127.0.0.1:{port}/bbs/board.php?bo_table=heigo&wr_id=504", headers={"Host": "kancc.org"})
        assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8" and r.headers["etag"]
        assert httpx.get(f"http://127.0.0.1:{port}/missing", headers={"Host": "kancc.org"}).status_code == 404
        hostile = httpx.get(f"http://127.0.0.1:{port}/bbs/board.php?bo_table=heigo&wr_id=503", headers={"Host": "kancc.org"})
        assert hostile.status_code == 500
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "heigo&wr_id=503 answers with server-error" in proc.stdout.read()


@pytest.mark.parametrize("given", ["/a=no-such-fault", "a=drip", "/a"])
def test_replay_refuses_a_fault_it_does_not_know_in_one_line(given):
    result = runner.invoke(app, ["replay", str(SNAPSHOTS / "snapshot-1.warc.gz"), "--port", "0", "--fault", given])
    assert result.exit_code == 2 and "--fault" in result.stderr and "gzip-bomb" in result.stderr, result.stderr


def test_releases_diff_audit_and_quarantine_on_the_demo_home(demo_run):
    home, result = demo_run
    args = ["--home", str(home.root)]
    listed = runner.invoke(app, ["releases", *args])
    assert listed.exit_code == 0 and result.releases[0].release.version in listed.stdout
    old, new = (o.release.version for o in result.releases[:2])
    diff = runner.invoke(app, ["diff", old, new, "--json", *args])
    changed = [c["change"] for c in json.loads(diff.stdout)["changes"]]
    assert (changed.count("added"), changed.count("removed"), changed.count("edited")) == (2, 1, 1)
    report = home.reports_dir / "cli-report.html"
    assert runner.invoke(app, ["diff", old, new, "--html", str(report), *args]).exit_code == 0
    assert "<del>" in report.read_text()
    audit = runner.invoke(app, ["audit", "--json", *args])
    assert audit.exit_code == 0 and len(json.loads(audit.stdout)["gone"]) == 1
    # the demo's live crawls edited articles: the captured versions show those edits, not only backfilled ones
    versions = runner.invoke(app, ["audit", "versions", "--json", *args])
    edits = json.loads(versions.stdout)
    assert versions.exit_code == 0 and edits and {(e["before_via"], e["after_via"]) for e in edits} == {("crawl", "crawl")}
    assert all(e["before_captured_at"] < e["after_captured_at"] and e["words_deleted"] + e["words_inserted"] for e in edits)
    quarantine = runner.invoke(app, ["quarantine", *args])
    assert quarantine.exit_code == 0 and "No quarantined documents." in quarantine.stdout
    missing = runner.invoke(app, ["quarantine", "show", "kancc-heigo-999", *args])
    assert missing.exit_code == 1 and "no quarantined document" in missing.stderr


def test_demo_refuses_a_used_home(demo_run):
    home, _ = demo_run
    result = runner.invoke(app, ["demo", "--home", str(home.root)])
    assert result.exit_code == 1 and "fresh data home" in result.stderr


def test_every_command_and_option_is_documented_in_the_readme():
    """After datasette's test_docs: the README names every command and option."""
    import typer.main

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"kcorpus {name}" in readme, name
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in readme, f"{name} {opt}"


def test_version_status_show_and_export_on_the_demo_home(demo_run, tmp_path):
    import pandas as pd

    from core.version import __version__

    home, result = demo_run
    args = ["--home", str(home.root)]
    assert runner.invoke(app, ["--version"]).stdout.strip() == f"kcorpus {__version__}"
    status = runner.invoke(app, ["status", "--json", *args])
    report = json.loads(status.stdout)
    newest = result.releases[-1].release
    assert set(report["crawls"]) == {"globalsecurity", "kancc", "kcnakp", "rodong"}
    assert sum(c["downloaded"] + c["unchanged"] for c in report["crawls"].values()) > 0
    assert report["last_release"]["version"] == newest.version
    assert report["quarantined"] == 0 and report["disk_use"]["warc"] > 0
    table = runner.invoke(app, ["status", *args])
    assert table.exit_code == 0 and f"Last release: {newest.version}" in table.stdout
    text = runner.invoke(app, ["show", "kancc-heigo-504", *args])
    assert text.exit_code == 0 and text.stdout.startswith("Let Us Defend the Soviet Union with Arms!\n")
    as_json = json.loads(runner.invoke(app, ["show", "kancc-heigo-504", "--format", "json", *args]).stdout)
    assert as_json["date"] == "2020-09-18" and as_json["text"].startswith(as_json["paragraphs"][0])
    tei = runner.invoke(app, ["show", "kancc-heigo-504", "--format", "tei", "--release", result.releases[0].release.version, *args])
    assert '<reg type="backslash-space"' in tei.stdout
    missing = runner.invoke(app, ["show", "kancc-heigo-999", *args])
    assert missing.exit_code == 1 and "has no document" in missing.stderr
    for fmt in ("parquet", "conllu", "jsonl", "txt", "teicorpus"):
        out = tmp_path / f"export.{fmt}"
        done = runner.invoke(app, ["export", newest.version, "--format", fmt, "--output", str(out), *args])
        assert done.exit_code == 0 and out.exists(), done.output
    assert len(pd.read_parquet(tmp_path / "export.parquet")) == newest.documents
    assert (tmp_path / "export.conllu").read_text().startswith("# newdoc id = ")
    assert len((tmp_path / "export.jsonl").read_text().splitlines()) == newest.documents
    from lxml import etree
    assert len(etree.parse(str(tmp_path / "export.teicorpus")).getroot().findall("{*}TEI")) == newest.documents
    assert len(list((tmp_path / "export.txt").rglob("*.txt"))) == newest.documents
    again = runner.invoke(app, ["export", newest.version, "--format", "jsonl", "--output", str(tmp_path / "export.jsonl"), *args])
    assert again.exit_code == 1 and "never overwrite" in again.stderr


def test_releases_table_keeps_versions_whole_in_80_columns(demo_run):
    home, result = demo_run
    listed = subprocess.run([sys.executable, "-m", "kcorpus.cli", "releases", "--home", str(home.root)],
                            capture_output=True, text=True, env={**__import__("os").environ, "COLUMNS": "80"})
    assert listed.returncode == 0
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80
    for outcome in result.releases:
        assert re.search(rf"\b{re.escape(outcome.release.version)}\b", listed.stdout)


@pytest.mark.parametrize("verbose", [False, True])
def test_prefect_info_lines_go_to_the_log_file_and_with_verbose_to_the_terminal(tmp_path, verbose, prefect_harness):
    """A release over a data home with a crawl state but nothing cleaned, run as the Prefect release flow
    (KCORPUS_PREFECT=always; by default a one-shot command without a configured server calls the same
    functions directly), which refuses it: its INFO lines land in the log file; on the terminal only
    with --verbose (Prefect's console handler is set up before kcorpus adds the file handler, or Prefect
    leaves the root alone). The command runs on the session's Prefect server, as on a configured one
    (PREFECT_API_URL), not on an embedded server of its own (its start is tested in test_faults)."""
    import os

    from scrapers.state import CrawlState

    log = tmp_path / "run.log"
    CrawlState(DataHome.resolve(tmp_path / "home").ensure().state_db).close()
    done = subprocess.run([sys.executable, "-m", "kcorpus.cli", *(["--verbose"] if verbose else []), "--log-file",
                           str(log), "release", "--home", str(tmp_path / "home")], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "KCORPUS_PREFECT": "always", "PREFECT_API_URL": prefect_harness})
    assert done.stderr.startswith("kcorpus release: ")   # the first line, before Prefect starts
    assert ("Finished in state" in done.stderr) is verbose and ("INFO" in done.stderr) is verbose, done.stderr
    assert "Finished in state" in log.read_text()
