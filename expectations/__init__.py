"""expectations: the Great Expectations quality gate that decides which documents may be released.

`validate_batch` (in expectations.gate) imports Great Expectations (~3 s) only when called, so
importing this package stays cheap for commands that never validate (e.g. `kcorpus clean`).
"""

from __future__ import annotations


def validate_batch(documents, **kwargs):
    """See expectations.gate.validate_batch."""
    import expectations.gate

    return expectations.gate.validate_batch(documents, **kwargs)


__all__ = ["validate_batch"]
