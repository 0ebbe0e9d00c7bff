"""Shared test setup: quiet Prefect/GX settings before anything imports them, and the snapshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from flows.settings import apply_prefect_defaults  # noqa: E402

apply_prefect_defaults()

SNAPSHOT_DIR = Path(__file__).resolve().parent.parent / "flows" / "snapshots"
SEEDS = {
    "globalsecurity": "https://www.globalsecurity.org/wmd/library/news/dprk/2010/dprk-100914-kcna01.htm",
    "kancc": "https://kancc.org/bbs/board.php?bo_table=heigo&wr_id=504",
}


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (~11 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, prefect_harness):
    """The demo, run once for the session over both shipped snapshots: (DataHome, DemoResult)."""
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
