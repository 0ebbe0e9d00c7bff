"""Revisit policy: which known article URLs a scheduled refresh re-checks this run, within a request budget.

Against a live site at one request a second, re-checking every archived page on every run does not
scale (30,000 GlobalSecurity pages: over 8 hours per run). The policy re-checks a known page on a
schedule of its own: the interval doubles (`factor`) each time a check finds the page unchanged (from
the time it really went unchecked, when a check came late), up to `max_days`, and drops back to `min_days` after a change. A check that got no answer (timeout, 403, 5xx,
a replay that does not hold the URL) is not a check: the page is retried after `min_days`, and its
last check stays the older one. `max_days` is the stated re-check bound: a page whose last check would
be older than the bound by the next run is re-checked first, before anything merely due.

List pages are fetched every run and new article URLs (never fetched) immediately, outside the budget:
a new article is what the archive exists for, and their number per run is bounded by the list pages.

Everything here is pure (no I/O): the crawl state (scrapers/state.py) stores each URL's `Schedule`, the
crawler (scrapers/crawl.py) asks `plan_revisits` what to fetch and `next_schedule` what to store after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping

# Results of one check of a known URL, as the schedule sees them.
CHANGED = "changed"        # a new payload (or the page's first answer, or newly gone): tighten
UNCHANGED = "unchanged"    # 304, identical payload, or the same 404/410 as before: back off
FAILED = "failed"          # no usable answer: not checked, retry soon


@dataclass(frozen=True)
class RevisitPolicy:
    """One site's revisit schedule (the profile's [revisit] table).

    min_days       interval after a change, after a new page, and before retrying a failed check
    max_days       the re-check bound: every known page is re-checked at least this often while the
                   budget suffices (and the intervals never grow past it)
    factor         how much the interval grows after each unchanged check
    budget         known URLs re-checked per run at most (None: no limit); new URLs are outside it
    run_every_days how often the scheduled refresh runs (the cron), to judge whether the budget can
                   keep the bound
    """

    min_days: float = 1.0
    max_days: float = 30.0
    factor: float = 2.0
    budget: int | None = None
    run_every_days: float = 1.0

    def __post_init__(self):
        if not 0 < self.min_days <= self.max_days:
            raise ValueError(f"[revisit] needs 0 < min_days <= max_days (got {self.min_days}, {self.max_days})")
        if self.factor < 1:
            raise ValueError(f"[revisit] factor must be at least 1 (got {self.factor})")
        if self.budget is not None and self.budget < 0:
            raise ValueError(f"[revisit] budget must be 0 or more (got {self.budget})")
        if self.run_every_days <= 0:
            raise ValueError(f"[revisit] run_every_days must be positive (got {self.run_every_days})")

    def required_budget(self, known: int) -> int:
        """Re-checks per run needed to visit `known` pages once per bound: known × run period / bound."""
        return math.ceil(known * self.run_every_days / self.max_days)


def policy_from_table(table: Mapping | None, budget_override: int | None = None) -> RevisitPolicy | None:
    """The policy of a profile's [revisit] table; None (re-check every known URL every run) without
    one, unless a budget is given on the command line (then the default policy with that budget).

    >>> policy_from_table({"min_days": 2, "max_days": 28, "budget": 500}).required_budget(14000)
    500
    >>> policy_from_table(None) is None
    True
    """
    if not table and budget_override is None:
        return None
    table = dict(table or {})
    unknown = set(table) - {"min_days", "max_days", "factor", "budget", "run_every_days"}
    if unknown:
        raise ValueError(f"[revisit] has unknown keys: {', '.join(sorted(unknown))}")
    policy = RevisitPolicy(
        min_days=float(table.get("min_days", 1.0)), max_days=float(table.get("max_days", 30.0)),
        factor=float(table.get("factor", 2.0)),
        budget=int(table["budget"]) if table.get("budget") is not None else None,
        run_every_days=float(table.get("run_every_days", 1.0)))
    return replace(policy, budget=budget_override) if budget_override is not None else policy


@dataclass(frozen=True)
class Schedule:
    """What the crawl state holds about one known URL's re-checks.

    last_checked   when the page last gave a usable answer (None: never)
    interval_days  the current interval (grows while unchanged)
    next_due       when it should be asked again
    unchanged      how many checks in a row found it unchanged
    last_change    when a check last found a new payload
    last_result    changed | unchanged | failed; and whether that answer was "gone" (404/410)
    """

    url: str
    last_checked: datetime | None
    interval_days: float
    next_due: datetime
    unchanged: int = 0
    last_change: datetime | None = None
    last_result: str = CHANGED
    gone: bool = False


def next_schedule(policy: RevisitPolicy, previous: Schedule | None, url: str, result: str,
                  now: datetime, gone: bool = False) -> Schedule:
    """The schedule after one check of `url` at `now` that gave `result` (CHANGED, UNCHANGED, FAILED).

    A page that answered 404/410 as it did last time is unchanged (a deleted page is still re-checked,
    ever more rarely); one that turned gone, or came back, changed.
    """
    if result == FAILED:
        # not checked: the old check stands, the interval starts again from the minimum
        return Schedule(url, previous.last_checked if previous else None, policy.min_days,
                        now + _days(policy.min_days), 0, previous.last_change if previous else None,
                        FAILED, previous.gone if previous else False)
    if result == UNCHANGED and previous is not None and previous.gone != gone:
        result = CHANGED
    if result == UNCHANGED and previous is not None:
        # the page stayed the same for as long as it went unchecked (a deferred page for longer than its
        # interval): that longer quiet is what the interval grows from
        quiet = (now - previous.last_checked) / _days(1) if previous.last_checked else 0.0
        grown = (max(previous.interval_days, quiet) * policy.factor if previous.last_result != FAILED
                 else policy.min_days)
        interval = min(policy.max_days, max(policy.min_days, grown))
        return Schedule(url, now, interval, now + _days(interval), previous.unchanged + 1,
                        previous.last_change, UNCHANGED, gone)
    return Schedule(url, now, policy.min_days, now + _days(policy.min_days), 0, now, CHANGED, gone)


@dataclass
class RevisitPlan:
    """This run's re-checks of known URLs.

    fetch       URLs to request, most urgent first (len <= budget)
    deferred    due (or never scheduled) URLs left for a later run by the budget
    not_due     URLs whose next check is after this run
    over_bound  of the deferred: URLs whose last check will be older than the bound by the next run
    next_due    the earliest next check among the URLs not fetched (None when every URL is fetched)
    required    re-checks per run the bound needs (known URLs × run period / bound)
    warning     a sentence when the budget cannot keep the bound, else ""
    """

    fetch: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    not_due: int = 0
    over_bound: int = 0
    next_due: datetime | None = None
    required: int = 0
    warning: str = ""

    def summary(self, policy: RevisitPolicy) -> dict:
        """The plan in plain numbers (for the crawl report and the run's outcome record)."""
        return {"rechecked": len(self.fetch), "deferred": len(self.deferred), "not_due": self.not_due,
                "over_bound": self.over_bound, "budget": policy.budget, "required_budget": self.required,
                "bound_days": policy.max_days,
                "next_due": iso(self.next_due) if self.next_due else None, "warning": self.warning}


def plan_revisits(policy: RevisitPolicy, known: Iterable[str], schedules: Mapping[str, Schedule],
                  now: datetime) -> RevisitPlan:
    """Which of the `known` URLs to re-check at `now`, within the budget.

    Order: first the URLs whose last check would pass the bound before the next run (earliest bound
    first: earliest-deadline-first keeps every bound whenever any order could), then the URLs that are
    due, most overdue first; a known URL without a schedule (a state from before the policy, or a URL
    that never answered) counts as due since forever. Whatever does not fit the budget is deferred.
    """
    next_run = now + _days(policy.run_every_days)
    # a run starts a little later or earlier each day: a URL due within a tenth of the run period is due
    soon = now + _days(policy.run_every_days / 10)
    bound = _days(policy.max_days)
    urgent: list[tuple[datetime, str]] = []
    due: list[tuple[datetime, str]] = []
    plan = RevisitPlan()
    count = 0
    later: datetime | None = None
    for url in known:
        count += 1
        schedule = schedules.get(url)
        if schedule is None or schedule.last_checked is None:
            if schedule is not None and schedule.next_due > soon:   # a failure waiting for its retry
                plan.not_due += 1
                later = _earliest(later, schedule.next_due)
            else:
                urgent.append((_NEVER, url))
            continue
        deadline = schedule.last_checked + bound
        if deadline <= next_run and schedule.next_due <= next_run:
            urgent.append((deadline, url))
        elif schedule.next_due <= soon:
            due.append((schedule.next_due, url))
        else:
            plan.not_due += 1
            later = _earliest(later, schedule.next_due)
    urgent.sort()
    due.sort()
    ordered = urgent + due
    limit = len(ordered) if policy.budget is None else policy.budget
    plan.fetch = [url for _, url in ordered[:limit]]
    plan.deferred = [url for _, url in ordered[limit:]]
    plan.over_bound = max(0, len(urgent) - limit)
    if plan.deferred:
        later = _earliest(later, now)  # deferred URLs are due now: the next run takes them first
    plan.next_due = later
    plan.required = policy.required_budget(count)
    if policy.budget is not None and policy.budget < plan.required:
        plan.warning = (f"revisit budget {policy.budget} is below the {plan.required} re-checks per run that "
                        f"{count} known URLs need to be re-checked every {policy.max_days:g} days: some "
                        f"will be checked later than that")
    if plan.over_bound:
        plan.warning = (f"{plan.over_bound} URLs deferred past the {policy.max_days:g}-day re-check bound"
                        + (f"; {plan.warning}" if plan.warning else ""))
    return plan


def describe(summary: Mapping) -> str:
    """A crawl report's revisit numbers (RevisitPlan.summary) in one line, "" without a policy.

    >>> describe({"rechecked": 40, "deferred": 12, "not_due": 900, "budget": 40, "bound_days": 30.0,
    ...           "next_due": "2026-11-26T03:00:00Z", "required_budget": 32, "new": 3})
    'revisit: 3 new URLs fetched (outside the budget), 40 known URLs re-checked (budget 40), 12 deferred, 900 not due; every URL re-checked within 30 days (needs 32 a run); next due 2026-11-26T03:00:00Z'
    """
    if not summary:
        return ""
    budget = summary.get("budget")
    return (f"revisit: {summary.get('new', 0)} new URLs fetched (outside the budget), "
            f"{summary['rechecked']} known URLs re-checked"
            f" ({'no budget' if budget is None else f'budget {budget}'}), {summary['deferred']} deferred, "
            f"{summary['not_due']} not due; every URL re-checked within {summary['bound_days']:g} days"
            f" (needs {summary['required_budget']} a run)"
            + (f"; next due {summary['next_due']}" if summary.get("next_due") else ""))


_NEVER = datetime.min.replace(tzinfo=timezone.utc)


def _days(days: float) -> timedelta:
    return timedelta(days=days)


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


def iso(moment: datetime) -> str:
    """A UTC datetime as the crawl state writes it ("2026-11-25T12:00:00Z")."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    """A crawl-state timestamp ("2026-11-25T12:00:00Z", with or without fractions) as an aware datetime."""
    moment = datetime.fromisoformat(value)   # Python 3.11 reads the "Z"
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
