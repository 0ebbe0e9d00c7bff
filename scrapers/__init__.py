"""scrapers: discover article URLs, fetch them politely, and record every response (WARC + SQLite)."""
