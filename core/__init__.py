"""The ground floor: what every stage shares and nothing else — the data model (Capture, Document,
repair records, id rules), site profiles, the data-home layout, the version. It imports no stage."""
