"""The watch-list: the names and phrases a researcher follows (a TOML file in the data home), and how a
text is said to mention one (same words after normalising whitespace, punctuation and quote style)."""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

WORD = re.compile(r"\w+")
EXAMPLE_NAME = "watchlist.example.toml"


class WatchlistError(ValueError):
    """The watch-list file cannot be read as a list of [[entry]] tables with a name."""


def normal_words(text: str) -> list[str]:
    """The words of `text` with whitespace, punctuation, quote style, dashes and compatibility
    characters (NFKC: full-width letters, ligatures, no-break spaces) normalised away; case is kept,
    because KCNA's capitals carry meaning ("the Party", "the Leader").

    >>> normal_words("Choe Yong Rim, Jang Song-thaek and\u00a0“others”")
    ['Choe', 'Yong', 'Rim', 'Jang', 'Song', 'thaek', 'and', 'others']
    """
    return WORD.findall(unicodedata.normalize("NFKC", text))


def normal_text(text: str) -> str:
    """normal_words joined by single spaces: equal for texts that differ only cosmetically."""
    return " ".join(normal_words(text))


@dataclass(frozen=True)
class WatchEntry:
    """One watched name or phrase and its other spellings (romanisations, hangul)."""

    name: str
    aliases: tuple[str, ...] = ()
    note: str = ""
    pattern: re.Pattern = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        forms = sorted({normal_text(f) for f in (self.name, *self.aliases) if normal_text(f)}, key=len, reverse=True)
        # whole words only: "Kim Il Sung" must not match inside "Kim Il Sungism"; matched on normal_text
        pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(f) for f in forms) + r")(?!\w)") if forms \
            else re.compile(r"(?!x)x")
        object.__setattr__(self, "pattern", pattern)

    @property
    def slug(self) -> str:
        """A file-name-safe form of the name, for the entry's feed."""
        ascii_name = unicodedata.normalize("NFKD", self.name).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
        return slug or "entry-" + hashlib.sha1(self.name.encode("utf-8")).hexdigest()[:10]

    def mentioned_in(self, normalised: str) -> bool:
        """True when the text (already through normal_text) mentions the name or an alias."""
        return self.pattern.search(normalised) is not None


def parse_watchlist(text: str, source: str = "watch-list") -> list[WatchEntry]:
    """Entries from the TOML text: [[entry]] tables with `name`, optional `aliases` and `note`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WatchlistError(f"{source}: not valid TOML ({exc})") from None
    entries = []
    for number, raw in enumerate(data.get("entry", []), 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not normal_text(raw["name"]):
            raise WatchlistError(f"{source}: entry {number} needs a name with at least one word")
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise WatchlistError(f"{source}: entry {number} ({raw['name']}): aliases must be a list of strings")
        entries.append(WatchEntry(raw["name"], tuple(aliases), str(raw.get("note", ""))))
    names = [e.name for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise WatchlistError(f"{source}: entries named twice: {', '.join(duplicates)}")
    return entries


def load_watchlist(path: Path) -> list[WatchEntry]:
    """The watch-list at `path`; no file means an empty list (watching is optional)."""
    path = Path(path)
    if not path.is_file():
        return []
    return parse_watchlist(path.read_text(encoding="utf-8"), str(path))


def example_watchlist() -> str:
    """The example watch-list shipped with kcorpus (corpus/watchlist.example.toml)."""
    return (resources.files("corpus") / EXAMPLE_NAME).read_text(encoding="utf-8")
