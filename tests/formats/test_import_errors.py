"""Every way an edited reqtrace workbook can be wrong: located by sheet, row and column, and nothing written.

Each case edits the sample's export like a person would, and also makes one
valid edit elsewhere (REQ-2's statement), so a partial save would show. The
import is run for real (not --dry-run): exit 1, applied false, one JSON
document, and the database exactly as before. Runs on every backend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import openpyxl
import pytest

from tests.formats.conftest import REQUIREMENT_COLUMN, Reqtrace, cell, edit_workbook, find, row_of
from tests.formats.workbooks import drop_empty_cached_values, excel_relationship_order, sheet_part

VALID_EDIT = "An edit that is fine on its own but must not be saved when another cell is wrong."


@dataclass
class Case:
    edit: Callable[[openpyxl.Workbook], int]  # returns the 1-based row the error must name
    sheet: str
    column: str | None
    words: tuple[str, ...]  # the message names these (case-insensitive)


def _set(sheet_name: str, hid: str, header: str, value) -> Callable[[openpyxl.Workbook], int]:
    def edit(workbook):
        sheet = workbook[sheet_name]
        row = row_of(sheet, hid)
        cell(sheet, hid, header).value = value
        return row
    return edit


def _duplicate_id(workbook) -> int:
    """REQ-6's row renamed REQ-5 (with its own title): the second REQ-5 row is the one in error."""
    sheet = workbook["Requirements"]
    row = row_of(sheet, "REQ-6")
    cell(sheet, "REQ-6", "Title").value = "A second row claiming to be REQ-5"
    cell(sheet, "REQ-6", "ID").value = "REQ-5"
    return row


def _exact_copy_of_a_row(workbook) -> int:
    """Copy-paste REQ-5's whole row over REQ-6's: two identical rows with one ID."""
    sheet = workbook["Requirements"]
    source, target = row_of(sheet, "REQ-5"), row_of(sheet, "REQ-6")
    for column in range(1, sheet.max_column + 1):
        sheet.cell(target, column).value = sheet.cell(source, column).value
    return target


def _formula_title(workbook) -> int:
    sheet = workbook["Requirements"]
    cell(sheet, "REQ-5", "Title").value = '=UPPER("quote offline")'  # openpyxl writes <f>..</f><v />
    return row_of(sheet, "REQ-5")


def _missing_id_column(workbook) -> int:
    workbook["Requirements"].delete_cols(1)
    return 1


CASES = {
    "priority banana": Case(_set("Requirements", "REQ-5", "Priority", "banana"), "Requirements", "H",
                            ("banana", "priority", "must")),
    "weight heavy": Case(_set("Requirements", "REQ-5", "Weight", "heavy"), "Requirements", "I",
                         ("heavy", "number")),
    "weight 5000": Case(_set("Requirements", "REQ-5", "Weight", 5000), "Requirements", "I", ("weight", "1000")),
    "timebox 0": Case(_set("Requirements", "REQ-5", "Timebox (minutes)", 0), "Requirements", "L",
                      ("timebox", "minutes")),
    "tag with a symbol": Case(_set("Requirements", "REQ-5", "Tags", "offline, off line!"), "Requirements", "J",
                              ("off line!", "letters, digits and dashes")),
    "unknown process": Case(_set("Requirements", "REQ-5", "Processes", "PRC-1, PRC-999"), "Requirements", "C",
                            ("PRC-999", "does not exist")),
    "process in a role's strategies": Case(_set("Roles", "ROL-3", "Strategies", "STR-1, PRC-1"), "Roles", "C",
                                           ("PRC-1", "process", "strategy")),
    "strategy ID on the requirements sheet": Case(_set("Requirements", "REQ-5", "ID", "STR-2"), "Requirements",
                                                  "A", ("STR-2", "strategy")),
    "duplicate ID": Case(_duplicate_id, "Requirements", "A", ("REQ-5", "more than once")),
    "exact duplicate row": Case(_exact_copy_of_a_row, "Requirements", "A", ("REQ-5", "more than once")),
    "empty title": Case(_set("Requirements", "REQ-5", "Title", None), "Requirements", "B", ("title", "required")),
    "status done": Case(_set("Requirements", "REQ-5", "Status", "done"), "Requirements", "N",
                        ("done", "status", "approved")),
    "perspective on strategies": Case(_set("Strategies", "STR-3", "Perspective", "sideways"), "Strategies", "E",
                                      ("sideways", "perspective")),
    "management on processes": Case(_set("Processes", "PRC-4", "Management", "chaos"), "Processes", "F",
                                    ("chaos", "management")),
    "missing ID column": Case(_missing_id_column, "Requirements", None, ("ID", "missing")),
}


def _valid_edit_elsewhere(workbook) -> None:
    cell(workbook["Requirements"], "REQ-2", "Statement").value = VALID_EDIT


def _assert_refused(reqtrace: Reqtrace, path, case: Case, row: int) -> dict:
    before = reqtrace.snapshot()
    code, summary = reqtrace.import_json(path)
    assert code == 1
    assert summary["applied"] is False
    assert summary["errors"], summary
    for error in summary["errors"]:
        assert set(error) == {"sheet", "row", "column", "message"}, error
    located = find(summary["errors"], sheet=case.sheet, row=row, column=case.column)
    assert located, f"no error at {case.sheet} row {row} column {case.column}: {summary['errors']}"
    message = located[0]["message"].lower()
    for word in case.words:
        assert word.lower() in message, (word, located[0]["message"])
    assert reqtrace.snapshot() == before, "an import with errors wrote something"
    return summary


@pytest.mark.parametrize("name", list(CASES))
def test_error_is_located_and_nothing_is_written(sample: Reqtrace, sample_export, name):
    case = CASES[name]

    def edit(workbook):
        _valid_edit_elsewhere(workbook)
        return case.edit(workbook)
    row = edit_workbook(sample_export, edit)
    _assert_refused(sample, sample_export, case, row)


@pytest.mark.parametrize("value_element", ["empty <v />", "no <v>"])
@pytest.mark.parametrize("relationships", ["openpyxl order", "Excel order"])
def test_formula_title_with_no_cached_value(sample: Reqtrace, sample_export, value_element, relationships):
    """However the uncalculated formula is written, the message says the cell holds a formula.

    openpyxl writes `<f>..</f><v />` and relationships as Type, Target, Id; Excel
    writes Id, Type, Target. Other generators write no `<v>` at all.
    """
    row = edit_workbook(sample_export, _formula_title)
    if value_element == "no <v>":
        drop_empty_cached_values(sample_export, sheet_part(sample_export, "Requirements"))
    if relationships == "Excel order":
        excel_relationship_order(sample_export)
    _assert_refused(sample, sample_export, Case(_formula_title, "Requirements", "B", ("formula",)), row)


def test_errors_are_reported_all_at_once_in_sheet_order(sample: Reqtrace, sample_export):
    def edit(workbook):
        cell(workbook["Requirements"], "REQ-5", "Priority").value = "banana"
        cell(workbook["Requirements"], "REQ-9", "Weight").value = "heavy"
        cell(workbook["Roles"], "ROL-2", "Status").value = "done"
    edit_workbook(sample_export, edit)
    code, summary = sample.import_json(sample_export)
    assert code == 1
    assert [(error["sheet"], error["row"], error["column"]) for error in summary["errors"]] == [
        ("Roles", 3, "I"), ("Requirements", 6, "H"), ("Requirements", 10, "I")]


def test_a_row_with_a_bad_cell_still_has_its_links_to_nothing_reported(sample: Reqtrace, sample_export):
    """QA: Processes "PRC-99, ROL-1" and a bad priority; fixing them took several uploads, one error each."""
    def edit(workbook):
        sheet = workbook["Requirements"]
        cell(sheet, "REQ-5", "Processes").value = "PRC-99, ROL-1, PRC-1"
        cell(sheet, "REQ-5", "Priority").value = "banana"
        return row_of(sheet, "REQ-5")
    before = sample.snapshot()
    edit_workbook(sample_export, edit)
    code, summary = sample.import_json(sample_export)
    assert code == 1 and summary["applied"] is False
    row = [error for error in summary["errors"] if error["row"] == row_of(
        openpyxl.load_workbook(sample_export)["Requirements"], "REQ-5")]
    messages = " | ".join(error["message"] for error in row)
    assert "ROL-1" in messages and "banana" in messages
    assert "REQ-5 links to process PRC-99, which does not exist" in messages
    assert "PRC-1," not in messages and "PRC-1 " not in messages  # the link that exists is no error
    assert sample.snapshot() == before


def test_a_bad_row_linking_to_nothing_is_reported_when_importing_into_a_new_project(sample: Reqtrace,
                                                                                     sample_export):
    """A new project has no stored items to check the links against: the same report, no crash."""
    def edit(workbook):
        sheet = workbook["Requirements"]
        cell(sheet, "REQ-5", "Processes").value = "PRC-99, PRC-1"
        cell(sheet, "REQ-5", "Priority").value = "banana"
        return row_of(sheet, "REQ-5")
    edit_workbook(sample_export, edit)
    code, summary = sample.import_json(sample_export, "fresh")
    assert code == 1 and summary["applied"] is False
    messages = " | ".join(error["message"] for error in summary["errors"])
    assert "banana" in messages and "REQ-5 links to process PRC-99, which does not exist" in messages
    assert "PRC-1," not in messages and "PRC-1 " not in messages
    assert sample.run("project", "list", "--json").stdout.count('"fresh"') == 0


def test_dry_run_reports_the_same_errors_and_exits_1(sample: Reqtrace, sample_export):
    edit_workbook(sample_export, CASES["priority banana"].edit)
    code, summary = sample.import_json(sample_export, "crm", "--dry-run")
    assert code == 1
    assert find(summary["errors"], sheet="Requirements", row=6, column="H")


def test_text_output_names_sheet_row_and_column_and_says_nothing_was_written(sample: Reqtrace, sample_export):
    edit_workbook(sample_export, CASES["weight heavy"].edit)
    result = sample.run("import", "requirements", sample_export, "--project", "crm")
    assert result.exit_code == 1
    assert "nothing was written" in result.stderr
    assert "sheet Requirements, row 6, column I: Weight: 'heavy' is not a number" in result.stderr


def test_json_output_is_exactly_one_document(sample: Reqtrace, sample_export):
    edit_workbook(sample_export, CASES["status done"].edit)
    result = sample.run("import", "requirements", sample_export, "--project", "crm", "--json")
    decoder = json.JSONDecoder()
    document, end = decoder.raw_decode(result.stdout)
    assert result.stdout[end:].strip() == ""
    assert set(document) >= {"applied", "added", "changed", "unchanged", "removed", "errors", "warnings"}
    assert document["errors"] == [{"sheet": "Requirements", "row": 6, "column": "N",
                                   "message": document["errors"][0]["message"]}]


def test_requirement_column_letters_are_the_contract(sample_export):
    """The letters the error cases name are those of the exported sheet."""
    sheet = openpyxl.load_workbook(sample_export)["Requirements"]
    for header, letter in REQUIREMENT_COLUMN.items():
        assert sheet[f"{letter}1"].value == header
