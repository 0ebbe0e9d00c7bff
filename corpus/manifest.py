"""Reading a release back: its manifest (whole, its head alone, or entry by entry), its document records
(records/<site>/<id>.json, or documents.jsonl of a release written before them: every record streamed,
the records of some ids, or raw lines with their ids), the releases of a data
home, and a release's name. Every reader of a release folder goes through here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.datahome import DataHome
from core.document import Document


@dataclass
class ReleaseInfo:
    """A release as listed (read from its manifest)."""

    version: str
    path: Path
    created_at: str
    documents: int
    counts_by_site: dict[str, int]
    partial: list[str]


def read_manifest(release_dir: Path) -> dict:
    """A release's manifest.json; a clear error when it is missing or not JSON."""
    path = Path(release_dir) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{release_dir} is not a kcorpus release (no manifest.json)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"release manifest {path} is unreadable: {exc}") from None


# The manifest's last top-level key, as json.dumps(indent=1) writes it: one space of indent marks the
# top level (nested keys have two or more), and a quote inside a string value is escaped, so this line
# cannot occur anywhere else in the file.
DOCUMENTS_KEY = b'\n "documents": ['


def iter_manifest_entries(release_dir: Path) -> Iterator[dict]:
    """A release's per-document entries one at a time, in file order (id order): memory for one entry,
    not for the whole manifest (some 150 MB of JSON at 100k documents). Each entry is an object whose
    first and last lines are indented by exactly two spaces, as json.dumps(indent=1) lays out the
    documents list; a manifest laid out otherwise is read whole."""
    path = Path(release_dir) / "manifest.json"
    key = DOCUMENTS_KEY.lstrip(b"\n")
    with open(path, "rb") as fh:
        for line in fh:
            if line.rstrip(b"\r\n") == key:
                break
        else:
            yield from read_manifest(release_dir).get("documents", [])
            return
        # Blocks of 1 MB, cut at each "\n  }" (an entry's closing line: nested objects close with three
        # spaces or more, and a newline inside a string is escaped): a line-by-line loop over ~30 lines
        # per entry was a tenth of a second release's CPU at 20k documents.
        buffer, start = b"", 0
        while True:
            end = buffer.find(b"\n  }", start)
            if end < 0:
                block = fh.read(1 << 20)
                if not block:   # the end: the list and the manifest must close, or the file was cut short
                    if b"".join(buffer[start:].split()) not in (b"]}", b",]}"):
                        raise ValueError(f"release manifest {path} is unreadable: it ends inside its documents list")
                    return
                buffer, start = buffer[start:] + block, 0
                continue
            entry = buffer[start:end + 4]
            start = end + 4
            opening = entry.find(b"{")
            if opening < 0 or entry[:opening].strip(b" \t\r\n,"):
                raise ValueError(f"release manifest {path} is unreadable: {entry[:opening][:60]!r} between entries")
            try:
                yield json.loads(entry[opening:])
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(f"release manifest {path} is unreadable: {exc}") from None


def read_manifest_head(release_dir: Path) -> dict:
    """A release's manifest without its per-document list (version, dates, counts, quarantined, ...).

    Listing releases needs only these: reading the head stops at the "documents" key, so listing R
    releases of N documents costs R small reads, not R full parses of N entries. A manifest written
    some other way (no such line) is read whole.
    """
    path = Path(release_dir) / "manifest.json"
    head = b""
    try:
        with open(path, "rb") as fh:
            while True:
                block = fh.read(1 << 16)
                head += block
                at = head.find(DOCUMENTS_KEY)
                if at >= 0 or not block:
                    break
    except FileNotFoundError:
        raise FileNotFoundError(f"{release_dir} is not a kcorpus release (no manifest.json)") from None
    if at < 0:
        return {k: v for k, v in read_manifest(release_dir).items() if k != "documents"}
    try:
        return json.loads(head[:at].rstrip().rstrip(b",").decode("utf-8") + "\n}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"release manifest {path} is unreadable: {exc}") from None


def _manifest_document_count(head: dict) -> int:
    """How many documents a release holds, from its manifest head (one per released document and site)."""
    return sum(head["counts_by_site"].values())


def list_releases(home: DataHome) -> list[ReleaseInfo]:
    """Every release, oldest first (by creation time in its manifest)."""
    infos = []
    if not home.releases_dir.exists():
        return infos
    for path in home.releases_dir.iterdir():
        if path.is_symlink() or not path.is_dir() or path.name.startswith(".") or not (path / "manifest.json").exists():
            continue
        manifest = read_manifest_head(path)
        infos.append(ReleaseInfo(manifest["version"], path, manifest["created_at"], _manifest_document_count(manifest),
                                 manifest["counts_by_site"], manifest.get("partial") or []))
    return sorted(infos, key=lambda info: (info.created_at, info.version))


def latest_release(home: DataHome) -> Path | None:
    """The newest release folder (by creation time), or None before the first release."""
    releases = list_releases(home)
    return releases[-1].path if releases else None


def release_name(release_dir: Path) -> str:
    """The release's version from its manifest (so releases/latest is named by what it points at)."""
    try:
        return read_manifest_head(Path(release_dir))["version"]
    except (OSError, ValueError, KeyError):
        return Path(release_dir).resolve().name


# --- the document records: records/<site>/<id>.json, or documents.jsonl of older releases -------------

# A release's per-document records, as its manifest head names them (build_release writes this key); a
# release without it holds documents.jsonl, every record on one line (kcorpus before per-document records).
RECORDS_KEY = "records"
RECORDS_LAYOUT = "records/<site>/<id>.json"
JSONL = "documents.jsonl"


class NotARelease(FileNotFoundError):
    """The folder given is not a kcorpus release (no document records to read)."""


# A record as Document.to_dict writes it opens with its id: read from there, a record is skipped unparsed.
ID_PREFIX = re.compile(r'^\{"id": ("(?:[^"\\]|\\.)*")')


def record_file(site: str, doc_id: str) -> str:
    """A document's record file inside a release (records/<site>/<id>.json)."""
    return f"records/{site}/{doc_id}.json"


def per_document_records(release_dir: Path) -> bool:
    """True when the release keeps one record file per document (records/), False for documents.jsonl;
    NotARelease for a folder with neither."""
    release_dir = Path(release_dir)
    if (release_dir / JSONL).is_file():
        return False
    try:
        if RECORDS_KEY in read_manifest_head(release_dir):
            return True
    except (OSError, ValueError):
        pass
    raise NotARelease(f"{release_dir} is not a kcorpus release (no documents.jsonl, no records/ in a manifest)")


def records_source(release_dir: Path) -> Path:
    """Where a release's records are (documents.jsonl or records/), for messages."""
    return Path(release_dir) / (RECORDS_KEY if per_document_records(release_dir) else JSONL)


def record_id(line: str, path: Path, number: int) -> str:
    """The id of one record, read from its opening key when it has the layout build_release writes (id
    first), else by parsing the whole record."""
    match = ID_PREFIX.match(line)
    try:
        return json.loads(match.group(1)) if match else json.loads(line)["id"]
    except (json.JSONDecodeError, TypeError, KeyError) as exc:
        raise ValueError(f"{path}, record {number}: not a document record ({exc})") from None


def record_lines(release_dir: Path) -> Iterator[tuple[int, str]]:
    """(number, line) of every record of a release in release order (id order), one at a time: the
    record files named by the manifest's entries, or the lines of an older release's documents.jsonl
    (NotARelease for a folder with neither). A record file named by the manifest but missing is a
    damaged release: ValueError naming it."""
    release_dir = Path(release_dir)
    if not per_document_records(release_dir):
        with open(release_dir / JSONL, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    yield number, line
        return
    for number, entry in enumerate(iter_manifest_entries(release_dir), 1):
        path = release_dir / record_file(entry["site"], entry["id"])
        try:
            line = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ValueError(f"{path}: missing (the release is damaged; `kcorpus check` names it)") from None
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not a document record ({exc})") from None
        yield number, line if line.endswith("\n") else line + "\n"


def parse_record(line: str, path: Path, number: int | None = None) -> Document:
    """One record as a Document (ValueError naming the file and record when it is not one)."""
    try:
        return Document.from_dict(json.loads(line))
    except (ValueError, TypeError) as exc:
        where = f"{path}, record {number}" if number is not None else str(path)
        raise ValueError(f"{where}: not a document record ({exc})") from None


def iter_documents(release_dir: Path) -> Iterator[Document]:
    """Every document of a release, one record at a time in id order (constant memory)."""
    path = records_source(release_dir)
    for number, line in record_lines(release_dir):
        yield parse_record(line, path, number)


def read_records(release_dir: Path, ids: set[str] | None, sites: dict[str, str] | None = None) -> dict[str, Document]:
    """Records of a release by id (all when `ids` is None). A record is parsed only when its id is
    wanted: of a release with per-document records only those files are read (the manifest's entries
    say which exist); of a documents.jsonl, a line's id is read from its start, where Document.to_dict
    puts it, so reading 3 records of 100,000 costs a scan."""
    out: dict[str, Document] = {}
    if ids is not None and not ids:
        return out
    release_dir = Path(release_dir)
    path = records_source(release_dir)
    if ids is not None and path.name == RECORDS_KEY:
        # `sites`: each wanted id's site, known to a caller holding the manifest's entries (no scan of it)
        wanted = ({"id": i, "site": sites[i]} for i in sorted(ids) if i in sites) if sites is not None else \
            iter_manifest_entries(release_dir)
        for entry in wanted:
            if entry["id"] in ids:
                record = release_dir / record_file(entry["site"], entry["id"])
                try:
                    out[entry["id"]] = parse_record(record.read_text(encoding="utf-8"), record)
                except FileNotFoundError:
                    raise ValueError(f"{record}: missing (the release is damaged; `kcorpus check` names it)") from None
        return out
    for number, line in record_lines(release_dir):
        if ids is not None:
            match = ID_PREFIX.match(line)
            if match and json.loads(match.group(1)) not in ids:
                continue
        doc = parse_record(line, path, number)
        if ids is None or doc.id in ids:
            out[doc.id] = doc
    return out
