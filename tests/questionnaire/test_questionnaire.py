"""The vendor questionnaire: exported per vendor, answered in a spreadsheet, read back with every check.

Each test runs on SQLite and, when configured, PostgreSQL, on a copy of the
sample project `crm` (vendors atlas, keystone, nimbus).
"""

from __future__ import annotations

import json

import openpyxl
import pytest
from sqlalchemy import func, select

from reqtrace.model import Project, QuestionnaireIssue, Requirement
from reqtrace.services.projects import create_project
from reqtrace.vocab import PRIORITY_WEIGHT
from tests.questionnaire.support import (HEADERS, META, SHEET, SIX_ANSWERS, answer, answers_only,
                                         change_requirement, database, edit, export_questionnaire, import_responses,
                                         metadata, progress_stages, row_numbers, run, run_at_a_terminal, score,
                                         set_metadata, stored_answers)


def issued_ids(path) -> list[str]:
    return list(row_numbers(openpyxl.load_workbook(path)[SHEET]))


def questionnaire_rows(path) -> dict[str, tuple]:
    """ID -> the row's values as the vendor sees them."""
    sheet = openpyxl.load_workbook(path)[SHEET]
    return {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}


def expected_scope(url: str) -> list[str]:
    """The approved requirements with a weight above 0, in ID order (computed here, not by the product)."""
    with database(url) as session:
        rows = session.exec(select(Requirement.hid, Requirement.priority, Requirement.weight, Requirement.status)
                            .join(Project, Project.id == Requirement.project_id).where(Project.key == "crm")).all()
    kept = [hid for hid, priority, weight, status in rows if status == "approved"
            and (weight if weight is not None else PRIORITY_WEIGHT[priority]) > 0]
    return sorted(kept, key=lambda hid: int(hid.split("-")[1]))


def requirement(url: str, hid: str) -> dict:
    with database(url) as session:
        found = session.exec(select(Requirement).join(Project, Project.id == Requirement.project_id)
                             .where(Project.key == "crm", Requirement.hid == hid)).scalars().one()
        return found.model_dump()


def refused(url, path, vendor="atlas", project="crm", *options) -> list[dict]:
    """Import `path`, expect a refusal (exit 1, applied false), return its errors."""
    code, summary = import_responses(url, path, vendor, project, *options)
    assert code == 1, summary
    assert summary["applied"] is False
    assert summary["errors"], summary
    return summary["errors"]


def messages(errors: list[dict]) -> str:
    return "\n".join(error["message"] for error in errors)


# --- export ------------------------------------------------------------------------------------

def test_without_a_baseline_it_lists_the_approved_requirements_that_carry_weight(url, tmp_path):
    change_requirement(url, "REQ-2", status="proposed")  # not approved: not asked
    change_requirement(url, "REQ-3", weight=0)  # weight 0 counts nowhere
    with database(url) as session:
        wont_haves = {hid for (hid,) in session.exec(select(Requirement.hid).where(Requirement.priority == "wont"))}
    assert wont_haves, "the sample should hold won't-haves"

    document = export_questionnaire(url, "atlas", tmp_path / "atlas.xlsx")

    ids = issued_ids(tmp_path / "atlas.xlsx")
    assert ids == expected_scope(url)
    assert "REQ-2" not in ids and "REQ-3" not in ids and not wont_haves & set(ids)
    assert document["rows"] == len(ids)
    assert (document["baseline"], document["source"], document["vendor"]) == ("", "approved", "atlas")


def test_columns_text_and_priority_as_the_vendor_sees_them(url, tmp_path):
    export_questionnaire(url, "atlas", tmp_path / "atlas.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "atlas.xlsx")
    sheet = workbook[SHEET]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert "Instructions" in workbook.sheetnames
    instructions = " ".join(str(row[0]) for row in workbook["Instructions"].iter_rows(values_only=True) if row[0])
    assert all(choice in instructions for choice in SIX_ANSWERS)

    first = requirement(url, "REQ-1")
    row = questionnaire_rows(tmp_path / "atlas.xlsx")["REQ-1"]
    # Plain text, not Markdown: the statement's wrapped lines flow as one paragraph (as on the web page), the
    # acceptance criteria's "- " items are bullets and their *emphasis* markers are gone.
    assert row[1] == f"{first['title']}\n\n{' '.join(first['statement'].split())}"
    items = first["acceptance"].strip().split("\n")
    assert len(items) == 3 and all(item.startswith("- ") for item in items) and "*" in first["acceptance"]
    assert row[2] == "\n".join("• " + item[2:].replace("*", "") for item in items)
    assert row[3] == "Must"
    assert row[4:] == (None, None, None)  # nothing answered yet


def test_answer_dropdown_locked_columns_and_protection(url, tmp_path):
    export_questionnaire(url, "atlas", tmp_path / "atlas.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "atlas.xlsx")[SHEET]

    lists = [validation for validation in sheet.data_validations.dataValidation if validation.type == "list"]
    assert len(lists) == 1
    dropdown = lists[0]
    assert dropdown.formula1.strip('"').split(",") == SIX_ANSWERS
    assert "E2" in dropdown.sqref and f"E{sheet.max_row}" in dropdown.sqref
    assert "D2" not in dropdown.sqref and "F2" not in dropdown.sqref
    assert dropdown.showErrorMessage  # a typed value outside the list is refused by Excel

    assert sheet.protection.sheet is True
    last = sheet.max_row
    for letter in "ABCD":
        for row in (2, last):
            assert sheet[f"{letter}{row}"].protection.locked is True, f"{letter}{row} should be locked"
    for letter in "EFG":
        # The vendor types into empty cells, which take their column's style.
        assert sheet.column_dimensions[letter].protection.locked is False, f"column {letter} should be editable"
        for row in (2, last):
            cell = sheet[f"{letter}{row}"]
            assert cell.value is None
            if cell.has_style:
                assert cell.protection.locked is False


def test_hidden_metadata_names_project_vendor_baseline_issue_and_checksum(url, tmp_path):
    document = export_questionnaire(url, "atlas", tmp_path / "atlas.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "atlas.xlsx")
    assert workbook[META].sheet_state == "veryHidden"
    meta = metadata(tmp_path / "atlas.xlsx")
    assert meta["project"] == "crm" and meta["vendor"] == "atlas"
    assert meta.get("baseline") in (None, "")
    assert meta["issue"] == document["issue"]
    assert len(meta["checksum"]) == 64
    with database(url) as session:
        issue = session.exec(select(QuestionnaireIssue).where(QuestionnaireIssue.token == document["issue"])
                             ).scalars().one()
        assert issue.checksum == meta["checksum"] and issue.rows == document["rows"]

    # The checksum covers the issued rows: the same rows give the same checksum, other text another one.
    again = export_questionnaire(url, "atlas", tmp_path / "again.xlsx")
    assert again["issue"] != document["issue"]
    assert metadata(tmp_path / "again.xlsx")["checksum"] == meta["checksum"]
    change_requirement(url, "REQ-1", title="One account view, reworded")
    export_questionnaire(url, "atlas", tmp_path / "reworded.xlsx")
    assert metadata(tmp_path / "reworded.xlsx")["checksum"] != meta["checksum"]


def test_after_a_baseline_it_lists_the_baselines_requirements_as_frozen(url, tmp_path):
    change_requirement(url, "REQ-2", status="proposed")
    original = requirement(url, "REQ-1")["title"]
    assert run(url, "baseline", "create", "B1", "--project", "crm").exit_code == 0
    frozen = expected_scope(url)
    change_requirement(url, "REQ-1", title="Rewritten after the baseline")
    change_requirement(url, "REQ-2", status="approved")  # approved now, but not in B1

    document = export_questionnaire(url, "atlas", tmp_path / "atlas.xlsx")

    assert (document["baseline"], document["source"]) == ("B1", "baseline")
    assert metadata(tmp_path / "atlas.xlsx")["baseline"] == "B1"
    assert issued_ids(tmp_path / "atlas.xlsx") == frozen
    text = questionnaire_rows(tmp_path / "atlas.xlsx")["REQ-1"][1]
    assert text.startswith(original) and "Rewritten after the baseline" not in text


# --- import: answers stored --------------------------------------------------------------------

@pytest.fixture
def issued(url, tmp_path):
    """atlas's questionnaire as issued (no baseline) and its first six IDs."""
    path = tmp_path / "atlas.xlsx"
    export_questionnaire(url, "atlas", path)
    return path, issued_ids(path)[:6]


@pytest.fixture
def answered(url, issued, tmp_path):
    """atlas answered four requirements (with synonyms) and the answers were imported."""
    path, ids = issued
    target = answer(path, {ids[0]: "Fully Supported", ids[1]: "Customization", ids[2]: "3rd party",
                           ids[3]: "roadmap"},
                    comments={ids[0]: "Standard account view"}, demonstrations={ids[0]: "Live, on our sandbox"},
                    target=tmp_path / "atlas-answered.xlsx")
    code, summary = import_responses(url, target, "atlas")
    assert code == 0, summary
    return target, ids


def test_answers_are_stored_with_their_synonyms(url, issued, tmp_path):
    path, ids = issued
    rows = len(issued_ids(path))
    target = answer(path, {ids[0]: "Fully Supported", ids[1]: "Customization", ids[2]: "3rd party",
                           ids[3]: "roadmap"},
                    comments={ids[0]: "Standard account view"}, demonstrations={ids[0]: "Live, on our sandbox"},
                    target=tmp_path / "answered.xlsx")

    code, summary = import_responses(url, target, "atlas")

    assert code == 0, summary
    assert summary["applied"] is True and summary["errors"] == []
    assert (summary["added"], summary["changed"], summary["unchanged"], summary["removed"]) == (4, 0, 0, 0)
    assert (summary["answered"], summary["unanswered"]) == (4, rows - 4)
    assert any(str(rows - 4) in warning["message"] for warning in summary["warnings"])
    stored = stored_answers(url, "atlas")
    assert answers_only(stored) == {ids[0]: "fully supported", ids[1]: "customisation", ids[2]: "third party",
                                    ids[3]: "roadmap"}
    assert stored[ids[0]]["comment"] == "Standard account view"
    assert stored[ids[0]]["demonstration"] == "Live, on our sandbox"

    # The claims reach the score: n = claim factor (0.5) × the claim's value.
    details = {row["hid"]: row for row in score(url, details=True)["atlas"]["requirements"]}
    assert details[ids[0]]["claim"] == "fully supported" and details[ids[0]]["n"] == pytest.approx(0.5)
    assert details[ids[1]]["claim"] == "customisation" and details[ids[1]]["n"] == pytest.approx(0.25)
    assert details[ids[3]]["claim"] == "roadmap" and details[ids[3]]["n"] == pytest.approx(0.1)
    assert details[ids[4]]["claim"] is None and details[ids[4]]["n"] == 0
    assert stored_answers(url, "nimbus") == {} and stored_answers(url, "keystone") == {}


def test_importing_the_same_workbook_again_changes_nothing(url, answered):
    path, ids = answered
    before = answers_only(stored_answers(url, "atlas"))
    code, summary = import_responses(url, path, "atlas")
    assert code == 0, summary
    assert (summary["added"], summary["changed"], summary["unchanged"], summary["removed"]) == (0, 0, 4, 0)
    assert answers_only(stored_answers(url, "atlas")) == before


def test_a_corrected_workbook_replaces_the_vendors_answers(url, answered, tmp_path):
    path, ids = answered
    corrected = answer(path, {ids[1]: "configuration", ids[2]: None, ids[4]: "Not supported"},
                       target=tmp_path / "corrected.xlsx")

    code, summary = import_responses(url, corrected, "atlas")

    assert code == 0, summary
    assert summary["applied"] is True
    assert (summary["added"], summary["changed"], summary["unchanged"], summary["removed"]) == (1, 1, 2, 1)
    assert answers_only(stored_answers(url, "atlas")) == {
        ids[0]: "fully supported", ids[1]: "configuration", ids[3]: "roadmap", ids[4]: "not supported"}


def test_the_warning_about_unanswered_rows_names_them(url, issued, tmp_path):
    path, ids = issued
    every = issued_ids(path)
    target = answer(path, {hid: "configuration" for hid in every if hid != ids[2]}, target=tmp_path / "one.xlsx")
    code, summary = import_responses(url, target, "atlas", "crm", "--dry-run")
    assert code == 0
    assert any(f"1 requirement(s) have no answer ({ids[2]}): they are scored as unanswered" == w["message"]
               for w in summary["warnings"]), summary["warnings"]
    code, summary = import_responses(url, path, "atlas", "crm", "--dry-run")  # none answered: refused, named
    blank = [w["message"] for w in summary["warnings"] if "have no answer" in w["message"]]
    assert blank and ", ".join(every[:20]) in blank[0] and f"and {len(every) - 20} more" in blank[0]


def test_a_corrected_workbook_warns_about_the_answers_it_removes(url, answered, tmp_path):
    path, ids = answered
    corrected = answer(path, {ids[2]: None}, target=tmp_path / "corrected.xlsx")
    code, summary = import_responses(url, corrected, "atlas", "crm", "--dry-run")
    assert code == 0 and summary["removed"] == 1
    assert any("1 answer(s) stored for atlas have no answer in this workbook" in w["message"]
               for w in summary["warnings"]), summary["warnings"]


def test_the_blank_questionnaire_as_issued_is_refused_and_keeps_every_stored_answer(url, answered, issued):
    """Uploading the unanswered workbook by mistake would remove every answer: it is refused instead."""
    before = stored_answers(url, "atlas")
    blank, _ids = issued
    code, summary = import_responses(url, blank, "atlas")
    assert code == 1 and summary["applied"] is False
    (error,) = summary["errors"]
    assert "holds no answers at all" in error["message"] and f"remove the {len(before)} answers" in \
        error["message"] and error["sheet"]
    assert stored_answers(url, "atlas") == before


def test_dry_run_reports_but_stores_nothing(url, answered, tmp_path):
    path, ids = answered
    before = stored_answers(url, "atlas")
    corrected = answer(path, {ids[1]: "configuration", ids[2]: None}, target=tmp_path / "corrected.xlsx")

    code, summary = import_responses(url, corrected, "atlas", "crm", "--dry-run")

    assert code == 0, summary
    assert summary["applied"] is False and summary["errors"] == []
    assert (summary["added"], summary["changed"], summary["unchanged"], summary["removed"]) == (0, 1, 2, 1)
    assert stored_answers(url, "atlas") == before


def test_replacing_is_all_or_nothing(url, answered, tmp_path, monkeypatch):
    """A failure while storing the new answers leaves the previous ones, not none."""
    path, ids = answered
    before = stored_answers(url, "atlas")
    corrected = answer(path, {ids[1]: "configuration"}, target=tmp_path / "corrected.xlsx")

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")
    monkeypatch.setattr("reqtrace.services.responses.bulk_insert", broken)
    result = run(url, "import", "responses", corrected, "--project", "crm", "--vendor", "atlas")

    assert result.exit_code != 0
    assert stored_answers(url, "atlas") == before


def test_a_reissued_questionnaire_of_the_same_scope_still_accepts_the_first_copy(url, issued, tmp_path):
    path, ids = issued
    export_questionnaire(url, "atlas", tmp_path / "second-copy.xlsx")
    target = answer(path, {ids[0]: "fully supported"}, target=tmp_path / "answered.xlsx")
    code, summary = import_responses(url, target, "atlas")
    assert code == 0, summary
    assert answers_only(stored_answers(url, "atlas")) == {ids[0]: "fully supported"}


# --- import: refusals, each storing nothing ----------------------------------------------------

def test_refused_for_another_vendor(url, answered):
    path, ids = answered
    before = stored_answers(url, "atlas")
    errors = refused(url, path, "nimbus")
    assert "atlas" in messages(errors) and "nimbus" in messages(errors)
    assert stored_answers(url, "nimbus") == {}
    assert stored_answers(url, "atlas") == before


def test_refused_for_another_project_with_a_vendor_of_the_same_slug(url, answered):
    path, ids = answered
    with database(url, write=True) as session:
        create_project(session, key="crm2", name="Second selection", actor="test")
    assert run(url, "vendor", "add", "atlas", "--project", "crm2", "--name", "Atlas again",
               "--deployment", "hybrid-offline").exit_code == 0
    before = stored_answers(url, "atlas")

    errors = refused(url, path, "atlas", "crm2")

    assert "crm" in messages(errors)
    assert stored_answers(url, "atlas", "crm2") == {}
    assert stored_answers(url, "atlas") == before


def test_refused_when_the_metadata_names_another_project(url, answered, tmp_path):
    """Rewriting the hidden project name does not get a workbook into another project."""
    path, ids = answered
    with database(url, write=True) as session:
        create_project(session, key="crm2", name="Second selection", actor="test")
    assert run(url, "vendor", "add", "atlas", "--project", "crm2", "--name", "Atlas again",
               "--deployment", "hybrid-offline").exit_code == 0
    forged = set_metadata(answer(path, {}, target=tmp_path / "forged.xlsx"), "project", "crm2")
    refused(url, forged, "atlas", "crm2")
    assert stored_answers(url, "atlas", "crm2") == {}


def test_refused_when_a_newer_questionnaire_from_another_baseline_was_issued(url, tmp_path):
    assert run(url, "baseline", "create", "B1", "--project", "crm").exit_code == 0
    export_questionnaire(url, "atlas", tmp_path / "b1.xlsx")
    ids = issued_ids(tmp_path / "b1.xlsx")
    first = answer(tmp_path / "b1.xlsx", {ids[0]: "fully supported"}, target=tmp_path / "b1-first.xlsx")
    assert import_responses(url, first, "atlas")[0] == 0
    before = stored_answers(url, "atlas")
    assert run(url, "baseline", "create", "B2", "--project", "crm").exit_code == 0
    export_questionnaire(url, "atlas", tmp_path / "b2.xlsx")

    late = answer(tmp_path / "b1.xlsx", {ids[0]: "roadmap", ids[1]: "configuration"},
                  target=tmp_path / "b1-late.xlsx")
    errors = refused(url, late)
    assert "B2" in messages(errors)
    assert stored_answers(url, "atlas") == before

    current = answer(tmp_path / "b2.xlsx", {ids[0]: "roadmap"}, target=tmp_path / "b2-answered.xlsx")
    code, summary = import_responses(url, current, "atlas")
    assert code == 0, summary
    assert answers_only(stored_answers(url, "atlas")) == {ids[0]: "roadmap"}


def test_an_answer_outside_the_six_names_its_row_and_column(url, answered, tmp_path):
    path, ids = answered
    before = stored_answers(url, "atlas")
    rows = row_numbers(openpyxl.load_workbook(path)[SHEET])
    bad = answer(path, {ids[4]: "maybe", ids[5]: "configuration"}, target=tmp_path / "maybe.xlsx")

    code, summary = import_responses(url, bad, "atlas")

    assert code == 1 and summary["applied"] is False
    located = [error for error in summary["errors"] if "maybe" in error["message"]]
    assert len(located) == 1, summary["errors"]
    assert (located[0]["sheet"], located[0]["row"], located[0]["column"]) == (SHEET, rows[ids[4]], "E")
    assert summary["unanswered"] == len(rows) - 6  # "maybe" is wrong, not blank: only the rows left blank count
    assert stored_answers(url, "atlas") == before


def test_an_answer_or_comment_left_as_an_uncalculated_formula_is_refused_where_it_is(url, answered, tmp_path):
    """openpyxl (and other scripts) write formulas without a calculated value: read as empty, the answer and the
    comment would be lost without a word."""
    path, ids = answered
    before = stored_answers(url, "atlas")
    rows = row_numbers(openpyxl.load_workbook(path)[SHEET])
    bad = answer(path, {ids[4]: '="roadmap"', ids[5]: "configuration"}, comments={ids[5]: "=1+1"},
                 target=tmp_path / "formulas.xlsx")

    code, summary = import_responses(url, bad, "atlas")

    assert code == 1 and summary["applied"] is False
    located = sorted((error["row"], error["column"]) for error in summary["errors"] if "formula" in error["message"])
    assert located == [(rows[ids[4]], "E"), (rows[ids[5]], "F")], summary["errors"]
    assert any("the Comment cell holds a formula with no calculated value" in error["message"]
               for error in summary["errors"])
    assert stored_answers(url, "atlas") == before


def test_a_questionnaire_whose_only_answer_is_outside_the_six_is_not_called_blank(url, issued, tmp_path):
    path, ids = issued
    rows = row_numbers(openpyxl.load_workbook(path)[SHEET])
    code, summary = import_responses(url, answer(path, {ids[0]: "maybe"}, target=tmp_path / "maybe.xlsx"), "atlas")
    assert code == 1 and summary["applied"] is False
    assert [(error["row"], error["column"]) for error in summary["errors"]] == [(rows[ids[0]], "E")]
    assert "maybe" in summary["errors"][0]["message"]
    assert stored_answers(url, "atlas") == {}


def test_altered_requirement_text_names_its_row_and_column(url, answered, tmp_path):
    path, ids = answered
    before = stored_answers(url, "atlas")
    rows = row_numbers(openpyxl.load_workbook(path)[SHEET])

    def soften(workbook):
        cell = workbook[SHEET].cell(rows[ids[3]], 2)
        cell.value = cell.value.replace("without", "mostly without", 1) + " (where practical)"
    bad = edit(path, soften, target=tmp_path / "softened.xlsx")

    errors = refused(url, bad)

    located = [error for error in errors if error["row"] == rows[ids[3]]]
    assert located and located[0]["column"] == "B" and located[0]["sheet"] == SHEET, errors
    assert ids[3] in located[0]["message"]
    assert stored_answers(url, "atlas") == before


def test_altered_acceptance_criteria_are_reported(url, answered, tmp_path):
    """The acceptance criteria are locked text too: a vendor who softens them must not get its answers in."""
    path, ids = answered
    before = stored_answers(url, "atlas")
    rows = row_numbers(openpyxl.load_workbook(path)[SHEET])
    issued = questionnaire_rows(path)[ids[3]][2]
    assert issued, "the sample's requirements carry acceptance criteria"

    def soften(workbook):
        workbook[SHEET].cell(rows[ids[3]], 3).value = "Shown on slides; details after signature."
    bad = edit(path, soften, target=tmp_path / "softened.xlsx")

    code, summary = import_responses(url, bad, "atlas")

    assert code == 1 and summary["applied"] is False, summary
    located = [error for error in summary["errors"] if error["row"] == rows[ids[3]]]
    assert located and located[0]["column"] == "C", summary["errors"]
    assert f"{ids[3]}: its locked Acceptance criteria text was changed" in located[0]["message"]
    assert stored_answers(url, "atlas") == before


def test_a_deleted_row_of_a_baseline_questionnaire_is_reported_removed(url, tmp_path):
    assert run(url, "baseline", "create", "B1", "--project", "crm").exit_code == 0
    export_questionnaire(url, "atlas", tmp_path / "b1.xlsx")
    ids = issued_ids(tmp_path / "b1.xlsx")
    rows = row_numbers(openpyxl.load_workbook(tmp_path / "b1.xlsx")[SHEET])
    bad = answer(tmp_path / "b1.xlsx", {ids[0]: "fully supported"}, target=tmp_path / "deleted.xlsx")
    edit(bad, lambda workbook: workbook[SHEET].delete_rows(rows[ids[5]]))

    errors = refused(url, bad)

    removed = [error for error in errors if ids[5] in error["message"]]
    assert removed and "removed" in removed[0]["message"], errors
    assert stored_answers(url, "atlas") == {}


def test_a_deleted_row_of_an_approved_set_questionnaire_is_refused(url, issued, tmp_path):
    path, ids = issued
    rows = row_numbers(openpyxl.load_workbook(path)[SHEET])
    bad = answer(path, {ids[0]: "fully supported"}, target=tmp_path / "deleted.xlsx")
    edit(bad, lambda workbook: workbook[SHEET].delete_rows(rows[ids[5]]))
    refused(url, bad)
    assert stored_answers(url, "atlas") == {}


def test_a_requirements_workbook_is_not_a_questionnaire(url, answered, tmp_path):
    before = stored_answers(url, "atlas")
    assert run(url, "export", "requirements", "--project", "crm", "-o", tmp_path / "requirements.xlsx").exit_code == 0
    errors = refused(url, tmp_path / "requirements.xlsx")
    assert "not a reqtrace questionnaire" in messages(errors)
    assert stored_answers(url, "atlas") == before


@pytest.mark.parametrize("baseline_then, forged", [("", "B1"), ("B1", "")], ids=["approved-as-B1", "B1-as-approved"])
def test_a_tampered_baseline_in_the_metadata_is_refused(url, tmp_path, baseline_then, forged):
    if baseline_then:
        assert run(url, "baseline", "create", baseline_then, "--project", "crm").exit_code == 0
    export_questionnaire(url, "atlas", tmp_path / "atlas.xlsx")
    ids = issued_ids(tmp_path / "atlas.xlsx")
    if not baseline_then:
        assert run(url, "baseline", "create", "B1", "--project", "crm").exit_code == 0
    bad = set_metadata(answer(tmp_path / "atlas.xlsx", {ids[0]: "fully supported"}, target=tmp_path / "bad.xlsx"),
                       "baseline", forged)
    refused(url, bad)
    assert stored_answers(url, "atlas") == {}


def test_an_export_to_a_folder_that_does_not_exist_fails_cleanly(url, tmp_path):
    """One JSON document saying what went wrong, no traceback, and no questionnaire recorded as issued."""
    with database(url) as session:
        issues = session.exec(select(func.count()).select_from(QuestionnaireIssue)).scalar_one()
    for args in (("questionnaire", "--vendor", "atlas"), ("scores",)):
        result = run(url, "export", *args[:1], "--project", "crm", *args[1:], "-o", tmp_path / "missing" / "x.xlsx",
                     "--json")
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output
        document = json.loads(result.stdout)
        assert "missing" in str(document), document
    with database(url) as session:
        assert session.exec(select(func.count()).select_from(QuestionnaireIssue)).scalar_one() == issues


# --- the JSON and text output ------------------------------------------------------------------

def test_json_is_one_import_summary_with_located_errors(url, answered, tmp_path):
    path, ids = answered
    bad = answer(path, {ids[4]: "maybe"}, target=tmp_path / "maybe.xlsx")
    code, summary = import_responses(url, bad, "atlas")  # parses stdout as exactly one JSON document
    assert code == 1
    assert {"applied", "added", "changed", "unchanged", "removed", "errors", "warnings"} <= set(summary)
    assert all(set(error) == {"sheet", "row", "column", "message"} for error in summary["errors"])
    assert all(isinstance(summary[name], int) for name in ("added", "changed", "unchanged", "removed"))


def test_json_for_a_file_that_is_no_workbook_is_an_import_summary(url, tmp_path):
    """Scripts read `applied` and `errors`; a refused file is an import that failed with one error."""
    path = tmp_path / "answers.xlsx"
    path.write_text("ID;Answer\nREQ-1;yes\n")
    code, document = import_responses(url, path, "atlas")
    assert code == 1
    assert document.get("applied") is False, document
    assert [set(error) for error in document.get("errors", [])] == [{"sheet", "row", "column", "message"}], document
    assert "not an Excel workbook" in document["errors"][0]["message"]


def test_text_output_says_it_was_refused_and_where(url, answered, tmp_path):
    path, ids = answered
    rows = row_numbers(openpyxl.load_workbook(path)[SHEET])
    bad = answer(path, {ids[4]: "maybe"}, target=tmp_path / "maybe.xlsx")
    result = run(url, "import", "responses", bad, "--project", "crm", "--vendor", "atlas")
    assert result.exit_code == 1
    assert result.stdout.startswith("Refused")
    assert f"row {rows[ids[4]]}, column E" in result.stderr and "maybe" in result.stderr


# --- progress and the one-screen summary -------------------------------------------------------
# The counts are taken from the workbooks themselves (openpyxl), not from the product's own summary.

def sheet_rows(path) -> int:
    """Rows below the questionnaire's header, as a spreadsheet program shows them."""
    return openpyxl.load_workbook(path)[SHEET].max_row - 1


def test_export_questionnaire_shows_the_rows_written_then_its_summary(url, tmp_path):
    path = tmp_path / "atlas.xlsx"
    result = run(url, "export", "questionnaire", "--project", "crm", "--vendor", "atlas", "-o", path, "--progress")
    assert result.exit_code == 0, result.output
    rows = sheet_rows(path)
    assert rows == len(expected_scope(url)) > 1
    assert progress_stages(result.stderr) == [("writing Questionnaire", rows, rows)]
    assert result.stderr.endswith("\n")  # the progress line is ended before the summary
    assert result.stdout == f"Wrote {path}: {rows} requirements from the approved requirements for atlas.\n"


def test_import_responses_shows_rows_read_validated_and_saved_then_its_summary(url, issued, tmp_path):
    path, ids = issued
    rows = sheet_rows(path)
    target = answer(path, {hid: "configuration" for hid in ids}, target=tmp_path / "answered.xlsx")
    result = run(url, "import", "responses", target, "--project", "crm", "--vendor", "atlas", "--progress")
    assert result.exit_code == 0, result.output
    assert progress_stages(result.stderr) == [("read", rows, rows), ("validate", rows, rows),
                                              ("save", 0, len(ids)), ("save", len(ids), len(ids))]
    summary, *warnings = result.stdout.splitlines()
    assert summary == (f"Stored {len(ids)} answers of atlas from {rows} rows into 'crm': {len(ids)} new, "
                       "0 changed, 0 unchanged, 0 removed.")
    assert [line for line in warnings if f"{rows - len(ids)} requirement(s) have no answer" in line]
    assert len(stored_answers(url, "atlas")) == len(ids)


def test_a_dry_run_shows_rows_read_and_validated_but_saves_nothing(url, issued, tmp_path):
    path, ids = issued
    rows = sheet_rows(path)
    target = answer(path, {ids[0]: "roadmap", ids[1]: "roadmap"}, target=tmp_path / "answered.xlsx")
    result = run(url, "import", "responses", target, "--project", "crm", "--vendor", "atlas", "--dry-run",
                 "--progress")
    assert result.exit_code == 0, result.output
    assert progress_stages(result.stderr) == [("read", rows, rows), ("validate", rows, rows)]
    assert result.stdout.startswith(f"Would store 2 answers of atlas from {rows} rows into 'crm': 2 new,")
    assert stored_answers(url, "atlas") == {}


def test_a_refused_import_fits_on_one_screen_and_says_that_nothing_was_stored(url, issued, tmp_path):
    """20 wrong answers: the count, the first 15 of them, and where to find the rest."""
    path, _ids = issued
    rows = sheet_rows(path)
    first, *wrong = issued_ids(path)[:21]
    target = answer(path, {first: "roadmap", **{hid: "maybe" for hid in wrong}}, target=tmp_path / "maybe.xlsx")
    result = run(url, "import", "responses", target, "--project", "crm", "--vendor", "atlas", "--progress")
    assert result.exit_code == 1
    assert progress_stages(result.stderr) == [("read", rows, rows), ("validate", rows, rows)]  # no save
    assert result.stdout.startswith(f"Refused 1 answers of atlas from {rows} rows into 'crm'")
    assert "\n20 error(s); nothing was stored:\n" in result.stderr
    assert result.stderr.count("'maybe' is not one of the answers") == 15
    assert result.stderr.endswith("  … and 5 more (use --json for all)\n")
    assert stored_answers(url, "atlas") == {}


def test_progress_is_reported_from_the_row_loops_as_they_go(url, issued, tmp_path, monkeypatch):
    """Every PROGRESS_EVERY rows (2,000; here 40, as the sample has fewer rows) and at the last row."""
    import reqtrace.formats

    monkeypatch.setattr(reqtrace.formats, "PROGRESS_EVERY", 40)
    path, ids = issued
    rows = sheet_rows(path)
    expected = [(done, rows) for done in range(40, rows, 40)] + [(rows, rows)]
    assert len(expected) > 2
    result = run(url, "export", "questionnaire", "--project", "crm", "--vendor", "atlas", "-o", tmp_path / "again.xlsx",
                 "--progress")
    assert [(done, total) for _, done, total in progress_stages(result.stderr)] == expected
    target = answer(tmp_path / "again.xlsx", {ids[0]: "roadmap"}, target=tmp_path / "answered.xlsx")
    result = run(url, "import", "responses", target, "--project", "crm", "--vendor", "atlas", "--dry-run",
                 "--progress")
    assert [(done, total) for stage, done, total in progress_stages(result.stderr) if stage == "validate"] == expected


def test_progress_is_off_without_a_terminal_or_with_no_progress(url, issued, tmp_path):
    """CliRunner's stderr is no terminal: stderr stays empty, so logs and pipes get only the result."""
    path, ids = issued
    target = answer(path, {ids[0]: "roadmap"}, target=tmp_path / "answered.xlsx")
    for options in ((), ("--no-progress",)):
        result = run(url, "import", "responses", target, "--project", "crm", "--vendor", "atlas", "--dry-run",
                     *options)
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
        result = run(url, "export", "questionnaire", "--project", "crm", "--vendor", "atlas", "-o",
                     tmp_path / "again.xlsx", *options)
        assert result.exit_code == 0, result.output
        assert result.stderr == ""


def test_progress_leaves_the_json_document_as_it_was(url, issued, tmp_path):
    path, ids = issued
    target = answer(path, {ids[0]: "roadmap"}, target=tmp_path / "answered.xlsx")
    plain = import_responses(url, target, "atlas", "crm", "--dry-run")
    with_progress = import_responses(url, target, "atlas", "crm", "--dry-run", "--progress")
    assert with_progress == plain
    result = run(url, "import", "responses", target, "--project", "crm", "--vendor", "atlas", "--dry-run",
                 "--progress", "--json")
    assert progress_stages(result.stderr)  # on stderr; stdout parsed as exactly one document above


def test_at_a_terminal_progress_is_on_by_default(url, tmp_path):
    path = tmp_path / "atlas.xlsx"
    code, stdout, shown = run_at_a_terminal(url, "export", "questionnaire", "--project", "crm", "--vendor", "atlas",
                                            "-o", path)
    assert code == 0, stdout + shown
    rows = sheet_rows(path)
    assert progress_stages(shown) == [("writing Questionnaire", rows, rows)]
    assert stdout.startswith(f"Wrote {path}: {rows} requirements")


def test_a_title_and_statement_longer_than_a_cell_are_cut_alike_on_issue_and_on_return(url, tmp_path):
    """Each fits a cell on its own; together they may not. The questionnaire cuts the text (saying so) and
    the answered workbook is checked against the same cut text."""
    from reqtrace.formats.questionnaire_export import CUT_NOTE

    title, statement = "Keep every word", "word " * 6_552 + "end"  # 32,763 characters, 32,780 with the title
    change_requirement(url, "REQ-47", title=title, statement=statement)
    path = tmp_path / "atlas.xlsx"
    export_questionnaire(url, "atlas", path)
    text = questionnaire_rows(path)["REQ-47"][HEADERS.index("Requirement")]
    assert len(text) <= 32_767 and text.endswith(CUT_NOTE) and text.startswith(f"{title}\n\nword word")
    answer(path, {"REQ-47": "fully supported"})
    code, summary = import_responses(url, path, "atlas")
    assert code == 0 and summary["applied"] is True, summary["errors"]
    assert answers_only(stored_answers(url, "atlas"))["REQ-47"] == "fully supported"
