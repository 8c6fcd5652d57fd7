"""The editable fields of each level, validated once for forms, imports and the catalogue.

Each schema accepts loose input (synonyms, stray whitespace, comma-separated
lists) and yields the canonical values stored in the database. Validation
errors come back as `Problem`s naming the field, so every caller can say
where the problem is in its own terms (form field, sheet column, TOML key).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from reqtrace.vocab import (
    CAPABILITY,
    DEPLOYMENT,
    KIND,
    MANAGEMENT,
    PERSPECTIVE,
    PRIORITY,
    STATUS,
    UnknownValue,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]*$")
HID = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,39}$")
MAX_WEIGHT = 1000.0
MAX_TIMEBOX = 240


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def split_list(value: Any) -> list[str]:
    """Accept a list or a comma/semicolon/newline separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;\n]", value) if part.strip()]
    if isinstance(value, (list, tuple)):
        return [str(part).strip() for part in value if str(part).strip()]
    raise ValueError("expected a list or a comma-separated text")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("expected text")
    # Normalise line endings so a round-trip through Excel or a browser changes nothing.
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _vocab(vocabulary, value: Any) -> str:
    try:
        return vocabulary.parse(value)
    except UnknownValue as error:
        raise ValueError(str(error)) from None


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str
    owner: str | None = None

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        text = _text(value)
        if not text:
            raise ValueError("a title is required")
        if "\n" in text:
            raise ValueError("a title is one line")
        if len(text) > 300:
            raise ValueError(f"a title has at most 300 characters (this one has {len(text)})")
        return text

    @field_validator("owner", mode="before")
    @classmethod
    def _owner(cls, value: Any) -> str | None:
        text = _text(value)
        return text or None


class StrategyFields(_Fields):
    statement: str = ""
    sponsor: str = ""
    perspective: str = "customer"
    segment: str = ""
    kpi: str = ""
    target: str = ""

    _texts = field_validator("statement", "sponsor", "segment", "kpi", "target", mode="before")(
        classmethod(lambda cls, value: _text(value)))

    @field_validator("perspective", mode="before")
    @classmethod
    def _perspective(cls, value: Any) -> str:
        return _vocab(PERSPECTIVE, value)


class RoleFields(_Fields):
    from_state: str = ""
    to_state: str = ""
    department: str = ""
    description: str = ""

    _texts = field_validator("from_state", "to_state", "department", "description", mode="before")(
        classmethod(lambda cls, value: _text(value)))


class ProcessFields(_Fields):
    description: str = ""
    steps: list[str] = []
    management: str = "balanced-flow"
    bottleneck: str = ""
    peak_demand: str = ""

    _texts = field_validator("description", "bottleneck", "peak_demand", mode="before")(
        classmethod(lambda cls, value: _text(value)))

    @field_validator("steps", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            # One step per line; a leading "1." or "-" is list decoration, not content.
            lines = [re.sub(r"^\s*(?:\d+[.)]|[-*•])\s*", "", line) for line in value.splitlines()]
            return [line.strip() for line in lines if line.strip()]
        if isinstance(value, (list, tuple)):
            return [_text(step) for step in value if _text(step)]
        raise ValueError("expected a list of steps or one step per line")

    @field_validator("management", mode="before")
    @classmethod
    def _management(cls, value: Any) -> str:
        return _vocab(MANAGEMENT, value)


class RequirementFields(_Fields):
    statement: str = ""
    acceptance: str = ""
    kind: str = "process-control"
    capability: str = "technology"
    priority: str = "should"
    weight: float | None = None
    tags: list[str] = []
    excluded_deployments: list[str] = []
    timebox_minutes: int | None = None
    custom_fields: dict[str, str] = {}

    _texts = field_validator("statement", "acceptance", mode="before")(
        classmethod(lambda cls, value: _text(value)))

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        return _vocab(KIND, value)

    @field_validator("capability", mode="before")
    @classmethod
    def _capability(cls, value: Any) -> str:
        return _vocab(CAPABILITY, value)

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> str:
        return _vocab(PRIORITY, value)

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, value: Any) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            weight = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a number") from None
        if not math.isfinite(weight) or not 0 <= weight <= MAX_WEIGHT:
            raise ValueError(f"a weight is a number from 0 to {MAX_WEIGHT:g}")
        return weight

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> list[str]:
        tags: list[str] = []
        for tag in split_list(value):
            slug = re.sub(r"\s+", "-", tag.lower())
            if not SLUG.match(slug):
                raise ValueError(f"tag {tag!r} may hold only letters, digits and dashes")
            if slug not in tags:
                tags.append(slug)
        return tags

    @field_validator("excluded_deployments", mode="before")
    @classmethod
    def _excluded(cls, value: Any) -> list[str]:
        models: list[str] = []
        for item in split_list(value):
            slug = _vocab(DEPLOYMENT, item)
            if slug not in models:
                models.append(slug)
        return models

    @field_validator("timebox_minutes", mode="before")
    @classmethod
    def _timebox(cls, value: Any) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            minutes = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a number of minutes") from None
        if not math.isfinite(minutes) or minutes != int(minutes) or not 1 <= minutes <= MAX_TIMEBOX:
            raise ValueError(f"a timebox is a whole number of minutes from 1 to {MAX_TIMEBOX}")
        return int(minutes)

    @field_validator("custom_fields", mode="before")
    @classmethod
    def _custom(cls, value: Any) -> dict[str, str]:
        if not value:
            return {}
        if not isinstance(value, dict):
            raise ValueError("expected a mapping of column name to text")
        return {str(key).strip(): "" if item is None else str(item) for key, item in value.items()}


SCHEMAS: dict[str, type[_Fields]] = {
    "strategy": StrategyFields,
    "role": RoleFields,
    "process": ProcessFields,
    "requirement": RequirementFields,
}

# Fields whose change alters what an item means: they make links below it suspect.
CONTENT_FIELDS: dict[str, tuple[str, ...]] = {
    "strategy": ("title", "statement", "sponsor", "perspective", "segment", "kpi", "target"),
    "role": ("title", "from_state", "to_state", "department", "description"),
    "process": ("title", "description", "steps", "management", "bottleneck", "peak_demand"),
    "requirement": ("title", "statement", "acceptance", "kind", "capability", "priority", "weight",
                    "tags", "excluded_deployments", "timebox_minutes"),
}
EDITABLE_FIELDS: dict[str, tuple[str, ...]] = {
    kind: fields + ("owner",) + (("custom_fields",) if kind == "requirement" else ())
    for kind, fields in CONTENT_FIELDS.items()
}


def validate_fields(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Validate `data` for `kind`; return (canonical fields, []) or (None, problems)."""
    try:
        model = SCHEMAS[kind].model_validate(data)
    except ValidationError as error:
        return None, problems_from(error)
    return model.model_dump(), []


def validate_status(value: Any) -> str:
    try:
        return STATUS.parse(value)
    except UnknownValue as error:
        raise ValueError(str(error)) from None


def problems_from(error: ValidationError) -> list[Problem]:
    problems = []
    for detail in error.errors():
        field = ".".join(str(part) for part in detail["loc"]) if detail["loc"] else ""
        message = detail["msg"]
        if detail["type"] == "extra_forbidden":
            message = "is not a known field"
        elif detail["type"] == "missing":
            message = "is required"
        else:
            message = message.removeprefix("Value error, ")
        problems.append(Problem(field, message))
    return problems
