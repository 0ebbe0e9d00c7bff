"""Reading a release back: its documents one at a time, and its table of documents as a pandas DataFrame
with typed columns (what kcorpus.load_release hands a researcher)."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from core.datahome import DataHome
from core.document import Document
from corpus.derived import CODEBOOK, flat_record
from corpus.manifest import (iter_documents, iter_manifest_entries, per_document_records, read_manifest_head,
                             read_records, record_file)


class NoSuchRelease(LookupError):
    """No release by that version or path."""


def resolve_release(name: str | Path, home: DataHome) -> Path:
    """A release folder from a path, a version under the data home, or "latest"."""
    path = Path(name)
    if (path / "manifest.json").is_file():
        return path
    candidate = home.releases_dir / str(name)
    if (candidate / "manifest.json").is_file():
        return candidate.resolve()
    raise NoSuchRelease(f"no release {str(name)!r} (not a release folder, nor a version under {home.releases_dir})")


def find_document(release: Path, doc_id: str) -> Document:
    """One document of a release by id (its record alone is parsed); KeyError when the release has no
    such document."""
    found = read_records(release, {doc_id})
    if doc_id in found:
        return found[doc_id]
    raise KeyError(f"release {Path(release).name} has no document {doc_id!r}")


def read_frame(release: Path):
    """The release's documents as a pandas DataFrame: documents.parquet with nullable integer and string
    columns and `date` as datetime64; a release written before Parquet existed is built from its JSON."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(release) / "documents.parquet"
    if path.exists():
        table = pq.read_table(path)
    else:
        rows = []
        for doc in iter_documents(release):
            record = flat_record(doc, None, None, f"tei/{doc.site}/{doc.id}.xml")
            rows.append(record)
        from corpus.derived import _midnight, arrow_schema
        table = pa.Table.from_pylist([{**r, "date": _midnight(r["date"])} for r in rows], schema=arrow_schema())
    mapping = {pa.int32(): pd.Int32Dtype(), pa.string(): pd.StringDtype()}
    frame = table.to_pandas(types_mapper=mapping.get, date_as_object=False)
    return frame[[f.name for f in CODEBOOK]]


EXPORT_FORMATS = ("txt", "parquet", "conllu", "jsonl", "teicorpus")


def _site_order(release: Path) -> Iterator[dict]:
    """The manifest entries of a release grouped by site (sites in name order), each site in id order:
    the order of the per-site CoNLL-U files releases held before per-document files (a pass over the
    manifest per site: memory for one entry)."""
    for site in sorted(read_manifest_head(release).get("counts_by_site") or {}):
        yield from (entry for entry in iter_manifest_entries(release) if entry["site"] == site)


def _concatenate(paths: Iterable[Path], output: Path) -> None:
    with open(output, "wb") as out:
        for path in paths:
            with open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)


def export_release(release: Path, fmt: str, output: Path) -> Path:
    """Write one format of a release to `output`: jsonl, parquet, conllu (all sites) and teicorpus (every
    member inlined) as one file, txt as a folder of <site>/<id>.txt. Per-document files are concatenated
    (records/ in id order: what documents.jsonl held; conllu/ site by site: what conllu/<site>.conllu
    held); a release that holds the whole-release file (written before per-document files) gives it as
    it is, and one written before a format existed gets it made from its records (the same writer a
    release uses). Returns what was written."""
    import tempfile

    from corpus.derived import DerivedWriter, conllu_file

    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r} ({', '.join(EXPORT_FORMATS)})")
    release, output = Path(release), Path(output)
    if output.exists():
        raise FileExistsError(f"{output} exists; exports never overwrite")
    if fmt == "jsonl":
        if per_document_records(release):
            _concatenate((release / record_file(e["site"], e["id"]) for e in iter_manifest_entries(release)), output)
        else:
            shutil.copyfile(release / "documents.jsonl", output)
        return output
    if fmt == "teicorpus":
        from corpus.release import inline_corpus

        name = read_manifest_head(release).get("tei_corpus")
        if not name:
            raise ValueError(f"release {release.name} has no teiCorpus file (it holds no document)")
        with open(output, "wb") as out:
            inline_corpus(release, release / name, out)
        return output
    with tempfile.TemporaryDirectory(dir=output.parent if output.parent.exists() else None) as scratch:
        needed = {"parquet": "documents.parquet", "conllu": "conllu", "txt": "text"}[fmt]
        source = release
        if not (release / needed).exists():
            writer = DerivedWriter(Path(scratch))
            try:
                for doc in iter_documents(release):
                    writer.add(doc, f"tei/{doc.site}/{doc.id}.xml")
            finally:
                writer.close()
            source = Path(scratch)
        if fmt == "parquet":
            shutil.copyfile(source / "documents.parquet", output)
        elif fmt == "txt":
            shutil.copytree(source / "text", output)
        elif sorted((source / "conllu").glob("*.conllu")):   # one file per site (releases before per-document files)
            _concatenate(sorted((source / "conllu").glob("*.conllu")), output)
        else:
            _concatenate((source / conllu_file(e["site"], e["id"]) for e in _site_order(release)), output)
    return output
