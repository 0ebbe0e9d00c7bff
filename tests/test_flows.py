"""Prefect operations: the scheduled run and its artifacts, the deployment schedule, Dask scale-out."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from core.datahome import DataHome
from scrapers.fetch import CrawlSettings
from replay.server import ReplayServer

SNAPSHOTS = Path(__file__).resolve().parent.parent / "flows" / "snapshots"
FAST = asdict(CrawlSettings(delay=0))


def _release_texts(release_dir: Path) -> dict:
    manifest = json.loads((Path(release_dir) / "manifest.json").read_text())
    return {d["id"]: d["text_sha256"] for d in manifest["documents"]}


def test_deployment_schedule_reads_back_from_the_server(prefect_harness, tmp_path):
    from prefect.client.orchestration import get_client

    from flows.scheduled import build_deployment

    deployment_id = build_deployment("0 3 * * *", home=str(tmp_path), sites=["kancc"]).apply()
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment(deployment_id)
    assert [s.schedule.cron for s in deployment.schedules] == ["0 3 * * *"]
    assert deployment.parameters == {"home": str(tmp_path), "sites": ["kancc"]}
    # one run at a time: Prefect cancels a run due while the last one still holds the data home
    assert deployment.global_concurrency_limit.limit == 1
    assert deployment.concurrency_options.collision_strategy.value == "CANCEL_NEW"
    offline = build_deployment("0 3 * * *", home=str(tmp_path), replay_port=8123)   # kcorpus schedule --replay
    assert offline.parameters == {"home": str(tmp_path), "sites": None, "replay_port": 8123, "settings": {"delay": 0.0}}


def test_a_scheduled_run_on_a_busy_data_home_fails_in_one_line_doing_nothing(prefect_harness, tmp_path):
    from core.datahome import WriterLock
    from flows.scheduled import scheduled_refresh

    home = DataHome.resolve(tmp_path).ensure()
    with WriterLock(home, "kcorpus release"):
        state = scheduled_refresh(home=str(home.root), return_state=True)
    assert state.is_failed()
    assert state.message.startswith("data home busy: kcorpus release (pid ") and "\n" not in state.message
    assert not (home.root / "state.sqlite").exists() and list(home.releases_dir.iterdir()) == []


def test_scheduled_refresh_releases_audits_and_publishes_artifacts(prefect_harness, tmp_path, monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.scheduled import scheduled_refresh

    home = DataHome.resolve(tmp_path).ensure()
    # where this installation publishes reports/: artifacts and feeds link there, not to file:// paths
    monkeypatch.setenv("KCORPUS_BASE_URL", "https://corpus.example.org/kcorpus")
    results = []
    for name in ("snapshot-1", "snapshot-2"):
        with ReplayServer([SNAPSHOTS / f"{name}.warc.gz"]) as server:
            results.append(scheduled_refresh(home=str(home.root), replay_port=server.port, settings=FAST))
    assert results[1]["report"] and Path(results[1]["report"]).exists()
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["kcorpus-run-summary", "kcorpus-data-docs", "kcorpus-audit-report"])))
    latest = {}
    for artifact in sorted(artifacts, key=lambda a: a.created):
        latest[artifact.key] = artifact
    summary = latest["kcorpus-run-summary"].data
    assert "| globalsecurity | 16 | 2 | 13 | 1 | 0 | 2 | 0 |" in summary
    assert "2 new, 1 changed (1 upstream, 0 pipeline), 1 removed" in summary
    assert "(https://corpus.example.org/kcorpus/data_docs/" in latest["kcorpus-data-docs"].data
    # the scheduled run's audit is `kcorpus release`'s (flows.audit.after_release): the audit page, a history
    # page for each document it names, and the Atom feeds, all under reports/
    first, second = sorted(p.name for p in home.releases_dir.iterdir() if p.is_dir() and not p.is_symlink())
    report = home.reports_dir / f"audit-{first}-{second}.html"
    assert f"(https://corpus.example.org/kcorpus/{report.name})" in latest["kcorpus-audit-report"].data
    assert Path(results[1]["report"]) == report
    assert "moved" in report.read_text(encoding="utf-8") or "removed" in report.read_text(encoding="utf-8")
    assert len(list((home.reports_dir / "history").glob("*.html"))) >= 4   # 2 new, 1 changed, 1 removed
    assert (home.reports_dir / "feeds" / "all.atom").exists() and (home.reports_dir / "feeds" / second / "all.atom").exists()
    feed = (home.reports_dir / "feeds" / "all.atom").read_text(encoding="utf-8")
    assert f'href="https://corpus.example.org/kcorpus/{report.name}#' in feed and "file://" not in feed


def test_dask_task_runner_gives_the_same_release_as_threads(prefect_harness, tmp_path, monkeypatch):
    from prefect_dask import DaskTaskRunner

    import flows.refresh
    from flows.refresh import refresh, release

    # the crawl writes the WARC files and the crawl state: under Dask too it runs in the flow process
    # (a worker process would not see this wrapper), and only the cleaning batches go to the workers
    crawled_here, real_crawl = [], flows.refresh.crawl
    monkeypatch.setattr(flows.refresh, "crawl", lambda home, site, *a, **k: crawled_here.append(site) or real_crawl(home, site, *a, **k))
    outcomes = []
    for name, runner in (("threads", None), ("dask", DaskTaskRunner(cluster_kwargs={"n_workers": 2, "processes": True, "threads_per_worker": 1}))):
        home = DataHome.resolve(tmp_path / name).ensure()
        flow = refresh.with_options(task_runner=runner) if runner else refresh
        with ReplayServer([SNAPSHOTS / "snapshot-1.warc.gz"]) as server:
            summary = flow(home=str(home.root), replay_port=server.port, settings=FAST)
        assert sum(c["downloaded"] for c in summary["crawl"].values()) == 33  # 27 articles + 2 soft-404 pages + kcna.kp 2 + Rodong 2
        outcomes.append(release(home=str(home.root)))
    assert sorted(crawled_here) == sorted(list(summary["crawl"]) * 2)   # threads, then Dask: every site here
    assert _release_texts(outcomes[0].release.path) == _release_texts(outcomes[1].release.path)
    assert len(_release_texts(outcomes[1].release.path)) == 31


def test_cleaning_in_a_process_pool_gives_the_documents_of_one_process(tmp_path, monkeypatch):
    """Cleaning is a pure function of the captured bytes: two spawned worker processes, small batches,
    return exactly the documents (and refusals) of the sequential path, in job order."""
    import shutil

    from warcio.archiveiterator import ArchiveIterator

    import flows.clean
    from core.profiles import get_profile

    warc = shutil.copy(SNAPSHOTS / "snapshot-1.warc.gz", tmp_path / "snapshot-1.warc.gz")
    jobs = []
    with open(warc, "rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            url = record.rec_headers.get_header("WARC-Target-URI")
            site = next((s for s in ("globalsecurity", "kancc") if get_profile(s).document_id(url or "")), None)
            if record.rec_type == "response" and site:
                jobs.append({"site": site, "url": url, "warc_file": "snapshot-1.warc.gz",
                             "warc_offset": records.get_record_offset(),
                             "provenance": {"payload_digest": record.rec_headers.get_header("WARC-Payload-Digest")}})
    assert len(jobs) >= 19
    monkeypatch.setattr(flows.clean, "POOL_MIN_PAGES", 1)
    monkeypatch.setattr(flows.clean, "POOL_CHUNK", 4)
    sequential = flows.clean.clean_captures(str(tmp_path), jobs)
    pooled = flows.clean.clean_in_processes(str(tmp_path), jobs, workers=2)
    assert pooled == sequential
    assert sum("document" in r for r in pooled) >= 19


def test_batches_dealt_round_robin_come_back_in_job_order():
    """Dask batches take every site's pages in turn (a memoir chapter costs six news items), and the
    results are put back in job order before anything is stored."""
    from flows.clean import gather, spread

    for total in (0, 1, 7, 100):
        jobs = [f"job{i}" for i in range(total)]
        for batches in (1, 2, 3, 8):
            dealt = spread(jobs, batches)
            assert sorted(sum(dealt, [])) == sorted(jobs) and len(dealt) == max(1, min(batches, total))
            assert gather([[j.upper() for j in batch] for batch in dealt], total) == [j.upper() for j in jobs]
    assert spread(["a", "b", "c", "d", "e"], 2) == [["a", "c", "e"], ["b", "d"]]
