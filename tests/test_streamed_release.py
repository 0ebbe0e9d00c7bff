"""A release of a large archive streams the store: the gate reads it one frame at a time, the release reads it
again one document at a time for witness linking and writing. The result is the release a list of the same
documents gives, file for file, witness links included."""

from __future__ import annotations

import copy
import json
from datetime import date

from cleaners.store import StoredDocuments, save_document
from core.datahome import DataHome
from corpus.release import build_release


def _stored_home(root, documents):
    """A data home whose store holds `documents` (no crawl, no release)."""
    home = DataHome.resolve(root).ensure()
    for doc in documents:
        save_document(home, doc)
    return home


def _files(release_dir):
    return {str(p.relative_to(release_dir)): p.read_bytes() for p in sorted(release_dir.rglob("*"))
            if p.is_file() and p.parts[len(release_dir.parts)] in ("tei", "text", "records", "conllu")}


def test_a_release_streamed_from_the_store_equals_one_written_from_a_list(tmp_path, snapshot_documents):
    from flows.release import validate_and_release

    docs = [copy.deepcopy(d) for d in snapshot_documents]
    # a repost of one article under another id: the streamed release must link the two copies too
    repost = copy.deepcopy(docs[0])
    repost.id, repost.source_url = docs[0].id + "-repost", docs[0].source_url + "?repost=1"
    docs.append(repost)
    streamed = DataHome.resolve(tmp_path / "streamed").ensure()
    for doc in docs:
        save_document(streamed, doc)
    outcome = validate_and_release(streamed, today=date(2026, 11, 1))
    listed = build_release(DataHome.resolve(tmp_path / "listed"),
                           sorted(list(StoredDocuments(streamed)), key=lambda d: d.id), today=date(2026, 11, 1))

    assert outcome.release.version == listed.version and outcome.quarantined == []
    a, b = _files(outcome.release.path), _files(listed.path)
    assert a.keys() == b.keys() and len(a) >= 2 * len(docs)
    assert [name for name in a if a[name] != b[name]] == []
    works = json.loads((outcome.release.path / "manifest.json").read_text())["works"]
    assert works == json.loads((listed.path / "manifest.json").read_text())["works"]
    assert any(set(members) == {docs[0].id, repost.id} for members in works.values())


def test_stored_documents_come_in_id_order_and_can_be_read_again(tmp_path, snapshot_documents):
    home = DataHome.resolve(tmp_path).ensure()
    for doc in reversed(snapshot_documents):
        save_document(home, doc)
    stored = StoredDocuments(home)
    first = [d.id for d in stored]
    assert first == sorted(d.id for d in snapshot_documents) == stored.ids == [d.id for d in stored]
    assert stored.sites == {d.site for d in snapshot_documents} and len(stored) == len(snapshot_documents)


def test_the_gate_in_a_process_of_its_own_gives_the_same_release(tmp_path, snapshot_documents, monkeypatch):
    """From GATE_IN_A_PROCESS documents the gate runs in a spawned process (GX's memory goes back to the
    system before the release loads Kiwi): its verdicts, quarantine and release are the in-process ones."""
    import flows.release
    from flows.release import validate_and_release

    releases = []
    for where, threshold in (("inside", 10**9), ("child", 1)):
        home = DataHome.resolve(tmp_path / where).ensure()
        for doc in snapshot_documents:
            broken = copy.deepcopy(doc)
            if doc is snapshot_documents[0]:
                broken.paragraphs = broken.paragraphs + ["workers\\and peasants"]   # quarantined
            save_document(home, broken)
        monkeypatch.setattr(flows.release, "GATE_IN_A_PROCESS", threshold)
        outcome = validate_and_release(home, today=date(2026, 11, 1), allow_partial=True)
        assert outcome.quarantined == [snapshot_documents[0].id]
        assert (home.quarantine_dir / f"{snapshot_documents[0].id}.json").exists()
        releases.append(outcome.release.path)
    inside, child = (_files(path) for path in releases)
    assert inside.keys() == child.keys() and [n for n in inside if inside[n] != child[n]] == []


def test_the_gate_process_dies_with_a_killed_release(tmp_path, snapshot_documents):
    """A SIGKILLed release leaves no gate process behind to write the GX store beside a later writer."""
    import os
    import signal
    import subprocess
    import sys
    import time

    home = _stored_home(tmp_path, snapshot_documents)
    script = tmp_path / "release.py"
    script.write_text(
        "import sys, time\n"
        "import flows.release, expectations.gate\n"
        "from core.datahome import DataHome\n"
        "flows.release.GATE_IN_A_PROCESS = 1\n"
        # this module's top level runs in the spawned gate process too: there, the gate takes a minute
        "def gate(*args, **kwargs):\n"
        f"    open({str(tmp_path / 'gating')!r}, 'w').close()\n"
        "    time.sleep(60)\n"
        "expectations.gate.validate_batch = gate\n"
        "if __name__ == '__main__':\n"
        f"    flows.release.validate_and_release(DataHome.resolve({str(home.root)!r}))\n")
    release = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "PYTHONPATH": os.getcwd()})
    gate = []
    for _ in range(600):   # until the gate's process is in the gate
        gate = subprocess.run(["pgrep", "-f", "-P", str(release.pid), "multiprocessing.spawn"],
                              capture_output=True, text=True).stdout.split()
        if (gate and (tmp_path / "gating").exists()) or release.poll() is not None:
            break
        time.sleep(0.05)
    assert gate, "the gate never ran in a process of its own"
    os.kill(release.pid, signal.SIGKILL)
    release.wait()
    for _ in range(100):
        if not any(os.path.exists(f"/proc/{pid}") and "Z" not in open(f"/proc/{pid}/stat").read().split()[2]
                   for pid in gate):
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"gate process {gate} outlived the killed release")


def test_a_gate_process_killed_under_the_release_is_one_error_and_no_release(tmp_path, snapshot_documents):
    """The kernel's OOM killer (or anyone) ends the gate's process: the release says so in one line and
    writes nothing, rather than "a process in the process pool was terminated abruptly"."""
    import os
    import subprocess
    import sys

    home = _stored_home(tmp_path, snapshot_documents)
    script = tmp_path / "release.py"
    script.write_text(
        "import os, signal\n"
        "import flows.release, expectations.gate\n"
        "from core.datahome import DataHome\n"
        "flows.release.GATE_IN_A_PROCESS = 1\n"
        "expectations.gate.validate_batch = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
        "if __name__ == '__main__':\n"
        "    try:\n"
        f"        flows.release.validate_and_release(DataHome.resolve({str(home.root)!r}))\n"
        "    except RuntimeError as exc:\n"
        "        print('error:', exc)\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.strip() == ("error: the quality gate's process ended without an answer (killed, or out of "
                                  "memory); nothing was released"), out.stdout + out.stderr
    assert not home.releases_dir.exists() or not any(home.releases_dir.glob("20*"))


def test_stored_documents_read_by_orjson_equal_what_json_reads(tmp_path, snapshot_documents):
    """The store is read with orjson (core.document.Document.from_json_bytes); what orjson refuses and
    Python's json accepts falls back to json, so every file reads as before: the real snapshot documents,
    and files written by other tools with a lone surrogate escape or an integer past 64 bits."""
    import pytest

    from core.document import Document

    home = _stored_home(tmp_path, snapshot_documents)
    assert [d.to_dict() for d in StoredDocuments(home)] == [d.to_dict() for d in sorted(snapshot_documents, key=lambda d: d.id)]
    record = json.loads(json.dumps(snapshot_documents[0].fields_for_json(), ensure_ascii=False))
    for odd in ("\ud800 a lone surrogate", 2 ** 70):   # json.dumps writes the surrogate as an escape
        text = json.dumps({**record, "title": "TITLE"}, ensure_ascii=False).replace('"TITLE"', json.dumps(odd))
        assert Document.from_json_bytes(text.encode("utf-8")).title == json.loads(text)["title"]
    with pytest.raises(UnicodeDecodeError):
        Document.from_json_bytes(json.dumps(record).encode("utf-8").replace(b'"id"', b'"\xff"'))
