"""Revisit policy: back off while unchanged, tighten after a change, a per-run budget, the re-check bound."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from scrapers.revisit import (CHANGED, FAILED, UNCHANGED, RevisitPolicy, Schedule, next_schedule,
                              plan_revisits, policy_from_table)

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
POLICY = RevisitPolicy(min_days=1, max_days=30, factor=2, budget=None)


def checked(url: str, days_ago: float, interval: float, result: str = UNCHANGED) -> Schedule:
    last = NOW - days_ago * DAY
    return Schedule(url, last, interval, last + interval * DAY, last_result=result)


def test_interval_doubles_while_unchanged_up_to_the_bound():
    schedule, intervals, now = None, [], NOW
    schedule = next_schedule(POLICY, None, "u", CHANGED, now)       # first answer: a new page
    for _ in range(7):
        now = schedule.next_due
        schedule = next_schedule(POLICY, schedule, "u", UNCHANGED, now)
        intervals.append(schedule.interval_days)
    assert intervals == [2, 4, 8, 16, 30, 30, 30]
    assert schedule.unchanged == 7 and schedule.last_checked == now


def test_a_change_tightens_the_interval_back_to_the_minimum():
    slow = checked("u", 16, 16)
    after = next_schedule(POLICY, slow, "u", CHANGED, NOW)
    assert (after.interval_days, after.next_due, after.last_change, after.unchanged) == (1, NOW + DAY, NOW, 0)


def test_a_failed_check_is_retried_at_the_minimum_and_keeps_the_older_check():
    """A timeout or 503 says nothing about the page: it was NOT checked, so it is asked again soon."""
    slow = checked("u", 16, 16)
    after = next_schedule(POLICY, slow, "u", FAILED, NOW)
    assert after.last_checked == slow.last_checked
    assert (after.interval_days, after.next_due, after.last_result) == (1, NOW + DAY, FAILED)
    # the next answer after a failure starts the backoff again from the minimum
    answered = next_schedule(POLICY, after, "u", UNCHANGED, NOW + DAY)
    assert answered.interval_days == 1


def test_a_page_turning_gone_is_a_change_and_staying_gone_backs_off():
    alive = checked("u", 8, 8)
    turned = next_schedule(POLICY, alive, "u", UNCHANGED, NOW, gone=True)
    assert (turned.last_result, turned.interval_days, turned.gone) == (CHANGED, 1, True)
    still = next_schedule(POLICY, turned, "u", UNCHANGED, NOW + DAY, gone=True)
    assert (still.last_result, still.interval_days) == (UNCHANGED, 2)


def test_budget_is_never_exceeded_and_the_most_overdue_go_first():
    schedules = {f"u{i}": checked(f"u{i}", days_ago=2 + i, interval=2) for i in range(10)}  # u9 most overdue
    plan = plan_revisits(replace(POLICY, budget=3), list(schedules), schedules, NOW)
    assert plan.fetch == ["u9", "u8", "u7"]
    assert len(plan.deferred) == 7 and plan.deferred[0] == "u6"
    assert plan.next_due == NOW   # deferred URLs are due now: the next run takes them first


def test_urls_near_the_bound_go_before_merely_overdue_ones():
    schedules = {"fresh-changer": checked("fresh-changer", days_ago=5, interval=1),   # 4 days overdue
                 "at-bound": checked("at-bound", days_ago=29.5, interval=30)}         # due in half a day
    plan = plan_revisits(replace(POLICY, budget=1), list(schedules), schedules, NOW)
    assert plan.fetch == ["at-bound"] and plan.deferred == ["fresh-changer"]


def test_not_due_urls_are_not_fetched_and_the_next_due_date_is_reported():
    schedules = {"a": checked("a", days_ago=1, interval=8), "b": checked("b", days_ago=3, interval=4)}
    plan = plan_revisits(POLICY, list(schedules), schedules, NOW)
    assert (plan.fetch, plan.deferred, plan.not_due) == ([], [], 2)
    assert plan.next_due == NOW + DAY
    assert plan.summary(POLICY)["next_due"] == "2026-11-26T03:00:00Z"


def test_a_known_url_without_schedule_is_due_first():
    """A crawl state from before the policy, or a URL that never answered: due since forever."""
    schedules = {"old": checked("old", days_ago=20, interval=8)}
    plan = plan_revisits(replace(POLICY, budget=1), ["never", "old"], schedules, NOW)
    assert plan.fetch == ["never"] and plan.deferred == ["old"]


def test_a_budget_too_small_for_the_bound_says_so():
    schedules = {f"u{i}": checked(f"u{i}", days_ago=1, interval=30) for i in range(3000)}
    plan = plan_revisits(replace(POLICY, budget=50), list(schedules), schedules, NOW)
    assert plan.required == 100
    assert "revisit budget 50 is below the 100 re-checks per run" in plan.warning
    assert "every 30 days" in plan.warning
    enough = plan_revisits(replace(POLICY, budget=100), list(schedules), schedules, NOW)
    assert enough.warning == ""


def test_urls_deferred_past_the_bound_are_counted_in_the_warning():
    schedules = {f"u{i}": checked(f"u{i}", days_ago=31, interval=30) for i in range(5)}
    plan = plan_revisits(replace(POLICY, budget=2), list(schedules), schedules, NOW)
    assert plan.over_bound == 3
    assert plan.warning.startswith("3 URLs deferred past the 30-day re-check bound")


def test_a_run_a_little_early_still_takes_what_is_due_today():
    schedules = {"u": checked("u", days_ago=0.99, interval=1)}
    assert plan_revisits(POLICY, ["u"], schedules, NOW).fetch == ["u"]


def test_bound_holds_over_simulated_runs_when_the_budget_suffices():
    """300 pages, a bound of 30 days, a budget of 12 a day (10 needed): no page is ever staler than
    the bound, whatever mix of changing and unchanging pages."""
    policy = replace(POLICY, budget=12)
    urls = [f"u{i:03}" for i in range(300)]
    schedules: dict[str, Schedule] = {}
    worst = timedelta(0)
    for day in range(90):
        now = NOW + day * DAY
        plan = plan_revisits(policy, urls, schedules, now)
        assert len(plan.fetch) <= 12
        for url in plan.fetch:
            result = CHANGED if int(url[1:]) % 7 == 0 else UNCHANGED
            schedules[url] = next_schedule(policy, schedules.get(url), url, result, now)
        if day >= 30:
            worst = max(worst, max(now - s.last_checked for s in schedules.values()))
    assert len(schedules) == 300 and worst <= 30 * DAY


def test_policy_from_profile_table_and_command_line_budget():
    assert policy_from_table({}) is None
    assert policy_from_table({}, budget_override=10) == RevisitPolicy(budget=10)
    policy = policy_from_table({"min_days": 2, "max_days": 14, "factor": 3, "budget": 40})
    assert policy == RevisitPolicy(2, 14, 3, 40)
    assert policy_from_table({"budget": 40}, budget_override=5).budget == 5
    with pytest.raises(ValueError, match="unknown keys: max"):
        policy_from_table({"max": 3})
    with pytest.raises(ValueError, match="min_days <= max_days"):
        policy_from_table({"min_days": 40, "max_days": 30})


def test_every_builtin_profile_revisit_table_parses():
    from core.profiles import builtin_profiles
    for profile in builtin_profiles().values():
        policy_from_table(profile.revisit)


# --- the crawl state ---------------------------------------------------------------------------

def test_schedules_round_trip_through_the_crawl_state(tmp_path):
    from scrapers.state import CrawlState
    state = CrawlState(tmp_path / "state.sqlite")
    first = next_schedule(POLICY, None, "https://a/1", CHANGED, NOW)
    state.record_revisits("kancc", [first, next_schedule(POLICY, None, "https://a/2", FAILED, NOW)])
    back = state.revisit_schedules("kancc")
    assert back["https://a/1"] == first
    assert back["https://a/2"].last_checked is None and back["https://a/2"].last_result == FAILED
    state.record_revisits("kancc", [next_schedule(POLICY, first, "https://a/1", UNCHANGED, NOW + DAY)])
    assert state.revisit_schedules("kancc")["https://a/1"].interval_days == 2
    assert state.next_checks("kancc")["https://a/1"] == "2026-11-28T03:00:00Z"


def test_an_old_crawl_state_gets_the_revisit_table_with_its_last_checks(tmp_path):
    """A state file from before the policy: its known URLs are scheduled as due since their last
    usable answer (so the stalest go first), a URL that never answered has no row (due first)."""
    from scrapers.state import SCHEMA, CrawlState
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    for url, status, at in [("https://a/1", 200, "2026-10-01T00:00:00Z"), ("https://a/1", 304, "2026-10-05T00:00:00Z"),
                            ("https://a/2", 404, "2026-10-03T00:00:00Z"), ("https://a/3", 503, "2026-10-04T00:00:00Z")]:
        db.execute("INSERT INTO captures(run_id, site, url, kind, record_type, status, headers, warc_file, "
                   "warc_offset, record_id, captured_at) VALUES ('r', 'kancc', ?, 'article', 'response', ?, '{}', "
                   "'w', 0, 'id', ?)", (url, status, at))
        db.execute("INSERT OR REPLACE INTO urls(url, site, kind, first_run, last_run, gone) VALUES (?, 'kancc', "
                   "'article', 'r', 'r', ?)", (url, int(status == 404)))
    db.commit()
    db.close()
    state = CrawlState(path)
    schedules = state.revisit_schedules("kancc")
    assert set(schedules) == {"https://a/1", "https://a/2"}
    assert schedules["https://a/1"].last_checked == datetime(2026, 10, 5, tzinfo=timezone.utc)
    assert schedules["https://a/2"].gone
    plan = plan_revisits(replace(POLICY, budget=2), state.known_urls("kancc"), schedules, NOW)
    assert plan.fetch == ["https://a/3", "https://a/2"] and plan.deferred == ["https://a/1"]
    state.close()
    CrawlState(path).close()   # opening it again migrates nothing twice


# --- end to end: a refresh over a local replay ----------------------------------------------------

def test_second_refresh_rechecks_only_what_is_due_and_deferred_documents_stay_released(tmp_path):
    """Refresh and release; three days later, a refresh with a budget of 2 per site re-checks only the
    2 most overdue known articles of each site, reports the rest as deferred (not failed, not gone,
    outcome ok), and the next release keeps every deferred document unchanged, shown as not checked
    with its last check and its next due date, none removed."""
    import json

    from core.datahome import DataHome
    from corpus.manifest import read_manifest
    from flows.audit import after_release, document_history
    from flows.crawl import refresh
    from flows.release import validate_and_release
    from scrapers.fetch import CrawlSettings
    from replay.server import ReplayServer
    from scrapers.state import CrawlState
    from tests.test_faults import SITES, SNAPSHOT_1

    budget = CrawlSettings(delay=0, retries=0, timeout=5, revisit_budget=2)
    home = DataHome.resolve(tmp_path / "home").ensure()
    with ReplayServer([SNAPSHOT_1]) as server:
        first = refresh(home, SITES, settings=budget, replay_port=server.port)
        # every article is new: fetched whatever the budget
        assert all(first["crawl"][s]["new_articles"] == first["crawl"][s]["articles"] > 2 for s in SITES)
        release_1 = validate_and_release(home, version="2026.11.25").release
        again = refresh(home, SITES, settings=budget, replay_port=server.port)
        # the same day: nothing known is due yet
        assert all(again["crawl"][s]["articles"] == 0 and again["crawl"][s]["revisit"]["not_due"] > 0 for s in SITES)
        state = CrawlState(home.state_db)
        known = {s: state.known_urls(s) for s in SITES}
        stale = {s: sorted(known[s])[:2] for s in SITES}
        with state.transaction() as db:   # three days pass; two URLs per site were checked a day earlier
            db.execute("UPDATE revisits SET last_checked = '2026-11-01T00:00:00Z', next_due = '2026-11-02T00:00:00Z'")
            for s in SITES:
                db.executemany("UPDATE revisits SET last_checked = '2026-10-31T00:00:00Z', "
                               "next_due = '2026-11-01T00:00:00Z' WHERE url = ?", [(u,) for u in stale[s]])
        state.close()
        third = refresh(home, SITES, settings=budget, replay_port=server.port)
    state = CrawlState(home.state_db)
    for site in SITES:
        crawl = third["crawl"][site]
        assert (crawl["articles"], crawl["deferred"]) == (2, len(known[site]) - 2)
        assert third["outcomes"][site]["outcome"] == "ok" and not crawl["failed"] and crawl["gone"] == 0
        asked = {r["url"] for r in state.run_captures(third["run_id"], site, kind="article")}
        assert asked == set(stale[site])
        assert crawl["revisit"]["next_due"] and crawl["revisit"]["bound_days"] == 30
        assert third["clean"][site]["retired"] == [] and third["clean"][site]["not_checked"] == []
    state.close()
    release_2 = validate_and_release(home, version="2026.11.28").release
    old, new = read_manifest(release_1.path), read_manifest(release_2.path)
    old_entries = {e["id"]: e for e in old["documents"]}
    new_entries = {e["id"]: e for e in new["documents"]}
    assert set(new_entries) == set(old_entries)
    assert all(new_entries[i]["text_sha256"] == old_entries[i]["text_sha256"] for i in old_entries)
    deferred = [e for e in new_entries.values() if e["source_url"] not in sum(stale.values(), [])]
    assert deferred and all(e["last_checked"]["next_due"] for e in deferred)
    audit = after_release(home)
    step = audit.changes
    assert not step.of("removed")
    for site in SITES:
        row = step.not_checked[site]
        assert row["deferred"] == row["documents"] > 0 and row["next_due"]
    assert json.dumps(step.to_dict())   # the audit's JSON carries it too
    from corpus.audit_page import render_changes_text, render_history_text
    text = render_changes_text(step)
    assert "deferred by the revisit schedule, next check due 2026-" in text and "none counted as removed" in text
    assert "deferred by the revisit schedule" in audit.report.read_text(encoding="utf-8")
    history = render_history_text(document_history(home, deferred[0]["id"]))
    assert "not_checked" in history and "deferred by the revisit schedule: next check due" in history
    feed = (home.root / "reports" / "feeds" / "all.atom").read_text(encoding="utf-8")
    assert "deferred by the revisit schedule" in feed


def test_new_urls_are_fetched_outside_the_budget_and_deferred_ones_are_no_fault(tmp_path):
    """Budget 0: the known posts are all deferred, the new one is still fetched, the crawl is ok and
    nothing counts as failed, gone or not checked."""
    from core.profiles import get_profile
    from scrapers.crawl import crawl_site
    from scrapers.fetch import make_client
    from replay.server import ReplayServer
    from scrapers.state import CrawlState
    from tests.test_scrapers import BOARD, FAST, _list_page, _post, site_pages, write_snapshot

    profile = replace(get_profile("kancc"), revisit={"min_days": 1, "max_days": 30, "budget": 0})
    pages = site_pages()
    state = CrawlState(tmp_path / "home" / "state.sqlite")

    def crawl(snapshot, run_id):
        with ReplayServer([snapshot]) as server, make_client(FAST, server.port) as client:
            return crawl_site(profile, state=state, warc_dir=tmp_path / "home" / "warc", run_id=run_id,
                              client=client, settings=FAST, start_urls=[f"{BOARD}&page=1"])

    first = crawl(write_snapshot(tmp_path / "s1", pages), "run1")
    assert (first.new_articles, first.articles, first.deferred) == (3, 3, 0)
    with state.transaction() as db:
        db.execute("UPDATE revisits SET next_due = '2026-01-01T00:00:00Z'")
    pages[f"{BOARD}&wr_id=104"] = (200, _post(104, "a new post"), "p104")
    pages[f"{BOARD}&page=2"] = (200, _list_page([103, 104], 2, 2), "l2b")
    second = crawl(write_snapshot(tmp_path / "s2", pages), "run2")
    assert (second.new_articles, second.articles, second.downloaded, second.deferred) == (1, 1, 1, 3)
    assert (second.outcome, second.failed, second.gone, second.not_checked) == ("ok", [], 0, 0)
    assert second.revisit["budget"] == 0 and "revisit budget 0 is below" in second.warnings[0]
    assert [r["url"] for r in state.run_captures("run2", kind="article")] == [f"{BOARD}&wr_id=104"]
    assert f"{BOARD}&wr_id=104" in state.revisit_schedules("kancc")


def test_a_crawl_records_each_check_in_the_schedule_failures_as_not_checked(tmp_path):
    from core.profiles import get_profile
    from scrapers.crawl import crawl_site
    from scrapers.fetch import make_client
    from replay.server import ReplayServer
    from scrapers.state import CrawlState
    from tests.test_scrapers import BOARD, FAST, site_pages, write_snapshot

    pages = site_pages()
    pages[f"{BOARD}&wr_id=101"] = (503, b"busy", "x")
    state = CrawlState(tmp_path / "state.sqlite")
    state.start_run("run1", ["kancc"])
    with ReplayServer([write_snapshot(tmp_path / "s", pages)]) as server, make_client(FAST, server.port) as client:
        crawl_site(get_profile("kancc"), state=state, warc_dir=tmp_path / "warc", run_id="run1", client=client,
                   settings=FAST, start_urls=[f"{BOARD}&page=1"])
    schedules = state.revisit_schedules("kancc")
    failed, fine = schedules[f"{BOARD}&wr_id=101"], schedules[f"{BOARD}&wr_id=102"]
    assert (failed.last_result, failed.last_checked) == (FAILED, None)
    assert (fine.last_result, fine.interval_days) == (CHANGED, 1) and fine.last_checked is not None
    assert failed.next_due - datetime.now(timezone.utc) < timedelta(days=1)
    # `kcorpus status` shows the schedule at a glance
    import json

    from typer.testing import CliRunner

    from kcorpus.cli import app
    report = json.loads(CliRunner().invoke(app, ["status", "--json", "--home", str(tmp_path)]).stdout)
    revisit = report["crawls"]["kancc"]["revisit"]
    assert (revisit["scheduled"], revisit["due_now"]) == (3, 0) and revisit["oldest_check"] and revisit["next_due"]
    table = CliRunner().invoke(app, ["status", "--home", str(tmp_path)]).stdout
    assert "kancc: 3 known articles scheduled for re-checks, 0 due now; oldest check 20" in table


def test_scheduled_run_carries_the_budget_and_its_summary_says_what_was_deferred():
    from flows.scheduled import build_deployment
    from flows.audit import ReleaseAudit, run_summary_markdown
    from scrapers.crawl import SiteCrawlReport

    deployment = build_deployment("0 3 * * *", home="/data", sites=["globalsecurity"], revisit_budget=500)
    assert deployment.parameters["settings"] == {"revisit_budget": 500}
    assert "settings" not in build_deployment("0 3 * * *", home="/data").parameters
    plan = plan_revisits(replace(POLICY, budget=500), [f"u{i}" for i in range(30000)], {}, NOW)
    report = SiteCrawlReport("globalsecurity", "run1", articles=500, deferred=len(plan.deferred),
                             revisit=plan.summary(replace(POLICY, budget=500)), warnings=[plan.warning])
    summary = {"run_id": "run1", "crawl": {"globalsecurity": report.to_dict()},
               "clean": {"globalsecurity": {"cleaned": [], "failures": []}}}
    markdown = run_summary_markdown(summary, None, ReleaseAudit(None, None))
    assert ("globalsecurity: revisit: 0 new URLs fetched (outside the budget), 500 known URLs re-checked (budget 500), 29500 deferred, 0 not due; "
            "every URL re-checked within 30 days (needs 1000 a run); next due 2026-11-25T03:00:00Z") in markdown
    assert ("**Warning** (globalsecurity): 29500 URLs deferred past the 30-day re-check bound; "
            "revisit budget 500 is below the 1000 re-checks per run") in markdown


def test_a_late_check_backs_off_from_the_time_the_page_really_stayed_unchanged():
    """Deferred by the budget for 10 days past a 2-day interval: unchanged over 12 days, next in 24."""
    late = next_schedule(POLICY, checked("u", days_ago=12, interval=2), "u", UNCHANGED, NOW)
    assert late.interval_days == 24
    migrated = Schedule("u", NOW - 50 * DAY, 0, NOW - 50 * DAY)   # carried over from before the policy
    assert next_schedule(POLICY, migrated, "u", UNCHANGED, NOW).interval_days == 30
