"""Any failure as the one line a user reads after `error:` (no traceback, Prefect's included)."""

from __future__ import annotations

import errno
import sqlite3

from scrapers.crawl import describe_sqlite_error
from scrapers.warcstore import WarcWriteError, describe_os_error


class BadOption(ValueError):
    """A command-line value the use case cannot take (an unknown site name, say): the CLI reports it as a
    usage error (exit 2). The message names the option and what it could have been."""

    def __init__(self, option: str, message: str):
        self.option = option
        super().__init__(f"{option}: {message}")


def describe_failure(exc: BaseException) -> str:
    """An exception in one line: a full disk, an unwritable crawl state or an unreadable file in words;
    a missing key by its message; anything else by the first line of its message."""
    if isinstance(exc, WarcWriteError):
        return exc.strerror
    from flows.server import embedded_disk_full
    if not isinstance(exc, OSError) and (words := embedded_disk_full()):
        return words   # an HTTP 500 from the embedded server, or the crashed run it left: its database is full
    if isinstance(exc, sqlite3.OperationalError):
        return f"a database of the data home could not be written: {describe_sqlite_error(exc)}"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" writing {exc.filename}" if exc.filename else ""
        return f"{describe_os_error(exc)}{where}; nothing already written was lost"
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{describe_os_error(exc)}{where}"
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
