"""The audit report: one self-contained HTML page (inline CSS, no external resources) a researcher reads
in a browser — summary on top, then each edited document with deletions and insertions inline."""

from __future__ import annotations

from html import escape

from corpus.diff import ReleaseDiff, changed_excerpts

CSS = """
body{font:15px/1.5 Georgia,serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0} th,td{border:1px solid #ccc;padding:.3em .7em;text-align:right}
th:first-child,td:first-child{text-align:left} .num{font-variant-numeric:tabular-nums}
del{background:#fdd;color:#900;text-decoration:line-through} ins{background:#dfd;color:#060;text-decoration:none}
.doc{border:1px solid #ddd;border-radius:4px;padding:.5em 1em;margin:1em 0}
.kind{font:12px sans-serif;padding:.1em .5em;border-radius:3px;color:#fff}
.upstream{background:#b35900} .pipeline{background:#3b5ba5}
.excerpt{margin:.5em 0;padding-left:1em;border-left:3px solid #eee} .meta{font:13px monospace}
a{color:#245}
"""


def _link(url: str) -> str:
    """A source URL as a link when it is http(s), as plain text otherwise (never a javascript: href)."""
    text = escape(url)
    return f"<a href='{text}'>{text}</a>" if url.lower().startswith(("http://", "https://")) else text


def _summary_rows(diff: ReleaseDiff) -> str:
    """One row per site and, when there are several sites, a total row."""
    table = diff.summary_by_site
    rows = [(escape(site), row) for site, row in table.items()]
    if len(table) > 1:
        rows.append(("<b>all sites</b>", {k: sum(r[k] for r in table.values()) for k in next(iter(table.values()))}))
    return "".join(f"<tr><td>{name}</td>" + "".join(f'<td class="num">{n}</td>' for n in row.values()) + "</tr>"
                   for name, row in rows)


def _ops_html(ops: list[list]) -> str:
    parts = []
    for kind, text in ops:
        text = escape(text).replace("\n\n", " ¶ ")
        parts.append(text if kind == "equal" else (f"<del>{text}</del>" if kind == "delete" else f"<ins>{text}</ins>"))
    return "".join(parts)


def render_html(diff: ReleaseDiff) -> str:
    """The whole audit report as one self-contained HTML page (inline CSS, no scripts, no external
    resources; every text escaped): summary per site on top, then removed and added documents with
    their source URLs, then each edited document with its changes inline in their sentences
    (<del>/<ins>) and its changed metadata fields."""
    rows = _summary_rows(diff)
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
           # nothing may load or run, whatever the text: inline styles only
           f"<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
           f"<title>kcorpus audit: {escape(diff.old)} → {escape(diff.new)}</title><style>{CSS}</style></head><body>",
           f"<h1>What changed: release {escape(diff.old)} → {escape(diff.new)}</h1>",
           f"<p><b>{len(diff.added)}</b> added, <b>{len(diff.removed)}</b> removed, <b>{len(diff.edited)}</b> edited, "
           f"{diff.unchanged} unchanged. <span class='kind upstream'>upstream</span> = the source page changed; "
           f"<span class='kind pipeline'>pipeline</span> = same capture, different kcorpus cleaning.</p>",
           "<table><tr><th>site</th><th>added</th><th>removed</th><th>edited (upstream)</th>"
           f"<th>edited (pipeline)</th></tr>{rows}</table>"]
    for heading, docs in (("Removed", diff.removed), ("Added", diff.added)):
        if docs:
            out.append(f"<h2>{heading} ({len(docs)})</h2><ul>")
            out += [f"<li><code>{escape(d['id'])}</code> {escape(d['title'])} — {_link(d['source_url'])} <span class='kind {escape(d['kind'])}'>{escape(d['kind'])}</span></li>"
                    for d in docs]
            out.append("</ul>")
    if diff.edited:
        out.append(f"<h2>Edited ({len(diff.edited)})</h2>")
        for e in diff.edited:
            out.append(f"<div class='doc'><h3>{escape(e.title)} <span class='kind {escape(e.kind)}'>{escape(e.kind)}</span></h3>"
                       f"<p><code>{escape(e.id)}</code> — {_link(e.source_url)}"
                       f" — {e.words_deleted} words deleted, {e.words_inserted} inserted</p>")
            for name, (before, after) in e.metadata.items():
                out.append(f"<p class='meta'>{escape(name)}: <del>{escape(str(before))}</del> → "
                           f"<ins>{escape(str(after))}</ins></p>")
            out += [f"<p class='excerpt'>{_ops_html(excerpt)}</p>" for excerpt in changed_excerpts(e.ops)]
            out.append("</div>")
    out.append("</body></html>")
    from corpus.tei import html_note_hostile
    return html_note_hostile("\n".join(out))
