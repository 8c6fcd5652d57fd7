"""Export, edit in a spreadsheet, import: the sample project goes round and comes back as edited.

Runs on every configured backend. An unchanged export imports as all
unchanged; a second import of the same workbook changes nothing; edits show
up field by field before they are applied, and exactly as shown after.
"""

from __future__ import annotations

import openpyxl
from sqlmodel import Session

from reqtrace.db import make_engine
from reqtrace.services.items import create_item, get_item, update_item
from reqtrace.services.projects import get_project
from tests.builders import ProjectBuilder
from tests.formats.conftest import SAMPLE_COUNTS, Reqtrace, cell, column_of, edit_workbook, item_changes, row_of

TOTAL = sum(SAMPLE_COUNTS.values())
NEW_STATEMENT = "For any account the system shows its open quotes, orders and cases on one screen."
NEW_TITLE = "Approve a quote on a phone"


def _in_session(reqtrace: Reqtrace, work) -> None:
    engine = make_engine(reqtrace.url)
    with Session(engine, expire_on_commit=False) as session:
        work(session, get_project(session, "crm"))
        session.commit()
    engine.dispose()


def _set_weight(reqtrace: Reqtrace, hid: str, weight: float) -> None:
    def work(session, project):
        update_item(session=session, project=project, kind="requirement",
                    item=get_item(session, project, "requirement", hid), fields={"weight": weight}, actor="test")
    _in_session(reqtrace, work)


def _edit_like_procurement(workbook: openpyxl.Workbook) -> str:
    """The edits of the round-trip story; returns the statement REQ-5 had."""
    requirements, roles = workbook["Requirements"], workbook["Roles"]
    cell(requirements, "REQ-1", "Tags").value = "single-view, integration, offline"
    cell(requirements, "REQ-2", "Processes").value = "PRC-3"
    cell(requirements, "REQ-3", "Priority").value = "Must have"
    cell(requirements, "REQ-4", "Weight").value = None
    statement = cell(requirements, "REQ-5", "Statement")
    old_statement, statement.value = statement.value, NEW_STATEMENT
    cell(roles, "ROL-18", "Status").value = "retired"
    requirements.delete_rows(row_of(requirements, "REQ-10"))
    new_row = requirements.max_row + 1
    for header, value in {"Title": NEW_TITLE, "Processes": "PRC-2", "Priority": "Could",
                          "Kind": "process-control", "Capability": "technology",
                          "Statement": "A sales manager approves a quote from the phone."}.items():
        requirements.cell(new_row, column_of(requirements, header), value)
    return old_statement


# --- unchanged ------------------------------------------------------------------------------

def test_an_unchanged_export_previews_as_all_unchanged(sample: Reqtrace, tmp_path):
    path = sample.export(tmp_path / "crm.xlsx")
    code, summary = sample.import_json(path, "crm", "--dry-run")
    assert code == 0
    assert summary["format"] == "reqtrace"
    assert (summary["applied"], summary["added"], summary["changed"], summary["removed"]) == (False, 0, 0, 0)
    assert summary["unchanged"] == TOTAL
    assert summary["errors"] == [] and summary["warnings"] == [] and summary["items"] == []


def test_an_unchanged_export_applied_writes_nothing_not_even_an_audit_event(sample: Reqtrace, tmp_path):
    path = sample.export(tmp_path / "crm.xlsx")
    before = sample.snapshot()
    for _attempt in range(2):
        code, summary = sample.import_json(path)
        assert code == 0
        assert summary["applied"] is True
        assert (summary["added"], summary["changed"], summary["removed"], summary["unchanged"]) == (0, 0, 0, TOTAL)
        assert sample.snapshot() == before


def test_the_text_summary_says_what_would_happen(sample: Reqtrace, tmp_path):
    path = sample.export(tmp_path / "crm.xlsx")
    result = sample.run("import", "requirements", path, "--project", "crm", "--dry-run")
    assert result.exit_code == 0
    assert (f"Would import {TOTAL} rows of a reqtrace workbook into 'crm': 0 added, 0 changed, {TOTAL} unchanged, "
            "0 retired.") in result.stdout


# --- edited ---------------------------------------------------------------------------------

def test_edits_preview_field_by_field_then_apply_exactly(sample: Reqtrace, tmp_path):
    _set_weight(sample, "REQ-4", 7)
    path = sample.export(tmp_path / "crm.xlsx")
    old_statement = edit_workbook(path, _edit_like_procurement)
    before = sample.snapshot()

    code, preview = sample.import_json(path, "crm", "--dry-run")
    assert code == 0, preview["errors"]
    assert preview["warnings"] == []
    assert (preview["applied"], preview["added"], preview["changed"], preview["removed"]) == (False, 1, 6, 1)
    assert preview["unchanged"] == TOTAL - 7
    assert item_changes(preview) == {
        "REQ-1": {"action": "change", "changes": {"tags": (["single-view", "integration"],
                                                           ["single-view", "integration", "offline"])}},
        "REQ-2": {"action": "change", "changes": {"processes": ("PRC-1", "PRC-3")}},
        "REQ-3": {"action": "change", "changes": {"priority": ("should", "must")}},
        "REQ-4": {"action": "change", "changes": {"weight": (7.0, None)}},
        "REQ-5": {"action": "change", "changes": {"statement": (old_statement, NEW_STATEMENT)}},
        "ROL-18": {"action": "change", "changes": {"status": ("approved", "retired")}},
        "REQ-10": {"action": "remove", "changes": {"status": ("approved", "retired")}},
        "REQ-173": {"action": "add", "changes": {}},
    }
    assert sample.snapshot() == before  # the preview wrote nothing

    code, applied = sample.import_json(path)
    assert code == 0
    assert (applied["applied"], applied["added"], applied["changed"], applied["removed"]) == (True, 1, 6, 1)
    after = sample.snapshot()
    requirements = after["items"]["requirement"]
    assert requirements["REQ-1"]["tags"] == ["single-view", "integration", "offline"]
    assert after["links"]["requirement"]["REQ-2"] == {"PRC-3"}
    assert requirements["REQ-3"]["priority"] == "must"
    assert requirements["REQ-4"]["weight"] is None
    assert requirements["REQ-5"]["statement"] == NEW_STATEMENT
    assert after["items"]["role"]["ROL-18"]["status"] == "retired"
    assert requirements["REQ-10"]["status"] == "retired"  # retired, never deleted
    new = requirements["REQ-173"]
    assert (new["title"], new["priority"], new["status"], new["kind"], new["capability"]) == \
        (NEW_TITLE, "could", "draft", "process-control", "technology")
    assert after["links"]["requirement"]["REQ-173"] == {"PRC-2"}
    for hid in ("REQ-1", "REQ-2", "REQ-3", "REQ-4", "REQ-5", "REQ-10"):
        assert requirements[hid]["version"] == before["items"]["requirement"][hid]["version"] + 1, hid
    untouched = [hid for hid in before["items"]["requirement"] if hid not in ("REQ-1", "REQ-2", "REQ-3", "REQ-4",
                                                                             "REQ-5", "REQ-10")]
    assert all(requirements[hid] == before["items"]["requirement"][hid] for hid in untouched)
    assert after["audit_events"] == before["audit_events"] + 8  # one event per item added, changed, retired


def test_an_edited_workbook_imported_twice_changes_nothing_the_second_time(sample: Reqtrace, tmp_path):
    path = sample.export(tmp_path / "crm.xlsx")

    def edit(workbook):
        cell(workbook["Requirements"], "REQ-5", "Statement").value = NEW_STATEMENT
        cell(workbook["Roles"], "ROL-18", "Status").value = "Retired"
        workbook["Requirements"].delete_rows(row_of(workbook["Requirements"], "REQ-10"))
    edit_workbook(path, edit)
    code, first = sample.import_json(path)
    assert code == 0 and (first["changed"], first["removed"]) == (2, 1)
    after_first = sample.snapshot()
    code, second = sample.import_json(path)
    assert code == 0
    # REQ-10 is no longer in the workbook and already retired: neither removed again nor unchanged.
    assert (second["added"], second["changed"], second["removed"], second["unchanged"]) == (0, 0, 0, TOTAL - 1)
    assert sample.snapshot() == after_first  # no new versions, no audit events


def test_items_created_after_the_export_are_kept_with_a_warning(sample: Reqtrace, tmp_path):
    path = sample.export(tmp_path / "crm.xlsx")

    def add(session, project):
        create_item(session=session, project=project, kind="requirement", actor="test",
                    fields={"title": "Added in the web app after the export"}, upstream=["PRC-1"])
    _in_session(sample, add)
    code, summary = sample.import_json(path)
    assert code == 0
    assert summary["removed"] == 0
    assert any("REQ-173" in warning["message"] and "after" in warning["message"] for warning in summary["warnings"])
    assert sample.item("REQ-173")["status"] == "draft"


def test_a_workbook_of_one_project_is_refused_by_another_existing_project(sample: Reqtrace, tmp_path):
    path = sample.export(tmp_path / "crm.xlsx")
    engine = make_engine(sample.url)
    with Session(engine) as session:
        ProjectBuilder("other").chain(1).build(session)
        session.commit()
    engine.dispose()
    before = sample.snapshot("other")
    code, summary = sample.import_json(path, "other")
    assert code == 1
    assert summary["applied"] is False
    assert len(summary["errors"]) == 1
    error = summary["errors"][0]
    assert error["sheet"] == "_reqtrace"
    assert "'crm'" in error["message"] and "'other'" in error["message"]
    assert sample.snapshot("other") == before


def test_a_workbook_imported_into_a_new_project_copies_the_chain(sample: Reqtrace, tmp_path):
    original = sample.export(tmp_path / "crm.xlsx")
    code, summary = sample.import_json(original, "copy")
    assert code == 0, summary["errors"]
    assert (summary["added"], summary["changed"], summary["removed"]) == (TOTAL, 0, 0)
    copy = sample.export(tmp_path / "copy.xlsx", "copy")
    first, second = openpyxl.load_workbook(original), openpyxl.load_workbook(copy)
    for name in ("Strategies", "Roles", "Processes", "Requirements"):
        version = column_of(first[name], "Version") - 1
        rows = [[value for index, value in enumerate(row) if index != version]
                for row in first[name].iter_rows(values_only=True)]
        copied = [[value for index, value in enumerate(row) if index != version]
                  for row in second[name].iter_rows(values_only=True)]
        assert copied == rows, name


def test_a_sheet_reordered_by_sorting_still_imports_unchanged(sample: Reqtrace, tmp_path):
    """People sort by Priority with the autofilter: row order carries no meaning."""
    path = sample.export(tmp_path / "crm.xlsx")

    def sort_descending(workbook):
        sheet = workbook["Requirements"]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
        rows.reverse()
        for number, values in enumerate(rows, start=2):
            for column, value in enumerate(values, start=1):
                sheet.cell(number, column).value = value
    edit_workbook(path, sort_descending)
    code, summary = sample.import_json(path, "crm", "--dry-run")
    assert code == 0
    assert (summary["added"], summary["changed"], summary["removed"]) == (0, 0, 0)


def test_a_new_row_with_blank_dropdown_cells_takes_the_defaults(sample: Reqtrace, tmp_path):
    """A person adding a row fills Title and Processes; blank Kind, Capability, Priority mean the defaults,
    as a blank Status means draft and a blank Weight the priority's weight."""
    path = sample.export(tmp_path / "crm.xlsx")

    def add_row(workbook):
        sheet = workbook["Requirements"]
        row = sheet.max_row + 1
        sheet.cell(row, column_of(sheet, "Title"), NEW_TITLE)
        sheet.cell(row, column_of(sheet, "Processes"), "PRC-2")
    edit_workbook(path, add_row)
    code, summary = sample.import_json(path)
    assert code == 0, summary["errors"]
    new = sample.item("REQ-173")
    assert (new["kind"], new["capability"], new["priority"], new["status"], new["weight"]) == \
        ("process-control", "technology", "should", "draft", None)


def test_a_row_edited_in_an_old_workbook_after_a_newer_web_edit_warns(sample: Reqtrace, tmp_path):
    path = sample.export(tmp_path / "crm.xlsx")
    _set_weight(sample, "REQ-5", 4)  # someone saves REQ-5 in the web app: version 2
    edit_workbook(path, lambda workbook: setattr(cell(workbook["Requirements"], "REQ-5", "Statement"), "value",
                                                 NEW_STATEMENT))
    code, summary = sample.import_json(path, "crm", "--dry-run")
    assert code == 0
    (warning,) = [warning for warning in summary["warnings"] if "REQ-5" in warning["message"]]
    assert (warning["sheet"], warning["row"]) == ("Requirements", 6)
    assert "version 2" in warning["message"] and "version 1" in warning["message"]


def test_a_column_added_to_the_requirements_sheet_is_kept_as_a_custom_field(sample: Reqtrace, tmp_path):
    path = sample.export(tmp_path / "crm.xlsx")

    def add_column(workbook):
        sheet = workbook["Requirements"]
        column = sheet.max_column + 1
        sheet.cell(1, column, "Vendor answer")
        sheet.cell(row_of(sheet, "REQ-1"), column, "Fully supported")
    edit_workbook(path, add_column)
    code, summary = sample.import_json(path)
    assert code == 0
    assert item_changes(summary) == {"REQ-1": {"action": "change", "changes": {
        "custom_fields": ({}, {"Vendor answer": "Fully supported"})}}}
    assert sample.item("REQ-1")["custom_fields"] == {"Vendor answer": "Fully supported"}
    exported = openpyxl.load_workbook(sample.export(tmp_path / "again.xlsx"))["Requirements"]
    assert exported.cell(1, exported.max_column).value == "Vendor answer"


def test_a_column_added_to_another_sheet_is_ignored_with_a_warning(sample: Reqtrace, tmp_path):
    path = sample.export(tmp_path / "crm.xlsx")

    def add_column(workbook):
        sheet = workbook["Roles"]
        column = sheet.max_column + 1
        sheet.cell(1, column, "Headcount")
        sheet.cell(2, column, 12)
    edit_workbook(path, add_column)
    code, summary = sample.import_json(path, "crm", "--dry-run")
    assert code == 0
    assert summary["changed"] == 0
    (warning,) = summary["warnings"]
    assert (warning["sheet"], warning["row"], warning["column"]) == ("Roles", 1, "K")
    assert "Headcount" in warning["message"] and "ignored" in warning["message"]


def test_a_dry_run_into_a_new_project_creates_nothing(sample: Reqtrace, tmp_path):
    path = sample.export(tmp_path / "crm.xlsx")
    before = sample.snapshot("brand-new")
    code, summary = sample.import_json(path, "brand-new", "--dry-run")
    assert code == 0
    assert summary["added"] == TOTAL
    assert sample.snapshot("brand-new") == before
