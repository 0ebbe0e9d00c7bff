"""The audit as a reader sees it: text and self-contained HTML views (inline CSS, no scripts, no external
resources; every text escaped) of release changes (reports/audit-OLD-NEW.html, `kcorpus diff`), timelines
and document histories: events first, then moves, documents not checked, deletions, edits with their
changed metadata fields (cosmetic ones folded, never hidden), the watch-list."""

from __future__ import annotations

from datetime import datetime, timezone

from html import escape
from urllib.parse import quote

from corpus.worddiff import changed_excerpts
from corpus.events import ReleaseChanges, Timeline
from corpus.history import DocumentHistory
from corpus.tei import html_note_hostile

CSS = """
body{font:15px/1.5 Georgia,serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0} th,td{border:1px solid #ccc;padding:.3em .7em;text-align:right}
th:first-child,td:first-child{text-align:left} .num{font-variant-numeric:tabular-nums}
del{background:#fdd;color:#900;text-decoration:line-through} ins{background:#dfd;color:#060;text-decoration:none}
.doc{border:1px solid #ddd;border-radius:4px;padding:.5em 1em;margin:1em 0}
.kind{font:12px sans-serif;padding:.1em .5em;border-radius:3px;color:#fff}
.upstream{background:#b35900} .pipeline{background:#3b5ba5} .cosmetic{background:#777}
.excerpt{margin:.5em 0;padding-left:1em;border-left:3px solid #eee} .meta{font:13px monospace}
a{color:#245}
"""


def _link(url: str) -> str:
    """A source URL as a link when it is http(s), as plain text otherwise (never a javascript: href)."""
    text = escape(url)
    return f"<a href='{text}'>{text}</a>" if url.lower().startswith(("http://", "https://")) else text


def _ops_html(ops: list[list]) -> str:
    parts = []
    for kind, text in ops:
        text = escape(text).replace("\n\n", " ¶ ")
        parts.append(text if kind == "equal" else (f"<del>{text}</del>" if kind == "delete" else f"<ins>{text}</ins>"))
    return "".join(parts)


# nothing may load or run, whatever the text: inline styles only
NOTHING_LOADS = "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"

EXTRA_CSS = """
.event{border-left:4px solid #b35900;padding:.3em 1em;margin:1em 0;background:#fffaf3}
.moved{background:#2e7d32} details{margin:1em 0} summary{cursor:pointer}
.notchecked{border-left:4px solid #a00;padding:.3em 1em;background:#fff3f3}
"""


def _inline(ops: list[list]) -> str:
    return "".join(t if k == "equal" else (f"[-{t}-]" if k == "delete" else f"{{+{t}+}}") for k, t in ops)


def render_changes_text(step: ReleaseChanges, context: int = 20) -> str:
    """One release step for a terminal: counts per site, events, moves, not checked, deletions,
    edits (cosmetic ones on one folded line), watch-list counts."""
    counts = step.counts_by_site
    totals = {k: sum(row[k] for row in counts.values()) for k in next(iter(counts.values()), {})}
    lines = [f"Release {step.old} -> {step.new}"
             + (" (released with --allow-partial)" if step.allow_partial else "") + ": "
             + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in totals.items() if v) + f", {step.unchanged} unchanged"]
    for site, row in counts.items():
        lines.append(f"  {site}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in row.items() if v))
    for event in step.events:
        lines.append(f"  EVENT {event.label}")
        lines += [f"      {d['id']}  {d['title']}" for d in event.documents]
    for deletion in step.deletions:
        lines.append(f"  DELETED {deletion.label}")
    for c in step.of("moved"):
        lines.append(f"  MOVED {c.moved_from['id']} <{c.moved_from['source_url']}> -> {c.id} <{c.source_url}>  {c.title}")
    for site, row in step.not_checked.items():
        lines.append(f"  NOT CHECKED {site} ({row['outcome']}{': ' + row['cause'] if row.get('cause') else ''}): "
                     f"{row['documents']} documents kept as last seen"
                     + (f" (last checked {row['last_checked']})" if row.get("last_checked") else "")
                     + (f"; {row['deferred']} deferred by the revisit schedule, next check due {row['next_due']}"
                        if row.get("deferred") else "")
                     + "; none counted as removed")
    for c in step.of("added"):
        lines.append(f"  + {c.id}  {c.title}")
    for c in step.of("removed"):
        lines.append(f"  - {c.id}  {c.title}")
    for c in step.of("edited"):
        if c.kind == "cosmetic":
            continue
        lines.append(f"  ~ {c.id}  {c.title}  ({c.kind}: -{c.words_deleted} +{c.words_inserted} words)")
        for name, (before, after) in c.metadata.items():
            lines.append(f"      {name}: {before!r} -> {after!r}")
        for excerpt in changed_excerpts(c.ops, context):
            lines.append("      " + _inline(excerpt).replace("\n\n", " ¶ ").replace("\n", " "))
    cosmetic = step.of("edited", "cosmetic")
    if cosmetic:
        lines.append(f"  cosmetic (folded): {len(cosmetic)}: " + ", ".join(c.id for c in cosmetic))
    for name, row in step.watch.items():
        lines.append(f"  watch {name}: {row['previous']} -> {row['documents']} documents"
                     + (f", lost {', '.join(row['lost'])}" if row["lost"] else "")
                     + (f", gained {', '.join(row['gained'])}" if row["gained"] else ""))
    return "\n".join(lines)


def render_timeline_text(tl: Timeline) -> str:
    """Many releases: per-release document and watch-list counts, then each step's changes."""
    lines = [f"Timeline of {len(tl.releases)} releases, {len(tl.steps)} steps"]
    names = sorted({n for counts in tl.watch_counts.values() for n in counts})
    header = f"  {'release':<16}{'documents':>10}" + "".join(f"  {n[:18]:>18}" for n in names)
    lines.append(header)
    for rel in tl.releases:
        counts = tl.watch_counts.get(rel["version"], {})
        lines.append(f"  {rel['version']:<16}{rel['documents']:>10}" + "".join(f"  {counts.get(n, 0):>18}" for n in names)
                     + ("  (partial)" if rel["allow_partial"] else ""))
    for row in tl.recurring:
        lines.append(f"  RECURRING “{row['deleted']}”→“{row['inserted']}” in {row['documents']} articles over "
                     f"releases {', '.join(row['releases'])}")
    for step in tl.steps:
        lines += ["", render_changes_text(step)]
    return "\n".join(lines)


def history_file_name(doc_id: str) -> str:
    """The file of a document's history page under reports/history/ (ids are already file-safe)."""
    return quote(doc_id, safe="") + ".html"


def _doc_link(doc_id: str, history_base: str | None) -> str:
    label = f"<code>{escape(doc_id)}</code>"
    if history_base is None:
        return label
    return f"<a href='{escape(history_base + history_file_name(doc_id))}'>{label}</a>"


def render_changes_html(step: ReleaseChanges, history_base: str | None = "history/", feeds: dict[str, str] | None = None) -> str:
    """The release audit as one self-contained page: events, moves, sites not checked, deletions,
    watch-list, then each edited document inline (cosmetic edits in a folded block). Every document
    links to its own history page (`history_base` + id.html); anchors: event-ID, doc-ID, deleted-SITE,
    not-checked-SITE, watch-SLUG (the feeds link to them)."""
    from corpus.watchlist import WatchEntry

    counts = step.counts_by_site
    keys = list(next(iter(counts.values()), {}).keys())
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>{NOTHING_LOADS}<title>kcorpus audit: "
           f"{escape(step.old)} → {escape(step.new)}</title><style>{CSS}{EXTRA_CSS}</style></head><body>",
           f"<h1>What changed: release {escape(step.old)} → {escape(step.new)}</h1>"]
    if step.allow_partial:
        out.append("<p class='notchecked'>This release was made with <code>--allow-partial</code>.</p>")
    rows = [(escape(s), row) for s, row in counts.items()]
    if len(counts) > 1:
        rows.append(("<b>all sites</b>", {k: sum(row[k] for row in counts.values()) for k in keys}))
    out.append("<table><tr><th>site</th>" + "".join(f"<th>{escape(k.replace('_', ' '))}</th>" for k in keys) + "</tr>"
               + "".join(f"<tr><td>{name}</td>" + "".join(f"<td class='num'>{row[k]}</td>" for k in keys) + "</tr>"
                         for name, row in rows) + f"</table><p>{step.unchanged} unchanged.</p>")
    if feeds:
        out.append("<p>Feeds: " + " · ".join(f"<a href='{escape(href)}'>{escape(name)}</a>" for name, href in feeds.items()) + "</p>")
    if step.events:
        out.append(f"<h2>Edit events ({len(step.events)})</h2>")
        for e in step.events:
            docs = "".join(f"<li>{_doc_link(d['id'], history_base)} {escape(d['title'])} "
                           f"<a href='#doc-{escape(quote(d['id']))}'>diff</a></li>" for d in e.documents)
            out.append(f"<div class='event' id='event-{e.id}'><b>{escape(e.label)}</b><ul>{docs}</ul></div>")
    moved = step.of("moved")
    if moved:
        out.append(f"<h2>Moved ({len(moved)})</h2><ul>")
        out += [f"<li id='doc-{escape(quote(c.id))}'>{_doc_link(c.moved_from['id'], history_base)} {_link(c.moved_from['source_url'] or '')} → "
                f"{_doc_link(c.id, history_base)} {_link(c.source_url)} — {escape(c.title)} "
                f"<span class='kind moved'>move</span></li>" for c in moved]
        out.append("</ul>")
    for site, row in step.not_checked.items():
        out.append(f"<div class='notchecked' id='not-checked-{escape(site)}'><b>{escape(site)}: not checked</b> "
                   f"({escape(str(row['outcome']))}{': ' + escape(str(row['cause'])) if row.get('cause') else ''}). "
                   f"{row['documents']} documents kept as last seen"
                   f"{' (last checked ' + escape(str(row['last_checked'])) + ')' if row.get('last_checked') else ''}; "
                   + (f"{row['deferred']} deferred by the revisit schedule, next check due "
                      f"{escape(str(row['next_due']))}; " if row.get("deferred") else "")
                   + "none is counted as removed.</div>")
    for deletion in step.deletions:
        out.append(f"<h2 id='deleted-{escape(deletion.site)}'>{escape(deletion.label)}</h2><ul>")
        out += [f"<li id='doc-{escape(quote(d['id']))}'>{_doc_link(d['id'], history_base)} {escape(d['title'])} — "
                f"{_link(d['source_url'])}</li>" for d in deletion.documents]
        out.append("</ul>")
        if deletion.mentions:
            out.append("<p>Mentioned in the deleted articles: " + ", ".join(
                f"{escape(n)} ({c}, {s:.0%})" for n, c, s in deletion.mentions) + "</p>")
    if step.watch:
        out.append("<h2>Watch-list</h2><table><tr><th>name</th><th>before</th><th>now</th><th>lost</th><th>gained</th></tr>")
        for name, row in step.watch.items():
            out.append(f"<tr id='watch-{escape(WatchEntry(name).slug)}'><td>{escape(name)}</td><td class='num'>{row['previous']}</td>"
                       f"<td class='num'>{row['documents']}</td><td>{', '.join(_doc_link(i, history_base) for i in row['lost'])}</td>"
                       f"<td>{', '.join(_doc_link(i, history_base) for i in row['gained'])}</td></tr>")
        out.append("</table>")
    added = step.of("added")
    if added:
        out.append(f"<h2>Added ({len(added)})</h2><ul>")
        out += [f"<li id='doc-{escape(quote(c.id))}'>{_doc_link(c.id, history_base)} {escape(c.title)} — {_link(c.source_url)}</li>"
                for c in added]
        out.append("</ul>")
    edited = [c for c in step.of("edited") if c.kind != "cosmetic"]
    cosmetic = step.of("edited", "cosmetic")
    if edited:
        out.append(f"<h2>Edited ({len(edited)})</h2>")
        out += [_edited_html(c, history_base) for c in edited]
    if cosmetic:
        out.append(f"<details><summary><b>Cosmetic changes ({len(cosmetic)})</b>: whitespace, punctuation, quote "
                   f"style or page bytes only — folded, click to open</summary>")
        out += [_edited_html(c, history_base) for c in cosmetic]
        out.append("</details>")
    out.append("</body></html>")
    return html_note_hostile("\n".join(out))


def _edited_html(c, history_base) -> str:
    parts = [f"<div class='doc' id='doc-{escape(quote(c.id))}'><h3>{escape(c.title)} <span class='kind {escape(c.kind)}'>"
             f"{escape(c.kind)}</span></h3><p>{_doc_link(c.id, history_base)} — {_link(c.source_url)} — "
             f"{c.words_deleted} words deleted, {c.words_inserted} inserted</p>"]
    parts += [f"<p class='meta'>{escape(name)}: <del>{escape(str(before))}</del> → <ins>{escape(str(after))}</ins></p>"
              for name, (before, after) in c.metadata.items()]
    parts += [f"<p class='excerpt'>{_ops_html(excerpt)}</p>" for excerpt in changed_excerpts(c.ops)]
    if not c.ops and not c.metadata:
        parts.append("<p class='meta'>same text; the page's bytes changed (charset, markup or chrome)</p>")
    parts.append("</div>")
    return "".join(parts)


def checked_note(version: dict) -> str:
    """For a released version nobody re-checked: when its page last answered and, when the revisit
    schedule deferred it, when it is due ("" for any other version)."""
    checked = version.get("last_checked")
    if version.get("change") != "not_checked" or not isinstance(checked, dict):
        return ""
    return (f"last checked {checked.get('at')}"
            + (f", deferred by the revisit schedule: next check due {checked['next_due']}" if checked.get("next_due") else ""))


def render_history_text(history: DocumentHistory, context: int = 20) -> str:
    """Every capture and every released version of one document, with each change's diff and class."""
    lines = [f"History of {history.id}: {len(history.captures)} captures, {len(history.versions)} released versions"]
    lines.append("  captures:")
    for c in history.captures:
        lines.append(f"    {c.get('captured_at')}  run {c.get('run_id')}  {c.get('status')} {c.get('record_type')}  "
                     f"{c.get('payload_digest') or ''}  {c.get('url')}")
    lines.append("  releases:")
    for v in history.versions:
        kind = f" ({v['kind']}: -{v['words_deleted']} +{v['words_inserted']} words)" if v.get("kind") and v["change"] != "moved" else ""
        note = checked_note(v) or (f"moved from {v['moved_from']} to {v['id']}" if v.get("moved_from") else "")
        lines.append(f"    {v['release']:<14} {v['date'] or '':<11} {v['change']}{kind}  {v.get('title') or ''}  "
                     f"{v.get('source_url') or ''}" + (f"  ({note})" if note else ""))
        for excerpt in changed_excerpts(v.get("ops") or [], context):
            lines.append("        " + _inline(excerpt).replace("\n\n", " ¶ ").replace("\n", " "))
    return "\n".join(lines)


def render_history_html(history: DocumentHistory, as_of: str | None = None) -> str:
    """One document's history page (self-contained): when it was made (`as_of`: the newest release it
    covers and the time of writing, so a stale page says so), the captures table, then every released
    version with the diff of each change, cosmetic changes folded."""
    newest = history.versions[-1]["release"] if history.versions else None
    made = as_of or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    stamp = f"As of {made}" + (f", through release {newest}" if newest else "") + "."
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>kcorpus history: {escape(history.id)}</title>"
           f"<style>{CSS}{EXTRA_CSS}</style></head><body><h1>History of <code>{escape(history.id)}</code></h1>",
           f"<p class='as-of'>{escape(stamp)}</p>",
           f"<h2>Captures ({len(history.captures)})</h2><table><tr><th>captured</th><th>run</th><th>status</th>"
           f"<th>record</th><th>payload digest</th><th>URL</th></tr>"]
    # the URL too: a document that moved lists the captures of every address it had
    out += [f"<tr><td>{escape(str(c.get('captured_at')))}</td><td>{escape(str(c.get('run_id')))}</td><td class='num'>"
            f"{escape(str(c.get('status')))}</td><td>{escape(str(c.get('record_type')))}</td><td>{escape(str(c.get('payload_digest') or ''))}</td>"
            f"<td>{_link(c.get('url') or '')}</td></tr>"
            for c in history.captures]
    out.append(f"</table><h2>Released versions ({len(history.versions)})</h2>")
    for v in history.versions:
        kind = f" <span class='kind {escape(v['kind'])}'>{escape(v['kind'])}</span>" if v.get("kind") else ""
        body = "".join(f"<p class='excerpt'>{_ops_html(e)}</p>" for e in changed_excerpts(v.get("ops") or []))
        head = (f"<h3 id='release-{escape(v['release'])}'>{escape(v['release'])} — {escape(v['change'] or '')}{kind}</h3>"
                f"<p>{escape(v.get('title') or '')} — {_link(v.get('source_url') or '')}</p>"
                + (f"<p class='checked'>{escape(checked_note(v))}</p>" if checked_note(v) else "")
                + (f"<p>moved from <code>{escape(v['moved_from'])}</code> to <code>{escape(v['id'])}</code></p>"
                   if v.get("moved_from") else ""))
        if v.get("kind") == "cosmetic":
            out.append(f"<div class='doc'>{head}<details><summary>cosmetic change (folded)</summary>{body}</details></div>")
        else:
            out.append(f"<div class='doc'>{head}{body}</div>")
    out.append("</body></html>")
    return html_note_hostile("\n".join(out))
