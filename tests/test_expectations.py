"""The quality gate: planted faults are each caught by the right expectation; good documents pass."""

from __future__ import annotations

import copy
import re
import json
import subprocess
import sys

import pytest

from expectations.gate import validate_batch
from expectations.quarantine import list_quarantine, load_quarantine, write_quarantine
from core.datahome import DataHome


def planted(docs):
    """The snapshot's documents, with one fault planted in each of five of them and a duplicate id."""
    by_id = {d.id: copy.deepcopy(d) for d in docs}
    faults = {
        "globalsecurity-dprk-100909-kcna01": ("expect_column_values_to_not_match_regex(text)",
                                              lambda d: d.paragraphs.__setitem__(1, d.paragraphs[1] + " workers\\and peasants")),
        "globalsecurity-dprk-100910-kcna02": ("expect_column_values_to_not_match_regex(text) [globalsecurity]",
                                              lambda d: d.paragraphs.append("Join the GlobalSecurity.org mailing list")),
        "kancc-heigo-500": ("expect_column_value_lengths_to_be_between(body)", lambda d: d.paragraphs.clear()),
        "kancc-heigo-501": ("expect_column_values_to_be_between(published)",
                            lambda d: setattr(d, "date", "1890-05-01T10:00:00+09:00")),
    }
    for doc_id, (_, plant) in faults.items():
        plant(by_id[doc_id])
    duplicate = copy.deepcopy(by_id["kancc-heigo-502"])
    duplicate.source_url += "&page=3"
    return list(by_id.values()) + [duplicate], {k: v[0] for k, v in faults.items()}


@pytest.fixture(scope="module")
def gate(tmp_path_factory, snapshot_documents):
    home = DataHome.resolve(tmp_path_factory.mktemp("gate")).ensure()
    batch, expected = planted(snapshot_documents)
    # kancc had 50 documents in the previous release: a collapse to 6 releasable ones
    result = validate_batch(batch, home=home, previous_counts={"globalsecurity": 10, "kancc": 50})
    return home, result, expected


def test_good_snapshot_documents_all_pass(tmp_path, snapshot_documents):
    result = validate_batch(snapshot_documents, home=DataHome.resolve(tmp_path), build_docs=False)
    assert [d.id for d in result.quarantined] == [] and len(result.passed) == 27
    assert result.batch_failures == [] and result.ok_for_release


def test_each_planted_fault_is_caught_by_its_expectation(gate):
    _, result, expected = gate
    for doc_id, expectation in expected.items():
        assert expectation in [f.expectation for f in result.verdicts[doc_id]], doc_id
    # a duplicate id fails both rows
    dup = [d for d in result.quarantined if d.id == "kancc-heigo-502"]
    assert len(dup) == 2
    assert all("expect_column_values_to_be_unique(id)" in [f.expectation for f in result.verdicts["kancc-heigo-502"]]
               for _ in dup)
    quarantined = {d.id for d in result.quarantined}
    assert quarantined == set(expected) | {"kancc-heigo-502"}
    assert len(result.passed) == 28 - 6 + 1 - 1  # 28 rows, 6 of them faulty (the duplicate twice)


def test_empty_body_also_fails_paragraph_count(gate):
    _, result, _ = gate
    names = [f.expectation for f in result.verdicts["kancc-heigo-500"]]
    assert "expect_column_values_to_be_between(paragraph_count)" in names


def test_collapsed_site_count_blocks_the_release_with_a_message_naming_site_and_figure(gate):
    _, result, _ = gate
    assert not result.ok_for_release
    collapse = [f for f in result.batch_failures if f.site == "kancc" and "count_drop_share" in f.expectation]
    assert collapse and "kancc" in collapse[0].message and "below the previous release's 50" in collapse[0].message
    assert collapse[0].observed > 0.5 and collapse[0].limit == 0.5
    # 4 of kancc's 10 rows quarantined: over the 20% limit too
    assert any(f.site == "kancc" and "quarantine_share" in f.expectation for f in result.batch_failures)


def test_quarantine_records_keep_reasons_url_and_capture_and_resolve_later(gate):
    home, result, _ = gate
    write_quarantine(home, result)
    listed = {entry["id"]: entry for entry in list_quarantine(home)}
    assert set(listed) == {d.id for d in result.quarantined}
    record = load_quarantine(home, "kancc-heigo-501")
    assert record["source_url"].endswith("wr_id=501") and record["capture"]["record_id"].startswith("<urn:uuid:")
    assert record["failed"][0]["expectation"] == "expect_column_values_to_be_between(published)"
    with pytest.raises(KeyError):
        load_quarantine(home, "kancc-heigo-999")
    # the same document passing later: its record is kept, under resolved/
    fixed = copy.deepcopy(next(d for d in result.quarantined if d.id == "kancc-heigo-501"))
    fixed.date = "2020-09-15T17:55:00+09:00"
    later = validate_batch([fixed], home=home, build_docs=False)
    write_quarantine(home, later)
    assert "kancc-heigo-501" not in {e["id"] for e in list_quarantine(home)}
    assert list((home.quarantine_dir / "resolved").glob("kancc-heigo-501-*.json"))


def test_data_docs_page_lists_the_expectations_and_their_results(gate):
    home, result, _ = gate
    assert result.data_docs_path and result.data_docs_path.is_relative_to(home.reports_dir)
    assert result.data_docs_path.exists()
    pages = list((home.reports_dir / "data_docs" / "validations").rglob("*.html"))
    html = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    # GX renders each expectation in prose, with its status and the run's statistics
    for phrase in ("values must be unique", "values must match this regular expression",
                   "If site == kancc", "Evaluated Expectations", "Unsuccessful Expectations",
                   "Suite: kcorpus_documents", "Suite: kcorpus_sites"):
        assert phrase in text, phrase
    assert "Status: Failed" in text
    assert not (home.root.parent / "gx").exists() and (home.gx_dir / "gx").exists()


def test_importing_expectations_does_not_import_great_expectations():
    code = ("import sys, expectations, kcorpus.cli; "
            "assert 'great_expectations' not in sys.modules and 'prefect' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_release_is_blocked_by_a_collapsed_site_and_allow_partial_records_it(tmp_path, snapshot_documents):
    """Through `kcorpus release`: a site whose count collapses blocks it; --allow-partial releases and says so."""
    from cleaners.store import save_document
    from flows.release import validate_and_release

    home = DataHome.resolve(tmp_path).ensure()
    for doc in snapshot_documents:
        save_document(home, doc)
    validate_and_release(home)
    # the site "changes its layout": only 2 of 13 kancc posts are still found
    for path in sorted((home.documents_dir / "kancc").glob("*.json"))[2:]:
        path.unlink()
    release = [sys.executable, "-m", "kcorpus.cli", "release", "--home", str(home.root)]
    blocked = subprocess.run(release, capture_output=True, text=True)
    assert blocked.returncode == 1
    assert "error: release blocked: kancc: 2 documents to release, 85% below the previous release's 13" in blocked.stderr
    assert "Quality report (HTML, offline):" in blocked.stderr and "Data Docs (online styles):" in blocked.stderr
    assert "Traceback" not in blocked.stderr + blocked.stdout
    assert len(list(home.releases_dir.glob("20*"))) == 1  # nothing written
    partial = subprocess.run(release + ["--allow-partial"], capture_output=True, text=True)
    assert partial.returncode == 0, partial.stderr
    manifest = json.loads((home.releases_dir / "latest" / "manifest.json").read_text())
    assert manifest["partial"] and "kancc" in manifest["partial"][0]
    assert manifest["counts_by_site"] == {"globalsecurity": 14, "kancc": 2}


def test_the_ascii_fast_path_of_the_mojibake_check_changes_no_verdict(snapshot_documents):
    """No ASCII text can match ftfy's mojibake patterns: every 3-character sequence of the 128 ASCII
    characters (a de Bruijn sequence) is searched at once; and on real paragraphs the fast path gives
    is_bad's verdict."""
    from ftfy.badness import BADNESS_RE, is_bad

    from expectations.suite import looks_mojibake

    k, n, a, order = 128, 3, [0] * 128 * 3, []

    def de_bruijn(t, p):
        if t > n:
            if n % p == 0:
                order.extend(a[1:p + 1])
        else:
            a[t] = a[t - p]
            de_bruijn(t + 1, p)
            for j in range(a[t - p] + 1, k):
                a[t] = j
                de_bruijn(t + 1, t)

    de_bruijn(1, 1)
    every_triple = "".join(map(chr, order))
    assert len(every_triple) == 128 ** 3 and BADNESS_RE.search(every_triple + every_triple[:2]) is None
    texts = [p for d in snapshot_documents for p in d.paragraphs] + ["Kim Il Sungâ€™s", "caf\u00c3\u00a9"]
    assert [looks_mojibake(t) for t in texts] == [is_bad(t) for t in texts]
    assert looks_mojibake("caf\u00c3\u00a9")


def test_the_gate_remembers_passes_and_checks_only_what_changed(tmp_path, snapshot_documents, monkeypatch):
    """A daily release of a large archive: documents unchanged since they passed the same suite are not run
    through Great Expectations again; an edited one is, and a planted fault in it is still caught; a
    failure is never remembered; another suite (other limits) checks everything again."""
    import expectations.gate as gate_module
    from expectations.gate import PassedBefore
    from expectations.suite import GateSettings

    home = DataHome.resolve(tmp_path).ensure()
    memory = PassedBefore(home.gate_memory)
    framed: list[int] = []
    frame_rows = gate_module.FRAME_ROWS
    monkeypatch.setattr(gate_module, "FRAME_ROWS", 10)   # several frames: a corpus is checked in slices
    original = gate_module.document_row
    monkeypatch.setattr(gate_module, "document_row", lambda doc: framed.append(1) or original(doc))

    docs = copy.deepcopy(snapshot_documents)
    first = validate_batch(docs, home=home, build_docs=False, memory=memory)
    assert len(first.passed) == 27 and first.remembered == 0 and len(framed) == 27

    framed.clear()
    edited = docs[3]
    edited.paragraphs[0] += " workers\\and peasants"     # the site's backslash damage, planted in an edit
    again = validate_batch(docs, home=home, build_docs=False, memory=memory)
    assert len(framed) == 1 and again.remembered == 26
    assert [d.id for d in again.quarantined] == [edited.id]
    assert len(again.passed) == 26 and again.counts_by_site == first.counts_by_site

    framed.clear()
    third = validate_batch(docs, home=home, build_docs=False, memory=memory)   # the failure is checked again
    assert len(framed) == 1 and [d.id for d in third.quarantined] == [edited.id]

    framed.clear()
    stricter = GateSettings(body_bounds={"globalsecurity": (200, 1000)})
    other = validate_batch(docs, home=home, build_docs=False, memory=memory, settings=stricter)
    assert len(framed) == 27 and other.remembered == 0
    assert frame_rows >= 1000   # the real slice keeps GX runs few at 100k documents
    memory.close()


def test_a_shared_id_is_never_taken_from_memory(tmp_path, snapshot_documents):
    from expectations.gate import PassedBefore

    home = DataHome.resolve(tmp_path).ensure()
    memory = PassedBefore(home.gate_memory)
    docs = copy.deepcopy(snapshot_documents)
    validate_batch(docs, home=home, build_docs=False, memory=memory)
    twin = copy.deepcopy(docs[0])
    twin.source_url += "?print=1"
    result = validate_batch(docs + [twin], home=home, build_docs=False, memory=memory)
    assert [d.id for d in result.quarantined] == [docs[0].id, docs[0].id]
    memory.close()
