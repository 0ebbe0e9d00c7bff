"""The error types the cleaners raise for input they cannot clean."""


class CleaningError(ValueError):
    """A page that cannot be cleaned (empty, binary, not HTML, undecodable, no body found).

    The message is one line, fit for a command line or a quarantine record.
    """


class SoftNotFound(CleaningError):
    """An error page served with status 200 (a site's "Page Not Found", GNUBoard's alert() page "글이
    존재하지 않습니다"): the URL names no document any more. The crawl counts it as gone, like a 404.

    `reason` names what the page said (one line).
    """

    def __init__(self, reason: str):
        super().__init__(f"error page served as 200: {reason}")
        self.reason = reason
