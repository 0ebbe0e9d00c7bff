"""The data home as a command opens it: created for a writer (one at a time, leftovers of a killed
writer removed), never created for a reader (a typo must not make an empty one), and what it holds."""

from __future__ import annotations

import contextlib
from pathlib import Path

from core.datahome import DataHome, WriterLock


class NoDataHome(LookupError):
    """A read-only command was pointed at a folder that is not a data home."""


def home_at(path: Path | None) -> DataHome:
    """The data home at `path` (default: $KCORPUS_HOME, else ./kcorpus-data), not created."""
    return DataHome.resolve(path)


def open_home(path: Path | None) -> DataHome:
    """The data home at `path`, created when missing."""
    return DataHome.resolve(path).ensure()


def existing_home(path: Path | None) -> DataHome:
    """The data home of a read-only command: never created (a typo must not make an empty one)."""
    home = DataHome.resolve(path)
    if not home.exists():
        raise NoDataHome(f"no data home at {home.root} (nothing to read; --home or $KCORPUS_HOME names another)")
    return home


def holds_data(home: DataHome) -> bool:
    """Whether the folder holds anything a crawl or a release made (crawl state, documents, releases):
    what `release` and `reclean` need before they may write there."""
    return home.state_db.is_file() or any(
        folder.is_dir() and any(folder.iterdir()) for folder in (home.documents_dir, home.releases_dir))


@contextlib.contextmanager
def writer(path: Path | None, command: str, *, needs_data: bool = False):
    """The data home, held by this command alone (one writer per data home: core.datahome.DataHomeBusy
    otherwise); leftovers of a killed writer (temporary release folders, *.tmp files) are removed once
    the lock is held.

    needs_data  for commands that work on what is there (`release`, `reclean`): a missing folder, or one
                holding no crawl state, documents or releases (a mistyped --home), is NoDataHome before
                anything is written: no folder made, no writer.lock."""
    home = DataHome.resolve(path)
    if needs_data and not home.exists():
        raise NoDataHome(f"no data home at {home.root} (run `kcorpus refresh` first, or name another with "
                         f"--home or $KCORPUS_HOME)")
    if needs_data and not holds_data(home):
        raise NoDataHome(f"{home.root} holds no crawl, documents or releases: nothing to {command} (run "
                         f"`kcorpus refresh` first, or name another data home with --home)")
    with WriterLock(home, f"kcorpus {command}"):
        home.ensure()
        home.remove_leftovers()
        _interrupt_dead_runs(home)
        yield home


def _interrupt_dead_runs(home: DataHome) -> list[str]:
    """Runs still marked running when a writer starts belong to a writer that was killed (the lock is
    held now): marked interrupted, so `status` no longer shows them running forever."""
    if not home.state_db.exists():
        return []
    from scrapers.state import CrawlState

    state = CrawlState(home.state_db)
    try:
        return state.interrupt_dead_runs()
    finally:
        state.close()


def disk_use(root: Path) -> dict[str, int]:
    """Bytes under each top-level folder (and file) of the data home, each file counted once however many
    hard links it has (as `du` counts: releases share their unchanged files). Read while a writer works: a
    file or folder that goes away during the walk (a release's temporary folder renamed into place, found
    by the random histories: `status` beside a release failed) is passed over."""
    import os

    use: dict[str, int] = {}
    seen: set[tuple[int, int]] = set()
    for entry in sorted(root.iterdir()) if root.exists() else []:
        total = 0
        for folder, _, names in [(str(root), [], [entry.name])] if not entry.is_dir() else os.walk(entry):
            for name in names:
                try:
                    st = os.lstat(os.path.join(folder, name))
                except OSError:
                    continue
                if not os.path.islink(os.path.join(folder, name)) and (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    total += st.st_size
        use[entry.name] = total
    return use


def status(home: DataHome) -> dict:
    """The state of a data home: each site's last crawl and its outcome, the last release, how many
    documents are quarantined, disk use per folder."""
    from corpus.manifest import list_releases
    from expectations.quarantine import list_quarantine
    from scrapers.status import last_crawls

    releases = list_releases(home)
    last = releases[-1] if releases else None
    return {
        "home": str(home.root), "crawls": last_crawls(home.state_db),
        "last_release": {"version": last.version, "created_at": last.created_at, "documents": last.documents,
                         "counts_by_site": last.counts_by_site, "partial": bool(last.partial)} if last else None,
        "releases": len(releases), "quarantined": len(list_quarantine(home)),
        "disk_use": disk_use(home.root),
    }
