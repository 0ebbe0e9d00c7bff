"""Shared test setup: quiet Prefect/GX settings before anything imports them, and the snapshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from flows.settings import apply_prefect_defaults  # noqa: E402

apply_prefect_defaults()

SNAPSHOT_DIR = Path(__file__).resolve().parent.parent / "kcorpus" / "snapshots"
SEEDS = {
    "globalsecurity": "https://www.globalsecurity.org/wmd/library/news/dprk/2010/dprk-100914-kcna01.htm",
    "kancc": "https://kancc.org/bbs/board.php?bo_table=memoir&wr_id=1093",
}


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (~11 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
