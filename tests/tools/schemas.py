"""The official TEI P5 schema as the tests check kcorpus's TEI files against it: lxml's RelaxNG over
tests/schemas/tei_all.rng (pip-installed lxml; no Java, no Debian package)."""

from __future__ import annotations

from pathlib import Path

TEI_ALL = Path(__file__).resolve().parent.parent / "schemas" / "tei_all.rng"


def tei_all_validator():
    """tei_all as an lxml RelaxNG validator: ~6 s to build, so build it once (the `tei_all` fixture)."""
    from lxml import etree

    assert TEI_ALL.is_file(), f"{TEI_ALL} is missing"
    return etree.RelaxNG(etree.parse(str(TEI_ALL)))


def tei_all_problems(validator, files) -> list[str]:
    """Each file's violations of tei_all, as "file:line: message" (none: every file is valid). A file's
    XIncludes (a release's teiCorpus includes its members' TEI files) are resolved first, as an XInclude
    processor reading the corpus would."""
    from lxml import etree

    problems = []
    for path in files:
        tree = etree.parse(str(path))
        tree.xinclude()
        if not validator.validate(tree):
            problems += [f"{Path(path).name}:{e.line}: {e.message}" for e in validator.error_log]
    return problems
