"""The unattended run: refresh every site, validate and release, then what follows every release
(flows.audit.after_release: the audit page, history pages and Atom feeds), and publish what happened as
Prefect artifacts (a markdown summary, links to Data Docs, the quality report and the audit)."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.states import Failed

from core.datahome import DataHome
from flows.audit import ReleaseAudit, after_release, run_summary_markdown
from flows.crawl import RunFailed, failure_lines
from flows.refresh import refresh, release
from flows.release import BlockedRelease

DEPLOYMENT_NAME = "kcorpus-scheduled-refresh"


@task(name="after-release")
def after_release_task(home_root: str, base_url: str | None = None) -> ReleaseAudit:
    """Compare the newest release with the one before: the audit page, history pages and Atom feeds."""
    return after_release(DataHome.resolve(home_root), base_url)


@flow(name="kcorpus-scheduled-refresh", log_prints=True)
def scheduled_refresh(home: str | None = None, sites: list[str] | None = None, replay_port: int | None = None,
                      settings: dict | None = None, allow_partial: bool = False, base_url: str | None = None):
    """Refresh all sites, validate and release, audit the release as `kcorpus release` does; publish artifacts.

    A site that was not ok (unreachable, partial, changed-layout) or a blocked release still publishes
    the summary (with the failure) and the Data Docs link, then the run ends Failed with the same
    one-line-per-site message, so the schedule's failure is visible in the UI. The gate refuses to
    release a site whose crawl was unreachable or changed-layout, so such a run writes no release.
    Holds the data home's writer lock for the whole run.
    """
    from core.datahome import DataHomeBusy, WriterLock
    from flows.runs import flow_summary

    data_home = DataHome.resolve(home)
    try:
        lock = WriterLock(data_home, "kcorpus scheduled run").acquire()
    except DataHomeBusy as busy:  # another command holds the data home: one line, no traceback, nothing done
        return Failed(message=f"{busy}; this run did nothing (the next scheduled one will try again)")
    try:
        data_home.ensure()
        data_home.remove_leftovers()
        summary = flow_summary(refresh(sites=sites, home=str(data_home.root), replay_port=replay_port,
                                       settings=settings, return_state=True))
        failed = failure_lines(summary["outcomes"])
        release_state = release(home=str(data_home.root), allow_partial=allow_partial, return_state=True)
        outcome = (release_state.result() if not release_state.is_failed()
                   else BlockedRelease([release_state.message or "release failed"], None))
        blocked = outcome if isinstance(outcome, BlockedRelease) else None
        if blocked:
            outcome = None
        # after a refused release the newest release is still the last one written: nothing new to audit
        audited = after_release_task(str(data_home.root), base_url) if outcome is not None else ReleaseAudit(None, None)
    finally:
        lock.release()
    markdown = run_summary_markdown(summary, outcome, audited)
    if failed:
        markdown += "\n**Crawl not ok**:\n\n" + "".join(f"- {line}\n" for line in failed)
    if blocked:
        markdown += "\n**Release blocked**: " + "; ".join(blocked.messages) + "\n"
    create_markdown_artifact(key="kcorpus-run-summary", markdown=markdown, description="kcorpus run summary")
    quality = outcome.quality_report if outcome else blocked.quality_report
    docs = outcome.data_docs_path if outcome else blocked.data_docs_path
    for key, path, text in (("kcorpus-quality-report", quality, "Quality report"),
                            ("kcorpus-audit-report", audited.report, "Audit report"),
                            ("kcorpus-data-docs", docs, "Great Expectations Data Docs")):
        if path:
            publish_link(data_home, key, path, text, base_url)
    messages = failed + (["release blocked by the quality gate: " + "; ".join(blocked.messages)] if blocked else [])
    if messages:
        # the run ends Failed with the reasons (a returned state: no traceback for a decided outcome)
        return Failed(message="; ".join(messages), data=RunFailed(
            {"run_id": summary["run_id"], "release": outcome.release.version if outcome else None,
             "outcomes": summary["outcomes"], "messages": messages}, "; ".join(messages)))
    return {"run_id": summary["run_id"], "release": outcome.release.version,
            "report": str(audited.report) if audited.report else None}


def publish_link(home: DataHome, key: str, path, text: str, base_url: str | None = None) -> None:
    """A report as a Prefect artifact: a link where reports/ is published (--base-url, KCORPUS_BASE_URL),
    else its place in the data home as text; never a file:// path of the machine that ran the flow."""
    from flows.audit import in_home, published_link

    link = published_link(home, path, base_url)
    if link:
        create_link_artifact(key=key, link=link, link_text=text)
    else:
        create_markdown_artifact(key=key, markdown=f"{text}: `{in_home(home, path)}` in the data home "
                                                   f"(set KCORPUS_BASE_URL to link it)", description=text)


def build_deployment(cron: str, *, home: str, sites: list[str] | None = None, name: str = DEPLOYMENT_NAME,
                     revisit_budget: int | None = None, replay_port: int | None = None, base_url: str | None = None):
    """The deployment `kcorpus schedule` serves: scheduled_refresh on a cron schedule (`revisit_budget`:
    known articles re-checked per site and run, see scrapers/revisit.py; `replay_port`: every request
    answered by the replay server on 127.0.0.1:port, `kcorpus schedule --replay`, with no delay).

    One run at a time (Prefect's concurrency limit on the deployment): a run that comes due while the
    last one still holds the data home is cancelled by Prefect, not left to fail on the writer lock."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    parameters = {"home": home, "sites": sites}
    if base_url:
        parameters["base_url"] = base_url
    settings = {}
    if revisit_budget is not None:
        settings["revisit_budget"] = revisit_budget
    if replay_port is not None:
        parameters["replay_port"] = replay_port
        settings["delay"] = 0.0
    if settings:
        parameters["settings"] = settings
    return scheduled_refresh.to_deployment(
        name=name, cron=cron, parameters=parameters, description="kcorpus: refresh, validate, release and audit",
        concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW))


def check_cron(cron: str) -> None:
    """Refuse a malformed cron schedule (ValueError in words) before any server is asked."""
    from prefect.client.schemas.schedules import CronSchedule
    try:
        CronSchedule(cron=cron)
    except ValueError:  # pydantic's ValidationError is a ValueError
        raise ValueError(f"bad cron schedule {cron!r} (five fields: minute hour day month weekday, "
                         f"e.g. \"0 3 * * *\")") from None


def serve_schedule(cron: str, *, home: str, sites: list[str] | None = None, revisit_budget: int | None = None,
                   on_ready=lambda: None, replay: list | None = None, base_url: str | None = None):
    """Serve the scheduled run's deployment on a running Prefect server until interrupted (a configured
    server that does not answer is one line, flows.server.PrefectUnreachable); `on_ready()` is called
    once the server answered, before serving."""
    import os

    from prefect import serve

    from flows.server import ensure_api

    if not os.environ.get("PREFECT_API_URL"):
        raise RuntimeError("no Prefect server configured: run `prefect server start` in another terminal, then "
                           "`export PREFECT_API_URL=http://127.0.0.1:4200/api` and try again")
    ensure_api()
    if not replay:
        on_ready()
        serve(build_deployment(cron, home=home, sites=sites, revisit_budget=revisit_budget, base_url=base_url))
        return
    from replay.server import ReplayServer

    with ReplayServer(replay) as server:  # an offline try: the scheduled runs crawl this replay
        on_ready()
        serve(build_deployment(cron, home=home, sites=sites, revisit_budget=revisit_budget, replay_port=server.port,
                               base_url=base_url))
