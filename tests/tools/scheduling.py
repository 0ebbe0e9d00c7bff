"""How pytest-xdist shares the suite between its two workers (README's test command): every test that
needs one of the costly session fixtures goes to the worker that builds that fixture, so the Prefect test
server, the demo's three releases and the tei_all validator are each built once per run, not once per
worker; the other tests go by module (a module's own fixtures are built once too), biggest first, to
whichever worker is free.

xdist's own `--dist loadgroup` would do the first part from `xdist_group` marks, but with pytest 9 it
groups nothing: it renames the items' `_nodeid`, which pytest 9 no longer reads. So the groups are found
here, in the controller, from the test files' source: a test needs a costly fixture when it names it, or
names a fixture of its module that does."""

from __future__ import annotations

import ast
from pathlib import Path

COSTLY_FIXTURES = ("prefect_harness", "demo_run", "tei_all")   # tests/conftest.py; the first one named wins


def costly_tests(root: Path, tests_dir: Path) -> dict[tuple[str, str], str]:
    """(test file relative to `root`, test function name) -> the costly session fixture it needs."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(tests_dir.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        arguments = {node.name: {a.arg for a in node.args.args + node.args.kwonlyargs}
                     for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}

        def reached(name: str, seen: frozenset) -> set[str]:
            """The costly fixtures a function names, itself or through its module's functions (fixtures)."""
            hits = arguments.get(name, set()) & set(COSTLY_FIXTURES)
            for arg in arguments.get(name, set()) - seen:
                if arg in arguments:
                    hits |= reached(arg, seen | {arg})
            return hits

        relative = path.relative_to(root).as_posix()
        for name in arguments:
            if name.startswith("test"):
                hits = reached(name, frozenset({name}))
                if hits:
                    found[(relative, name)] = next(f for f in COSTLY_FIXTURES if f in hits)
    return found


def costly_fixture_scheduling(config, log):
    """An xdist scheduler: a test's work unit is its costly fixture's group, else its module."""
    from xdist.scheduler import LoadScopeScheduling

    groups = costly_tests(Path(config.rootpath), Path(__file__).resolve().parent.parent)

    class CostlyFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path, _, rest = nodeid.partition("::")
            name = rest.rsplit("::", 1)[-1].split("[", 1)[0]
            return groups.get((path, name)) or super()._split_scope(nodeid)

    return CostlyFixtureScheduling(config, log)
