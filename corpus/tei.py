"""TEI P5 documents: one file per Document, with a header that says where the text came from and
every repair made to it; validated against the project's own schema (corpus/schema/kcorpus-tei.rng)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

from lxml import etree

from core.document import Document
from core.version import __version__

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
T = "{%s}" % TEI_NS
LANGUAGES = {"en": "English", "ko": "Korean"}
AVAILABILITY = ("Text reposted on the open web by the site named in the source description; kcorpus "
                "redistributes it for research, with its provenance. Check the rights status of the "
                "original before reuse.")
# XML 1.0 forbids most control characters, lone surrogates and U+FFFE/U+FFFF: a document holding
# one would not be well-formed (lxml refuses to write it), so they are dropped — and counted, so the
# header can say so: nothing is rewritten silently.
XML_HOSTILE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The repair-log name under which the TEI writer records the characters it had to drop.
XML_UNSAFE_RULE = "tei-xml-unsafe-characters"


@dataclass(frozen=True)
class ReleaseStamp:
    """The release a TEI file belongs to."""

    version: str
    date: str  # ISO date


@dataclass(frozen=True)
class Change:
    """One revisionDesc entry: in release `version` the text was `kind` (added, edited-upstream, edited-pipeline)."""

    version: str
    date: str
    kind: str

    def to_dict(self) -> dict:
        return {"version": self.version, "date": self.date, "kind": self.kind}


CHANGE_TEXT = {
    "added": "First released.",
    "edited-upstream": "Text changed: the source page itself changed (new capture).",
    "edited-pipeline": "Text changed: same capture, cleaned by changed kcorpus rules.",
}
CHANGE_KINDS = tuple(CHANGE_TEXT)


def xml_safe(text: str | None) -> str:
    """The string without characters XML 1.0 cannot hold (a vertical tab pasted into a post, a NUL
    from a broken charset guess, a lone surrogate from a bad decode).

    >>> xml_safe("Pyongyang\\x0b, September\\x00 14")
    'Pyongyang, September 14'
    """
    return XML_HOSTILE.sub("", text or "")


class TeiWriter:
    """Builds TEI elements, dropping XML-hostile characters from every text and attribute value and
    counting them (`dropped`), so the file stays well-formed and the header can record the repair."""

    def __init__(self) -> None:
        self.dropped = 0

    def clean(self, value) -> str:
        """`value` as a string XML can hold; counts what was dropped."""
        cleaned, n = XML_HOSTILE.subn("", "" if value is None else str(value))
        self.dropped += n
        return cleaned

    def el(self, parent, tag: str, text=None, **attrs) -> etree._Element:
        """A TEI child element; `xml_id`/`xml_lang` become xml:id/xml:lang, None attributes are left out."""
        names = {"xml_id": f"{{{XML_NS}}}id", "xml_lang": f"{{{XML_NS}}}lang"}
        el = etree.SubElement(parent, T + tag, {names.get(k, k): self.clean(v)
                                                 for k, v in attrs.items() if v is not None})
        if text is not None:
            el.text = self.clean(text)
        return el


def _el(parent, tag: str, text=None, **attrs) -> etree._Element:
    """A TEI child element built by a throw-away writer (for texts kcorpus itself composes)."""
    return TeiWriter().el(parent, tag, text, **attrs)


def when(value: str | None) -> str | None:
    """A TEI @when value (xs:date or xs:dateTime with seconds) for an ISO date or date-time, else None
    (the date is then kept as text only: a malformed date never makes the file invalid).

    >>> when("2010-09-14"), when("2020-09-18T19:23+09:00"), when("2026-10-01T03:00:00Z")
    ('2010-09-14', '2020-09-18T19:23:00+09:00', '2026-10-01T03:00:00+00:00')
    >>> when("September 14, Juche 99") is None
    True
    """
    if not value:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value).isoformat()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}.*", value):
            return datetime.fromisoformat(value).isoformat()
    except ValueError:
        return None
    return None


def _repair_items(w: TeiWriter, repairs: list[dict]) -> list[tuple[str, str, int]]:
    """(rule, where, count) per repair-log entry, cleaned for XML."""
    return [(w.clean(r.get("rule") or "unnamed-rule"), w.clean(r.get("where") or "body"), int(r.get("count") or 0))
            for r in repairs]


def _correction(w: TeiWriter, editorial: etree._Element, repairs: list[dict]) -> None:
    """editorialDecl/correction: every repair rule applied with its count, in the order applied, and
    the characters the TEI writer itself dropped (written last, once every text has been cleaned)."""
    items = _repair_items(w, repairs)
    if w.dropped:
        items.append((XML_UNSAFE_RULE, "tei", w.dropped))
    correction = w.el(editorial, "correction")
    if not items:
        w.el(correction, "p", "No repairs were needed.")
        return
    para = w.el(correction, "p", "Repairs made by kcorpus, in the order applied:")
    repair_list = w.el(para, "list")
    for rule, where, count in items:
        item = w.el(repair_list, "item", n=count, ana=re.sub(r"\s+", "-", rule))
        label = w.el(item, "label", rule)
        label.tail = f" ({where}): {count}"


def _source_desc(w: TeiWriter, file_desc, doc: Document) -> None:
    """sourceDesc/bibl: original title, author, series position, agency, distributor, reposting site,
    source URL, original publication date, capture date-time, WARC record id and payload digest."""
    bibl = w.el(w.el(file_desc, "sourceDesc"), "bibl")
    # The subject as the site wrote it (escaping and all); the repaired title is in titleStmt.
    w.el(bibl, "title", doc.extra.get("subject") or doc.title, type="original")
    if doc.author:
        w.el(bibl, "author", doc.author)
    if doc.series:
        w.el(bibl, "title", doc.series, type="series")
    if doc.chapter is not None:
        w.el(bibl, "biblScope", doc.chapter, unit="chapter")
    if doc.section:
        w.el(bibl, "biblScope", doc.section, unit="section")
    if doc.agency:
        resp = w.el(bibl, "respStmt")
        w.el(resp, "resp", "news agency")
        w.el(resp, "orgName", doc.agency)
    if doc.distributor:
        w.el(bibl, "distributor", doc.distributor)
    reposted = w.el(bibl, "respStmt")
    w.el(reposted, "resp", "reposted on the web by")
    w.el(reposted, "orgName", doc.site)
    if doc.place:
        w.el(bibl, "pubPlace", doc.place)
    if doc.date:
        w.el(bibl, "date", doc.date, when=when(doc.date), type="published")
    w.el(bibl, "ptr", target=doc.source_url, type="source")
    capture = doc.capture or {}
    if capture.get("captured_at"):
        w.el(bibl, "date", capture["captured_at"], when=when(capture["captured_at"]), type="captured")
    if capture.get("record_id"):
        w.el(bibl, "idno", capture["record_id"], type="warc-record-id")
    if capture.get("payload_digest"):
        w.el(bibl, "idno", capture["payload_digest"], type="warc-payload-digest")


def _header(w: TeiWriter, root, doc: Document, release: ReleaseStamp | None,
            changes: list[Change]) -> etree._Element:
    """The teiHeader; returns its editorialDecl, filled in once the body has been written."""
    header = w.el(root, "teiHeader")
    file_desc = w.el(header, "fileDesc")
    title_stmt = w.el(file_desc, "titleStmt")
    w.el(title_stmt, "title", doc.title)
    if doc.author:
        w.el(title_stmt, "author", doc.author)
    pub = w.el(file_desc, "publicationStmt")
    w.el(pub, "publisher", "kcorpus")
    if release:
        w.el(pub, "idno", release.version, type="release")
        w.el(pub, "date", release.date, when=when(release.date))
    w.el(pub, "idno", doc.id, type="kcorpus")
    if doc.extra.get("work"):  # the work this document is a witness of (corpus.witnesses)
        w.el(pub, "idno", str(doc.extra["work"]), type="work")
    w.el(w.el(pub, "availability"), "p", AVAILABILITY)
    _source_desc(w, file_desc, doc)

    encoding = w.el(header, "encodingDesc")
    app = w.el(w.el(encoding, "appInfo"), "application", ident="kcorpus", version=__version__)
    w.el(app, "label", "kcorpus")
    w.el(app, "desc", f"cleaning rules {doc.cleaner_version or __version__}")
    editorial = w.el(encoding, "editorialDecl")

    profile = w.el(header, "profileDesc")
    lang = doc.lang or "und"
    w.el(w.el(profile, "langUsage"), "language", LANGUAGES.get(lang, lang), ident=lang)
    keywords = w.el(w.el(profile, "textClass"), "keywords")
    w.el(keywords, "term", doc.site, type="site")
    if doc.series:
        w.el(keywords, "term", doc.series, type="series")
    if changes:
        revisions = w.el(header, "revisionDesc")
        for change in changes:
            w.el(revisions, "change", CHANGE_TEXT.get(change.kind, change.kind), when=when(change.date),
                 n=change.version, type=change.kind)
    return editorial


def document_element(doc: Document, *, release: ReleaseStamp | None, changes: list[Change]) -> etree._Element:
    """The <TEI> element for a document: header, then the title as <head>, one <p> per paragraph,
    and a <gap reason="truncated"> when the source page cut the text off."""
    w = TeiWriter()
    root = etree.Element(T + "TEI", nsmap={None: TEI_NS})
    root.set(f"{{{XML_NS}}}id", w.clean(doc.id))
    if doc.lang:
        root.set(f"{{{XML_NS}}}lang", w.clean(doc.lang))
    editorial = _header(w, root, doc, release, changes)
    body = w.el(w.el(root, "text"), "body")
    w.el(body, "head", doc.title)
    for paragraph in doc.paragraphs:
        w.el(body, "p", paragraph)
    if "truncated" in doc.flags:
        gap = w.el(body, "gap", reason="truncated")
        w.el(gap, "desc", "The source page ends here, mid-word or mid-sentence: the rest of the text was not published.")
    _correction(w, editorial, doc.repairs)
    return root


def serialize(element: etree._Element) -> bytes:
    """A TEI element as a file: UTF-8 with an XML declaration."""
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def document_to_tei(doc: Document, *, release: ReleaseStamp | None, changes: list[Change]) -> bytes:
    """The TEI P5 file for a document (UTF-8, with XML declaration, xml:id = doc.id).

    release  the release it is written for (publicationStmt); None outside a release (`kcorpus clean`)
    changes  the revisionDesc history, oldest first
    """
    return serialize(document_element(doc, release=release, changes=changes))


@lru_cache(maxsize=1)
def project_schema() -> etree.RelaxNG:
    """The project's TEI customisation (RELAX NG), compiled once per process."""
    path = resources.files("corpus") / "schema" / "kcorpus-tei.rng"
    return etree.RelaxNG(etree.parse(str(path)))


def validate_tei(xml: bytes) -> list[str]:
    """Errors of a TEI file against the project schema: empty when valid; when the file is not even
    well-formed, the one error says so."""
    try:
        tree = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed: {exc}"]
    schema = project_schema()
    if schema.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
