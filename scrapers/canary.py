"""Layout canaries: a site that changed its markup must not be archived as a site that lost its articles.

A public KCNA corpus once wrote 0 documents for a whole layout era without noticing: its selectors
found nothing and nothing said so. Each crawl's figures are compared with the site's last `ok` crawl;
a drop beyond the profile's thresholds ([canary] in core/profiles/<site>.toml) marks the site
`changed-layout`, which blocks its release until the profile is fixed (or --allow-partial).
"""

from __future__ import annotations

from statistics import median

# Used when a profile has no [canary] table: generous, so only a real break trips them.
DEFAULT_THRESHOLDS = {
    "max_no_body_rise": 0.3,       # share of article pages whose profile extraction found no body: +30 points
    "max_median_drop": 0.5,        # body length: half of what the same pages gave before (or the baseline's median)
    "max_empty_list_rise": 0.5,    # share of list pages that link no article: +50 points
    "min_pages": 3,                # fewer (re)cleaned pages or list pages than this: that figure says nothing
    "min_median_pages": 20,        # fewer pages than this on either side: two crawls' medians are not compared
}


def layout_metrics(*, list_pages: int, empty_list_pages: int, cleaned_pages: int, no_body_pages: int,
                   body_chars: list[int], body_ratios: list[float] | None = None) -> dict:
    """The figures a crawl is compared by (None where this run has too little to say). `body_ratios`: of
    each re-cleaned page that had a stored document, its body's length over that document's.

    >>> layout_metrics(list_pages=4, empty_list_pages=1, cleaned_pages=10, no_body_pages=0, body_chars=[5, 7, 9],
    ...                body_ratios=[1.0, 0.98])
    {'list_pages': 4, 'empty_list_share': 0.25, 'cleaned_pages': 10, 'no_body_share': 0.0, 'median_body_chars': 7, 'body_pages': 3, 'paired_pages': 2, 'median_body_ratio': 0.99}
    """
    return {
        "list_pages": list_pages,
        "empty_list_share": round(empty_list_pages / list_pages, 4) if list_pages else None,
        "cleaned_pages": cleaned_pages,
        "no_body_share": round(no_body_pages / cleaned_pages, 4) if cleaned_pages else None,
        "median_body_chars": int(median(body_chars)) if body_chars else None,
        "body_pages": len(body_chars),
        "paired_pages": len(body_ratios or []),
        "median_body_ratio": round(median(body_ratios), 4) if body_ratios else None,
    }


def layout_change(metrics: dict, baseline: dict | None, thresholds: dict | None = None) -> str | None:
    """Why the crawl looks like a layout change (None when it does not), compared with `baseline`,
    the metrics of the site's last ok crawl (None for a first crawl: an implied healthy baseline of
    no empty list pages and no body-less pages, and no length comparison).

    >>> layout_change({"list_pages": 5, "empty_list_share": 1.0, "cleaned_pages": 0, "no_body_share": None,
    ...                "median_body_chars": None}, {"empty_list_share": 0.0})
    'list pages linking no article: 100% (was 0%, threshold +50 points)'
    """
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    base = dict(baseline or {})
    # a baseline figure from fewer pages than min_pages says nothing either: a crawl that re-cleaned one
    # long page (its capture changed hands after a backfill) made that page's length the median every
    # later crawl of the site was held to, and a crawl re-cleaning them all was called changed-layout
    if (base.get("cleaned_pages") or 0) < t["min_pages"]:
        base.pop("no_body_share", None)
        base.pop("median_body_chars", None)
    if (base.get("list_pages") or 0) < t["min_pages"]:
        base.pop("empty_list_share", None)
    reasons = []
    if metrics.get("list_pages", 0) >= t["min_pages"] or (metrics.get("empty_list_share") == 1.0 and metrics.get("list_pages")):
        now, before = metrics.get("empty_list_share"), base.get("empty_list_share") or 0.0
        if now is not None and now - before > t["max_empty_list_rise"]:
            reasons.append(f"list pages linking no article: {now:.0%} (was {before:.0%}, "
                           f"threshold +{t['max_empty_list_rise'] * 100:.0f} points)")
    if metrics.get("cleaned_pages", 0) >= t["min_pages"]:
        now, before = metrics.get("no_body_share"), base.get("no_body_share") or 0.0
        if now is not None and now - before > t["max_no_body_rise"]:
            reasons.append(f"article pages where the profile found no body: {now:.0%} (was {before:.0%}, "
                           f"threshold +{t['max_no_body_rise'] * 100:.0f} points)")
        reasons += _shorter_bodies(metrics, base, t)
    return "; ".join(reasons) or None


def _shorter_bodies(metrics: dict, base: dict, t: dict) -> list[str]:
    """A selector that now takes a fragment of the article (its dateline, its first paragraph) shortens
    every body. Judged first on the pages re-cleaned that had a stored document: each against its own
    predecessor. The medians of two crawls are compared only over many pages on both sides: the few new
    articles of a day are a sample of a site whose articles run from 300 to 8,000 characters (a refresh
    retried after a full disk re-cleaned four short GlobalSecurity items, median 556 against the last
    crawl's 1,334, and was called changed-layout: found by the random histories, seed 50091)."""
    drop = t["max_median_drop"]
    ratio = metrics.get("median_body_ratio")
    if (metrics.get("paired_pages") or 0) >= t["min_pages"] and ratio is not None:
        if ratio < 1 - drop:
            return [f"median body length {ratio:.0%} of what the same {metrics['paired_pages']} pages gave "
                    f"before (threshold -{drop:.0%})"]
        return []
    now, before = metrics.get("median_body_chars"), base.get("median_body_chars")
    # a baseline recorded before body_pages was kept counts its cleaned pages instead
    pages_before = base.get("body_pages", base.get("cleaned_pages")) or 0
    if (now is not None and before and (metrics.get("body_pages") or 0) >= t["min_median_pages"]
            and pages_before >= t["min_median_pages"] and now < before * (1 - drop)):
        return [f"median body length {now} characters (was {before}, threshold -{drop:.0%})"]
    return []
