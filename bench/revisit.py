"""The revisit policy at archive scale: a budget per run, and the stated re-check bound kept (or said broken).

    .venv/bin/python bench/revisit.py                       # 100k URLs, 60 daily runs, budget 4000, then 2000
    .venv/bin/python bench/revisit.py --urls 20000 --days 40 --budget 800 --small-budget 400 --pages 300

Part 1 builds a crawl state (a temporary SQLite file, through CrawlState) with --urls known article URLs
of varied histories — checked 0-29 days ago at intervals of 1-30 days, a few that never answered — and
simulates --days daily scheduled runs: each run loads the schedules from the state, plans with
scrapers/revisit.py, "checks" the planned URLs (2% of pages change often, the rest rarely; 1% of checks
fail) and stores the new schedules. Per run it prints the URLs due, sent (never more than the budget),
deferred, the oldest last check that answered and the pages past the bound only because their last
check failed (not a check: retried at min_days); at the end the stated bound and the worst staleness observed after
the first bound's worth of runs. It does it twice: with --budget (enough for the bound) and with
--small-budget (too small: the planner must say so every run). Then the planner's time and memory.

Part 2 is end to end: --pages synthetic pages served by the local replay server, a first refresh (all
new: fetched whatever the budget), three simulated days, then a refresh with a budget of 10% of the
known URLs per site: the requests it sent are counted from the crawl state.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrapers.revisit import (CHANGED, FAILED, UNCHANGED, RevisitPolicy, Schedule, next_schedule,  # noqa: E402
                              plan_revisits)
from scrapers.state import CrawlState  # noqa: E402

SITE = "globalsecurity"
DAY = timedelta(days=1)
START = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)


def url_of(i: int) -> str:
    return f"https://www.globalsecurity.org/wmd/library/news/dprk/{2003 + i % 20}/dprk-{i:06}-kcna01.htm"


def build_state(path: Path, n: int, rng: random.Random) -> CrawlState:
    """A crawl state with `n` known article URLs and schedules of every kind (direct inserts)."""
    state = CrawlState(path)
    urls = [url_of(i) for i in range(n)]
    schedules = []
    for url in urls:
        if rng.random() < 0.002:
            continue                      # known, never answered: no schedule
        interval = rng.choice([1, 2, 4, 8, 16, 30])
        last = START - timedelta(days=rng.uniform(0, min(29, interval * 1.5)))
        result = FAILED if rng.random() < 0.01 else UNCHANGED
        schedules.append(Schedule(url, last, interval, last + interval * DAY, last_result=result))
    with state.transaction() as db:
        db.executemany("INSERT INTO urls(url, site, kind, first_run, last_run) VALUES (?, ?, 'article', 'r0', 'r0')",
                       [(u, SITE) for u in urls])
    state.record_revisits(SITE, schedules)
    return state


def check(rng: random.Random, url: str) -> str:
    """What a simulated check finds: 2% of the pages are 'hot' (change at half the checks)."""
    if rng.random() < 0.01:
        return FAILED
    hot = zlib.crc32(url.encode()) % 50 == 0
    return CHANGED if rng.random() < (0.5 if hot else 0.01) else UNCHANGED


def simulate(path: Path, n: int, days: int, policy: RevisitPolicy, label: str) -> dict:
    rng = random.Random(17)
    state = build_state(path, n, rng)
    print(f"\n{label}: {n:,} known URLs, bound {policy.max_days:g} days, budget {policy.budget} "
          f"(the bound needs {policy.required_budget(n)} a run), {days} daily runs")
    print(f"{'day':>4} {'due':>7} {'sent':>6} {'deferred':>8} {'over bound':>10} {'oldest check (days)':>20} "
          f"{'failed, past bound':>16}")
    worst, warnings, sent_max, failing_max = timedelta(0), 0, 0, 0
    for day in range(days):
        now = START + day * DAY
        known = state.known_urls(SITE)
        schedules = state.revisit_schedules(SITE)
        plan = plan_revisits(policy, known, schedules, now)
        sent_max = max(sent_max, len(plan.fetch))
        warnings += bool(plan.warning)
        after = [next_schedule(policy, schedules.get(u), u, check(rng, u), now) for u in plan.fetch]
        state.record_revisits(SITE, after)
        schedules.update((s.url, s) for s in after)
        # the bound is on checks sent: a page whose last check failed (1% here) was not checked, and
        # is counted apart (retried at min_days)
        answered = [s.last_checked for s in schedules.values() if s.last_checked and s.last_result != FAILED]
        failing = sum(1 for s in schedules.values() if s.last_result == FAILED and s.last_checked
                      and now - s.last_checked > policy.max_days * DAY)
        never = len(known) - sum(1 for s in schedules.values() if s.last_checked)
        oldest = now - min(answered)
        if day >= policy.max_days:
            worst = max(worst, oldest)
            failing_max = max(failing_max, failing)
        if day < 3 or day % 5 == 4 or day == days - 1:
            print(f"{day:>4} {len(plan.fetch) + len(plan.deferred):>7} {len(plan.fetch):>6} {len(plan.deferred):>8} "
                  f"{plan.over_bound:>10} {oldest / DAY:>20.1f} {failing:>16}" + (f"  ({never} never answered)" if never else ""))
        if day == 0 and plan.warning:
            print(f"     warning: {plan.warning}")
    state.close()
    held = worst <= policy.max_days * DAY
    print(f"stated bound {policy.max_days:g} days; worst staleness after day {policy.max_days:g}: "
          f"{worst / DAY:.1f} days — {'within the bound' if held else 'PAST THE BOUND'}; most sent in a run "
          f"{sent_max} (budget {policy.budget}); runs that warned: {warnings} of {days}; pages past the bound "
          f"because their last check failed (retried at min_days): at most {failing_max} at once")
    return {"worst_days": worst / DAY, "held": held, "sent_max": sent_max, "warnings": warnings}


def planner_cost(path: Path, n: int, policy: RevisitPolicy) -> None:
    state = build_state(path, n, random.Random(3))
    t0 = time.perf_counter()
    known = state.known_urls(SITE)
    schedules = state.revisit_schedules(SITE)
    t1 = time.perf_counter()
    plan = plan_revisits(policy, known, schedules, START)
    t2 = time.perf_counter()
    del known, schedules
    tracemalloc.start()   # a second pass for memory: tracing slows the first one's clock
    plan_revisits(policy, state.known_urls(SITE), state.revisit_schedules(SITE), START)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    state.close()
    print(f"\nplanner at {n:,} URLs: loading the schedules {t1 - t0:.2f} s, planning {t2 - t1:.2f} s, "
          f"Python heap peak {peak / 2**20:.0f} MB (schedules loaded and plan); {len(plan.fetch)} planned, "
          f"{len(plan.deferred)} deferred")


def end_to_end(pages: int, workdir: Path) -> None:
    """A refresh over a local replay; three days later a refresh with a budget sends only that many."""
    from dataclasses import replace

    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic import synthetic_pages, write_warc
    from core.datahome import DataHome
    from flows.crawl import refresh
    from scrapers.fetch import CrawlSettings
    from replay.server import ReplayServer

    snapshot = workdir / "synthetic.warc.gz"
    write_warc(synthetic_pages(pages), snapshot)
    home = DataHome.resolve(workdir / "home").ensure()
    sites = ["globalsecurity", "kancc"]
    fast = CrawlSettings(delay=0, retries=0, timeout=10)
    with ReplayServer([snapshot]) as server:
        t0 = time.perf_counter()
        first = refresh(home, sites, settings=fast, replay_port=server.port)
        t1 = time.perf_counter()
        state = CrawlState(home.state_db)
        known = {s: len(state.known_urls(s)) for s in sites}
        with state.transaction() as db:   # three days pass
            db.execute("UPDATE revisits SET last_checked = strftime('%Y-%m-%dT%H:%M:%SZ', last_checked, '-3 days'), "
                       "next_due = strftime('%Y-%m-%dT%H:%M:%SZ', next_due, '-3 days')")
        state.close()
        budget = max(1, min(known.values()) // 10)
        t2 = time.perf_counter()
        second = refresh(home, sites, settings=replace(fast, revisit_budget=budget), replay_port=server.port)
        t3 = time.perf_counter()
        everything = refresh(home, sites, settings=fast, replay_port=server.port)   # no policy: all known
        t4 = time.perf_counter()
    state = CrawlState(home.state_db)
    print(f"\nend to end over a local replay of {pages} synthetic pages (both sites):")
    print(f"first refresh: {sum(first['crawl'][s]['articles'] for s in sites)} articles fetched (all new) in {t1 - t0:.1f} s")
    for site in sites:
        crawl = second["crawl"][site]
        sent = len({r["url"] for r in state.run_captures(second["run_id"], site, kind="article")})
        print(f"refresh 3 days later, budget {budget}: {site}: {known[site]} known, {sent} article requests sent, "
              f"{crawl['deferred']} deferred, outcome {second['outcomes'][site]['outcome']} "
              f"{second['outcomes'][site]['cause']} (first run: {first['outcomes'][site]['outcome']} "
              f"{first['outcomes'][site]['cause']})")
        for warning in crawl["warnings"]:
            print(f"    warning: {warning}")
    print(f"second refresh: {t3 - t2:.1f} s; the same without a revisit policy (every known URL re-checked "
          f"conditionally): {sum(everything['crawl'][s]['articles'] for s in sites)} article requests, {t4 - t3:.1f} s")
    state.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--budget", type=int, default=4000)
    parser.add_argument("--small-budget", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=1000, help="synthetic pages for the end-to-end run (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kcorpus-revisit-") as tmp:
        tmp = Path(tmp)
        policy = RevisitPolicy(min_days=1, max_days=30, factor=2, budget=args.budget)
        simulate(tmp / "enough.sqlite", args.urls, args.days, policy, "budget enough for the bound")
        simulate(tmp / "small.sqlite", args.urls, args.days, RevisitPolicy(budget=args.small_budget),
                 "budget too small for the bound")
        planner_cost(tmp / "cost.sqlite", args.urls, policy)
        if args.pages:
            end_to_end(args.pages, tmp)


if __name__ == "__main__":
    main()
