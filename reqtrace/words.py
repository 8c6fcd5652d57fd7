"""Lists named in a message: "A, B and C", and "A, B and 3 more" when there are too many to name."""

from __future__ import annotations

from collections.abc import Sequence


def and_list(parts: Sequence[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def first_named(names: Sequence[str], shown: int) -> str:
    """The first `shown` names, and how many more there are: "REQ-1, REQ-2 and 8 more"."""
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")
