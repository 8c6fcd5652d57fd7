"""Refusals the user can act on: each message says what is wrong and where."""

from __future__ import annotations

from reqtrace.schemas import Problem


class ServiceError(Exception):
    """Base class: the operation was refused and nothing was written."""


class NotFound(ServiceError):
    pass


class Invalid(ServiceError):
    def __init__(self, problems: list[Problem], message: str | None = None):
        self.problems = problems
        super().__init__(message or "; ".join(str(problem) for problem in problems))


class Conflict(ServiceError):
    """The change collides with existing data (a duplicate ID, a taken name)."""


class VersionConflict(ServiceError):
    """Someone else saved the item since this edit began."""

    def __init__(self, *, hid: str, expected: int, current: dict, attempted: dict):
        self.hid, self.expected, self.current, self.attempted = hid, expected, current, attempted
        super().__init__(
            f"{hid} was changed by someone else (you edited version {expected}, it is now version "
            f"{current.get('version')}). Your changes were not saved; compare both versions and save again.")


class PermissionDenied(ServiceError):
    pass


class SelectionRefused(ServiceError):
    """Some items of a selection cannot take the change as it was shown; none of them took it.

    `reasons` maps each such item's ID to why, in the order the items were listed (top-down).
    """

    def __init__(self, reasons: dict[str, str]):
        self.reasons = reasons
        named = "; ".join(f"{hid} {reason}" for hid, reason in reasons.items())
        super().__init__(f"Nothing was approved: {named}.")
