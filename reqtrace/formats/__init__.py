"""File formats: one module per format and direction (workbooks in and out)."""


class FormatError(ValueError):
    """A file that cannot be read or written; the message says what and where."""
