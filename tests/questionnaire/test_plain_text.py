"""The questionnaire shows Markdown requirements as plain text, and still reads back the ones that showed Markdown.

What the vendor sees in Excel (opened with openpyxl), what comes back accepted, and what comes back refused
with its sheet, row and column: for questionnaires issued now and for ones issued before, which held the
Markdown as written.
"""

from __future__ import annotations

import openpyxl
import pytest

from tests.questionnaire.support import (HEADERS, SHEET, answer, answers_only, cell_xml, edit, export_questionnaire,
                                         import_responses, row_numbers, run, stored_answers)
from tests.questionnaire.support import change_requirement as change

TITLE = "One account view combining sales, service, finance and web history"
STATEMENT = ("Reps **must** see the account's *open* quotes:\n\n"
             "- contacts, with [the org chart](https://example.com/org)\n"
             "    1. primary\n"
             "    2. others\n"
             "- orders &amp; invoices\n\n"
             "| Field | Required |\n"
             "|-------|:--------:|\n"
             "| VAT number | **yes** |\n\n"
             "> As sales put it:\n"
             "> no re-keying.\n\n"
             "Run `sync --all` first.<script>alert(1)</script>")
SHOWN = (f"{TITLE}\n\n"
         "Reps must see the account's open quotes:\n\n"
         "• contacts, with the org chart (https://example.com/org)\n"
         "  1. primary\n"
         "  2. others\n"
         "• orders & invoices\n\n"
         "Field | Required\n"
         "VAT number | yes\n\n"
         "> As sales put it: no re-keying.\n\n"
         "Run sync --all first.")
ACCEPTANCE = '=HYPERLINK("http://x","y") stays words: open *Gresley Chemicals*.'
ACCEPTANCE_SHOWN = '=HYPERLINK("http://x","y") stays words: open Gresley Chemicals.'
COLUMN = {name: openpyxl.utils.get_column_letter(HEADERS.index(name) + 1) for name in HEADERS}


@pytest.fixture
def markdown_requirement(url):
    """REQ-1 of the sample, rewritten with most of what Markdown offers."""
    change(url, "REQ-1", title=TITLE, statement=STATEMENT, acceptance=ACCEPTANCE)
    return "REQ-1"


def cells(path, hid: str) -> tuple[openpyxl.cell.Cell, openpyxl.cell.Cell]:
    """The Requirement and Acceptance criteria cells of a row."""
    sheet = openpyxl.load_workbook(path)[SHEET]
    row = row_numbers(sheet)[hid]
    return sheet.cell(row, HEADERS.index("Requirement") + 1), sheet.cell(row, HEADERS.index("Acceptance criteria") + 1)


def refused(url, path) -> list[dict]:
    code, summary = import_responses(url, path, "atlas")
    assert code == 1 and summary["applied"] is False, summary
    return summary["errors"]


def issued_as_before(url, path, monkeypatch) -> None:
    """The questionnaire as reqtrace issued it before plain text: its export with the renderer taken out.

    The cells are checked to hold the Markdown as written, the title and statement as before, so this is
    that workbook, and its recorded issue (checksum) is the one the old export recorded.
    """
    with monkeypatch.context() as patch:
        patch.setattr("reqtrace.formats.questionnaire_export.markdown_to_plain_text", lambda text: text)
        export_questionnaire(url, "atlas", path)
    requirement, acceptance = cells(path, "REQ-1")
    assert requirement.value == f"{TITLE}\n\n{STATEMENT}" and acceptance.value == ACCEPTANCE


# --- what the vendor sees ----------------------------------------------------------------------

def test_the_vendor_reads_the_requirement_as_plain_text(url, markdown_requirement, tmp_path):
    path = tmp_path / "atlas.xlsx"
    export_questionnaire(url, "atlas", path)

    requirement, acceptance = cells(path, markdown_requirement)

    assert requirement.value == SHOWN
    assert acceptance.value == ACCEPTANCE_SHOWN
    # Still text, never a formula, though it starts with "=".
    assert acceptance.data_type == "s" and "<f>" not in cell_xml(path, SHEET, acceptance.coordinate)


def test_a_requirement_without_markdown_reads_as_written(url, tmp_path):
    change(url, "REQ-1", statement="Plain words.", acceptance="Open the account.")
    path = tmp_path / "atlas.xlsx"
    export_questionnaire(url, "atlas", path)
    requirement, acceptance = cells(path, "REQ-1")
    assert requirement.value.endswith("\n\nPlain words.") and acceptance.value == "Open the account."


# --- questionnaires issued now -----------------------------------------------------------------

def test_the_plain_text_questionnaire_comes_back_accepted(url, markdown_requirement, tmp_path):
    path = tmp_path / "atlas.xlsx"
    export_questionnaire(url, "atlas", path)
    answer(path, {markdown_requirement: "configuration", "REQ-2": "roadmap"})

    code, summary = import_responses(url, path, "atlas")

    assert code == 0 and summary["applied"] is True, summary["errors"]
    assert answers_only(stored_answers(url, "atlas")) == {"REQ-1": "configuration", "REQ-2": "roadmap"}


@pytest.mark.parametrize("column, change_text", [
    ("Requirement", lambda text: text.replace("• orders & invoices\n", "")),
    ("Requirement", lambda text: text.replace("(https://example.com/org)", "(https://example.com/other)")),
    ("Acceptance criteria", lambda text: text.replace("open Gresley", "maybe open Gresley")),
], ids=["bullet-removed", "link-changed", "acceptance-softened"])
def test_altered_plain_text_is_refused_naming_sheet_row_and_column(url, markdown_requirement, tmp_path, column,
                                                                   change_text):
    path = tmp_path / "atlas.xlsx"
    export_questionnaire(url, "atlas", path)
    answer(path, {markdown_requirement: "fully supported"})
    rows = row_numbers(openpyxl.load_workbook(path)[SHEET])

    def alter(workbook):
        cell = workbook[SHEET][f"{COLUMN[column]}{rows[markdown_requirement]}"]
        changed = change_text(cell.value)
        assert changed != cell.value
        cell.value = changed
    edit(path, alter)

    errors = refused(url, path)

    assert [(error["sheet"], error["row"], error["column"]) for error in errors] == \
        [(SHEET, rows[markdown_requirement], COLUMN[column])], errors
    assert f"REQ-1: its locked {column} text was changed" in errors[0]["message"]
    assert stored_answers(url, "atlas") == {}


# --- questionnaires issued before, with the Markdown as written ---------------------------------

@pytest.fixture(params=[None, "B1"], ids=["approved", "baseline"])
def old_questionnaire(request, url, markdown_requirement, tmp_path, monkeypatch):
    """atlas's questionnaire as issued before plain text, from the approved set or a baseline, unanswered."""
    if request.param:
        assert run(url, "baseline", "create", request.param, "--project", "crm").exit_code == 0
    path = tmp_path / "atlas-old.xlsx"
    issued_as_before(url, path, monkeypatch)
    return path


def test_a_questionnaire_issued_with_markdown_still_comes_back_accepted(url, markdown_requirement, old_questionnaire):
    path = answer(old_questionnaire, {markdown_requirement: "customisation"})

    code, summary = import_responses(url, path, "atlas")

    assert code == 0 and summary["applied"] is True, summary["errors"]
    assert answers_only(stored_answers(url, "atlas")) == {"REQ-1": "customisation"}


def test_altered_markdown_of_a_questionnaire_issued_before_is_still_refused(url, markdown_requirement,
                                                                            old_questionnaire):
    path = answer(old_questionnaire, {markdown_requirement: "fully supported"})
    rows = row_numbers(openpyxl.load_workbook(path)[SHEET])
    row = rows[markdown_requirement]

    def soften(workbook):
        cell = workbook[SHEET][f"{COLUMN['Requirement']}{row}"]
        cell.value = cell.value.replace("Reps **must**", "Reps *may*")
    edit(path, soften)

    errors = refused(url, path)

    assert [(error["sheet"], error["row"], error["column"]) for error in errors] == \
        [(SHEET, row, COLUMN["Requirement"])], errors
    assert stored_answers(url, "atlas") == {}
