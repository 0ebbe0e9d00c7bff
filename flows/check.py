"""`kcorpus check`: every invariant of a data home, each break named in one line (after `git fsck` and
warcio's `recompress`: an archive that expects torn files, says exactly where, and repairs only what
cannot lose data).

Invariants:
- releases: every file and checksum of every release (SHA256SUMS, manifest), and every capture a
  released document names (WARC file, offset, record, payload digest) is there and is that capture;
- WARC files: each ends with a whole record (a torn tail is a killed writer's);
- crawl state <-> WARC: the state database is sound, every capture row points at a whole record in its
  WARC file with that record's id, and no two rows name one record under different ids;
- document store <-> state: every current document's capture is a capture of the state; a document
  retired as gone has its URL marked gone (its why-gone) in the state;
- quarantine records are readable; the quality gate's GX store parses;
- nothing a killed writer leaves: temporary files and folders, runs still marked running when no writer
  holds the data home, symlinks that lead writes out of the data home.

`repair=True` (under the writer lock) does only what loses nothing: cuts a WARC file's torn tail past
its last whole record (when no state row points there), removes temporary files and folders, marks
runs whose process is gone as interrupted. Everything else is reported for a person to decide.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from core.capture import plain_record_id
from core.datahome import DataHome, WriterLock

LEFTOVER = re.compile(r"^\.(tmp-|work-|latest-|wacz-)|\.tmp$")


@dataclass
class CheckReport:
    """What `check` found (one line per broken invariant) and, with repair, what it did."""

    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"ok": self.ok, "problems": self.problems, "repaired": self.repaired, "checked": self.checked}


class NotADataHome(FileNotFoundError):
    """The folder is missing or holds no kcorpus data."""


def writer_active(home: DataHome) -> bool:
    """True when a kcorpus writer holds the data home now (probed without writing to the lock file)."""
    if not home.lock_path.exists():
        return False
    fd = os.open(home.lock_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def check_home(home: DataHome, *, repair: bool = False) -> CheckReport:
    """Check every invariant of `home`; with `repair`, take the writer lock and mend what loses nothing.
    Raises NotADataHome for a folder that is not one, DataHomeBusy when repair meets a running writer."""
    if not home.root.is_dir() or not any((home.root / name).exists() for name in
                                         ("state.sqlite", "warc", "documents", "releases")):
        raise NotADataHome(f"{home.root} is not a kcorpus data home (no state.sqlite, warc/, documents/ or releases/)")
    lock = WriterLock(home, "kcorpus check --repair").acquire() if repair else None
    try:
        if lock is not None:
            return _check_all(home, repair, busy=False)
        for _ in range(3):
            # a writer that starts (or starts and ends) while the check reads would make its temporary
            # files, its running run or its unaudited new release look like a killed writer's: when the
            # lock file shows one came, the check is done again, as beside a writer if they keep coming
            before = _writer_stamp(home)
            busy = writer_active(home)
            try:
                report = _check_all(home, repair, busy)
            except sqlite3.DatabaseError:   # the state read immutable while a writer came to change it
                if busy or (_writer_stamp(home) == before and not writer_active(home)):
                    raise
                continue
            if busy or (_writer_stamp(home) == before and not writer_active(home)):
                return report
        return _check_all(home, repair, busy=True)
    finally:
        if lock is not None:
            lock.release()


def _writer_stamp(home: DataHome) -> tuple | None:
    """The lock file as it stands: a writer's acquire writes it and its release empties it."""
    try:
        stat = os.stat(home.lock_path)
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _check_all(home: DataHome, repair: bool, busy: bool) -> CheckReport:
    """Every check once; `busy`: a writer may be at work (what it is in the middle of is left alone)."""
    report = CheckReport()
    _check_symlinks(home, report)
    _check_leftovers(home, report, repair, busy)
    ends = _check_warc_files(home, report, repair, busy)
    _check_state(home, report, ends, repair, busy)
    _check_documents(home, report, busy)
    _check_quarantine(home, report)
    _check_gx_store(home, report, repair, busy)
    _check_releases(home, report)
    _check_audit(home, report, repair and not busy, busy)
    return report


def _check_symlinks(home: DataHome, report: CheckReport) -> None:
    """A symlink inside the data home makes writes land outside it (a lock file truncated elsewhere)."""
    root = home.root.resolve()
    candidates = [home.lock_path, home.state_db, home.warc_dir, home.wacz_dir, home.documents_dir,
                  home.quarantine_dir, home.releases_dir, home.reports_dir]
    for folder in (home.documents_dir, home.documents_dir / "_gone", home.warc_dir):
        if folder.is_dir() and not folder.is_symlink():
            candidates += list(folder.iterdir())
    for path in candidates:
        if path.is_symlink():
            target = path.resolve()
            if root not in target.parents and target != root:
                report.problems.append(f"{path.relative_to(home.root)}: a symlink to {target}, outside the data "
                                       f"home (writes would follow it)")


def _check_leftovers(home: DataHome, report: CheckReport, repair: bool, busy: bool) -> None:
    """Temporary files and folders of a writer that was killed (left alone while a writer runs)."""
    found = []
    for folder in (home.releases_dir, home.wacz_dir):
        if folder.is_dir():
            found += [p for p in folder.iterdir() if LEFTOVER.search(p.name)]
    for folder in (home.documents_dir, home.quarantine_dir):
        if folder.is_dir():
            found += [p for p in folder.rglob("*.tmp")]
    if home.release_databases_dir.is_dir():   # `kcorpus serve` builds a release's database as .NAME.PID.tmp
        found += [p for p in home.release_databases_dir.rglob(".*.tmp") if not _pid_alive(p.name.split(".")[-2])]
    if busy:
        report.checked["leftovers_skipped_writer_running"] = len(found)
        return
    for path in sorted(found):
        name = path.relative_to(home.root).as_posix()
        if repair:
            _remove(path)
            report.repaired.append(f"{name}: removed (left by a killed writer)")
        else:
            report.problems.append(f"{name}: left by a killed writer (kcorpus check --repair removes it)")


def _pid_alive(pid: str) -> bool:
    """Whether the process named in a temporary file's name still runs (a server still building it)."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        for sub in path.rglob("*"):
            if sub.is_file() and not sub.is_symlink():
                sub.chmod(0o644)
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _check_warc_files(home: DataHome, report: CheckReport, repair: bool, busy: bool = False) -> dict[str, int]:
    """Per WARC file, the end of its last whole record; a torn tail is reported (or cut with repair)."""
    from scrapers.warcstore import last_whole_record_end

    ends: dict[str, int] = {}
    if not home.warc_dir.is_dir():
        return ends
    for path in sorted(home.warc_dir.glob("*.warc.gz")):
        end = last_whole_record_end(path)
        size = path.stat().st_size
        ends[path.name] = end
        if end < size and not (busy and _being_written(home, path.name, ends)):
            report.problems.append(f"warc/{path.name}: {size - end} bytes after its last whole record at {end} "
                                   f"(a torn tail: kcorpus check --repair cuts it)")
    report.checked["warc_files"] = len(ends)
    return ends


def _being_written(home: DataHome, name: str, ends: dict[str, int]) -> bool:
    """Beside a running writer: whether a WARC file's tail after its last whole record is the record the
    writer is appending (found by the random histories, seed 62105: `check` beside a refresh called the
    half-written record a torn tail). So it is when the file is a run's still marked running (its name
    starts with the run id), or when, read again, the tail has become a whole record."""
    from scrapers.state import CrawlState

    if home.state_db.exists():
        state = CrawlState(home.state_db)
        try:
            if any(name.startswith(f"{run['run_id']}-") for run in state.runs("running")):
                return True
        finally:
            state.close()
    return _end_now(home, name, ends) >= (home.warc_dir / name).stat().st_size


def _end_now(home: DataHome, name: str, ends: dict[str, int]) -> int:
    """A WARC file's last whole record's end, read again (a writer may have appended since)."""
    from scrapers.warcstore import last_whole_record_end

    ends[name] = last_whole_record_end(home.warc_dir / name)
    return ends[name]


def _check_state(home: DataHome, report: CheckReport, ends: dict[str, int], repair: bool, busy: bool) -> None:
    from scrapers.state import CrawlState
    from scrapers.warcstore import record_ids_at

    if not home.state_db.exists():
        if home.warc_dir.is_dir() and any(home.warc_dir.glob("*.warc.gz")):
            report.problems.append("state.sqlite is missing while warc/ holds captures (the crawl state is lost)")
        return
    try:
        state = CrawlState.read_only(home.state_db, immutable=not busy and not _wal_pending(home))
        integrity = state.integrity_problems()
    except Exception as exc:  # noqa: BLE001 - a file that is not a database: say so, check the rest
        report.problems.append(f"state.sqlite is unreadable: {type(exc).__name__}: {exc}".splitlines()[0])
        return
    try:
        report.problems += [f"state.sqlite: {line}" for line in integrity[:10]]
        rows = list(state.capture_locations())
        report.checked["captures"] = len(rows)
        if not rows and home.warc_dir.is_dir() and any(ends.values()):
            report.problems.append("state.sqlite holds no capture while warc/ holds records (an emptied crawl state)")
        wanted: dict[str, set[int]] = {}
        for row in rows:
            wanted.setdefault(row["warc_file"], set()).add(row["warc_offset"])
        found = {name: record_ids_at(home.warc_dir / name, offsets) for name, offsets in wanted.items()
                 if (home.warc_dir / name).is_file()}
        seen: dict[tuple[str, int], str] = {}
        reach: dict[str, int] = {}
        for row in rows:
            where = f"warc/{row['warc_file']}:{row['warc_offset']}"
            key = (row["warc_file"], row["warc_offset"])
            reach[row["warc_file"]] = max(reach.get(row["warc_file"], 0), row["warc_offset"] + 1)
            if row["warc_file"] not in found:
                report.problems.append(f"capture {row['id']} ({row['url']}): {where} — the WARC file is missing")
            elif row["warc_offset"] >= ends.get(row["warc_file"], 0) and not (
                    busy and row["warc_offset"] < _end_now(home, row["warc_file"], ends)):
                # beside a running writer, a record written after the file's end was read is no fault: the
                # end is read again (found by the random histories, seed 6400: check beside a refresh)
                report.problems.append(f"capture {row['id']} ({row['url']}): {where} is past the file's last whole record")
            elif found[row["warc_file"]].get(row["warc_offset"]) != row["record_id"]:
                report.problems.append(f"capture {row['id']} ({row['url']}): {where} holds "
                                       f"{found[row['warc_file']].get(row['warc_offset']) or 'no record'}, "
                                       f"the state says {row['record_id']}")
            if key in seen and seen[key] != row["record_id"]:
                report.problems.append(f"capture {row['id']}: {where} is referenced under two record ids "
                                       f"({seen[key]}, {row['record_id']})")
            seen.setdefault(key, row["record_id"])
        running = [] if busy else [r["run_id"] for r in state.runs("running")]
    finally:
        state.close()
    if repair:
        _cut_torn_tails(home, report, ends, reach)
    for run_id in running:
        if repair:
            writable = CrawlState(home.state_db)
            try:
                writable.interrupt_run(run_id)
            finally:
                writable.close()
            report.repaired.append(f"run {run_id}: marked interrupted (its process is gone)")
        else:
            report.problems.append(f"run {run_id}: still marked running, but no writer holds the data home "
                                   f"(killed; kcorpus check --repair marks it interrupted)")


def _cut_torn_tails(home: DataHome, report: CheckReport, ends: dict[str, int], reach: dict[str, int]) -> None:
    """Truncate each WARC file to its last whole record, unless a state row points past that point."""
    for name, end in ends.items():
        path = home.warc_dir / name
        size = path.stat().st_size
        if end >= size:
            continue
        if reach.get(name, 0) > end:
            report.problems.append(f"warc/{name}: torn tail not cut: the crawl state points into it")
            continue
        with open(path, "r+b") as fh:
            fh.truncate(end)
            os.fsync(fh.fileno())
        report.repaired.append(f"warc/{name}: cut {size - end} torn bytes after its last whole record")
        report.problems[:] = [p for p in report.problems if not p.startswith(f"warc/{name}: {size - end} bytes")]


def _wal_pending(home: DataHome) -> bool:
    """Committed pages still in the write-ahead log (an immutable read would not see them)."""
    wal = home.state_db.with_name(home.state_db.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def _check_documents(home: DataHome, report: CheckReport, busy: bool) -> None:
    from cleaners.store import GONE
    from cleaners.template import TemplateStore
    from scrapers.state import CrawlState

    templates = TemplateStore(home.templates_dir)
    if not home.documents_dir.is_dir():
        return
    have_state = home.state_db.exists()
    known, gone_urls = set(), set()
    if have_state:
        try:
            state = CrawlState.read_only(home.state_db, immutable=not busy and not _wal_pending(home))
            try:
                known, gone_urls = {plain_record_id(r) for r in state.record_ids()}, state.gone_urls()
            finally:
                state.close()
        except Exception:  # noqa: BLE001 - an unreadable state is reported by _check_state
            return
    count = 0
    for path in sorted(home.documents_dir.rglob("*.json")):
        name = path.relative_to(home.root).as_posix()
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            report.problems.append(f"{name}: unreadable document ({type(exc).__name__})")
            continue
        count += 1
        gone = GONE in path.relative_to(home.documents_dir).parts
        record_id = plain_record_id((record.get("capture") or {}).get("record_id") or "")
        if have_state and record_id and record_id not in known:
            report.problems.append(f"{name}: its capture {record_id} is not in the crawl state")
        template = (record.get("extra") or {}).get("template")
        if template and templates.by_digest(record.get("site", ""), template) is None:
            report.problems.append(f"{name}: cleaned with site template {template}, which templates/ no longer "
                                   f"holds (it could not be cleaned again the same way)")
        why = (record.get("extra") or {}).get("gone")
        if gone and not (isinstance(why, dict) and why.get("why")) and record.get("source_url") not in gone_urls:
            report.problems.append(f"{name}: retired as gone, but neither it nor the crawl state says why "
                                   f"{record.get('source_url')} is gone (no why-gone)")
    report.checked["documents"] = count


def _check_quarantine(home: DataHome, report: CheckReport) -> None:
    if not home.quarantine_dir.is_dir():
        return
    for path in sorted(home.quarantine_dir.rglob("*.json")):
        try:
            json.loads(path.read_text(encoding="utf-8"))["id"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            report.problems.append(f"{path.relative_to(home.root).as_posix()}: unreadable quarantine record "
                                   f"({type(exc).__name__})")


def _check_releases(home: DataHome, report: CheckReport) -> None:
    from corpus.release import list_releases
    from flows.release import verify_release

    try:
        releases = list_releases(home)
    except (OSError, ValueError) as exc:
        report.problems.append(f"releases/: unreadable ({exc})".splitlines()[0])
        return
    for info in releases:
        try:
            _, problems = verify_release(home, info.path)
        except (OSError, ValueError) as exc:
            problems = [str(exc).splitlines()[0]]
        report.problems += [f"release {info.version}: {p}" for p in problems]
    report.checked["releases"] = len(releases)


def _check_audit(home: DataHome, report: CheckReport, repair: bool, busy: bool = False) -> None:
    """Every release after the first has its audit page (reports/audit-OLD-NEW.html): a release killed
    right after its rename never got it, nor its feeds and history step. With repair, the audit of the
    newest release is written again (after_release also writes the missing pages of the steps before).
    While a writer holds the home (`busy`), the newest release's audit may be still to come: a release
    writes it after the rename, under the same lock."""
    from corpus.manifest import list_releases

    releases = list_releases(home)
    pairs = list(zip(releases, releases[1:]))
    if busy and pairs:
        report.checked["audit_skipped_writer_running"] = 1
        pairs = pairs[:-1]
    missing = [f"{old.version}-{new.version}" for old, new in pairs
               if not (home.reports_dir / f"audit-{old.version}-{new.version}.html").exists()]
    if missing and repair:
        from flows.audit import after_release
        after_release(home)
        report.repaired.append(f"reports/: the audit of release {releases[-1].version} written (its pages, feeds "
                               f"and history step)")
        missing = [m for m in missing if not (home.reports_dir / f"audit-{m}.html").exists()]
    for pair in missing:
        report.problems.append(f"reports/audit-{pair}.html: missing (the release was never audited: killed right "
                               f"after its rename?); kcorpus check --repair writes it")


def _check_gx_store(home: DataHome, report: CheckReport, repair: bool, busy: bool) -> None:
    """The quality gate's GX store (<home>/gx) parses: GX writes it in place, so a full disk leaves a file
    cut short. Every such file is declared again at the next gate (expectations.gate.damaged_gx_files),
    so --repair removes it. Skipped while a writer runs (it may be writing one)."""
    from expectations.gate import damaged_gx_files

    if busy:
        return
    for path in damaged_gx_files(home):
        name = path.relative_to(home.root).as_posix()
        if repair:
            path.unlink()
            report.repaired.append(f"{name}: removed (cut short; the quality gate declares it again)")
        else:
            report.problems.append(f"{name}: cut short (a full disk or a killed writer); kcorpus check --repair "
                                   f"removes it, the quality gate declares it again")
