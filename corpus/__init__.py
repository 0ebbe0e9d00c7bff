"""corpus: write TEI P5 documents, build immutable releases, read them back, and say what changed between them."""
