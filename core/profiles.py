"""Site profiles: everything kcorpus knows about a site, declared as data in profiles/<name>.toml.

A profile has four parts:
  crawl    hosts, start URLs, URL patterns for index/list pages and article pages, id template
  extract  selectors for title, body, paragraphs and each metadata field        (used by cleaners/)
  metadata constant metadata for the site (agency, distributor, series ...)     (used by cleaners/)
  chrome   selectors and text patterns of site chrome to drop, and the literal
           chrome strings a clean document must never contain                   (cleaners/, expectations/)
Adding a site means adding a TOML file here plus fixtures; no code.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit


class UnknownSiteError(LookupError):
    """No profile is declared for a site name or URL host."""


@dataclass(frozen=True)
class Profile:
    """One site's declared knowledge (see the module docstring for the four parts)."""

    name: str
    label: str
    hosts: tuple[str, ...]
    start_urls: tuple[str, ...]
    index_patterns: tuple[re.Pattern, ...]
    article_patterns: tuple[re.Pattern, ...]
    id_template: str
    max_index_pages: int
    lang: str
    drop_params: tuple[str, ...] = ()
    # Patterns that name a document of this site without making it a crawl target (e.g. the same
    # memoir reposted on another board): for ids when cleaning; article_patterns are tried first.
    id_patterns: tuple[re.Pattern, ...] = ()
    extract: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    chrome: dict[str, Any] = field(default_factory=dict)
    expectations: dict[str, Any] = field(default_factory=dict)  # quality-gate bounds (expectations/)
    canary: dict[str, Any] = field(default_factory=dict)        # layout-change thresholds (scrapers/canary.py)
    # Title or body phrases of the site's own error page served with 200 ("soft 404"): such a page
    # retires its document like a 404 does.
    soft_404: tuple[re.Pattern, ...] = ()
    # Where the Wayback Machine holds the site's past (scrapers/wayback.py): `prefixes` to list with the CDX API.
    wayback: dict[str, Any] = field(default_factory=dict)
    # Sites whose article URLs carry their key base64-encoded (Rodong Sinmun's index.php?<base64>): an
    # article pattern's `b64` group is decoded and matched against this; its named groups join the URL's.
    id_b64_pattern: re.Pattern | None = None
    # How often known articles are re-checked (scrapers/revisit.py): min_days, max_days (the re-check
    # bound), factor, budget, run_every_days. Empty: every known article is re-checked on every run.
    revisit: dict[str, Any] = field(default_factory=dict)
    # List pages that page by POSTing their own form (scrapers/pagination.py): `list_patterns`, `form`,
    # `action`, `page_fields`, `page_count`, `first_page`, `max_pages`, `stop_at_known`. Empty: lists page by links.
    pagination: dict[str, Any] = field(default_factory=dict)
    # A slow site's own fetch settings (scrapers/crawl.py site_settings): `timeout` and `retry_waits`.
    fetch: dict[str, Any] = field(default_factory=dict)
    # Links whose target is inside a `javascript:` call, e.g. `javascript:article_open('index.php?…')`:
    # patterns with one group, the target (scrapers/discover.py).
    script_links: tuple[re.Pattern, ...] = ()
    source_path: str = ""

    def owns(self, url: str) -> bool:
        """True when the URL's host is one of this site's hosts."""
        return (urlsplit(url).hostname or "").lower() in self.hosts

    def canonical_url(self, url: str) -> str:
        """The URL without its fragment and without query parameters that only record how it was
        reached (e.g. GNUBoard's &page=P on post links), so one article has one URL."""
        parts = urlsplit(url)
        query = "&".join(kv for kv in parts.query.split("&")
                         if kv and kv.split("=", 1)[0] not in self.drop_params)
        return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", query, ""))

    def is_index(self, url: str) -> bool:
        """True for list/index pages whose links lead to articles (and further list pages)."""
        return any(p.search(url) for p in self.index_patterns)

    def article_match(self, url: str) -> re.Match | None:
        """The article URL pattern's match (named groups feed the id template), or None."""
        for pattern in self.article_patterns:
            m = pattern.search(url)
            if m:
                return m
        return None

    def _groups(self, m: re.Match | None) -> dict[str, str] | None:
        """A URL match's named groups, with a base64 `b64` group decoded through id_b64_pattern."""
        if not m:
            return None
        groups = m.groupdict()
        if groups.get("b64") is not None and self.id_b64_pattern is not None:
            inner = self.id_b64_pattern.search(decode_b64(groups["b64"]) or "")
            if not inner:
                return None
            groups.update(inner.groupdict())
        return groups

    def article_groups(self, url: str) -> dict[str, str]:
        """The article URL's named groups (base64 keys decoded); {} when the URL is not an article."""
        return self._groups(self.article_match(url)) or {}

    def document_id(self, url: str) -> str | None:
        """Stable document id from the article URL, e.g. 'kancc-heigo-504'; None if not an article."""
        groups = self._groups(self.article_match(url)) or \
            self._groups(next((m for p in self.id_patterns if (m := p.search(url))), None))
        if groups is None:
            return None
        return self.id_template.format(**groups).lower()

    @property
    def chrome_strings(self) -> tuple[str, ...]:
        """Literal strings of site chrome that must never appear in a clean document."""
        return tuple(self.chrome.get("strings", ()))


def decode_b64(value: str) -> str | None:
    """A URL's base64 text decoded (percent-encoding undone, padding restored), or None when it is not
    base64 of UTF-8 text. Links and archives often write the padding percent-encoded (`%3D%3D`).

    >>> decode_b64("MTJAMjAyNC0wOC0wMS1IMDA1QDE1QDFAQDBAMg=="), decode_b64("MTJAMjAyNC0wOC0wMS1IMDA1QDE1QDFAQDBAMg%3D%3D")
    ('12@2024-08-01-H005@15@1@@0@2', '12@2024-08-01-H005@15@1@@0@2')
    """
    import base64
    import binascii
    from urllib.parse import unquote

    value = unquote(value)
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _compile_all(patterns: list[str]) -> tuple[re.Pattern, ...]:
    """URL patterns, compiled ASCII-only: Python's \\d also matches Arabic-Indic digits (`wr_id=٥٠٤`),
    which would make a hostile link an article id."""
    return tuple(re.compile(p, re.ASCII) for p in patterns)


class ProfileError(ValueError):
    """A profile file that does not say what kcorpus can read: an unknown key, a selector that is not a
    list of alternatives."""


# Every key a profile may hold, by table: a misspelt key ("boddy", "title_stirp") is an error at load,
# never a rule silently not applied.
PROFILE_KEYS = {
    "": {"name", "label", "hosts", "lang", "crawl", "extract", "metadata", "chrome", "expectations", "canary",
         "soft_404", "wayback", "revisit"},
    "crawl": {"start_urls", "index_patterns", "article_patterns", "id_template", "max_index_pages", "drop_params",
              "id_patterns", "id_b64_pattern", "pagination", "fetch", "script_links"},
    "extract": {"remove", "title", "title_strip", "body", "body_drop", "fields", "error_patterns"},
    "chrome": {"lines", "strings", "footer_lines"},
}
# Selectors that are alternatives tried in order: a list, never one CSS group ("#a, #b, body" matches in
# document order, so `body` wins over the element it was meant to fall back from).
SELECTOR_LISTS = ("title", "body")


def check_profile_data(data: dict, where: str = "profile") -> None:
    """Raise ProfileError for an unknown key or a selector given as one string instead of a list
    (tests/test_profiles_schema.py)."""
    for table, known in PROFILE_KEYS.items():
        keys = data if not table else data.get(table, {})
        for key in keys:
            if key not in known:
                label = f"[{table}] {key}" if table else key
                raise ProfileError(f"{where}: unknown key {label} (known: {', '.join(sorted(known))})")
    for key in SELECTOR_LISTS:
        value = data.get("extract", {}).get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ProfileError(f"{where}: [extract] {key} must be a list of selectors tried in order, "
                               f"not {value!r}")
    for name, value in data.get("extract", {}).get("fields", {}).items():
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ProfileError(f"{where}: [extract.fields] {name} must be a list of selectors, not {value!r}")


def load_profile(path: str | Path) -> Profile:
    """Read one profile TOML file; ProfileError for an unknown key or a selector that is not a list."""
    source = path if hasattr(path, "read_text") else Path(path)
    text = source.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    check_profile_data(data, str(path))
    crawl = data.get("crawl", {})
    return Profile(
        name=data["name"],
        label=data.get("label", data["name"]),
        hosts=tuple(h.lower() for h in data["hosts"]),
        start_urls=tuple(crawl.get("start_urls", ())),
        index_patterns=_compile_all(crawl.get("index_patterns", [])),
        article_patterns=_compile_all(crawl.get("article_patterns", [])),
        id_template=crawl["id_template"],
        max_index_pages=int(crawl.get("max_index_pages", 50)),
        lang=data.get("lang", "en"),
        drop_params=tuple(crawl.get("drop_params", ())),
        id_patterns=_compile_all(crawl.get("id_patterns", [])),
        extract=data.get("extract", {}),
        metadata=data.get("metadata", {}),
        chrome=data.get("chrome", {}),
        expectations=data.get("expectations", {}),
        canary=data.get("canary", {}),
        soft_404=_compile_all(data.get("soft_404", {}).get("patterns", [])),
        wayback=data.get("wayback", {}),
        id_b64_pattern=re.compile(crawl["id_b64_pattern"], re.ASCII) if crawl.get("id_b64_pattern") else None,
        revisit=data.get("revisit", {}),
        pagination=crawl.get("pagination", {}),
        fetch=crawl.get("fetch", {}),
        script_links=tuple(re.compile(p) for p in crawl.get("script_links", [])),
        source_path=str(path),
    )


@lru_cache(maxsize=1)
def builtin_profiles() -> dict[str, Profile]:
    """The profiles shipped in kcorpus/profiles/, by name."""
    folder = resources.files("core") / "profiles"
    profiles = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            profile = load_profile(entry)
            profiles[profile.name] = profile
    return profiles


def get_profile(name: str) -> Profile:
    """The built-in profile called `name`."""
    try:
        return builtin_profiles()[name]
    except KeyError:
        known = ", ".join(sorted(builtin_profiles()))
        raise UnknownSiteError(f"no site profile named {name!r} (known: {known})") from None


def profile_for_url(url: str) -> Profile | None:
    """The profile whose hosts include the URL's host, or None (unknown site: generic cleaning)."""
    for profile in builtin_profiles().values():
        if profile.owns(url):
            return profile
    return None
