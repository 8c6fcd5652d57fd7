"""A workbook of another tool from which no row could be read is an error, never "imported 0 rows".

Automation runs `reqtrace import requirements` and trusts its exit code: a header row that names no requirement
text, a header row past the end of the sheet, a header with no rows under it or a list of section headings
imports nothing, and says which sheets were skipped and why.
"""

from __future__ import annotations

import openpyxl
import pytest

from tests.formats import workbooks
from tests.formats.conftest import Reqtrace, find, with_chains


@pytest.fixture
def crm(sqlite: Reqtrace) -> Reqtrace:
    """Project crm with two approved chains (REQ-1, REQ-2)."""
    return with_chains(sqlite, 2)


def test_a_header_row_without_requirement_text_imports_nothing_and_fails(crm, tmp_path):
    """Row 1 of the list is its title: read as the header it names no requirement text."""
    path = workbooks.title_block(tmp_path / "foreign.xlsx")
    result = crm.run("import", "requirements", path, "--project", "crm", "--header-row", "1", "--dry-run")
    assert result.exit_code == 1
    assert "no sheet of this workbook has rows to import, so there is nothing to import " \
           "(sheets skipped: 'CRM requirements')" in result.stderr
    assert "sheet CRM requirements, row 1: no column holds requirement text" in result.stderr

    before = crm.snapshot()
    code, summary = crm.import_json(path, "crm", "--header-row", "1")
    assert code == 1 and summary["applied"] is False
    assert find(summary["errors"], sheet="CRM requirements", row=1)
    assert not find(summary["warnings"], sheet="CRM requirements")  # the reason is an error now, not a warning too
    assert crm.snapshot() == before


def test_a_header_row_below_the_sheet_names_the_sheet_and_the_row(crm, tmp_path):
    path = workbooks.title_block(tmp_path / "foreign.xlsx")
    code, summary = crm.import_json(path, "crm", "--header-row", "50", "--dry-run")
    assert code == 1
    assert summary["errors"][0]["message"] == ("no sheet of this workbook has a recognisable header row, so there "
                                               "is nothing to import (sheets skipped: 'CRM requirements')")
    [sheet] = find(summary["errors"], sheet="CRM requirements")
    assert sheet["message"].startswith("--header-row 50 is below the last row of the sheet (row 9)")


def test_a_header_with_no_rows_under_it_imports_nothing_and_fails(crm, tmp_path):
    path = workbooks.plain(tmp_path / "empty-list.xlsx", ["ID", "Title", "Requirement", "Priority"], [])
    before = crm.snapshot()
    code, summary = crm.import_json(path)
    assert code == 1 and summary["applied"] is False
    assert summary["errors"][0]["message"].startswith("no sheet of this workbook has rows to import")
    assert find(summary["errors"], sheet="Requirements", row=1, message="no rows below the header row")
    assert crm.snapshot() == before


def test_a_list_of_section_headings_only_imports_nothing_and_fails(crm, tmp_path):
    path = workbooks.plain(tmp_path / "headings.xlsx", ["ID", "Title", "Requirement"],
                           [["1 Sales"], [None], ["2 Service"]])
    code, summary = crm.import_json(path)
    assert code == 1
    [sheet] = find(summary["errors"], sheet="Requirements", row=1)
    assert sheet["message"].startswith("every row below the header row is a section heading")
    headings = [warning for warning in find(summary["warnings"], sheet="Requirements")
                if "section heading" in warning["message"]]
    assert [warning["row"] for warning in headings] == [2, 4]  # each heading row, as before


def test_requirements_on_a_hidden_sheet_only_are_pointed_at(crm, tmp_path):
    path = workbooks.plain(tmp_path / "hidden.xlsx", ["Title", "Requirement"],
                           [["Quote offline", "Reps quote with no connection."]])
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("Cover")
    workbook["Requirements"].sheet_state = "hidden"
    workbook.active = 1
    workbook.save(path)
    code, summary = crm.import_json(path)
    assert code == 1
    assert summary["errors"][0]["message"] == (
        "every visible sheet of this workbook is empty, so there is nothing to import (hidden sheets, not read: "
        "'Requirements' (name one with --sheet to read it))")
    code, summary = crm.import_json(path, "crm", "--sheet", "Requirements")
    assert code == 0, summary["errors"]
    assert summary["added"] == 1


def test_a_sheet_skipped_beside_one_with_rows_is_a_warning(crm, tmp_path):
    """Another sheet had rows to import: the skipped one is worth a warning, not a refusal."""
    path = workbooks.plain(tmp_path / "two.xlsx", ["Title", "Requirement"],
                           [["Quote offline", "Reps quote with no connection."]])
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("Contacts").append(["ID", "Owner", "Priority"])
    workbook["Contacts"].append(["C-1", "sam", "high"])
    workbook.save(path)
    code, summary = crm.import_json(path)
    assert code == 0, summary["errors"]
    assert summary["added"] == 1
    assert find(summary["warnings"], sheet="Contacts")
