"""Derived formats of a release, written one document at a time (memory independent of the corpus size):
plain text per document + meta.tsv, Parquet (pyarrow, typed columns, row groups), CoNLL-U per site,
and the statistics the corpus header, README, CITATION.cff and .zenodo.json report.

The flat record (one row per document) is defined once, in CODEBOOK: every format and the release's
README codebook read it from there, so a field means the same thing everywhere."""

from __future__ import annotations

import csv
import io
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from core.document import Document
from corpus.nlp import comment_value, conllu_counts, conllu_document

PARQUET_ROW_GROUP = 500   # documents per Parquet row group: bounded memory for any corpus size


@dataclass(frozen=True)
class Field:
    name: str
    type: str          # arrow type name: string, int32, date32, timestamp, list<string>
    meaning: str
    source: str


CODEBOOK: tuple[Field, ...] = (
    Field("id", "string", "stable document id, <site>-<local id from the URL>", "kcorpus id rules (core/ids.py)"),
    Field("site", "string", "the reposting site's profile name", "site profile"),
    Field("lang", "string", "language of the body, ISO 639-1 (en, ko)", "Hangul share of the letters"),
    Field("date", "date32", "publication date (ISO date): the KCNA dateline's, else the day the post went up "
          "(site time zone); empty when unknown", "dateline + URL year, or the post's date"),
    Field("year", "int32", "year of `date`", "date"),
    Field("posted_at", "timestamp", "when the reposting site posted it (UTC; the offset-bearing ISO value "
          "is in documents.jsonl)", "the post's info line (GNUBoard 작성일)"),
    Field("captured_at", "timestamp", "when kcorpus captured the page (UTC)", "WARC record"),
    Field("title", "string", "the headline, repaired", "page title / post subject"),
    Field("text", "string", "the body, repaired: paragraphs separated by a blank line", "article body"),
    Field("paragraphs", "int32", "number of paragraphs", "text"),
    Field("tokens", "int32", "words and punctuation (syntok for English, Kiwi eojeol for Korean)", "text"),
    Field("sentences", "int32", "sentences (same segmenters)", "text"),
    Field("place", "string", "dateline place", "KCNA dateline"),
    Field("agency", "string", "the news agency that published it", "dateline / profile"),
    Field("distributor", "string", "who distributed it to the reposting site", "source line"),
    Field("author", "string", "author (the memoir's)", "profile"),
    Field("series", "string", "the series it belongs to (With the Century)", "profile"),
    Field("chapter", "int32", "chapter number in the series", "post subject"),
    Field("section", "int32", "section number within the chapter", "post subject"),
    Field("site_section", "string", "the reposting site's navigation label (GlobalSecurity)", "page header"),
    Field("board", "string", "GNUBoard board name", "URL bo_table"),
    Field("post_id", "int32", "GNUBoard post number", "URL wr_id"),
    Field("comment_count", "int32", "comments shown under the post", "post info line"),
    Field("flags", "list<string>", "e.g. truncated (the source page cuts the text off)", "cleaner"),
    Field("repairs", "int32", "repairs made to the served text (all rules)", "repair log"),
    Field("source_url", "string", "the page's URL", "crawl"),
    Field("warc_record_id", "string", "WARC-Record-ID of the capture", "WARC"),
    Field("payload_digest", "string", "WARC payload digest of the capture", "WARC"),
    Field("cleaner_version", "string", "the cleaning rules' version", "kcorpus"),
    Field("tei_path", "string", "the document's TEI file in the release", "release"),
)
FIELD_NAMES = tuple(f.name for f in CODEBOOK)


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _datetime(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def flat_record(doc: Document, tokens: int, sentences: int, tei_path: str) -> dict:
    """The document as one row of typed values, in CODEBOOK order."""
    capture = doc.capture or {}
    extra = doc.extra or {}
    published = _date(doc.date)
    return {
        "id": doc.id, "site": doc.site, "lang": doc.lang, "date": published,
        "year": published.year if published else None,
        "posted_at": _datetime(doc.posted_at), "captured_at": _datetime(capture.get("captured_at")),
        "title": doc.title, "text": doc.text, "paragraphs": len(doc.paragraphs), "tokens": tokens,
        "sentences": sentences, "place": doc.place, "agency": doc.agency, "distributor": doc.distributor,
        "author": doc.author, "series": doc.series, "chapter": _int(doc.chapter), "section": _int(doc.section),
        "site_section": doc.site_section, "board": extra.get("board"), "post_id": _int(extra.get("post_id")),
        "comment_count": _int(extra.get("comment_count")), "flags": list(doc.flags),
        "repairs": sum(int(r.get("count") or 0) for r in doc.repairs), "source_url": doc.source_url,
        "warc_record_id": capture.get("record_id"), "payload_digest": capture.get("payload_digest"),
        "cleaner_version": doc.cleaner_version, "tei_path": tei_path,
    }


def arrow_schema():
    """The Parquet schema: CODEBOOK's types, every column nullable except id and site."""
    import pyarrow as pa

    types = {"string": pa.string(), "int32": pa.int32(), "date32": pa.date32(),
             "timestamp": pa.timestamp("us", tz="UTC"), "list<string>": pa.list_(pa.string())}
    schema = pa.schema([pa.field(f.name, types[f.type], nullable=f.name not in ("id", "site")) for f in CODEBOOK])
    # pandas metadata in the file, so that a plain pandas.read_parquet gives nullable integers (Int32)
    # and strings, not floats with NaN for a chapter that is missing on some rows
    import pandas as pd

    dtypes = {"string": "string", "int32": "Int32", "timestamp": "datetime64[us, UTC]"}
    empty = pd.DataFrame({f.name: pd.Series([], dtype=dtypes.get(f.type, "object")) for f in CODEBOOK})
    pandas_meta = pa.Schema.from_pandas(empty, preserve_index=False).metadata
    return schema.with_metadata(pandas_meta)


def _tsv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


@dataclass
class Stats:
    """Documents, tokens and sentences per site, language and year (the corpus header, README, citation)."""

    documents: int = 0
    tokens: int = 0
    sentences: int = 0
    by: dict[str, dict[str, Counter]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Counter)))

    def add(self, record: dict) -> None:
        self.documents += 1
        self.tokens += record["tokens"]
        self.sentences += record["sentences"]
        for axis in ("site", "lang", "year"):
            key = str(record[axis]) if record[axis] is not None else "unknown"
            self.by[axis][key].update(documents=1, tokens=record["tokens"], sentences=record["sentences"])

    def to_dict(self) -> dict:
        return {"documents": self.documents, "tokens": self.tokens, "sentences": self.sentences,
                **{f"by_{axis}": {key: dict(counts) for key, counts in sorted(self.by[axis].items())}
                   for axis in ("site", "lang", "year")}}


DERIVED_FILES = {"txt": "text/", "tsv": "meta.tsv", "parquet": "documents.parquet", "conllu": "conllu/"}


class PreviousConllu:
    """The previous release's CoNLL-U, read forward site by site while a new release streams in id order:
    each unchanged document's block is taken as it was instead of segmenting the text again, so a
    release costs segmentation only for new and edited documents. Memory: one block per site."""

    def __init__(self, release_dir: Path | None, trusted: set[str] | None = None):
        """`trusted`: the sites whose CoNLL-U file still matches the previous release's SHA256SUMS (None:
        all); a file edited after its release is never carried into the next one."""
        self.folder = Path(release_dir) / "conllu" if release_dir else None
        self.trusted = trusted
        self._readers: dict[str, Iterator[tuple[str, str]]] = {}
        self._current: dict[str, tuple[str, str] | None] = {}

    def block(self, site: str, doc_id: str, title: str) -> str | None:
        """The previous block of `doc_id`, if there is one with the same title line; blocks before it
        (documents that left) are skipped."""
        if self.folder is None or (self.trusted is not None and site not in self.trusted):
            return None
        if site not in self._readers:
            self._readers[site] = _conllu_blocks(self.folder / f"{site}.conllu")
            self._current[site] = next(self._readers[site], None)
        current = self._current[site]
        while current is not None and current[0] < doc_id:
            current = next(self._readers[site], None)
        self._current[site] = current
        if current is None or current[0] != doc_id:
            return None
        self._current[site] = next(self._readers[site], None)
        block = current[1]
        title_line = block.split("\n", 2)[1]
        return block if title_line == f"# title = {comment_value(title)}" else None


def _conllu_blocks(path: Path) -> Iterator[tuple[str, str]]:
    """(document id, its exact CoNLL-U text) for each `# newdoc id` block of a file, in file order."""
    if not path.exists():
        return
    doc_id, lines = None, []
    with open(path, encoding="utf-8", newline="") as fh:
        for line in fh:
            if line.startswith("# newdoc id = "):
                if doc_id is not None:
                    yield doc_id, "".join(lines)
                doc_id, lines = line[len("# newdoc id = "):].rstrip("\n"), [line]
            elif doc_id is not None:
                lines.append(line)
    if doc_id is not None:
        yield doc_id, "".join(lines)


def write_or_link(target: Path, data: bytes, previous: Path | None) -> bool:
    """Write `data` to `target`, or hard-link the previous release's file when it holds exactly these bytes
    (released files are read-only, so a daily release of a corpus that changed by 1% shares the other 99%
    with the one before). The previous file's bytes are compared, never its recorded checksum: a file
    edited after its release is not carried into the next one. Returns True when it linked.

    >>> import tempfile; folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "old.txt").write_bytes(b"same")
    >>> write_or_link(folder / "new.txt", b"same", folder / "old.txt"), (folder / "new.txt").stat().st_nlink
    (True, 2)
    >>> write_or_link(folder / "other.txt", b"changed", folder / "old.txt"), (folder / "other.txt").read_bytes()
    (False, b'changed')
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if previous is not None:
        try:
            if previous.stat().st_size == len(data) and previous.read_bytes() == data:
                os.link(previous, target)
                return True
        except OSError:   # no previous file, another filesystem, no hard links here: write it
            pass
    target.write_bytes(data)
    return False


class DerivedWriter:
    """Writes the derived formats of a release under `root`, one document at a time (add), then close().
    Text files: text/<site>/<id>.txt (hard-linked to `previous`'s when identical); meta.tsv;
    documents.parquet (row groups of PARQUET_ROW_GROUP); conllu/<site>.conllu."""

    def __init__(self, root: Path, previous: Path | None = None):
        import pyarrow.parquet as pq

        self.root = Path(root)
        self.previous = previous
        self.linked = 0   # files shared with the previous release
        self.stats = Stats()
        self.schema = arrow_schema()
        self._rows: list[dict] = []
        self._parquet = pq.ParquetWriter(self.root / DERIVED_FILES["parquet"], self.schema, compression="zstd")
        self._tsv_file = open(self.root / DERIVED_FILES["tsv"], "w", encoding="utf-8", newline="")
        self._tsv = csv.writer(self._tsv_file, delimiter="\t", lineterminator="\n")
        self._tsv.writerow([name for name in FIELD_NAMES if name != "text"])
        self._conllu: dict[str, io.TextIOBase] = {}

    def add(self, doc: Document, tei_path: str, conllu: str | None = None) -> dict:
        """Write one document to every derived format; returns its flat record. `conllu`: the document's
        CoNLL-U block when it is already known (an unchanged document's, from the previous release);
        segmenting is 80% of a release's time."""
        if conllu is None:
            conllu, tokens, sentences = conllu_document(doc.id, doc.title, doc.paragraphs, doc.lang)
        else:
            tokens, sentences = conllu_counts(conllu)
        record = flat_record(doc, tokens, sentences, tei_path)
        relative = Path("text") / doc.site / f"{doc.id}.txt"
        self.linked += write_or_link(self.root / relative, (doc.title + "\n\n" + doc.text + "\n").encode("utf-8"),
                                     self.previous / relative if self.previous else None)
        self._tsv.writerow([_tsv_value(record[name]) for name in FIELD_NAMES if name != "text"])
        if doc.site not in self._conllu:
            (self.root / "conllu").mkdir(exist_ok=True)
            self._conllu[doc.site] = open(self.root / "conllu" / f"{doc.site}.conllu", "w", encoding="utf-8")
        self._conllu[doc.site].write(conllu)
        self._rows.append(record)
        if len(self._rows) >= PARQUET_ROW_GROUP:
            self._flush()
        self.stats.add(record)
        return record

    def _flush(self) -> None:
        import pyarrow as pa

        if self._rows:
            self._parquet.write_table(pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._parquet.close()
        self._tsv_file.close()
        for handle in self._conllu.values():
            handle.close()

    def abort(self) -> None:
        """Close every file without caring for errors (the release folder is being thrown away)."""
        for closer in (self._parquet.close, self._tsv_file.close, *(h.close for h in self._conllu.values())):
            try:
                closer()
            except Exception:  # noqa: BLE001 - already failing; the temporary folder is removed next
                pass
