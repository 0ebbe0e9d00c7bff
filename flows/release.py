"""Releasing: the quality gate over the current documents, the release of those that pass, its quality
report, and re-checking a release against the WARC payloads it cites (a release reads documents and
verdicts, never HTML)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path

from cleaners.store import StoredDocuments
from core.datahome import DataHome
from flows.crawl import last_checked, last_crawl_outcomes


class ReleaseBlocked(RuntimeError):
    """A batch expectation failed: the release is refused unless --allow-partial."""

    def __init__(self, failures: list, data_docs_path, quality_report: Path | None = None):
        self.failures = failures
        self.data_docs_path = data_docs_path
        self.quality_report = quality_report
        super().__init__("; ".join(f.message for f in failures))

    @property
    def overridable(self) -> bool:
        """Whether --allow-partial releases anyway (a batch expectation; not a refusal for want of evidence)."""
        return not any(isinstance(f, Refusal) for f in self.failures)

    def outcome(self) -> "BlockedRelease":
        """The refusal as the flow and the commands return it."""
        return BlockedRelease([f.message for f in self.failures], self.data_docs_path, self.quality_report,
                              self.overridable)


@dataclass(frozen=True)
class Refusal:
    """Why a release cannot be made at all, in words (a ReleaseBlocked failure that is no expectation)."""

    message: str


def refuse_release_without_evidence(home: DataHome, documents: StoredDocuments, outcomes: dict[str, dict]) -> None:
    """A release needs documents, and in a data home that has crawled (its warc/ holds captures) the crawls
    they came from: refuse a first release of a home that holds nothing and never crawled, and documents
    of a site whose crawl outcome the state does not hold while the archive shows crawls happened (an
    emptied or replaced state.sqlite would otherwise slip past the gate that blocks an unreachable site).
    A home that crawled and found nothing is left to the gate, which says per site why. --allow-partial
    does not lift this."""
    from corpus.manifest import latest_release

    if not documents and not outcomes and latest_release(home) is None:
        raise ReleaseBlocked([Refusal(f"nothing to release: no documents in {home.root} and no earlier "
                                      f"release (run `kcorpus refresh` first)")], None)
    crawled = home.warc_dir.is_dir() and any(home.warc_dir.glob("*.warc.gz"))
    unproven = sorted(documents.sites - set(outcomes)) if crawled else []
    if unproven:
        raise ReleaseBlocked([Refusal(f"{site}: the crawl state holds no crawl of this site, yet there are "
                                      f"documents of it and captures in warc/ (state.sqlite emptied or "
                                      f"replaced? `kcorpus check` says more)") for site in unproven], None)


@dataclass
class BlockedRelease:
    """A release the gate refused: an expected outcome (returned by the flow), not a crash."""

    messages: list[str]
    data_docs_path: Path | None
    quality_report: Path | None = None
    overridable: bool = True      # --allow-partial would release anyway


@dataclass
class ReleaseOutcome:
    """The result of validating the current documents and releasing those that passed."""

    release: object                      # corpus.release.Release
    passed: int
    quarantined: list[str]
    batch_failures: list[str]
    data_docs_path: Path | None
    quality_report: Path | None = None   # reports/quality-<version>.html


# From this many documents the gate runs in a process of its own: Great Expectations' import (~240 MB)
# and its frames go back to the system when it ends, before the release loads its NLP models (Kiwi,
# ~420 MB) — one process held both, ~1 GB at 5k documents. Below it, a second process costs more than it saves.
GATE_IN_A_PROCESS = 2000


def _die_with_parent(parent: int) -> None:
    """In the gate's process: end when the release that started it ends, a SIGKILL included (Linux's
    PR_SET_PDEATHSIG), so no orphan writes the GX store or the gate's memory beside a later writer."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):   # not Linux: the pool's own shutdown is all there is
        pass
    if os.getppid() != parent:   # the parent died before the line above took effect
        os._exit(1)


def run_gate(home: DataHome, documents, previous_counts: dict[str, int], outcomes: dict[str, dict]):
    """The quality gate over `documents` with the data home's memory of earlier passes (index/gate.sqlite)."""
    from expectations import validate_batch
    from expectations.gate import PassedBefore

    memory = PassedBefore(home.gate_memory)
    try:
        return validate_batch(documents, home=home, previous_counts=previous_counts, crawl_outcomes=outcomes,
                              memory=memory)
    finally:
        memory.close()


def validate_and_release(home: DataHome, *, version: str | None = None, allow_partial: bool = False,
                         today=None, progress=None) -> ReleaseOutcome:
    """Validate every current document (GX gate), quarantine failures, release the rest.

    Raises ReleaseBlocked when a batch expectation fails and `allow_partial` is false; with
    `allow_partial`, the failures are recorded in the release manifest.
    """
    from corpus.manifest import latest_release
    from corpus.release import build_release, check_version, previous_counts
    from expectations.quarantine import write_quarantine

    if version is not None:
        check_version(home, version)  # a taken or malformed version fails before the gate runs
    documents = StoredDocuments(home)   # read one at a time: a release never holds the whole archive
    outcomes = last_crawl_outcomes(home)
    refuse_release_without_evidence(home, documents, outcomes)
    before = previous_counts(home)
    if progress is not None:   # progress(phase, done, total): what a terminal shows while the release runs
        progress("gate", 0, len(documents))
    if len(documents) < GATE_IN_A_PROCESS:
        result = run_gate(home, documents, before, outcomes)
    else:
        from concurrent.futures.process import BrokenProcessPool

        try:
            with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_die_with_parent,
                                     initargs=(os.getpid(),)) as pool:
                result = pool.submit(run_gate, home, documents, before, outcomes).result()
        except BrokenProcessPool:
            raise RuntimeError("the quality gate's process ended without an answer (killed, or out of memory); "
                               "nothing was released") from None
    write_quarantine(home, result)
    # an empty first release is never written, --allow-partial or not: it would stand as a release of
    # nothing (found by the random histories: an outage, then `release --allow-partial`)
    empty_first = not result.passed and not before and latest_release(home) is None
    if (result.batch_failures and not allow_partial) or empty_first:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dt%H%M%S")
        report = write_quality_report(home, result, f"quality-refused-{stamp}.html", title="Release refused",
                                      release=None, previous=before)
        failures = list(result.batch_failures)
        if empty_first:
            failures.append(Refusal("nothing to release: no document passed the gate, and a first release "
                                    "of nothing is never written"))
        raise ReleaseBlocked(failures, result.data_docs_path, report)
    quarantined = [{"id": d.id, "site": d.site, "failed": [f.message.split(": ", 1)[-1] for f in result.verdicts[d.id]]}
                   for d in result.quarantined]
    release = build_release(home, result.passed, version=version, today=today,
                            partial=[f.message for f in result.batch_failures] or None,
                            quarantined=quarantined, checked=last_checked(home), crawl_outcomes=outcomes,
                            progress=progress)
    report = write_quality_report(home, result, f"quality-{release.version}.html",
                                  title=f"Release {release.version}", release=release.version, previous=before)
    return ReleaseOutcome(release, len(result.passed), [d.id for d in result.quarantined],
                          [f.message for f in result.batch_failures], result.data_docs_path, report)


def write_quality_report(home: DataHome, result, name: str, *, title: str, release: str | None,
                         previous: dict[str, int]) -> Path:
    """Write the offline quality report of a gate run under reports/ (expectations.quality_page), with the
    pages each site's last crawl refused as not articles."""
    from expectations.quality_page import render_quality_report
    from scrapers.state import CrawlState

    refusals = []
    if home.state_db.exists():
        state = CrawlState.read_only(home.state_db)
        try:
            for site, outcome in sorted(state.last_outcomes().items()):
                refusals += [r for r in (outcome.get("metrics") or {}).get("refused", [])
                             if r.get("kind") not in ("unreadable", "fault")]
        finally:
            state.close()

    home.reports_dir.mkdir(parents=True, exist_ok=True)
    path = home.reports_dir / name
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_quality_report(result, title=title, release=release, previous_counts=previous,
                                         refusals=refusals), encoding="utf-8")
    os.replace(tmp, path)
    return path


def verify_release(home: DataHome, release_dir: Path) -> tuple[int, list[str]]:
    """Recheck a release: every checksum (SHA256SUMS, manifest) and, for each document, the WARC
    payload its capture points to. Returns (documents checked, problems, one line each)."""
    from corpus.manifest import NotARelease, iter_documents
    from corpus.release import verify_checksums
    from scrapers.warcstore import check_payload

    problems = verify_checksums(release_dir)
    checked = 0
    try:
        for doc in iter_documents(release_dir):
            checked += 1
            capture = doc.capture or {}
            if not capture.get("warc_file"):
                continue
            problem = check_payload(home.warc_dir, capture["warc_file"], int(capture["warc_offset"]),
                                    capture.get("payload_digest") or "")
            if problem:
                problems.append(f"{doc.id}: {problem}")
    except NotARelease:
        pass   # no records at all (a bare folder): its checksums are what there is to check
    except ValueError as exc:   # a record missing or unreadable (its checksum line says which file, too)
        problems.append(f"the captures of documents after the first {checked} were not checked: {exc}".splitlines()[0])
    return checked, problems


def find_release(home: DataHome, name: str) -> Path:
    """A release folder named by its path or by its version under the data home's releases/ (LookupError,
    or the reader's own error for a folder that is not a release)."""
    from corpus.manifest import read_manifest

    path = Path(name)
    if path.is_dir():
        read_manifest(path)  # a folder that is not a release says so
        return path
    candidate = home.releases_dir / name
    if candidate.is_dir():
        return candidate
    raise LookupError(f"no release {name!r} (not a folder, nor under {home.releases_dir})")


def releases(home: DataHome) -> list:
    """The releases of the data home, oldest first (corpus.manifest.ReleaseInfo)."""
    from corpus.manifest import list_releases
    return list_releases(home)


def latest_release(home: DataHome) -> Path | None:
    """The newest release folder (None before the first release)."""
    import corpus.manifest
    return corpus.manifest.latest_release(home) if home.exists() else None


def check_version(home: DataHome, version: str) -> None:
    """Refuse a taken or malformed release version before the gate (and Prefect) start."""
    import corpus.release
    corpus.release.check_version(home, version)


def released_document(home: DataHome, release: str, doc_id: str):
    """One document of a release ("latest", a version or a folder): (Document, path of its TEI file)."""
    from corpus.load import find_document, resolve_release
    from corpus.manifest import read_manifest

    folder = resolve_release(release, home)
    doc = find_document(folder, doc_id)
    entry = next(d for d in read_manifest(folder)["documents"] if d["id"] == doc_id)
    return doc, folder / entry["path"]


def check_export_format(fmt: str) -> None:
    """Refuse a format the exporter does not write (ValueError naming the ones it does)."""
    from corpus.load import EXPORT_FORMATS
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r} ({', '.join(EXPORT_FORMATS)})")


def export(home: DataHome, release: str, fmt: str, output: Path | None) -> tuple[str, Path]:
    """Export a release in one format (corpus.load.EXPORT_FORMATS) to `output` (default: kcorpus-<version>.<format>
    here; txt: a folder). Returns (the release's name, what was written)."""
    from corpus.load import export_release, resolve_release

    folder = resolve_release(release, home)
    name = folder.resolve().name
    suffix = {"txt": "-text", "teicorpus": ".teiCorpus.xml"}.get(fmt, f".{fmt}")
    target = output or Path(f"kcorpus-{name}{suffix}")
    return name, export_release(folder, fmt, target)


def quarantined(home: DataHome) -> list[dict]:
    """The documents the quality gate holds back, with why."""
    from expectations.quarantine import list_quarantine
    return list_quarantine(home)


def quarantined_document(home: DataHome, doc_id: str) -> dict:
    """One quarantined document with the reasons it was held back (KeyError when there is none)."""
    from expectations.quarantine import load_quarantine
    try:
        return load_quarantine(home, doc_id)
    except KeyError as exc:
        raise KeyError(str(exc.args[0]) if exc.args else f"no quarantined document {doc_id!r}") from None
