"""Write every HTTP exchange to WARC before anything parses it, and read captures back by offset."""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from core.version import __version__

_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


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


class WarcStore:
    """Appends records to one WARC file per crawl run and site: warc/<run_id>-<site>.warc.gz.

    Each record is flushed and fsynced before `write_*` returns, so the crawl state written
    afterwards never points at bytes that are not on disk (a kill -9 loses at most the exchange in
    flight). Files are opened in append mode and never truncated or rewritten.
    """

    def __init__(self, warc_dir: Path, run_id: str, site: str, info: dict[str, str] | None = None):
        """`info`: extra warcinfo fields, e.g. {"source": "Wayback Machine"} for a backfill's file."""
        for part in (run_id, site):
            if not _SAFE_NAME.match(part):
                raise ValueError(f"unsafe WARC file name part: {part!r}")
        warc_dir.mkdir(parents=True, exist_ok=True)
        self.name = f"{run_id}-{site}.warc.gz"
        self.path = warc_dir / self.name
        self._fh = open(self.path, "ab")
        self._writer = WARCWriter(self._fh, gzip=True)
        if self._fh.tell() == 0:
            info = self._writer.create_warcinfo_record(self.name, {
                "software": f"kcorpus/{__version__}",
                "format": "WARC File Format 1.1",
                "isPartOf": run_id,
                **(info or {}),
            })
            self._write(info)

    def _write(self, record) -> int:
        offset = self._fh.tell()
        self._writer.write_record(record)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return offset

    def write_exchange(self, url: str, *, method: str, request_headers: list[tuple[str, str]],
                       status: int, reason: str, response_headers: list[tuple[str, str]],
                       body: bytes, warc_date: str, warc_headers: dict[str, str] | None = None) -> WrittenRecord:
        """Write a request/response pair; returns the response record's location and digests.

        `warc_headers` are added to both records (e.g. WARC-Source-URI for a copy from another archive)."""
        request = self._writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(f"{method} {_request_target(url)} HTTP/1.1",
                                          request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Date": warc_date, **(warc_headers or {})})
        response = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(body),
            http_headers=StatusAndHeaders(f"{status} {reason or 'Unknown'}", response_headers,
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": warc_date, **(warc_headers or {})})
        request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
        offset = self._write(response)
        self._write(request)
        return WrittenRecord(self.name, offset, response.rec_headers.get_header("WARC-Record-ID"),
                             response.rec_headers.get_header("WARC-Payload-Digest"))

    def write_revisit(self, url: str, *, refers_to: str, refers_to_date: str, payload_digest: str,
                      status: int, reason: str, response_headers: list[tuple[str, str]],
                      warc_date: str) -> WrittenRecord:
        """Record a response whose payload we already hold (304, or same digest): no second copy."""
        record = self._writer.create_revisit_record(
            url, digest=payload_digest, refers_to_uri=url, refers_to_date=refers_to_date,
            http_headers=StatusAndHeaders(f"{status} {reason or 'Unknown'}", response_headers,
                                          protocol="HTTP/1.1"))
        record.rec_headers.replace_header("WARC-Date", warc_date)
        record.rec_headers.add_header("WARC-Refers-To", refers_to)
        offset = self._write(record)
        return WrittenRecord(self.name, offset, record.rec_headers.get_header("WARC-Record-ID"), payload_digest)

    def write_failure(self, url: str, *, error: str, warc_date: str) -> WrittenRecord:
        """Record a fetch that produced no HTTP response (timeout, refused, too large ...)."""
        record = self._writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(f"fetch-error: {error}\n".encode("utf-8")),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": warc_date})
        offset = self._write(record)
        return WrittenRecord(self.name, offset, record.rec_headers.get_header("WARC-Record-ID"), "")

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "WarcStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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


def read_response(warc_dir: Path, warc_file: str, offset: int) -> StoredResponse:
    """Read the response record at `offset` in warc/<warc_file> (content-encoding undone)."""
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
                                  record.content_stream().read())
    raise ValueError(f"no record at {warc_file}:{offset}")
