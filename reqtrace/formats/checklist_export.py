"""The evaluator's paper checklist: one row per step of the script issued to a vendor."""

from __future__ import annotations

from typing import IO, Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlmodel import Session

from reqtrace import __version__
from reqtrace.formats.xlsx_writer import SheetColumn, SheetWriter, text_rows
from reqtrace.model import PocScript, Project, ScriptIssue, Vendor
from reqtrace.poc.scripts import get_version, read_version
from reqtrace.richtext import plain_summary

FORMAT_NAME = "reqtrace-checklist"
SHEET = "Checklist"
META_SHEET = "_reqtrace"
VERDICTS = ("demonstrated", "partly", "not shown")
HEADERS = ("Step", "Scenario", "Show", "Expected", "Requirements", "Timebox (minutes)", "Verdict", "Score (0-5)",
           "Notes")


def script_for_vendor(session: Session, project: Project, vendor: Vendor) -> PocScript:
    """The version issued to the vendor last, else the project's latest version."""
    issued = session.exec(select(PocScript).join(ScriptIssue, ScriptIssue.script_id == PocScript.id)
                          .where(ScriptIssue.vendor_id == vendor.id)
                          .order_by(ScriptIssue.issued_at.desc(), ScriptIssue.id.desc())).scalars().first()
    return issued or get_version(session, project)


def export_checklist(session: Session, project: Project, vendor: Vendor, target: str | IO[bytes]) -> dict[str, Any]:
    script = script_for_vendor(session, project, vendor)
    content = read_version(session, script)
    workbook = Workbook(write_only=True)
    text_rows(workbook, "Instructions", [
        [f"Checklist for the demonstration by {vendor.name} — script version {script.version}"],
        [""],
        ["For each step, choose a verdict (demonstrated, partly, not shown) and give a score from 0 (nothing "
         "useful shown) to 5 (everything expected shown, convincingly). Note what you saw."],
        ["Score only what the vendor showed on their product with our sample data, not what they said."],
        ["Return the file to the CRM lead, who reads it in with `reqtrace import checklist --evaluator YOU`."],
    ], [110])
    writer = SheetWriter(workbook, SHEET, [
        SheetColumn("Step", 10, locked=True), SheetColumn("Scenario", 8, locked=True),
        SheetColumn("Show", 60, locked=True, wrap=True), SheetColumn("Expected", 50, locked=True, wrap=True),
        SheetColumn("Requirements", 16, locked=True), SheetColumn("Timebox (minutes)", 10, locked=True),
        SheetColumn("Verdict", 15, dropdown=VERDICTS), SheetColumn("Score (0-5)", 10, dropdown=("0", "1", "2", "3", "4", "5")),
        SheetColumn("Notes", 50, wrap=True)], freeze="C2")
    rows = 0
    for scenario in content["scenarios"]:
        for step in scenario["steps"]:
            writer.append([step["hid"], scenario["key"], plain_summary(step["instruction"], 600),
                           plain_summary(step["expected"], 600), ", ".join(step["requirements"]),
                           step["timebox_minutes"], None, None, None])
            rows += 1
    writer.finish()
    text_rows(workbook, META_SHEET, [["format", FORMAT_NAME], ["project", project.key], ["vendor", vendor.slug],
                                     ["script_version", script.version], ["reqtrace", __version__]], [16, 40])
    workbook.worksheets[-1].sheet_state = "veryHidden"
    workbook.save(target)
    return {"project": project.key, "vendor": vendor.slug, "script_version": script.version, "steps": rows}
