"""kcorpus: shared core of the pipeline — data-home layout, site profiles and the CLI."""

__version__ = "0.1.0"
