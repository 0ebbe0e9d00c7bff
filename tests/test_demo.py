"""End to end: the demo over both recorded snapshots, checked against the skeleton issue's criteria."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from corpus.tei import tei_texts
from flows.demo import DemoHomeNotEmpty, check_fresh


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run


def _tei_text(path: Path) -> str:
    """The repaired text of a TEI file (each inline repair read through <reg>)."""
    title, paragraphs = tei_texts(etree.parse(str(path)).getroot())["repaired"]
    return " ".join([title, *paragraphs])


def test_three_releases_of_well_formed_tei(demo):
    home, result = demo
    releases = [o.release for o in result.releases]
    assert len(releases) == 3 and len({r.path for r in releases}) == 3
    for release in releases:
        files = sorted(Path(release.path).glob("tei/*/*.xml"))
        assert len(files) >= 16
        for path in files:
            etree.parse(str(path))  # raises on ill-formed XML
        manifest = json.loads((Path(release.path) / "manifest.json").read_text())
        assert len(manifest["documents"]) == len(files)


def test_seed_documents_are_free_of_chrome(demo):
    _, result = demo
    for outcome in result.releases:
        tei = Path(outcome.release.path) / "tei"
        gs = _tei_text(tei / "globalsecurity" / "globalsecurity-dprk-100914-kcna01.xml")
        assert "Pyongyang, September 14 (KCNA)" in gs
        for chrome in ("UNITED24", "mailing list", "Weapons of Mass Destruction (WMD)"):
            assert chrome not in gs
        kancc = _tei_text(tei / "kancc" / "kancc-heigo-504.xml")
        assert "Soviet Union" in kancc
        for chrome in ("페이스북", "댓글", "Copyright", "본문 바로가기", "\\"):
            assert chrome not in kancc


def test_second_snapshot_shows_exactly_the_upstream_changes(demo):
    _, result = demo
    first_audit = result.audits[0]
    assert first_audit.changes is None and first_audit.report is None   # nothing to compare the first release with
    changes = result.audits[1].changes
    assert len(changes.of("removed")) == 1 and len(changes.of("edited")) == 1 and len(changes.of("added")) == 2
    assert all(e.kind == "upstream" for e in changes.of("edited"))
    crawls = result.crawl_comparison
    assert (len(crawls.new), len(crawls.gone), len(crawls.changed)) == (2, 1, 1)
    report = result.audits[1].report
    assert report.name == f"audit-{changes.old}-{changes.new}.html" and "<del" in report.read_text()
    assert not list(report.parent.glob("diff-*.html"))   # one HTML report per pair of releases


def test_second_refresh_reuses_unchanged_documents(demo):
    """Only what changed is cleaned again: edited and new pages, and every page of a site whose learned
    template grew (its documents name the template they were cleaned with; a new chrome line learned from
    snapshot 2 — GNUBoard's "no comments" line on KANCC — means each is cleaned once more)."""
    _, result = demo
    second = result.refreshes[1]
    downloaded = {site: c["downloaded"] for site, c in second["crawl"].items()}
    assert sum(downloaded.values()) == 3   # 1 edited + 2 new; the rest are revisits
    for site, clean in second["clean"].items():
        if clean["reused"]:   # the template did not change: nothing unchanged was cleaned again
            assert len(clean["cleaned"]) == downloaded[site], site
        else:                 # the template grew: everything once, nothing reused
            assert len(clean["cleaned"]) >= downloaded[site], site
    assert sum(len(c["cleaned"]) for c in second["clean"].values() if c["reused"]) >= 2


def test_demo_refuses_a_used_home(demo):
    home, _ = demo
    with pytest.raises(DemoHomeNotEmpty):
        check_fresh(home)


def test_every_released_tei_file_is_valid_against_the_project_schema(demo):
    from corpus.tei import validate_tei

    _, result = demo
    for outcome in result.releases:
        assert outcome.release.rejected == []
        for path in Path(outcome.release.path).glob("tei/*/*.xml"):
            assert validate_tei(path.read_bytes()) == [], path


def test_changed_cleaning_rule_on_unchanged_captures_is_classed_pipeline(demo, monkeypatch):
    """Re-clean from the archived captures with one rule changed, release, diff: only pipeline edits."""
    import cleaners
    from cleaners import repairs
    from corpus.diff import diff_releases
    from flows.clean import reclean
    from flows.release import validate_and_release

    home, result = demo
    romanised = repairs.Rule("romanise-test", "a changed rule (test only)", lambda m: "P'yŏngyang",
                             repairs.re.compile(r"\bPyongyang\b"))
    monkeypatch.setattr(repairs, "RULES", repairs.RULES + [romanised])
    monkeypatch.setattr(cleaners, "CLEANER_VERSION", cleaners.CLEANER_VERSION + "-changed")
    reports = reclean(home)
    assert sum(len(r.cleaned) for r in reports) == 32  # 10 GlobalSecurity + 10 KANCC of the base, 8 era/board pages, 2 kcna.kp, 2 Rodong
    # the demo's last crawl (snapshot 3) found KANCC unreachable: the gate blocks until overridden
    outcome = validate_and_release(home, allow_partial=True)
    diff = diff_releases(Path(result.releases[-1].release.path), Path(outcome.release.path))
    assert diff.of("added") == [] and diff.of("removed") == [] and diff.of("moved") == []
    assert diff.of("edited") and {e.kind for e in diff.of("edited")} == {"pipeline"}
    assert any("P'yŏngyang" in text for e in diff.of("edited") for kind, text in e.ops if kind == "insert")
