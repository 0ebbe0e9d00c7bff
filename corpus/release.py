"""Immutable, versioned releases: releases/<YYYY.MM.DD>[.N]/ with per-document files (TEI, record,
text, CoNLL-U), a teiCorpus that includes the TEI files, a manifest, checksums and a changelog against
the previous release. Written to a temporary folder and renamed into place; an existing release is
never rewritten; releases/latest points at the newest. A per-document file identical to the previous
release's is a hard link to it, so daily releases of a corpus that changes by 1% share the other 99%."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from lxml import etree

from core.capture import plain_record_id
from core.document import Document
from corpus.manifest import (DOCUMENTS_KEY, RECORDS_KEY, RECORDS_LAYOUT, iter_manifest_entries, latest_release,
                             list_releases, parse_record, read_manifest, read_manifest_head, read_records,
                             record_file)
from corpus.citation import cff_problems, citation_cff, release_readme, site_source, zenodo_json
from corpus.derived import DerivedWriter, KnownConllu, Stats, conllu_file, known_conllu, write_or_link
from corpus.events import capture_class, pair_moves, same_text_change
from corpus.nlp import nlp_version
from corpus.tei import (LANGUAGES, T, TEI_NS, XML_UNSAFE_RULE, category_id, Change, ReleaseStamp, _el, document_element, serialize,
                        validate_tei)
from core.version import __version__
from core.datahome import DataHome
from core.settings import CONFIG_FILE, Settings, SettingsError, load_settings
from core.ids import ID_PATTERN
from corpus.witnesses import WitnessIndex

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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class PreviousEntries:
    """The previous release's manifest entries, read forward beside the new release's stream (both in
    id order): `take(id)` gives a document's previous entry, and the entries passed over, of documents
    not in the new release, are kept in `left` (the removed ones: usually few)."""

    def __init__(self, release_dir: Path | None):
        self._entries = iter_manifest_entries(release_dir) if release_dir else iter(())
        self._last = ""
        self._next = self._advance()
        self.left: dict[str, dict] = {}

    def _advance(self) -> dict | None:
        entry = next(self._entries, None)
        if entry is not None:
            if entry["id"] <= self._last:
                raise ValueError(f"the previous release's manifest is not in id order ({entry['id']} after "
                                 f"{self._last}); it cannot be compared entry by entry")
            self._last = entry["id"]
        return entry

    def take(self, doc_id: str) -> dict | None:
        while self._next is not None and self._next["id"] < doc_id:
            self.left[self._next["id"]] = self._next
            self._next = self._advance()
        if self._next is not None and self._next["id"] == doc_id:
            entry, self._next = self._next, self._advance()
            return entry
        return None

    def put_back(self, entry: dict | None) -> None:
        """A taken entry whose document was then rejected: it left with the new release after all."""
        if entry is not None:
            self.left[entry["id"]] = entry

    def rest(self) -> dict[str, dict]:
        """Every entry not taken (read to the end): the documents that left with the new release."""
        while self._next is not None:
            self.left[self._next["id"]] = self._next
            self._next = self._advance()
        return self.left


def previous_counts(home: DataHome) -> dict[str, int]:
    """Documents per site in the latest release (what the quality gate compares a new batch with)."""
    latest = latest_release(home)
    return read_manifest_head(latest)["counts_by_site"] if latest else {}


def next_version(home: DataHome, today: date) -> str:
    """YYYY.MM.DD, or YYYY.MM.DD.N for the N+1-th release of the day."""
    base = today.strftime("%Y.%m.%d")
    if not (home.releases_dir / base).exists():
        return base
    n = 1
    while (home.releases_dir / f"{base}.{n}").exists():
        n += 1
    return f"{base}.{n}"


def _retired_entries(home: DataHome, previous_dir: Path | None, previous_head: dict) -> dict[str, dict]:
    """Per document id released before but not in the previous release, its manifest entry in the
    newest release that held it: a document removed and later restored keeps its revision history
    instead of starting over.

    Each manifest carries this list ("retired"), so a release reads only the previous manifest; a
    release written before kcorpus kept the list is made up for by reading the older manifests once.
    """
    if previous_dir is None:
        return {}
    if "retired" in previous_head:
        return {entry["id"]: entry for entry in previous_head["retired"]}
    previous = {entry["id"] for entry in iter_manifest_entries(previous_dir)}
    entries: dict[str, dict] = {}
    for info in reversed(list_releases(home)):
        if info.path == previous_dir:
            continue
        for entry in read_manifest(info.path)["documents"]:
            if entry["id"] not in previous:
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


def tag_usage(elements: list[etree._Element]) -> Counter:
    """How often each TEI element occurs in the documents' <text> (the corpus header's tagUsage)."""
    usage: Counter = Counter()
    for element in elements:
        text = element.find(T + "text")
        if text is not None:
            usage.update(etree.QName(el).localname for el in text.iter() if isinstance(el.tag, str))
    return usage


# a start tag's name (prefix dropped); an end tag, comment, CDATA section or processing instruction
# starts with "</", "<!" or "<?" and never matches
_START_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_TEXT_START = re.compile(rb"<text[\s/>]")


def tag_usage_of_file(xml: bytes) -> Counter:
    """tag_usage of one TEI file as `serialize` writes it, counted from its bytes: every start tag from
    <text> on (the header has no <text>; `<` is escaped in text and attributes). Used for an unchanged
    document's file taken from the previous release, which was parsed for nothing but these counts
    (with the counting, ~5% of the release process's samples in a daily release of 10k documents). A file with comments, CDATA or processing instructions in its text, which
    `serialize` never writes, is parsed.

    >>> tag_usage_of_file(b'<TEI><teiHeader><textClass/></teiHeader><text><body><p>a &lt;b</p><p/></body></text></TEI>')
    Counter({'p': 2, 'text': 1, 'body': 1})
    """
    start = _TEXT_START.search(xml)
    if start is None:
        return Counter()
    body = xml[start.start():]
    if b"<!" in body or b"<?" in body:
        return tag_usage([etree.fromstring(xml)])
    return Counter(name.decode("ascii") for name in _START_TAG.findall(body))


def _dropped_characters(tei, doc_id: str) -> int | None:
    """How many characters the TEI writer dropped from a document (its XML_UNSAFE_RULE item), from its
    element or its file's bytes (parsed only when the rule's category is named in them); None if none."""
    marker = category_id(doc_id, XML_UNSAFE_RULE)
    if isinstance(tei, bytes):
        if f'"#{marker}"'.encode("utf-8") not in tei:
            return None
        tei = etree.fromstring(tei)
    item = tei.find(f".//{T}item[@ana='#{marker}']")
    return None if item is None else int(item.get("n"))


def _measures(parent, counts: dict) -> None:
    for unit in ("documents", "tokens", "sentences"):
        _el(parent, "measure", str(counts.get(unit, 0)), unit=unit, quantity=str(counts.get(unit, 0)))


def _corpus_header(version: str, today: str, counts: dict[str, int], stats: Stats | None = None,
                   usage: Counter | None = None, works: list | None = None) -> etree._Element:
    """The teiCorpus element with its header only: the release's statistics (documents, tokens, sentences,
    overall and per site, language and year), its sources and `usage` (tag_usage of every document,
    summed as they stream), and the links between copies of one work (corpus.witnesses); the members
    are streamed in after it."""
    stats = stats or Stats()
    corpus = etree.Element(T + "teiCorpus", nsmap={None: TEI_NS, "xi": XINCLUDE_NS})
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
        name, url = site_source(site)
        bibl = _el(sources, "bibl", n=site)
        _el(bibl, "title", name)
        if url:
            _el(bibl, "ptr", target=url)
        _el(_el(bibl, "extent"), "measure", str(counts[site]), unit="documents", quantity=str(counts[site]))
    namespace = _el(_el(_el(header, "encodingDesc"), "tagsDecl"), "namespace", name=TEI_NS)
    for gi, occurs in sorted((usage or Counter()).items()):
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
    return corpus


# The derived files of every release, as the manifest and README list them.
RELEASE_FILES = {
    "tei/<site>/<id>.xml": "one TEI P5 file per document, every repair inline",
    "kcorpus-<version>.teiCorpus.xml": "the teiCorpus: its header with the statistics, then an XInclude of each "
                                       "TEI file (`kcorpus export <version> --format teicorpus` inlines them)",
    "records/<site>/<id>.json": "every document as JSON (all fields, repair log and spans, provenance); "
                                "`kcorpus export <version> --format jsonl` gives them as one JSON-lines file",
    "documents.parquet": "one row per document, typed columns (the codebook below)",
    "meta.tsv": "the same rows as tab-separated text, without `text`",
    "text/<site>/<id>.txt": "plain text per document: the title, a blank line, the paragraphs",
    "conllu/<site>/<id>.conllu": "sentences and tokens in CoNLL-U per document (Korean: Kiwi words with POS); "
                                 "`kcorpus export <version> --format conllu` gives one file",
    "CITATION.cff": "how to cite this release (Citation File Format 1.2.0)",
    ".zenodo.json": "deposit metadata for Zenodo",
    "manifest.json": "per document: paths, checksums, provenance, history; per derived file its checksum",
    "SHA256SUMS": "checksums of every file (sha256sum -c)",
    "CHANGELOG.md": "what changed since the previous release",
}


_CLOSE_CORPUS = b"</teiCorpus>"
XINCLUDE_NS = "http://www.w3.org/2001/XInclude"
# One member of a teiCorpus file: an XInclude of its TEI file, one per line as _write_corpus_file writes it.
_INCLUDE = re.compile(rb'^<xi:include href="(tei/[a-z][a-z0-9_]*/[^"/]+\.xml)"/>\n?$')


def _member_bytes(xml: bytes) -> bytes:
    """A serialized TEI file without its XML declaration: the same bytes, as a teiCorpus member."""
    return xml.split(b"?>", 1)[1].lstrip(b"\n") if xml.startswith(b"<?xml") else xml


def member_include(relative: str) -> bytes:
    """The teiCorpus line that includes one document's TEI file (its path inside the release)."""
    return f'<xi:include href="{relative}"/>\n'.encode("utf-8")


def _write_corpus_file(path: Path, version: str, today: str, counts: dict[str, int], includes: Path,
                       first_member: bytes, stats: Stats | None = None, usage: Counter | None = None,
                       works: list | None = None) -> None:
    """Write the teiCorpus file: its header, then an XInclude of each member's TEI file (copied from
    `includes` in blocks), then the closing tag. The file stays small (a line per document) and names
    the same TEI files the release holds, so nothing of it is written twice.

    Validity of the whole once included follows from its parts: the header is validated here inside a
    teiCorpus holding the first member (the content model is teiHeader, TEI+), each member was
    validated on its own, and the ids are unique. A streaming parse then proves the file well-formed
    and counts its includes.
    """
    skeleton = etree.tostring(_corpus_header(version, today, counts, stats, usage, works), xml_declaration=True, encoding="UTF-8",
                              pretty_print=True)
    head, close, _ = skeleton.rpartition(_CLOSE_CORPUS)
    if not close:
        raise RuntimeError("the teiCorpus skeleton has no closing tag")  # lxml always writes one
    errors = validate_tei(head + first_member + _CLOSE_CORPUS + b"\n")
    if errors:  # every member passed on its own: this is a kcorpus bug, never a half release
        raise RuntimeError(f"the teiCorpus file of release {version} is invalid: {errors[:3]}")
    with open(path, "wb") as out, open(includes, "rb") as src:
        out.write(head)
        shutil.copyfileobj(src, out, 1 << 20)
        out.write(_CLOSE_CORPUS + b"\n")
    try:
        count = 0
        for _, element in etree.iterparse(str(path), events=("end",), tag=f"{{{XINCLUDE_NS}}}include",
                                          resolve_entities=False, no_network=True, huge_tree=True):
            count += 1
    except etree.XMLSyntaxError as exc:
        raise RuntimeError(f"the teiCorpus file of release {version} is not well-formed: {exc}") from None
    if count != sum(counts.values()):
        raise RuntimeError(f"the teiCorpus file of release {version} includes {count} documents, "
                           f"not {sum(counts.values())}")


def inline_corpus(release_dir: Path, corpus_file: Path, out) -> None:
    """Write a release's teiCorpus with every member inlined to the binary file `out`: each XInclude line
    replaced by the member's TEI file without its XML declaration — the one file the XInclude processor
    gives, without the xml:base it adds, streamed (memory for one member). A teiCorpus that inlines its
    members already (releases before XInclude) is copied as it is."""
    with open(corpus_file, "rb") as src:
        for line in src:
            match = _INCLUDE.match(line.lstrip(b" ")) if b"<xi:include" in line else None
            if match is None:
                out.write(line)
                continue
            member = Path(release_dir) / match.group(1).decode("utf-8")
            out.write(_member_bytes(member.read_bytes()))


def _sorted_stream(documents: Iterable[Document]) -> Iterable[Document]:
    """The documents in id order. A list is checked for shared ids and sorted here; any other iterable
    (a generator reading the store) must already come in id order, and is checked as it streams, so a
    release never needs every document in memory."""
    if isinstance(documents, Sequence):
        duplicates = sorted(str(i) for i, n in Counter(d.id for d in documents).items() if n > 1)
        if duplicates:
            raise ValueError(f"documents share an id (one file each is required): {', '.join(duplicates)}")
        yield from sorted(documents, key=lambda d: str(d.id))
        return
    last = None
    for doc in documents:
        key = str(doc.id)
        if last is not None and key <= last:
            raise ValueError(f"documents share an id (one file each is required): {key}" if key == last else
                             f"documents must come in id order when streamed: {key} after {last}")
        last = key
        yield doc


def _with_work(doc: Document, work: str | None) -> Document:
    """The document, carrying the id of the work it is a copy of (corpus.witnesses), if any."""
    if work:
        doc.extra = {**doc.extra, "work": work}
    return doc


def _manifest_entry_json(entry: dict) -> bytes:
    """One manifest entry as json.dumps(manifest, indent=1) lays it out inside "documents"."""
    text = json.dumps(entry, ensure_ascii=False, indent=1)
    return ("\n".join("  " + line for line in text.split("\n"))).encode("utf-8")


class PreviousReleaseDamaged(ValueError):
    """The previous release was changed after it was written: what it says cannot be carried forward."""


def _check_previous(previous_dir: Path | None) -> None:
    """What a new release takes from the previous one must still be what was released: its manifest
    (revision history, retired documents, the digests of the TEI and CoNLL-U files it reuses) against
    SHA256SUMS, or the release is refused in one line."""
    if previous_dir is None:
        return
    sums = {}
    try:
        for line in (previous_dir / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            sums[name] = digest
    except OSError as exc:
        raise PreviousReleaseDamaged(f"release {previous_dir.name} has no readable SHA256SUMS ({exc.strerror}); "
                                     f"`kcorpus check` names the damage; nothing was written") from None
    if sums.get("manifest.json") != sha256_file(previous_dir / "manifest.json"):
        raise PreviousReleaseDamaged(f"release {previous_dir.name}: manifest.json differs from its SHA256SUMS "
                                     f"(changed after release); the revision history it holds cannot be carried "
                                     f"into a new release; `kcorpus check` names the damage; nothing was written")


PROGRESS_EVERY = 250   # documents between two progress reports of a release being written


def tei_writer_version() -> str:
    """What a TEI file's bytes depend on besides the document record: kcorpus's version and the TEI
    writer's own code (corpus/tei.py). A release reuses the previous one's TEI files only under the same."""
    import corpus.tei
    return f"{__version__}+{hashlib.sha1(Path(corpus.tei.__file__).read_bytes()).hexdigest()[:12]}"


def _previous_tei(previous_dir: Path | None, relative: Path, old: dict, record_sha: str) -> bytes | None:
    """The previous release's TEI file of an unchanged record, when its bytes are the ones its manifest
    names (a file edited after its release is written anew, never carried on); None otherwise."""
    if previous_dir is None or old.get("record_sha256") != record_sha:
        return None
    try:
        prior = (previous_dir / relative).read_bytes()
    except OSError:
        return None
    return prior if hashlib.sha256(prior).hexdigest() == old.get("sha256") else None


def _previous_conllu(previous_dir: Path | None, doc: Document, old: dict | None, text_sha: str) -> KnownConllu | None:
    """The previous release's CoNLL-U file of a document whose id, title and text are unchanged (what its
    CoNLL-U is made of; the language follows from the text), when its bytes are the ones the previous
    manifest names (a file edited after its release is segmented anew, never carried on), with the
    counts that manifest gives for them; None otherwise. The caller checks that both releases segment
    alike (the same corpus.nlp.nlp_version)."""
    if previous_dir is None or old is None or old["text_sha256"] != text_sha or old.get("title") != doc.title \
            or not old.get("conllu_sha256"):
        return None
    try:
        prior = (previous_dir / conllu_file(doc.site, doc.id)).read_bytes()
    except OSError:
        return None
    counts = (old["tokens"], old["sentences"]) if isinstance(old.get("tokens"), int) \
        and isinstance(old.get("sentences"), int) else None
    try:
        known = known_conllu(prior, counts)
    except UnicodeDecodeError:
        return None
    return known if known.sha256 == old["conllu_sha256"] else None


def _records_written(folder: Path, ids: set[str]) -> list[Document]:
    """The records of `ids` in a release being written (before its manifest, which names their sites)."""
    sites = [path for path in sorted((folder / RECORDS_KEY).iterdir()) if path.is_dir()]
    out = []
    for doc_id in sorted(ids):
        path = next((site / f"{doc_id}.json" for site in sites if (site / f"{doc_id}.json").is_file()), None)
        if path is not None:
            out.append(parse_record(path.read_text(encoding="utf-8"), path))
    return out


def _published_in(changes: list[Change], fallback: ReleaseStamp) -> ReleaseStamp:
    """The release that published a document's current text: its latest change (this one when new or edited)."""
    return ReleaseStamp(changes[-1].version, changes[-1].date) if changes else fallback


def citation_settings(home: DataHome, stamp: ReleaseStamp) -> Settings:
    """The installation's citation settings (core.settings), refused before anything is written when the
    CITATION.cff they make would not validate against CFF 1.2.0 (a malformed DOI or URL, say)."""
    settings = load_settings(home.root)
    problems = cff_problems(citation_cff(stamp.version, stamp.date, Stats(), [], settings))
    if problems:
        raise SettingsError(f"CITATION.cff would not validate (see [citation] in {home.root / CONFIG_FILE} and "
                            f"KCORPUS_CITATION_*): {'; '.join(problems[:3])}")
    return settings


def build_release(home: DataHome, documents: Iterable[Document], *, version: str | None = None,
                  today: date | None = None, partial: list[str] | None = None,
                  quarantined: list[dict] | None = None, checked: dict[str, dict] | None = None,
                  crawl_outcomes: dict[str, dict] | None = None, progress=None) -> Release:
    """Write a new release of `documents` (those that passed the quality gate).

    documents    a list, or any iterable in id order (streamed: each document is written, validated and
                 let go, so memory does not grow with the corpus)
    version      explicit version; default YYYY.MM.DD[.N] of `today`. An existing one raises ReleaseExists.
    partial      batch-expectation failures released anyway (--allow-partial): recorded in the manifest
    quarantined  [{id, site, failed}] held back by the gate, listed in the manifest
    checked      per source URL, the last usable answer of the page {"run_id", "at"} (a 304 keeps the
                 document's older capture, so its capture date is not when it was last checked):
                 written as each entry's "last_checked", so the audit can tell "not checked" from "unchanged"
    crawl_outcomes  {site: {outcome, cause, run_id}} of each site's last crawl, written to the manifest
                 (the audit reads it to say "not checked" rather than "removed")
    progress     called as progress(phase, done, total) while the release is written ("linking",
                 "writing"; total None for a streamed iterable), for a terminal that says what is going on
    Every TEI file is validated against the project schema; a failing one is left out and reported.
    """
    today = today or date.today()
    home.releases_dir.mkdir(parents=True, exist_ok=True)
    stream = _sorted_stream(documents)
    if isinstance(documents, Sequence):
        stream = iter(list(stream))  # a list's shared ids are refused here, before anything is written
    if version is not None:
        check_version(home, version)
    else:
        version = next_version(home, today)
    stamp = ReleaseStamp(version, today.isoformat())
    settings = citation_settings(home, stamp)

    # The previous manifest is read once, forward beside the new documents (never whole); its
    # "retired" list stands in for every older one.
    previous_dir = latest_release(home)
    previous_manifest = read_manifest_head(previous_dir) if previous_dir else {}
    previous = PreviousEntries(previous_dir)
    retired = _retired_entries(home, previous_dir, previous_manifest)
    _check_previous(previous_dir)
    reuse_tei = previous_manifest.get("tei_writer") == tei_writer_version()
    # an unchanged document's CoNLL-U is taken from the previous release when it was segmented alike
    conllu_from = previous_dir if previous_manifest.get("nlp") == nlp_version() else None
    # copies of one work across sites: each document carries its work's id, the teiCorpus links them.
    # Linking reads every text once before the release is written (the index on disk keeps signatures,
    # not texts): a list is read twice, and so is a stream that can be iterated again (the gate's
    # PassedDocuments, reading the store one document at a time); a one-shot iterator is released
    # without witness links.
    works, linking = [], None
    total = len(documents) if isinstance(documents, Sized) else None   # a list, or the gate's stream
    report = progress or (lambda phase, done, total: None)
    if isinstance(documents, Sized) and iter(documents) is not documents:
        report("linking", 0, total)
        with WitnessIndex(home.witness_index) as index:
            works, linking = index.update(d for d in _sorted_stream(documents) if not _unsafe(d))
        work_of = {doc_id: work.id for work in works for doc_id in work.witnesses}
        stream = (_with_work(doc, work_of.get(doc.id)) for doc in stream)
    tmp = home.releases_dir / f".tmp-{uuid.uuid4().hex}"
    work = home.releases_dir / f".work-{uuid.uuid4().hex}"   # scratch files that are not part of the release
    (tmp / "tei").mkdir(parents=True)
    work.mkdir()
    derived = None
    try:
        derived = DerivedWriter(tmp, previous_dir)
        shared = 0   # TEI and record files hard-linked to the previous release's identical ones
        folders: set[Path] = set()   # the folders of tmp made so far
        usage: Counter = Counter()
        rejected, digests = [], {}
        added, edited, released_ids = [], {}, set()
        titles: dict[str, tuple[str, str]] = {}   # id -> (title, url) of edited documents
        counts: dict[str, int] = {}
        cleaner_versions: set[str] = set()
        unchanged_text: dict[str, list[str]] = {"moved": [], "not_checked": [], "cosmetic": []}
        moved_from: dict[str, str] = {}     # new id -> old id of a document re-filed under a new id
        first_member = None
        report("writing", 0, total)
        with open(work / "includes.xml", "wb") as includes, \
                open(work / "entries.json", "wb") as entries, \
                open(work / "added.md", "w", encoding="utf-8") as added_entries:
            for doc in stream:
                old = previous.take(doc.id)
                changes = [Change(**c) for c in (old or retired.get(doc.id) or {}).get("changes", [])]
                unsafe = _unsafe(doc)
                try:
                    # the exact record researchers (and the diff) read back: it must encode as UTF-8 JSON
                    line = json.dumps({**doc.fields_for_json(), "text": doc.text}, ensure_ascii=False).encode("utf-8")
                    text_sha = doc.text_sha256()
                except (UnicodeEncodeError, TypeError, ValueError) as exc:  # lone surrogate, non-JSON extra
                    unsafe = unsafe or f"the document record cannot be stored as UTF-8 JSON: {exc}"
                if unsafe:
                    rejected.append({"id": doc.id, "errors": [unsafe]})
                    previous.put_back(old)
                    continue
                kind = None
                if old is None:
                    changes.append(Change(version, stamp.date, "added"))
                elif old["text_sha256"] != text_sha:
                    kind = capture_class(old.get("payload_digest"), (doc.capture or {}).get("payload_digest"))
                    changes.append(Change(version, stamp.date, f"edited-{kind}"))
                relative = Path("tei") / doc.site / f"{doc.id}.xml"
                record_sha = hashlib.sha256(line).hexdigest()
                # an unchanged record (same JSON, no new change) written by the same TEI writer gives the
                # same TEI bytes: the previous release's file is taken, once its bytes are checked
                reused = _previous_tei(previous_dir, relative, old, record_sha) \
                    if old is not None and old["text_sha256"] == text_sha and reuse_tei else None
                try:
                    if reused is not None:
                        xml, errors, element = reused, [], None
                    else:
                        # a TEI file names the release that published its text (its latest change), so an
                        # unchanged document's file is the same bytes in every release and is shared
                        element = document_element(doc, release=_published_in(changes, stamp), changes=changes)
                        xml = serialize(element)
                        errors = validate_tei(xml)
                except (ValueError, TypeError) as exc:  # e.g. a non-string where text belongs
                    errors = [f"cannot be written as TEI: {exc}"]
                if errors:
                    rejected.append({"id": doc.id, "errors": errors[:5]})
                    previous.put_back(old)
                    continue
                if old is None:
                    added.append(doc.id)
                    added_entries.write("\n" + _changelog_entry(doc.id, doc.title, doc.source_url))
                elif kind:
                    edited[doc.id] = kind
                    titles[doc.id] = (doc.title, doc.source_url)
                shared += write_or_link(tmp / relative, xml, previous_dir / relative
                                        if old is not None and previous_dir else None, checked=reused is not None,
                                        folders=folders)
                digests[relative.as_posix()] = hashlib.sha256(xml).hexdigest()
                includes.write(member_include(relative.as_posix()))
                first_member = first_member or _member_bytes(xml)
                conllu = derived.add(doc, relative.as_posix(), conllu=_previous_conllu(conllu_from, doc, old, text_sha))
                usage.update(tag_usage([element]) if element is not None else tag_usage_of_file(xml))
                records = record_file(doc.site, doc.id)
                shared += write_or_link(tmp / records, line + b"\n", previous_dir / records
                                        if old is not None and previous_dir else None, folders=folders)
                digests[records] = hashlib.sha256(line + b"\n").hexdigest()
                capture = doc.capture or {}
                entry = {
                    "id": doc.id, "site": doc.site, "path": relative.as_posix(),
                    "sha256": digests[relative.as_posix()],
                    "text_sha256": text_sha, "record_sha256": record_sha, "source_url": doc.source_url,
                    "title": doc.title,
                    "capture_id": plain_record_id(capture.get("record_id") or "") or None,
                    "payload_digest": capture.get("payload_digest"), "captured_at": capture.get("captured_at"),
                    # where the archived page is: the payload's WARC file (under warc/) and record offset,
                    # and the run's WACZ (under wacz/) that packages it for replay tools
                    "warc_file": f"warc/{capture['warc_file']}" if capture.get("warc_file") else None,
                    "warc_offset": capture.get("warc_offset"),
                    "wacz_file": f"wacz/{capture['wacz_file']}" if capture.get("wacz_file") else None,
                    "cleaner_version": doc.cleaner_version, "changes": [c.to_dict() for c in changes],
                    "work": doc.extra.get("work"), "conllu_sha256": conllu.sha256, "tokens": conllu.tokens,
                    "sentences": conllu.sentences}
                if checked and doc.source_url in checked:
                    entry["last_checked"] = checked[doc.source_url]
                if old is not None and kind is None:  # the same text: moved, not checked, cosmetic (as the audit says)
                    same_text = same_text_change(old, entry, crawl_outcomes or {})
                    if same_text:
                        unchanged_text[same_text].append(doc.id)
                        titles[doc.id] = (doc.title, doc.source_url)
                dropped = _dropped_characters(element if element is not None else xml, doc.id)
                if dropped is not None:
                    entry["tei_dropped_characters"] = dropped
                entries.write((b",\n" if released_ids else b"") + _manifest_entry_json(entry))
                if len(released_ids) % PROGRESS_EVERY == PROGRESS_EVERY - 1:
                    report("writing", len(released_ids) + 1, total)
                released_ids.add(doc.id)
                counts[doc.site] = counts.get(doc.site, 0) + 1
                cleaner_versions.add(doc.cleaner_version)
        left = previous.rest()   # in the previous release, not in this one (a rejected one included)
        removed = sorted(set(left) - released_ids)
        # what left with this release joins what had left before; what came back leaves the list
        retired.update((doc_id, left[doc_id]) for doc_id in removed)
        retired_list = [retired[i] for i in sorted(retired) if i not in released_ids]
        # a document gone from one id whose text reappears under a new one moved (corpus.events.pair_moves,
        # the audit's rule): only the removed and added records are read back, never the whole corpus
        moves = pair_moves(list(read_records(previous_dir, set(removed)).values()),
                           _records_written(tmp, set(added))) if removed and added else []
        for before, after in moves:
            unchanged_text["moved"].append(after.id)
            titles[after.id] = (after.title, after.source_url)
            moved_from[after.id] = before.id
        derived.close()
        stats = derived.stats
        sites = sorted(counts)
        (tmp / "CITATION.cff").write_text(citation_cff(version, stamp.date, stats, sites, settings), encoding="utf-8")
        (tmp / ".zenodo.json").write_text(zenodo_json(version, stamp.date, stats, sites, settings), encoding="utf-8")
        (tmp / "README.md").write_text(release_readme(version, stamp.date, stats, RELEASE_FILES), encoding="utf-8")
        corpus_name = f"kcorpus-{version}.teiCorpus.xml"
        kept_works = [type(w)(w.id, [i for i in w.witnesses if i in released_ids]) for w in works]
        if released_ids:
            _write_corpus_file(tmp / corpus_name, version, stamp.date, counts, work / "includes.xml", first_member,
                               stats, usage, kept_works)
        manifest = {
            "version": version, "created_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            "release_date": stamp.date, "kcorpus_version": __version__,
            "cleaner_versions": sorted(cleaner_versions), "nlp": nlp_version(), "tei_writer": tei_writer_version(),
            "previous": previous_dir.name if previous_dir else None,
            "counts_by_site": counts, "partial": partial or None, "allow_partial": bool(partial),
            "crawl_outcomes": crawl_outcomes or {}, "quarantined": quarantined or [],
            "rejected": rejected, "tei_corpus": corpus_name if released_ids else None,
            "statistics": stats.to_dict(),
            "works": {w.id: w.witnesses for w in kept_works if len(w.witnesses) > 1},
            "witness_linking": linking.to_dict() if linking else None,
            RECORDS_KEY: RECORDS_LAYOUT, "files": _derived_files(tmp), "retired": retired_list,
            "shared_with_previous": shared + derived.linked,
        }
        head = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        with open(tmp / "manifest.json", "wb") as out, open(work / "entries.json", "rb") as src:
            out.write(head[:head.rindex(b"\n}")] + b"," + DOCUMENTS_KEY + (b"\n" if released_ids else b""))
            shutil.copyfileobj(src, out, 1 << 20)
            out.write((b"\n ]" if released_ids else b"]") + b"\n}")
        _write_changelog(tmp / "CHANGELOG.md", version, previous_dir.name if previous_dir else None, added,
                         work / "added.md", removed, edited, left, titles, partial, quarantined or [], rejected,
                         unchanged_text, moved_from)
        with open(tmp / "SHA256SUMS", "w", encoding="utf-8") as sums:
            for name in _sorted_files(tmp):
                if name != "SHA256SUMS":
                    known = digests.pop(name, None) or derived.digests.pop(name, None)
                    sums.write(f"{known or sha256_file(tmp / name)}  {name}\n")
                # a release is immutable: its files are written read-only (a file shared with the previous
                # release already is: its inode is left untouched)
                if (tmp / name).stat().st_mode & 0o777 != 0o444:
                    (tmp / name).chmod(0o444)
        (tmp / "SHA256SUMS").chmod(0o444)
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
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _point_latest(home, version)
    return Release(version, target, len(released_ids), counts, rejected, added, removed, edited)


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


# Folders of one file per document: SHA256SUMS lists each of their files, the manifest's entries name them.
PER_DOCUMENT_FOLDERS = ("tei", "records", "text", "conllu")


def _derived_files(folder: Path) -> list[dict]:
    """Every whole-release file of a release (not the per-document files, which SHA256SUMS lists), with
    its format and checksum."""
    formats = {".jsonl": "jsonl", ".parquet": "parquet", ".tsv": "tsv", ".txt": "txt", ".conllu": "conllu",
               ".cff": "cff", ".json": "json", ".md": "markdown", ".xml": "tei-corpus",
               ".sqlite": "sqlite"}
    out = []
    whole = [p for top in folder.iterdir() if top.name not in PER_DOCUMENT_FOLDERS
             for p in ([top] if top.is_file() else top.rglob("*")) if p.is_file()]
    for path in sorted(whole):
        relative = path.relative_to(folder).as_posix()
        if path.name in ("manifest.json", "SHA256SUMS", "CHANGELOG.md"):
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


def _sorted_files(root: Path, prefix: str = "") -> Iterator[str]:
    """Every file under `root` as a relative POSIX path, in the order sorted() gives the full paths,
    one directory listing at a time (not a list of every path of a 100k-document release): a folder
    sorts as its name plus "/", which every path inside it starts with."""
    entries = sorted(os.scandir(root), key=lambda e: e.name + "/" if e.is_dir() else e.name)
    for entry in entries:
        if entry.is_dir():
            yield from _sorted_files(Path(entry.path), prefix + entry.name + "/")
        elif entry.is_file():
            yield prefix + entry.name


def _changelog_entry(doc_id: str, title: str, url: str) -> str:
    return f"- `{doc_id}` {md_escape(title)} {md_url(url)}"


def _write_changelog(path: Path, version, previous_version, added, added_entries: Path, removed, edited, previous,
                     released, partial, quarantined, rejected, same_text: dict[str, list[str]] | None = None,
                     moved_from: dict[str, str] | None = None) -> None:
    """CHANGELOG.md. `added_entries` holds the added documents' lines as the release wrote them, each
    after a newline (a first release adds every document: their titles are not kept in memory);
    `released` maps the edited (and `same_text`) ids to their (title, source URL), `previous` the removed
    ids to their previous manifest entries; `same_text`: the ids of documents whose text did not change
    that moved, were not checked or changed cosmetically (corpus.events.same_text_change); `moved_from`:
    new id -> old id of a document re-filed under a new id (listed as moved, not as added and removed)."""
    same_text, moved_from = same_text or {}, moved_from or {}
    moved_away = set(moved_from.values())
    removed = [doc_id for doc_id in removed if doc_id not in moved_away]
    lines = [f"# kcorpus release {version}", ""]
    lines.append(f"Compared with release {previous_version}." if previous_version else "First release.")
    lines += ["", f"- added: {len(added) - len(moved_from)}", f"- removed: {len(removed)}",
              f"- edited: {len(edited)} ({sum(1 for k in edited.values() if k == 'upstream')} upstream, "
              f"{sum(1 for k in edited.values() if k == 'pipeline')} pipeline)"]
    lines += [f"- {label}: {len(same_text[key])}" for key, label in SAME_TEXT_SECTIONS if same_text.get(key)] + [""]
    if partial:
        lines += ["**Released with --allow-partial despite failed batch expectations:**", ""]
        lines += [f"- {md_escape(message)}" for message in partial] + [""]
    tail = _changelog_tail(removed, edited, previous, released, quarantined, rejected, same_text, moved_from)
    with open(path, "w", encoding="utf-8") as out, open(added_entries, encoding="utf-8") as entries:
        out.write("\n".join(lines))
        if len(added) > len(moved_from):
            out.write("\n## Added\n")
            if moved_from:  # the moved ones are listed under Moved
                out.writelines(line for line in entries
                               if not any(line.startswith(f"- `{doc_id}` ") for doc_id in moved_from))
            else:
                shutil.copyfileobj(entries, out, 1 << 20)
            out.write("\n")
        for line in tail:
            out.write("\n" + line)


# documents whose text did not change, as the CHANGELOG names them: (corpus.events.same_text_change, label)
SAME_TEXT_SECTIONS = (("moved", "moved"), ("not_checked", "not checked"), ("cosmetic", "cosmetic"))


def _changelog_tail(removed, edited, previous, released, quarantined, rejected, same_text=None,
                    moved_from=None) -> list[str]:
    """CHANGELOG.md after its Added section: removed, edited, moved, not checked, cosmetic, held back,
    rejected."""
    lines = []
    if removed:
        lines += ["## Removed", ""]
        lines += [_changelog_entry(doc_id, previous[doc_id].get("title", ""), previous[doc_id]["source_url"])
                  for doc_id in removed]
        lines.append("")
    if edited:
        lines += ["## Edited", ""]
        lines += [f"- `{doc_id}` ({kind}) {md_escape(released[doc_id][0])}" for doc_id, kind in sorted(edited.items())]
        lines.append("")
    notes = {"moved": "the same text at a new source URL (or under a new id: the old one after `was`)", "not_checked": "kept as last seen: nobody looked at "
             "the page since the release before (its site was not ok, or its re-check is not due)",
             "cosmetic": "the page's bytes changed, its text did not"}
    for key, label in SAME_TEXT_SECTIONS:
        if (same_text or {}).get(key):
            lines += [f"## {label[0].upper()}{label[1:]}", "", f"{notes[key]}:", ""]
            lines += [_changelog_entry(doc_id, *released[doc_id])
                      + (f" (was `{moved_from[doc_id]}`)" if doc_id in (moved_from or {}) else "")
                      for doc_id in same_text[key]] + [""]
    if quarantined:
        lines += ["## Held back by the quality gate", ""]
        lines += [f"- `{q['id']}`: {md_escape('; '.join(q.get('failed', [])))}" for q in quarantined] + [""]
    if rejected:
        lines += ["## Rejected (TEI invalid)", ""] + [f"- {md_escape(r['id'])}: {md_escape(r['errors'][0])}"
                                                     for r in rejected] + [""]
    return lines
