"""A site's template, learned from the crawl itself (design.md, "Reading a page", layer 3): lines that recur
across many pages of one site (list pages and articles alike) are that site's chrome, so a new era's banner
is caught before anyone writes it into a profile.

Pure functions over a site's pages (`learn_template`), a small JSON store the clean stage can pass in
(`TemplateStore`), and the removal itself (`drop_template_lines`, recorded like every other removal).

The guard: a phrase repeated in many articles is text, not chrome. A line is template only when it is not
running text (no sentence of eight words or more), names no leader and holds no slogan of the state media
(kcna.PROTECTED), and recurs on list pages as well as articles, or on nearly every article of the site.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cleaners.kcna import PROTECTED, is_short_line
from core.datahome import temp_name

# A line on at least this share of a site's articles, and on a list page, is template.
MIN_SHARE = 0.3
# Without list pages to confirm it, a line must stand on nearly every article.
MIN_SHARE_ARTICLES_ONLY = 0.8
# Fewer pages than this say nothing about a site's template.
MIN_PAGES = 5


def line_key(line: str) -> str:
    """A line as compared across pages: spaces collapsed (no-break ones too), ends trimmed."""
    return " ".join(line.replace("\u00a0", " ").split())


def could_be_chrome(line: str) -> bool:
    """A line the template may take: short (a label, a banner, a menu), not a sentence of the text, and
    naming no leader nor carrying a slogan (a leader's title recurs in most articles: it is text).

    >>> could_be_chrome("Join the GlobalSecurity.org mailing list"), could_be_chrome("Long live Kim Il Sung!")
    (True, False)
    """
    key = line_key(line)
    return bool(key) and is_short_line(key) and not PROTECTED.search(key)


@dataclass(frozen=True)
class SiteTemplate:
    """The template lines of one site, and how many pages they were learned from."""

    site: str
    lines: frozenset[str] = field(default_factory=frozenset)
    pages: int = 0

    @property
    def digest(self) -> str:
        """What the template removes, as 12 hex digits: part of a cleaned document's stamp, and the name
        it is kept under, so a document cleaned with it can be cleaned again the same way."""
        import hashlib
        return hashlib.sha1("\n".join(sorted(self.lines)).encode("utf-8")).hexdigest()[:12]

    def to_json(self) -> dict:
        return {"site": self.site, "pages": self.pages, "lines": sorted(self.lines)}

    @classmethod
    def from_json(cls, data: dict) -> "SiteTemplate":
        return cls(data["site"], frozenset(data.get("lines", ())), int(data.get("pages", 0)))


def learn_template(site: str, pages: Iterable[tuple[str, list[str]]], *, min_share: float = MIN_SHARE,
                   min_pages: int = MIN_PAGES) -> SiteTemplate:
    """The template of `site` from its pages: (kind, visible lines) pairs, kind "article" or "list".

    A line is template when could_be_chrome allows it and it stands on at least `min_share` of the
    articles and on a list page, or on MIN_SHARE_ARTICLES_ONLY of the articles. Each page counts a line once.

    >>> article = lambda text: ("article", ["UNITED24 banner", "Title " + text, text * 3 + ".", "NEWSLETTER"])
    >>> pages = [article(f"Text number {i} of the site is here") for i in range(6)] + [("list", ["UNITED24 banner"])]
    >>> sorted(learn_template("gs", pages).lines)
    ['NEWSLETTER', 'UNITED24 banner']
    """
    on_articles: Counter[str] = Counter()
    on_lists: Counter[str] = Counter()
    articles = lists = 0
    for kind, lines in pages:
        keys = {line_key(line) for line in lines if could_be_chrome(line)}
        if kind == "list":
            lists += 1
            on_lists.update(keys)
        else:
            articles += 1
            on_articles.update(keys)
    if articles < min_pages:
        return SiteTemplate(site, frozenset(), articles + lists)
    template = set()
    for key, count in on_articles.items():
        share = count / articles
        if (share >= min_share and on_lists[key]) or share >= MIN_SHARE_ARTICLES_ONLY:
            template.add(key)
    return SiteTemplate(site, frozenset(template), articles + lists)


def drop_template_lines(paragraphs: list[str], template: SiteTemplate | frozenset[str] | None
                        ) -> tuple[list[str], list[str]]:
    """The paragraphs without the site's template lines: (kept, dropped). Only whole lines match.

    >>> drop_template_lines(["NEWSLETTER", "The text."], frozenset({"NEWSLETTER"}))
    (['The text.'], ['NEWSLETTER'])
    """
    lines = template.lines if isinstance(template, SiteTemplate) else (template or frozenset())
    if not lines:
        return paragraphs, []
    kept, dropped = [], []
    for paragraph in paragraphs:
        (dropped if line_key(paragraph) in lines else kept).append(paragraph)
    return kept, dropped


class TemplateStore:
    """Learned templates, one JSON file per site in a folder (the data home's `templates_dir`)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def _path(self, site: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", site):
            raise ValueError(f"not a site name: {site!r}")
        return self.folder / f"{site}.json"

    def load(self, site: str) -> SiteTemplate:
        """The site's stored template; an empty one when none was learned yet."""
        path = self._path(site)
        if not path.exists():
            return SiteTemplate(site)
        return SiteTemplate.from_json(json.loads(path.read_text(encoding="utf-8")))

    def save(self, template: SiteTemplate) -> Path:
        """Write the template as the site's current one (whole file replaced atomically), and under its
        digest (never replaced: a document names the template it was cleaned with)."""
        path = self._path(template.site)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(template.to_json(), ensure_ascii=False, indent=1)
        for target in (self.folder / f"{template.site}-{template.digest}.json", path):
            tmp = temp_name(target)  # a killed writer's leftover is removed at the next start
            tmp.write_text(data, encoding="utf-8")
            tmp.replace(target)
        return path

    def by_digest(self, site: str, digest: str) -> SiteTemplate | None:
        """The template a document names (extra["template"]), None when it is not kept."""
        path = self.folder / f"{site}-{digest}.json"
        if not re.fullmatch(r"[0-9a-f]{12}", digest) or not path.exists():
            return None
        return SiteTemplate.from_json(json.loads(path.read_text(encoding="utf-8")))


def page_lines(body: bytes, url: str, headers: dict | None = None) -> list[str]:
    """The visible lines of a captured page (decoded by its charset evidence, split at blocks): what
    learn_template reads for each page of a crawl, list pages included. [] for a page that is not HTML."""
    from cleaners.decode import decode_html
    from cleaners.errors import CleaningError
    from cleaners.extract import block_texts, parse_html

    try:
        text, _ = decode_html(body, {k.lower(): v for k, v in (headers or {}).items()})
        root = parse_html(text)
    except CleaningError:
        return []
    page = root.find("body")
    return [line_key(line) for line in block_texts(page if page is not None else root) if line_key(line)]
