"""Workbooks made by other people and other tools: found, mapped, imported; never retiring anything.

Each workbook is built in the test's folder by `tests.formats.workbooks`. The
target is a small project `crm` (two complete chains: REQ-1 and REQ-2 exist) or
a project the import creates.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session

from reqtrace.db import make_engine
from reqtrace.formats.columns import SYNONYMS
from reqtrace.services.users import add_user
from tests.formats import workbooks
from tests.formats.conftest import Reqtrace, find, item_changes, with_chains


@pytest.fixture
def crm(sqlite: Reqtrace) -> Reqtrace:
    """Project crm with STR-1/2, ROL-1/2, PRC-1/2, REQ-1/2, all approved."""
    return with_chains(sqlite, 2)


def _accounts(reqtrace: Reqtrace, *usernames: str, role: str = "owner") -> None:
    """Users who may own items: an imported Owner must name one (reqtrace.formats.requirements_import)."""
    engine = make_engine(reqtrace.url)
    with Session(engine) as session:
        for username in usernames:
            add_user(session, username=username, role=role, password="a long test password", actor="test")
        session.commit()
    engine.dispose()


def _imported(reqtrace: Reqtrace, path, project: str = "crm", *options: str) -> dict:
    code, summary = reqtrace.import_json(path, project, *options)
    assert code == 0, summary["errors"]
    assert summary["applied"] is True
    assert summary["format"] == "foreign"
    return summary


def _new_items(reqtrace: Reqtrace, project: str = "crm", existing=("REQ-1", "REQ-2")) -> list[dict]:
    items = reqtrace.items("requirement", project)
    return sorted((item for hid, item in items.items() if hid not in existing), key=lambda item: item["seq"])


def _mapping(summary: dict, sheet_index: int = 0) -> dict[str, str]:
    return {column["header"]: column["field"] for column in summary["sheets"][sheet_index]["columns"]}


# --- finding the header -----------------------------------------------------------------------

def test_title_block_and_blank_rows_above_the_header(crm, tmp_path):
    summary = _imported(crm, workbooks.title_block(tmp_path / "list.xlsx"))
    assert summary["sheets"][0]["header_row"] == 5
    assert (summary["added"], summary["changed"], summary["removed"]) == (3, 0, 0)
    new = _new_items(crm)
    assert [(item["hid"], item["title"], item["priority"]) for item in new] == [
        ("REQ-3", "Quote offline", "must"), ("REQ-4", "Log a call", "should"),
        ("REQ-5", "Forecast by segment", "could")]
    assert new[0]["statement"] == "Reps create a quote on the laptop with no connection."
    assert new[0]["custom_fields"] == {"Notes": "from workshop 2"}
    assert new[1]["custom_fields"] == {}


def test_rows_are_numbered_as_the_spreadsheet_numbers_them(crm, tmp_path):
    """Title rows, blank rows above and inside the data: the error names the row Excel shows (9)."""
    before = crm.snapshot()
    code, summary = crm.import_json(workbooks.title_block(tmp_path / "list.xlsx", bad_priority=True))
    assert code == 1
    assert summary["errors"] == [{"sheet": "CRM requirements", "row": 9, "column": "D",
                                  "message": summary["errors"][0]["message"]}]
    assert "'banana' is not a priority" in summary["errors"][0]["message"]
    assert crm.snapshot() == before


def test_merged_group_header_and_vertically_merged_headers(crm, tmp_path):
    summary = _imported(crm, workbooks.merged_headers(tmp_path / "catalogue.xlsx"))
    assert summary["sheets"][0]["header_row"] == 4
    assert _mapping(summary) == {"Ref": "id", "Title": "title", "Description": "statement", "Priority": "priority",
                                 "Comments": "custom"}
    visit, history = crm.item("R-1"), crm.item("R-2")
    assert (visit["title"], visit["statement"], visit["priority"]) == \
        ("Visit plan", "Reps plan a week of visits on a map.", "must")
    assert visit["custom_fields"] == {"Comments": "map needed"}
    assert (history["title"], history["priority"]) == ("Service history", "could")


# --- mapping columns --------------------------------------------------------------------------

def test_columns_in_another_order_with_other_names(crm, tmp_path):
    path = workbooks.renamed_columns(tmp_path / "reqs.xlsx")
    # Its Owner column names people who have no account yet: refused at each of those cells, nothing written.
    before = crm.snapshot()
    code, refused = crm.import_json(path)
    assert code == 1 and _mapping(refused)["Owner"] == "owner"
    assert [(error["sheet"], error["row"], error["column"]) for error in refused["errors"]] == \
        [("Reqs", 2, "A"), ("Reqs", 3, "A")]
    assert "'sam' is not a reqtrace user" in refused["errors"][0]["message"]
    assert crm.snapshot() == before
    _accounts(crm, "sam", "priya")
    summary = _imported(crm, path)
    assert _mapping(summary) == {"Owner": "owner", "Criticality": "priority", "Description": "statement",
                                 "Req ID": "id", "Vendor comment": "custom", "Source": "custom"}
    assert summary["added"] == 3
    visits = crm.item("CRM-001")
    assert (visits["owner"], visits["priority"], visits["statement"], visits["title"]) == \
        ("sam", "must", "The system records every customer visit.", "The system records every customer visit.")
    assert visits["custom_fields"] == {"Vendor comment": "standard", "Source": "workshop 1"}
    assert crm.item("CRM-002")["priority"] == "should"
    unnumbered = [item for item in _new_items(crm) if item["hid"] not in ("CRM-001", "CRM-002")]
    assert len(unnumbered) == 1
    assert unnumbered[0]["hid"].startswith("REQ-")
    assert (unnumbered[0]["priority"], unnumbered[0]["custom_fields"]) == ("could", {"Vendor comment": "add-on"})


def test_unknown_columns_come_back_as_extra_columns_of_the_export_and_round_trip(crm, tmp_path):
    _accounts(crm, "sam", "priya")
    _imported(crm, workbooks.renamed_columns(tmp_path / "reqs.xlsx"))
    export = crm.export(tmp_path / "crm.xlsx")
    sheet = openpyxl.load_workbook(export)["Requirements"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[headers.index("Version") + 1:] == ["Vendor comment", "Source"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["CRM-001"][-2:] == ("standard", "workshop 1")
    assert rows["REQ-1"][-2:] == (None, None)
    code, summary = crm.import_json(export, "crm", "--dry-run")
    assert code == 0
    assert (summary["added"], summary["changed"], summary["removed"]) == (0, 0, 0), item_changes(summary)


def test_priority_synonyms_match_case_insensitively(crm, tmp_path):
    values = ["Must have", "M", "MUST", "should have", "Could", "won't have", "Nice to have", "high"]
    path = workbooks.plain(tmp_path / "p.xlsx", ["Requirement", "Priority"],
                           [[f"Requirement number {n}.", value] for n, value in enumerate(values)])
    _imported(crm, path)
    assert [item["priority"] for item in _new_items(crm)] == \
        ["must", "must", "must", "should", "could", "wont", "could", "must"]


def test_a_missing_column_takes_the_model_default(crm, tmp_path):
    _imported(crm, workbooks.plain(tmp_path / "p.xlsx", ["ID", "Requirement"], [[None, "Reps quote offline."]]))
    (new,) = _new_items(crm)
    assert (new["priority"], new["status"], new["kind"], new["capability"], new["weight"], new["title"]) == \
        ("should", "draft", "process-control", "technology", None, "Reps quote offline.")


def test_a_blank_priority_cell_takes_the_default_like_a_missing_column(crm, tmp_path):
    """Procurement lists often leave the criticality of some rows empty: blank means 'not said', not an error."""
    path = workbooks.plain(tmp_path / "p.xlsx", ["Requirement", "Priority"],
                           [["Reps quote offline.", "Must"], ["Managers see forecasts.", None]])
    _imported(crm, path)
    assert [item["priority"] for item in _new_items(crm)] == ["must", "should"]


def test_map_overrides_a_column_and_ignores_another(crm, tmp_path):
    path = workbooks.plain(tmp_path / "p.xlsx", ["Title", "Requirement", "Description", "Internal"],
                           [["Quote offline", "Reps quote offline.", "Pull the cable and quote.", "secret"]])
    _imported(crm, path, "crm", "--map", "Description=acceptance", "--map", "Internal=ignore")
    (new,) = _new_items(crm)
    assert (new["title"], new["statement"], new["acceptance"]) == \
        ("Quote offline", "Reps quote offline.", "Pull the cable and quote.")
    assert new["custom_fields"] == {}


def test_without_map_a_second_text_column_is_kept_as_a_custom_field(crm, tmp_path):
    path = workbooks.plain(tmp_path / "p.xlsx", ["Title", "Requirement", "Description"],
                           [["Quote offline", "Reps quote offline.", "Pull the cable and quote."]])
    _imported(crm, path)
    (new,) = _new_items(crm)
    assert new["custom_fields"] == {"Description": "Pull the cable and quote."}


def test_map_to_an_unknown_field_is_refused_with_the_list_of_fields(crm, tmp_path):
    path = workbooks.plain(tmp_path / "p.xlsx", ["Requirement"], [["Reps quote offline."]])
    result = crm.run("import", "requirements", path, "--project", "crm", "--map", "Requirement=colour")
    assert result.exit_code == 1
    assert "'colour' is not a field" in result.stderr and "statement" in result.stderr


def test_sheet_option_reads_only_that_sheet(crm, tmp_path):
    path = workbooks.two_sheets(tmp_path / "two.xlsx")
    code, both = crm.import_json(path, "crm", "--dry-run")
    assert both["rows"] == 2 and [sheet["sheet"] for sheet in both["sheets"]] == ["Requirements", "Notes"]
    # The Notes sheet's Owner (priya) has no account: reading that sheet too is refused there.
    assert code == 1 and [(error["sheet"], error["row"], error["column"]) for error in both["errors"]] == \
        [("Notes", 2, "C")]
    summary = _imported(crm, path, "crm", "--sheet", "Requirements")
    assert summary["added"] == 1
    assert [item["title"] for item in _new_items(crm)] == ["Quote offline"]


def test_sheet_option_naming_a_missing_sheet_is_refused(crm, tmp_path):
    path = workbooks.two_sheets(tmp_path / "two.xlsx")
    result = crm.run("import", "requirements", path, "--project", "crm", "--sheet", "Nope")
    assert result.exit_code == 1
    assert "no sheet named nope" in result.stderr.lower()
    assert "Requirements" in result.stderr and "Notes" in result.stderr


def test_header_row_and_map_read_a_header_no_synonym_matches(crm, tmp_path):
    path = workbooks.unrecognisable_header(tmp_path / "lastenheft.xlsx")
    before = crm.snapshot()
    code, refused = crm.import_json(path)
    assert code == 1
    assert refused["errors"][0]["message"] == ("no sheet of this workbook has a recognisable header row, so there "
                                               "is nothing to import (sheets skipped: 'Anforderungen')")
    [skipped] = find(refused["errors"], sheet="Anforderungen")
    assert "--header-row" in skipped["message"]
    assert crm.snapshot() == before
    summary = _imported(crm, path, "crm", "--header-row", "3", "--map", "Nummer=id", "--map",
                        "Anforderung=statement", "--map", "Wichtigkeit=priority")
    assert summary["added"] == 2
    assert (crm.item("A-1")["statement"], crm.item("A-1")["priority"]) == ("Das System zeigt alle Angebote.", "must")
    assert crm.item("A-2")["priority"] == "could"


# --- sheets that lie about their size, formulas ----------------------------------------------

@pytest.mark.parametrize("styled_last_row", [False, True], ids=["dimension", "dimension and a styled last row"])
def test_a_sheet_claiming_a_million_rows_stops_at_the_real_end(crm, tmp_path, styled_last_row):
    path = workbooks.many_rows(tmp_path / "big.xlsx", 50)
    workbooks.claim_a_million_rows(path, styled_last_row=styled_last_row)
    started = time.monotonic()
    summary = _imported(crm, path)
    assert time.monotonic() - started < 10
    assert (summary["rows"], summary["added"]) == (50, 50)
    assert len(_new_items(crm)) == 50


def test_formula_cells_are_read_by_their_cached_value(crm, tmp_path):
    summary = _imported(crm, workbooks.formulas(tmp_path / "f.xlsx", cached="values"))
    assert not [warning for warning in summary["warnings"] if "formula" in warning["message"]]
    first, second = _new_items(crm)
    assert (first["title"], first["priority"], first["weight"]) == ("QUOTE OFFLINE", "must", 8.0)
    assert first["custom_fields"] == {"Score": "2"}
    assert (second["title"], second["priority"], second["weight"]) == ("Log a call", "could", 2.0)


@pytest.mark.parametrize("cached", ["openpyxl", "absent"])
@pytest.mark.parametrize("relationships", ["openpyxl order", "Excel order"])
def test_a_formula_without_cached_value_gives_a_warning_saying_formula(crm, tmp_path, cached, relationships):
    path = workbooks.formula_in_custom_column(tmp_path / "f.xlsx", cached=cached)
    if relationships == "Excel order":
        workbooks.excel_relationship_order(path)
    summary = _imported(crm, path)
    formula_warnings = [warning for warning in summary["warnings"] if "formula" in warning["message"]]
    assert {(warning["sheet"], warning["row"], warning["column"]) for warning in formula_warnings} == \
        {("Requirements", 2, "C"), ("Requirements", 2, "D")}
    (new,) = _new_items(crm)
    assert new["weight"] is None


@pytest.mark.parametrize("relationships", ["openpyxl order", "Excel order"])
def test_a_formula_without_cached_value_in_a_required_cell_is_an_error_saying_formula(crm, tmp_path,
                                                                                      relationships):
    path = workbooks.formulas(tmp_path / "f.xlsx", cached="absent")
    if relationships == "Excel order":
        workbooks.excel_relationship_order(path)
    before = crm.snapshot()
    code, summary = crm.import_json(path)
    assert code == 1
    (error,) = find(summary["errors"], sheet="Requirements", row=2, column="C")
    assert "formula" in error["message"]
    assert crm.snapshot() == before


# --- a questionnaire and another tool's export -----------------------------------------------

def test_multi_sheet_questionnaire_imports_every_requirement_with_its_answers(sqlite, tmp_path):
    summary = _imported(sqlite, workbooks.questionnaire(tmp_path / "questionnaire.xlsx"), "tender")
    assert [sheet["sheet"] for sheet in summary["sheets"]] == ["Sales", "Service"]
    assert all(sheet["header_row"] == 4 for sheet in summary["sheets"])
    assert _mapping(summary)["Requirement"] == "statement"
    assert summary["added"] == 5
    items = _new_items(sqlite, "tender", existing=())
    expected = [row for rows in workbooks.QUESTIONNAIRE.values() for row in rows]
    assert [item["hid"] for item in items] == ["REQ-1", "REQ-2", "REQ-3", "REQ-4", "REQ-5"]
    for item, (label, text, answer) in zip(items, expected):
        assert item["statement"] == text
        assert item["custom_fields"][answer] == "x"
        assert item["custom_fields"]["No. (source)"] == f"{label:g}"
        others = set(workbooks.ANSWER_COLUMNS) - {answer}
        assert not others & set(item["custom_fields"]), item["custom_fields"]
        assert item["status"] == "draft"
    assert items[1]["custom_fields"]["Comment"] == "only read access offline"
    id_warnings = [warning for warning in summary["warnings"] if "'1.1'" in warning["message"]]
    assert id_warnings and id_warnings[0]["sheet"] == "Sales" and id_warnings[0]["row"] == 6
    assert "custom field" in id_warnings[0]["message"]


def test_another_tools_links_to_its_own_ids_are_errors_naming_the_links_column(sqlite, tmp_path):
    path = workbooks.other_tool(tmp_path / "srs.xlsx")
    before = sqlite.snapshot("srs")
    code, summary = sqlite.import_json(path, "srs")
    assert code == 1
    assert summary["applied"] is False
    located = find(summary["errors"], sheet="SRS", row=3, column="D")
    assert len(located) == 1
    assert "SRS-001" in located[0]["message"] and "does not exist" in located[0]["message"]
    assert "process" in located[0]["message"]
    assert len(find(summary["errors"], sheet="SRS", row=4, column="D")) == 2
    assert sqlite.snapshot("srs") == before  # not even the project was created


def test_another_tools_export_imports_with_links_kept_as_a_custom_field(sqlite, tmp_path):
    path = workbooks.other_tool(tmp_path / "srs.xlsx")
    summary = _imported(sqlite, path, "srs", "--map", "links=custom")
    assert _mapping(summary) == {"uid": "id", "level": "custom", "text": "statement", "links": "custom"}
    assert summary["added"] == 3
    first, second, third = (sqlite.item(uid, project="srs") for uid in ("SRS-001", "SRS-002", "SRS-003"))
    assert first["custom_fields"] == {"level": "1.1"}
    assert second["custom_fields"] == {"level": "1.2", "links": "SRS-001"}
    assert third["custom_fields"] == {"level": "2.0", "links": "SRS-001, SRS-002"}
    assert second["title"] == "The system shall synchronise visits made offline."
    assert second["statement"] == workbooks.OTHER_TOOL_ROWS[1][2]
    # The same export again: the uids match, nothing changes.
    code, again = sqlite.import_json(path, "srs", "--map", "links=custom")
    assert code == 0
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, 3)


# --- what imported requirements become --------------------------------------------------------

def test_imported_requirements_without_process_are_technology_driven_drafts(crm, tmp_path):
    summary = _imported(crm, workbooks.title_block(tmp_path / "list.xlsx"))
    assert any("support no process" in warning["message"] for warning in summary["warnings"])
    assert {item["status"] for item in _new_items(crm)} == {"draft"}
    result = crm.run("trace", "check", "--project", "crm", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert sorted(report["technology_driven"]) == ["REQ-3", "REQ-4", "REQ-5"]


def test_an_approved_status_does_not_make_an_unlinked_import_approved(crm, tmp_path):
    """'Imported requirements with no process link arrive as drafts' (the issue), whatever the sheet says."""
    path = workbooks.plain(tmp_path / "p.xlsx", ["Requirement", "Status"], [["Reps quote offline.", "Approved"]])
    _imported(crm, path)
    (new,) = _new_items(crm)
    assert new["status"] == "draft"


def test_foreign_rows_may_link_to_existing_processes(crm, tmp_path):
    path = workbooks.plain(tmp_path / "p.xlsx", ["Requirement", "Processes"], [["Reps quote offline.", "PRC-2"]])
    _imported(crm, path)
    (new,) = _new_items(crm)
    assert crm.upstream(new["hid"]) == {"PRC-2"}


def test_a_foreign_workbook_never_retires_anything(crm, tmp_path):
    path = workbooks.plain(tmp_path / "p.xlsx", ["ID", "Requirement"],
                           [["REQ-1", "Reps record visits, now with photos."], [None, "Managers see forecasts."]])
    summary = _imported(crm, path)
    assert (summary["added"], summary["changed"], summary["removed"]) == (1, 1, 0)
    assert item_changes(summary)["REQ-1"]["changes"]["statement"][1] == "Reps record visits, now with photos."
    assert crm.item("REQ-2")["status"] == "approved"
    snapshot = crm.snapshot()
    assert all(item["status"] != "retired" for kind in snapshot["items"].values() for item in kind.values())


def test_a_row_without_id_gets_the_next_req_number_beside_another_tools_ids(crm, tmp_path):
    """Custom IDs use up no REQ numbers (reqtrace.services.items.next_seq): REQ-1, REQ-2 exist, so REQ-3."""
    path = workbooks.plain(tmp_path / "p.xlsx", ["ID", "Requirement"],
                           [["SRS-9", "Reps record visits."], [None, "Managers see forecasts."]])
    _imported(crm, path)
    hids = {item["hid"] for item in _new_items(crm)}
    assert hids == {"SRS-9", "REQ-3"}


def test_a_row_with_other_cells_but_no_text_is_an_error_at_the_text_column(crm, tmp_path):
    path = workbooks.plain(tmp_path / "p.xlsx", ["ID", "Title", "Requirement", "Priority"],
                           [["X-1", None, None, "Must"], ["X-2", "Quote", "Reps quote.", "Must"]])
    code, summary = crm.import_json(path)
    assert code == 1
    assert find(summary["errors"], sheet="Requirements", row=2)[0]["message"] == "the row has no requirement text"
    assert find(summary["errors"], sheet="Requirements", row=2)[0]["column"] in ("B", "C")


def test_a_row_with_no_text_reports_its_other_bad_cells_too(crm, tmp_path):
    path = workbooks.plain(tmp_path / "p.xlsx", ["ID", "Requirement", "Priority"],
                           [["X-1", None, "banana"], ["X-2", "Reps quote.", "Must"]])
    code, summary = crm.import_json(path)
    assert code == 1
    errors = find(summary["errors"], sheet="Requirements", row=2)
    assert [(error["column"], error["message"].split(":")[0]) for error in errors] == \
        [("B", "the row has no requirement text"), ("C", "Priority")]
    assert "banana" in errors[1]["message"]


def test_the_synonym_list_is_documented():
    """The issue promises 'a documented synonym list': every header the importer recognises is in the docs."""
    root = Path(__file__).resolve().parents[2]
    documentation = " ".join(path.read_text().lower() for path in [root / "README.md", *(root / "docs").rglob("*.md")])
    missing = [name for names in SYNONYMS.values() for name in names
               if len(name) > 3 and name.lower() not in documentation]
    assert not missing, f"column synonyms not in README.md or docs/: {missing}"
