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
    "max_median_drop": 0.5,        # median body length of (re)cleaned pages: half of the baseline's
    "max_empty_list_rise": 0.5,    # share of list pages that link no article: +50 points
    "min_pages": 3,                # fewer (re)cleaned pages or list pages than this: that figure says nothing
}


def layout_metrics(*, list_pages: int, empty_list_pages: int, cleaned_pages: int, no_body_pages: int,
                   body_chars: list[int]) -> dict:
    """The figures a crawl is compared by (None where this run has too little to say).

    >>> layout_metrics(list_pages=4, empty_list_pages=1, cleaned_pages=10, no_body_pages=0, body_chars=[5, 7, 9])
    {'list_pages': 4, 'empty_list_share': 0.25, 'cleaned_pages': 10, 'no_body_share': 0.0, 'median_body_chars': 7}
    """
    return {
        "list_pages": list_pages,
        "empty_list_share": round(empty_list_pages / list_pages, 4) if list_pages else None,
        "cleaned_pages": cleaned_pages,
        "no_body_share": round(no_body_pages / cleaned_pages, 4) if cleaned_pages else None,
        "median_body_chars": int(median(body_chars)) if body_chars else None,
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
        now, before = metrics.get("median_body_chars"), base.get("median_body_chars")
        if now is not None and before and now < before * (1 - t["max_median_drop"]):
            reasons.append(f"median body length {now} characters (was {before}, threshold "
                           f"-{t['max_median_drop']:.0%})")
    return "; ".join(reasons) or None
