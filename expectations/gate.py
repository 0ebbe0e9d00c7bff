"""Run the quality gate with Great Expectations: per-document and per-site suites, verdicts by document
id, and Data Docs under the data home's reports/. GX is imported only here, and only when called."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from core.document import Document
from expectations.reasons import check_words, explain
from expectations.suite import (GateSettings, batch_expectations, describe, document_expectations,
                                document_row, row_digest, suite_digest)
from core.datahome import DataHome

log = logging.getLogger(__name__)

DOCS_SITE = "kcorpus"
# Rows per Great Expectations run: the frame holds two copies of every text (`body`, `text`), so a whole
# corpus in one frame grew the gate's memory with the corpus (+310 MB per 10k documents).
FRAME_ROWS = 5000


@dataclass(frozen=True)
class Failure:
    """A per-document expectation a document failed, and why in words (expectations.reasons)."""

    expectation: str
    column: str
    message: str
    observed: str | None = None
    check: str = ""               # short name of the check, e.g. "backslash-residue"
    reason: str = ""              # what the check wants, in words
    where: str = ""               # where in the document, e.g. "paragraph 3, character 120"
    snippet: dict | None = None   # {"before", "match", "after"}: the offending text in context

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class BatchFailure:
    """A per-site batch expectation that failed: blocks the release unless --allow-partial."""

    site: str
    expectation: str
    observed: float
    limit: float
    message: str


@dataclass
class CheckOutcome:
    """One declared check on one site's documents: passed, or which documents failed it."""

    site: str
    check: str
    words: str
    expectation: str
    failed: list[str] = field(default_factory=list)   # document ids (per-document checks)
    observed: float | None = None                     # the site's figure (batch checks)

    @property
    def passed(self) -> bool:
        return not self.failed


@dataclass
class BatchResult:
    verdicts: dict[str, list[Failure]]
    passed: list[Document]
    quarantined: list[Document]
    batch_failures: list[BatchFailure]
    data_docs_path: Path | None
    counts_by_site: dict[str, int] = field(default_factory=dict)
    checks: list[CheckOutcome] = field(default_factory=list)   # every check x site, in declaration order

    remembered: int = 0   # documents passed unchanged under the same suite before: not run through GX again

    @property
    def ok_for_release(self) -> bool:
        return not self.batch_failures


class PassedBefore:
    """The gate's memory, `<home>/index/gate.sqlite`: which documents passed which suite, by the digest of
    what the suite reads of them (expectations.suite.row_digest). A document unchanged since it passed
    this very suite passes again without a Great Expectations run, so a daily release of a large archive
    checks its new and edited documents, not all of them again (the gate was a third of a second release).

    Only passes are remembered: a document that failed is always checked again, so its reasons are
    today's. A cache: deleting it costs one full gate run, never a verdict.
    """

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("CREATE TABLE IF NOT EXISTS passed (id TEXT PRIMARY KEY, row TEXT, suite TEXT)")

    def passed(self, suite: str) -> dict[str, str]:
        """{document id: row digest} of the documents that passed `suite`."""
        return dict(self.db.execute("SELECT id, row FROM passed WHERE suite = ?", (suite,)))

    def remember(self, passes: list[tuple[str, str]], suite: str) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO passed VALUES (?, ?, ?)",
                                [(doc_id, row, suite) for doc_id, row in passes])

    def forget(self, ids: list[str]) -> None:
        with self.db:
            self.db.executemany("DELETE FROM passed WHERE id = ?", [(i,) for i in ids])

    def close(self) -> None:
        self.db.close()


def damaged_gx_files(home: DataHome) -> list[Path]:
    """Files of the GX store (<home>/gx: its config, suites, validation definitions, checkpoints, past
    validation results) that do not parse. GX writes them in place, not by rename, so a full disk or a
    kill leaves one cut short (`Unterminated string ...`), and every later gate failed reading it. All but
    the past results are declared again from expectations/suite.py at every gate, so removing a damaged
    file loses nothing a release depends on."""
    import json

    from ruamel.yaml import YAML, YAMLError

    damaged = []
    if not home.gx_dir.is_dir():
        return damaged
    for path in sorted(home.gx_dir.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.suffix not in (".json", ".yml"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".json" and not isinstance(json.loads(text), dict):
                raise ValueError("not a GX record")
            if path.suffix == ".yml":   # GX writes whole lines: a file cut short mid-line may still parse
                parsed = YAML(typ="safe").load(text)
                if (text and not text.endswith("\n")) or (path.name == "great_expectations.yml" and not (
                        isinstance(parsed, dict) and "stores" in parsed)):
                    raise ValueError("not a whole GX config")
        except (UnicodeDecodeError, ValueError, YAMLError):
            damaged.append(path)
    return damaged


def _context(home: DataHome):
    """The file-backed GX context in <home>/gx, with a Data Docs site in <home>/reports/data_docs.
    A damaged store file (damaged_gx_files) is removed first, and said in the log."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    home.gx_dir.mkdir(parents=True, exist_ok=True)
    for path in damaged_gx_files(home):
        log.warning("%s: damaged (cut short by a full disk or a kill?); removed, GX declares it again",
                    path.relative_to(home.root))
        path.unlink()
    context = gx.get_context(mode="file", project_root_dir=str(home.gx_dir))
    # Relative to the GX context's own folder (<home>/gx/gx), so a data home moved elsewhere writes its
    # Data Docs inside itself, never to the place it was first created in.
    docs_dir = os.path.relpath(home.reports_dir / "data_docs", context.root_directory)
    site_config = {"class_name": "SiteBuilder", "show_how_to_buttons": False,
                   "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": docs_dir},
                   "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}}
    sites = context.get_site_names() or []
    if DOCS_SITE not in sites:
        context.add_data_docs_site(site_name=DOCS_SITE, site_config=site_config)
    elif context.variables.data_docs_sites[DOCS_SITE]["store_backend"].get("base_directory") != docs_dir:
        context.update_data_docs_site(site_name=DOCS_SITE, site_config=site_config)  # an absolute path of old
    # Progress bars would print on every run; the CLI reports results itself.
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    context.variables.save()
    return context


def _checkpoint(context, name: str, specs: list[tuple[str, dict]], index_column: str):
    """(Re)declare a suite from specs and the checkpoint that validates a DataFrame against it. A suite
    declared with the same specs before is taken as it stands (redeclaring cost ~0.2–0.8 s a run)."""
    import hashlib

    import great_expectations as gx

    declared = hashlib.sha256(repr((specs, index_column)).encode()).hexdigest()
    try:
        if context.suites.get(f"kcorpus_{name}").meta.get("kcorpus_specs") == declared:
            return context.checkpoints.get(f"kcorpus_{name}")
    except Exception:   # GX raises several kinds for a missing or unreadable one: declared anew below
        pass

    source = context.data_sources.add_or_update_pandas("kcorpus")
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name=name)
    try:
        batch = asset.get_batch_definition("whole")
    except (KeyError, LookupError, ValueError):
        batch = asset.add_batch_definition_whole_dataframe("whole")
    suite = gx.ExpectationSuite(name=f"kcorpus_{name}", meta={"kcorpus_specs": declared})
    for spec_type, kwargs in specs:
        suite.add_expectation(getattr(gx.expectations, spec_type)(**kwargs))
    suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"kcorpus_{name}", data=batch, suite=suite))
    # No Data Docs action: the results hold upstream text, which GX renders as live HTML; the docs are
    # built from an escaped copy instead (_publish_safe_docs).
    return context.checkpoints.add_or_update(gx.Checkpoint(
        name=f"kcorpus_{name}", validation_definitions=[definition], actions=[],
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [index_column]}))


def _check_key(name: str, kwargs: dict) -> str:
    """One declared check, told apart from the others of the same GX name by its regex."""
    return name + "|" + str(kwargs.get("regex", ""))


def _failing_rows(result, index_column: str):
    """Yield (expectation name, check key, GX type, kwargs, failing row's index value, observed value)."""
    for run in result.run_results.values():
        for outcome in run.results:
            if outcome.success:
                continue
            config = outcome.expectation_config
            kwargs = dict(config.kwargs)
            name = describe("".join(w.capitalize() for w in config.type.split("_")), kwargs)
            key = _check_key(name, kwargs)
            for row in outcome.result.get("unexpected_index_list") or []:
                if isinstance(row, dict):
                    yield name, key, config.type, kwargs, row.get(index_column), row.get(kwargs.get("column"))
                else:
                    yield name, key, config.type, kwargs, row, None


def _escaped(value):
    """Every string inside `value` HTML-escaped (dicts and lists walked)."""
    from html import escape

    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_escaped(v) for v in value)
    return value


def _publish_safe_docs(context, result) -> None:
    """Store an escaped copy of each validation result and build Data Docs from it.

    GX renders observed values (document text, titles, ids) into Data Docs as HTML without escaping: an
    article quoting `<script>` would run script when the page is opened. The copy escapes every observed
    string first, so Data Docs show upstream text as text.
    """
    import copy

    identifiers = []
    for identifier, run in result.run_results.items():
        safe = copy.deepcopy(run)
        for outcome in safe.results:
            outcome.result = _escaped(dict(outcome.result or {}))
        context.validation_results_store.set(identifier, safe)
        identifiers.append(identifier)
    with _docs_errors() as errors:
        context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=identifiers)
    for message in errors:
        if "No space left on device" in message or "[Errno 28]" in message:
            import errno
            raise OSError(errno.ENOSPC, "No space left on device", "reports/data_docs")
        log.warning("Data Docs not wholly rendered: %s", message.splitlines()[0][:300])


@contextmanager
def _docs_errors():
    """GX's site builder catches an error writing a page (a full disk among them), logs it at ERROR with
    the traceback inside the message and goes on: the messages are collected instead, for the caller to
    raise a full disk and say anything else in one line."""
    builder = logging.getLogger("great_expectations.render.renderer.site_builder")
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler, propagate = Collect(logging.ERROR), builder.propagate
    builder.addHandler(handler)
    builder.propagate = False
    try:
        yield messages
    finally:
        builder.removeHandler(handler)
        builder.propagate = propagate


def validate_batch(documents: list[Document], *, home: DataHome, previous_counts: dict[str, int] | None = None,
                   settings: GateSettings | None = None, today: date | None = None,
                   build_docs: bool = True, crawl_outcomes: dict[str, dict] | None = None,
                   memory: PassedBefore | None = None) -> BatchResult:
    """Validate a batch: every document against the per-document suite, then each site's figures.

    previous_counts  documents per site in the previous release (corpus.release.previous_counts)
    crawl_outcomes   {site: {"outcome", "cause", "run_id"}} of each site's last crawl (from the crawl
                     state, passed by the caller): a site not ok blocks, a partial one may lose nothing
    memory           the documents that passed this suite before (PassedBefore): those unchanged since
                     are not run through Great Expectations again; the ones that pass now are added
    Returns the verdict per document id, the passed and quarantined documents, the batch failures and
    the Data Docs page built for this run.
    """
    import pandas as pd

    settings = settings or GateSettings()
    today = today or date.today()
    previous_counts = previous_counts or {}
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = _context(home)

    listed = isinstance(documents, list)
    ids = [doc.id for doc in documents] if listed else list(documents.ids)
    verdicts: dict[str, list[Failure]] = {doc_id: [] for doc_id in ids}
    failed_by_check: dict[str, list[str]] = {}
    document_specs = document_expectations(today, settings)
    suite = suite_digest(settings)
    passed_before = memory.passed(suite) if memory is not None else {}
    # GX's uniqueness expectation sees one frame: the documents sharing an id are checked in a frame of
    # their own, and never taken from memory.
    shared = {i for i, n in Counter(ids).items() if n > 1}
    checkpoint = None
    failing: dict[str, Document] = {}   # the documents that failed a check (first of a shared id)
    site_of: dict[str, str] = {}
    counts: dict[str, int] = {}
    passes: list[tuple[str, str]] = []   # (id, row digest) of the documents that passed GX now

    def run_frame(frame_docs: list[Document]) -> None:
        nonlocal checkpoint
        if not frame_docs:
            return
        checkpoint = checkpoint or _checkpoint(context, "documents", document_specs, "id")
        rows = [document_row(doc) for doc in frame_docs]
        by_id = {doc.id: {**row, "paragraphs": doc.paragraphs} for doc, row in zip(frame_docs, rows)}
        outcome = checkpoint.run(batch_parameters={"dataframe": pd.DataFrame(rows)})
        for name, key, spec_type, kwargs, doc_id, observed in _failing_rows(outcome, "id"):
            observed_text = None if observed is None else str(observed)[:200]
            reason = explain(spec_type, kwargs, by_id.get(doc_id, {}))
            failure = Failure(name, kwargs.get("column", ""), f"{doc_id}: {reason.sentence}", observed_text,
                              reason.check, reason.words, reason.where,
                              {"before": reason.before, "match": reason.match, "after": reason.after}
                              if reason.match else None)
            if failure not in verdicts.setdefault(doc_id, []):
                verdicts[doc_id].append(failure)
            failed_by_check.setdefault(key, [])
            if doc_id not in failed_by_check[key]:
                failed_by_check[key].append(doc_id)
        for doc in frame_docs:
            if verdicts[doc.id]:
                failing.setdefault(doc.id, doc)
            elif doc.id not in shared:
                passes.append((doc.id, row_digest(doc)))
        if build_docs:
            _publish_safe_docs(context, outcome)

    frame: list[Document] = []
    shared_docs: list[Document] = []
    remembered = 0
    for doc in documents:   # one pass: a stream holds one frame of documents at a time
        counts[doc.site] = counts.get(doc.site, 0) + 1
        site_of[doc.id] = doc.site
        if doc.id in shared:
            shared_docs.append(doc)
        elif memory is not None and passed_before.get(doc.id) == row_digest(doc):
            remembered += 1
        else:
            frame.append(doc)
            if len(frame) == FRAME_ROWS:
                run_frame(frame)
                frame = []
    run_frame(frame)
    run_frame(shared_docs)
    del frame, shared_docs
    if memory is not None:
        memory.remember(passes, suite)
        memory.forget(sorted(set(failing) | shared))
    if listed:
        passed = [d for d in documents if not verdicts[d.id]]
        quarantined = [d for d in documents if verdicts[d.id]]
    else:
        passed = PassedDocuments(documents, set(failing))
        quarantined = [failing[i] for i in sorted(failing)]
    held: dict[str, int] = {}
    for doc_id in failing:
        held[site_of[doc_id]] = held.get(site_of[doc_id], 0) + 1
    crawl_outcomes = crawl_outcomes or {}
    sites = sorted(set(counts) | set(previous_counts) | set(crawl_outcomes))
    site_rows = []
    for site in sites:
        found, before = counts.get(site, 0), previous_counts.get(site, 0)
        released = found - held.get(site, 0)
        drop = round(max(0.0, (before - released) / before), 4) if before else 0.0
        last_crawl = crawl_outcomes.get(site, {}).get("outcome", "not crawled")
        site_rows.append({"site": site, "documents": found, "previous_release": before,
                          "count_drop_share": drop,
                          "quarantine_share": round(held.get(site, 0) / found, 4) if found else 0.0,
                          "to_release": released, "last_crawl": last_crawl,
                          "count_drop_after_partial": drop if last_crawl == "partial" else 0.0})
    batch_failures: list[BatchFailure] = []
    failing_sites: dict[str, list[str]] = {}
    if site_rows:
        checkpoint = _checkpoint(context, "sites", batch_expectations(settings), "site")
        by_site = {r["site"]: r for r in site_rows}
        outcome = checkpoint.run(batch_parameters={"dataframe": pd.DataFrame(site_rows)})
        for name, key, _, _, site, _ in _failing_rows(outcome, "site"):
            failing_sites.setdefault(key, []).append(site)
            row = by_site[site]
            column = key.split("(")[1].split(")")[0]
            crawl = crawl_outcomes.get(site, {})
            if column == "to_release":
                message = (f"{site}: no documents to release"
                           + (f" (last crawl {crawl['outcome']}: {crawl['cause']})" if crawl.get("cause") else "")
                           + ("" if row["previous_release"] else "; a first release needs documents for every site"))
                limit = 1
            elif column == "last_crawl":
                message = f"{site}: last crawl {crawl.get('run_id', '')} was {crawl.get('outcome')}: {crawl.get('cause')}"
                limit = 0
            elif column == "count_drop_after_partial":
                message = (f"{site}: {row['to_release']} documents to release, fewer than the previous release's "
                           f"{row['previous_release']} after a partial crawl ({crawl.get('cause')})")
                limit = 0.0
            elif column == "count_drop_share":
                limit = settings.max_count_drop
                message = (f"{site}: {row['documents'] - held.get(site, 0)} documents to release, "
                           f"{row['count_drop_share']:.0%} below the previous release's {row['previous_release']} "
                           f"(limit {limit:.0%})")
            else:
                limit = settings.max_quarantine_share
                message = (f"{site}: {held.get(site, 0)} of {row['documents']} documents quarantined "
                           f"({row['quarantine_share']:.0%}, limit {limit:.0%})")
            batch_failures.append(BatchFailure(site, name, row[column], limit, message))
        if build_docs:
            _publish_safe_docs(context, outcome)

    checks: list[CheckOutcome] = []
    for spec_type, kwargs in document_specs:
        name = describe(spec_type, kwargs)
        check, words = check_words(spec_type, kwargs)
        only = name.rsplit("[", 1)[1].rstrip("]") if name.endswith("]") else None
        failed = failed_by_check.get(_check_key(name, kwargs), [])
        for site in sorted(counts):
            if only is None or only == site:
                checks.append(CheckOutcome(site, check, words, name,
                                           [i for i in failed if site_of.get(i) == site]))
    for spec_type, kwargs in batch_expectations(settings):
        name = describe(spec_type, kwargs)
        check, words = check_words(spec_type, kwargs)
        for site in sites:
            checks.append(CheckOutcome(site, check, words, name,
                                       [site] if site in failing_sites.get(_check_key(name, kwargs), []) else [],
                                       next((r[kwargs["column"]] for r in site_rows if r["site"] == site), None)))

    docs_path = None
    if build_docs:
        urls = context.get_docs_sites_urls(site_names=[DOCS_SITE])
        if urls and urls[0].get("site_url"):
            docs_path = Path(os.path.normpath(urls[0]["site_url"].removeprefix("file://")))
    return BatchResult(verdicts, passed, quarantined, batch_failures, docs_path, counts, checks, remembered)


class PassedDocuments:
    """The documents of a stream (cleaners.store.StoredDocuments) that passed the gate, read again one at
    a time when iterated, in the stream's order: what a release of a large archive is written from."""

    def __init__(self, documents, failed: set[str]):
        self.documents, self.failed = documents, failed
        self.ids = [i for i in documents.ids if i not in failed]

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self):
        return (doc for doc in self.documents if doc.id not in self.failed)
