"""Random command histories against one data home, with the properties every history must keep (after
SQLite's fault-injection loops and Jepsen's generated histories): the suite runs a few short ones
(tests/test_histories.py), bench/histories.py runs hundreds.

Commands: refresh over one of the three snapshots (the site's pages change between them), refresh during
an outage (a refusing proxy), refresh over a partial replay (one site missing), refresh over a replay
whose article pages turn hostile (one to a few answer with a fault of replay/faults.py), release, reclean,
backfill from a fake Wayback Machine (tests/fakes/wayback.py) answering with or without faults (429s,
503s, a CDX page cut short), either of refresh or release in a child process killed with SIGKILL at a
random moment, a writing command on a full disk (a real small tmpfs mounted over the data home when the
test runs as root, else an injected ENOSPC), and read-only commands run while a writer works in a child
process. After every step:
- `kcorpus check` finds nothing (after a kill: only what --repair mends, and nothing once it has);
- a step reports failure exactly when something failed (an unreachable or partial site, a refused release);
- nothing released changes: every file of every release keeps its checksum;
- nothing captured is lost: every capture row seen before is still in the state, at its WARC record;
- a released document's text is what its capture cleans to now (same cleaner version);
- every version a backfill gave a document stays in its history (`extra.versions`).
"""

from __future__ import annotations

import functools
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
from flows.check import check_home

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = [ROOT / "flows" / "snapshots" / f"snapshot-{n}.warc.gz" for n in (1, 2, 3)]
SITES = ["globalsecurity", "kancc"]
REPAIRABLE = ("left by a killed writer", "still marked running", "torn tail", "never audited", "cut short")


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


# --- hostile article pages ---------------------------------------------------------------------------

# What a refresh makes of an article page that answers with each fault of replay/faults.py (under
# hostile_settings(): a 3 s deadline per request; the "timeout" fault stalls HOSTILE_STALL s, past the
# 2 s per-read timeout). "failed": the crawl records the page's failure (its error starts so), the site is
# not ok and the refresh exits 1, the page's document stays as it was (not checked). "skipped": the crawl
# names the page skipped (a redirect it must not follow, a body that is not HTML); "refused": the page is
# archived and the cleaner refuses it in words (a refusal in the site's outcome); "cleaned": the page is
# archived and cleaned, its repair recorded. Neither makes the site fail.
HOSTILE_STALL = 2.5
HOSTILE_OUTCOMES = {
    "timeout": ("failed", "timeout: "),
    "server-error": ("failed", "HTTP 500"),
    "truncated": ("failed", "RemoteProtocolError: peer closed connection without sending complete message body"),
    "huge": ("failed", "too large: Content-Length 20971520 > limit"),
    "gzip-bomb": ("failed", "too large: gzip body inflates past the limit of"),
    "drip": ("failed", "timeout: no whole answer within the 3 s deadline per request ("),
    "drip-headers": ("failed", "timeout: no whole answer within the 3 s deadline per request"),
    "redirect-loop": ("failed", "more than 5 redirects"),
    "foreign-redirect": ("skipped", "redirect to a host outside the site profile"),
    "binary": ("refused", "not HTML: binary content"),
    "binary-as-html": ("refused", "not HTML: binary content"),
    "external-entity": ("refused", "only page chrome found, no sentence of article text"),
    "wrong-charset": ("cleaned", "charset"),
}
BOMB_PEAK = 128 * 1024 * 1024   # the refresh's peak memory above its start: half the bomb's 256 MB


def _layout_tripped(outcome: dict) -> bool:
    """changed-layout by the canary's share of article pages without the profile's body, that cause alone."""
    return outcome["outcome"] == "changed-layout" and outcome["cause"].startswith(
        "article pages where the profile found no body") and "; also" not in outcome["cause"]


def hostile_settings():
    """Short limits, so a step meeting a drip or a stall stays a few seconds: 2 s per read, 3 s per request."""
    from scrapers.fetch import CrawlSettings

    return CrawlSettings(delay=0, retries=0, timeout=2, deadline=3)


def article_urls(snapshot: Path) -> list[str]:
    """The article URLs of the history's sites that the snapshot answers with 200, sorted."""
    from core.profiles import profile_for_url
    from replay.server import load_snapshot

    return sorted(url for url, page in load_snapshot([snapshot]).items()
                  if page.status == 200 and profile_for_url(url) and profile_for_url(url).name in SITES
                  and profile_for_url(url).document_id(url))


def request_path(url: str) -> str:
    """The path and query of `url`, as the replay server's `hostile` option takes them."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def peak_memory_since_reset() -> int | None:
    """Bytes of this process's peak resident memory since the last reset_peak_memory (None off Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def reset_peak_memory() -> int | None:
    """Reset the peak (Linux: 5 to /proc/self/clear_refs) and return the resident memory now."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


# --- the fake Wayback Machine's holdings: GlobalSecurity articles as the snapshots served them -------------

WAYBACK_FAULTS = ["none", "none", "429-cdx", "429-playback", "503-playback", "cut-cdx", "cdx-down"]


@functools.lru_cache(maxsize=1)
def wayback_captures() -> tuple:
    """Captures of four GlobalSecurity articles as the Wayback would hold them, years before the live
    crawls: each article's snapshot-1 page (2015) and snapshot-2 page (2016; a changed text where the site
    edited the article), a revisit row repeating the 2016 payload (2017), and one article only snapshot 3
    holds (a page the live crawl may not have met yet)."""
    from core.profiles import get_profile
    from replay.server import load_snapshot
    from tests.fakes.wayback import Capture

    profile = get_profile("globalsecurity")
    first, second, third = (load_snapshot([path]) for path in SNAPSHOTS)
    articles = sorted(u for u, page in first.items() if profile.document_id(u) and page.status == 200)
    texts = {u: (_text(u, first[u].body), _text(u, second[u].body)) for u in articles if u in second}
    edited = [u for u, (old, new) in texts.items() if old and new and old != new][:2]
    same = [u for u, (old, new) in texts.items() if old and old == new][:1]
    captures = []
    for url in edited + same:
        original = url.replace("https://", "http://").replace(".org/", ".org:80/")
        captures += [Capture("20150601000000", original, first[url].body),
                     Capture("20160601000000", original, second[url].body),
                     Capture("20170601000000", original, revisit_of="20160601000000")]
    newer = sorted(u for u, page in third.items() if u not in first and u not in second
                   and profile.document_id(u) and page.status == 200)[:1]
    captures += [Capture("20180101000000", url.replace("https://", "http://"), third[url].body) for url in newer]
    return tuple(captures)


def _text(url: str, body: bytes) -> str | None:
    """The page's cleaned text, or None for a page that is no article (an error page served as 200)."""
    import cleaners

    try:
        return cleaners.clean_page(body, url).text
    except cleaners.CleaningError:
        return None


def with_wayback_fault(fake, fault: str) -> None:
    """Set one of WAYBACK_FAULTS on the fake (see backfill_outcomes for what each allows)."""
    if fault == "429-cdx":
        fake.rate_limit("cdx", 1)
    elif fault == "429-playback":
        fake.rate_limit("playback", 1, retry_after="0")
    elif fault == "503-playback":
        fake.fail("playback", 1)
    elif fault == "cut-cdx":
        fake.cut_page(2, "json")
    elif fault == "cdx-down":
        fake.fail("cdx", 100)


def backfill_outcomes(fake, fault: str) -> set[str]:
    """The outcomes a backfill may report under the fault: a 429 or one 503 is waited out (ok); a CDX page
    cut mid-stream keeps the pages before it (partial; ok when the listing, resumed from an earlier run's
    key, never reached a second page); a CDX API that answers only 503 lists nothing new (unreachable, or
    partial when an earlier cut listing is still to resume)."""
    if fault == "cut-cdx":
        return {"partial"} if len(fake.paths("cdx")) >= 2 else {"ok"}
    if fault == "cdx-down":
        return {"unreachable", "partial"}
    return {"ok"}


def wayback_settings():
    """Polite settings with no real waiting (the pauses are what tests/test_wayback.py counts): two
    captures per CDX page, so a listing spans pages and a cut page leaves some behind."""
    from scrapers.wayback import WaybackSettings

    return WaybackSettings(pace=0, rate_limit_pause=0.01, backoff=0.01, retries=1, page_size=2,
                           sleep=lambda seconds: None)


# --- a full disk ----------------------------------------------------------------------------------------

DISK_FULL_WORDS = ("disk full", "the disk is full")


def _blocks(root: Path) -> int:
    """Bytes the tree takes at most on a tmpfs: each file in whole pages, each folder and link one page."""
    total = 0
    for path in root.rglob("*"):
        if path.is_symlink() or path.is_dir():
            total += 4096
        elif path.is_file():
            total += -(-path.stat().st_size // 4096) * 4096
    return total


def _mount_tmpfs(where: Path, size: int) -> bool:
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size // 1024}k,mode=0755", "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


def _close_logs_under(root: Path) -> None:
    """Log files the commands opened in the home (Prefect's log in <home>/logs): closed, so the disk
    under them can be unmounted."""
    import logging

    logger = logging.getLogger()
    for handler in list(logger.handlers):
        name = getattr(handler, "baseFilename", None)
        if name and Path(name).is_relative_to(root):
            logger.removeHandler(handler)
            handler.close()


class FullDisk:
    """The data home on a disk with `slack` bytes free: a tmpfs of the home's size plus `slack` mounted
    over the home's own folder (the paths stay the same), the home copied in; `grow()` gives the disk room
    again; leaving copies the home back to the ordinary disk. Without root (or when mount fails) the home
    stays where it is and writes fail with an injected ENOSPC once `slack` bytes are written
    (`self.how` says which)."""

    def __init__(self, root: Path, slack: int, scratch: Path):
        self.root, self.slack, self.scratch = root, slack, scratch
        self.how = ""
        self._patches: list = []

    def __enter__(self):
        import shutil

        size = 2 * _blocks(self.root) + 1024 * 1024
        staging = self.scratch / "disk-staging"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(self.root, staging, symlinks=True)
        if _mount_tmpfs(self.root, size):
            shutil.copytree(staging, self.root, symlinks=True, dirs_exist_ok=True)
            shutil.rmtree(staging)
            # then shrunk to what the home takes there, plus the slack
            disk = os.statvfs(self.root)
            size = (disk.f_blocks - disk.f_bfree) * disk.f_frsize + -(-self.slack // 4096) * 4096
            subprocess.run(["mount", "-o", f"remount,size={size // 1024}k", str(self.root)], check=True)
            self.how = f"tmpfs of {size // 1024} KiB, {self.slack // 1024} KiB free"
        else:
            shutil.rmtree(staging)
            self.how = f"injected ENOSPC after {self.slack // 1024} KiB"
            self._inject(self.slack)
        return self

    def _inject(self, budget: int) -> None:
        """ENOSPC from every write path the writers use (os.write for WARC records, Python file objects
        for everything else) once `budget` bytes are written under the home."""
        import builtins
        import errno

        written = {"n": 0}
        real_write, real_open, root = os.write, builtins.open, str(self.root)

        def spend(n: int, name: str = "") -> None:
            written["n"] += n
            if written["n"] > budget:
                raise OSError(errno.ENOSPC, "No space left on device", name or None)

        def write(fd, data):
            if os.readlink(f"/proc/self/fd/{fd}").startswith(root):
                spend(len(data))
            return real_write(fd, data)

        class Filling:
            def __init__(self, handle, name):
                self._handle, self._name = handle, name

            def write(self, data):
                spend(len(data), self._name)
                return self._handle.write(data)

            def __getattr__(self, attr):
                return getattr(self._handle, attr)

            def __iter__(self):
                return iter(self._handle)

            def __enter__(self):
                self._handle.__enter__()
                return self

            def __exit__(self, *exc):
                return self._handle.__exit__(*exc)

        def opening(file, mode="r", *args, **kwargs):
            handle = real_open(file, mode, *args, **kwargs)
            if any(c in mode for c in "wax+") and isinstance(file, (str, os.PathLike)) \
                    and os.fspath(file).startswith(root):
                return Filling(handle, os.fspath(file))
            return handle

        os.write, builtins.open = write, opening
        self._patches = [(os, "write", real_write), (builtins, "open", real_open)]

    def grow(self) -> None:
        """Space comes back: the tmpfs remounted 64 MiB bigger, or the injection lifted."""
        if self._patches:
            for owner, name, value in self._patches:
                setattr(owner, name, value)
            self._patches = []
        else:
            size = _blocks(self.root) + 64 * 1024 * 1024
            subprocess.run(["mount", "-o", f"remount,size={size // 1024}k", str(self.root)], check=True)

    def __exit__(self, *exc):
        import shutil

        self.grow() if self._patches else None
        if not self.how.startswith("tmpfs"):
            return False
        _close_logs_under(self.root)
        staging = self.scratch / "disk-back"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(self.root, staging, symlinks=True)
        held = open_files_under(self.root)
        subprocess.run(["umount", str(self.root)] if not held else ["umount", "-l", str(self.root)], check=True)
        shutil.rmtree(self.root)
        shutil.move(str(staging), str(self.root))
        assert exc[0] is not None or not held, f"descriptors left open on the data home: {held}"
        return False


def open_files_under(root: Path, but: tuple[str, ...] = ()) -> list[str]:
    """Files under `root` this process holds open (a command that leaks a descriptor keeps a deleted
    file alive, and a disk busy: a scheduler's long-lived process would hold them for ever)."""
    import gc

    gc.collect()   # a connection only a finished traceback's frames still hold is closed by the collector
    held = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(f"{root}/") and not any(target.startswith(f"{root}/{b}") for b in but):
            held.append(target)
    return sorted(held)


def cli(*args: str, env: dict | None = None):
    """One kcorpus command in this process, as a user types it: (exit code, stdout, stderr)."""
    from typer.testing import CliRunner

    from kcorpus.cli import app

    result = CliRunner().invoke(app, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        raise AssertionError("".join(traceback.format_exception(result.exception))) from result.exception
    return result.exit_code, result.stdout, result.stderr


READERS = ["releases", "verify", "show", "check", "status", "diff", "export"]


CHILD = """
import sys
from core.datahome import DataHome, WriterLock
import flows.audit
import flows.crawl
import flows.release
from scrapers.crawl import CrawlSettings
from replay.server import ReplayServer
home = DataHome.resolve(sys.argv[2])
with WriterLock(home, "history child"):
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
        self.backfilled: dict[str, set] = {}       # document id -> {(captured_at, payload_digest)} of Wayback versions
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

    @rule(snapshot=st.integers(0, 2), mode=st.sampled_from(["whole", "whole", "outage", "partial", "hostile"]),
          hostile=st.lists(st.tuples(st.integers(0, 999), st.sampled_from(sorted(HOSTILE_OUTCOMES))),
                           min_size=1, max_size=3))
    def refresh(self, snapshot, mode, hostile=()):
        """A refresh over the snapshot's replay. `hostile` (mode "hostile"): (n, fault) pairs, the nth
        article URL of the snapshot (modulo their number) answering with that fault."""
        import flows.crawl
        from scrapers.crawl import CrawlSettings
        from replay.server import ReplayServer

        source = SNAPSHOTS[snapshot]
        faults: dict[str, str] = {}
        if mode == "hostile":
            urls = article_urls(source)
            faults = {urls[n % len(urls)]: fault for n, fault in hostile}
        self.log.append(f"refresh snapshot-{snapshot + 1} {mode}"
                        + (f" ({', '.join(sorted(set(faults.values())))})" if faults else ""))
        if mode == "partial":
            source = partial_snapshot(source, self.tmp / f"partial-{len(self.log)}")
        settings = hostile_settings() if faults else CrawlSettings(delay=0, retries=0, timeout=5)
        lock = self._writer()
        try:
            if mode == "outage":
                with outage():
                    summary = flows.crawl.refresh(self.home, SITES, settings=settings)
            else:
                with ReplayServer([source], hostile={request_path(u): f for u, f in faults.items()},
                                  fault_delay=HOSTILE_STALL) as server:
                    rss = reset_peak_memory() if faults else None
                    started = time.monotonic()
                    summary = flows.crawl.refresh(self.home, SITES, settings=settings, replay_port=server.port)
                    took, peak = time.monotonic() - started, peak_memory_since_reset()
        finally:
            lock.release()
        failed = {site for site, o in summary["outcomes"].items() if o["outcome"] != "ok"}
        assert bool(flows.crawl.failure_lines(summary["outcomes"])) == bool(failed)
        # a step fails exactly when something failed: every site in an outage, the missing site of a partial
        # replay, the sites a snapshot records as unreachable, a site whose hostile page failed; never another
        expected = {"outage": set(SITES), "partial": {"kancc"}}.get(mode, set()) | unreachable_in(SNAPSHOTS[snapshot])
        if faults:
            failing, archived = self._hostile_pages_end_as_expected(summary, faults, expected)
            expected |= failing
            # the layout canary may call a site changed-layout when its hostile pages (refused, or cleaned
            # without the profile's body) are a third of the few pages this run re-cleaned: that cause alone
            tripped = {site for site in archived - expected if _layout_tripped(summary["outcomes"][site])}
            failed -= tripped
            self.log[-1] += " canary-tripped" if tripped else ""
            # nothing hangs: a step's hostile pages cost at most their deadline each, beside a refresh of seconds
            assert took < 60 + len(faults) * settings.deadline, (self.log, f"the refresh took {took:.0f} s")
            if "gzip-bomb" in faults.values() and rss is not None and peak is not None:
                assert peak - rss < BOMB_PEAK, (self.log, f"peak memory {peak - rss} bytes above the start")
                self.log[-1] += f" (peak memory +{(peak - rss) // 2**20} MB)"
        assert failed == expected, (self.log, summary["outcomes"])
        self.snapshot = snapshot

    def _hostile_pages_end_as_expected(self, summary: dict, faults: dict[str, str],
                                       unreachable: set) -> tuple[set[str], set[str]]:
        """Each hostile page the crawl met ends as HOSTILE_OUTCOMES says, in the crawl report or the
        cleaning's: a failure with its error, a skip, a refusal in words, or a document with its repair
        recorded; never an exception or a page gone unnamed. Returns (the sites a failed page makes fail,
        the sites with a hostile page archived: refused or cleaned)."""
        from cleaners.store import load_document
        from core.profiles import profile_for_url
        from scrapers.state import CrawlState

        state = CrawlState.read_only(self.home.state_db)
        try:
            met = {row["url"] for row in state.run_captures(summary["run_id"], kind="article")}
        finally:
            state.close()
        failing, archived = set(), set()
        for url, fault in faults.items():
            site = profile_for_url(url).name
            if site in unreachable or url not in met:
                continue   # never asked (the site unreachable, or the page linked from no list this run)
            end, words = HOSTILE_OUTCOMES[fault]
            crawl, clean = summary["crawl"][site], summary["clean"][site]
            failures = {u: e for u, e in crawl["failed"]}
            refusals = {f["url"]: f["error"] for f in clean["failures"]}
            where = (self.log, fault, url, crawl["failed"], crawl["skipped"], clean["failures"])
            if end == "failed":
                assert failures.get(url, "").startswith(words), where
                failing.add(site)
            elif end == "skipped":
                assert any(reason == words for _, reason in crawl["skipped"]) and url not in failures, where
            elif end == "refused":
                assert refusals.get(url, "").startswith(words) and url not in failures, where
                archived.add(site)
            else:
                archived.add(site)
                doc = load_document(self.home, site, profile_for_url(url).document_id(url))
                assert url not in failures and url not in refusals, where
                assert doc is not None and words in [r["rule"] for r in doc.repairs], where
        return failing, archived

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

    @rule(fault=st.sampled_from(WAYBACK_FAULTS))
    def backfill(self, fault):
        """`kcorpus backfill --site globalsecurity` (the flow it calls, under the writer lock) against the
        fake Wayback, with one fault or none: the outcome is what the fault allows, never worse."""
        import flows.backfill
        from scrapers.fetch import CrawlSettings
        from tests.fakes.wayback import FakeWayback

        self.log.append(f"backfill {fault}")
        with FakeWayback(list(wayback_captures())) as fake:
            with_wayback_fault(fake, fault)
            lock = self._writer()
            try:
                summary = flows.backfill.backfill(self.home, "globalsecurity", wayback=fake.base_url,
                                                  settings=CrawlSettings(delay=0, retries=0, timeout=5, obey_robots=False),
                                                  wayback_settings=wayback_settings())
            finally:
                lock.release()
            expected = backfill_outcomes(fake, fault)
        report = summary["backfill"]
        assert report["outcome"] in expected, (self.log, report)
        assert not summary["clean"]["failures"], (self.log, summary["clean"]["failures"])

    @rule(command=st.sampled_from(["refresh", "release", "reclean", "backfill"]), slack_kb=st.integers(0, 400))
    def full_disk(self, command, slack_kb):
        """A writing command with the data home on a disk `slack_kb` KiB short of full: it exits 0 (it fit)
        or 1 with `error:` lines that each name the full disk, and no traceback; nothing earlier is lost
        (the invariants); once the disk has room again, `kcorpus check` finds nothing `--repair` cannot
        mend and the same command succeeds."""
        from tests.fakes.wayback import FakeWayback

        with FakeWayback(list(wayback_captures())) as fake:
            args = {"refresh": ["refresh", "--replay", str(SNAPSHOTS[min(self.snapshot, 1)])]
                               + [a for site in SITES for a in ("--site", site)],
                    "release": ["release", "--allow-partial"],
                    "reclean": ["reclean"],
                    "backfill": ["backfill", "--site", "globalsecurity", "--wayback", fake.base_url,
                                 "--delay", "0", "--pause-after-429", "0.01"]}[command]
            args += ["--home", str(self.home.root)]
            env = {"KCORPUS_PREFECT": "never"}
            with FullDisk(self.home.root, slack_kb * 1024, self.tmp) as disk:
                self.log.append(f"full disk ({disk.how}): {command}")
                code, out, errors = cli(*args, env=env)
                self.log[-1] += f": exit {code}"
                assert code in (0, 1) and "Traceback" not in out + errors, (self.log, code, out, errors)
                lines = [line for line in errors.splitlines() if line.startswith("error")]   # the rest: progress
                if code == 1:
                    assert lines and all(line.startswith("error: ") for line in lines), (self.log, errors)
                    refused = "release blocked" in errors and command == "release"   # the gate, not the disk
                    assert refused or all(any(w in line for w in DISK_FULL_WORDS) for line in lines), \
                        (self.log, errors)
                disk.grow()
                report = check_home(self.home)
                assert all(any(kind in p for kind in REPAIRABLE) for p in report.problems), (self.log, report.problems)
                if report.problems:
                    check_home(self.home, repair=True)
                    assert check_home(self.home).ok, (self.log, check_home(self.home).problems)
                if code == 1:
                    again, out, errors = cli(*args, env=env)
                    blocked = command == "release" and "release blocked" in errors
                    assert again == 0 or blocked, (self.log, "after the disk had room again", again, errors)

    @rule(command=st.sampled_from(["refresh", "release"]))
    def readers_beside_a_writer(self, command):
        """While a refresh or release runs in a child process, every read-only command runs (over and
        over) against the same home: none crashes, none calls a release corrupt (a release appears only
        whole, after its rename), and the writer finishes as it would alone."""
        self.log.append(f"readers beside {command}")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen([sys.executable, "-c", CHILD, command, str(self.home.root),
                                  str(SNAPSHOTS[self.snapshot])], env=env, cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=(self.tmp / "writer.err").open("wb"))
        rounds = 0
        while child.poll() is None or rounds < len(READERS):
            self._read(READERS[rounds % len(READERS)])   # one at a time, as users would: a reader
            rounds += 1                                  # that hogged both cores would only slow the writer
            time.sleep(0.05)
        child.wait(timeout=120)
        stderr = (self.tmp / "writer.err").read_bytes()
        refused = command == "release" and b"ReleaseBlocked" in stderr
        assert child.returncode == 0 or refused, (self.log, stderr.decode()[-2000:])
        self.log[-1] += f" ({rounds} reads)"

    def _read(self, reader: str) -> None:
        """One read-only command; what it may say depends on what is there, never a crash or a false alarm."""
        home = ["--home", str(self.home.root)]
        versions = sorted(p.name for p in self.home.releases_dir.iterdir()
                          if p.is_dir() and not p.name.startswith(".") and not p.is_symlink()) \
            if self.home.releases_dir.is_dir() else []
        if reader == "releases":
            code, out, errors = cli("releases", *home)
            assert code == 0, (self.log, reader, errors)
        elif reader == "verify":
            for version in versions[-2:]:
                code, out, errors = cli("verify", version, *home)
                assert code == 0, (self.log, reader, version, out, errors)
        elif reader == "show" and versions:
            doc_id = self._a_released_id(versions[-1])
            code, out, errors = cli("show", doc_id, "--release", versions[-1], "--format", "json", *home)
            assert code == 0 and doc_id in out, (self.log, reader, errors)
        elif reader == "check":
            code, out, errors = cli("check", *home)
            assert code == 0, (self.log, reader, out, errors)
        elif reader == "status":
            code, out, errors = cli("status", "--json", *home)
            assert code == 0, (self.log, reader, errors)
        elif reader == "diff" and len(versions) >= 2:
            code, out, errors = cli("diff", versions[-2], versions[-1], *home)
            assert code == 0, (self.log, reader, errors)
        elif reader == "export" and versions:
            target = self.tmp / "export.jsonl"
            code, out, errors = cli("export", versions[-1], "--format", "jsonl", "--output", str(target), *home)
            assert code == 0 and target.stat().st_size > 0, (self.log, reader, errors)
            target.unlink()

    def _a_released_id(self, version: str) -> str:
        from corpus.manifest import iter_manifest_entries

        return next(iter_manifest_entries(self.home.releases_dir / version))["id"]

    @rule(command=st.sampled_from(["refresh", "release"]), after=st.floats(0.3, 6.0),
          how=st.sampled_from(["SIGKILL", "SIGKILL", "SIGINT"]))
    def kill(self, command, after, how="SIGKILL"):
        """The command in a child process, sent SIGKILL (or SIGINT: Ctrl-C) after `after` seconds (or
        finished first). After a SIGINT the writer unwinds itself: the home must check clean with no repair."""
        self.log.append(f"{how} {command} after {after:.1f}s")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen([sys.executable, "-c", CHILD, command, str(self.home.root),
                                  str(SNAPSHOTS[self.snapshot])], env=env, cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=(self.tmp / "writer.err").open("wb"))
        deadline = time.monotonic() + after
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        interrupted = False
        if child.poll() is None:
            child.send_signal(getattr(signal, how))
            self.killed = how == "SIGKILL"
            interrupted = how == "SIGINT"
        try:
            child.wait(timeout=120)
        except subprocess.TimeoutExpired:
            child.kill()
            raise AssertionError((self.log, f"{how} did not end the {command} within 120 s"))
        if interrupted:   # a Ctrl-C: it ends (or had just finished), and leaves nothing for --repair
            stderr = (self.tmp / "writer.err").read_bytes()
            assert child.returncode in (0, -signal.SIGINT, 130) or b"KeyboardInterrupt" in stderr \
                or b"ReleaseBlocked" in stderr, (self.log, child.returncode, stderr.decode()[-2000:])
        elif not self.killed:   # it finished first: as it would have unkilled (a refused release is a refusal)
            stderr = (self.tmp / "writer.err").read_bytes()
            assert child.returncode == 0 or b"ReleaseBlocked" in stderr, (self.log, stderr.decode()[-2000:])
        self.log[-1] += " (killed)" if self.killed else " (interrupted)" if interrupted else " (finished first)"

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

    @invariant()
    def no_descriptor_left_open(self):
        """No command leaves a file of the home open once it returns (the log file excepted: it stays
        open for the process's later commands)."""
        held = open_files_under(self.home.root, but=("logs/",))
        assert not held, (self.log, held)

    @invariant()
    def backfilled_versions_stay(self):
        """Every version a backfill gave a document is still in its history (current or retired copy):
        a reclean or a refresh re-cleaning the page once dropped them."""
        import json

        held: dict[str, set] = {}
        for path in self.home.documents_dir.rglob("*.json"):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            versions = (record.get("extra") or {}).get("versions") or []
            held.setdefault(record["id"], set()).update(
                (v["captured_at"], v["payload_digest"]) for v in versions if v.get("via") == "wayback")
        lost = {doc_id: sorted(seen - held.get(doc_id, set())) for doc_id, seen in self.backfilled.items()
                if seen - held.get(doc_id, set())}
        assert not lost, (self.log, lost)
        for doc_id, seen in held.items():
            self.backfilled.setdefault(doc_id, set()).update(seen)

    def check_every_property(self, started: float) -> None:
        """The invariants, as Hypothesis checks them after a step (for the seeded histories)."""
        for check in (self.the_home_checks, self.nothing_released_changes, self.nothing_captured_is_lost,
                      self.backfilled_versions_stay, self.no_descriptor_left_open):
            check()
        if (self.home.releases_dir / "latest").exists():
            self.released_text_is_what_its_capture_cleans_to()
        self.log[-1] += f" [{time.monotonic() - started:.1f} s]"

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
    try:
        for step in range(steps):
            started = time.monotonic()
            roll = rnd.random()
            if step == 0 or roll < 0.28:
                mode = rnd.choice(["whole", "whole", "whole", "outage", "partial", "hostile"])
                pages = [(rnd.randrange(1000), rnd.choice(sorted(HOSTILE_OUTCOMES)))
                         for _ in range(rnd.randint(1, 3))] if mode == "hostile" else []
                machine.refresh(rnd.randrange(3), mode, pages)
            elif roll < 0.52:
                machine.release(allow_partial=rnd.random() < 0.5)
            elif roll < 0.62:
                machine.reclean()
            elif roll < 0.74:
                machine.backfill(rnd.choice(WAYBACK_FAULTS))
            elif roll < 0.82:
                machine.readers_beside_a_writer(rnd.choice(["refresh", "release"]))
            elif roll < 0.9 or not kills:
                machine.full_disk(rnd.choice(["refresh", "release", "reclean", "backfill"]), rnd.randrange(0, 400))
            else:
                machine.kill(rnd.choice(["refresh", "release"]), rnd.uniform(0.5, 8.0),
                             rnd.choice(["SIGKILL", "SIGKILL", "SIGINT"]))
            machine.check_every_property(started)
        return machine.log
    finally:
        machine.teardown()


def run_steps(steps: list[tuple]) -> list[str]:
    """A given history: (rule name, its arguments...) per step, every property checked after each."""
    machine = DataHomeHistory()
    try:
        for name, *args in steps:
            started = time.monotonic()
            getattr(machine, name)(*args)
            machine.check_every_property(started)
        return machine.log
    finally:
        machine.teardown()
