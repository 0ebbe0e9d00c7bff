"""kcna.kp and Rodong Sinmun crawled as they answer: kcna.kp's lists page by POST in a cookie session (a fake
that answers so, tests/fakes/kcnakp.py), Rodong's old lists link articles through javascript:article_open."""

from __future__ import annotations

from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from core.profiles import get_profile
from scrapers.fetch import CrawlSettings, make_client
from scrapers.pagination import page_count, post_form
from tests.fakes.kcnakp import ITEMS, LATEST, FakeKcnaKp, article_path

FAST = CrawlSettings(delay=0, retries=1, backoff=0.001, timeout=5, obey_robots=True)
START = "http://www.kcna.kp" + LATEST


def crawl(tmp_path, fake, profile_name="kcnakp", start=START):
    from scrapers.crawl import crawl_site
    from scrapers.state import CrawlState

    state = CrawlState(tmp_path / "state.sqlite")
    client = make_client(FAST, replay_port=fake.port)
    try:
        return crawl_site(get_profile(profile_name), state=state, warc_dir=tmp_path / "warc", run_id="20260101t000000-abcdef",
                          client=client, settings=FAST, start_urls=[start])
    finally:
        client.close()
        state.close()


@pytest.mark.parametrize("token_field, page_field, redirect", [
    ("_csrf", "page_num", True),     # the names public scrapers of 2025-26 saw
    ("_token", "page", True),        # the names an ArchiveBot operator recorded in 2023
    ("_csrf", "page_num", False),    # a POST answered with the page itself
])
def test_kcnakp_crawl_reaches_every_page_of_a_list_paged_by_post(tmp_path, token_field, page_field, redirect):
    with FakeKcnaKp(token_field=token_field, page_field=page_field, redirect=redirect) as fake:
        report = crawl(tmp_path, fake)
        posts = [r for r in fake.requests if r[0] == "POST"]
        fetched = {path for method, path, _ in fake.requests if method == "GET"}
    assert report.outcome == "ok", (report.outcome, report.cause, report.failed)
    assert fake.pages == 4 and len(posts) == 3
    assert {article_path(i) for i in range(len(ITEMS))} <= fetched    # every item of every page
    assert report.articles == len(ITEMS)
    # each POST carried the token of the page before it, and the page number in the form's own field
    assert [dict(p.split("=", 1) for p in body.split("&"))[page_field] for _, _, body in posts] == ["2", "3", "4"]
    # the POSTs are archived with their form
    (warc,) = (tmp_path / "warc").glob("*.warc.gz")
    with open(warc, "rb") as fh:
        requests = [r for r in ArchiveIterator(fh) if r.rec_type == "request"
                    and r.http_headers.protocol == "POST"]
    assert len(requests) == 3


def test_a_get_only_crawl_sees_only_the_first_page():
    """Why POST pagination matters: the list's links hold only its first page's items."""
    from scrapers.discover import classify_links, extract_links

    with FakeKcnaKp() as fake:
        html = fake.list_page({"page": 1, "token": ""})
    _, articles = classify_links(get_profile("kcnakp"), extract_links(html, START))
    assert len(articles) == 2 and page_count(html, get_profile("kcnakp").pagination["page_count"]) == 4


def test_post_form_reads_the_hidden_fields_and_sets_the_page():
    spec = get_profile("kcnakp").pagination
    html = (b'<form method="post"><input type="hidden" name="_csrf" value="t0k"><input type="hidden" name="q" '
            b'value="1ee9"><input type="text" name="search" value="x"><input type="hidden" name="page_num" '
            b'value="1"></form>')
    form = post_form(html, START, spec, 5)
    assert form.action == "http://www.kcna.kp/en/category/articles.kcmsf"
    assert form.fields == [("_csrf", "t0k"), ("q", "1ee9"), ("page_num", "5")]
    named = post_form(html.replace(b'<form method="post">', b'<form method="post" action="/en/list.kcmsf">'),
                      START, spec, 2)
    assert named.action == "http://www.kcna.kp/en/list.kcmsf"


def test_kcnakp_profile_waits_like_public_scrapers_of_a_slow_site():
    from scrapers.crawl import site_settings

    profile = get_profile("kcnakp")
    live = site_settings(profile, CrawlSettings())
    assert live.timeout == 60 and live.retry_waits == (5, 15, 45, 90)
    assert site_settings(profile, CrawlSettings(retries=0)).retry_waits is None
    assert site_settings(get_profile("globalsecurity"), CrawlSettings()).retry_waits is None


def test_kcnakp_latest_news_list_fixture_links_its_items_and_declares_its_pages():
    """The list page (real headlines and dates, markup after RSSHub's selectors and the paging form public
    scrapers describe): its items are articles, its menu is not, its form and page count are read."""
    from scrapers.discover import classify_links, extract_links

    html = (Path(__file__).parent / "fixtures" / "sites" / "kcnakp-latest-news-list.html").read_bytes()
    profile = get_profile("kcnakp")
    index_pages, articles = classify_links(profile, extract_links(html, START))
    assert len(articles) == 7 and index_pages == [START]
    assert page_count(html, profile.pagination["page_count"]) == 1
    form = post_form(html, START, profile.pagination, 2)
    assert dict(form.fields)["page_num"] == "2" and "_csrf" in dict(form.fields)



def test_a_list_whose_pages_count_from_zero_is_walked_too(tmp_path):
    """Page numbering is profile data (`first_page`): the same crawler walks a list whose first page is 0."""
    import dataclasses

    from scrapers.crawl import crawl_site
    from scrapers.state import CrawlState

    profile = get_profile("kcnakp")
    zero_based = dataclasses.replace(profile, pagination={**profile.pagination, "first_page": 0})
    with FakeKcnaKp(first_page=0) as fake:
        state = CrawlState(tmp_path / "state.sqlite")
        client = make_client(FAST, replay_port=fake.port)
        try:
            report = crawl_site(zero_based, state=state, warc_dir=tmp_path / "warc", run_id="20260101t000000-abcdef",
                                client=client, settings=FAST, start_urls=[START])
        finally:
            client.close()
            state.close()
        posts = [body for method, _, body in fake.requests if method == "POST"]
    assert [dict(p.split("=", 1) for p in b.split("&"))["page_num"] for b in posts] == ["1", "2", "3"]
    assert report.articles == len(ITEMS) and report.outcome == "ok"


def test_kcnakp_starts_from_latest_news_which_lists_every_item():
    """RSSHub's kcna route reads Latest News (1ee9…) by default; Top News (5394…) is a selection."""
    profile = get_profile("kcnakp")
    assert profile.start_urls[0] == START and "5394b80bdae203fadef02522cfb578c0" not in " ".join(profile.start_urls)
    assert all(profile.is_index(u) for u in profile.start_urls)
    assert isinstance(profile.extract["body"], list) and profile.extract["body"][0].endswith("div.content-wrapper")
