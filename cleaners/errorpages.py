"""Error pages served with status 200 ("soft 404s"): recognised by their text, never cleaned into documents.

A site's own wording lives in its profile (`[errors] patterns`); the patterns here are the ones any site
may use. Only the page's title, its headings and its scripts' alert() messages are read, and only when
the page holds little other text, so an article that quotes "page not found" is still an article.
"""

from __future__ import annotations

import re

# Wording of error pages in general (web servers, CMS defaults, GNUBoard's alert() page).
GENERIC_PATTERNS = (
    r"(?i)^\s*(?:error\s*)?404\b",
    r"(?i)\b(?:page|document|file|article|post)\s+(?:was\s+)?not\s+found\b",
    r"(?i)^\s*not\s+found\s*$",
    r"(?i)\bthe page you (?:requested|are looking for) (?:could not be found|does not exist|cannot be found)",
    r"글이 존재하지 않습니다",            # GNUBoard: the post does not exist
    r"글이 삭제되었거나 이동된 경우입니다",  # GNUBoard: the post was deleted or moved
    r"존재하지 않는 (?:게시판|페이지)입니다",  # GNUBoard: no such board / page
    r"알\s?수\s?없는\s?주소",             # kcna.kp, Rodong Sinmun: "address unknown"
    r"(?:페이지|글|기사)를? 찾을 수 없습니다",
    r"(?:页面|网页|文章)不存在|找不到(?:该|此)?(?:页面|网页)",
)
ALERT = re.compile(r"""alert\(\s*(["'])(?P<message>(?:\\.|(?!\1).)*)\1\s*\)""", re.DOTALL)
# An error page says little: above this much visible text a page is judged by its content, not its title.
MAX_ERROR_PAGE_TEXT = 1500
MAX_ERROR_LINE = 60  # an error message is a short line of its own, not a sentence quoting one


def alert_messages(root) -> list[str]:
    """The messages of the page's script alert() calls, JavaScript escapes undone ("\\n" -> newline)."""
    messages = []
    for script in root.iter("script"):
        for m in ALERT.finditer(script.text or ""):
            messages.append(m.group("message").replace("\\n", "\n").replace('\\"', '"').replace("\\'", "'"))
    return messages


def could_be_error_page(source: str, body_text: str) -> bool:
    """Whether error_page_reason can find anything, judged without parsing the page: an alert() needs
    "alert" in the markup (a script's text is a stretch of it, as served), and the title and headings
    count only on a page with little text. False spares a large article page its second parse."""
    return "alert" in source or len(body_text) <= MAX_ERROR_PAGE_TEXT


def error_page_reason(root, body_text: str, patterns: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why a parsed page is an error page (one line), or None when it is not one.

    root       the parsed page (lxml), scripts still in it
    body_text  the page's visible text (to tell a short error page from an article that mentions one)
    patterns   the site's own error wording (profile `[errors] patterns`), tried before the generic ones
    """
    compiled = [re.compile(p) for p in (*patterns, *GENERIC_PATTERNS)]
    for message in alert_messages(root):
        if any(c.search(message) for c in compiled):
            return "alert: " + " ".join(message.split())[:120]
    if len(body_text) > MAX_ERROR_PAGE_TEXT:
        return None
    title = " ".join((root.findtext(".//title") or "").split())
    headings = [" ".join(h.text_content().split()) for h in root.iter("h1", "h2")]
    # a page of little text: its short lines are read too, the extracted ones and the page's own (an
    # extractor may keep the menus and leave out "알수 없는 주소입니다." in a paragraph of its own)
    own = [el.text for el in root.iter() if isinstance(el.tag, str) and el.tag not in ("script", "style", "title")
           and el.text and el.text.strip()]
    lines = [line for line in (" ".join(raw.split()) for raw in [*body_text.split("\n"), *own])
             if 0 < len(line) <= MAX_ERROR_LINE]
    for label, text in [("title", title)] + [("heading", h) for h in headings] + [("text", line) for line in lines]:
        if text and any(c.search(text) for c in compiled):
            return f"{label}: {text[:120]}"
    return None
