"""`reqtrace export requirements` writes DESIGN.md's workbook contract, checked cell by cell.

The expected workbook is written out below (the golden file, as data): sheet
names and order, headers, every row, dropdowns, frozen header, autofilter,
protection. Text that looks like a formula stays text; characters Excel cannot
store are dropped. LibreOffice must be able to open the result.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session

from reqtrace import __version__
from reqtrace.db import make_engine
from reqtrace.formats.layout import SHEETS
from tests.builders import ProjectBuilder
from tests.formats.conftest import Reqtrace, item_changes
from tests.formats.workbooks import sheet_part

HYPERLINK_TITLE = '=HYPERLINK("http://x","y")'
SOFFICE = next((path for path in ("/usr/bin/soffice", "/usr/bin/libreoffice") if Path(path).exists()), None)


def golden_project(*, control_characters: bool = True) -> ProjectBuilder:
    """A small chain using every field: tags, excluded deployments, weight, timebox, steps, custom fields."""
    retired_title = "Bell\x07 and form feed\x0c go" if control_characters else "Bell and form feed go"
    return (
        ProjectBuilder("gold", "Golden project")
        .strategy("STR-1", title="Keep key accounts", statement="Grow **loyalty** of key accounts.",
                  sponsor="Chief Executive Officer", perspective="customer", segment="Key accounts",
                  kpi="Retention rate", target="95% by 2026", owner="owner")
        .strategy("STR-2", title="Cut the cost to serve", perspective="financial")
        .strategy("STR-10", title="Train every rep", perspective="people", status="proposed")
        .role("ROL-1", strategies=["STR-10", "STR-2", "STR-1"], title="Field rep", from_state="Takes orders",
              to_state="Manages the account", department="Sales", description="Visits plants.\nPlans the year.")
        .process("PRC-1", roles=["ROL-1"], title="Visit a plant", description="Plan, visit, record.",
                 steps=["Plan the visit", "Visit the plant", "Record the outcome"], management="constraint",
                 bottleneck="Travel time", peak_demand="Quarter end")
        .process("PRC-2", roles=["ROL-1"], title="Quote", status="draft")
        .requirement("REQ-1", processes=["PRC-2", "PRC-1"], title="Work offline for a week",
                     statement="Reps work with **no** connection.", acceptance="Pull the cable; create a quote.",
                     kind="process-control", capability="technology", priority="must", weight=8,
                     tags=["offline", "no-telephony"], excluded_deployments=["thin-client", "hosted-only"],
                     timebox_minutes=15, owner="owner",
                     custom_fields={"Source": "Workshop 3", "Vendor note": "ask for a demo"})
        .requirement("REQ-2", processes=["PRC-1"], title=HYPERLINK_TITLE, kind="information-management",
                     capability="knowledge-insight", priority="wont")
        .requirement("REQ-3", title=retired_title, status="retired", priority="could",
                     custom_fields={"Source": "Old list"})
    )


GOLDEN = {
    "Strategies": [
        ["ID", "Title", "Statement", "Executive sponsor", "Perspective", "Customer segment", "KPI", "Target",
         "Owner", "Status", "Version"],
        ["STR-1", "Keep key accounts", "Grow **loyalty** of key accounts.", "Chief Executive Officer", "customer",
         "Key accounts", "Retention rate", "95% by 2026", "owner", "approved", 1],
        ["STR-2", "Cut the cost to serve", None, "Chief Executive Officer", "financial", None,
         "Customer retention rate", None, None, "approved", 1],
        ["STR-10", "Train every rep", None, "Chief Executive Officer", "people", None, "Customer retention rate",
         None, None, "proposed", 1],
    ],
    "Roles": [
        ["ID", "Title", "Strategies", "From", "To", "Department", "Description", "Owner", "Status", "Version"],
        ["ROL-1", "Field rep", "STR-1, STR-2, STR-10", "Takes orders", "Manages the account", "Sales",
         "Visits plants.\nPlans the year.", None, "approved", 1],
    ],
    "Processes": [
        ["ID", "Title", "Roles", "Description", "Steps", "Management", "Bottleneck", "Peak demand", "Owner",
         "Status", "Version"],
        ["PRC-1", "Visit a plant", "ROL-1", "Plan, visit, record.",
         "Plan the visit\nVisit the plant\nRecord the outcome", "constraint", "Travel time", "Quarter end", None,
         "approved", 1],
        ["PRC-2", "Quote", "ROL-1", None, None, "balanced-flow", None, None, None, "draft", 1],
    ],
    "Requirements": [
        ["ID", "Title", "Processes", "Statement", "Acceptance criteria", "Kind", "Capability", "Priority", "Weight",
         "Tags", "Excluded deployments", "Timebox (minutes)", "Owner", "Status", "Version", "Source", "Vendor note"],
        ["REQ-1", "Work offline for a week", "PRC-1, PRC-2", "Reps work with **no** connection.",
         "Pull the cable; create a quote.", "process-control", "technology", "must", 8, "offline, no-telephony",
         "thin-client, hosted-only", 15, "owner", "approved", 1, "Workshop 3", "ask for a demo"],
        ["REQ-2", HYPERLINK_TITLE, "PRC-1", None, None, "information-management", "knowledge-insight", "won't",
         None, None, None, None, None, "approved", 1, None, None],
        ["REQ-3", "Bell and form feed go", None, None, None, "process-control", "technology", "could", None, None,
         None, None, None, "retired", 1, "Old list", None],
    ],
}
STATUSES = '"draft,proposed,approved,retired"'
DROPDOWNS = {
    "Strategies": {"E2:E1048576": '"customer,financial,operations,people"', "J2:J1048576": STATUSES},
    "Roles": {"I2:I1048576": STATUSES},
    "Processes": {"F2:F1048576": '"balanced-flow,constraint"', "J2:J1048576": STATUSES},
    "Requirements": {"F2:F1048576": '"process-control,information-management"',
                     "G2:G1048576": '"technology,people,process,knowledge-insight"',
                     "H2:H1048576": '"must,should,could,won\'t"', "N2:N1048576": STATUSES},
}
AUTOFILTER = {"Strategies": "A1:K4", "Roles": "A1:J2", "Processes": "A1:K3", "Requirements": "A1:Q4"}


@pytest.fixture
def golden(sqlite: Reqtrace, tmp_path) -> tuple[Reqtrace, Path]:
    """The golden project in SQLite, exported through the CLI."""
    _build(sqlite, golden_project())
    return sqlite, sqlite.export(tmp_path / "gold.xlsx", "gold")


def _build(reqtrace: Reqtrace, builder: ProjectBuilder) -> None:
    engine = make_engine(reqtrace.url)
    with Session(engine) as session:
        builder.build(session)
        session.commit()
    engine.dispose()


# --- sheets, headers, values ------------------------------------------------------------------

def test_sheets_come_in_contract_order_with_the_metadata_sheet_very_hidden(golden):
    _reqtrace, path = golden
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Instructions", "Strategies", "Roles", "Processes", "Requirements", "_reqtrace"]
    assert [sheet.sheet_state for sheet in workbook.worksheets] == ["visible"] * 5 + ["veryHidden"]


def test_each_level_sheet_matches_the_golden_rows_cell_by_cell(golden):
    _reqtrace, path = golden
    workbook = openpyxl.load_workbook(path)
    for name, expected in GOLDEN.items():
        actual = [list(row) for row in workbook[name].iter_rows(values_only=True)]
        assert len(actual) == len(expected), name
        for number, (got, want) in enumerate(zip(actual, expected), start=1):
            assert got == want, f"{name} row {number}"


def test_headers_are_the_layout_columns_in_order(golden):
    _reqtrace, path = golden
    workbook = openpyxl.load_workbook(path)
    for _kind, (name, columns) in SHEETS.items():
        headers = [cell.value for cell in workbook[name][1]]
        assert headers[:len(columns)] == [column.header for column in columns]
        assert headers[0] == "ID"


def test_metadata_names_format_project_and_exporter(golden):
    _reqtrace, path = golden
    rows = {row[0]: row[1] for row in openpyxl.load_workbook(path)["_reqtrace"].iter_rows(values_only=True)}
    assert rows["format"] == "reqtrace-requirements"
    assert rows["format_version"] == 1
    assert rows["project"] == "gold"
    assert rows["exported_by"] == "cli:test"
    assert rows["reqtrace"] == __version__
    assert datetime.fromisoformat(rows["exported_at"]).tzinfo is not None


def test_instructions_sheet_explains_every_column_and_the_allowed_values(golden):
    _reqtrace, path = golden
    sheet = openpyxl.load_workbook(path)["Instructions"]
    rows = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert sheet["A1"].value == "Requirements workbook of project gold: Golden project"
    for _kind, (name, columns) in SHEETS.items():
        for column in columns:
            assert f"{name} · {column.header}" in rows, (name, column.header)
    assert "must, should, could, won't" in rows["Requirements · Priority"]
    assert "draft, proposed, approved, retired" in rows["Requirements · Status"]
    assert sheet.protection.sheet is False


# --- what makes the workbook editable, and safe -----------------------------------------------

def test_enumerated_columns_have_dropdowns_with_exact_lists(golden):
    _reqtrace, path = golden
    workbook = openpyxl.load_workbook(path)
    for name, expected in DROPDOWNS.items():
        validations = workbook[name].data_validations.dataValidation
        found = {str(validation.sqref): validation.formula1 for validation in validations}
        assert found == expected, name
        for validation in validations:
            assert validation.type == "list"
            assert validation.showErrorMessage
            assert validation.allow_blank


def test_header_is_frozen_and_filtered(golden):
    _reqtrace, path = golden
    workbook = openpyxl.load_workbook(path)
    for name, reference in AUTOFILTER.items():
        assert workbook[name].freeze_panes == "B2", name
        assert workbook[name].auto_filter.ref == reference, name


def test_sheets_are_protected_with_only_id_and_version_locked(golden):
    _reqtrace, path = golden
    workbook = openpyxl.load_workbook(path)
    for name in AUTOFILTER:
        sheet = workbook[name]
        assert sheet.protection.sheet is True, name
        # Sorting and filtering stay allowed ("False" means "not protected" in the OOXML flags).
        assert sheet.protection.autoFilter is False and sheet.protection.sort is False
        headers = [cell.value for cell in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if cell.value is None:
                    continue  # no cell written: it takes its column's style, checked below
                expected = headers[cell.column - 1] in ("ID", "Version")
                assert cell.protection.locked is expected, f"{name}!{cell.coordinate}"
        for index, header in enumerate(headers, start=1):
            letter = openpyxl.utils.get_column_letter(index)
            locked = sheet.column_dimensions[letter].protection.locked
            assert locked is (header in ("ID", "Version")), f"{name} column {letter} ({header}) for new rows"


def test_a_title_that_looks_like_a_formula_is_stored_as_text(golden):
    _reqtrace, path = golden
    sheet = openpyxl.load_workbook(path)["Requirements"]
    assert sheet["B3"].value == HYPERLINK_TITLE
    assert sheet["B3"].data_type == "s"
    with zipfile.ZipFile(path) as archive:
        for name in ("Strategies", "Roles", "Processes", "Requirements", "Instructions"):
            xml = archive.read(sheet_part(path, name))
            assert b"<f>" not in xml and b"<f " not in xml, name


def test_characters_excel_cannot_store_are_removed(golden):
    _reqtrace, path = golden
    sheet = openpyxl.load_workbook(path)["Requirements"]
    assert sheet["B4"].value == "Bell and form feed go"
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(sheet_part(path, "Requirements"))
    assert b"\x07" not in xml and b"\x0c" not in xml


def test_export_refuses_a_file_name_that_is_not_xlsx(golden, tmp_path):
    reqtrace, _path = golden
    result = reqtrace.run("export", "requirements", "--project", "gold", "-o", tmp_path / "gold.xls")
    assert result.exit_code == 1
    assert ".xlsx" in result.stderr
    assert not (tmp_path / "gold.xls").exists()


def test_export_json_prints_one_document_with_the_counts(golden, tmp_path):
    reqtrace, _path = golden
    result = reqtrace.run("export", "requirements", "--project", "gold", "-o", tmp_path / "again.xlsx", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["sheets"] == {"Strategies": 3, "Roles": 1, "Processes": 2, "Requirements": 3}


# --- the golden project goes back in unchanged ------------------------------------------------

def test_golden_export_imports_back_unchanged(sqlite, tmp_path):
    _build(sqlite, golden_project(control_characters=False))
    path = sqlite.export(tmp_path / "gold.xlsx", "gold")
    before = sqlite.snapshot("gold")
    code, summary = sqlite.import_json(path, "gold")
    assert code == 0, summary["errors"]
    assert (summary["added"], summary["changed"], summary["removed"], summary["unchanged"]) == (0, 0, 0, 9)
    assert summary["applied"] is True
    assert sqlite.snapshot("gold") == before  # not even an audit event


def test_an_item_with_a_control_character_round_trips_unchanged(sqlite, tmp_path):
    """The export drops characters Excel cannot store; importing that export must not 'change' the item."""
    _build(sqlite, golden_project(control_characters=True))
    path = sqlite.export(tmp_path / "gold.xlsx", "gold")
    code, summary = sqlite.import_json(path, "gold", "--dry-run")
    assert code == 0
    assert summary["changed"] == 0, item_changes(summary)


# --- LibreOffice opens it ---------------------------------------------------------------------

def _soffice(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = (tmp_path / "lo-profile").as_uri()
    return subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", *args],
                          capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (/usr/bin/soffice or /usr/bin/libreoffice) is not "
                                            "installed, so the export cannot be opened in it")
def test_libreoffice_converts_the_export(golden, tmp_path):
    _reqtrace, path = golden
    out = tmp_path / "csv"
    completed = _soffice(tmp_path, "--convert-to", "csv", "--outdir", str(out), str(path))
    assert completed.returncode == 0, completed.stderr
    # The default CSV filter writes the first sheet in the system's 8-bit encoding: compare bytes.
    assert (out / "gold.csv").read_bytes().startswith(b"Requirements workbook of project gold")
    # Every sheet, as LibreOffice reads it: the formula-looking title is text, not the link's label "y".
    every_sheet = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    completed = _soffice(tmp_path, "--convert-to", every_sheet, "--outdir", str(out), str(path))
    assert completed.returncode == 0, completed.stderr
    with open(out / "gold-Requirements.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["ID", "Title", "Processes"]
    assert rows[2][1] == HYPERLINK_TITLE
    assert rows[1][2] == "PRC-1, PRC-2"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed: cannot save the export with it")
def test_an_export_saved_again_by_libreoffice_imports_unchanged(sqlite, tmp_path):
    """Procurement opens the workbook in LibreOffice and saves it untouched: importing changes nothing."""
    _build(sqlite, golden_project(control_characters=False))
    path = sqlite.export(tmp_path / "gold.xlsx", "gold")
    out = tmp_path / "saved"
    completed = _soffice(tmp_path, "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path))
    assert completed.returncode == 0, completed.stderr
    saved = out / "gold.xlsx"
    assert saved.exists()
    code, summary = sqlite.import_json(saved, "gold", "--dry-run")
    assert code == 0, summary["errors"]
    assert summary["format"] == "reqtrace"
    assert (summary["added"], summary["changed"], summary["removed"]) == (0, 0, 0), item_changes(summary)
    shutil.rmtree(out)
