"""The editable fields of each level, validated once for forms, imports and the catalogue.

Each field has one cleaner: a plain function that accepts loose input
(synonyms, stray whitespace, comma-separated lists, numbers typed as text) and
returns the canonical value stored in the database, or raises ValueError with a
message a person understands. `validate_fields` runs them; problems come back
as `Problem`s naming the field, so every caller can say where the problem is
in its own terms (form field, sheet column, TOML key).

Plain functions rather than a validation library: a 10,000-row workbook import
validates 10,000 rows, and this is several times faster.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from reqtrace.vocab import (
    CAPABILITY,
    DEPLOYMENT,
    KIND,
    MANAGEMENT,
    PERSPECTIVE,
    PRIORITY,
    STATUS,
    UnknownValue,
    Vocabulary,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]*$")
MAX_HID = 40
HID = re.compile(rf"^[A-Za-z][A-Za-z0-9_.\-]{{0,{MAX_HID - 1}}}$")
MAX_WEIGHT = 1000.0
MAX_TIMEBOX = 240
MAX_TITLE = 300
MAX_TEXT = 32_767  # the most one Excel cell holds: every text must survive the workbook round-trip
MAX_ID = 2**31 - 1  # the largest id (or version) an INTEGER column holds on PostgreSQL: a larger one names nothing
_LIST_SPLIT = re.compile(r"[,;\n]")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


# --- cleaners: one per kind of value ----------------------------------------------------------

def split_list(value: Any) -> list[str]:
    """Accept a list or a comma/semicolon/newline separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in _LIST_SPLIT.split(value) if part.strip()]
    if isinstance(value, (list, tuple)):
        return [str(part).strip() for part in value if str(part).strip()]
    raise ValueError("expected a list or a comma-separated text")


# Characters no workbook cell (XML 1.0) can hold, nor a page show: control characters, lone surrogates and
# the two non-characters U+FFFE and U+FFFF. They never enter.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The same, or a line break to normalise: one search tells whether a text needs more than strip().
_UNUSUAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r\u2028\u2029\ud800-\udfff\ufffe\uffff]")
# Direction overrides and isolates: in a one-line title they can make it read backwards (a spoofing trick).
_BIDI_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def clean_text(value: Any) -> str:
    if value.__class__ is str and not _UNUSUAL.search(value):
        text = value.strip()
    else:
        text = _clean_unusual(value)
    if len(text) > MAX_TEXT:
        raise ValueError(f"a text has at most {MAX_TEXT:,} characters, the most one Excel cell holds "
                         f"(this one has {len(text):,})")
    return text


def _clean_unusual(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = f"{value:g}" if isinstance(value, float) else str(value)  # a cell typed as a number
    if not isinstance(value, str):
        raise ValueError("expected text")
    # Normalise line endings so a round-trip through Excel or a browser changes nothing.
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2028" in value or "\u2029" in value:  # Unicode's line and paragraph separators are line breaks too
        value = value.replace("\u2028", "\n").replace("\u2029", "\n")
    return XML_ILLEGAL.sub("", value).strip()


def clean_line(value: Any, what: str = "a title") -> str:
    """A one-line text as stored: clean_text without direction overrides (they can disguise a name)."""
    text = clean_text(value)
    if _BIDI_CONTROL.search(text):
        text = _BIDI_CONTROL.sub("", text).strip()
    if "\n" in text:
        raise ValueError(f"{what} is one line")
    return text


def clean_title(value: Any) -> str:
    text = clean_line(value)
    if not text:
        raise ValueError("a title is required")
    if len(text) > MAX_TITLE:
        raise ValueError(f"a title has at most {MAX_TITLE} characters (this one has {len(text)})")
    return text


def clean_owner(value: Any) -> str | None:
    return clean_text(value) or None


def _vocabulary(vocabulary: Vocabulary) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        try:
            return vocabulary.parse(value)
        except UnknownValue as error:
            raise ValueError(str(error)) from None
    return clean


def clean_steps(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        # One step per line, kept as written (stripping "1." would make a round-trip change them).
        steps = [line.strip() for line in clean_text(value).split("\n") if line.strip()]
    elif isinstance(value, (list, tuple)):
        steps = [step for step in (clean_text(item) for item in value) if step]
    else:
        raise ValueError("expected a list of steps or one step per line")
    length = sum(map(len, steps)) + len(steps) - 1
    if length > MAX_TEXT:  # the steps travel in one cell, a line each
        raise ValueError(f"the steps have at most {MAX_TEXT:,} characters in all, the most one Excel cell holds "
                         f"(these have {length:,})")
    return steps


def _number(value: Any, what: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not {what}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not {what}") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not {what}")
    return number


def clean_weight(value: Any) -> float | None:
    weight = _number(value, "a number")
    if weight is not None and not 0 <= weight <= MAX_WEIGHT:
        raise ValueError(f"a weight is a number from 0 to {MAX_WEIGHT:g}")
    return weight


def clean_timebox(value: Any) -> int | None:
    minutes = _number(value, "a number of minutes")
    if minutes is None:
        return None
    if minutes != int(minutes) or not 1 <= minutes <= MAX_TIMEBOX:
        raise ValueError(f"a timebox is a whole number of minutes from 1 to {MAX_TIMEBOX}")
    return int(minutes)


def clean_tags(value: Any) -> list[str]:
    tags: list[str] = []
    for tag in split_list(value):
        slug = "-".join(tag.lower().split())
        if not SLUG.match(slug):
            raise ValueError(f"tag {tag!r} may hold only letters, digits and dashes")
        if slug not in tags:
            tags.append(slug)
    return tags


_deployment = _vocabulary(DEPLOYMENT)


def clean_deployments(value: Any) -> list[str]:
    models: list[str] = []
    for item in split_list(value):
        slug = _deployment(item)
        if slug not in models:
            models.append(slug)
    return models


def clean_custom(value: Any) -> dict[str, str]:
    if not value:
        return {}
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of column name to text")
    return {clean_text(str(key)): clean_text(str(item)) if item is not None else ""
            for key, item in value.items()}


# --- the fields of each level: cleaner and default ---------------------------------------------

_REQUIRED = object()
FIELDS: dict[str, dict[str, tuple[Callable[[Any], Any], Any]]] = {
    "strategy": {
        "title": (clean_title, _REQUIRED), "statement": (clean_text, ""), "sponsor": (clean_text, ""),
        "perspective": (_vocabulary(PERSPECTIVE), "customer"), "segment": (clean_text, ""),
        "kpi": (clean_text, ""), "target": (clean_text, ""), "owner": (clean_owner, None),
    },
    "role": {
        "title": (clean_title, _REQUIRED), "from_state": (clean_text, ""), "to_state": (clean_text, ""),
        "department": (clean_text, ""), "description": (clean_text, ""), "owner": (clean_owner, None),
    },
    "process": {
        "title": (clean_title, _REQUIRED), "description": (clean_text, ""), "steps": (clean_steps, ()),
        "management": (_vocabulary(MANAGEMENT), "balanced-flow"), "bottleneck": (clean_text, ""),
        "peak_demand": (clean_text, ""), "owner": (clean_owner, None),
    },
    "requirement": {
        "title": (clean_title, _REQUIRED), "statement": (clean_text, ""), "acceptance": (clean_text, ""),
        "kind": (_vocabulary(KIND), "process-control"), "capability": (_vocabulary(CAPABILITY), "technology"),
        "priority": (_vocabulary(PRIORITY), "should"), "weight": (clean_weight, None), "tags": (clean_tags, ()),
        "excluded_deployments": (clean_deployments, ()), "timebox_minutes": (clean_timebox, None),
        "custom_fields": (clean_custom, {}), "owner": (clean_owner, None),
    },
}

# Fields whose change alters what an item means: they make links below it suspect.
CONTENT_FIELDS: dict[str, tuple[str, ...]] = {
    "strategy": ("title", "statement", "sponsor", "perspective", "segment", "kpi", "target"),
    "role": ("title", "from_state", "to_state", "department", "description"),
    "process": ("title", "description", "steps", "management", "bottleneck", "peak_demand"),
    "requirement": ("title", "statement", "acceptance", "kind", "capability", "priority", "weight",
                    "tags", "excluded_deployments", "timebox_minutes"),
}
# Fields written in Markdown: pages render them (reqtrace.richtext).
MARKDOWN_FIELDS: dict[str, tuple[str, ...]] = {"strategy": ("statement",), "role": ("description",),
                                               "process": ("description",), "requirement": ("statement", "acceptance")}
EDITABLE_FIELDS: dict[str, tuple[str, ...]] = {
    kind: fields + ("owner",) + (("custom_fields",) if kind == "requirement" else ())
    for kind, fields in CONTENT_FIELDS.items()
}


def defaults(kind: str) -> dict[str, Any]:
    """Each field's value when a source does not give it (a title has none)."""
    return {name: ("" if default is _REQUIRED else _fresh(default)) for name, (_clean, default) in FIELDS[kind].items()}


def validate_fields(kind: str, data: dict[str, Any], *,
                    partial: bool = False) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Clean `data` for `kind`: (canonical fields, []) or (None, problems).

    By default the result holds every field, defaults filled in. With
    `partial`, only the fields `data` names are cleaned and returned (an
    import that lacks a column leaves that field as it is).
    """
    spec = FIELDS[kind]
    clean: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in data.items():
        entry = spec.get(name)
        if entry is None:
            problems.append(Problem(name, "is not a known field"))
            continue
        try:
            clean[name] = entry[0](value)
        except ValueError as error:
            problems.append(Problem(name, str(error)))
    if not partial:
        for name, (_cleaner, default) in spec.items():
            if name not in data:
                if default is _REQUIRED:
                    problems.append(Problem(name, "is required"))
                else:
                    clean[name] = _fresh(default)
    if problems:
        return None, problems
    return clean, []


def validate_status(value: Any) -> str:
    try:
        return STATUS.parse(value)
    except UnknownValue as error:
        raise ValueError(str(error)) from None


def _fresh(default: Any) -> Any:
    """A new list or dict for each item, never a shared one."""
    if isinstance(default, tuple):
        return list(default)
    if isinstance(default, dict):
        return dict(default)
    return default
