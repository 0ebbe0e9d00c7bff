"""The unattended run: refresh every site, validate and release, audit against the previous release,
and publish what happened as Prefect artifacts (a markdown summary, links to Data Docs and the audit)."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact

from flows.refresh import refresh, release
from flows import stages
from core.datahome import DataHome

DEPLOYMENT_NAME = "kcorpus-scheduled-refresh"


@task(name="audit")
def audit_task(home_root: str) -> stages.AuditOutcome:
    """Diff the two latest releases and the two latest crawls; write the HTML report."""
    return stages.audit(DataHome.resolve(home_root))


@flow(name="kcorpus-audit")
def audit(home: str | None = None) -> stages.AuditOutcome:
    """What changed between the two latest releases (and crawls)."""
    return audit_task(str(DataHome.resolve(home).root))


@flow(name="kcorpus-scheduled-refresh", log_prints=True)
def scheduled_refresh(home: str | None = None, sites: list[str] | None = None, replay_port: int | None = None,
                      settings: dict | None = None, allow_partial: bool = False) -> dict:
    """Refresh all sites, validate and release, audit against the previous release; publish artifacts.

    A blocked release (a failed batch expectation) still publishes the summary and the Data Docs link,
    then fails the run so the schedule's failure is visible in the UI.
    """
    data_home = DataHome.resolve(home)
    summary = refresh(sites=sites, home=str(data_home.root), replay_port=replay_port, settings=settings)
    outcome = release(home=str(data_home.root), allow_partial=allow_partial)
    blocked = outcome if isinstance(outcome, stages.BlockedRelease) else None
    if blocked:
        outcome = None
    audited = audit(home=str(data_home.root))
    markdown = stages.run_summary_markdown(summary, outcome, audited)
    if blocked:
        markdown += "\n**Release blocked**: " + "; ".join(blocked.messages) + "\n"
    create_markdown_artifact(key="kcorpus-run-summary", markdown=markdown, description="kcorpus run summary")
    docs = outcome.data_docs_path if outcome else blocked.data_docs_path
    if docs:
        create_link_artifact(key="kcorpus-data-docs", link=f"file://{docs}", link_text="Great Expectations Data Docs")
    quality = outcome.quality_report if outcome else blocked.quality_report
    if quality:
        create_link_artifact(key="kcorpus-quality-report", link=f"file://{quality}", link_text="Quality report")
    if audited.report:
        create_link_artifact(key="kcorpus-audit-report", link=f"file://{audited.report}", link_text="Audit report")
    if blocked:
        # fail the scheduled run, so the refusal shows in the UI (the summary above says why)
        raise RuntimeError("release blocked by the quality gate: " + "; ".join(blocked.messages))
    return {"run_id": summary["run_id"], "release": outcome.release.version,
            "report": str(audited.report) if audited.report else None}


def build_deployment(cron: str, *, home: str, sites: list[str] | None = None, name: str = DEPLOYMENT_NAME):
    """The deployment `kcorpus schedule` serves: scheduled_refresh on a cron schedule."""
    return scheduled_refresh.to_deployment(name=name, cron=cron, parameters={"home": home, "sites": sites},
                                           description="kcorpus: refresh, validate, release and audit")
