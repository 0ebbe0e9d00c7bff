"""One article, many copies: a kcna.kp item and its repost are linked as witnesses of one work, where they
differ is shown word by word, template items of other days are not linked, and the release records the
work (an idno per document, a linkGrp in the teiCorpus, valid against tei_all)."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import cleaners
from core.datahome import DataHome
from corpus.witnesses import link_witnesses, witness_differences
from tests.tools.schemas import tei_all_problems

FIXTURES = Path(__file__).parent / "fixtures" / "sites"
KIM_YO_JONG = "http://www.kcna.kp/en/article/q/134a0eb1839cb01381c703e99144182116b5c41fea8bd4fb75e6da9cf995125e.kcmsf"
REVIEW = "http://www.kcna.kp/en/article/detail/5d2f0c1e9a7b4c3d8e6f1a2b3c4d5e6f"


def kcnakp_statement():
    return cleaners.clean_page((FIXTURES / "kcnakp-kim-yo-jong-2024-07-14.html").read_bytes(), KIM_YO_JONG)


def repost_of(doc, *, site="globalsecurity", doc_id="globalsecurity-dprk-240715-kcna01"):
    """The same statement as a repost keeps it: another dateline form, curly apostrophes, the old wording."""
    other = copy.deepcopy(doc)
    other.id, other.site = doc_id, site
    other.source_url = "https://www.globalsecurity.org/wmd/library/news/dprk/2024/dprk-240715-kcna01.htm"
    other.paragraphs = [p.replace("'", "’") for p in doc.paragraphs]
    other.paragraphs[0] = other.paragraphs[0].replace("Pyongyang, July 14 (KCNA) --", "Pyongyang, 14 July, 2024 (KNS-KCNA) --")
    other.paragraphs[3] = other.paragraphs[3].replace("17 places", "17 places including Kaesong City")
    return other


def test_a_repost_is_linked_to_its_source_and_the_difference_shown(snapshot_documents):
    source = kcnakp_statement()
    copy_ = repost_of(source)
    docs = [source, copy_] + list(snapshot_documents)
    works = link_witnesses(docs)
    linked = [w for w in works if len(w.witnesses) > 1]
    assert [w.witnesses for w in linked] == [[copy_.id, source.id]]
    assert sum(len(w.witnesses) for w in works) == len(docs)   # every document is in one work
    (difference,) = witness_differences(linked[0], {d.id: d for d in docs})
    assert difference.base == source.id and difference.other == copy_.id   # the source site's copy is the base
    assert ["insert", " including Kaesong City"] in difference.ops and difference.words_deleted == 0
    assert difference.words_inserted == 3


def test_one_template_on_other_days_is_not_one_work():
    review = cleaners.clean_page((FIXTURES / "kcnakp-review-of-rodong-sinmun-2024-05-27.html").read_bytes(), REVIEW,
                                 capture={"captured_at": "2024-05-28T00:00:00Z"})
    next_day = copy.deepcopy(review)
    next_day.id, next_day.date = "kcnakp-5d2f0c1e9a7b4c3d8e6f1a2b3c4d5e70", "2024-05-28"
    next_day.paragraphs = [review.paragraphs[0].replace("May 27", "May 28").replace("Monday", "Tuesday"),
                           "- An editorial calls on all the people to turn out in the general advance.",
                           "- Farms across the country are busy with rice transplanting."] + review.paragraphs[-1:]
    assert all(len(w.witnesses) == 1 for w in link_witnesses([review, next_day]))
    same_day_copy = copy.deepcopy(review)
    same_day_copy.id = "web-kfauk-review-1"
    assert [len(w.witnesses) for w in link_witnesses([review, same_day_copy])] == [2]


def test_release_links_witnesses_in_the_tei_corpus(tmp_path, tei_all):
    from corpus.release import build_release

    source = kcnakp_statement()
    source.capture = {"record_id": "<urn:uuid:1>", "payload_digest": "sha1:A", "captured_at": "2026-10-01T03:00:00Z"}
    repost = repost_of(source)
    home = DataHome.resolve(tmp_path)
    release = build_release(home, [source, repost], today=date(2026, 11, 25))
    manifest = json.loads((release.path / "manifest.json").read_text(encoding="utf-8"))
    (work_id, witnesses), = manifest["works"].items()
    assert witnesses == [repost.id, source.id]
    assert {d["work"] for d in manifest["documents"]} == {work_id}
    corpus_file = next(release.path.glob("*.teiCorpus.xml"))
    text = corpus_file.read_text(encoding="utf-8")
    assert f'<link target="#{repost.id} #{source.id}" xml:id="{work_id}"/>' in text
    assert f'<idno type="work">{work_id}</idno>' in (release.path / "tei" / "kcnakp" / f"{source.id}.xml").read_text()
    assert tei_all_problems(tei_all, [corpus_file]) == []


FORMULA = json.loads((Path(__file__).parent / "fixtures" / "witnesses" / "formula-articles.json").read_text(encoding="utf-8"))


def formula_articles() -> tuple[list, set]:
    """One real greeting formula sent to eight heads of state on one day, each item also reposted on
    another site the way reposts change it (dateline form, curly apostrophes); plus real greetings of
    other senders and years, dated the same day. Returns (documents, the true copy pairs)."""
    from core.document import Document

    docs, truth = [], set()
    for n, fill in enumerate(FORMULA["addressees"]):
        paragraphs = [p.format(**fill) for p in FORMULA["formula"]]
        source = Document(f"kcnakp-formula-{n}", "kcnakp", f"http://www.kcna.kp/{n}",
                          f"Kim Jong Un Sends Greetings to {fill['people']} President", date="2020-04-17",
                          paragraphs=["Pyongyang, April 17 (KCNA) -- " + paragraphs[0]] + paragraphs[1:])
        repost = Document(f"globalsecurity-formula-{n}", "globalsecurity", f"https://gs/{n}", source.title.upper(),
                          date="2020-04-17", paragraphs=["Pyongyang, 17 April, 2020 (KNS-KCNA) -- " +
                                                         paragraphs[0].replace("'", "’")] + paragraphs[1:])
        docs += [source, repost]
        truth.add((repost.id, source.id))
    for n, paragraphs in enumerate(FORMULA["greetings"]):
        docs.append(Document(f"web-greeting-{n}", "web", f"http://web/{n}", "Greetings", date="2020-04-17",
                             paragraphs=paragraphs))
    source = Document("kcnakp-putin-2020", "kcnakp", "http://www.kcna.kp/putin", "Greetings to Russian President",
                      date="2020-08-15", paragraphs=FORMULA["copy"])
    repost = Document("globalsecurity-putin-2020", "globalsecurity", "https://gs/putin", "Greetings to Russian President",
                      date="2020-08-15", paragraphs=FORMULA["copy_repost"])
    docs += [source, repost]
    truth.add((repost.id, source.id))
    return docs, truth


def test_formula_articles_to_different_addressees_are_different_works():
    """KCNA sends one greeting, word for word, to many heads of state: the items overlap as much as copies
    do, but a different addressee and country make a different article (precision and recall both 1)."""
    from itertools import combinations

    docs, truth = formula_articles()
    works = link_witnesses(docs)
    found = {tuple(sorted(pair)) for w in works for pair in combinations(w.witnesses, 2)}
    assert found == truth
    # the formula's overlap alone would have linked them: the names are what keeps them apart
    from corpus.witnesses import Fingerprint, names_conflict
    a, b = Fingerprint.of(docs[0]), Fingerprint.of(docs[2])
    assert len(set(a.shingles) & set(b.shingles)) / len(set(a.shingles) | set(b.shingles)) > 0.5
    assert names_conflict(a.names, b.names)


def test_the_index_signs_only_new_and_changed_documents(tmp_path):
    """A persisted index: the second pass over the same corpus signs nothing, an edited document is signed
    again and re-linked, and a torn index file is rebuilt rather than trusted."""
    from corpus.witnesses import WitnessIndex

    docs, truth = formula_articles()
    path = tmp_path / "witnesses.sqlite"
    with WitnessIndex(path) as index:
        first, report = index.update(docs)
    assert report.signed == len(docs) and report.reused == 0
    with WitnessIndex(path) as index:
        second, report = index.update(docs)
    assert (report.signed, report.reused) == (0, len(docs)) and second == first
    edited = copy.deepcopy(docs[1])   # the repost of the first formula item now says something else entirely
    edited.paragraphs = FORMULA["greetings"][0]
    with WitnessIndex(path) as index:
        third, report = index.update(docs[:1] + [edited] + docs[2:])
    assert report.signed == 1
    assert not any(docs[0].id in w.witnesses and len(w.witnesses) > 1 for w in third)
    path.write_bytes(b"not a database" * 100)
    with WitnessIndex(path) as index:
        rebuilt, report = index.update(docs)
    assert report.signed == len(docs) and rebuilt == first


def test_candidates_are_bounded_on_a_corpus_of_one_text(monkeypatch):
    """Hundreds of items built from one text (a bench corpus, a site that repeats itself): every item is a
    candidate of every other, but each document confirms at most MAX_CONFIRM and says so."""
    from core.document import Document
    from corpus import witnesses

    monkeypatch.setattr(witnesses, "MAX_CONFIRM", 5)
    monkeypatch.setattr(witnesses, "BUCKET_CAP", 10)
    text = FORMULA["copy"][1:]
    docs = [Document(f"s-{n:03d}", "s", f"u{n}", f"T{n}", date="2020-08-15", paragraphs=text) for n in range(60)]
    with witnesses.WitnessIndex(None) as index:
        works, report = index.update(docs)
    assert report.too_many_candidates and report.confirmed_pairs <= 5 * len(docs)
    assert [len(w.witnesses) for w in works] == [60]   # still one work: the text is one text


def test_a_full_disk_under_the_index_is_an_error_never_a_rebuild_without_end(tmp_path, snapshot_documents):
    """Found by the random histories (seed 4260): on a full disk, opening the index failed, was taken for a
    torn file, the file was deleted and the open retried, forever ("maximum recursion depth exceeded").
    A full disk is now SQLite's own error, and the index file is left alone."""
    import sqlite3
    import subprocess

    import pytest

    from corpus.witnesses import WitnessIndex

    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("no tmpfs here (not root): the full disk cannot be made real")
    try:
        index_path = disk / "index" / "witnesses.sqlite"
        with WitnessIndex(index_path) as index:
            index.update(snapshot_documents[:2])
        try:   # fill what is left
            with open(disk / "filler", "wb") as filler:
                while True:
                    filler.write(b"\0" * 4096)
                    filler.flush()
        except OSError:
            pass
        with pytest.raises(sqlite3.OperationalError, match="full|disk I/O error"):
            with WitnessIndex(index_path) as index:
                index.update(snapshot_documents)
        assert index_path.exists()
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_exact_reposts_are_twins_that_stay_one_work_when_the_signed_copy_changes_or_goes(tmp_path):
    """The same greeting reposted word for word on two more sites (same text, title and date): the copies
    are twins of the first, joined to its work without a signature of their own. When that first copy is
    edited upstream, a twin takes its place and is confirmed anew; when it leaves the corpus, its twins
    keep its links. A formula item to another addressee never joins, and the same text on a date far apart
    is no twin."""
    from itertools import combinations

    from core.document import Document
    from corpus.witnesses import WitnessIndex

    docs, truth = formula_articles()
    source = next(d for d in docs if d.id == "kcnakp-putin-2020")
    repost = next(d for d in docs if d.id == "globalsecurity-putin-2020")
    twins = []
    for site in ("mirror-a", "mirror-b"):
        twin = copy.deepcopy(source)
        twin.id, twin.site = f"{site}-putin-2020", site
        twins.append(twin)
    later = copy.deepcopy(source)   # the same words a year later: another item, not a twin
    later.id, later.date = "kcnakp-putin-2021", "2021-08-15"
    putin = {source.id, repost.id} | {t.id for t in twins}

    def pairs(works):
        return {tuple(sorted(p)) for w in works for p in combinations(w.witnesses, 2)}

    every = sorted(docs + twins + [later], key=lambda d: d.id)
    expected = truth | {tuple(sorted(p)) for p in combinations(putin, 2)}
    path = tmp_path / "witnesses.sqlite"
    with WitnessIndex(path) as index:
        works, report = index.update(every)
    assert pairs(works) == expected and report.exact_copies == 2
    assert not any(later.id in w.witnesses and len(w.witnesses) > 1 for w in works)

    edited = copy.deepcopy(source)   # the first copy now carries another greeting entirely
    edited.paragraphs = FORMULA["greetings"][0]
    with WitnessIndex(path) as index:
        works, report = index.update(sorted([d if d.id != source.id else edited for d in every], key=lambda d: d.id))
    assert report.signed == 1
    assert pairs(works) == expected - {p for p in expected if source.id in p}   # the twins and the repost stay one

    with WitnessIndex(path) as index:   # the edited item leaves the corpus; an exact twin of a twin comes
        third = copy.deepcopy(twins[0])
        third.id = "mirror-c-putin-2020"
        works, report = index.update(sorted([d for d in every if d.id != source.id] + [third], key=lambda d: d.id))
    assert next(w for w in works if third.id in w.witnesses).witnesses == sorted(putin - {source.id} | {third.id})
    assert report.exact_copies == 1
    lone = Document("x-1", "x", "u", "Greetings to Russian President", date="2020-08-15", paragraphs=FORMULA["copy"])
    with WitnessIndex(None) as index:   # in memory: a twin of a document of the same pass
        works, report = index.update([lone, twins[0]])
    assert [w.witnesses for w in works] == [sorted([lone.id, twins[0].id])] and report.exact_copies == 1
