"""What an HTTP answer means for a page: usable (a payload we hold), gone (retires its document),
failed (no answer about the page this time), unanswered (the site, or the way to it, did not answer).

One definition each, read by the crawler (crawl.py), the crawl state (state.py), the crawl comparison
(crawldiff.py), `kcorpus status` (status.py) and the cleaning plan (flows.clean).
"""

from __future__ import annotations

from core.capture import REPLAY_MISSING_HEADER, REPLAY_MISSING_VALUE

GONE_STATUSES = (404, 410)

# Answers that say nothing about the page: the site (or the way to it) did not answer usefully.
UNANSWERED_STATUSES = {0, 403, 407, 408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524}


def unanswered(status: int) -> bool:
    """No usable answer from the site: no response at all, 403/429, or a server error (5xx); many of
    these in one crawl make the site unreachable.

    >>> unanswered(0), unanswered(503), unanswered(403), unanswered(404), unanswered(200)
    (True, True, True, False, False)
    """
    return status in UNANSWERED_STATUSES or status >= 500


def replay_missing(headers) -> bool:
    """True for a replay server's own 404 for a URL its WARCs do not hold (the site was not asked).

    >>> replay_missing({"X-Kcorpus-Replay": "not-in-snapshot"}), replay_missing([("Server", "nginx")])
    (True, False)
    """
    items = headers.items() if hasattr(headers, "items") else headers
    return any(k.lower() == REPLAY_MISSING_HEADER.lower() and v == REPLAY_MISSING_VALUE for k, v in items)


def retires(status: int, headers) -> bool:
    """Why gone: only a 404 or 410 from the site itself retires a document (a soft 404 is recognised
    when cleaning). Timeouts, 403, 429, 5xx and URLs a replay does not hold leave it in place: the page
    was not checked this run.

    >>> retires(410, {}), retires(404, {"x-kcorpus-replay": "not-in-snapshot"}), retires(503, {})
    (True, False, False)
    """
    return status in GONE_STATUSES and not replay_missing(headers)


def alive(status: int) -> bool:
    """The page is there: a 2xx, or a 304 (unchanged since the payload we hold).

    >>> alive(200), alive(304), alive(404)
    (True, True, False)
    """
    return 200 <= status < 300 or status == 304


def usable(status: int, record_type: str, has_payload: bool) -> bool:
    """We hold a payload for this capture: a full 2xx response, or a revisit pointing at one."""
    return has_payload and (200 <= status < 300 or record_type == "revisit")


def failed(status: int, record_type: str = "response") -> bool:
    """No answer about the page this time (not checked, never gone): a failure record (no response),
    status 0, or any 4xx/5xx other than 404/410.

    >>> failed(0, "failure"), failed(503), failed(403), failed(404), failed(200), failed(301)
    (True, True, True, False, False, False)
    """
    return record_type == "failure" or status == 0 or (status >= 400 and status not in GONE_STATUSES)
