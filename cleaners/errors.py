"""The one error type the cleaners raise for input they cannot clean."""


class CleaningError(ValueError):
    """A page that cannot be cleaned (empty, binary, not HTML, undecodable, no body found).

    The message is one line, fit for a command line or a quarantine record.
    """
