"""What a researcher cites and reads first: CITATION.cff (Citation File Format 1.2.0), a .zenodo.json
(Zenodo deposit metadata), and the release README with statistics, how to load it, and the codebook."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from core.profiles import UnknownSiteError, get_profile
from core.settings import PROJECT_URL, Settings
from corpus.derived import CODEBOOK, Stats

TITLE = "kcorpus: North Korean state media reposted on the open web"
LICENSE_NOTE = ("The texts are North Korean state media (KCNA; Kim Il Sung's memoir With the Century) as reposted "
                "by the sites named in each document's source description; kcorpus redistributes them for research "
                "with their provenance. Check the rights status of an original before reuse. The corpus "
                "metadata and annotations are released under CC0-1.0.")


def site_source(site: str) -> tuple[str, str | None]:
    """A site as a source is cited: its profile's label and its home page (the scheme and host of its
    first start URL), so every site a release holds is cited by name and URL. A site without a
    profile is named as it is, with no URL.

    >>> site_source("rodong")
    ('Rodong Sinmun (English)', 'http://www.rodong.rep.kp/')
    >>> site_source("nosuchsite")
    ('nosuchsite', None)
    """
    try:
        profile = get_profile(site)
    except UnknownSiteError:
        return site, None
    first = urlsplit(profile.start_urls[0]) if profile.start_urls else urlsplit(f"https://{profile.hosts[0]}/")
    return profile.label, f"{first.scheme}://{first.netloc}/"


def _yaml_string(value: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


CFF_SCHEMA = Path(__file__).resolve().parent / "schema" / "cff-1.2.0.schema.json"


def cff_author(name: str) -> dict:
    """A configured author as CFF has it: "Family, Given" is a person, anything else an entity (a group,
    an institution).

    >>> cff_author("Kim, Min-jun")
    {'family-names': 'Kim', 'given-names': 'Min-jun'}
    >>> cff_author("kcorpus contributors")
    {'name': 'kcorpus contributors'}
    """
    family, sep, given = name.partition(",")
    if sep and family.strip() and given.strip():
        return {"family-names": family.strip(), "given-names": given.strip()}
    return {"name": name.strip()}


def release_url(version: str, settings: Settings) -> str:
    """Where a release is found: the configured citation URL, else the project's home page.

    >>> release_url("2026.01.01", Settings())
    'https://github.com/kcorpus/kcorpus'
    """
    return settings.citation_url or PROJECT_URL


def citation_cff(version: str, release_date: str, stats: Stats, sites: list[str],
                 settings: Settings | None = None) -> str:
    """CITATION.cff for a release (CFF 1.2.0, type dataset): authors, URL and DOI from the installation's
    settings (core.settings); the release is identified by its URL and, when configured, its DOI."""
    settings = settings or Settings()
    url = release_url(version, settings)
    authors = []
    for author in map(cff_author, settings.authors):
        first, *rest = author.items()
        authors += [f"  - {first[0]}: {_yaml_string(first[1])}"] + [f"    {k}: {_yaml_string(v)}" for k, v in rest]
    identifiers = [("doi", settings.doi, f"The DOI of release {version}")] if settings.doi else []
    identifiers.append(("url", url, "Where the release is published"))
    lines = [
        "cff-version: 1.2.0",
        "message: If you use this corpus, please cite it as below.",
        "type: dataset",
        f"title: {_yaml_string(TITLE)}",
        f"version: {_yaml_string(version)}",
        f"date-released: {_yaml_string(release_date)}",
        "authors:",
        *authors,
        *([f"doi: {_yaml_string(settings.doi)}"] if settings.doi else []),
        f"url: {_yaml_string(url)}",
        "identifiers:",
        *[line for kind, value, what in identifiers for line in (
            f"  - type: {kind}", f"    value: {_yaml_string(value)}", f"    description: {_yaml_string(what)}")],
        f"abstract: {_yaml_string(abstract(stats))}",
        "license: CC0-1.0",
        "keywords:",
        *[f"  - {_yaml_string(k)}" for k in ("North Korea", "KCNA", "state media", "corpus", "TEI")],
        *(["references:"] if sites else []),
    ]
    for site in sites:
        name, url = site_source(site)
        lines += ["  - type: website", f"    title: {_yaml_string(name)}", "    authors:", f"      - name: {_yaml_string(name)}"]
        if url:
            lines.append(f"    url: {_yaml_string(url)}")
    return "\n".join(lines) + "\n"


@cache
def _cff_validator():
    import jsonschema

    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def cff_problems(text: str) -> list[str]:
    """What makes a CITATION.cff invalid against the CFF 1.2.0 JSON schema (corpus/schema, the schema of
    citation-file-format.github.io), one line each: none when it is valid. YAML dates are read as the
    strings CFF expects (the schema's own note to implementers)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        return [f"not YAML: {str(exc).splitlines()[0]}"]
    if not isinstance(data, dict):
        return ["not a YAML mapping"]
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in sorted(_cff_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))]


def abstract(stats: Stats) -> str:
    sites = ", ".join(f"{site} {counts['documents']}" for site, counts in sorted(stats.by["site"].items()))
    return (f"{stats.documents} documents ({sites}), {stats.tokens} tokens, {stats.sentences} sentences of North "
            f"Korean state media reposted on the open web, cleaned with every repair recorded inline, in TEI P5 "
            f"with plain-text, Parquet and CoNLL-U derivatives. {LICENSE_NOTE}")


def zenodo_json(version: str, release_date: str, stats: Stats, sites: list[str],
                settings: Settings | None = None) -> str:
    """.zenodo.json: the metadata a Zenodo deposit of the release folder takes (creators and DOI from the
    installation's settings)."""
    settings = settings or Settings()
    creators = [{"name": f"{a['family-names']}, {a['given-names']}"} if "family-names" in a else a
                for a in map(cff_author, settings.authors)]
    metadata = {
        "title": f"{TITLE} (release {version})",
        "version": version,
        "publication_date": release_date,
        "upload_type": "dataset",
        "description": abstract(stats),
        "creators": creators,
        "doi": settings.doi,
        "license": "cc-zero",
        "access_right": "open",
        "keywords": ["North Korea", "KCNA", "state media", "corpus", "TEI"],
        "language": "eng" if set(stats.by["lang"]) <= {"en"} else None,
        # Zenodo checks each identifier's scheme (idutils): only a site with a URL can be one
        "related_identifiers": [{"identifier": url, "relation": "isDerivedFrom", "resource_type": "other"}
                                for url in (site_source(site)[1] for site in sites) if url],
        "notes": f"Statistics: {json.dumps(stats.to_dict(), ensure_ascii=False)}. {LICENSE_NOTE}",
    }
    return json.dumps({k: v for k, v in metadata.items() if v is not None}, ensure_ascii=False, indent=1) + "\n"


def _table(rows: list[tuple], header: tuple) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return out + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def release_readme(version: str, release_date: str, stats: Stats, files: dict[str, str]) -> str:
    """README.md of a release: what it holds, statistics, how to load it, the codebook."""
    lines = [f"# kcorpus release {version}", "", f"Released {release_date}. {abstract(stats)}", "",
             "## Statistics", ""]
    for axis, label in (("site", "site"), ("lang", "language"), ("year", "year")):
        rows = [(key, c["documents"], c["tokens"], c["sentences"]) for key, c in sorted(stats.by[axis].items())]
        lines += _table(rows, (label, "documents", "tokens", "sentences")) + [""]
    lines += ["Tokens and sentences: syntok (English), Kiwi words (Korean), over the repaired body text.", "",
              "## Files", ""]
    lines += [f"- `{name}`: {what}" for name, what in files.items()]
    lines += ["", "## Loading it", "", "```python", "import kcorpus",
              f"docs, df = kcorpus.load_release(\"{version}\")   # or the path of this folder",
              "df.groupby(\"site\").tokens.sum()                    # a typed pandas DataFrame, one row per document",
              "```", "", "Without kcorpus: `pandas.read_parquet(\"documents.parquet\")`, or the JSON records in `records/` "
              "(every field of the document, with its repair log and spans), or the TEI files. The files are "
              "hard links shared with other releases: copy this folder alone with `cp -rL` or `rsync -aL`.", "",
              "## Codebook", "", "One row per document in `documents.parquet` and `meta.tsv` (which leaves `text` out; "
              "the text is in `text/<site>/<id>.txt`).", ""]
    lines += _table([(f"`{f.name}`", f.type, f.meaning, f.source) for f in CODEBOOK],
                    ("field", "type", "meaning", "source"))
    lines += ["", "`records/<site>/<id>.json` hold the same documents with every field kcorpus keeps: besides the above, "
              "`posted_at` with its original offset, `paragraphs` as a list, `repairs` (rule, description, where, "
              "count, examples), `spans` (where each repair changed the served text: [where, paragraph, start, "
              "end, served, rules]), `extra` (site metadata) and `capture` (provenance).", "",
              "## Repairs", "", "Every repair is inline in the TEI: `<choice><orig>` (as the site served it) "
              "`<reg type=\"rule\" ana=\"#…\">` (repaired), each rule declared in the document header's "
              "`<taxonomy>` with its description and count. Reading `<orig>` gives back the served text, "
              "reading `<reg>` the repaired text.", ""]
    return "\n".join(lines)
