"""What one installation says about itself: where its reports and feeds are published, whose Atom
ids it mints, and who cites its releases. Read from `<data home>/kcorpus.toml`; each value can be
overridden by an environment variable (named beside it below). Unset, outputs carry relative links
(never a `file://` path of the machine that wrote them) and the Atom tag authority is made once per
data home and kept in `<data home>/installation.json`, so two installations never mint the same ids.

    # <data home>/kcorpus.toml
    [publish]
    base_url = "https://corpus.example.org/kcorpus/"   # KCORPUS_BASE_URL: where reports/ is served
    tag_authority = "example.org,2026"                  # KCORPUS_TAG_AUTHORITY: RFC 4151 authority,date
    [citation]
    authors = ["Kim, Min-jun", "Example Research Group"]  # KCORPUS_CITATION_AUTHORS ("; " between them)
    url = "https://corpus.example.org/"                 # KCORPUS_CITATION_URL
    doi = "10.5281/zenodo.1234567"                      # KCORPUS_CITATION_DOI
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import tomllib
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

CONFIG_FILE = "kcorpus.toml"
INSTALLATION_FILE = "installation.json"
DEFAULT_AUTHOR = "kcorpus contributors"
PROJECT_URL = "https://github.com/kcorpus/kcorpus"
# RFC 4151: taggingEntity = authorityName "," date; authorityName = DNSname / emailAddress
TAG_AUTHORITY = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9.-]*|[^@\s,]+@[A-Za-z0-9][A-Za-z0-9.-]*),\d{4}(?:-\d{2}){0,2}$")


class SettingsError(ValueError):
    """A setting that cannot be used (named with where it came from)."""


@dataclass(frozen=True)
class Settings:
    base_url: str | None = None          # absolute URL ending in "/" where reports/ is served; None: relative links
    tag_authority: str | None = None     # "authority,date"; None: made per data home (tag_authority())
    authors: tuple[str, ...] = (DEFAULT_AUTHOR,)
    citation_url: str | None = None
    doi: str | None = None


def check_base_url(value: str, where: str = "base_url") -> str:
    """An http(s) URL, normalised to end in "/" (the reports folder's address).

    >>> check_base_url("https://example.org/kcorpus")
    'https://example.org/kcorpus/'
    >>> check_base_url("/srv/reports")
    Traceback (most recent call last):
    core.settings.SettingsError: base_url must be an http(s) URL, not '/srv/reports'
    """
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{where} must be an http(s) URL, not {value!r}")
    return value if value.endswith("/") else value + "/"


def check_tag_authority(value: str, where: str = "tag_authority") -> str:
    """An RFC 4151 tagging entity, "example.org,2026" or "me@example.org,2026-12-01".

    >>> check_tag_authority("example.org,2026")
    'example.org,2026'
    """
    if not TAG_AUTHORITY.match(value):
        raise SettingsError(f"{where} must be 'domain-or-email,YYYY[-MM[-DD]]' (RFC 4151), not {value!r}")
    return value


def load_settings(root: Path | None, environ=os.environ) -> Settings:
    """The installation's settings: `<root>/kcorpus.toml`, then the environment over it."""
    data: dict = {}
    path = Path(root) / CONFIG_FILE if root is not None else None
    if path is not None and path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: {exc}") from None
    publish, citation = data.get("publish", {}), data.get("citation", {})
    base_url = environ.get("KCORPUS_BASE_URL") or publish.get("base_url")
    tag = environ.get("KCORPUS_TAG_AUTHORITY") or publish.get("tag_authority")
    authors = ([a.strip() for a in environ["KCORPUS_CITATION_AUTHORS"].split(";") if a.strip()]
               if environ.get("KCORPUS_CITATION_AUTHORS") else citation.get("authors") or [DEFAULT_AUTHOR])
    if not isinstance(authors, list) or not all(isinstance(a, str) and a.strip() for a in authors):
        raise SettingsError(f"{path}: [citation] authors must be a list of names")
    return Settings(base_url=check_base_url(base_url, "base_url") if base_url else None,
                    tag_authority=check_tag_authority(tag) if tag else None,
                    authors=tuple(authors),
                    citation_url=environ.get("KCORPUS_CITATION_URL") or citation.get("url"),
                    doi=environ.get("KCORPUS_CITATION_DOI") or citation.get("doi"))


def own_domain(fqdn: str | None = None, user: str | None = None) -> str | None:
    """The user's own address as a tag authority, "user@host.example.org", when the machine has a real
    domain name (not localhost, not a bare host name); None otherwise.

    >>> own_domain("build-7.lab.example.org", "kim")
    'kim@build-7.lab.example.org'
    >>> own_domain("localhost.localdomain", "kim") is None
    True
    """
    fqdn = fqdn if fqdn is not None else socket.getfqdn()
    if "." not in fqdn or fqdn.split(".")[-1] in ("localdomain", "local", "localhost", "internal", "lan") \
            or fqdn.startswith("localhost"):
        return None
    return f"{user or getpass.getuser()}@{fqdn}"


def tag_authority(root: Path, settings: Settings) -> str:
    """The Atom tag authority of this data home: the configured one; else the one this data home made
    before (installation.json: ids stay stable release after release); else made now from the base
    URL's host, the user's own address, or a random per-installation name, dated today, and kept."""
    if settings.tag_authority:
        return settings.tag_authority
    path = Path(root) / INSTALLATION_FILE
    try:
        return check_tag_authority(json.loads(path.read_text(encoding="utf-8"))["tag_authority"], str(path))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    host = urlsplit(settings.base_url).hostname if settings.base_url else None
    authority = host or own_domain() or f"{uuid.uuid4().hex[:16]}.kcorpus.invalid"
    made = f"{authority},{date.today().isoformat()}"
    path.write_text(json.dumps({"tag_authority": made}) + "\n", encoding="utf-8")
    return made
