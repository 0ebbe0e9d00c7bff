"""Reading a release back: its documents one at a time, and its table of documents as a pandas DataFrame
with typed columns (what kcorpus.load_release hands a researcher)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from core.datahome import DataHome
from core.document import Document
from corpus.derived import CODEBOOK, flat_record


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


def iter_documents(release: Path) -> Iterator[Document]:
    """Every document of a release, read line by line from documents.jsonl (constant memory)."""
    with open(Path(release) / "documents.jsonl", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield Document.from_dict(json.loads(line))


def find_document(release: Path, doc_id: str) -> Document:
    """One document of a release by id; KeyError when the release has no such document."""
    for doc in iter_documents(release):
        if doc.id == doc_id:
            return doc
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
        from corpus.derived import arrow_schema
        table = pa.Table.from_pylist(rows, schema=arrow_schema())
    mapping = {pa.int32(): pd.Int32Dtype(), pa.string(): pd.StringDtype()}
    frame = table.to_pandas(types_mapper=mapping.get, date_as_object=False)
    return frame[[f.name for f in CODEBOOK]]
