"""Derived formats of a release, written one document at a time (memory independent of the corpus size):
plain text and CoNLL-U per document (hard-linked to the previous release's identical files) + meta.tsv,
Parquet (pyarrow, typed columns, row groups),
and the statistics the corpus header, README, CITATION.cff and .zenodo.json report.

The flat record (one row per document) is defined once, in CODEBOOK: every format and the release's
README codebook read it from there, so a field means the same thing everywhere."""

from __future__ import annotations

import csv
import hashlib
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from core.document import Document
from corpus.nlp import conllu_counts, conllu_document

PARQUET_ROW_GROUP = 500   # documents per Parquet row group: bounded memory for any corpus size


@dataclass(frozen=True)
class Field:
    name: str
    type: str          # arrow type name: string, int32, date, timestamp, list<string>
    meaning: str
    source: str


CODEBOOK: tuple[Field, ...] = (
    Field("id", "string", "stable document id, <site>-<local id from the URL>", "kcorpus id rules (core/ids.py)"),
    Field("site", "string", "the reposting site's profile name", "site profile"),
    Field("lang", "string", "language of the body, ISO 639-1 (en, ko)", "Hangul share of the letters"),
    Field("date", "date", "publication date: the KCNA dateline's, else the day the post went up (site time "
          "zone); empty when unknown. Stored as midnight of that day (timestamp[ms], no time zone), so that "
          "pandas, R and DuckDB read it as a date-time column", "dateline + URL year, or the post's date"),
    Field("year", "int32", "year of `date`", "date"),
    Field("posted_at", "timestamp", "when the reposting site posted it (UTC; the offset-bearing ISO value "
          "is in the JSON records)", "the post's info line (GNUBoard 작성일)"),
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


def _midnight(day: date | None) -> datetime | None:
    """A day as the Parquet file stores it (midnight, no time zone)."""
    return datetime(day.year, day.month, day.day) if day else None


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

    # a day as midnight: plain pandas.read_parquet turns date32 into Python objects, a timestamp into datetime64
    types = {"string": pa.string(), "int32": pa.int32(), "date": pa.timestamp("ms"),
             "timestamp": pa.timestamp("us", tz="UTC"), "list<string>": pa.list_(pa.string())}
    schema = pa.schema([pa.field(f.name, types[f.type], nullable=f.name not in ("id", "site")) for f in CODEBOOK])
    # pandas metadata in the file, so that a plain pandas.read_parquet gives nullable integers (Int32)
    # and strings, not floats with NaN for a chapter that is missing on some rows
    import pandas as pd

    dtypes = {"string": "string", "int32": "Int32", "timestamp": "datetime64[us, UTC]", "date": "datetime64[ms]"}
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


class KnownConllu(NamedTuple):
    """A document's CoNLL-U file: its bytes, their SHA-256, and its tokens and sentences."""

    data: bytes
    sha256: str
    tokens: int
    sentences: int


def known_conllu(data: bytes, counts: tuple[int, int] | None = None) -> KnownConllu:
    """CoNLL-U bytes taken as they are (a previous release's file), counted unless `counts` says it
    (the previous manifest's, for the same bytes). UnicodeDecodeError when they are not UTF-8."""
    tokens, sentences = counts if counts is not None else conllu_counts(data.decode("utf-8"))
    return KnownConllu(data, hashlib.sha256(data).hexdigest(), tokens, sentences)


def conllu_file(site: str, doc_id: str) -> str:
    """A document's CoNLL-U file inside a release (a complete file: its `# newdoc id`, sentences, tokens)."""
    return f"conllu/{site}/{doc_id}.conllu"


def write_or_link(target: Path, data: bytes, previous: Path | None, *, checked: bool = False,
                  folders: set[Path] | None = None) -> bool:
    """Write `data` to `target`, or hard-link the previous release's file when it holds exactly these bytes
    (released files are read-only, so a daily release of a corpus that changed by 1% shares the other 99%
    with the one before). The previous file's bytes are compared, never its recorded checksum: a file
    edited after its release is not carried into the next one. `checked`: the caller has just read the
    previous file and found it holds `data` (and that its bytes are the ones its release's manifest
    names), so it is linked without reading it again. `folders`: the folders this release already made
    (a set the caller keeps; one mkdir per file was 4% of a daily release). Returns True when it linked.

    >>> import tempfile; folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "old.txt").write_bytes(b"same")
    >>> write_or_link(folder / "new.txt", b"same", folder / "old.txt"), (folder / "new.txt").stat().st_nlink
    (True, 2)
    >>> write_or_link(folder / "other.txt", b"changed", folder / "old.txt"), (folder / "other.txt").read_bytes()
    (False, b'changed')
    """
    if folders is None or target.parent not in folders:
        target.parent.mkdir(parents=True, exist_ok=True)
        if folders is not None:
            folders.add(target.parent)
    if previous is not None:
        try:
            if checked or (previous.stat().st_size == len(data) and previous.read_bytes() == data):
                os.link(previous, target)
                return True
        except OSError:   # no previous file, another filesystem, no hard links here: write it
            pass
    target.write_bytes(data)
    return False


class DerivedWriter:
    """Writes the derived formats of a release under `root`, one document at a time (add), then close().
    Per document: text/<site>/<id>.txt and conllu/<site>/<id>.conllu (each hard-linked to `previous`'s
    when identical); for the whole release: meta.tsv, documents.parquet (row groups of PARQUET_ROW_GROUP)."""

    def __init__(self, root: Path, previous: Path | None = None):
        import pyarrow.parquet as pq

        self.root = Path(root)
        self.previous = previous
        self.linked = 0   # files shared with the previous release
        self._folders: set[Path] = set()
        self.digests: dict[str, str] = {}   # relative path -> SHA-256 of every per-document file written
        self.stats = Stats()
        self.schema = arrow_schema()
        self._rows: list[dict] = []
        self._parquet = pq.ParquetWriter(self.root / DERIVED_FILES["parquet"], self.schema, compression="zstd")
        self._tsv_file = open(self.root / DERIVED_FILES["tsv"], "w", encoding="utf-8", newline="")
        self._tsv = csv.writer(self._tsv_file, delimiter="\t", lineterminator="\n")
        self._tsv.writerow([name for name in FIELD_NAMES if name != "text"])

    def _write(self, relative: Path, data: bytes, *, checked: bool = False, sha256: str | None = None) -> None:
        self.linked += write_or_link(self.root / relative, data, self.previous / relative if self.previous else None,
                                     checked=checked and self.previous is not None, folders=self._folders)
        # the digest SHA256SUMS lists, from the bytes written (reading 3 files a document back cost a
        # second release of 10k documents a fifth of its time)
        self.digests[relative.as_posix()] = sha256 or hashlib.sha256(data).hexdigest()

    def add(self, doc: Document, tei_path: str, conllu: KnownConllu | None = None) -> KnownConllu:
        """Write one document to every derived format; returns its CoNLL-U's digest and counts. `conllu`:
        the document's CoNLL-U when it is already known (an unchanged document's, from the previous
        release: the file is then hard-linked); segmenting is 75% of a release's time."""
        reused = conllu is not None
        if conllu is None:
            text, tokens, sentences = conllu_document(doc.id, doc.title, doc.paragraphs, doc.lang)
            data = text.encode("utf-8")
            conllu = KnownConllu(data, hashlib.sha256(data).hexdigest(), tokens, sentences)
        record = flat_record(doc, conllu.tokens, conllu.sentences, tei_path)
        self._write(Path("text") / doc.site / f"{doc.id}.txt", (doc.title + "\n\n" + doc.text + "\n").encode("utf-8"))
        self._write(Path(conllu_file(doc.site, doc.id)), conllu.data, checked=reused, sha256=conllu.sha256)
        self._tsv.writerow([_tsv_value(record[name]) for name in FIELD_NAMES if name != "text"])
        self._rows.append(record)
        if len(self._rows) >= PARQUET_ROW_GROUP:
            self._flush()
        self.stats.add(record)
        return conllu

    def _flush(self) -> None:
        import pyarrow as pa

        if self._rows:
            rows = [{**row, "date": _midnight(row["date"])} for row in self._rows]
            self._parquet.write_table(pa.Table.from_pylist(rows, schema=self.schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._parquet.close()
        self._tsv_file.close()

    def abort(self) -> None:
        """Close every file without caring for errors (the release folder is being thrown away)."""
        for closer in (self._parquet.close, self._tsv_file.close):
            try:
                closer()
            except Exception:  # noqa: BLE001 - already failing; the temporary folder is removed next
                pass
