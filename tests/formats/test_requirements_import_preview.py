"""A preview is what its apply does, shows every problem at once, and shows each addition field by field.

The web app previews an import (a dry run), then applies it: the apply gets the preview's `plan_digests`
back as `expected_plan` and writes only that plan, or nothing when the project changed since the preview.
A workbook with problems of several kinds (a bad cell, a link to a missing process, a refused status) has
them all in its first preview, each with its sheet, row and column.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from reqtrace.db import make_engine, session_scope
from reqtrace.formats.requirements_import import ImportOptions, import_requirements
from reqtrace.services.items import get_item, update_item
from reqtrace.services.projects import get_project
from tests.formats import workbooks
from tests.formats.conftest import REQUIREMENT_COLUMN, Reqtrace, cell, edit_workbook, item_changes, row_of, with_chains

COLUMN_NUMBER = {header: ord(letter) - ord("A") + 1 for header, letter in REQUIREMENT_COLUMN.items()}


@pytest.fixture
def crm(sqlite: Reqtrace) -> Reqtrace:
    """Project crm: three approved chains, STR/ROL/PRC/REQ-1 to -3."""
    return with_chains(sqlite, 3)


def _import(reqtrace: Reqtrace, path: Path, *, dry_run: bool, role: str | None = "procurement",
            expected_plan: dict | None = None) -> dict:
    """The web app's import (web/workbooks.py): a preview, or an apply in one write transaction."""
    engine = make_engine(reqtrace.url)
    try:
        with session_scope(engine, write=not dry_run) as session:
            summary = import_requirements(session, "crm", path, actor="procurement", dry_run=dry_run,
                                          options=ImportOptions(role=role), expected_plan=expected_plan)
            if not summary["applied"]:
                session.rollback()
        return summary
    finally:
        engine.dispose()


def _edit(reqtrace: Reqtrace, hid: str, **fields) -> None:
    """The lead saves `fields` of requirement `hid` in its form."""
    engine = make_engine(reqtrace.url)
    with Session(engine) as session:
        project = get_project(session, "crm")
        update_item(session=session, project=project, kind="requirement", actor="lead",
                    item=get_item(session, project, "requirement", hid), fields=fields)
        session.commit()
    engine.dispose()


def _retitled(reqtrace: Reqtrace, tmp_path: Path, hid: str, title: str) -> Path:
    path = reqtrace.export(tmp_path / "crm.xlsx")
    edit_workbook(path, lambda workbook: setattr(cell(workbook["Requirements"], hid, "Title"), "value", title))
    return path


# --- the apply does what the preview showed, or nothing -------------------------------------

def test_an_apply_writes_exactly_its_preview_when_nothing_changed_since(crm, tmp_path):
    path = _retitled(crm, tmp_path, "REQ-2", "Forecasts by segment")
    preview = _import(crm, path, dry_run=True)
    assert preview["errors"] == [] and list(preview["plan_digests"]) == ["requirement REQ-2"]

    applied = _import(crm, path, dry_run=False, expected_plan=preview["plan_digests"])

    assert applied["applied"] is True and applied["errors"] == [] and applied["changed"] == 1
    assert crm.item("REQ-2")["title"] == "Forecasts by segment"


def test_an_apply_refuses_when_an_item_it_would_now_change_was_edited_since_the_preview(crm, tmp_path):
    """QA: the preview said "1 changed" (REQ-2); the lead then edited REQ-1 in its form; the apply would have put
    the workbook's old REQ-1 back (and sent it to draft). It writes nothing and says why."""
    path = _retitled(crm, tmp_path, "REQ-2", "Forecasts by segment")
    preview = _import(crm, path, dry_run=True)
    assert [item["id"] for item in preview["items"]] == ["REQ-2"]
    _edit(crm, "REQ-1", title="Edited by the lead")
    before = crm.snapshot()

    applied = _import(crm, path, dry_run=False, expected_plan=preview["plan_digests"])

    assert applied["applied"] is False and applied["preview_outdated"] is True
    (error,) = applied["errors"]
    assert error["message"] == ("the project changed since the preview (REQ-1 would now be changed too): preview "
                                "the workbook again; nothing was imported")
    assert crm.snapshot() == before
    assert (crm.item("REQ-1")["title"], crm.item("REQ-1")["status"]) == ("Edited by the lead", "approved")
    assert crm.item("REQ-2")["title"] != "Forecasts by segment"


def test_an_apply_refuses_when_the_item_it_changes_was_edited_since_the_preview(crm, tmp_path):
    path = _retitled(crm, tmp_path, "REQ-2", "Forecasts by segment")
    preview = _import(crm, path, dry_run=True)
    _edit(crm, "REQ-2", statement="Managers see forecasts, edited by the lead.")
    before = crm.snapshot()

    applied = _import(crm, path, dry_run=False, expected_plan=preview["plan_digests"])

    assert applied["applied"] is False
    assert "(REQ-2 would be changed differently)" in applied["errors"][0]["message"]
    assert crm.snapshot() == before
    assert crm.item("REQ-2")["statement"] == "Managers see forecasts, edited by the lead."


def test_an_apply_refuses_when_a_new_row_would_now_get_another_id(crm, tmp_path):
    path = crm.export(tmp_path / "crm.xlsx")
    edit_workbook(path, lambda workbook: workbook["Requirements"].append(
        {COLUMN_NUMBER["Title"]: "Reps log calls", COLUMN_NUMBER["Statement"]: "Reps log calls."}))
    preview = _import(crm, path, dry_run=True)
    assert [(item["id"], item["action"]) for item in preview["items"]] == [("REQ-4", "add")]
    other = workbooks.plain(tmp_path / "other.xlsx", ["Title", "Requirement"],
                            [["Quotes", "Someone else's new requirement."]])
    assert _import(crm, other, dry_run=False, role="admin")["added"] == 1  # REQ-4 is taken meanwhile

    applied = _import(crm, path, dry_run=False, expected_plan=preview["plan_digests"])

    assert applied["applied"] is False
    assert "(REQ-4 would no longer be added; REQ-5 would now be added too)" in applied["errors"][0]["message"]
    assert crm.item("REQ-5") is None


def test_the_command_line_applies_the_workbook_as_it_is_then_warning_about_rows_older_than_their_item(crm,
                                                                                                     tmp_path):
    """`reqtrace import requirements` is unchanged: without --dry-run it imports the workbook as it is now."""
    path = _retitled(crm, tmp_path, "REQ-2", "Forecasts by segment")
    _edit(crm, "REQ-1", title="Edited by the lead")
    code, applied = crm.import_json(path, "crm")
    assert code == 0 and applied["applied"] is True and applied["changed"] == 2
    assert "preview_outdated" not in applied
    assert any(warning["message"].startswith("REQ-1 was changed in reqtrace") for warning in applied["warnings"])


# --- every problem in one pass --------------------------------------------------------------

@pytest.mark.parametrize("role", [None, "admin", "procurement"])
def test_a_bad_cell_and_a_missing_process_are_reported_together(crm, tmp_path, role):
    """QA: the preview showed only the priority error; the PRC-999 error appeared once it was corrected."""
    path = workbooks.plain(tmp_path / "list.xlsx", ["ID", "Requirement", "Priority", "Process"],
                           [["NEW-1", "Reps log calls.", "banana", "PRC-1"],
                            ["NEW-2", "Reps plan visits.", "must", "PRC-999"]])
    before = crm.snapshot()
    for dry_run in (True, False):
        summary = _import(crm, path, dry_run=dry_run, role=role)
        assert summary["applied"] is False
        assert [(error["sheet"], error["row"], error["column"]) for error in summary["errors"]] == [
            ("Requirements", 2, "C"), ("Requirements", 3, "D")]
        priority, link = (error["message"] for error in summary["errors"])
        assert "banana" in priority and "PRC-999, which does not exist" in link
    assert crm.snapshot() == before
    assert crm.item("NEW-2") is None


def test_procurements_workbook_reports_a_bad_cell_a_refused_status_and_a_deleted_row_at_once(crm, tmp_path):
    path = crm.export(tmp_path / "crm.xlsx")

    def change(workbook):
        sheet = workbook["Requirements"]
        cell(sheet, "REQ-1", "Priority").value = "banana"
        cell(sheet, "REQ-2", "Status").value = "draft"
        sheet.delete_rows(row_of(sheet, "REQ-3"))

    edit_workbook(path, change)
    before = crm.snapshot()
    summary = _import(crm, path, dry_run=True)
    messages = [error["message"] for error in summary["errors"]]
    assert len(messages) == 3, messages
    assert "banana" in messages[0] and summary["errors"][0]["column"] == REQUIREMENT_COLUMN["Priority"]
    assert any("REQ-2: only the CRM lead changes an item's status" in message for message in messages)
    assert any(message.startswith("REQ-3 is not in the workbook") for message in messages)
    assert not any(message.startswith("REQ-1 ") for message in messages)  # its row is there, only unreadable
    assert crm.snapshot() == before


def test_a_row_whose_id_cannot_be_read_retires_nothing(crm, tmp_path):
    path = crm.export(tmp_path / "crm.xlsx")
    edit_workbook(path, lambda workbook: setattr(cell(workbook["Requirements"], "REQ-1", "ID"), "value", "REQ 1!"))
    summary = _import(crm, path, dry_run=True, role=None)
    (error,) = summary["errors"]
    assert error["column"] == "A" and "'REQ 1!' is not a valid ID" in error["message"]
    assert summary["removed"] == 0


def test_a_row_with_an_error_and_a_duplicate_of_its_id_are_both_reported(crm, tmp_path):
    path = workbooks.plain(tmp_path / "list.xlsx", ["ID", "Requirement", "Priority"],
                           [["REQ-1", "Reps record visits.", "banana"], ["REQ-1", "Reps record visits.", "must"]])
    summary = _import(crm, path, dry_run=True, role=None)
    assert [error["row"] for error in summary["errors"]] == [2, 3]
    assert "REQ-1 appears more than once" in summary["errors"][1]["message"]


# --- additions, field by field --------------------------------------------------------------

def test_an_added_item_is_listed_with_its_fields(crm, tmp_path):
    path = workbooks.plain(tmp_path / "list.xlsx", ["ID", "Title", "Requirement", "Priority", "Tags", "Process"],
                           [["NEW-1", "Log calls", "Reps log calls.", "must", "mobile, calls", "PRC-1"]])
    summary = _import(crm, path, dry_run=True)
    (added,) = summary["items"]
    fields = {entry["field"]: entry["value"] for entry in added["fields"]}
    assert added["action"] == "add" and added["changes"] == []
    assert fields["title"] == "Log calls" and fields["statement"] == "Reps log calls."
    assert fields["priority"] == "must" and fields["tags"] == ["mobile", "calls"]
    assert (fields["status"], fields["processes"]) == ("draft", "PRC-1")
    assert "acceptance" not in fields and "owner" not in fields  # empty values are not listed
    assert item_changes(summary)["NEW-1"] == {"action": "add", "changes": {}}
