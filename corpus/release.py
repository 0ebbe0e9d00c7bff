"""Immutable, versioned releases: releases/<YYYY.MM.DD>[.N]/ with TEI files, a teiCorpus, a manifest,
checksums and a changelog against the previous release. Written to a temporary folder and renamed
into place; an existing release is never rewritten; releases/latest points at the newest."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from lxml import etree

from core.capture import plain_record_id
from core.document import Document
from corpus.citation import SITE_SOURCES, citation_cff, release_readme, zenodo_json
from corpus.derived import DerivedWriter, Stats
from corpus.tei import (LANGUAGES, T, TEI_NS, XML_UNSAFE_RULE, category_id, Change, ReleaseStamp, _el, document_element, serialize,
                        validate_tei)
from core.version import __version__
from core.datahome import DataHome
from core.ids import ID_PATTERN
from corpus.witnesses import link_witnesses

VERSION_PATTERN = re.compile(r"^\d{4}\.\d{2}\.\d{2}(?:\.\d+)?$|^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
LATEST = "latest"
# Names under releases/ that are not release versions (the symlink, temporary folders start with ".").
RESERVED_VERSIONS = {LATEST}
# Site names become folder names under tei/: lower-case profile names only.
SITE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class ReleaseExists(FileExistsError):
    """A release with this version already exists: releases are never rewritten."""


@dataclass
class Release:
    """A release just written."""

    version: str
    path: Path
    documents: int
    counts_by_site: dict[str, int]
    rejected: list[dict] = field(default_factory=list)     # documents whose TEI failed validation
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    edited: dict[str, str] = field(default_factory=dict)    # id -> upstream | pipeline

    @property
    def changelog_summary(self) -> dict[str, int]:
        """The changelog in numbers: added, removed, edited upstream, edited pipeline, rejected."""
        kinds = list(self.edited.values())
        return {"added": len(self.added), "removed": len(self.removed),
                "edited_upstream": kinds.count("upstream"), "edited_pipeline": kinds.count("pipeline"),
                "rejected": len(self.rejected)}


@dataclass
class ReleaseInfo:
    """A release as listed (read from its manifest)."""

    version: str
    path: Path
    created_at: str
    documents: int
    counts_by_site: dict[str, int]
    partial: list[str]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(release_dir: Path) -> dict:
    """A release's manifest.json; a clear error when it is missing or not JSON."""
    path = Path(release_dir) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{release_dir} is not a kcorpus release (no manifest.json)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"release manifest {path} is unreadable: {exc}") from None


def list_releases(home: DataHome) -> list[ReleaseInfo]:
    """Every release, oldest first (by creation time in its manifest)."""
    infos = []
    if not home.releases_dir.exists():
        return infos
    for path in home.releases_dir.iterdir():
        if path.is_symlink() or not path.is_dir() or path.name.startswith(".") or not (path / "manifest.json").exists():
            continue
        manifest = read_manifest(path)
        infos.append(ReleaseInfo(manifest["version"], path, manifest["created_at"], len(manifest["documents"]),
                                 manifest["counts_by_site"], manifest.get("partial") or []))
    return sorted(infos, key=lambda info: (info.created_at, info.version))


def latest_release(home: DataHome) -> Path | None:
    """The newest release folder (by creation time), or None before the first release."""
    releases = list_releases(home)
    return releases[-1].path if releases else None


def previous_counts(home: DataHome) -> dict[str, int]:
    """Documents per site in the latest release (what the quality gate compares a new batch with)."""
    latest = latest_release(home)
    return read_manifest(latest)["counts_by_site"] if latest else {}


def next_version(home: DataHome, today: date) -> str:
    """YYYY.MM.DD, or YYYY.MM.DD.N for the N+1-th release of the day."""
    base = today.strftime("%Y.%m.%d")
    if not (home.releases_dir / base).exists():
        return base
    n = 1
    while (home.releases_dir / f"{base}.{n}").exists():
        n += 1
    return f"{base}.{n}"


def _history(home: DataHome) -> dict[str, dict]:
    """Per document id, its manifest entry in the newest release that holds it: a document removed and
    later restored keeps its revision history instead of starting over."""
    entries: dict[str, dict] = {}
    for info in reversed(list_releases(home)):
        for entry in read_manifest(info.path)["documents"]:
            entries.setdefault(entry["id"], entry)
    return entries


def _unsafe(doc: Document) -> str | None:
    """Why a document's id or site cannot name a file in a release (None when they can)."""
    if not isinstance(doc.site, str) or not SITE_PATTERN.match(doc.site):
        return f"site {doc.site!r} cannot name a release folder"
    if not isinstance(doc.id, str) or not ID_PATTERN.match(doc.id):
        return f"id {doc.id!r} is not a stable kcorpus id (site-localid, lower case)"
    return None


def check_version(home: DataHome, version: str) -> None:
    """An explicit version must be a plain name that no release (nor the latest link) already uses."""
    if not VERSION_PATTERN.match(version) or version in RESERVED_VERSIONS:
        raise ValueError(f"bad release version {version!r} (use e.g. 2026.11.24 or v1.0; "
                         f"{', '.join(sorted(RESERVED_VERSIONS))} is reserved)")
    if (home.releases_dir / version).exists() or (home.releases_dir / version).is_symlink():
        raise ReleaseExists(f"release {version} already exists in {home.releases_dir}; releases are never rewritten")


def _classify(old: dict, new: Document) -> str:
    """upstream: the captured page changed (payload digest differs); pipeline: same capture, other cleaning."""
    return "upstream" if old.get("payload_digest") != (new.capture or {}).get("payload_digest") else "pipeline"


def tag_usage(elements: list[etree._Element]) -> Counter:
    """How often each TEI element occurs in the documents' <text> (the corpus header's tagUsage)."""
    usage: Counter = Counter()
    for element in elements:
        text = element.find(T + "text")
        if text is not None:
            usage.update(etree.QName(el).localname for el in text.iter() if isinstance(el.tag, str))
    return usage


def _measures(parent, counts: dict) -> None:
    for unit in ("documents", "tokens", "sentences"):
        _el(parent, "measure", str(counts.get(unit, 0)), unit=unit, quantity=str(counts.get(unit, 0)))


def _corpus_file(version: str, today: str, elements: list[etree._Element], counts: dict[str, int],
                 stats: Stats | None = None, works: list | None = None) -> bytes:
    """The teiCorpus file: a header with the release's statistics (documents, tokens, sentences, overall
    and per site, language and year), its sources and tag usage, then every document's <TEI>."""
    stats = stats or Stats()
    corpus = etree.Element(T + "teiCorpus", nsmap={None: TEI_NS})
    corpus.set("version", "3.3.0")
    header = _el(corpus, "teiHeader")
    file_desc = _el(header, "fileDesc")
    _el(_el(file_desc, "titleStmt"), "title", f"kcorpus release {version}")
    extent = _el(file_desc, "extent")
    _measures(extent, {"documents": stats.documents or sum(counts.values()), "tokens": stats.tokens,
                       "sentences": stats.sentences})
    for axis in ("site", "lang", "year"):
        for key, group in sorted(stats.by[axis].items()):
            _measures(_el(extent, "measureGrp", type=axis, n=key), group)
    pub = _el(file_desc, "publicationStmt")
    _el(pub, "publisher", "kcorpus")
    _el(pub, "idno", version, type="release")
    _el(pub, "date", today, when=today)
    _el(_el(pub, "availability"), "p", "A corpus of state media texts reposted on the open web, with "
                                        "provenance per document; check each original's rights before reuse.")
    per_site = ", ".join(f"{site}: {n}" for site, n in sorted(counts.items()))
    source_desc = _el(file_desc, "sourceDesc")
    sources = _el(source_desc, "listBibl")
    _el(sources, "head", f"{sum(counts.values())} documents ({per_site}), each with its own source description.")
    for site in sorted(counts):
        name, url = SITE_SOURCES.get(site, (site, None))
        bibl = _el(sources, "bibl", n=site)
        _el(bibl, "title", name)
        if url:
            _el(bibl, "ptr", target=url)
        _el(_el(bibl, "extent"), "measure", str(counts[site]), unit="documents", quantity=str(counts[site]))
    namespace = _el(_el(_el(header, "encodingDesc"), "tagsDecl"), "namespace", name=TEI_NS)
    for gi, occurs in sorted(tag_usage(elements).items()):
        _el(namespace, "tagUsage", gi=gi, occurs=str(occurs))
    languages = _el(_el(header, "profileDesc"), "langUsage")
    for lang, group in sorted(stats.by["lang"].items()):
        share = round(100 * group["documents"] / stats.documents) if stats.documents else 0
        _el(languages, "language", f"{LANGUAGES.get(lang, lang)}: {group['documents']} documents, "
                                   f"{group['tokens']} tokens", ident=lang if lang != "unknown" else "und",
            usage=str(share))
    linked = [w for w in works or [] if len(w.witnesses) > 1]
    if linked:  # copies of one work across sites (corpus.witnesses), after the header, before the documents
        group = _el(_el(corpus, "standOff"), "linkGrp", type="witnesses")
        for work in linked:
            link = _el(group, "link", target=" ".join(f"#{i}" for i in work.witnesses))
            link.set("{http://www.w3.org/XML/1998/namespace}id", work.id)
    corpus.extend(elements)
    return etree.tostring(corpus, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# The derived files of every release, as the manifest and README list them.
RELEASE_FILES = {
    "tei/<site>/<id>.xml": "one TEI P5 file per document, every repair inline",
    "kcorpus-<version>.teiCorpus.xml": "all documents in one teiCorpus, its header with the statistics",
    "documents.jsonl": "every document as JSON, one per line (all fields, repair log and spans, provenance)",
    "documents.parquet": "one row per document, typed columns (the codebook below)",
    "meta.tsv": "the same rows as tab-separated text, without `text`",
    "text/<site>/<id>.txt": "plain text per document: the title, a blank line, the paragraphs",
    "conllu/<site>.conllu": "sentences and tokens in CoNLL-U (Korean: Kiwi words with POS)",
    "CITATION.cff": "how to cite this release (Citation File Format 1.2.0)",
    ".zenodo.json": "deposit metadata for Zenodo",
    "manifest.json": "per document: paths, checksums, provenance, history; per derived file its checksum",
    "SHA256SUMS": "checksums of every file (sha256sum -c)",
    "CHANGELOG.md": "what changed since the previous release",
}


def build_release(home: DataHome, documents: list[Document], *, version: str | None = None,
                  today: date | None = None, partial: list[str] | None = None,
                  quarantined: list[dict] | None = None, checked: dict[str, dict] | None = None,
                  crawl_outcomes: dict[str, dict] | None = None) -> Release:
    """Write a new release of `documents` (those that passed the quality gate).

    version      explicit version; default YYYY.MM.DD[.N] of `today`. An existing one raises ReleaseExists.
    partial      batch-expectation failures released anyway (--allow-partial): recorded in the manifest
    quarantined  [{id, site, failed}] held back by the gate, listed in the manifest
    checked      per source URL, the last usable answer of the page {"run_id", "at"} (a 304 keeps the
                 document's older capture, so its capture date is not when it was last checked):
                 written as each entry's "last_checked", so the audit can tell "not checked" from "unchanged"
    crawl_outcomes  {site: {outcome, cause, run_id}} of each site's last crawl, written to the manifest
                 (the audit reads it to say "not checked" rather than "removed")
    Every TEI file is validated against the project schema; a failing one is left out and reported.
    """
    today = today or date.today()
    home.releases_dir.mkdir(parents=True, exist_ok=True)
    duplicates = sorted(str(i) for i, n in Counter(d.id for d in documents).items() if n > 1)
    if duplicates:
        raise ValueError(f"documents share an id (one file each is required): {', '.join(duplicates)}")
    if version is not None:
        check_version(home, version)
    else:
        version = next_version(home, today)
    stamp = ReleaseStamp(version, today.isoformat())

    previous_dir = latest_release(home)
    previous = {d["id"]: d for d in read_manifest(previous_dir)["documents"]} if previous_dir else {}
    # copies of one work across sites: each document carries its work's id, the teiCorpus links them
    works = link_witnesses([d for d in documents if not _unsafe(d)])
    work_of = {doc_id: work.id for work in works for doc_id in work.witnesses}
    for doc in documents:
        if doc.id in work_of:
            doc.extra = {**doc.extra, "work": work_of[doc.id]}
    history = _history(home)
    tmp = home.releases_dir / f".tmp-{uuid.uuid4().hex}"
    (tmp / "tei").mkdir(parents=True)
    derived = None
    try:
        derived = DerivedWriter(tmp)
        entries, elements, rejected, released, records = [], [], [], [], []
        added, edited = [], {}
        for doc in sorted(documents, key=lambda d: str(d.id)):
            old = previous.get(doc.id)
            changes = [Change(**c) for c in (old or history.get(doc.id) or {}).get("changes", [])]
            unsafe = _unsafe(doc)
            try:
                # the exact record researchers (and the diff) read back: it must encode as UTF-8 JSON
                line = json.dumps({**doc.to_dict(), "text": doc.text}, ensure_ascii=False).encode("utf-8")
                text_sha = doc.text_sha256()
            except (UnicodeEncodeError, TypeError, ValueError) as exc:  # lone surrogate, non-JSON extra
                unsafe = unsafe or f"the document record cannot be stored as UTF-8 JSON: {exc}"
            if unsafe:
                rejected.append({"id": doc.id, "errors": [unsafe]})
                continue
            kind = None
            if old is None:
                changes.append(Change(version, stamp.date, "added"))
            elif old["text_sha256"] != text_sha:
                kind = _classify(old, doc)
                changes.append(Change(version, stamp.date, f"edited-{kind}"))
            try:
                element = document_element(doc, release=stamp, changes=changes)
                xml = serialize(element)
                errors = validate_tei(xml)
            except (ValueError, TypeError) as exc:  # e.g. a non-string where text belongs
                errors = [f"cannot be written as TEI: {exc}"]
            if errors:
                rejected.append({"id": doc.id, "errors": errors[:5]})
                continue
            if old is None:
                added.append(doc.id)
            elif kind:
                edited[doc.id] = kind
            relative = Path("tei") / doc.site / f"{doc.id}.xml"
            (tmp / relative).parent.mkdir(parents=True, exist_ok=True)
            (tmp / relative).write_bytes(xml)
            elements.append(element)
            released.append(doc)
            derived.add(doc, relative.as_posix())
            records.append(line + b"\n")
            capture = doc.capture or {}
            entries.append({
                "id": doc.id, "site": doc.site, "path": relative.as_posix(), "sha256": sha256_file(tmp / relative),
                "text_sha256": text_sha, "source_url": doc.source_url, "title": doc.title,
                "capture_id": plain_record_id(capture.get("record_id") or "") or None,
                "payload_digest": capture.get("payload_digest"), "captured_at": capture.get("captured_at"),
                # where the archived page is: the payload's WARC file (under warc/) and record offset,
                # and the run's WACZ (under wacz/) that packages it for replay tools
                "warc_file": f"warc/{capture['warc_file']}" if capture.get("warc_file") else None,
                "warc_offset": capture.get("warc_offset"),
                "wacz_file": f"wacz/{capture['wacz_file']}" if capture.get("wacz_file") else None,
                "cleaner_version": doc.cleaner_version, "changes": [c.to_dict() for c in changes],
                "work": doc.extra.get("work")})
            if checked and doc.source_url in checked:
                entries[-1]["last_checked"] = checked[doc.source_url]
            dropped = element.find(f".//{T}item[@ana='#{category_id(doc.id, XML_UNSAFE_RULE)}']")
            if dropped is not None:
                entries[-1]["tei_dropped_characters"] = int(dropped.get("n"))
        counts: dict[str, int] = {}
        for doc in released:
            counts[doc.site] = counts.get(doc.site, 0) + 1
        removed = sorted(set(previous) - {d.id for d in released})
        (tmp / "documents.jsonl").write_bytes(b"".join(records))
        derived.close()
        stats = derived.stats
        sites = sorted(counts)
        (tmp / "CITATION.cff").write_text(citation_cff(version, stamp.date, stats, sites), encoding="utf-8")
        (tmp / ".zenodo.json").write_text(zenodo_json(version, stamp.date, stats, sites), encoding="utf-8")
        (tmp / "README.md").write_text(release_readme(version, stamp.date, stats, RELEASE_FILES), encoding="utf-8")
        corpus_name = f"kcorpus-{version}.teiCorpus.xml"
        released_ids = {d.id for d in released}
        kept_works = [type(w)(w.id, [i for i in w.witnesses if i in released_ids]) for w in works]
        if elements:
            corpus_xml = _corpus_file(version, stamp.date, elements, counts, stats, kept_works)
            errors = validate_tei(corpus_xml)
            if errors:  # every member passed on its own: this is a kcorpus bug, never a half release
                raise RuntimeError(f"the teiCorpus file of release {version} is invalid: {errors[:3]}")
            (tmp / corpus_name).write_bytes(corpus_xml)
        manifest = {
            "version": version, "created_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            "release_date": stamp.date, "kcorpus_version": __version__,
            "cleaner_versions": sorted({d.cleaner_version for d in released}),
            "previous": previous_dir.name if previous_dir else None,
            "counts_by_site": counts, "partial": partial or None, "allow_partial": bool(partial),
            "crawl_outcomes": crawl_outcomes or {}, "quarantined": quarantined or [],
            "rejected": rejected, "tei_corpus": corpus_name if elements else None,
            "statistics": stats.to_dict(),
            "works": {w.id: w.witnesses for w in kept_works if len(w.witnesses) > 1}, "files": _derived_files(tmp), "documents": entries,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        (tmp / "CHANGELOG.md").write_text(
            _changelog(version, previous_dir.name if previous_dir else None, added, removed, edited, previous,
                       {d.id: d for d in released}, partial, quarantined or [], rejected), encoding="utf-8")
        files = sorted(p for p in tmp.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
        (tmp / "SHA256SUMS").write_text("".join(f"{sha256_file(p)}  {p.relative_to(tmp).as_posix()}\n" for p in files),
                                        encoding="utf-8")
        for path in files + [tmp / "SHA256SUMS"]:
            path.chmod(0o444)  # a release is immutable: its files are written read-only
        target = home.releases_dir / version
        try:
            # atomic on one filesystem; fails rather than replace an existing (never empty) release folder
            os.rename(tmp, target)
        except OSError as exc:
            if target.exists() or target.is_symlink():  # another process released this version first
                raise ReleaseExists(f"release {version} appeared while this one was being written; "
                                    f"nothing was overwritten") from exc
            raise
    except BaseException:
        if derived is not None:
            derived.abort()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _point_latest(home, version)
    return Release(version, target, len(released), counts, rejected, added, removed, edited)


def verify_checksums(release_dir: Path) -> list[str]:
    """Problems with a release's files, one line each (empty when every checksum holds): SHA256SUMS
    entries that are missing or differ, files SHA256SUMS does not list, manifest entries whose TEI
    file differs from the digest the manifest records. Raises FileNotFoundError / ValueError (one
    line) for a folder that is not a release."""
    release_dir = Path(release_dir)
    manifest = read_manifest(release_dir)
    sums_path = release_dir / "SHA256SUMS"
    if not sums_path.exists():
        raise FileNotFoundError(f"{release_dir} is not a complete kcorpus release (no SHA256SUMS)")
    problems, listed = [], set()
    for number, line in enumerate(sums_path.read_text(encoding="utf-8").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or not re.fullmatch(r"[0-9a-f]{64}", digest) or ".." in Path(name).parts or name.startswith("/"):
            problems.append(f"SHA256SUMS line {number} is malformed")
            continue
        listed.add(name)
        path = release_dir / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name}: checksum differs from SHA256SUMS")
    for path in sorted(p for p in release_dir.rglob("*") if p.is_file()):
        name = path.relative_to(release_dir).as_posix()
        if name != "SHA256SUMS" and name not in listed:
            problems.append(f"{name}: not listed in SHA256SUMS")
    for entry in manifest.get("documents", []):
        path = release_dir / entry["path"]
        if path.is_file() and sha256_file(path) != entry["sha256"]:
            problems.append(f"{entry['path']}: checksum differs from manifest.json")
    return problems


def _derived_files(folder: Path) -> list[dict]:
    """Every file of a release that is not a per-document TEI file, with its format and checksum."""
    formats = {".jsonl": "jsonl", ".parquet": "parquet", ".tsv": "tsv", ".txt": "txt", ".conllu": "conllu",
               ".cff": "cff", ".json": "json", ".md": "markdown", ".xml": "tei-corpus"}
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative.startswith("tei/") or path.name in ("manifest.json", "SHA256SUMS", "CHANGELOG.md"):
            continue
        out.append({"path": relative, "format": formats.get(path.suffix, path.suffix.lstrip(".")),
                    "bytes": path.stat().st_size, "sha256": sha256_file(path)})
    return out


def _point_latest(home: DataHome, version: str) -> None:
    """releases/latest -> <version>, replaced atomically."""
    link = home.releases_dir / LATEST
    tmp_link = home.releases_dir / f".latest-{uuid.uuid4().hex}"
    os.symlink(version, tmp_link)
    os.replace(tmp_link, link)


# Characters Markdown (or HTML inside Markdown) acts on mid-line; changelog lines all start with "- ",
# so line-start markers (#, +, -, 1.) cannot take effect and are left alone.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()<>&|~])")


def md_escape(text: str) -> str:
    """Upstream text as inert Markdown: every character Markdown (or HTML inside it) could act on is
    backslash-escaped, so a title holding `<script>` or `[x](javascript:…)` renders as that text.

    >>> print(md_escape("<script>alert(1)</script> *Juche*"))
    \\<script\\>alert\\(1\\)\\</script\\> \\*Juche\\*
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def md_url(url: str) -> str:
    """A source URL as a Markdown autolink when it is a plain http(s) URL, else as escaped text."""
    if re.match(r"^https?://[^\s<>]+$", url or "", re.IGNORECASE):
        return f"<{url}>"
    return md_escape(url or "")


def _changelog(version, previous_version, added, removed, edited, previous, released, partial, quarantined,
               rejected) -> str:
    lines = [f"# kcorpus release {version}", ""]
    lines.append(f"Compared with release {previous_version}." if previous_version else "First release.")
    lines += ["", f"- added: {len(added)}", f"- removed: {len(removed)}",
              f"- edited: {len(edited)} ({sum(1 for k in edited.values() if k == 'upstream')} upstream, "
              f"{sum(1 for k in edited.values() if k == 'pipeline')} pipeline)", ""]
    if partial:
        lines += ["**Released with --allow-partial despite failed batch expectations:**", ""]
        lines += [f"- {md_escape(message)}" for message in partial] + [""]
    for heading, ids, source in (("Added", added, released), ("Removed", removed, None)):
        if ids:
            lines += [f"## {heading}", ""]
            for doc_id in ids:
                title = source[doc_id].title if source else previous[doc_id].get("title", "")
                url = source[doc_id].source_url if source else previous[doc_id]["source_url"]
                lines.append(f"- `{doc_id}` {md_escape(title)} {md_url(url)}")
            lines.append("")
    if edited:
        lines += ["## Edited", ""]
        lines += [f"- `{doc_id}` ({kind}) {md_escape(released[doc_id].title)}" for doc_id, kind in sorted(edited.items())]
        lines.append("")
    if quarantined:
        lines += ["## Held back by the quality gate", ""]
        lines += [f"- `{q['id']}`: {md_escape('; '.join(q.get('failed', [])))}" for q in quarantined] + [""]
    if rejected:
        lines += ["## Rejected (TEI invalid)", ""] + [f"- {md_escape(r['id'])}: {md_escape(r['errors'][0])}"
                                                     for r in rejected] + [""]
    return "\n".join(lines)
