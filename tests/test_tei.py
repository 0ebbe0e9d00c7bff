"""TEI writer on Documents built by hand from the real seed text (independent of the cleaners): the
header carries the provenance and repair log, hostile characters are dropped *and recorded*, dates are
normalised, and the files are valid against the project schema and official tei_all (lxml's RelaxNG)."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from core.document import Document
from corpus.release import build_release
from corpus.tei import XML_UNSAFE_RULE, Change, ReleaseStamp, document_to_tei, validate_tei, when
from core.datahome import DataHome
from tests.tools.schemas import tei_all_problems

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seeds"
NS = {"t": "http://www.tei-c.org/ns/1.0"}
STAMP = ReleaseStamp("2026.11.24", "2026-11-24")
GS_URL = "https://www.globalsecurity.org/wmd/library/news/dprk/2010/dprk-100914-kcna01.htm"
KANCC_URL = "https://kancc.org/bbs/board.php?bo_table=heigo&wr_id=504"


def gs_seed_document() -> Document:
    """The GlobalSecurity seed (KCNA, 14 Sep 2010): the paragraphs between the source line and the footer."""
    lines = (SEEDS / "globalsecurity-kcna-2010-09-14.txt").read_text(encoding="utf-8").splitlines()
    start = lines.index("Korean Central News Agency of DPRK via Korea News Service (KNS)") + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("Join the"))
    paragraphs = [line.strip() for line in lines[start:end] if line.strip()]
    return Document(
        id="globalsecurity-dprk-100914-kcna01", site="globalsecurity", source_url=GS_URL,
        title="International Obligation Noted in History of DPRK-China Friendship", date="2010-09-14",
        place="Pyongyang", agency="Korean Central News Agency (KCNA)", distributor="Korea News Service (KNS)",
        site_section="Weapons of Mass Destruction (WMD)", lang="en", paragraphs=paragraphs,
        capture={"record_id": "<urn:uuid:7d3c3a4e-0c39-4d7e-9d44-1f1c2a0b9e01>",
                 "payload_digest": "sha1:2Z3OWFVG4HT2DTSLDSBFUXDVCZ3VY2QK", "warc_file": "run-1-globalsecurity.warc.gz",
                 "warc_offset": 1234, "captured_at": "2026-10-01T03:00:00Z", "run_id": "run-1"},
        cleaner_version="0.1.0+test")


def kancc_seed_document() -> Document:
    """The KANCC seed (With the Century 21.6): body lines up to the recommend block, the site's
    backslash-for-space mangling undone by hand and logged with its true count; the post is cut off."""
    lines = (SEEDS / "kancc-reminiscences-ch21-6.txt").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("6. “Let Us Defend"))
    end = lines.index("추천 0")
    raw = [line.strip() for line in lines[start:end] if line.strip()]
    paragraphs, count = [], 0
    for paragraph in raw:
        fixed, n = re.subn(r"\\(?=[a-z])", " ", paragraph)
        paragraphs.append(fixed)
        count += n
    return Document(
        id="kancc-heigo-504", site="kancc", source_url=KANCC_URL,
        title="Let Us Defend the Soviet Union with Arms!", date="2020-09-18",
        posted_at="2020-09-18T19:23+09:00",  # no seconds: normalised
        author="Kim Il Sung", series="With the Century", chapter=21, section=6, lang="en",
        paragraphs=paragraphs, flags=["truncated"],
        repairs=[{"rule": "backslash-space", "where": "body", "count": count,
                  "examples": [["Soviet\\union", "Soviet union"]]}],
        extra={"subject": lines[0].split(" > ")[0], "board": "heigo", "post_id": "504"},
        capture={"record_id": "<urn:uuid:0b6f0c8a-5a43-4f0e-8f2e-3c1b1d4e5f60>",
                 "payload_digest": "sha1:Q4M2VNUKXHS6A4LBFOCX3YZGE7N2WJ5T", "captured_at": "2026-10-01T03:00:05Z"},
        cleaner_version="0.1.0+test")


def hostile_document(surrogate: bool = True) -> Document:
    """The KANCC seed with characters XML 1.0 cannot hold, as a broken decode or a paste can leave them."""
    doc = kancc_seed_document()
    doc.title += "\x0b"
    doc.paragraphs[1] = ("\x00" + doc.paragraphs[1].replace("Soviet union", "Soviet\x0cunion", 1)
                         + ("\ud800" if surrogate else "") + "\ufffe")
    doc.extra["subject"] += "\x1f"
    return doc


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def test_seed_documents_are_valid_against_the_project_schema():
    for doc in (gs_seed_document(), kancc_seed_document()):
        xml = document_to_tei(doc, release=STAMP, changes=[Change("2026.11.24", "2026-11-24", "added")])
        assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
        assert validate_tei(xml) == [], doc.id
        assert parse(xml).get("{http://www.w3.org/XML/1998/namespace}id") == doc.id


def test_header_carries_source_capture_and_series_position():
    doc = kancc_seed_document()
    root = parse(document_to_tei(doc, release=STAMP, changes=[]))
    x = lambda path: root.xpath(f"string({path})", namespaces=NS)  # noqa: E731
    assert x("//t:titleStmt/t:title") == "Let Us Defend the Soviet Union with Arms!"
    assert x("//t:titleStmt/t:author") == "Kim Il Sung"
    assert x("//t:publicationStmt/t:idno[@type='release']") == "2026.11.24"
    assert x("//t:publicationStmt/t:date/@when") == "2026-11-24"
    # The original subject keeps the site's doubled backslash: the citable original, not the repair.
    assert x("//t:bibl/t:title[@type='original']") == "[Reminiscences]Chapter 21 6. “Let Us Defend the Soviet\\\\union with Arms!”"
    assert x("//t:bibl/t:biblScope[@unit='chapter']") == "21" and x("//t:bibl/t:biblScope[@unit='section']") == "6"
    assert x("//t:bibl/t:ptr/@target") == KANCC_URL
    assert x("//t:bibl/t:date[@type='published']/@when") == "2020-09-18"
    assert x("//t:bibl/t:date[@type='posted']/@when") == "2020-09-18T19:23:00+09:00"
    assert x("//t:bibl/t:date[@type='captured']/@when") == "2026-10-01T03:00:05+00:00"
    assert x("//t:bibl/t:idno[@type='warc-payload-digest']") == "sha1:Q4M2VNUKXHS6A4LBFOCX3YZGE7N2WJ5T"
    assert x("//t:application/@version") and x("//t:application/t:desc") == "cleaning rules 0.1.0+test"
    assert int(x("//t:correction//t:item[@ana='#kancc-heigo-504.backslash-space']/@n")) == doc.repairs[0]["count"] > 100
    assert int(x("//t:taxonomy/t:category[@xml:id='kancc-heigo-504.backslash-space']/@n")) == doc.repairs[0]["count"]
    assert root.xpath("//t:keywords/t:term/text()", namespaces=NS) == ["kancc", "With the Century"]


def test_body_is_head_then_paragraphs_and_a_truncation_gap():
    doc = kancc_seed_document()
    body = parse(document_to_tei(doc, release=STAMP, changes=[])).find(".//{*}body")
    tags = [etree.QName(child).localname for child in body]
    assert tags == ["head"] + ["p"] * len(doc.paragraphs) + ["gap"]
    assert body[-1].get("reason") == "truncated"
    assert body[-2].text == doc.paragraphs[-1] and body[-2].text.endswith("all their men e")
    gs = parse(document_to_tei(gs_seed_document(), release=STAMP, changes=[])).find(".//{*}body")
    assert gs[1].text.startswith("Pyongyang, September 14 (KCNA) -- Upon the lapse of sixty-five years")
    assert not gs.findall("{*}gap")


def test_no_repairs_is_said_explicitly():
    root = parse(document_to_tei(gs_seed_document(), release=None, changes=[]))
    assert root.xpath("string(//t:correction/t:p)", namespaces=NS) == "No repairs were needed."
    assert not root.xpath("//t:publicationStmt/t:idno[@type='release']", namespaces=NS)


def test_xml_hostile_characters_are_dropped_and_recorded():
    xml = document_to_tei(hostile_document(), release=STAMP, changes=[])
    assert validate_tei(xml) == []
    root = parse(xml)
    assert root.xpath("string(//t:titleStmt/t:title)", namespaces=NS) == "Let Us Defend the Soviet Union with Arms!"
    second = root.xpath("string(//t:body/t:p[2])", namespaces=NS)
    assert second.startswith("The Soviet") and "Sovietunion" in second and not second.endswith("\ufffe")
    item = root.xpath(f"//t:correction//t:item[@ana='#kancc-heigo-504.{XML_UNSAFE_RULE}']", namespaces=NS)[0]
    # characters dropped from the file: \x0b twice (title in titleStmt and head), \x00, \x0c, \ud800, \ufffe, \x1f
    assert item.get("n") == "7"


def test_dates_that_are_not_iso_stay_as_text_without_making_the_file_invalid():
    doc = gs_seed_document()
    doc.date = "September 14, Juche 99"
    root = parse(document_to_tei(doc, release=STAMP, changes=[]))
    published = root.xpath("//t:bibl/t:date[@type='published']", namespaces=NS)[0]
    assert published.text == "September 14, Juche 99" and published.get("when") is None
    assert validate_tei(etree.tostring(root)) == []
    assert when("2010-02-30") is None and when("2020-09-18T19:23+09:00") == "2020-09-18T19:23:00+09:00"


def test_schema_rejects_a_file_without_provenance():
    root = parse(document_to_tei(gs_seed_document(), release=STAMP, changes=[]))
    ptr = root.find(".//{*}sourceDesc/{*}bibl/{*}ptr")
    ptr.getparent().remove(ptr)
    errors = validate_tei(etree.tostring(root))
    assert errors and any("ptr" in e or "idno" in e or "date" in e for e in errors)
    assert validate_tei(b"<TEI><unclosed></TEI>")[0].startswith("not well-formed")


@pytest.fixture(scope="module")
def seed_release(tmp_path_factory):
    """A release of the two seed documents plus two hostile ones under their own ids: control characters
    (released, recorded) and a lone surrogate (no UTF-8 JSON record possible: rejected, reported)."""
    hostile, broken = hostile_document(surrogate=False), hostile_document(surrogate=True)
    hostile.id, hostile.source_url = "kancc-heigo-9504", KANCC_URL.replace("504", "9504")
    broken.id, broken.source_url = "kancc-heigo-9505", KANCC_URL.replace("504", "9505")
    home = DataHome.resolve(tmp_path_factory.mktemp("seed-release"))
    return build_release(home, [gs_seed_document(), kancc_seed_document(), hostile, broken], today=date(2026, 11, 24))


def test_release_records_dropped_characters_in_the_manifest(seed_release):
    manifest = json.loads((seed_release.path / "manifest.json").read_text(encoding="utf-8"))
    dropped = {d["id"]: d.get("tei_dropped_characters") for d in manifest["documents"]}
    assert dropped == {"globalsecurity-dprk-100914-kcna01": None, "kancc-heigo-504": None, "kancc-heigo-9504": 6}


def test_undecodable_text_is_rejected_from_the_release_not_a_crash(seed_release):
    assert [r["id"] for r in seed_release.rejected] == ["kancc-heigo-9505"]
    assert "UTF-8" in seed_release.rejected[0]["errors"][0]
    assert not (seed_release.path / "tei" / "kancc" / "kancc-heigo-9505.xml").exists()
    assert "kancc-heigo-9505" in (seed_release.path / "CHANGELOG.md").read_text(encoding="utf-8")


def test_release_files_are_valid_against_official_tei_all(seed_release, snapshot_documents, tmp_path, tei_all):
    """Every file of the seed release (teiCorpus included) plus real cleaned snapshot documents of both
    sites, against tei_all (the session's lxml validator: the install command brings everything)."""
    files = sorted(seed_release.path.glob("tei/*/*.xml")) + sorted(seed_release.path.glob("*.teiCorpus.xml"))
    assert len(files) == 4  # three documents and the teiCorpus (which includes them)
    assert etree.parse(str(files[-1])).getroot().find("{*}TEI") is None   # an XInclude per member, resolved below
    picked = {d.site: d for d in snapshot_documents if d.repairs or "truncated" in d.flags}
    picked["kancc"] = next(d for d in snapshot_documents if d.id == "kancc-heigo-504")
    for doc in picked.values():
        path = tmp_path / f"{doc.id}.xml"
        path.write_bytes(document_to_tei(doc, release=STAMP, changes=[Change("2026.11.24", "2026-11-24", "added"),
                                                                       Change("2026.11.25", "2026-11-25", "edited-pipeline")]))
        files.append(path)
    assert len(files) == 6
    assert tei_all_problems(tei_all, files) == []


def test_tei_all_check_does_catch_an_invalid_file(tmp_path, tei_all):
    """The tei_all check can fail: a TEI file with an element TEI does not know is reported, by name."""
    root = parse(document_to_tei(copy.deepcopy(gs_seed_document()), release=STAMP, changes=[]))
    etree.SubElement(root.find(".//{*}body"), "{http://www.tei-c.org/ns/1.0}notATeiElement").text = "x"
    bad = tmp_path / "bad.xml"
    bad.write_bytes(etree.tostring(root))
    problems = tei_all_problems(tei_all, [bad])
    assert problems and any("notATeiElement" in p for p in problems), problems


def test_tag_counts_and_dropped_characters_read_from_a_file_are_those_of_its_element(snapshot_documents):
    """An unchanged document's TEI file is taken from the previous release and counted from its bytes
    (corpus.release.tag_usage_of_file): the counts must be the parsed element's, for every real snapshot
    document and a hostile one whose dropped characters the header records."""
    from corpus.release import _dropped_characters, tag_usage, tag_usage_of_file
    from corpus.tei import document_element, serialize

    hostile = hostile_document(surrogate=False)
    for doc in [*snapshot_documents, gs_seed_document(), kancc_seed_document(), hostile]:
        element = document_element(doc, release=STAMP, changes=[Change("2026.11.24", "2026-11-24", "added")])
        xml = serialize(element)
        assert tag_usage_of_file(xml) == tag_usage([element]), doc.id
        assert _dropped_characters(xml, doc.id) == _dropped_characters(element, doc.id), doc.id
    assert _dropped_characters(serialize(document_element(hostile, release=STAMP, changes=[])), hostile.id) == 6
    # a file with a comment in its text (never written by serialize) is parsed, not miscounted
    commented = b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><!-- <p> --><p/></body></text></TEI>'
    assert tag_usage_of_file(commented) == {"text": 1, "body": 1, "p": 1}


def test_a_second_release_of_unchanged_documents_has_the_first_ones_header_counts(tmp_path):
    """The second release takes every TEI file from the first without parsing it: its teiCorpus header
    (tag usage included) and the manifest's dropped characters are the first release's."""
    hostile = hostile_document(surrogate=False)
    hostile.id, hostile.source_url = "kancc-heigo-9504", KANCC_URL.replace("504", "9504")
    docs = [gs_seed_document(), kancc_seed_document(), hostile]
    home = DataHome.resolve(tmp_path)
    first = build_release(home, docs, today=date(2026, 11, 24))
    second = build_release(home, docs, today=date(2026, 11, 25))

    def header_counts(release):
        corpus = etree.parse(str(next(release.path.glob("*.teiCorpus.xml")))).getroot()
        return [(e.get("gi"), e.get("occurs")) for e in corpus.iter("{*}tagUsage")]

    def dropped(release):
        manifest = json.loads((release.path / "manifest.json").read_text(encoding="utf-8"))
        return {d["id"]: d.get("tei_dropped_characters") for d in manifest["documents"]}

    assert header_counts(first) and header_counts(second) == header_counts(first)
    assert dropped(second) == dropped(first) == {"globalsecurity-dprk-100914-kcna01": None,
                                                 "kancc-heigo-504": None, "kancc-heigo-9504": 6}
    assert (second.path / "tei" / "kancc" / "kancc-heigo-9504.xml").stat().st_nlink == 2   # shared, not rewritten
