"""Capture: one archived HTTP exchange, as recorded in WARC and the crawl state."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# A 404 a replay server (replay/server.py) makes up for a URL its WARCs do not hold carries this header:
# the site was not asked, so the page is "not checked" this run, never "deleted upstream"
# (scrapers.answers.retires reads it; the replay sets it).
REPLAY_MISSING_HEADER = "X-Kcorpus-Replay"
REPLAY_MISSING_VALUE = "not-in-snapshot"


@dataclass(frozen=True)
class Capture:
    """One archived response. Never modified or deleted once written.

    `warc_file` is relative to the data home's warc/ folder; `warc_offset` is the byte offset of
    the WARC response (or revisit) record; `payload_digest` is the WARC-Payload-Digest
    ("sha1:<base32>") of the response body, so identical bodies share a digest across crawls.
    """

    url: str
    site: str
    status: int
    headers: dict[str, str]
    payload_digest: str
    warc_file: str
    warc_offset: int
    record_id: str
    captured_at: str  # ISO 8601, UTC, e.g. 2026-11-24T10:00:00Z
    run_id: str = ""
    error: str | None = None  # set when no usable response was received (timeout, refused ...)
    extra: dict = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Capture":
        return cls(**data)

    def provenance(self) -> dict:
        """The part of a capture a document carries with it (and a TEI header cites): the capture's
        WARC record id (plain urn:uuid:…), the payload's record as WARC file (under warc/) and offset,
        and the run's WACZ package (under wacz/), which holds that WARC file too."""
        from core.datahome import wacz_name

        return {
            "record_id": plain_record_id(self.record_id),
            "wacz_file": wacz_name(self.run_id) if self.run_id else None,
            "payload_digest": self.payload_digest,
            "warc_file": self.warc_file,
            "warc_offset": self.warc_offset,
            "captured_at": self.captured_at,
            "run_id": self.run_id,
        }


def plain_record_id(record_id: str) -> str:
    """A WARC-Record-ID as citable text: `<urn:uuid:…>` (the WARC header's form) -> `urn:uuid:…`.

    >>> plain_record_id("<urn:uuid:0f6a7e1c-3b8e-4d36-9a43-2f3c1d5e6a7b>")
    'urn:uuid:0f6a7e1c-3b8e-4d36-9a43-2f3c1d5e6a7b'
    """
    return record_id[1:-1] if record_id.startswith("<") and record_id.endswith(">") else record_id
