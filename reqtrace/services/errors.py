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
