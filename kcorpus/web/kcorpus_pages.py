"""The pages Datasette does not have, as a Datasette plugin: one document with its released versions and
word diffs, captures and witnesses; a watch-list entry's mentions over releases as a plot; and links from
every document id in a table to its page. Everything is rendered here, on this machine (inline SVG)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

ID_COLUMNS = {"id", "document_id", "first"}


def _home(datasette) -> Path | None:
    config = datasette.plugin_config("kcorpus") or {}
    return Path(config["home"]) if config.get("home") else None


async def _rows(datasette, database: str, sql: str, params=()) -> list[dict]:
    try:
        db = datasette.get_database(database)
    except KeyError:
        return []
    return [dict(r) for r in (await db.execute(sql, list(params))).rows]


def diff_html(ops: list[list]) -> Markup:
    """A word diff as the page shows it: deleted words struck through, inserted ones underlined.

    >>> str(diff_html([["equal", "Kim "], ["delete", "Jang"], ["insert", "a <traitor>"]]))
    'Kim <del>Jang</del><ins>a &lt;traitor&gt;</ins>'
    """
    tags = {"delete": "del", "insert": "ins"}
    return Markup("".join(f"<{tags[k]}>{escape(t)}</{tags[k]}>" if k in tags else escape(t) for k, t in ops))


def plot_svg(points: list[tuple[str, int]], width: int = 640, height: int = 240) -> Markup:
    """Counts per release as a line with its points labelled (releases on x, documents on y), in SVG.

    >>> "<polyline" in plot_svg([("2026.01.01", 3), ("2026.02.01", 1)])
    True
    """
    left, bottom, top, right = 56, 40, 28, 56
    top_value = max([n for _, n in points] + [1])
    step = (width - left - right) / max(len(points) - 1, 1)
    xy = [(left + i * step, top + (height - top - bottom) * (1 - n / top_value)) for i, (_, n) in enumerate(points)]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="kcorpus-plot" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#888"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#888"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{top_value}</text>',
             f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" font-size="11">0</text>',
             '<polyline fill="none" stroke="#b00" stroke-width="2" points="'
             + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy) + '"/>']
    for (label, n), (x, y) in zip(points, xy):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#b00"><title>{escape(label)}: {n}</title></circle>')
        parts.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="11">{n}</text>')
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="10">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


async def document_page(datasette, request):
    doc_id = request.url_vars["doc_id"]
    found = await _rows(datasette, "kcorpus", "select * from documents where id = ?", [doc_id])
    if not found:
        raise NotFound(f"no document {doc_id} in this release")
    doc = found[0]
    paragraphs = await _rows(datasette, "kcorpus", "select text from paragraphs where document_id = ? order by n", [doc_id])
    revisions = await _rows(datasette, "kcorpus", "select release, date, kind from revisions where document_id = ?", [doc_id])
    captures = await _rows(datasette, "kcorpus", "select * from captures where document_id = ?", [doc_id])
    witnesses = await _rows(datasette, "kcorpus", "select w.document_id, w.site, d.title, d.date from witnesses w "
                            "join documents d on d.id = w.document_id where w.work = ? and w.document_id != ?",
                            [doc["work"] or "", doc_id])
    repairs = await _rows(datasette, "kcorpus", "select rule, field, count, description from repairs where document_id = ?",
                          [doc_id])
    changes = await _rows(datasette, "history", "select c.step, s.old, s.new_date, c.change, c.kind, c.words_deleted, "
                          "c.words_inserted, c.diff, c.moved_from from changes c join steps s on s.new = c.step "
                          "where c.document_id = ? order by c.step", [doc_id])
    for change in changes:
        change["diff_html"] = diff_html(json.loads(change["diff"])) if change.get("diff") else None
        change["moved_from"] = json.loads(change["moved_from"]) if change.get("moved_from") else None
    home = _home(datasette)
    for capture in captures:
        wacz = capture.get("wacz_file")
        capture["wacz_url"] = (datasette.urls.path(f"/-/kcorpus/{wacz}") if wacz and home and (home / wacz).is_file()
                               else None)
    return Response.html(await datasette.render_template("kcorpus_document.html", {
        "doc": doc, "paragraphs": [p["text"] for p in paragraphs], "revisions": revisions, "captures": captures,
        "witnesses": witnesses, "repairs": repairs, "changes": changes,
        "version": (datasette.plugin_config("kcorpus") or {}).get("version")}, request=request))


async def watch_page(datasette, request):
    name = request.url_vars.get("name")
    releases = await _rows(datasette, "history", "select version, date from releases order by version")
    names = [r["name"] for r in await _rows(datasette, "history", "select distinct name from watch_counts order by name")]
    shown = [name] if name else names
    if name and name not in names:
        raise NotFound(f"{name!r} is not on the watch-list")
    plots = []
    for entry in shown:
        counts = {r["release"]: r["documents"] for r in await _rows(
            datasette, "history", "select release, documents from watch_counts where name = ?", [entry])}
        plots.append({"name": entry, "svg": plot_svg([(r["version"], counts.get(r["version"], 0)) for r in releases]),
                      "counts": [(r["version"], counts.get(r["version"], 0)) for r in releases]})
    return Response.html(await datasette.render_template("kcorpus_watch.html", {"plots": plots, "names": names},
                                                         request=request))


async def wacz_file(datasette, request):
    """A run's WACZ, for replay tools (ReplayWeb.page, pywb): only files under the data home's wacz/."""
    home = _home(datasette)
    name = request.url_vars["name"]
    path = (home / "wacz" / name) if home else None
    if path is None or "/" in name or not name.endswith(".wacz") or not path.is_file():
        raise NotFound("no such WACZ")
    return Response(path.read_bytes(), content_type="application/wacz+zip",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


@hookimpl
def register_routes():
    return [(r"^/-/kcorpus/document/(?P<doc_id>[^/]+)$", document_page),
            (r"^/-/kcorpus/watch$", watch_page),
            (r"^/-/kcorpus/watch/(?P<name>[^/]+)$", watch_page),
            (r"^/-/kcorpus/wacz/(?P<name>[^/]+)$", wacz_file)]


TEXT_EXCERPT = 240   # characters of a document's text shown in a table row (the page shows it whole)


@hookimpl
def render_cell(value, column, table, database, datasette):
    """Every document id links to its page (documents, witnesses, changes, edit events); a table row shows
    the start of a document's text, not all of it."""
    if column == "text" and table in ("documents", "paragraphs") and isinstance(value, str) \
            and len(value) > TEXT_EXCERPT:
        return value[:TEXT_EXCERPT].rsplit(" ", 1)[0] + " …"
    if column in ID_COLUMNS and isinstance(value, str) and database in ("kcorpus", "history") \
            and (table or column != "id") and not (table == "edit_events"):
        href = datasette.urls.path(f"/-/kcorpus/document/{value}")
        return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
    return None


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/kcorpus/watch"), "label": "Watch-list plots"}]
