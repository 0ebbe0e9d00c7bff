"""The unattended run: refresh every site, validate and release, audit against the previous release,
and publish what happened as Prefect artifacts (a markdown summary, links to Data Docs and the audit)."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.states import Failed

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
                      settings: dict | None = None, allow_partial: bool = False):
    """Refresh all sites, validate and release, audit against the previous release; publish artifacts.

    A site that was not ok (unreachable, partial, changed-layout) or a blocked release still publishes
    the summary (with the failure) and the Data Docs link, then the run ends Failed with the same
    one-line-per-site message, so the schedule's failure is visible in the UI. The gate refuses to
    release a site whose crawl was unreachable or changed-layout, so such a run writes no release.
    Holds the data home's writer lock for the whole run.
    """
    from core.datahome import WriterLock
    from flows.runs import flow_summary

    data_home = DataHome.resolve(home)
    with WriterLock(data_home, "kcorpus scheduled run"):
        data_home.ensure()
        data_home.remove_leftovers()
        summary = flow_summary(refresh(sites=sites, home=str(data_home.root), replay_port=replay_port,
                                       settings=settings, return_state=True))
        failed = stages.failure_lines(summary["outcomes"])
        release_state = release(home=str(data_home.root), allow_partial=allow_partial, return_state=True)
        outcome = (release_state.result() if not release_state.is_failed()
                   else stages.BlockedRelease([release_state.message or "release failed"], None))
        blocked = outcome if isinstance(outcome, stages.BlockedRelease) else None
        if blocked:
            outcome = None
        audited = audit(home=str(data_home.root))
    markdown = stages.run_summary_markdown(summary, outcome, audited)
    if failed:
        markdown += "\n**Crawl not ok**:\n\n" + "".join(f"- {line}\n" for line in failed)
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
    messages = failed + (["release blocked by the quality gate: " + "; ".join(blocked.messages)] if blocked else [])
    if messages:
        # the run ends Failed with the reasons (a returned state: no traceback for a decided outcome)
        return Failed(message="; ".join(messages), data=stages.RunFailed(
            {"run_id": summary["run_id"], "release": outcome.release.version if outcome else None,
             "outcomes": summary["outcomes"], "messages": messages}, "; ".join(messages)))
    return {"run_id": summary["run_id"], "release": outcome.release.version,
            "report": str(audited.report) if audited.report else None}


def build_deployment(cron: str, *, home: str, sites: list[str] | None = None, name: str = DEPLOYMENT_NAME):
    """The deployment `kcorpus schedule` serves: scheduled_refresh on a cron schedule."""
    return scheduled_refresh.to_deployment(name=name, cron=cron, parameters={"home": home, "sites": sites},
                                           description="kcorpus: refresh, validate, release and audit")
