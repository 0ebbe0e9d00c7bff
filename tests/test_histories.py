"""Random command histories against a data home (tests/tools/histories.py): refreshes over changing
snapshots, outages, a missing site, article pages turned hostile (replay/faults.py), releases, re-cleaning,
backfills from a fake Wayback Machine under faults, SIGKILLed children, a full disk and readers beside a
writer, with `kcorpus check` and the release, capture and version invariants checked after every step. The
suite runs one seeded history (the same every run) and given histories through the newer rules;
bench/histories.py runs hundreds, and Hypothesis's own search over the same state machine."""

from __future__ import annotations

from tests.tools.histories import run_history, run_steps


def test_a_random_history_keeps_every_invariant():
    log = run_history(3, steps=7)
    assert len(log) == 7


def test_backfill_a_full_disk_and_readers_beside_a_writer_keep_every_invariant():
    """A backfill cut short by the Wayback, then resumed; a refresh on a disk with no room left (a tmpfs
    as root, else an injected ENOSPC); read-only commands while a refresh runs in a child process."""
    log = run_steps([("refresh", 0, "whole"), ("backfill", "cut-cdx"), ("full_disk", "refresh", 0),
                     ("readers_beside_a_writer", "refresh"), ("backfill", "429-playback")])
    assert log[1].startswith("backfill cut-cdx") and "exit 1" in log[2], log
    assert "reads" in log[3], log


def test_a_ctrl_c_at_random_points_leaves_nothing_for_repair():
    """SIGINT (Ctrl-C) to a refresh and to a release in the middle of their work: each ends, and the data
    home checks clean without `--repair` (a SIGKILL may leave what --repair removes; an interrupt may not)."""
    log = run_steps([("refresh", 0, "whole"), ("kill", "release", 0.8, "SIGINT"), ("release", True),
                     ("kill", "refresh", 0.4, "SIGINT"), ("kill", "release", 1.5, "SIGINT"), ("release", True)])
    assert sum("(interrupted)" in step for step in log) >= 2, log


def test_hostile_article_pages_end_in_words_and_keep_every_invariant():
    """Article pages of a replay answering with faults of replay/faults.py: a gzip bomb and a drip fail
    their site in words (partial, within the request deadline, memory bounded), a wrong-charset page is
    cleaned with its repair recorded, a binary page refused; then a release of what is held and a refresh
    that heals the pages. Every invariant holds after each step (tests/tools/histories.py HOSTILE_OUTCOMES)."""
    log = run_steps([("refresh", 0, "whole"),
                     ("refresh", 0, "hostile", [(0, "gzip-bomb"), (20, "drip"), (3, "wrong-charset")]),
                     ("release", True),
                     ("refresh", 0, "hostile", [(25, "binary-as-html"), (5, "redirect-loop")]),
                     ("refresh", 0, "whole")])
    assert "(drip, gzip-bomb, wrong-charset)" in log[1], log


def test_a_full_disk_where_no_tmpfs_can_be_mounted_fails_in_words_through_the_injected_enospc(monkeypatch):
    """Without root (or where mount fails) the full disk is an ENOSPC injected into every Python write
    under the home (tests.tools.histories.FullDisk): the same refresh must end in words, exit 1, and every
    invariant hold after it and after the disk gets room back. CI runs as root, so this path is forced."""
    import tests.tools.histories as histories

    monkeypatch.setattr(histories, "_mount_tmpfs", lambda where, size: False)
    log = run_steps([("refresh", 0, "whole"), ("full_disk", "refresh", 1), ("refresh", 1, "whole"), ("release", True)])
    assert "injected ENOSPC" in log[1] and "exit 1" in log[1], log
