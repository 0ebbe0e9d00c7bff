"""TEI P5 documents: one file per Document, with a header that says where the text came from and
every repair made to it; validated against the project's own schema (corpus/schema/kcorpus-tei.rng)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

from lxml import etree

from core.capture import plain_record_id
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


def replace_xml_hostile(text: str) -> tuple[str, list[str]]:
    """`text` with every character XML 1.0 cannot hold (C0 controls but tab/newline/return, lone
    surrogates, U+FFFE/U+FFFF) replaced by U+FFFD, and the code points replaced ("U+FFFE", ...), for
    the record. For writers that must keep a visible mark where the upstream text held one (feeds,
    HTML reports); the TEI writer drops them instead and counts them in its header.

    >>> text, found = replace_xml_hostile("Kim Jong Un\\ufffe Inspects\\x00")
    >>> text == "Kim Jong Un\\N{REPLACEMENT CHARACTER} Inspects\\N{REPLACEMENT CHARACTER}", found
    (True, ['U+FFFE', 'U+0000'])
    """
    found = [f"U+{ord(m.group()):04X}" for m in XML_HOSTILE.finditer(text)]
    return (XML_HOSTILE.sub("\ufffd", text), found) if found else (text, [])


def html_note_hostile(page: str) -> str:
    """A whole rendered HTML page made writable and valid: XML-hostile characters (a lone surrogate
    cannot even be encoded as UTF-8) replaced by U+FFFD, and a note before </body> saying how many
    and which, so the repair is recorded where the reader sees it."""
    safe, found = replace_xml_hostile(page)
    if not found:
        return page
    kinds = ", ".join(sorted(set(found)))
    note = (f"<p class='note'>{len(found)} character(s) no HTML or XML document can hold ({kinds}) were "
            f"in the texts of this page: each is shown as \ufffd.</p>")
    head, sep, tail = safe.rpartition("</body>")
    return head + note + sep + tail if sep else safe + note


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


def _correction(w: TeiWriter, editorial: etree._Element, repairs: list[dict], doc_id: str) -> None:
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
        item = w.el(repair_list, "item", n=count, ana="#" + category_id(doc_id, rule))
        label = w.el(item, "label", rule)
        label.tail = f" ({where}): {count}"


def category_id(doc_id: str, rule: str) -> str:
    """The xml:id of a repair rule's <category> in a document's header: prefixed with the document's
    id, so the ids stay unique when every document sits in one teiCorpus file.

    >>> category_id("kancc-heigo-504", "backslash-space")
    'kancc-heigo-504.backslash-space'
    """
    return f"{doc_id}.{re.sub(r'[^A-Za-z0-9._-]+', '-', rule) or 'unnamed-rule'}"


def char_id(doc_id: str, char: str) -> str:
    """The xml:id of the <char> declaring a served character XML cannot hold (U+000C -> <id>.U000C)."""
    return f"{doc_id}.U{ord(char):04X}"


def _taxonomy(w: TeiWriter, encoding: etree._Element, doc: Document) -> None:
    """classDecl/taxonomy: one <category> per repair rule applied to the document, with what it undoes
    and how often it fired (all places summed); inline <reg ana="#..."> and the correction list point here."""
    totals: dict[str, int] = {}
    descriptions: dict[str, str] = {}
    for repair in doc.repairs:
        rule = repair.get("rule") or "unnamed-rule"
        totals[rule] = totals.get(rule, 0) + int(repair.get("count") or 0)
        descriptions.setdefault(rule, repair.get("description") or f"repair rule {rule}")
    for span in doc.spans:  # a rule met inline but not in the log (an older record): declared all the same
        for rule in span[5].split():
            totals.setdefault(rule, 0)
            descriptions.setdefault(rule, f"repair rule {rule}")
    if w.dropped:
        totals[XML_UNSAFE_RULE] = w.dropped
        descriptions[XML_UNSAFE_RULE] = "characters XML 1.0 cannot hold, dropped by the TEI writer"
    if not totals:
        return
    taxonomy = w.el(w.el(encoding, "classDecl"), "taxonomy", xml_id=f"{doc.id}.repairs")
    w.el(w.el(taxonomy, "bibl"), "title", "kcorpus repair rules")
    for rule, count in totals.items():
        category = w.el(taxonomy, "category", xml_id=category_id(doc.id, rule), n=count)
        w.el(category, "catDesc", f"{rule}: {descriptions[rule]}")


def _char_decl(w: TeiWriter, encoding: etree._Element, doc_id: str, chars: set[str]) -> None:
    """charDecl: the served characters XML cannot hold (a form feed standing for the f of \\from),
    which <orig> refers to with <g ref>; @n gives the code point, so the served text regenerates."""
    if not chars:
        return
    decl = w.el(encoding, "charDecl")
    for char in sorted(chars):
        declared = w.el(decl, "char", xml_id=char_id(doc_id, char), n=f"U+{ord(char):04X}")
        w.el(declared, "desc", f"U+{ord(char):04X}, a character XML 1.0 cannot hold, as the site served it")


def _served_content(w: TeiWriter, orig: etree._Element, served: str, doc_id: str, chars: set[str]) -> None:
    """The served characters inside <orig>: a removed paragraph break as <milestone unit="paragraph"/>,
    a character XML cannot hold as <g ref="#..."/>, everything else as text."""
    last = None
    for part in re.split("(\n|[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff])", served):
        if not part:
            continue
        if part == "\n":
            last = w.el(orig, "milestone", unit="paragraph")
        elif len(part) == 1 and XML_HOSTILE.match(part):
            chars.add(part)
            last = w.el(orig, "g", ref="#" + char_id(doc_id, part))
        elif last is None:
            orig.text = (orig.text or "") + part
        else:
            last.tail = (last.tail or "") + part


def _inline(w: TeiWriter, parent: etree._Element, text: str, spans: list[list], doc_id: str,
            chars: set[str]) -> None:
    """`text` into `parent`, each repaired stretch as <choice><orig>served</orig><reg type="rule"
    ana="#category">repaired</reg></choice>; several rules on one stretch: @type joins them with "+"."""
    pos, last = 0, None

    def put(chunk: str) -> None:
        chunk = w.clean(chunk)
        if last is None:
            parent.text = (parent.text or "") + chunk
        else:
            last.tail = (last.tail or "") + chunk

    for span in sorted(spans, key=lambda s: s[2]):
        start, end, served, rules = span[2], span[3], span[4], span[5].split() or ["unnamed-rule"]
        put(text[pos:start])
        last = choice = w.el(parent, "choice")
        _served_content(w, w.el(choice, "orig"), served, doc_id, chars)
        w.el(choice, "reg", text[start:end] or None, type="+".join(rules),
             ana=" ".join("#" + category_id(doc_id, r) for r in rules))
        pos = end
    put(text[pos:])


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
    if doc.posted_at:
        w.el(bibl, "date", doc.posted_at, when=when(doc.posted_at), type="posted")
    w.el(bibl, "ptr", target=doc.source_url, type="source")
    capture = doc.capture or {}
    if capture.get("captured_at"):
        w.el(bibl, "date", capture["captured_at"], when=when(capture["captured_at"]), type="captured")
    if capture.get("record_id"):
        w.el(bibl, "idno", plain_record_id(capture["record_id"]), type="warc-record-id")
    if capture.get("payload_digest"):
        w.el(bibl, "idno", capture["payload_digest"], type="warc-payload-digest")
    # where the payload is: a WARC file under the data home's warc/, the record's byte offset, and the
    # crawl run's WACZ under wacz/ (which holds that WARC file as archive/<name>)
    if capture.get("warc_file"):
        w.el(bibl, "idno", f"warc/{capture['warc_file']}", type="warc-file")
        w.el(bibl, "idno", str(capture.get("warc_offset", "")), type="warc-offset")
    if capture.get("wacz_file"):
        w.el(bibl, "idno", f"wacz/{capture['wacz_file']}", type="wacz-file")


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
    w.el(editorial, "normalization").append(_normalization_p(w))

    profile = w.el(header, "profileDesc")
    lang = doc.lang or "und"
    w.el(w.el(profile, "langUsage"), "language", LANGUAGES.get(lang, lang), ident=lang)
    keywords = w.el(w.el(profile, "textClass"), "keywords")
    w.el(keywords, "term", doc.site, type="site")
    if doc.series:
        w.el(keywords, "term", doc.series, type="series")
    if doc.site_section:
        w.el(keywords, "term", doc.site_section, type="site-section")
    if changes:
        revisions = w.el(header, "revisionDesc")
        for change in changes:
            w.el(revisions, "change", CHANGE_TEXT.get(change.kind, change.kind), when=when(change.date),
                 n=change.version, type=change.kind)
    return encoding


def _normalization_p(w: TeiWriter) -> etree._Element:
    p = etree.Element(T + "p")
    p.text = ("Every repair is marked inline: <choice><orig> holds the text as the site served it, <reg> the "
              "repaired text, its @ana pointing at the rule's <category> in classDecl. <milestone unit=\"paragraph\"/> "
              "in <orig> is a served paragraph break the repair removed; <g> a served character XML cannot hold "
              "(declared in charDecl).")
    return p


def document_element(doc: Document, *, release: ReleaseStamp | None, changes: list[Change]) -> etree._Element:
    """The <TEI> element for a document: header, then the title as <head>, one <p> per paragraph,
    and a <gap reason="truncated"> when the source page cut the text off."""
    w = TeiWriter()
    root = etree.Element(T + "TEI", nsmap={None: TEI_NS})
    root.set(f"{{{XML_NS}}}id", w.clean(doc.id))
    if doc.lang:
        root.set(f"{{{XML_NS}}}lang", w.clean(doc.lang))
    encoding = _header(w, root, doc, release, changes)
    editorial = encoding.find(T + "editorialDecl")
    body = w.el(w.el(root, "text"), "body")
    doc_id = w.clean(doc.id)
    chars: set[str] = set()
    spans: dict[tuple[str, int], list[list]] = {}
    for span in doc.spans:
        spans.setdefault((span[0], span[1]), []).append(span)
    _inline(w, w.el(body, "head"), doc.title, spans.get(("title", 0), []), doc_id, chars)
    for index, paragraph in enumerate(doc.paragraphs):
        _inline(w, w.el(body, "p"), paragraph, spans.get(("body", index), []), doc_id, chars)
    if "truncated" in doc.flags:
        gap = w.el(body, "gap", reason="truncated")
        w.el(gap, "desc", "The source page ends here, mid-word or mid-sentence: the rest of the text was not published.")
    _correction(w, editorial, doc.repairs, doc_id)
    _taxonomy(w, encoding, doc)
    _char_decl(w, encoding, doc_id, chars)
    return root


def _flatten(el: etree._Element, served: bool, chars: dict[str, str]) -> str:
    """The text of a <head> or <p>: each <choice> read through <orig> (served) or <reg> (repaired)."""
    parts = [el.text or ""]
    for child in el:
        tag = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if tag == "choice":
            pick = child.find(T + ("orig" if served else "reg"))
            parts.append(_flatten(pick, served, chars) if pick is not None else "")
        elif tag == "milestone":
            parts.append("\n" if served else "")
        elif tag == "g":
            parts.append(chars.get((child.get("ref") or "").lstrip("#"), "") if served else "")
        elif tag:
            parts.append(_flatten(child, served, chars))
        parts.append(child.tail or "")
    return "".join(parts)


def tei_texts(root: etree._Element) -> dict[str, tuple[str, list[str]]]:
    """Both texts of a TEI document, regenerated from its inline repairs alone:
    {"served": (headline, paragraphs) as the site served them, "repaired": (title, paragraphs)}."""
    chars = {c.get(f"{{{XML_NS}}}id"): chr(int(c.get("n")[2:], 16))
             for c in root.iter(T + "char") if (c.get("n") or "").startswith("U+")}
    body = root.find(f"{T}text/{T}body")
    head = body.find(T + "head")
    paragraphs = body.findall(T + "p")
    out = {}
    for name, served in (("served", True), ("repaired", False)):
        title = _flatten(head, served, chars) if head is not None else ""
        texts = [_flatten(p, served, chars) for p in paragraphs]
        out[name] = (title, "\n".join(texts).split("\n") if served and texts else texts)
    return out


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
