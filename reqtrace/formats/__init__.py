"""File formats: one module per format and direction (workbooks in and out)."""

from typing import Callable

# `progress(stage, done, total)`: how far a long read or write is, for the terminal or the web page.
Progress = Callable[[str, int, int], None]

# Rows between two progress reports: often enough to see a 10,000-row workbook move, rarely enough to cost
# nothing in the row loops.
PROGRESS_EVERY = 2000


class FormatError(ValueError):
    """A file that cannot be read or written; the message says what and where."""


def report_rows(progress: Progress | None, stage: str, done: int, total: int) -> None:
    """Tell `progress` about row `done` of `total`, but only every PROGRESS_EVERY rows and at the last one."""
    if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
        progress(stage, done, total)
