"""Export a project's chain as the reqtrace requirements workbook (see `layout`).

The hidden metadata sheet names the project and its origin (`project_origin`), so the
import can tell a workbook of this project from one of a project with the same key in
another reqtrace database, which must not overwrite or retire this one's items.
"""

from __future__ import annotations

import hashlib
from datetime import timezone
from typing import IO, Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlmodel import Session

from reqtrace import __version__
from reqtrace.formats import Progress, report_rows
from reqtrace.formats.layout import (
    FORMAT_NAME,
    FORMAT_VERSION,
    INSTRUCTIONS_SHEET,
    META_SHEET,
    PRIORITY_CHOICES,
    SHEETS,
)
from reqtrace.formats.xlsx_writer import SheetColumn, SheetWriter, text_rows
from reqtrace.model import ITEM_MODELS, LEVELS, LINKS_UP, Project, as_utc, utcnow
from reqtrace.trace.graph import hid_key, nogc


@nogc
def export_requirements(session: Session, project: Project, target: str | IO[bytes], *, actor: str,
                        progress: Progress | None = None) -> dict[str, Any]:
    """Write every item of every level (retired ones too, marked so) to `target`."""
    workbook = Workbook(write_only=True)
    _instructions(workbook, project)
    counts: dict[str, int] = {}
    for kind in LEVELS:
        sheet_name, columns = SHEETS[kind]
        rows, custom_names = _rows(session, project, kind)
        sheet_columns = [SheetColumn(c.header, c.width, c.locked, c.wrap, c.dropdown) for c in columns]
        sheet_columns += [SheetColumn(name, 20) for name in custom_names]
        writer = SheetWriter(workbook, sheet_name, sheet_columns)
        fields = [column.field for column in columns]
        total, stage = len(rows), f"writing {sheet_name}"
        for index, row in enumerate(rows, start=1):
            values = [cell_value(field, row) for field in fields]
            if custom_names:
                custom = row.get("custom_fields") or {}
                values += [custom.get(name) or None for name in custom_names]
            writer.append(values)
            report_rows(progress, stage, index, total)
        writer.finish()
        counts[sheet_name] = total
    metadata = [["format", FORMAT_NAME], ["format_version", FORMAT_VERSION], ["project", project.key],
                ["origin", project_origin(project)], ["exported_at", utcnow().isoformat()],
                ["exported_by", actor], ["reqtrace", __version__]]
    text_rows(workbook, META_SHEET, metadata, [20, 40])
    workbook.worksheets[-1].sheet_state = "veryHidden"
    workbook.save(target)
    return {"project": project.key, "sheets": counts}


def project_origin(project: Project) -> str:
    """Which project of which reqtrace database this is, as a short hex string, derived from stored data.

    A digest of the project's row ID and creation time (to the microsecond): a backup restored, or a copy
    of the database, keeps both and so its origin, as it keeps the issued questionnaires the questionnaire
    import recognises; a project of the same key created in another database has another. Nothing is stored
    for it, so an export stays read-only.
    """
    created = as_utc(project.created_at).astimezone(timezone.utc).isoformat(timespec="microseconds")
    return hashlib.sha256(f"reqtrace project {project.id} {created}".encode()).hexdigest()[:16]


def _rows(session: Session, project: Project, kind: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The level's items as dicts (one query) with their upward links (one more)."""
    model = ITEM_MODELS[kind]
    fields = [column.field for column in SHEETS[kind][1] if column.field not in ("id", "links")]
    names = ["id", "hid", *fields] + (["custom_fields"] if kind == "requirement" else [])
    statement = select(*(getattr(model, name) for name in names)).where(model.project_id == project.id) \
        .order_by(model.seq, model.hid)
    rows = [dict(zip(names, row)) for row in session.exec(statement)]
    if kind in LINKS_UP:
        spec = LINKS_UP[kind]
        table, upper = spec.model.__table__, ITEM_MODELS[spec.upstream]
        links: dict[int, list[str]] = {}
        for down, up_hid in session.exec(
                select(getattr(table.c, spec.downstream_column), upper.hid)
                .join(upper, upper.id == getattr(table.c, spec.upstream_column))
                .where(table.c.project_id == project.id)):
            links.setdefault(down, []).append(up_hid)
        for row in rows:
            row["links"] = ", ".join(sorted(links.get(row["id"], ()), key=hid_key))
    custom_names: list[str] = []
    if kind == "requirement":
        seen: dict[str, None] = {}
        for row in rows:
            for name in row.get("custom_fields") or {}:
                seen.setdefault(name, None)
        custom_names = list(seen)
    return rows, custom_names


def cell_value(field: str, row: dict[str, Any]) -> Any:
    """What the workbook shows for one field of a stored item (the importer compares against it)."""
    if field == "id":
        return row["hid"]
    value = row.get(field)
    if field == "priority":
        return PRIORITY_CHOICES[("must", "should", "could", "wont").index(value)] if value else None
    if field == "steps":
        return "\n".join(value or []) or None
    if field in ("tags", "excluded_deployments"):
        return ", ".join(value or []) or None
    if value == "" or value is None:
        return None
    return value


def _instructions(workbook: Workbook, project: Project) -> None:
    lines: list[list[Any]] = [
        [f"Requirements workbook of project {project.key}: {project.name}"],
        [""],
        ["How to use this workbook"],
        ["• One sheet per level of the chain: Strategies drive Roles, Roles run Processes, Processes are "
         "supported by Requirements."],
        ["• Links point upward as comma-separated IDs: a role lists its Strategies, a process its Roles, a "
         "requirement its Processes."],
        ["• Edit any white cell. ID and Version belong to reqtrace and are locked (Review > Unprotect Sheet "
         "if you must; reqtrace still ignores changes to them)."],
        ["• To add an item, fill a new row and leave its ID blank: reqtrace gives it the next ID on import."],
        ["• To retire an item, set its Status to retired, or delete its row: items missing from a reqtrace "
         "workbook are retired on import, never deleted."],
        ["• Columns after Version on the Requirements sheet are custom fields and come back as they are."],
        ["• Import with `reqtrace import requirements FILE --project KEY --dry-run` (or the web page) to see "
         "what would change before applying it."],
        [""],
        ["Columns"],
    ]
    for kind in LEVELS:
        sheet_name, columns = SHEETS[kind]
        for column in columns:
            allowed = f" Allowed: {', '.join(column.dropdown)}." if column.dropdown else ""
            lines.append([f"{sheet_name} · {column.header}", (column.help + allowed).strip()])
    text_rows(workbook, INSTRUCTIONS_SHEET, lines, [34, 110])
