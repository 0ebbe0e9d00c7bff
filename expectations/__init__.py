"""expectations: the Great Expectations quality gate that decides which documents may be released."""
