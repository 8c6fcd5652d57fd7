"""The vendor questionnaire: the requirements in scope, locked, with an answer dropdown per row.

Statements and acceptance criteria are Markdown, but Excel shows no formatting, so the vendor gets them as
plain text (reqtrace.plaintext): "Reps **must**" reads "Reps must", a link "text (url)", a list "• item"
lines. Questionnaires issued before held the Markdown as written, and still come back: see `locked_values`
and the import's check.

The hidden metadata names the project, the vendor, the baseline and a token
for this issue of the questionnaire, and holds a checksum of the issued rows,
so an answered workbook cannot be read into another vendor's or project's
answers, nor with altered requirement text.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import IO, Any

from openpyxl import Workbook
from sqlmodel import Session

from reqtrace import __version__, audit
from reqtrace.formats import Progress, report_rows
from reqtrace.formats.xlsx_writer import SheetColumn, SheetWriter, text_rows, xml_text
from reqtrace.model import Project, QuestionnaireIssue, Vendor, utcnow
from reqtrace.plaintext import markdown_to_plain_text
from reqtrace.schemas import MAX_TEXT
from reqtrace.services.scope import current_scope, effective_weight
from reqtrace.vocab import ANSWER, PRIORITY

FORMAT_NAME = "reqtrace-questionnaire"
SHEET = "Questionnaire"
META_SHEET = "_reqtrace"
HEADERS = ("ID", "Requirement", "Acceptance criteria", "Priority", "Answer", "Comment", "How we will demonstrate it")
ANSWER_CHOICES = tuple(ANSWER.slugs)


CUT_NOTE = " … (cut to fit one Excel cell: the requirements workbook has the whole text)"
# How the locked Markdown texts are written: PLAIN now; MARKDOWN (as written) in questionnaires issued before.
PLAIN, MARKDOWN = "plain", "markdown"
TEXT_FORMS = (PLAIN, MARKDOWN)


def requirement_text(row: dict[str, Any], form: str = PLAIN) -> str:
    """What the vendor answers to: the title, then the statement, cut to fit one cell.

    Title and statement each fit a cell, but together they may not. The cut is the same on export and on
    the check of the answered workbook, which compares against this very text.
    """
    statement = _as_issued((row.get("statement") or "").strip(), form)
    return _fit(f"{row['title']}\n\n{statement}" if statement else row["title"])


LOCKED = ("Requirement", "Acceptance criteria", "Priority")  # the locked columns after ID


def locked_values(row: dict[str, Any], form: str = PLAIN) -> tuple[str, str, str]:
    """What the vendor may not change on a row: the requirement, its acceptance criteria, its priority.

    As the workbook holds them: without characters no workbook can hold (old data may have them), so the
    checksum, the cells and the check of the answered workbook all read the same text. `form` is how the
    Markdown texts are written: PLAIN, or MARKDOWN as questionnaires issued before plain text held them
    (computed exactly as then, so their cells still compare equal).
    """
    acceptance = _as_issued((row.get("acceptance") or "").strip(), form)
    return xml_text(requirement_text(row, form)), xml_text(_fit(acceptance)), PRIORITY.label(row["priority"])


def _as_issued(markdown: str, form: str) -> str:
    # Characters no workbook holds go first: the renderer's HTML parser would turn some of them into others.
    return markdown_to_plain_text(xml_text(markdown)) if form == PLAIN and markdown else markdown


def _fit(text: str) -> str:
    """`text`, cut with a note saying so when it does not fit one cell. Plain text can outgrow its Markdown
    (a reference link's address is written out at each use)."""
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - len(CUT_NOTE)].rstrip() + CUT_NOTE


def checksum(rows: list[tuple[str, tuple[str, ...]]]) -> str:
    """Of the issued rows (ID and locked values), in order."""
    digest = hashlib.sha256()
    for hid, values in rows:
        line = "\t".join((hid, *(value.replace("\r\n", "\n") for value in values)))
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def export_questionnaire(session: Session, project: Project, vendor: Vendor, target: str | IO[bytes], *,
                         actor: str, progress: Progress | None = None) -> dict[str, Any]:
    """Write the questionnaire for `vendor` and record this issue of it; `progress` hears of the rows written."""
    scope = current_scope(session, project)
    rows = [row for row in scope.requirements if effective_weight(row) > 0]  # weight 0 counts nowhere
    issued = [(row["hid"], locked_values(row)) for row in rows]
    issue = QuestionnaireIssue(project_id=project.id, vendor_id=vendor.id, token=secrets.token_urlsafe(16),
                               baseline=scope.baseline, checksum=checksum(issued), rows=len(rows), issued_by=actor,
                               issued_at=utcnow())
    session.add(issue)
    session.flush()

    workbook = Workbook(write_only=True)
    text_rows(workbook, "Instructions", _instructions(project, vendor, scope.label), [110])
    columns = [SheetColumn("ID", 10, locked=True), SheetColumn("Requirement", 70, locked=True, wrap=True),
               SheetColumn("Acceptance criteria", 55, locked=True, wrap=True), SheetColumn("Priority", 10, locked=True),
               SheetColumn("Answer", 18, dropdown=ANSWER_CHOICES,
                           dropdown_message="Choose one of the six answers: " + ", ".join(ANSWER_CHOICES) + "."),
               SheetColumn("Comment", 40, wrap=True), SheetColumn("How we will demonstrate it", 40, wrap=True)]
    writer = SheetWriter(workbook, SHEET, columns, freeze="C2")
    for index, (hid, (text, acceptance, priority)) in enumerate(issued, start=1):
        writer.append([hid, text, acceptance or None, priority, None, None, None])
        report_rows(progress, f"writing {SHEET}", index, len(issued))
    writer.finish()
    metadata = [["format", FORMAT_NAME], ["project", project.key], ["vendor", vendor.slug],
                ["baseline", scope.baseline], ["issue", issue.token], ["checksum", issue.checksum],
                ["rows", len(rows)], ["issued_at", issue.issued_at.isoformat()], ["reqtrace", __version__]]
    text_rows(workbook, META_SHEET, metadata, [14, 70])
    workbook.worksheets[-1].sheet_state = "veryHidden"
    workbook.save(target)
    audit.record(session, actor=actor, project_id=project.id, entity_type="questionnaire", entity_id=vendor.slug,
                 action="issue", after={"vendor": vendor.slug, "baseline": scope.baseline, "rows": len(rows),
                                        "checksum": issue.checksum})
    return {"project": project.key, "vendor": vendor.slug, "baseline": scope.baseline, "source": scope.source,
            "rows": len(rows), "issue": issue.token, "sheets": {SHEET: len(rows)}}


def _instructions(project: Project, vendor: Vendor, scope_label: str) -> list[list[str]]:
    return [
        [f"Questionnaire for {vendor.name} — {project.name}"],
        [""],
        [f"It lists {scope_label}. For each requirement, choose one answer in the Answer column:"],
        ["• fully supported — the product does it as delivered"],
        ["• configuration — the product does it once set up, without programming"],
        ["• customisation — it needs programming on the product"],
        ["• third party — it needs another product"],
        ["• roadmap — it is planned but not available today"],
        ["• not supported"],
        [""],
        ["Add a comment where useful, and say how you will demonstrate it: every claim will be checked in a "
         "scripted demonstration on your own product with our sample data, and claims the demonstration does "
         "not back count for little."],
        ["The ID, Requirement, Acceptance criteria and Priority columns are locked. Do not change, add, remove "
         "or reorder rows: a questionnaire whose requirement text was changed is returned to you."],
        ["Return this file as it is (do not copy the rows into another workbook): it identifies your answers."],
    ]
