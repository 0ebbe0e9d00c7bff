"""Run the quality gate with Great Expectations: per-document and per-site suites, verdicts by document
id, and Data Docs under the data home's reports/. GX is imported only here, and only when called."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from core.document import Document
from expectations.suite import (GateSettings, batch_expectations, describe, document_expectations,
                                document_row)
from core.datahome import DataHome

DOCS_SITE = "kcorpus"


@dataclass(frozen=True)
class Failure:
    """A per-document expectation a document failed."""

    expectation: str
    column: str
    message: str
    observed: str | None = None

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
class BatchResult:
    verdicts: dict[str, list[Failure]]
    passed: list[Document]
    quarantined: list[Document]
    batch_failures: list[BatchFailure]
    data_docs_path: Path | None
    counts_by_site: dict[str, int] = field(default_factory=dict)

    @property
    def ok_for_release(self) -> bool:
        return not self.batch_failures


def _context(home: DataHome):
    """The file-backed GX context in <home>/gx, with a Data Docs site in <home>/reports/data_docs."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    home.gx_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(home.gx_dir))
    docs_dir = home.reports_dir / "data_docs"
    if DOCS_SITE not in (context.get_site_names() or []):
        context.add_data_docs_site(site_name=DOCS_SITE, site_config={
            "class_name": "SiteBuilder", "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}})
    # Progress bars would print on every run; the CLI reports results itself.
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    context.variables.save()
    return context


def _checkpoint(context, name: str, specs: list[tuple[str, dict]], index_column: str):
    """(Re)declare a suite from specs and the checkpoint that validates a DataFrame against it."""
    import great_expectations as gx

    source = context.data_sources.add_or_update_pandas("kcorpus")
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name=name)
    try:
        batch = asset.get_batch_definition("whole")
    except (KeyError, LookupError, ValueError):
        batch = asset.add_batch_definition_whole_dataframe("whole")
    suite = gx.ExpectationSuite(name=f"kcorpus_{name}")
    for spec_type, kwargs in specs:
        suite.add_expectation(getattr(gx.expectations, spec_type)(**kwargs))
    suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"kcorpus_{name}", data=batch, suite=suite))
    return context.checkpoints.add_or_update(gx.Checkpoint(
        name=f"kcorpus_{name}", validation_definitions=[definition],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])],
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [index_column]}))


def _failing_rows(result, index_column: str):
    """Yield (expectation name, column, failing row's index value, observed value) from a checkpoint run."""
    for run in result.run_results.values():
        for outcome in run.results:
            if outcome.success:
                continue
            config = outcome.expectation_config
            kwargs = dict(config.kwargs)
            name = describe("".join(w.capitalize() for w in config.type.split("_")), kwargs)
            for row in outcome.result.get("unexpected_index_list") or []:
                if isinstance(row, dict):
                    yield name, kwargs.get("column", ""), row.get(index_column), row.get(kwargs.get("column"))
                else:
                    yield name, kwargs.get("column", ""), row, None


def validate_batch(documents: list[Document], *, home: DataHome, previous_counts: dict[str, int] | None = None,
                   settings: GateSettings | None = None, today: date | None = None,
                   build_docs: bool = True, crawl_outcomes: dict[str, dict] | None = None) -> BatchResult:
    """Validate a batch: every document against the per-document suite, then each site's figures.

    previous_counts  documents per site in the previous release (corpus.release.previous_counts)
    crawl_outcomes   {site: {"outcome", "cause", "run_id"}} of each site's last crawl (from the crawl
                     state, passed by the caller): a site not ok blocks, a partial one may lose nothing
    Returns the verdict per document id, the passed and quarantined documents, the batch failures and
    the Data Docs page built for this run.
    """
    import pandas as pd

    settings = settings or GateSettings()
    today = today or date.today()
    previous_counts = previous_counts or {}
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = _context(home)

    rows = [document_row(doc) for doc in documents]
    verdicts: dict[str, list[Failure]] = {doc.id: [] for doc in documents}
    if rows:
        frame = pd.DataFrame(rows)
        checkpoint = _checkpoint(context, "documents", document_expectations(today, settings), "id")
        for name, column, doc_id, observed in _failing_rows(checkpoint.run(batch_parameters={"dataframe": frame}), "id"):
            observed_text = None if observed is None else str(observed)[:200]
            failure = Failure(name, column, f"{doc_id}: failed {name}", observed_text)
            if failure not in verdicts.setdefault(doc_id, []):
                verdicts[doc_id].append(failure)
    passed = [d for d in documents if not verdicts[d.id]]
    quarantined = [d for d in documents if verdicts[d.id]]

    counts: dict[str, int] = {}
    held: dict[str, int] = {}
    for doc in documents:
        counts[doc.site] = counts.get(doc.site, 0) + 1
        held[doc.site] = held.get(doc.site, 0) + (1 if verdicts[doc.id] else 0)
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
    if site_rows:
        checkpoint = _checkpoint(context, "sites", batch_expectations(settings), "site")
        by_site = {r["site"]: r for r in site_rows}
        for name, column, site, _ in _failing_rows(checkpoint.run(batch_parameters={"dataframe": pd.DataFrame(site_rows)}), "site"):
            row = by_site[site]
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

    docs_path = None
    if build_docs:
        urls = context.get_docs_sites_urls(site_names=[DOCS_SITE])
        if urls and urls[0].get("site_url"):
            docs_path = Path(urls[0]["site_url"].removeprefix("file://"))
    return BatchResult(verdicts, passed, quarantined, batch_failures, docs_path, counts)
