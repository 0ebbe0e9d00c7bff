"""The data home: where kcorpus keeps every capture, document, verdict, release and report."""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

DEFAULT_HOME = "./kcorpus-data"



# What a killed writer leaves in a folder, by the prefix of its temporary names: releases/.tmp-* (a
# release being written), releases/.work-* (its scratch files), releases/.latest-* (a latest link being
# swapped), wacz/.wacz-* (a package being made: tempfile's folder in scrapers/waczpack.py).
LEFTOVER_PREFIXES = {"releases": (".tmp-", ".work-", ".latest-"), "wacz": (".wacz-",)}


def wacz_name(run_id: str) -> str:
    """The WACZ package of crawl run `run_id`, relative to the data home's wacz/ folder."""
    return f"{run_id}.wacz"


@dataclass(frozen=True)
class DataHome:
    """The data home: every capture, document, verdict, release and report lives under `root`.

    Layout (each stage owns one folder and only reads the ones before it):
      warc/         raw captures, one WARC file per crawl run and site — never rewritten
      wacz/         each crawl run packaged for replay tools: wacz/<run_id>.wacz — never rewritten
      state.sqlite  crawl state: runs, URLs, captures (WARC file + offset, digests, validators)
      documents/    the current cleaned document per id: documents/<site>/<id>.json
      quarantine/   documents that failed validation, with their reasons: quarantine/<id>.json
      releases/     immutable release folders: releases/<version>/ and releases/latest
      reports/      GX Data Docs and audit reports
      gx/           the Great Expectations context (never in the working directory)
      watchlist.toml  the names and phrases the audit counts per release (optional)
    """

    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None) -> "DataHome":
        """Pick the data home: explicit argument, then $KCORPUS_HOME, then ./kcorpus-data."""
        chosen = home or os.environ.get("KCORPUS_HOME") or DEFAULT_HOME
        return cls(Path(chosen).expanduser().resolve())

    @property
    def warc_dir(self) -> Path:
        return self.root / "warc"

    @property
    def wacz_dir(self) -> Path:
        return self.root / "wacz"

    @property
    def state_db(self) -> Path:
        return self.root / "state.sqlite"

    @property
    def documents_dir(self) -> Path:
        return self.root / "documents"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def releases_dir(self) -> Path:
        return self.root / "releases"

    @property
    def witness_index(self) -> Path:
        """Signatures of every released text (corpus.witnesses): a cache, rebuilt if lost."""
        return self.root / "index" / "witnesses.sqlite"

    @property
    def gate_memory(self) -> Path:
        """Which documents passed which gate suite (expectations.gate.PassedBefore): a cache."""
        return self.root / "index" / "gate.sqlite"

    @property
    def release_databases_dir(self) -> Path:
        """Each served release's SQLite database (corpus.database), built from the release on first use:
        a cache beside the releases, never part of one, rebuilt if lost."""
        return self.root / "index" / "releases"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def watchlist(self) -> Path:
        """The researcher's watch-list (names and phrases counted in every audit); optional."""
        return self.root / "watchlist.toml"

    @property
    def templates_dir(self) -> Path:
        """Each site's template learned from its crawls (cleaners.template.TemplateStore)."""
        return self.root / "templates"

    @property
    def gx_dir(self) -> Path:
        return self.root / "gx"

    @property
    def lock_path(self) -> Path:
        return self.root / "writer.lock"

    def exists(self) -> bool:
        """True when the folder is a data home already (read-only commands never create one)."""
        return self.root.is_dir()

    def remove_leftovers(self) -> list[Path]:
        """Delete what a killed writer left behind (temporary release folders and their scratch
        .work-* folders, half-made WACZ packages wacz/.wacz-*, *.tmp files of the document store and the
        quarantine, a half-made latest link). Call only under the writer lock: then no live writer owns
        any of them. Returns what was removed."""
        import shutil

        removed = []
        candidates = []
        if self.releases_dir.is_dir():
            candidates += [p for p in self.releases_dir.iterdir()
                           if p.name.startswith(LEFTOVER_PREFIXES["releases"])]
        if self.wacz_dir.is_dir():
            candidates += [p for p in self.wacz_dir.iterdir() if p.name.startswith(LEFTOVER_PREFIXES["wacz"])]
        for folder in (self.documents_dir, self.quarantine_dir, self.templates_dir):
            if folder.is_dir():
                candidates += [p for p in folder.rglob("*.tmp") if p.is_file()]
        for path in candidates:
            if path.is_dir() and not path.is_symlink():
                for sub in path.rglob("*"):  # release files are read-only: make them deletable
                    if sub.is_file():
                        sub.chmod(0o644)
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
        return removed

    def inside(self, path: Path) -> Path:
        """`path` itself, once it is sure that writing there stays in the data home: no symbolic link on
        the way (a documents/<site> or logs folder linked elsewhere, say) leads out of it. A link that
        stays inside (releases/latest) is fine. Raises OutsideHome in one line naming the link."""
        root = self.root.resolve()
        path = Path(path)
        resolved = path.resolve()
        if resolved == root or root in resolved.parents:
            return path
        walked = Path(path.anchor) if path.is_absolute() else Path()
        for part in path.parts[len(walked.parts):]:
            walked = walked / part
            if walked.is_symlink():
                raise OutsideHome(f"refused to write {path}: {walked} is a symbolic link to "
                                  f"{os.readlink(walked)}, outside the data home {root}")
        raise OutsideHome(f"refused to write {path}: it is outside the data home {root}")

    def ensure(self) -> "DataHome":
        """Create the folders of the layout (idempotent)."""
        for path in (self.warc_dir, self.documents_dir, self.quarantine_dir,
                     self.releases_dir, self.reports_dir, self.gx_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self


def temp_name(path: Path) -> Path:
    """A temporary name beside `path`, unique per writer (pid + random), ending in .tmp so a killed
    writer's leftovers are found and removed at the next start (DataHome.remove_leftovers)."""
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


class DataHomeBusy(RuntimeError):
    """Another kcorpus command is writing to this data home."""


class OutsideHome(OSError):
    """A write the data home's links would send outside it: refused (a planted link must not make
    kcorpus truncate or rewrite someone's files)."""

    def __str__(self) -> str:
        return self.args[0] if self.args else "refused: outside the data home"


PROBE_GRACE = 0.3   # seconds a writer retries a lock held by a reader's probe


class WriterLock:
    """One writer per data home: an exclusive flock on <home>/writer.lock, which holds the holder's pid,
    command and start time for the message a second writer gets. The kernel drops the lock when the
    holder dies (kill -9 included), so a stale file never blocks: its text is only information.

    wait=0 fails at once with DataHomeBusy("data home busy: kcorpus release (pid N) since T");
    wait>0 retries for that many seconds (calling on_wait(holder) once) before failing.
    """

    def __init__(self, home: DataHome, command: str | None = None, wait: float = 0.0, on_wait=None):
        self.home, self.wait, self.on_wait = home, wait, on_wait
        self.command = command or "kcorpus " + " ".join(shlex.quote(a) for a in sys.argv[1:2])
        self._fd = None

    def holder(self) -> str:
        """Who holds the lock, in words (from the lock file; "another kcorpus command" if unreadable)."""
        try:
            info = json.loads(self.home.lock_path.read_text(encoding="utf-8"))
            return f"{info['command']} (pid {info['pid']}) since {info['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "another kcorpus command"

    def acquire(self) -> "WriterLock":
        if self._fd is not None:   # `with WriterLock(...).acquire():` enters an already held lock
            return self
        self.home.root.mkdir(parents=True, exist_ok=True)
        try:  # O_NOFOLLOW: a writer.lock linked to another file must not get that file truncated
            fd = os.open(self.home.lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError:
            if self.home.lock_path.is_symlink():
                raise OutsideHome(f"refused to lock the data home: {self.home.lock_path} is a symbolic link "
                                  f"(to {os.readlink(self.home.lock_path)}); remove it") from None
            raise
        # a reader probing whether a writer is at work (`kcorpus check`, `status`) holds the lock for
        # microseconds: a writer starting in that instant retries for PROBE_GRACE before calling it busy
        started = time.monotonic()
        deadline, grace = started + self.wait, started + PROBE_GRACE
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                if now >= deadline and now >= grace:
                    os.close(fd)
                    raise DataHomeBusy(f"data home busy: {self.holder()}") from None
                if now < grace:
                    time.sleep(0.02)
                    continue
                if not told and self.on_wait:
                    self.on_wait(self.holder())
                    told = True
                time.sleep(0.2)
        self._fd = fd
        info = {"pid": os.getpid(), "command": self.command,
                "since": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
            os.fsync(fd)
        except OSError:
            # who holds the lock is only told to a second writer ("another kcorpus command" without it);
            # on a full disk the lock is held all the same (an fd raised out of here would stay locked
            # for the life of the process), and the command says what the disk refused when it writes
            pass
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "WriterLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
