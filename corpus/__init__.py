"""corpus: write TEI P5 documents, build immutable releases, and diff them for the audit."""
