"""The error types the cleaners raise for input they cannot clean, or that is not an article."""


class CleaningError(ValueError):
    """A page that cannot be cleaned (empty, binary, not HTML, undecodable, no body found).

    The message is one line, fit for a command line or a quarantine record.
    """


class NotAnArticle(CleaningError):
    """A capture that is not an article (design.md, "Refusal"): never released, always counted.

    `kind` is one of REFUSAL_KINDS; `reason` says in words what the page showed (one line).
    """

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)  # the message stays the reason in words; `kind` classes it
        self.kind = kind
        self.reason = reason


# The kinds of refusal a report counts: a list or index page, an error page served as 200, a post that
# holds only an attachment, a page with no article text (empty post, only chrome).
REFUSAL_KINDS = ("list", "error", "attachment", "empty")


class SoftNotFound(NotAnArticle):
    """An error page served with status 200 (a site's "Page Not Found", GNUBoard's alert() page "글이
    존재하지 않습니다"): the URL names no document any more. The crawl counts it as gone, like a 404.

    `reason` names what the page said (one line).
    """

    def __init__(self, reason: str):
        CleaningError.__init__(self, f"error page served as 200: {reason}")
        self.kind = "error"
        self.reason = reason
