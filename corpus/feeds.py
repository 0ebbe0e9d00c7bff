"""Atom feeds of upstream changes (RFC 4287, written by feedgen): one of every upstream change, one per
site, one per watch-list entry; each entry links to its place in the release's audit report, so a
researcher subscribes instead of polling."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from corpus.events import ReleaseChanges
from corpus.tei import replace_xml_hostile
from corpus.watchlist import WatchEntry

log = logging.getLogger("kcorpus.feeds")


def tag_prefix(authority: str) -> str:
    """The RFC 4151 tag URI prefix of one installation's entry ids ("tag:example.org,2026:"): stable
    however often the feeds are rewritten, and another installation's never collide (the authority
    comes from its settings, core.settings.tag_authority).

    >>> tag_prefix("example.org,2026")
    'tag:example.org,2026:'
    """
    return f"tag:{authority}:"


def _when(value: str | None) -> datetime:
    """An ISO date or date-time as an aware datetime (RFC 3339 in the feed)."""
    try:
        parsed = datetime.fromisoformat(value) if value else datetime.now(timezone.utc)
    except ValueError:
        parsed = datetime.now(timezone.utc)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def feed_items(step: ReleaseChanges, report_url: str, watchlist: list[WatchEntry]) -> list[dict]:
    """The upstream changes of one release step as feed items: {key, title, summary, link, sites, watch}.

    Edit events and deletion events first (the stories), then each document added, removed, moved or
    edited upstream, then sites not checked. Pipeline and cosmetic changes are kcorpus's own or noise:
    they are in the report (cosmetic folded), not in the feeds.
    """
    step_key = f"{step.old}..{step.new}"
    watched = {e.name for e in watchlist}
    items = []
    for event in step.events:
        items.append({"key": f"{step_key}/event/{event.id}", "title": event.label,
                      "summary": "; ".join(f"{d['id']} ({d['title']})" for d in event.documents),
                      "link": f"{report_url}#event-{event.id}", "sites": event.sites, "watch": set(),
                      "text": f"{event.deleted} {event.inserted}"})
    for deletion in step.deletions:
        items.append({"key": f"{step_key}/deleted/{deletion.site}", "title": deletion.label,
                      "summary": "; ".join(f"{d['id']} ({d['title']})" for d in deletion.documents),
                      "link": f"{report_url}#deleted-{deletion.site}", "sites": [deletion.site],
                      "watch": {m[0] for m in deletion.mentions if m[0] in watched}, "text": ""})
    for change in step.changes:
        if change.kind != "upstream":
            continue
        title = {"added": f"Added: {change.title}", "removed": f"Removed: {change.title}",
                 "edited": f"Edited: {change.title} (-{change.words_deleted} +{change.words_inserted} words)",
                 "moved": f"Moved: {change.title}"}[change.change]
        summary = change.source_url
        if change.moved_from:
            summary = f"{change.moved_from['id']} <{change.moved_from['source_url']}> -> {change.id} <{change.source_url}>"
        items.append({"key": f"{step_key}/{change.change}/{change.id}", "title": f"{title} [{change.site}]",
                      "summary": summary, "link": f"{report_url}#doc-{quote(change.id)}", "sites": [change.site],
                      "watch": set(), "text": "", "id": change.id})
    for site, row in step.not_checked.items():
        items.append({"key": f"{step_key}/not-checked/{site}",
                      "title": f"{site} not checked ({row['outcome']}): {row['documents']} documents kept as last seen",
                      "summary": (f"{row['deferred']} deferred by the revisit schedule, next check due {row.get('next_due')}; "
                                  if row.get("deferred") else "")
                                 + (f"cause: {row.get('cause') or 'no answer this crawl'}; "
                                    if row.get("cause") or not row.get("deferred") else "")
                                 + f"last checked {row.get('last_checked')}",
                      "link": f"{report_url}#not-checked-{site}", "sites": [site], "watch": set(), "text": ""})
    for entry in watchlist:
        row = step.watch.get(entry.name)
        if not row or not (row["gained"] or row["lost"]):
            continue
        items.append({"key": f"{step_key}/watch/{entry.slug}",
                      "title": f"{entry.name}: {row['previous']} -> {row['documents']} documents "
                               f"(+{len(row['gained'])} -{len(row['lost'])})",
                      "summary": "lost: " + ", ".join(row["lost"]) + "; gained: " + ", ".join(row["gained"]),
                      "link": f"{report_url}#watch-{entry.slug}", "sites": [], "watch": {entry.name}, "text": ""})
    for item in items:  # an event or document touching a watched name belongs in that name's feed
        for entry in watchlist:
            if item["text"] and entry.mentioned_in(item["text"]):
                item["watch"].add(entry.name)
    for event in step.events:
        for entry in watchlist:
            if entry.mentioned_in(event.deleted) or entry.mentioned_in(event.inserted):
                for doc in event.documents:
                    for item in items:
                        if item.get("id") == doc["id"]:
                            item["watch"].add(entry.name)
    return items


def _xml_text(value: str, where: str, replaced: list[str] | None) -> str:
    """`value` as text an Atom feed can hold: an upstream title with U+FFFE or a control character made
    lxml refuse the whole feed (and every later one), naming no document. Each such character becomes
    U+FFFD, and the repair is recorded: logged, and added to `replaced` when given."""
    safe, found = replace_xml_hostile(value or "")
    if found:
        line = f"{where}: {len(found)} XML-illegal character(s) replaced by U+FFFD ({', '.join(sorted(set(found)))})"
        log.warning(line)
        if replaced is not None and line not in replaced:
            replaced.append(line)
    return safe


def build_feed(name: str, title: str, steps: list[tuple[ReleaseChanges, str, str]], feed_url: str,
               keep, tag: str, replaced: list[str] | None = None) -> bytes:
    """One Atom feed over release steps [(changes, report_url, updated)], newest first, of the items
    `keep` accepts; ids under the tag prefix `tag`. Links may be relative (to the feed file: RFC 4287
    resolves them against the feed's own location). Every text is made XML-safe (see _xml_text);
    `replaced` collects what had to be replaced."""
    fg = FeedGenerator()
    fg.id(tag + "feed/" + name)
    fg.title(title)
    fg.author({"name": "kcorpus"})
    fg.link(href=feed_url, rel="self", type="application/atom+xml")
    fg.subtitle("Upstream changes between kcorpus releases (edit events, deletions, moves, documents not checked).")
    fg.language("en")
    newest = None
    for step, report_url, updated, items in steps:
        when = _when(updated)
        newest = max(newest, when) if newest else when
        for item in items:
            if not keep(item):
                continue
            where = f"feed {name}: entry {item['key']}"
            entry = fg.add_entry(order="append")
            entry.id(tag + quote(_xml_text(item["key"], where, replaced), safe="/.:-_"))
            entry.title(_xml_text(f"[{step.new}] {item['title']}", where, replaced))
            entry.link(href=_xml_text(item["link"], where, replaced), rel="alternate", type="text/html")
            entry.summary(_xml_text(item["summary"] or item["title"], where, replaced))
            entry.updated(when)
            entry.published(when)
    fg.updated(newest or datetime.now(timezone.utc))
    return fg.atom_str(pretty=True)


def release_feeds(steps: list[tuple[ReleaseChanges, str, str]], feed_base: str,
                  watchlist: list[WatchEntry], sites: list[str], tag: str,
                  replaced: list[str] | None = None) -> dict[str, bytes]:
    """The feed files for release steps [(changes, report_url, updated)], newest step first:
    {"all.atom", "site-<site>.atom" for each site, "watch-<slug>.atom" for each watch-list entry}.
    `feed_base` is where the feeds are served ("" for links relative to the feed itself); `tag` the
    installation's tag prefix (tag_prefix); `replaced` (when given) collects one line per entry whose text
    held XML-illegal characters."""
    prepared = [(step, url, updated, feed_items(step, url, watchlist)) for step, url, updated in steps]
    feeds = {"all.atom": build_feed("all", "kcorpus: all upstream changes", prepared, f"{feed_base}all.atom",
                                    lambda item: True, tag, replaced)}
    for site in sorted(set(sites)):
        feeds[f"site-{site}.atom"] = build_feed(f"site/{site}", f"kcorpus: upstream changes on {site}", prepared,
                                                f"{feed_base}site-{site}.atom",
                                                lambda item, site=site: site in item["sites"], tag, replaced)
    for entry in watchlist:
        feeds[f"watch-{entry.slug}.atom"] = build_feed(
            f"watch/{entry.slug}", _xml_text(f"kcorpus watch-list: {entry.name}", f"feed watch/{entry.slug}", replaced),
            prepared, f"{feed_base}watch-{entry.slug}.atom", lambda item, name=entry.name: name in item["watch"],
            tag, replaced)
    return feeds
