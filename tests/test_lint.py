"""The linter and the doctests: `ruff check --select F` passes (shadowed definitions, undefined names),
and every module carrying a doctest is collected by the suite; the two workers' shares of the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ruff() -> str:
    """The ruff of this environment (the dev extra installs it), else the one on PATH."""
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.exists() else shutil.which("ruff")
    assert found, "ruff is missing: pip install -e '.[dev]' installs it"
    return found


def test_ruff_finds_no_shadowed_definition_nor_undefined_name():
    result = subprocess.run([ruff(), "check", "--select", "F", "--no-cache", str(ROOT)], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lint_check_can_fail(tmp_path):
    """A planted second definition of a method (the CrawlState.url_captures defect) is named."""
    (tmp_path / "planted.py").write_text("class A:\n    def f(self):\n        return 1\n\n"
                                         "    def f(self):\n        return 2\n")
    result = subprocess.run([ruff(), "check", "--select", "F", "--no-cache", str(tmp_path)], capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == 1 and "F811" in result.stdout


def modules_with_doctests(root: Path = ROOT) -> set[Path]:
    """Every project module (packages, not tests or scripts) whose source holds a doctest prompt."""
    packages = [p.parent for p in root.glob("*/__init__.py") if p.parent.name != "tests"]
    return {path.relative_to(root) for package in packages for path in package.rglob("*.py")
            if ">>> " in path.read_text(encoding="utf-8")}


def collected(path: Path, testpaths: list[str]) -> bool:
    return any(path == Path(t) or Path(t) in path.parents for t in testpaths)


def test_every_doctest_is_collected():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in options["addopts"]
    missed = sorted(str(p) for p in modules_with_doctests() if not collected(p, options["testpaths"]))
    assert missed == []
    assert not collected(Path("corpus/tei.py"), ["tests", "scrapers/urls.py"])  # the check can fail


def test_each_costly_fixtures_tests_are_found_for_one_worker(tmp_path):
    """tests/tools/scheduling.py sends every test of a costly session fixture to one worker: named by the
    test itself or through a fixture of its module (test_demo's `demo`), the first costly one winning."""
    from tests.tools.scheduling import costly_tests

    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text(
        "import pytest\n@pytest.fixture\ndef demo(demo_run):\n    return demo_run\n"
        "def test_direct(tei_all): pass\ndef test_through(demo): pass\n"
        "def test_both(demo_run, prefect_harness): pass\ndef test_plain(tmp_path): pass\n")
    assert costly_tests(tmp_path, tmp_path / "tests") == {
        ("tests/test_a.py", "test_direct"): "tei_all", ("tests/test_a.py", "test_through"): "demo_run",
        ("tests/test_a.py", "test_both"): "prefect_harness"}
    found = costly_tests(ROOT, ROOT / "tests")
    assert found[("tests/test_demo.py", "test_three_releases_of_well_formed_tei")] == "demo_run"
    assert found[("tests/test_flows.py", "test_dask_task_runner_gives_the_same_release_as_threads")] == "prefect_harness"
