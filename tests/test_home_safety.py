"""The data home keeps its writes inside itself and repairs what a killed writer left: a planted symbolic
link never gets an outside file truncated or rewritten; temporary release and WACZ folders go at the next
writer's start; runs a killed process left `running` are marked interrupted."""

from __future__ import annotations

import os

import pytest

from cleaners.store import load_document, retire_document, save_document
from core.datahome import DataHome, OutsideHome, WriterLock
from core.document import Document
from scrapers.state import CrawlState

KEEP = "someone's file: kcorpus must not touch it\n"


def _doc(doc_id: str = "kancc-heigo-504") -> Document:
    return Document(id=doc_id, site="kancc", source_url="https://kancc.org/bbs/board.php?bo_table=heigo&wr_id=504",
                    title="The Arduous March", paragraphs=["In the spring of 1939 the unit crossed the river."])


@pytest.fixture
def home(tmp_path) -> DataHome:
    return DataHome.resolve(tmp_path / "home").ensure()


@pytest.fixture
def outside(tmp_path):
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "notes.txt").write_text(KEEP)
    return folder


def test_a_writer_lock_linked_to_an_outside_file_is_refused_and_the_file_kept(home, outside):
    home.lock_path.symlink_to(outside / "notes.txt")
    with pytest.raises(OutsideHome, match=r"refused to lock the data home: .*writer\.lock is a symbolic link \(to "):
        WriterLock(home, "kcorpus refresh").acquire()
    assert (outside / "notes.txt").read_text() == KEEP


def test_a_document_folder_linked_out_of_the_home_is_never_written_through(home, outside):
    (home.documents_dir / "kancc").symlink_to(outside)
    with pytest.raises(OutsideHome, match=r"documents/kancc is a symbolic link to .*outside, outside the data home"):
        save_document(home, _doc())
    assert sorted(p.name for p in outside.iterdir()) == ["notes.txt"]
    (outside / "kancc-heigo-504.json").write_text(KEEP)   # a file out there a retirement would delete
    with pytest.raises(OutsideHome):
        retire_document(home, "kancc", "kancc-heigo-504", {"why": "HTTP 404"})
    assert (outside / "kancc-heigo-504.json").read_text() == KEEP


def test_a_gone_folder_linked_out_of_the_home_is_refused(home, outside):
    save_document(home, _doc())
    (home.documents_dir / "_gone").symlink_to(outside)
    with pytest.raises(OutsideHome, match="_gone is a symbolic link"):
        retire_document(home, "kancc", "kancc-heigo-504", {"why": "HTTP 404"})
    assert load_document(home, "kancc", "kancc-heigo-504") is not None   # nothing lost either


def test_a_link_that_stays_inside_the_home_is_followed(home):
    (home.root / "kept").mkdir()
    (home.documents_dir / "kancc").symlink_to(home.root / "kept")
    save_document(home, _doc())
    assert (home.root / "kept" / "kancc-heigo-504.json").exists()


def test_the_log_file_is_never_appended_through_a_link_out_of_the_home(home, outside):
    (home.root / "logs").mkdir()
    (home.root / "logs" / "kcorpus.log").symlink_to(outside / "notes.txt")
    with pytest.raises(OutsideHome, match="outside the data home"):
        home.inside(home.root / "logs" / "kcorpus.log")
    (home.root / "logs" / "kcorpus.log").unlink()
    os.rmdir(home.root / "logs")
    (home.root / "logs").symlink_to(outside)
    with pytest.raises(OutsideHome, match=r"logs is a symbolic link to "):
        home.inside(home.root / "logs" / "kcorpus.log")


def test_the_quarantine_folder_linked_out_of_the_home_is_refused(home, outside):
    from expectations.quarantine import write_quarantine
    home.quarantine_dir.rmdir()
    home.quarantine_dir.symlink_to(outside)

    class Nothing:
        quarantined, passed, verdicts = [], [], {}
    with pytest.raises(OutsideHome):
        write_quarantine(home, Nothing())


def test_leftovers_of_a_killed_release_and_wacz_packaging_are_removed(home):
    scratch = home.releases_dir / ".work-0123abcd"
    (scratch).mkdir()
    (scratch / "members.xml").write_text("<partial")
    half = home.releases_dir / ".tmp-0123abcd"
    (half / "tei").mkdir(parents=True)
    (half / "tei" / "a.xml").write_text("<TEI/>")
    (half / "tei" / "a.xml").chmod(0o444)
    packing = home.wacz_dir / ".wacz-k2j3h4"
    packing.mkdir(parents=True)
    (packing / "pages.jsonl").write_text("{}\n")
    finished = home.wacz_dir / "run1.wacz"
    finished.write_bytes(b"PK")
    removed = home.remove_leftovers()
    assert sorted(p.name for p in removed) == [".tmp-0123abcd", ".wacz-k2j3h4", ".work-0123abcd"]
    assert not scratch.exists() and not half.exists() and not packing.exists() and finished.exists()


def test_runs_a_killed_writer_left_running_are_marked_interrupted(tmp_path):
    state = CrawlState(tmp_path / "state.sqlite")
    state.start_run("killed-1", ["kancc"])
    state.start_run("done", ["kancc"])
    state.finish_run("done")
    state.start_run("killed-2", ["globalsecurity"])
    assert state.interrupt_dead_runs() == ["killed-1", "killed-2"]
    assert {r["run_id"]: r["status"] for r in state.runs()} == {
        "killed-1": "interrupted", "done": "finished", "killed-2": "interrupted"}
    assert all(r["finished_at"] for r in state.runs())
    assert state.interrupt_dead_runs() == []


def test_disk_use_counts_a_shared_file_once_and_passes_over_files_that_go_away(tmp_path, monkeypatch):
    """`kcorpus status` beside a release failed with "No such file or directory" when the release's
    temporary folder was renamed during its walk (found by the random histories, seed 5203). Releases
    share unchanged files by hard links: like `du`, each file counts once."""
    import os

    from flows.home import disk_use

    (tmp_path / "releases" / "a").mkdir(parents=True)
    (tmp_path / "releases" / "a" / "doc.xml").write_bytes(b"x" * 1000)
    (tmp_path / "releases" / "b").mkdir()
    os.link(tmp_path / "releases" / "a" / "doc.xml", tmp_path / "releases" / "b" / "doc.xml")
    (tmp_path / "releases" / ".tmp-1").mkdir()
    (tmp_path / "releases" / ".tmp-1" / "vanishing.xml").write_bytes(b"y" * 500)
    (tmp_path / "state.sqlite").write_bytes(b"z" * 10)
    real_lstat = os.lstat

    def lstat(path, *args, **kwargs):
        if str(path).endswith("vanishing.xml"):   # renamed away between the listing and the stat
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", lstat)
    assert disk_use(tmp_path) == {"releases": 1000, "state.sqlite": 10}
