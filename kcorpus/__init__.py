"""kcorpus: the roof — the `kcorpus` command line and the Python entry points a researcher imports."""

from core.version import __version__

__all__ = ["__version__"]
