"""The data home: where kcorpus keeps every capture, document, verdict, release and report."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "./kcorpus-data"



@dataclass(frozen=True)
class DataHome:
    """The data home: every capture, document, verdict, release and report lives under `root`.

    Layout (each stage owns one folder and only reads the ones before it):
      warc/         raw captures, one WARC file per crawl run and site — never rewritten
      state.sqlite  crawl state: runs, URLs, captures (WARC file + offset, digests, validators)
      documents/    the current cleaned document per id: documents/<site>/<id>.json
      quarantine/   documents that failed validation, with their reasons: quarantine/<id>.json
      releases/     immutable release folders: releases/<version>/ and releases/latest
      reports/      GX Data Docs and audit reports
      gx/           the Great Expectations context (never in the working directory)
      watchlist.toml  the names and phrases the audit counts per release (optional)
    """

    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None) -> "DataHome":
        """Pick the data home: explicit argument, then $KCORPUS_HOME, then ./kcorpus-data."""
        chosen = home or os.environ.get("KCORPUS_HOME") or DEFAULT_HOME
        return cls(Path(chosen).expanduser().resolve())

    @property
    def warc_dir(self) -> Path:
        return self.root / "warc"

    @property
    def state_db(self) -> Path:
        return self.root / "state.sqlite"

    @property
    def documents_dir(self) -> Path:
        return self.root / "documents"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def releases_dir(self) -> Path:
        return self.root / "releases"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def watchlist(self) -> Path:
        """The researcher's watch-list (names and phrases counted in every audit); optional."""
        return self.root / "watchlist.toml"

    @property
    def gx_dir(self) -> Path:
        return self.root / "gx"

    def ensure(self) -> "DataHome":
        """Create the folders of the layout (idempotent)."""
        for path in (self.warc_dir, self.documents_dir, self.quarantine_dir,
                     self.releases_dir, self.reports_dir, self.gx_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self
