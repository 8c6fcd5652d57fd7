"""Read a vendor's answered questionnaire back, refusing one meant for someone else or altered.

Checks, in order: it is a reqtrace questionnaire; it was issued to this
project and this vendor by this database; no newer questionnaire from another
baseline has replaced it; the locked rows (ID and requirement text) are as
issued (a checksum, then row by row to say which); every answer is one of the
six. Any error stores nothing. Applying replaces all of the vendor's answers
at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from sqlmodel import Session

from reqtrace.formats import Progress, report_rows
from reqtrace.formats.questionnaire_export import (
    FORMAT_NAME,
    HEADERS,
    LOCKED,
    META_SHEET,
    SHEET,
    TEXT_FORMS,
    checksum,
    locked_values,
)
from reqtrace.formats.xlsx_reader import MAX_UPLOAD_BYTES, column_letter, open_workbook
from reqtrace.model import Project, QuestionnaireIssue, Requirement, Vendor
from reqtrace.services.baselines import baseline_state, get_baseline
from reqtrace.services.errors import NotFound
from reqtrace.services.responses import replace_answers, stored_responses
from reqtrace.services.scope import effective_weight
from reqtrace.trace.graph import hid_key
from reqtrace.vocab import ANSWER, UnknownValue
from reqtrace.words import first_named

UNANSWERED_NAMED = 20  # the unanswered requirements a warning names, before "and N more"
# What the vendor typed, unlike the locked columns (whose changes the checksum finds): a formula there with no
# calculated value would read as empty, an answer lost without a word.
ANSWERED = ("Answer", "Comment", "How we will demonstrate it")


def import_responses(session: Session, project: Project, vendor: Vendor, path: str | Path, *, actor: str,
                     dry_run: bool = False, max_bytes: int = MAX_UPLOAD_BYTES,
                     progress: Progress | None = None) -> dict[str, Any]:
    """Validate the answered questionnaire; unless `dry_run` or on any error, store its answers.

    `progress` hears of the rows read, then validated, then of the answers saved.
    """
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    workbook = open_workbook(path, max_bytes=max_bytes)
    summary = {"applied": False, "added": 0, "changed": 0, "unchanged": 0, "removed": 0, "answered": 0,
               "unanswered": 0, "rows": 0, "errors": errors, "warnings": warnings, "project": project.key,
               "vendor": vendor.slug}
    meta = workbook.sheets.get(META_SHEET)
    metadata = {str(row[0]): str(row[1]) for row in meta.rows if len(row) >= 2 and row[0]} if meta else {}
    if metadata.get("format") != FORMAT_NAME or SHEET not in workbook.sheets:
        errors.append(_error(None, None, None, "this is not a reqtrace questionnaire; answers must come back in "
                                               "the workbook `reqtrace export questionnaire` made"))
        return summary
    if progress:
        read = max(len(workbook.sheets[SHEET].rows) - 1, 0)  # below the header
        progress("read", read, read)
    issue = _check_issue(session, project, vendor, metadata, errors, warnings)
    if issue is None:
        return summary
    summary["baseline"] = issue.baseline
    rows = _answers(workbook.sheets[SHEET], errors, progress)
    if rows is None:
        return summary
    _check_locked_text(session, project, issue, rows, errors)
    ids = dict(session.exec(select(Requirement.hid, Requirement.id)
                            .where(Requirement.project_id == project.id)).all())
    stored = stored_responses(session, vendor)
    answers = {row["hid"]: row for row in rows if row["answer"]}
    # An answer outside the six is an error (reported above), not a blank: it is neither answered nor unanswered.
    blank = [row["hid"] for row in rows if not row["answer_text"]]
    summary["answered"], summary["unanswered"] = len(answers), len(blank)
    summary["rows"] = len(rows)
    if summary["unanswered"]:
        named = first_named(blank, UNANSWERED_NAMED)
        warnings.append(_error(SHEET, None, column_letter(4), f"{summary['unanswered']} requirement(s) have no "
                                                             f"answer ({named}): they are scored as unanswered"))
    for hid, row in answers.items():
        before = stored.get(hid)
        now = (row["answer"], row["comment"], row["demonstration"])
        summary["added" if before is None else "unchanged" if before == now else "changed"] += 1
    summary["removed"] = sum(1 for hid in stored if hid not in answers)
    if rows and not any(row["answer_text"] for row in rows):
        # Most likely the blank questionnaire as issued, uploaded by mistake: it would wipe every answer.
        # (Answers outside the list are reported above as what they are, not as a blank questionnaire.)
        errors.append(_error(SHEET, None, column_letter(4), "this questionnaire holds no answers at all, so "
                             "nothing was stored" + (f": storing it would remove the {len(stored)} answers "
                                                     f"stored for {vendor.slug}" if stored else "") +
                             ". Upload the workbook the vendor sent back with its answers"))
    elif summary["removed"]:
        warnings.append(_error(SHEET, None, column_letter(4), f"{summary['removed']} answer(s) stored for "
                               f"{vendor.slug} have no answer in this workbook: storing it removes them"))
    summary["answers"] = {hid: row["answer"] for hid, row in answers.items()}
    if errors or dry_run:
        return summary
    if progress:
        progress("save", 0, len(answers))
    _store(session, project, vendor, issue, answers, ids, stored, actor=actor)
    if progress:
        progress("save", len(answers), len(answers))  # one bulk write: there is nothing to count in between
    summary["applied"] = True
    return summary


def _check_issue(session: Session, project: Project, vendor: Vendor, metadata: dict[str, str],
                 errors: list, warnings: list) -> QuestionnaireIssue | None:
    if metadata.get("project") != project.key:
        errors.append(_error(META_SHEET, None, None, f"this questionnaire belongs to project "
                                                     f"{metadata.get('project')!r}, not {project.key!r}"))
        return None
    if metadata.get("vendor") != vendor.slug:
        errors.append(_error(META_SHEET, None, None, f"this questionnaire was issued to vendor "
                                                     f"{metadata.get('vendor')!r}; it cannot be read as the answers "
                                                     f"of {vendor.slug!r}"))
        return None
    issue = session.exec(select(QuestionnaireIssue).where(QuestionnaireIssue.token == metadata.get("issue"))
                         ).scalars().first()
    if issue is None or issue.project_id != project.id or issue.vendor_id != vendor.id:
        errors.append(_error(META_SHEET, None, None, "this questionnaire was not issued from this reqtrace "
                                                     "database; export a new one for the vendor"))
        return None
    if (metadata.get("baseline") or "") != issue.baseline:
        errors.append(_error(META_SHEET, None, None, "the questionnaire's baseline was altered"))
        return None
    latest = session.exec(select(QuestionnaireIssue).where(QuestionnaireIssue.vendor_id == vendor.id)
                          .order_by(QuestionnaireIssue.issued_at.desc(), QuestionnaireIssue.id.desc())
                          ).scalars().first()
    if latest is not None and latest.id != issue.id and latest.baseline != issue.baseline:
        errors.append(_error(META_SHEET, None, None, f"this questionnaire answers "
                                                     f"{_label(issue.baseline)}, but {vendor.slug} was since sent "
                                                     f"the questionnaire of {_label(latest.baseline)}: ask for "
                                                     "answers to that one"))
        return None
    return issue


def _answers(sheet, errors: list, progress: Progress | None = None) -> list[dict[str, Any]] | None:
    header = [str(cell).strip() for cell in (sheet.rows[0] if sheet.rows else [])]
    positions = {name: header.index(name) if name in header else None for name in HEADERS}
    missing = [name for name in ("ID", "Requirement", "Answer") if positions[name] is None]
    if missing:
        errors.append(_error(SHEET, 1, None, f"the header row lacks {', '.join(missing)}: the questionnaire's "
                                             "columns were changed"))
        return None
    cell = lambda row, name: row[positions[name]] if positions[name] is not None and positions[name] < len(row) \
        else ""  # noqa: E731
    rows, seen = [], set()
    total = len(sheet.rows) - 1
    for index, row in enumerate(sheet.rows[1:], start=2):
        if any(value not in ("", None) for value in row):  # a blank row is skipped, but counts as validated
            rows.append(_answer_row(row, index, cell, positions, seen, errors))
        report_rows(progress, "validate", index - 1, total)
    for row_index, column in sorted(sheet.formulas_without_value):
        name = next((name for name in ANSWERED if positions[name] == column), None)
        if name is not None and row_index > 0:
            errors.append(_error(SHEET, row_index + 1, column_letter(column),
                                 f"the {name} cell holds a formula with no calculated value: open and save the "
                                 "workbook in Excel or LibreOffice to calculate it, or type the value"))
    return rows


def _answer_row(row: list[Any], index: int, cell: Callable[[list[Any], str], Any], positions: dict[str, int | None],
                seen: set[str], errors: list) -> dict[str, Any]:
    """One questionnaire row, its answer checked against the six; `seen` catches an ID given twice."""
    hid = str(cell(row, "ID")).strip()
    answer_text = str(cell(row, "Answer")).strip()
    answer = ""
    if answer_text:
        try:
            answer = ANSWER.parse(answer_text)
        except UnknownValue:
            errors.append(_error(SHEET, index, column_letter(positions["Answer"]),
                                 f"{hid}: {answer_text!r} is not one of the answers ({', '.join(ANSWER.slugs)})"))
    if hid in seen:
        errors.append(_error(SHEET, index, column_letter(positions["ID"]), f"{hid} appears twice"))
    seen.add(hid)
    locked = tuple(str(cell(row, name) or "").replace("\r\n", "\n").strip() if name != "Requirement"
                   else str(cell(row, name) or "").replace("\r\n", "\n") for name in LOCKED)
    return {"hid": hid, "row": index, "locked": locked, "columns": positions,
            "answer": answer, "answer_text": answer_text, "comment": str(cell(row, "Comment") or "").strip(),
            "demonstration": str(cell(row, "How we will demonstrate it") or "").strip()}


def _check_locked_text(session: Session, project: Project, issue: QuestionnaireIssue, rows: list[dict],
                       errors: list) -> None:
    """The ID and requirement text of every row must be as issued; say which rows are not.

    The checksum decides. It was taken of the cells as written, in whichever form the Markdown texts were
    issued (plain text; the Markdown as written before), so an untouched questionnaire of either kind
    matches it, and any change does not. Only then is each cell compared with both forms, to say which
    cells changed.
    """
    if checksum([(row["hid"], row["locked"]) for row in rows]) == issue.checksum:
        return
    issued, exact = _issued_rows(session, project, issue)
    reported = False
    for row in rows:
        data = issued.get(row["hid"])
        if data is None:
            errors.append(_error(SHEET, row["row"], "A", f"{row['hid'] or 'a row'} was not in the questionnaire "
                                                         "as issued"))
            reported = True
            continue
        forms = [locked_values(data, form) for form in TEXT_FORMS]
        for index, (name, now) in enumerate(zip(LOCKED, row["locked"])):
            if all(expected[index] != now for expected in forms):
                position = row["columns"].get(name)
                errors.append(_error(SHEET, row["row"], column_letter(position) if position is not None else None,
                                     f"{row['hid']}: its locked {name} text was changed; answers must be "
                                     "given to the requirement as issued"))
                reported = True
    if exact:
        for hid in sorted(set(issued) - {row["hid"] for row in rows}, key=hid_key):
            errors.append(_error(SHEET, None, "A", f"{hid} was removed from the questionnaire"))
            reported = True
    if not reported:
        errors.append(_error(SHEET, None, None, "the rows are not as issued (they were reordered or edited); "
                                                "answer in the original questionnaire"))


def _issued_rows(session: Session, project: Project,
                 issue: QuestionnaireIssue) -> tuple[dict[str, dict[str, Any]], bool]:
    """The issued rows' data (for `locked_values`), and whether that set is exactly the issued one.

    A baseline is frozen, so its questionnaire can be rebuilt row for row; the
    approved set may have moved on since, so then only each row's text is compared.
    """
    if issue.baseline:
        try:
            state = baseline_state(session, get_baseline(session, project, issue.baseline))
        except NotFound:
            return {}, False
        return {hid: data for (kind, hid), data in state.items()
                if kind == "requirement" and effective_weight(data) > 0}, True
    rows = session.exec(select(Requirement.hid, Requirement.title, Requirement.statement, Requirement.acceptance,
                               Requirement.priority).where(Requirement.project_id == project.id)).all()
    return {hid: {"title": title, "statement": statement, "acceptance": acceptance, "priority": priority}
            for hid, title, statement, acceptance, priority in rows}, False


def _store(session: Session, project: Project, vendor: Vendor, issue: QuestionnaireIssue, answers: dict[str, dict],
           ids: dict[str, int], stored: dict, *, actor: str) -> None:
    """Replace all of the vendor's answers in the caller's transaction."""
    replace_answers(session, project, vendor, answers, actor=actor, issue=issue)


def _label(baseline: str) -> str:
    return f"baseline {baseline!r}" if baseline else "the approved requirements"


def _error(sheet: str | None, row: int | None, column: str | None, message: str) -> dict[str, Any]:
    return {"sheet": sheet, "row": row, "column": column, "message": message}
