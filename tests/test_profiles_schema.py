"""Profiles say what they mean: selectors are ordered lists of alternatives, and an unknown key is an
error when the profile loads, never a rule silently not applied."""

from __future__ import annotations

import pytest

import cleaners
from core.profiles import ProfileError, builtin_profiles, load_profile


def _write(tmp_path, extract: str):
    path = tmp_path / "site.toml"
    path.write_text('name = "site"\nhosts = ["example.org"]\n[crawl]\nid_template = "site-{id}"\n' + extract,
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("extract, message", [
    ('[extract]\nboddy = ["#main"]\n', "unknown key \\[extract\\] boddy"),
    ('[extract]\nbody = "#a, #b, body"\n', "must be a list of selectors"),
    ('[chrome]\nline = ["^Home$"]\n', "unknown key \\[chrome\\] line"),
    ('[extract.fields]\ndate = "span.date"\n', "must be a list of selectors"),
])
def test_a_profile_that_does_not_say_what_it_means_is_refused_at_load(tmp_path, extract, message):
    with pytest.raises(ProfileError, match=message):
        load_profile(_write(tmp_path, extract))


def test_every_shipped_profile_gives_its_selectors_as_lists():
    for profile in builtin_profiles().values():
        for key in ("title", "body"):
            assert isinstance(profile.extract.get(key, []), list), (profile.name, key)


def test_rodong_body_alternatives_are_tried_in_order_so_body_is_only_the_last_resort():
    """A 2021 page whose menu stands before #ContDIV in the document: a CSS group "#ContDIV, #articleContent,
    body" matched <body> first (document order) and kept the menu; the list takes #ContDIV."""
    page = ("<html><head><title>Rodong Sinmun</title></head><body><div class='nav'><p>Party Leadership</p></div>"
            "<div id='ContDIV'><p class='ArticleContent' align='center'>New Houses Built in Haeju City</p>"
            "<p class='ArticleContent'>New houses have been built at the Jangbang Farm in Haeju City, South Hwanghae "
            "Province of the DPRK, to provide the farmers with modern dwellings in a cheerful mood.</p></div>"
            "</body></html>").encode()
    doc = cleaners.clean_page(page, "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=2024-08-01-0005")
    assert doc.extra["extraction"] == "profile"
    assert doc.paragraphs == ["New houses have been built at the Jangbang Farm in Haeju City, South Hwanghae "
                              "Province of the DPRK, to provide the farmers with modern dwellings in a cheerful mood."]
