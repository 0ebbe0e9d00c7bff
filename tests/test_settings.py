"""One installation's settings (core.settings): where outputs are published, whose Atom ids it mints, who
cites its releases; CITATION.cff checked against the CFF 1.2.0 JSON schema with jsonschema 4."""

from __future__ import annotations

import json
from datetime import date

import pytest

from core.datahome import DataHome
from core.settings import Settings, SettingsError, load_settings, tag_authority
from corpus.citation import cff_problems, citation_cff, zenodo_json
from corpus.derived import Stats


def stats() -> Stats:
    s = Stats()
    s.add({"site": "globalsecurity", "lang": "en", "year": 2010, "tokens": 120, "sentences": 6})
    return s


def test_default_citation_validates_with_an_identifier_and_a_url():
    cff = citation_cff("2026.12.03", "2026-12-03", stats(), ["globalsecurity", "kancc"])
    assert cff_problems(cff) == []
    assert "identifiers:" in cff and "  - type: url" in cff and "url: " in cff


def test_configured_people_groups_and_doi_go_into_the_citation_and_zenodo(tmp_path):
    (tmp_path / "kcorpus.toml").write_text(
        '[citation]\nauthors = ["Lankov, Andrei", "Korea Media Archive Group"]\n'
        'url = "https://archive.example.org/kcorpus/"\ndoi = "10.5281/zenodo.1234567"\n', encoding="utf-8")
    settings = load_settings(tmp_path, environ={})
    cff = citation_cff("2026.12.03", "2026-12-03", stats(), ["globalsecurity"], settings)
    assert cff_problems(cff) == []
    assert '- family-names: "Lankov"\n    given-names: "Andrei"' in cff
    assert '- name: "Korea Media Archive Group"' in cff and 'doi: "10.5281/zenodo.1234567"' in cff
    zenodo = json.loads(zenodo_json("2026.12.03", "2026-12-03", stats(), ["globalsecurity"], settings))
    assert zenodo["creators"] == [{"name": "Lankov, Andrei"}, {"name": "Korea Media Archive Group"}]
    assert zenodo["doi"] == "10.5281/zenodo.1234567"


def test_the_environment_wins_over_the_file(tmp_path):
    (tmp_path / "kcorpus.toml").write_text('[publish]\nbase_url = "https://a.example.org/r"\n', encoding="utf-8")
    settings = load_settings(tmp_path, environ={"KCORPUS_BASE_URL": "https://b.example.org/reports",
                                                "KCORPUS_CITATION_AUTHORS": "Kim, Min-jun; Lee, Soo"})
    assert settings.base_url == "https://b.example.org/reports/"
    assert settings.authors == ("Kim, Min-jun", "Lee, Soo")


@pytest.mark.parametrize("text, field", [
    ('cff-version: 1.2.0\nmessage: m\ntitle: t\nauthors: []\n', "authors"),
    ('cff-version: 1.2.0\nmessage: m\ntitle: t\nauthors:\n  - name: x\ndoi: "https://doi.org/10.5281/x"\n', "doi"),
    ('cff-version: 1.2.0\nmessage: m\ntitle: t\nauthors:\n  - name: x\ndate-released: 2026-13-01\n', "date-released"),
])
def test_an_invalid_citation_is_reported_by_field(text, field):
    problems = cff_problems(text)
    assert problems and any(p.startswith(field) for p in problems), problems


def test_a_release_with_a_doi_that_would_not_validate_is_refused_before_anything_is_written(tmp_path):
    from corpus.release import build_release

    home = DataHome.resolve(tmp_path)
    (tmp_path / "kcorpus.toml").write_text('[citation]\ndoi = "https://doi.org/10.5281/zenodo.1"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="doi"):
        build_release(home, [], today=date(2026, 12, 3))
    assert not any(home.releases_dir.iterdir())


def test_bad_settings_are_named(tmp_path):
    with pytest.raises(SettingsError, match="base_url"):
        load_settings(tmp_path, environ={"KCORPUS_BASE_URL": "/srv/www"})
    with pytest.raises(SettingsError, match="RFC 4151"):
        load_settings(tmp_path, environ={"KCORPUS_TAG_AUTHORITY": "kcorpus"})


def test_tag_authority_is_configured_or_made_once_per_data_home(tmp_path, monkeypatch):
    import core.settings

    homes = [tmp_path / n for n in "abc"]
    for h in homes:
        h.mkdir()
    assert tag_authority(homes[0], Settings(tag_authority="example.org,2026")) == "example.org,2026"
    monkeypatch.setattr(core.settings, "own_domain", lambda: None)   # a machine without a domain name
    made = tag_authority(homes[0], Settings())
    assert made == tag_authority(homes[0], Settings())                # kept: ids stay stable
    assert made != tag_authority(homes[1], Settings())                # another installation, other ids
    assert made.endswith(f",{date.today().isoformat()}") and not made.startswith("kcorpus,")
    assert tag_authority(homes[2], Settings(base_url="https://corpus.example.org/k/")).startswith("corpus.example.org,")
