"""Write every HTTP exchange to WARC before anything parses it, and read captures back by offset."""

from __future__ import annotations

import errno
import io
import os
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from core.version import __version__

_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
WARC_VERSION = "WARC/1.1"
# WARC 1.1 section 6.7.3: the server answered a conditional request with 304 Not Modified.
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# Per-connection and framing headers: a 304 never updates them in a stored response (RFC 9111 3.2).
_NOT_FRESHENED = {"content-length", "connection", "keep-alive", "transfer-encoding", "te", "trailer",
                  "upgrade", "proxy-connection"}


def utc_now_iso() -> str:
    """Current time as a WARC-Date (ISO 8601, UTC, second precision)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class WrittenRecord:
    """Where a record landed: file name (relative to warc/), byte offset, record id, payload digest."""

    warc_file: str
    offset: int
    record_id: str
    payload_digest: str


class WarcWriteError(OSError):
    """A WARC record could not be written (the file was truncated back to its last whole record)."""


def describe_os_error(exc: OSError) -> str:
    """An OS error in words: ENOSPC and EDQUOT say "disk full", whatever the library wrapped them in."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "disk full (no space left on device)"
    return exc.strerror or str(exc)


class WarcStore:
    """Appends records to one WARC file per crawl run and site: warc/<run_id>-<site>.warc.gz.

    Each record is whole or absent: it is compressed in memory, appended with one loop of writes,
    then fsynced before `write_*` returns, so the crawl state written afterwards never points at bytes
    that are not on disk. With `group_sync=True` the fsync waits for `sync()`, which the crawler calls
    once per group of records and always before it commits the state rows that point at them (one
    fsync per group instead of up to three per page: a 304 is three records). When a write fails (ENOSPC on a full disk, EIO), the file is truncated back
    to the end of its last whole record and WarcWriteError is raised: a torn record never stays in
    the file for a retry to append after. A tail torn by a kill -9 mid-write is cut off the same way
    when the file is opened again (those bytes were never recorded in the crawl state).
    """

    def __init__(self, warc_dir: Path, run_id: str, site: str, replay_of: list[dict] | None = None,
                 info: dict[str, str] | None = None, group_sync: bool = False):
        """`replay_of`: [{"file", "sha256"}] of the WARC files this run replays (None for a live crawl);
        named in the warcinfo record, so the file itself says it is a replay and of what. `info`: extra
        warcinfo fields, e.g. {"source": "Wayback Machine"} for a backfill's file."""
        for part in (run_id, site):
            if not _SAFE_NAME.match(part):
                raise ValueError(f"unsafe WARC file name part: {part!r}")
        warc_dir.mkdir(parents=True, exist_ok=True)
        self.name = f"{run_id}-{site}.warc.gz"
        self.path = warc_dir / self.name
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.group_sync, self._unsynced = group_sync, False
        # create_* builds records; writing goes through _write (to memory first, then the file)
        self._writer = WARCWriter(io.BytesIO(), gzip=True, warc_version=WARC_VERSION)
        try:
            self._start(run_id, replay_of, info)
        except BaseException:   # a full disk refusing the warcinfo record: no descriptor left open
            self.close()        # (a long-lived process, a scheduler's, would hold the file forever)
            raise

    def _start(self, run_id: str, replay_of: list[dict] | None, info: dict | None) -> None:
        """Cut a torn tail left by a killed writer; begin a new file with its warcinfo record."""
        size = os.fstat(self._fd).st_size
        if size:
            whole = last_whole_record_end(self.path)
            if whole < size:
                os.ftruncate(self._fd, whole)
                os.fsync(self._fd)
        if os.fstat(self._fd).st_size == 0:
            fields = {"software": f"kcorpus/{__version__}", "format": "WARC File Format 1.1",
                      "isPartOf": run_id}
            if replay_of:
                fields["description"] = ("A replay: every response was served from archived WARC records, "
                                         "each record keeping its original WARC-Date")
                fields["replayOf"] = " ".join(f"{r['file']} sha256:{r['sha256']}" for r in replay_of)
            fields.update(info or {})
            info = self._writer.create_warcinfo_record(self.name, fields)
            self._write(info)

    def _write(self, *records) -> int:
        """Append `records` as one unit; returns the offset of the first. All or nothing on disk."""
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True, warc_version=WARC_VERSION)
        for record in records:
            writer.write_record(record)
        data = memoryview(buffer.getvalue())
        offset = os.fstat(self._fd).st_size
        try:
            written = 0
            while written < len(data):
                written += os.write(self._fd, data[written:])
            if self.group_sync:
                self._unsynced = True
            else:
                os.fsync(self._fd)
        except OSError as exc:
            try:
                os.ftruncate(self._fd, offset)
                os.fsync(self._fd)
            except OSError:
                pass  # the next open cuts the torn tail (last_whole_record_end)
            raise WarcWriteError(exc.errno, f"cannot write a WARC record to warc/{self.name}: "
                                            f"{describe_os_error(exc)}; the file was cut back to its "
                                            f"last whole record") from exc
        return offset

    def write_exchange(self, url: str, *, method: str, request_headers: list[tuple[str, str]],
                       status: int, reason: str, response_headers: list[tuple[str, str]],
                       body: bytes, warc_date: str, warc_headers: dict[str, str] | None = None,
                       request_body: bytes = b"") -> WrittenRecord:
        """Write a request/response pair; returns the response record's location and digests.

        `warc_headers` are added to both records (e.g. WARC-Source-URI for a copy from another archive);
        `request_body` is a POST's form as sent."""
        request = self._request_record(url, method, request_headers, warc_date, warc_headers, request_body)
        response = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(body),
            http_headers=StatusAndHeaders(f"{status} {reason or 'Unknown'}", response_headers,
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": warc_date, **(warc_headers or {})})
        request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
        offset = self._write(response, request)  # the pair is one unit: both on disk or neither
        return WrittenRecord(self.name, offset, response.rec_headers.get_header("WARC-Record-ID"),
                             response.rec_headers.get_header("WARC-Payload-Digest"))

    def write_copied_response(self, url: str, *, status: int, reason: str, response_headers: list[tuple[str, str]],
                              body: bytes, warc_date: str, warc_headers: dict[str, str],
                              how: dict[str, str]) -> WrittenRecord:
        """A response copied from another archive (the Wayback Machine), with no request record: kcorpus
        never sent the page's request, so it writes none. A `metadata` record concurrent to it says how
        the copy was obtained (`how`, as application/warc-fields). Both records are one unit on disk."""
        response = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(body),
            http_headers=StatusAndHeaders(f"{status} {reason or 'Unknown'}", response_headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": warc_date, **warc_headers})
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        metadata = self._metadata_record(url, how, warc_date, record_id)
        offset = self._write(response, metadata)
        return WrittenRecord(self.name, offset, record_id, response.rec_headers.get_header("WARC-Payload-Digest"))

    def write_copied_revisit(self, url: str, *, original: "StoredHead", payload_digest: str, warc_date: str,
                             warc_headers: dict[str, str], how: dict[str, str]) -> WrittenRecord:
        """Another archive's capture whose payload we already hold (its index names the same digest): an
        identical-payload-digest revisit repeating the held response's status and headers (so replay
        tools serve the payload), no request record, and a `metadata` record saying how it was known."""
        record = self._writer.create_revisit_record(
            url, digest=payload_digest, refers_to_uri=original.target_uri, refers_to_date=original.warc_date,
            http_headers=StatusAndHeaders(original.statusline, original.headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": warc_date, **warc_headers})
        record.rec_headers.add_header("WARC-Refers-To", original.record_id)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        offset = self._write(record, self._metadata_record(url, how, warc_date, record_id))
        return WrittenRecord(self.name, offset, record_id, payload_digest)

    def _metadata_record(self, url: str, fields: dict[str, str], warc_date: str, concurrent_to: str):
        text = "".join(f"{name}: {' '.join(str(value).split())}\r\n" for name, value in fields.items())
        return self._writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(text.encode("utf-8")), warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": warc_date, "WARC-Refers-To": concurrent_to,
                               "WARC-Concurrent-To": concurrent_to})

    def _request_record(self, url: str, method: str, request_headers: list[tuple[str, str]], warc_date: str,
                        warc_headers: dict[str, str] | None = None, body: bytes = b""):
        return self._writer.create_warc_record(
            url, "request", payload=io.BytesIO(body),
            http_headers=StatusAndHeaders(f"{method} {_request_target(url)} HTTP/1.1",
                                          request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Date": warc_date, **(warc_headers or {})})

    def write_revisit(self, url: str, *, refers_to: str, refers_to_date: str, payload_digest: str,
                      status: int, reason: str, response_headers: list[tuple[str, str]],
                      warc_date: str, request_headers: list[tuple[str, str]] | None = None,
                      method: str = "GET", refers_to_uri: str | None = None) -> WrittenRecord:
        """A full response whose payload we already hold (same digest): an identical-payload-digest
        revisit carrying the response's own status and headers, plus the request record."""
        record = self._writer.create_revisit_record(
            url, digest=payload_digest, refers_to_uri=refers_to_uri or url, refers_to_date=refers_to_date,
            http_headers=StatusAndHeaders(f"{status} {reason or 'Unknown'}", response_headers,
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": warc_date})
        record.rec_headers.add_header("WARC-Refers-To", refers_to)
        offset = self._write(record)
        if request_headers is not None:
            self._write_concurrent_request(url, method, request_headers, warc_date, record)
        return WrittenRecord(self.name, offset, record.rec_headers.get_header("WARC-Record-ID"), payload_digest)

    def write_not_modified(self, url: str, *, original: "StoredHead", payload_digest: str, reason: str,
                           response_headers: list[tuple[str, str]], request_headers: list[tuple[str, str]],
                           warc_date: str, method: str = "GET") -> WrittenRecord:
        """A conditional request answered 304 Not Modified, as three records:

        - the request (with its If-None-Match / If-Modified-Since);
        - a `revisit` record, WARC 1.1 profile server-not-modified, naming the capture it confirms
          (WARC-Refers-To, -Target-URI, -Date, and its payload digest). Its HTTP block is the stored
          response freshened by the 304 (RFC 9111 4.3.4: the 304's fields replace the stored ones):
          what the server said the page is at this date. Replay tools need that: pywb serves a revisit
          whose block says 304 as an empty 304, and only a non-3xx block makes it load the payload;
        - a `metadata` record holding the 304's own status line and headers exactly as received
          (application/warc-fields, skipped by replay indexers), so nothing the server sent is lost.
        Returns the revisit record's location.
        """
        record = self._writer.create_revisit_record(
            url, digest=payload_digest, refers_to_uri=original.target_uri, refers_to_date=original.warc_date,
            http_headers=StatusAndHeaders(original.statusline, freshened_headers(original.headers, response_headers),
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": warc_date})
        record.rec_headers.replace_header("WARC-Profile", SERVER_NOT_MODIFIED)
        record.rec_headers.add_header("WARC-Refers-To", original.record_id)
        offset = self._write(record)
        revisit_id = record.rec_headers.get_header("WARC-Record-ID")
        self._write_concurrent_request(url, method, request_headers, warc_date, record)
        as_received = "".join([f"http-status: 304 {reason or 'Not Modified'}\r\n"]
                              + [f"http-header: {name}: {value}\r\n" for name, value in response_headers])
        metadata = self._writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(as_received.encode("utf-8")),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": warc_date, "WARC-Refers-To": revisit_id,
                               "WARC-Concurrent-To": revisit_id})
        self._write(metadata)
        return WrittenRecord(self.name, offset, revisit_id, payload_digest)

    def _write_concurrent_request(self, url, method, request_headers, warc_date, response_record) -> None:
        request = self._request_record(url, method, request_headers, warc_date)
        request.rec_headers.add_header("WARC-Concurrent-To", response_record.rec_headers.get_header("WARC-Record-ID"))
        self._write(request)

    def write_failure(self, url: str, *, error: str, warc_date: str) -> WrittenRecord:
        """Record a fetch that produced no HTTP response (timeout, refused, too large ...)."""
        record = self._writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(f"fetch-error: {error}\n".encode("utf-8")),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": warc_date})
        offset = self._write(record)
        return WrittenRecord(self.name, offset, record.rec_headers.get_header("WARC-Record-ID"), "")

    def sync(self) -> None:
        """Make every record appended so far durable: the one fsync of a group (see group_sync)."""
        if self._unsynced and self._fd is not None:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                raise WarcWriteError(exc.errno, f"cannot sync warc/{self.name}: {describe_os_error(exc)}") from exc
            self._unsynced = False

    def close(self) -> None:
        """Close the file. Records appended since the last sync() are not synced here: under group_sync
        no state row points at them yet (the crawler syncs before it commits)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "WarcStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def last_whole_record_end(path: Path) -> int:
    """Byte offset just past the last record that reads back whole (digest-checked by warcio)."""
    end = 0
    try:
        with open(path, "rb") as fh:
            iterator = ArchiveIterator(fh, check_digests=True)
            for record in iterator:
                iterator.read_to_end(record)
                if record.digest_checker.problems:
                    break
                end = iterator.get_record_offset() + iterator.get_record_length()
    except Exception:  # warcio raises several kinds on a torn gzip member or header; all mean "stop here"
        pass
    return end


def record_ids_at(path: Path, offsets: set[int]) -> dict[int, str]:
    """The WARC-Record-ID of the record starting at each of `offsets` in one WARC file, read in one pass
    (offsets where no record starts are absent; reading stops at a torn tail)."""
    found: dict[int, str] = {}
    try:
        with open(path, "rb") as fh:
            iterator = ArchiveIterator(fh)
            for record in iterator:
                offset = iterator.get_record_offset()
                if offset in offsets:
                    found[offset] = record.rec_headers.get_header("WARC-Record-ID")
    except Exception:  # warcio raises several kinds on a torn member; the records before it stand
        pass
    return found


def freshened_headers(stored: list[tuple[str, str]], not_modified: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The stored response's headers updated by a 304 (RFC 9111 3.2 and 4.3.4): each field the 304
    carries replaces the stored field of that name; framing and per-connection fields are kept.

    >>> freshened_headers([("Content-Type", "text/html"), ("ETag", '"a"'), ("Content-Length", "9")],
    ...                   [("ETag", '"b"'), ("Date", "Sun, 01 Nov 2026 03:00:00 GMT"), ("Content-Length", "0")])
    [('Content-Type', 'text/html'), ('Content-Length', '9'), ('ETag', '"b"'), ('Date', 'Sun, 01 Nov 2026 03:00:00 GMT')]
    """
    updates = [(k, v) for k, v in not_modified if k.lower() not in _NOT_FRESHENED]
    replaced = {k.lower() for k, _ in updates}
    return [(k, v) for k, v in stored if k.lower() not in replaced] + updates


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class StoredResponse:
    """A response read back from WARC: status, headers (lower-case names) and the decoded body."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class StoredHead:
    """The WARC and HTTP head of a stored response record: what a revisit of it must name."""

    record_id: str
    warc_date: str
    target_uri: str
    statusline: str
    headers: list[tuple[str, str]]


def read_head(warc_dir: Path, warc_file: str, offset: int) -> StoredHead:
    """The head of the response record at `offset` in warc/<warc_file> (the payload is not read)."""
    if not _SAFE_NAME.match(warc_file):
        raise ValueError(f"unsafe WARC file name: {warc_file!r}")
    with open(warc_dir / warc_file, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                raise ValueError(f"record at {warc_file}:{offset} is a {record.rec_type}, not a response")
            head = record.http_headers
            return StoredHead(record.rec_headers.get_header("WARC-Record-ID"),
                              record.rec_headers.get_header("WARC-Date"),
                              record.rec_headers.get_header("WARC-Target-URI"),
                              head.statusline,
                              list(head.headers))
    raise ValueError(f"no record at {warc_file}:{offset}")


# Inflated bytes read back from one stored response at most: a WARC written elsewhere (or before the
# fetch counted inflated bytes) can hold a gzip bomb, gigabytes from a few hundred kilobytes.
READ_LIMIT = 32 * 1024 * 1024


def read_response(warc_dir: Path, warc_file: str, offset: int, limit: int = READ_LIMIT) -> StoredResponse:
    """Read the response record at `offset` in warc/<warc_file> (content-encoding undone, at most `limit`
    bytes of it: ValueError past that, naming the record)."""
    if not _SAFE_NAME.match(warc_file):
        raise ValueError(f"unsafe WARC file name: {warc_file!r}")
    with open(warc_dir / warc_file, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                raise ValueError(f"record at {warc_file}:{offset} is a {record.rec_type}, not a response")
            headers = {k.lower(): v for k, v in record.http_headers.headers}
            return StoredResponse(record.rec_headers.get_header("WARC-Target-URI"),
                                  int(record.http_headers.get_statuscode()), headers,
                                  _decoded_payload(record, headers, limit, f"{warc_file}:{offset}"))
    raise ValueError(f"no record at {warc_file}:{offset}")


def _decoded_payload(record, headers: dict[str, str], limit: int, where: str) -> bytes:
    """A response record's payload with its gzip/deflate content-encoding undone, every gzip member of it,
    at most `limit` bytes (ValueError past that: a decompression bomb). A payload whose coding does not
    decode is returned as stored, as warcio does; other codings (br) and chunked payloads (as other crawlers
    store them) are left to warcio, bounded too."""
    from scrapers.fetch import COMPRESSIONS, TooLarge, content_codings, inflate
    codings = content_codings(headers.get("content-encoding"))
    too_large = f"record at {where} inflates past {limit} bytes (a decompression bomb?): not read"
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    if chunked or (codings and not all(c in COMPRESSIONS for c in codings)):
        body = record.content_stream().read(limit + 1)   # warcio de-chunks, inflates block by block: bounded
    else:
        body = record.raw_stream.read(limit + 1)
        if codings and len(body) <= limit:
            try:
                body = inflate(body, codings, limit)
            except TooLarge:
                raise ValueError(too_large) from None
            except zlib.error:
                pass
    if len(body) > limit:
        raise ValueError(too_large)
    return body


def check_payload(warc_dir: Path, warc_file: str, offset: int, expected_digest: str) -> str | None:
    """Why the response at warc/<warc_file>:<offset> is not the payload `expected_digest` names
    (None when it is): the record's recorded digest and the digest of its bytes must both match."""
    from scrapers.fetch import payload_digest
    if not _SAFE_NAME.match(warc_file or ""):
        return f"unsafe WARC file name {warc_file!r}"
    path = warc_dir / warc_file
    if not path.exists():
        return f"warc/{warc_file} is missing"
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh)), None)
            if record is None or record.rec_type != "response":
                return f"warc/{warc_file}:{offset} holds no response record"
            recorded = record.rec_headers.get_header("WARC-Payload-Digest")
            actual = payload_digest(record.raw_stream.read())
    except Exception as exc:  # a torn or overwritten file: say where, never crash the check
        said = re.sub(r"[^\x20-\x7e]+", "?", f"{type(exc).__name__}: {exc}")   # warcio quotes the bytes it met
        return f"warc/{warc_file}:{offset} is unreadable: {said[:100]}{'…' if len(said) > 100 else ''}"
    if recorded != expected_digest:
        return f"warc/{warc_file}:{offset} records digest {recorded}, the release says {expected_digest}"
    if actual != expected_digest:
        return f"warc/{warc_file}:{offset}: payload bytes do not match their digest {expected_digest}"
    return None
