"""Recognising columns by name: the reqtrace headers and the synonyms other tools use.

A foreign workbook has a title block, blank rows and its own column names;
`find_header` picks the row that names the most known columns, and
`map_columns` turns its cells into fields. Users override any mapping
("Req text=statement", "Vendor notes=custom", "Internal=ignore").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reqtrace.formats import FormatError
from reqtrace.formats.layout import SHEETS
from reqtrace.formats.xlsx_reader import Sheet, column_letter

HEADER_SEARCH_ROWS = 30
CUSTOM, IGNORE = "custom", "ignore"

# Field -> names it goes by (compared after normalising case, spaces and punctuation).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "req id", "requirement id", "req no", "req nr", "requirement no", "requirement number",
           "uid", "ref", "ref no", "reference", "key", "item id", "number", "no", "nr", "#"),
    "title": ("title", "name", "summary", "short description", "heading", "requirement title", "short text"),
    "statement": ("statement", "requirement", "requirements", "description", "text", "requirement text",
                  "requirement description", "detail", "details", "req text", "full text", "specification"),
    "acceptance": ("acceptance criteria", "acceptance", "acceptance test", "verification", "fit criterion",
                   "how to verify", "test criteria"),
    "priority": ("priority", "criticality", "moscow", "importance", "prio", "must should could"),
    "kind": ("kind", "requirement kind", "support kind"),
    "capability": ("capability", "capability area"),
    "weight": ("weight", "weighting", "score weight"),
    "tags": ("tags", "tag", "labels", "keywords"),
    "excluded_deployments": ("excluded deployments", "excluded deployment models", "excludes deployment models"),
    "timebox_minutes": ("timebox (minutes)", "timebox", "timebox minutes", "demo minutes"),
    "owner": ("owner", "requirement owner", "author"),
    "status": ("status", "state"),
    "links": ("processes", "process", "process ids", "links", "link", "parent", "parents", "traces to",
              "supports"),
    "version": ("version",),
}
FIELDS = tuple(SYNONYMS)


def normalise(header: Any) -> str:
    return re.sub(r"[^a-z0-9#()]+", " ", str(header or "").lower()).strip()


_LOOKUP = {normalise(name): field_name for field_name, names in SYNONYMS.items() for name in names}


@dataclass(frozen=True)
class MappedColumn:
    index: int  # zero-based
    header: str
    field: str  # a field name, "custom" or "ignore"

    @property
    def letter(self) -> str:
        return column_letter(self.index)


def parse_overrides(pairs: list[str] | tuple[str, ...] | dict[str, str]) -> dict[str, str]:
    """'Column name=field' pairs to a normalised mapping; refuses unknown fields."""
    items = pairs.items() if isinstance(pairs, dict) else (_split_pair(pair) for pair in pairs)
    overrides: dict[str, str] = {}
    for header, target in items:
        target = target.strip().lower().replace(" ", "_")
        target = {"processes": "links", "text": "statement", "acceptance_criteria": "acceptance",
                  "timebox": "timebox_minutes", "excluded": "excluded_deployments"}.get(target, target)
        if target not in FIELDS and target not in (CUSTOM, IGNORE):
            raise FormatError(f"--map {header}={target}: {target!r} is not a field; use one of "
                              f"{', '.join(FIELDS)}, custom or ignore")
        overrides[normalise(header)] = target
    return overrides


def _split_pair(pair: str) -> tuple[str, str]:
    if "=" not in pair:
        raise FormatError(f"--map {pair!r}: write it as 'Column name=field'")
    header, target = pair.rsplit("=", 1)
    return header, target


def header_cells(sheet: Sheet, row: int) -> list[str]:
    """The header row's texts, a vertically merged header cell taking the text above it."""
    cells = [str(value).strip() if value not in (None, "") else "" for value in sheet.rows[row]]
    for (top, left), (bottom, _right) in sheet.merged:
        if top < row <= bottom and left < len(cells) and not cells[left]:
            above = sheet.rows[top][left] if left < len(sheet.rows[top]) else ""
            cells[left] = str(above or "").strip()
    return cells


def find_header(sheet: Sheet, overrides: dict[str, str], *, header_row: int | None = None) -> int | None:
    """The zero-based row that names the most known columns (at least two, one of them text)."""
    if header_row is not None:
        return header_row - 1 if 0 < header_row <= len(sheet.rows) else None
    best, best_score = None, 1
    for row in range(min(HEADER_SEARCH_ROWS, len(sheet.rows))):
        fields = [overrides.get(normalise(cell)) or _LOOKUP.get(normalise(cell)) for cell in header_cells(sheet, row)]
        score = sum(1 for field_name in fields if field_name and field_name not in (CUSTOM, IGNORE))
        if score > best_score and ("statement" in fields or "title" in fields):
            best, best_score = row, score
    return best


def map_columns(sheet: Sheet, row: int, overrides: dict[str, str], *, known: dict[str, str] | None = None
                ) -> list[MappedColumn]:
    """Each non-empty header cell of `row` with the field it feeds (custom when unknown)."""
    columns: list[MappedColumn] = []
    taken: set[str] = set()
    for index, header in enumerate(header_cells(sheet, row)):
        if not header:
            continue
        key = normalise(header)
        field_name = overrides.get(key) or (known or {}).get(key) or _LOOKUP.get(key) or CUSTOM
        if field_name not in (CUSTOM, IGNORE):
            if field_name in taken:
                # Two columns for one field: the first wins, the second is kept as a custom field.
                field_name = CUSTOM
            taken.add(field_name)
        columns.append(MappedColumn(index, header, field_name))
    return columns


def reqtrace_headers(kind: str) -> dict[str, str]:
    """The exact headers of a reqtrace workbook sheet, normalised, to their fields."""
    return {normalise(column.header): column.field for column in SHEETS[kind][1]}
