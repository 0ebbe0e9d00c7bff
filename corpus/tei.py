"""TEI P5 documents: one file per Document, with a header that says where the text came from and
every repair made to it; validated against the project's own schema (corpus/schema/kcorpus-tei.rng)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lxml import etree

from cleaners.document import Document
from kcorpus import __version__

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
T = "{%s}" % TEI_NS
LANGUAGES = {"en": "English", "ko": "Korean"}
AVAILABILITY = ("Text reposted on the open web by the site named in the source description; kcorpus "
                "redistributes it for research, with its provenance. Check the rights status of the "
                "original before reuse.")
# XML 1.0 forbids most control characters, lone surrogates and U+FFFE/U+FFFF: a document holding
# one would not be well-formed, so they are dropped from every string written.
XML_HOSTILE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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


def xml_safe(text: str | None) -> str:
    """The string without characters XML 1.0 cannot hold."""
    return XML_HOSTILE.sub("", text or "")


def _el(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    el = etree.SubElement(parent, T + tag, {k.replace("_", ":") if k != "xml_id" else f"{{{XML_NS}}}id": xml_safe(str(v))
                                             for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = xml_safe(text)
    return el


def _when(value: str | None) -> str | None:
    """A TEI @when value (xs:date or xs:dateTime) or None when it is not one."""
    if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?", value):
        return value if "T" not in value or value.count(":") >= 2 else value.replace("T", "T", 1) + ":00"
    return None


def _header(root, doc: Document, release: ReleaseStamp | None, changes: list[Change]) -> None:
    header = _el(root, "teiHeader")
    file_desc = _el(header, "fileDesc")
    title_stmt = _el(file_desc, "titleStmt")
    _el(title_stmt, "title", doc.title)
    if doc.author:
        _el(title_stmt, "author", doc.author)
    pub = _el(file_desc, "publicationStmt")
    _el(pub, "publisher", "kcorpus")
    if release:
        _el(pub, "idno", release.version, type="release")
        _el(pub, "date", release.date, when=release.date)
    _el(pub, "idno", doc.id, type="kcorpus")
    availability = _el(pub, "availability")
    _el(availability, "p", AVAILABILITY)

    bibl = _el(_el(file_desc, "sourceDesc"), "bibl")
    _el(bibl, "title", doc.extra.get("subject") or doc.title, type="original")
    if doc.author:
        _el(bibl, "author", doc.author)
    if doc.series:
        _el(bibl, "title", doc.series, type="series")
    if doc.agency:
        resp = _el(bibl, "respStmt")
        _el(resp, "resp", "news agency")
        _el(resp, "orgName", doc.agency)
    if doc.distributor:
        _el(bibl, "distributor", doc.distributor)
    reposted = _el(bibl, "respStmt")
    _el(reposted, "resp", "reposted on the web by")
    _el(reposted, "orgName", doc.site)
    if doc.place:
        _el(bibl, "pubPlace", doc.place)
    if doc.date:
        _el(bibl, "date", doc.date, when=_when(doc.date), type="published")
    _el(bibl, "ptr", target=doc.source_url, type="source")
    capture = doc.capture or {}
    if capture.get("captured_at"):
        _el(bibl, "date", capture["captured_at"], when=_when(capture["captured_at"]), type="captured")
    if capture.get("record_id"):
        _el(bibl, "idno", capture["record_id"], type="warc-record-id")
    if capture.get("payload_digest"):
        _el(bibl, "idno", capture["payload_digest"], type="warc-payload-digest")

    encoding = _el(header, "encodingDesc")
    app = _el(_el(encoding, "appInfo"), "application", ident="kcorpus", version=__version__)
    _el(app, "label", "kcorpus")
    _el(app, "desc", f"cleaning rules {doc.cleaner_version or __version__}")
    correction = _el(_el(encoding, "editorialDecl"), "correction")
    if doc.repairs:
        para = _el(correction, "p", "Repairs made by kcorpus, in the order applied:")
        repair_list = _el(para, "list")
        for repair in doc.repairs:
            item = _el(repair_list, "item", n=repair["count"], ana=repair["rule"])
            _el(item, "label", repair["rule"])
            item[-1].tail = xml_safe(f" ({repair.get('where', 'body')}): {repair['count']}")
    else:
        _el(correction, "p", "No repairs were needed.")

    profile = _el(header, "profileDesc")
    _el(_el(profile, "langUsage"), "language", LANGUAGES.get(doc.lang or "", doc.lang or "unknown"),
        ident=doc.lang or "und")
    keywords = _el(_el(profile, "textClass"), "keywords")
    _el(keywords, "term", doc.site, type="site")
    if doc.series:
        _el(keywords, "term", doc.series, type="series")
    if changes:
        revisions = _el(header, "revisionDesc")
        for change in changes:
            _el(revisions, "change", CHANGE_TEXT.get(change.kind, change.kind), when=change.date,
                n=change.version, type=change.kind)


def document_element(doc: Document, *, release: ReleaseStamp | None, changes: list[Change]) -> etree._Element:
    """The <TEI> element for a document."""
    root = etree.Element(T + "TEI", nsmap={None: TEI_NS})
    root.set(f"{{{XML_NS}}}id", doc.id)
    if doc.lang:
        root.set(f"{{{XML_NS}}}lang", doc.lang)
    _header(root, doc, release, changes)
    body = _el(_el(root, "text"), "body")
    _el(body, "head", doc.title)
    for paragraph in doc.paragraphs:
        _el(body, "p", paragraph)
    if "truncated" in doc.flags:
        gap = _el(body, "gap", reason="truncated")
        _el(gap, "desc", "The source page ends here, mid-word or mid-sentence: the rest of the text was not published.")
    return root


def document_to_tei(doc: Document, *, release: ReleaseStamp | None, changes: list[Change]) -> bytes:
    """The TEI P5 file for a document (UTF-8, with XML declaration)."""
    return etree.tostring(document_element(doc, release=release, changes=changes), xml_declaration=True,
                          encoding="UTF-8", pretty_print=True)


@lru_cache(maxsize=1)
def project_schema() -> etree.RelaxNG:
    """The project's TEI customisation (RELAX NG), compiled once per process."""
    path = resources.files("corpus") / "schema" / "kcorpus-tei.rng"
    return etree.RelaxNG(etree.parse(str(path)))


def validate_tei(xml: bytes) -> list[str]:
    """Errors of a TEI file against the project schema (empty when valid, or when well-formedness fails
    the one error says so)."""
    try:
        tree = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed: {exc}"]
    schema = project_schema()
    if schema.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
