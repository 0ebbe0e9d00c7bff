"""What a researcher gets from a release (the demo's): every repair inline in the TEI, from which the
served and the repaired text regenerate exactly; Parquet, meta.tsv, plain text and CoNLL-U; the corpus
header's statistics; CITATION.cff; kcorpus.load_release."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree

from cleaners.page import _parse_fields, extract_page, served_headline
from core.document import Document
from corpus.tei import T, XML_NS, tei_texts
from scrapers.warcstore import read_response

NS = {"t": "http://www.tei-c.org/ns/1.0"}


@pytest.fixture(scope="module")
def demo(demo_run):
    home, result = demo_run
    return home, [Path(o.release.path) for o in result.releases]


def _records(release: Path) -> dict[str, dict]:
    """The release's records/<site>/<id>.json, read as plain JSON (no kcorpus), in id order."""
    records = (json.loads(path.read_text(encoding="utf-8")) for path in release.glob("records/*/*.json"))
    return {r["id"]: r for r in sorted(records, key=lambda r: r["id"])}


def test_every_demo_tei_regenerates_the_served_and_the_repaired_text_exactly(demo):
    """Served text from <orig> = the pre-repair extraction of the archived page; repaired text from <reg> =
    the JSON record; and the JSON's own spans give the served text back too."""
    home, releases = demo
    checked = repaired_spans = 0
    for release in releases:
        records = _records(release)
        for path in sorted(release.glob("tei/*/*.xml")):
            root = etree.parse(str(path)).getroot()
            record = records[root.get(f"{{{XML_NS}}}id")]
            texts = tei_texts(root)
            assert texts["repaired"] == (record["title"], record["paragraphs"]), path.name
            capture = record["capture"]
            stored = read_response(home.warc_dir, capture["warc_file"], capture["warc_offset"])
            profile, extracted = extract_page(stored.body, record["source_url"], stored.headers)
            parsed = _parse_fields(profile, extracted, record["source_url"]) if profile else {}
            assert texts["served"] == (served_headline(extracted, parsed), extracted.paragraphs), path.name
            doc = Document.from_dict(record)
            assert (doc.served_title(), doc.served_paragraphs()) == texts["served"]
            # every inline repair names its rules, each declared once in the header's taxonomy
            declared = {c.get(f"{{{XML_NS}}}id") for c in root.iter(T + "category")}
            assert len(declared) == len(list(root.iter(T + "category")))
            for reg in root.iter(T + "reg"):
                targets = reg.get("ana").split()
                assert reg.get("type") == "+".join(t.split(".", 1)[1] for t in targets)
                assert {t.lstrip("#") for t in targets} <= declared
                repaired_spans += 1
            checked += 1
    assert checked >= 38 and repaired_spans > 300


def test_the_seed_post_shows_its_repairs_inline(demo):
    _, releases = demo
    root = etree.parse(str(releases[0] / "tei" / "kancc" / "kancc-heigo-504.xml")).getroot()
    pairs = [(c.find(T + "orig").xpath("string()"), c.find(T + "reg").text, c.find(T + "reg").get("type"))
             for c in root.iter(T + "choice")]
    assert ("\\union", " Union", "backslash-space") in pairs
    assert ("rom", "from", "rom-from") in pairs
    assert any(rule == "paragraph-rejoin" and "\n" not in (reg or "") for _, reg, rule in pairs)
    # the paragraph break a re-join removed is a milestone in <orig>
    assert root.xpath("//t:orig/t:milestone[@unit='paragraph']", namespaces=NS)
    category = root.xpath("//t:category[@xml:id='kancc-heigo-504.backslash-space']", namespaces=NS)[0]
    assert int(category.get("n")) > 200 and "backslash" in category.xpath("string(t:catDesc)", namespaces=NS)


def test_parquet_has_typed_columns_and_dates_pandas_reads(demo):
    import pandas as pd

    _, releases = demo
    df = pd.read_parquet(releases[-1] / "documents.parquet")
    dates = pd.to_datetime(df.date)
    assert dates.notna().all() and dates.min().year >= 2003  # the snapshots' oldest era: GlobalSecurity 2003
    assert len(df) == len(_records(releases[-1])) and df.text.str.len().gt(100).all()
    kancc = df[df.site == "kancc"]
    memoir = kancc[kancc.series == "With the Century"]  # the data board's media reposts have no chapter
    assert str(df.chapter.dtype) == "Int32" and str(df.post_id.dtype) == "Int32" and memoir.chapter.notna().all()
    assert len(memoir) >= 10 and kancc[kancc.series.isna()].chapter.isna().all()
    assert kancc.posted_at.notna().all() and str(kancc.posted_at.dtype).startswith("datetime64")
    gs = df[df.site == "globalsecurity"]
    # the section label where the layout marks it (the 2003 layout's label is plain text in an unmarked cell)
    assert gs.site_section.dropna().eq("Weapons of Mass Destruction (WMD)").all() and gs.section.isna().all()
    assert gs.site_section.notna().sum() >= len(gs) - 2
    assert df.tokens.gt(20).all() and df.sentences.gt(0).all() and df.tokens.sum() > 5000
    tsv = list(csv.DictReader(open(releases[-1] / "meta.tsv", encoding="utf-8"), delimiter="\t"))
    assert [row["id"] for row in tsv] == list(df.id) and "text" not in tsv[0]
    for row in tsv:
        text = (releases[-1] / "text" / row["site"] / f"{row['id']}.txt").read_text(encoding="utf-8")
        assert text.startswith(row["title"] + "\n\n")


def check_conllu(text: str) -> list[str]:
    """A CoNLL-U format check (after the UD validator's level 1-2 rules): comment and token lines only,
    ten tab-separated columns, word ids 1..n in each sentence, no empty FORM/LEMMA, no spaces in FORM,
    UPOS from the UD set or "_", MISC SpaceAfter=No only, `# sent_id` unique, `# text` equal to the
    words joined as SpaceAfter says, and each sentence ended by a blank line."""
    upos = set("ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X _".split())
    errors, ids, sentence, comments = [], set(), [], {}
    lines = text.split("\n")
    if text and not text.endswith("\n\n"):
        errors.append("the file does not end with a blank line")
    for number, line in enumerate(lines, start=1):
        if line.startswith("#"):
            if sentence:
                errors.append(f"line {number}: comment inside a sentence")
            m = re.match(r"# (\S+) = (.*)$", line)
            if m:
                comments[m.group(1)] = m.group(2)
            continue
        if line == "":
            if sentence:
                if comments.get("sent_id") in ids or "sent_id" not in comments:
                    errors.append(f"line {number}: missing or repeated sent_id {comments.get('sent_id')}")
                ids.add(comments.get("sent_id"))
                rebuilt = "".join(f + ("" if "SpaceAfter=No" in misc else " ") for f, misc in sentence).rstrip(" ")
                if rebuilt != comments.get("text"):
                    errors.append(f"line {number}: # text {comments.get('text')!r} != words {rebuilt!r}")
            sentence, comments = [], {k: v for k, v in comments.items() if k in ("newdoc", "title")}
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            errors.append(f"line {number}: {len(cols)} columns")
            continue
        if cols[0] != str(len(sentence) + 1):
            errors.append(f"line {number}: word id {cols[0]} out of sequence")
        if not cols[1] or " " in cols[1] or not cols[2]:
            errors.append(f"line {number}: empty FORM/LEMMA or a space in FORM")
        if cols[3] not in upos:
            errors.append(f"line {number}: UPOS {cols[3]!r}")
        if cols[9] not in ("_", "SpaceAfter=No"):
            errors.append(f"line {number}: MISC {cols[9]!r}")
        sentence.append((cols[1], cols[9]))
    return errors


def test_conllu_passes_a_format_check_and_a_parser(demo, tmp_path):
    """Each document's CoNLL-U file is a complete CoNLL-U file (its own `# newdoc id`), and the export
    (one file) is them concatenated site by site, each site in id order."""
    import conllu

    from corpus.load import export_release

    _, releases = demo
    files = sorted(releases[-1].glob("conllu/*/*.conllu"))
    assert {f.parent.name for f in files} == {"globalsecurity", "kancc", "kcnakp", "rodong"}
    assert len(files) == len(_records(releases[-1]))
    total = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert check_conllu(text) == [], path.name
        assert text.startswith(f"# newdoc id = {path.stem}\n")
        total += len(conllu.parse(text))
    stats = json.loads((releases[-1] / "manifest.json").read_text())["statistics"]
    assert total == stats["sentences"] > 100
    exported = export_release(releases[-1], "conllu", tmp_path / "all.conllu").read_bytes()
    entries = json.loads((releases[-1] / "manifest.json").read_text())["documents"]   # in id order
    by_site = [releases[-1] / "conllu" / e["site"] / f"{e['id']}.conllu" for e in sorted(entries, key=lambda e: e["site"])]
    assert exported == b"".join(f.read_bytes() for f in by_site)
    assert check_conllu(exported.decode("utf-8")) == [] and len(conllu.parse(exported.decode("utf-8"))) == total


def test_a_release_takes_unchanged_documents_conllu_from_the_previous_one(demo, tmp_path, monkeypatch):
    """Segmenting is most of a release's time: only new and edited documents are segmented again, and
    the result is byte-identical to segmenting every document."""
    from datetime import date

    import corpus.derived
    from core.datahome import DataHome
    from corpus.release import build_release

    _, releases = demo
    docs = [Document.from_dict(r) for r in _records(releases[-1]).values()]
    edited = sorted(docs, key=lambda d: d.id)[3]
    home, fresh = DataHome.resolve(tmp_path / "home"), DataHome.resolve(tmp_path / "fresh")
    build_release(home, docs, today=date(2026, 11, 1))
    edited.paragraphs[-1] += " (A sentence added upstream.)"
    segmented, real = [], corpus.derived.conllu_document
    monkeypatch.setattr(corpus.derived, "conllu_document", lambda doc_id, *a: segmented.append(doc_id) or real(doc_id, *a))
    second = build_release(home, docs, today=date(2026, 11, 2))
    assert segmented == [edited.id]
    monkeypatch.undo()
    scratch = build_release(fresh, docs, today=date(2026, 11, 2))
    files = sorted(second.path.glob("conllu/*/*.conllu"))
    assert len(files) == len(docs)
    for path in files:
        name = path.relative_to(second.path)
        assert path.read_bytes() == (scratch.path / name).read_bytes(), name
    stats = [json.loads((r.path / "manifest.json").read_text())["statistics"] for r in (second, scratch)]
    assert stats[0] == stats[1]


def test_the_previous_manifest_is_read_entry_by_entry_and_a_rejected_document_counts_as_removed(
        demo, tmp_path, monkeypatch):
    from datetime import date

    import corpus.release
    from core.datahome import DataHome
    from corpus.manifest import iter_manifest_entries, read_manifest
    from corpus.release import build_release

    _, releases = demo
    for release in releases:
        assert list(iter_manifest_entries(release)) == read_manifest(release)["documents"]
    docs = sorted((Document.from_dict(r) for r in _records(releases[-1]).values()), key=lambda d: d.id)
    home = DataHome.resolve(tmp_path)
    build_release(home, docs, today=date(2026, 11, 1))
    refused, real = docs[5].id, corpus.release.validate_tei
    # every TEI file written anew (an unchanged record's file is otherwise taken from the first release)
    monkeypatch.setattr(corpus.release, "tei_writer_version", lambda: "another writer")
    monkeypatch.setattr(corpus.release, "validate_tei",
                        lambda xml: ["planted"] if f'"{refused}"'.encode() in xml else real(xml))
    second = build_release(home, docs, today=date(2026, 11, 2))
    assert second.removed == [refused] and [r["id"] for r in second.rejected] == [refused]
    manifest = read_manifest(second.path)
    assert [e["id"] for e in manifest["retired"]] == [refused]
    assert f"`{refused}`" in (second.path / "CHANGELOG.md").read_text(encoding="utf-8").split("## Removed")[1]


def test_the_conllu_check_can_fail():
    good = "# sent_id = a-s1\n# text = It ended.\n1\tIt\t_\t_\t_\t_\t_\t_\t_\t_\n2\tended\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No\n3\t.\t_\t_\t_\t_\t_\t_\t_\t_\n\n"
    assert check_conllu(good) == []
    assert check_conllu(good.replace("SpaceAfter=No", "_"))            # '# text' no longer matches the words
    assert check_conllu(good.replace("3\t.", "4\t."))                  # ids out of sequence
    assert check_conllu(good.replace("\t_\t_\t_\t_\t_\t_\t_\t_\n\n", "\t_\n\n"))  # columns missing


def test_manifest_lists_every_derived_file_with_its_checksum(demo):
    _, releases = demo
    manifest = json.loads((releases[-1] / "manifest.json").read_text())
    listed = {f["path"]: f for f in manifest["files"]}
    for name in ("documents.parquet", "meta.tsv", "CITATION.cff", ".zenodo.json", "README.md",
                 f"kcorpus-{manifest['version']}.teiCorpus.xml"):
        assert listed[name]["sha256"] == hashlib.sha256((releases[-1] / name).read_bytes()).hexdigest(), name
    # the per-document files are in SHA256SUMS (and each manifest entry names its TEI and CoNLL-U digests)
    assert not any(p.split("/")[0] in ("tei", "records", "text", "conllu") for p in listed)
    sums = dict(line.split("  ")[::-1] for line in (releases[-1] / "SHA256SUMS").read_text().splitlines())
    for entry in manifest["documents"]:
        for name in (f"records/{entry['site']}/{entry['id']}.json", f"text/{entry['site']}/{entry['id']}.txt"):
            assert sums[name] == hashlib.sha256((releases[-1] / name).read_bytes()).hexdigest(), name
        conllu = f"conllu/{entry['site']}/{entry['id']}.conllu"
        assert sums[conllu] == entry["conllu_sha256"] == hashlib.sha256((releases[-1] / conllu).read_bytes()).hexdigest()


def test_corpus_header_has_statistics_sources_and_tag_usage(demo):
    _, releases = demo
    manifest = json.loads((releases[-1] / "manifest.json").read_text())
    header = etree.parse(str(releases[-1] / manifest["tei_corpus"])).getroot().find(T + "teiHeader")
    x = lambda path: header.xpath(f"string({path})", namespaces=NS)  # noqa: E731
    stats = manifest["statistics"]
    assert int(x("t:fileDesc/t:extent/t:measure[@unit='tokens']/@quantity")) == stats["tokens"] > 1000
    assert int(x("t:fileDesc/t:extent/t:measureGrp[@type='site'][@n='kancc']/t:measure[@unit='documents']/@quantity")) \
        == manifest["counts_by_site"]["kancc"]
    assert header.xpath("t:fileDesc/t:extent/t:measureGrp[@type='year']", namespaces=NS)
    assert x("t:fileDesc/t:publicationStmt/t:idno[@type='release']") == manifest["version"]
    assert x("t:fileDesc/t:sourceDesc/t:listBibl/t:bibl[@n='globalsecurity']/t:ptr/@target").startswith("https://")
    usage = {t.get("gi"): int(t.get("occurs")) for t in header.iter(T + "tagUsage")}
    assert usage["p"] >= len(manifest["documents"]) and usage["choice"] == usage["reg"] > 300
    shares = {lang: int(share) for lang, share in zip(header.xpath("//t:language/@ident", namespaces=NS),
                                                      header.xpath("//t:language/@usage", namespaces=NS))}
    assert set(shares) == set(stats["by_lang"]) == {"en", "ko"} and 99 <= sum(shares.values()) <= 101


def test_citation_cff_validates_and_zenodo_metadata_has_the_statistics(demo, tmp_path):
    _, releases = demo
    from corpus.citation import cff_problems

    cff = (releases[-1] / "CITATION.cff").read_text()
    assert cff_problems(cff) == []
    assert any("cff-version" in p for p in cff_problems(cff.replace("cff-version", "cff-versio")))
    zenodo = json.loads((releases[-1] / ".zenodo.json").read_text())
    assert zenodo["version"] == releases[-1].name and zenodo["upload_type"] == "dataset"
    assert str(json.loads((releases[-1] / "manifest.json").read_text())["statistics"]["tokens"]) in zenodo["notes"]
    readme = (releases[-1] / "README.md").read_text()
    assert "kcorpus.load_release" in readme and "| `posted_at` |" in readme and "| kancc |" in readme


def test_every_site_is_cited_by_its_profile_label_and_url_and_zenodo_would_take_the_identifiers(tmp_path):
    """All four sites (not only the first two): CITATION.cff names each by its profile's label with its
    home URL and validates; each .zenodo.json related identifier is a URL by idutils, as Zenodo checks."""
    import idutils

    from core.profiles import builtin_profiles
    from corpus.citation import citation_cff, zenodo_json
    from corpus.derived import Stats

    sites = sorted(builtin_profiles())
    assert len(sites) == 4
    stats = Stats()
    for site in sites:
        stats.add({"site": site, "lang": "en", "year": 2024, "tokens": 10, "sentences": 1})
    cff = citation_cff("2026.01.01", "2026-01-01", stats, sites)
    zenodo = json.loads(zenodo_json("2026.01.01", "2026-01-01", stats, sites))
    identifiers = [r["identifier"] for r in zenodo["related_identifiers"]]
    assert len(identifiers) == len(sites)
    for site, profile in builtin_profiles().items():
        assert json.dumps(profile.label, ensure_ascii=False) in cff
        assert any(idutils.is_url(i) and urlsplit(i).hostname in profile.hosts for i in identifiers), site
    assert all(idutils.detect_identifier_schemes(i) == ["url"] for i in identifiers)
    assert idutils.detect_identifier_schemes("kcnakp") == []   # what a bare profile name was: rejected
    from corpus.citation import cff_problems
    assert cff_problems(cff) == []


def test_load_release_gives_documents_and_a_typed_frame(demo):
    import pandas as pd

    import kcorpus

    home, releases = demo
    docs, df = kcorpus.load_release("latest", home=home.root)
    docs = list(docs)
    assert [d.id for d in docs] == list(df.id) and isinstance(docs[0], Document)
    assert str(df.chapter.dtype) == "Int32" and str(df.date.dtype).startswith("datetime64")
    plain = pd.read_parquet(releases[-1] / "documents.parquet")   # plain pandas, no kcorpus: dates too
    dated = plain[plain.date.notna()]
    assert str(plain.date.dtype).startswith("datetime64") and len(dated)
    assert (dated.date.dt.year == dated.year).all()
    assert pd.to_datetime(df.date).notna().all()
    by_path = kcorpus.load_release(releases[0])
    assert len(by_path.frame) == len(_records(releases[0]))
    with pytest.raises(LookupError, match="no release"):
        kcorpus.load_release("1999.01.01", home=home.root)
