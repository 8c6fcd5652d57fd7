"""Read an evaluator's filled-in paper checklist into the vendor's current demo session.

A paper checklist is handed in when it is filled in, so importing it also submits that evaluator's scores
in the session: they count from then on, and later changes are corrections, as on the live checklist.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from reqtrace import audit
from reqtrace.formats.checklist_export import FORMAT_NAME, META_SHEET, SHEET
from reqtrace.formats.xlsx_reader import MAX_UPLOAD_BYTES, column_letter, open_workbook
from reqtrace.model import ChecklistResult, PocScript, Project, Step, Vendor, utcnow
from reqtrace.services.checklists import submit
from reqtrace.services.errors import Invalid
from reqtrace.services.sessions import add_attendee, create_session, current_session
from reqtrace.vocab import VERDICT, UnknownValue

MAX_SCORE = 5


def import_checklist(session: Session, project: Project, vendor: Vendor, path: str | Path, *, evaluator: str,
                     actor: str, max_bytes: int = MAX_UPLOAD_BYTES) -> dict[str, Any]:
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    summary: dict[str, Any] = {"applied": False, "added": 0, "changed": 0, "unchanged": 0, "removed": 0,
                               "errors": errors, "warnings": warnings, "project": project.key,
                               "vendor": vendor.slug, "evaluator": evaluator}
    workbook = open_workbook(path, max_bytes=max_bytes)
    meta_sheet = workbook.sheets.get(META_SHEET)
    meta = {str(r[0]): str(r[1]) for r in meta_sheet.rows if len(r) >= 2 and r[0]} if meta_sheet else {}
    if meta.get("format") != FORMAT_NAME or SHEET not in workbook.sheets:
        errors.append(_error(None, None, None, "this is not a reqtrace checklist; print one with "
                                               "`reqtrace export checklist`"))
        return summary
    if meta.get("project") != project.key:
        errors.append(_error(META_SHEET, None, None, f"this checklist belongs to project {meta.get('project')!r}"))
        return summary
    if meta.get("vendor") != vendor.slug:
        errors.append(_error(META_SHEET, None, None, f"this checklist is for vendor {meta.get('vendor')!r}; it "
                                                     f"cannot be recorded for {vendor.slug!r}"))
        return summary
    version = int(float(meta.get("script_version") or 0))
    script = session.exec(select(PocScript).where(PocScript.project_id == project.id,
                                                  PocScript.version == version)).scalars().first()
    if script is None:
        errors.append(_error(META_SHEET, None, None, f"script version {version} no longer exists"))
        return summary
    # A score counts for what the step cites in the version the evaluator held, so a checklist goes into the
    # vendor's latest session on that version, or into a new one.
    demo = current_session(session, vendor, script=script)
    known = set(session.exec(select(Step.hid).where(Step.script_id == script.id)).scalars())
    entries, blank = _rows(workbook.sheets[SHEET], known, errors)
    # What the good rows would add, as every import reports it, refused or not (applied says which).
    summary["added"], summary["unchanged"] = len(entries), blank  # unchanged: the step rows left blank on paper
    if errors:
        return summary
    try:
        if demo is None:
            demo = create_session(session, project, vendor, script, actor=actor, title=f"{vendor.name} demonstration")
            summary["created_session"] = demo.id
        add_attendee(session, project, demo, evaluator, actor=actor, handing_in=True)  # submitted below
    except Invalid as error:
        errors.append(_error(None, None, None, str(error)))
        return summary
    now = utcnow()
    for entry in entries:
        session.add(ChecklistResult(session_id=demo.id, step=entry["step"], evaluator=evaluator,
                                    verdict=entry["verdict"], score=entry["score"], note=entry["note"],
                                    recorded_at=now, received_at=now, client_id=f"paper-{uuid.uuid4()}",
                                    source="paper"))
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type="checklist", entity_id=str(demo.id),
                 action="import", after={"evaluator": evaluator, "vendor": vendor.slug, "entries": len(entries)})
    submit(session, project, demo, evaluator)  # the sheet was handed in: its scores count
    summary.update(applied=True, session=demo.id, submitted=True)
    return summary


def _rows(sheet, known: set[str], errors: list) -> tuple[list[dict[str, Any]], int]:
    """The filled-in rows as entries, and how many step rows were left blank."""
    header = [str(cell).strip() for cell in (sheet.rows[0] if sheet.rows else [])]
    position = {name: header.index(name) for name in ("Step", "Verdict", "Score (0-5)", "Notes") if name in header}
    if len(position) < 4:
        errors.append(_error(SHEET, 1, None, "the columns Step, Verdict, Score (0-5) and Notes must stay as printed"))
        return [], 0
    entries = []
    blank = 0
    for index, row in enumerate(sheet.rows[1:], start=2):
        cell = lambda name: row[position[name]] if position[name] < len(row) else ""  # noqa: E731
        step = str(cell("Step")).strip()
        verdict_text, score_value, note = str(cell("Verdict")).strip(), cell("Score (0-5)"), str(cell("Notes")).strip()
        if not verdict_text and score_value in ("", None) and not note:
            blank += bool(step)  # a step nobody scored on paper; a wholly empty row is no step at all
            continue
        if step not in known:
            errors.append(_error(SHEET, index, column_letter(position["Step"]),
                                 f"{step or 'an empty step'} is not a step of the script this vendor performs"))
            continue
        reported = len(errors)  # every bad cell of the row is reported, not just the first
        verdict = ""
        if verdict_text:
            try:
                verdict = VERDICT.parse(verdict_text)
            except UnknownValue as error:
                errors.append(_error(SHEET, index, column_letter(position["Verdict"]), f"{step}: {error}"))
        score = None
        if score_value not in ("", None):
            try:
                score = float(score_value)
            except (TypeError, ValueError):
                score = float("nan")
            if not 0 <= score <= MAX_SCORE:
                errors.append(_error(SHEET, index, column_letter(position["Score (0-5)"]),
                                     f"{step}: the score {score_value!r} is not a number from 0 to {MAX_SCORE}"))
        if len(errors) > reported:
            continue
        if not verdict and score is None:
            blank += 1  # the step was not assessed: nothing to record
            continue
        entries.append({"step": step, "verdict": verdict, "score": score, "note": note})
    return entries, blank


def _error(sheet: str | None, row: int | None, column: str | None, message: str) -> dict[str, Any]:
    return {"sheet": sheet, "row": row, "column": column, "message": message}
