"""The quality report: one self-contained HTML page per release (or refused release) that opens offline.

Inline CSS, no scripts, no external resource of any kind, and a Content-Security-Policy that forbids
them, so opening it sends nothing off the machine. Every piece of upstream text (titles, snippets, URLs,
ids) is HTML-escaped; a source URL becomes a link only when it is http(s). It shows, per site, the
document counts and each check with pass/fail, then every quarantined document with the check it failed
in words, where, the offending snippet highlighted, its source URL and its capture.
"""

from __future__ import annotations

from html import escape

from core.capture import plain_record_id

# Nothing may load or run: styles inline only, no script, no fetch, no form target, no frame.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"

CSS = """
body{font:15px/1.5 Georgia,serif;max-width:64em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0} th,td{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#185c1b} .fail{color:#fff;background:#a12a1c;padding:0 .4em;border-radius:3px} .na{color:#999}
.doc{border:1px solid #ddd;border-left:4px solid #a12a1c;border-radius:4px;padding:.5em 1em;margin:1em 0}
.snippet{font:13px/1.5 monospace;background:#f6f6f6;padding:.4em .6em;white-space:pre-wrap;word-break:break-word}
mark{background:#ffd54d;outline:1px solid #b58900} .meta{font:13px monospace;color:#444}
.banner{padding:.6em 1em;border-radius:4px;background:#fdecea;border:1px solid #a12a1c}
.ok{background:#e8f5e9;border-color:#185c1b}
"""


def _link(url: str) -> str:
    """A source URL as a link when it is http(s), as plain text otherwise (never a javascript: href)."""
    text = escape(url or "")
    return f"<a href='{text}'>{text}</a>" if (url or "").lower().startswith(("http://", "https://")) else text


def _status(outcome) -> str:
    if outcome is None:
        return "<td class='na'>—</td>"
    if outcome.passed:
        return "<td class='pass'>pass</td>"
    observed = outcome.observed
    if isinstance(observed, float):  # a share (count drop, quarantine share)
        figure = f" {observed:.0%}"
    elif observed is not None:       # a count, or the last crawl's outcome ("unreachable")
        figure = f" ({observed})"
    else:
        figure = f" ({len(outcome.failed)})"
    return f"<td><span class='fail'>fail{escape(figure)}</span></td>"


def _snippet(snippet: dict | None) -> str:
    if not snippet:
        return ""
    return (f"<div class='snippet'>…{escape(snippet['before'])}<mark>{escape(snippet['match'])}</mark>"
            f"{escape(snippet['after'])}…</div>")


def render_refusals(refusals: list[dict]) -> str:
    """The section of captures refused as not articles (list, error, attachment-only, empty pages): a count
    per site and kind, then each page with its reason in words. Never released, always counted.

    >>> html = render_refusals([{"site": "kancc", "url": "http://kancc.org/x", "kind": "list", "reason": "6 links"}])
    >>> "<td>kancc</td><td>list</td><td class='num'>1</td>" in html and "6 links" in html
    True
    """
    counts: dict[tuple[str, str], int] = {}
    for refusal in refusals:
        key = (refusal.get("site", ""), refusal.get("kind", "unreadable"))
        counts[key] = counts.get(key, 0) + 1
    out = [f"<h2>Pages refused as not articles ({len(refusals)})</h2>"]
    if not refusals:
        out.append("<p>None.</p>")
        return "\n".join(out)
    out.append("<table><tr><th>site</th><th>kind</th><th>pages</th></tr>")
    out += [f"<tr><td>{escape(site)}</td><td>{escape(kind)}</td><td class='num'>{n}</td></tr>"
            for (site, kind), n in sorted(counts.items())]
    out.append("</table><ul>")
    out += [f"<li>{escape(r.get('kind', 'unreadable'))}: {_link(r.get('url', ''))} — {escape(r.get('reason') or r.get('error', ''))}</li>"
            for r in sorted(refusals, key=lambda r: (r.get("site", ""), r.get("url", "")))]
    out.append("</ul>")
    return "\n".join(out)


def render_quality_report(result, *, title: str, release: str | None, previous_counts: dict[str, int],
                          refusals: list[dict] | None = None) -> str:
    """The report for one gate run (expectations.gate.BatchResult) as a complete HTML page.

    title            e.g. "Release 2026.11.25" or "Release refused"
    release          the release's version, None when the gate refused it
    previous_counts  documents per site in the previous release
    refusals         captures the cleaner refused as not articles: {site, url, kind, reason} each (the
                     clean reports' failures and soft 404s); None: the section is left out
    """
    sites = sorted(set(result.counts_by_site) | set(previous_counts))
    held = {site: sum(1 for d in result.quarantined if d.site == site) for site in sites}
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
           f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
           f"<meta name='referrer' content='no-referrer'>"
           f"<title>kcorpus quality report: {escape(title)}</title><style>{CSS}</style></head><body>",
           f"<h1>Quality report: {escape(title)}</h1>"]
    if release:
        out.append(f"<p class='banner ok'>Released as <b>{escape(release)}</b>: {len(result.passed)} documents; "
                   f"{len(result.quarantined)} held back in quarantine.</p>")
    else:
        out.append("<p class='banner'>The release was <b>refused</b>: "
                   + "; ".join(escape(f.message) for f in result.batch_failures) + "</p>")
    if result.remembered:
        checked = sum(result.counts_by_site.values()) - result.remembered
        out.append(f"<p>Great Expectations checked {checked} new or changed documents now; the other "
                   f"{result.remembered} are unchanged since they passed these same checks (same suite, same "
                   f"text: the gate's memory, <code>index/gate.sqlite</code>).</p>")
    if release and result.batch_failures:
        out.append("<p class='banner'>Released with --allow-partial despite: "
                   + "; ".join(escape(f.message) for f in result.batch_failures) + "</p>")
    out.append("<h2>Documents per site</h2><table><tr><th>site</th><th>documents</th><th>passed</th>"
               "<th>quarantined</th><th>previous release</th></tr>")
    for site in sites:
        found = result.counts_by_site.get(site, 0)
        out.append(f"<tr><td>{escape(site)}</td><td class='num'>{found}</td><td class='num'>{found - held[site]}</td>"
                   f"<td class='num'>{held[site]}</td><td class='num'>{previous_counts.get(site, 0)}</td></tr>")
    out.append("</table>")

    out.append("<h2>Checks</h2><table><tr><th>check</th><th>a document fails it when</th>"
               + "".join(f"<th>{escape(site)}</th>" for site in sites) + "</tr>")
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for outcome in result.checks:
        rows.setdefault((outcome.expectation + outcome.check, outcome.words), {})[outcome.site] = outcome
    for (key, words), per_site in rows.items():
        name = next(iter(per_site.values())).check
        out.append(f"<tr><td><code>{escape(name)}</code></td><td>{escape(words)}</td>"
                   + "".join(_status(per_site.get(site)) for site in sites) + "</tr>")
    out.append("</table>")

    if refusals is not None:
        out.append(render_refusals(refusals))
    out.append(f"<h2>Quarantined documents ({len(result.quarantined)})</h2>")
    if not result.quarantined:
        out.append("<p>None: every document passed every check.</p>")
    for doc in sorted(result.quarantined, key=lambda d: d.id):
        capture = doc.capture or {}
        out.append(f"<div class='doc'><h3>{escape(doc.title or '(no title)')}</h3>"
                   f"<p class='meta'>{escape(doc.id)} · {escape(doc.site)} · {_link(doc.source_url)}<br>"
                   f"captured {escape(str(capture.get('captured_at') or 'unknown'))} · WARC record "
                   f"{escape(plain_record_id(str(capture.get('record_id') or '—')))} · warc/{escape(str(capture.get('warc_file') or '—'))}"
                   f" at offset {escape(str(capture.get('warc_offset', '—')))}</p><ul>")
        for failure in result.verdicts.get(doc.id, []):
            where = f" <i>({escape(failure.where)})</i>" if failure.where else ""
            out.append(f"<li><b>{escape(failure.reason or failure.expectation)}</b>{where}"
                       f"{_snippet(failure.snippet)}</li>")
        out.append("</ul></div>")
    out.append("</body></html>")
    return "\n".join(out)
