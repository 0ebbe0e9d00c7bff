"""Id rules: which document ids and site names are well-formed (and so safe as file names).

A document id is "<site>-<local id from the URL>", e.g. kancc-heigo-504 or
globalsecurity-dprk-100914-kcna01; file names are built only from ids that match these patterns,
never from URL text.

>>> bool(ID_PATTERN.match("kancc-heigo-504")), bool(ID_PATTERN.match("../etc/passwd"))
(True, False)
"""

from __future__ import annotations

import re

ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*-[a-z0-9][a-z0-9._-]*$")
SITE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

