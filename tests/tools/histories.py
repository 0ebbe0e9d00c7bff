"""Random command histories against one data home, with the properties every history must keep (after
SQLite's fault-injection loops and Jepsen's generated histories): the suite runs a few short ones
(tests/test_histories.py), bench/histories.py runs hundreds.

Commands: refresh over one of the three snapshots (the site's pages change between them), refresh during
an outage (a refusing proxy), refresh over a partial replay (one site missing), release, reclean,
and either of refresh or release in a child process killed with SIGKILL at a random moment. After every
step:
- `kcorpus check` finds nothing (after a kill: only what --repair mends, and nothing once it has);
- a step reports failure exactly when something failed (an unreachable or partial site, a refused release);
- nothing released changes: every file of every release keeps its checksum;
- nothing captured is lost: every capture row seen before is still in the state, at its WARC record;
- a released document's text is what its capture cleans to now (same cleaner version).
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from core.datahome import DataHome

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = [ROOT / "flows" / "snapshots" / f"snapshot-{n}.warc.gz" for n in (1, 2, 3)]
SITES = ["globalsecurity", "kancc"]
REPAIRABLE = ("left by a killed writer", "still marked running", "torn tail", "never audited")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def outage():
    """Every request through a proxy port nothing listens on (the sites unreachable)."""
    names = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "NO_PROXY", "no_proxy")
    saved = {name: os.environ.get(name) for name in names}
    port = _closed_port()
    for name in names[:4]:
        os.environ[name] = f"http://127.0.0.1:{port}"
    for name in names[4:]:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def unreachable_in(snapshot: Path) -> set[str]:
    """The sites whose robots.txt the snapshot answers with an error (snapshot 3 records one such outage)."""
    from core.profiles import profile_for_url
    from replay.server import load_snapshot

    return {profile_for_url(url).name for url, page in load_snapshot([snapshot]).items()
            if url.endswith("/robots.txt") and not 200 <= page.status < 300 and profile_for_url(url)
            and profile_for_url(url).name in SITES}


def partial_snapshot(source: Path, folder: Path) -> Path:
    """A snapshot with one site's pages only (a replay that misses a site: that site is not checked)."""
    from replay.server import load_snapshot
    from scrapers.warcstore import WarcStore

    pages = load_snapshot([source])
    folder.mkdir(parents=True, exist_ok=True)
    with WarcStore(folder, "partial", "test") as store:
        for url, page in sorted(pages.items()):
            if "globalsecurity" not in url:
                continue
            store.write_exchange(url, method="GET", request_headers=[], status=page.status,
                                 reason="OK", response_headers=list(page.headers), body=page.body,
                                 warc_date="2026-10-01T00:00:00Z")
    return store.path


CHILD = """
import sys
from core.datahome import DataHome, WriterLock
import flows.audit
import flows.crawl
import flows.release
from scrapers.crawl import CrawlSettings
from replay.server import ReplayServer
home = DataHome.resolve(sys.argv[2])
with WriterLock(home, "history child").acquire():
    home.remove_leftovers()
    if sys.argv[1] == "refresh":
        with ReplayServer([sys.argv[3]]) as server:
            flows.crawl.refresh(home, ["globalsecurity", "kancc"], settings=CrawlSettings(delay=0, retries=0, timeout=5),
                           replay_port=server.port)
    else:
        flows.release.validate_and_release(home)
        flows.audit.after_release(home)   # what `kcorpus release` does next, under the same lock
"""


class DataHomeHistory(RuleBasedStateMachine):
    """One data home through a random history of commands, its properties checked after every step."""

    def __init__(self):
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="kcorpus-history-"))
        self.home = DataHome.resolve(self.tmp / "home").ensure()
        self.released: dict[Path, str] = {}        # every released file -> its sha256
        self.captures: dict[int, tuple] = {}       # capture row id -> (warc_file, offset, record_id)
        self.killed = False
        self.snapshot = 0
        self.log: list[str] = []

    def teardown(self):
        import shutil

        for path in self.tmp.rglob("*"):
            if path.is_file() and not path.is_symlink():
                path.chmod(0o644)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- commands ----------------------------------------------------------------------------------

    def _writer(self):
        from core.datahome import WriterLock

        lock = WriterLock(self.home, "history").acquire()
        self.home.remove_leftovers()
        return lock

    @rule(snapshot=st.integers(0, 2), mode=st.sampled_from(["whole", "whole", "outage", "partial"]))
    def refresh(self, snapshot, mode):
        import flows.crawl
        from scrapers.crawl import CrawlSettings
        from replay.server import ReplayServer

        self.log.append(f"refresh snapshot-{snapshot + 1} {mode}")
        source = SNAPSHOTS[snapshot]
        if mode == "partial":
            source = partial_snapshot(source, self.tmp / f"partial-{len(self.log)}")
        settings = CrawlSettings(delay=0, retries=0, timeout=5)
        lock = self._writer()
        try:
            if mode == "outage":
                with outage():
                    summary = flows.crawl.refresh(self.home, SITES, settings=settings)
            else:
                with ReplayServer([source]) as server:
                    summary = flows.crawl.refresh(self.home, SITES, settings=settings, replay_port=server.port)
        finally:
            lock.release()
        failed = {site for site, o in summary["outcomes"].items() if o["outcome"] != "ok"}
        # a step fails exactly when something failed: every site in an outage, the missing site of a partial
        # replay, the sites a snapshot records as unreachable; never another
        expected = {"outage": set(SITES), "partial": {"kancc"}}.get(mode, set()) | unreachable_in(SNAPSHOTS[snapshot])
        assert failed == expected, (self.log, summary["outcomes"])
        assert bool(flows.crawl.failure_lines(summary["outcomes"])) == bool(failed)
        self.snapshot = snapshot

    @rule(allow_partial=st.booleans())
    def release(self, allow_partial=False):
        import flows.audit
        import flows.release

        self.log.append("release --allow-partial" if allow_partial else "release")
        lock = self._writer()
        try:
            try:
                outcome = flows.release.validate_and_release(self.home, allow_partial=allow_partial)
            except flows.release.ReleaseBlocked as blocked:
                assert str(blocked).strip(), (self.log, "a refused release says why")
                assert not self._new_release_files(), "a refused release wrote a release"
                return
            flows.audit.after_release(self.home)   # as `kcorpus release` does, under the same lock
        finally:
            lock.release()
        assert outcome.release.documents > 0, (self.log, "a release of no document was written")

    @rule()
    def reclean(self):
        import flows.clean

        self.log.append("reclean")
        lock = self._writer()
        try:
            flows.clean.reclean(self.home, workers=1)
        finally:
            lock.release()

    @rule(command=st.sampled_from(["refresh", "release"]), after=st.floats(0.3, 6.0))
    def kill(self, command, after):
        """The command in a child process, SIGKILLed after `after` seconds (or finished first)."""
        self.log.append(f"kill {command} after {after:.1f}s")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen([sys.executable, "-c", CHILD, command, str(self.home.root),
                                  str(SNAPSHOTS[self.snapshot])], env=env, cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + after
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            self.killed = True
        child.wait()

    # --- properties --------------------------------------------------------------------------------

    def _new_release_files(self) -> list[Path]:
        return [p for p in self._release_files() if p not in self.released]

    def _release_files(self) -> list[Path]:
        if not self.home.releases_dir.is_dir():
            return []
        return [p for d in self.home.releases_dir.iterdir() if d.is_dir() and not d.is_symlink()
                and not d.name.startswith(".") for p in d.rglob("*") if p.is_file()]

    @invariant()
    def the_home_checks(self):
        from flows.check import check_home

        report = check_home(self.home)
        if self.killed:
            assert all(any(kind in p for kind in REPAIRABLE) for p in report.problems), (self.log, report.problems)
            check_home(self.home, repair=True)
            report = check_home(self.home)
            self.killed = False
        assert report.ok, (self.log, report.problems)

    @invariant()
    def nothing_released_changes(self):
        for path in self._release_files():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert self.released.setdefault(path, digest) == digest, (self.log, path)
        missing = [p for p in self.released if not p.exists()]
        assert not missing, (self.log, missing[:3])

    @invariant()
    def nothing_captured_is_lost(self):
        from scrapers.state import CrawlState
        from scrapers.warcstore import record_ids_at

        if not self.home.state_db.exists():
            return
        state = CrawlState.read_only(self.home.state_db)
        try:
            rows = {row["id"]: (row["warc_file"], row["warc_offset"], row["record_id"])
                    for row in state.capture_locations()}
        finally:
            state.close()
        lost = [i for i in self.captures if self.captures[i] != rows.get(i)]
        assert not lost, (self.log, lost[:3])
        by_file: dict[str, set[int]] = {}
        for warc_file, offset, _ in rows.values():
            by_file.setdefault(warc_file, set()).add(offset)
        found = {name: record_ids_at(self.home.warc_dir / name, offsets) for name, offsets in by_file.items()}
        assert all(found[f].get(o) == r for f, o, r in rows.values()), self.log
        self.captures.update(rows)

    @precondition(lambda self: self.home.releases_dir.is_dir() and (self.home.releases_dir / "latest").exists())
    @invariant()
    def released_text_is_what_its_capture_cleans_to(self):
        import json

        import cleaners
        from cleaners.template import TemplateStore
        from scrapers.warcstore import read_response

        latest = (self.home.releases_dir / "latest").resolve()
        from corpus.manifest import record_lines

        for n, line in record_lines(latest):
            if (n - 1) % 7:
                continue   # a sample: one document in seven
            record = json.loads(line)
            if record["cleaner_version"] != cleaners.CLEANER_VERSION:
                continue
            capture = record["capture"]
            page = read_response(self.home.warc_dir, capture["warc_file"], int(capture["warc_offset"]))
            digest = (record.get("extra") or {}).get("template")
            template = TemplateStore(self.home.templates_dir).by_digest(record["site"], digest) if digest else None
            assert digest is None or template is not None, (self.log, record["id"], "template not kept")
            doc = cleaners.clean_page(page.body, record["source_url"], headers=page.headers, capture=capture,
                                      template=template)
            assert doc.text == record["text"], (self.log, record["id"])


def run_history(seed: int, steps: int, *, kills: bool = True) -> list[str]:
    """One history of `steps` commands drawn by a seeded random generator (the same seed, the same
    history), every property checked after each step. Returns the history's log; raises on a broken
    property with the log so far in the message."""
    import random

    rnd = random.Random(seed)
    machine = DataHomeHistory()
    checks = [machine.the_home_checks, machine.nothing_released_changes, machine.nothing_captured_is_lost]
    try:
        for step in range(steps):
            roll = rnd.random()
            if step == 0 or roll < 0.35:
                machine.refresh(rnd.randrange(3), rnd.choice(["whole", "whole", "whole", "outage", "partial"]))
            elif roll < 0.65:
                machine.release(allow_partial=rnd.random() < 0.5)
            elif roll < 0.8 or not kills:
                machine.reclean()
            else:
                machine.kill(rnd.choice(["refresh", "release"]), rnd.uniform(0.5, 8.0))
            for check in checks:
                check()
            if (machine.home.releases_dir / "latest").exists():
                machine.released_text_is_what_its_capture_cleans_to()
        return machine.log
    finally:
        machine.teardown()
