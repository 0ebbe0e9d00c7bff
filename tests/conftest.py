"""Shared test setup: quiet Prefect/GX settings before anything imports them, and the snapshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# The commands' tables take $COLUMNS when piped (else 132): the tests read them as a pipe would, whatever
# the terminal that started pytest (and pytest-xdist's workers run with COLUMNS=80).
os.environ.pop("COLUMNS", None)

from flows.settings import apply_prefect_defaults  # noqa: E402

apply_prefect_defaults()

SNAPSHOT_DIR = Path(__file__).resolve().parent.parent / "flows" / "snapshots"
SEEDS = {
    "globalsecurity": "https://www.globalsecurity.org/wmd/library/news/dprk/2010/dprk-100914-kcna01.htm",
    "kancc": "https://kancc.org/bbs/board.php?bo_table=heigo&wr_id=504",
}


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """README's test command runs two pytest-xdist workers: the tests of one costly session fixture go to
    one worker (tests/tools/scheduling.py), unless another --dist was asked for."""
    if config.getvalue("dist") != "load":
        return None
    from tests.tools.scheduling import costly_fixture_scheduling
    return costly_fixture_scheduling(config, log)


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (~11 s to start); yields its API URL, for the
    commands a test runs in a child process (PREFECT_API_URL: they use it instead of starting their own)."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield PREFECT_API_URL.value()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo, run once for the session over the three shipped snapshots: (DataHome, DemoResult). As
    `kcorpus demo` runs it without a configured Prefect server: the flows' functions called directly."""
    from core.datahome import DataHome
    from flows.demo import run_demo
    from flows.runs import SNAPSHOTS, snapshot_path

    home = DataHome.resolve(tmp_path_factory.mktemp("demo-home"))
    return home, run_demo(home, [snapshot_path(name) for name in SNAPSHOTS])


@pytest.fixture(scope="session")
def snapshot_documents():
    """Every article of the first two sites (GlobalSecurity, KANCC) in snapshot 1, cleaned (with capture
    provenance as the pipeline sets it); the kcna.kp and Rodong pages have tests of their own."""
    import cleaners
    from core.profiles import profile_for_url
    from replay.server import load_snapshot

    docs = []
    for url, page in sorted(load_snapshot([SNAPSHOT_DIR / "snapshot-1.warc.gz"]).items()):
        profile = profile_for_url(url)
        if page.status == 200 and profile is not None and profile.name in ("globalsecurity", "kancc") \
                and profile.article_match(url) is not None:  # what the crawl fetches as articles
            digest = page.header("etag") or ""
            try:
                docs.append(cleaners.clean_page(page.body, url, headers={k.lower(): v for k, v in page.headers},
                                                capture={"record_id": f"<urn:uuid:{digest.strip(chr(34))}>",
                                                         "payload_digest": "sha1:" + digest.strip('"'),
                                                         "captured_at": "2026-10-01T03:00:00Z"}))
            except cleaners.SoftNotFound:
                continue  # the snapshot's error pages served as 200: never documents
    return docs


@pytest.fixture(scope="session")
def tei_all():
    """The official TEI P5 tei_all schema (tests/schemas, P5 4.9.0) as an lxml RelaxNG validator, built once
    per session (~6 s; then well under a millisecond a document): no Java, no Debian package."""
    from tests.tools.schemas import tei_all_validator

    return tei_all_validator()
