"""kcorpus's version: stamped into WARC warcinfo, documents, TEI headers and release manifests."""

__version__ = "0.1.0"
