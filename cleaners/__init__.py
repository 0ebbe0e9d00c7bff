"""cleaners: turn raw captured pages into clean documents, recording every repair made.

Public API: clean_page(body, url, headers=, capture=) -> Document; CleaningError and its subclass
SoftNotFound (an error page served as 200: the URL is gone), both NotAnArticle (a refusal with its
`kind`, one of REFUSAL_KINDS, and reason); CLEANER_VERSION;
render_text(doc). Cheap to import: trafilatura is loaded only for sites without a profile.
"""

from __future__ import annotations

import hashlib

from core.version import __version__


def _cleaner_version() -> str:
    """The package version plus a digest of everything that decides the cleaned text: the ordered rule
    names and the source of every module of this package (found by listing the package, never a
    hand-written list a new module can be missing from), its data files (proper names, generic chrome),
    the sites' [extract]/[metadata]/[chrome] data, and the versions of ftfy and wordfreq (whose data the
    rules consult). Any change gives a new version, so the audit can tell pipeline changes apart."""
    from importlib.metadata import version
    from pathlib import Path

    from cleaners import repairs
    from core.profiles import builtin_profiles

    digest = hashlib.sha256()
    digest.update(" ".join(rule.name for rule in repairs.RULES).encode("utf-8"))
    package = Path(__file__).parent
    for path in sorted([*package.glob("*.py"), *package.glob("*.toml")]):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    for profile in builtin_profiles().values():
        digest.update(repr((profile.name, profile.extract, profile.metadata, profile.chrome)).encode("utf-8"))
    for dependency in ("ftfy", "wordfreq"):
        digest.update(f"{dependency}=={version(dependency)}".encode("utf-8"))
    return f"{__version__}+{digest.hexdigest()[:10]}"


from cleaners.errors import REFUSAL_KINDS, CleaningError, NotAnArticle, SoftNotFound  # noqa: E402
from cleaners.page import clean_page, render_text  # noqa: E402

CLEANER_VERSION = _cleaner_version()

__all__ = ["CLEANER_VERSION", "REFUSAL_KINDS", "CleaningError", "NotAnArticle", "SoftNotFound", "clean_page",
           "render_text"]
