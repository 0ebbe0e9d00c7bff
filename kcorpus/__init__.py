"""kcorpus: the roof — the `kcorpus` command line and the Python entry points a researcher imports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from core.version import __version__


class LoadedRelease(NamedTuple):
    """A release, loaded: `documents` (an iterator of core.document.Document, read lazily) and `frame`
    (a pandas DataFrame, one typed row per document; the release README's codebook says each column)."""

    documents: Iterator
    frame: object


def load_release(path_or_version: str | Path = "latest", home: str | Path | None = None) -> LoadedRelease:
    """Load a release: a release folder, a version under the data home, or "latest" (the default).

    home   the data home holding the releases (default: $KCORPUS_HOME, else ./kcorpus-data)

    >>> docs, df = load_release("latest")                      # doctest: +SKIP
    """
    from core.datahome import DataHome
    from corpus.load import read_frame, resolve_release
    from corpus.manifest import iter_documents

    path = resolve_release(path_or_version, DataHome.resolve(home))
    return LoadedRelease(iter_documents(path), read_frame(path))


__all__ = ["LoadedRelease", "__version__", "load_release"]
