"""The house has floors: imports point down or sideways within a package, never up, never across stages.

    top     kcorpus/   the CLI and the Python entry points a researcher imports
            flows/     orchestration: stage functions, Prefect flows, the demo
    stages  scrapers/  cleaners/  expectations/  corpus/   (each imports only the ground and itself)
    ground  core/      data model, id rules, site profiles, data-home layout, version

Every import statement of every module is read (function-level imports included, since those are how
heavy libraries are deferred), so a shortcut taken deep inside a function still fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOOR = {"core": 0, "scrapers": 1, "cleaners": 1, "expectations": 1, "corpus": 1, "replay": 1, "flows": 2,
         "kcorpus": 3}
STAGES = {name for name, floor in FLOOR.items() if floor == 1}


def project_imports(path: Path):
    """(line number, imported top-level project package, source line) for each import in a module."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in FLOOR:
                yield node.lineno, top, lines[node.lineno - 1].strip()


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for package, floor in FLOOR.items():
        for path in sorted((root / package).rglob("*.py")):
            if "snapshots" in path.parts:
                continue
            for lineno, target, line in project_imports(path):
                if target == package:
                    continue
                where = f"{path.relative_to(root)}:{lineno}: {line}"
                if FLOOR[target] > floor:
                    found.append(f"{where}  ({package} is below {target}: imports never point up)")
                elif package in STAGES and target in STAGES:
                    found.append(f"{where}  (stage {package} imports stage {target}: pass data from the caller)")
                elif package == "flows" and target == "kcorpus":
                    found.append(f"{where}  (flows imports the CLI)")
    return found


def test_no_import_points_up_or_across_stages():
    assert violations() == []


def test_every_package_has_a_floor():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(FLOOR), "a new top-level package needs a floor in tests/test_floors.py"


@pytest.mark.parametrize("bad, planted", [
    ("core", "from flows.crawl import crawl\n"),
    ("cleaners", "def f():\n    from corpus.tei import document_to_tei\n"),
])
def test_the_check_catches_upward_and_sideways_imports(tmp_path, bad, planted):
    """The check itself can fail: a planted upward import and a planted stage-to-stage import are named."""
    for package in FLOOR:
        (tmp_path / package).mkdir()
    (tmp_path / bad / "planted.py").write_text(planted)
    found = violations(tmp_path)
    assert len(found) == 1 and "planted.py" in found[0] and planted.strip().splitlines()[-1].strip() in found[0]
