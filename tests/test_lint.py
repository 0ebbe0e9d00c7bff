"""The linter and the doctests: `ruff check --select F` passes (shadowed definitions, undefined names),
and every module carrying a doctest is collected by the suite."""

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
