"""Random command histories against a data home (tests/tools/histories.py): refreshes over changing
snapshots, outages, a missing site, releases, re-cleaning and SIGKILLed children, with `kcorpus check`
and the release and capture invariants checked after every step. The suite runs two seeded histories
(the same every run); bench/histories.py runs hundreds, and Hypothesis's own search over the same
state machine."""

from __future__ import annotations

import pytest

from tests.tools.histories import run_history


@pytest.mark.parametrize("seed", [3, 11])
def test_a_random_history_keeps_every_invariant(seed):
    log = run_history(seed, steps=7)
    assert len(log) == 7
