"""The scoring record: live formulas that procurement can audit, recalculated by LibreOffice to reqtrace's numbers.

atlas (hybrid-offline) and nimbus (thin-client) answered their questionnaires;
keystone (on-premise) did not. Several must-haves exclude thin-client
products, so nimbus is knocked out whatever it answers.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from reqtrace.model import Project, Requirement
from tests.questionnaire.support import (SHEET, SIX_ANSWERS, answer, cell_xml, change_requirement, database,
                                         export_questionnaire, import_responses, progress_stages, recalculate,
                                         row_numbers, run, run_json, score, stored_answers)

VENDORS = ("atlas", "keystone", "nimbus")
EVIL = '=HYPERLINK("http://evil","x")'


def answer_all(url: str, vendor: str, folder: Path, choose) -> None:
    """Export `vendor`'s questionnaire, answer every row with choose(index, priority), import it."""
    path = folder / f"{vendor}.xlsx"
    export_questionnaire(url, vendor, path)
    sheet = openpyxl.load_workbook(path)[SHEET]
    rows = [(row[0], row[3]) for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    answers = {hid: choose(index, priority) for index, (hid, priority) in enumerate(rows)}
    code, summary = import_responses(url, answer(path, answers, target=folder / f"{vendor}-answered.xlsx"), vendor)
    assert code == 0, summary


def atlas_answers(index: int, priority: str) -> str | None:
    """Every must-have at or above the knock-out threshold; the others spread over all six answers and blanks."""
    if priority == "Must":
        return "fully supported" if index % 2 else "Configuration"  # 0.5 × 0.8 = 0.4: exactly the threshold
    return [*SIX_ANSWERS, None][index % 7]


def nimbus_answers(index: int, priority: str) -> str | None:
    return "fully supported" if priority == "Must" else "3rd party"


@pytest.fixture
def scored(url, tmp_path):
    """atlas and nimbus answered, keystone not; the scoring record exported. Returns its path."""
    answer_all(url, "atlas", tmp_path, atlas_answers)
    answer_all(url, "nimbus", tmp_path, nimbus_answers)
    assert stored_answers(url, "keystone") == {}
    return export_record(url, tmp_path / "scores.xlsx")


def export_record(url: str, path: Path) -> Path:
    code, document = run_json(url, "export", "scores", "--project", "crm", "-o", path)
    assert code == 0, document
    assert document["vendors"] == 3
    return path


# --- reading the workbook ----------------------------------------------------------------------

def summary_rows(sheet) -> dict[str, dict[str, openpyxl.cell.Cell]]:
    """Vendor slug -> {header: cell} from the Summary sheet's vendor table."""
    header_row = next(row for row in range(1, sheet.max_row + 1)
                      if sheet.cell(row, 1).value == "Vendor" and sheet.cell(row, 2).value == "Name")
    headers = {sheet.cell(header_row, column).value: column for column in range(1, sheet.max_column + 1)
               if sheet.cell(header_row, column).value}
    table = {}
    for row in range(header_row + 1, sheet.max_row + 1):
        slug = sheet.cell(row, 1).value
        if not slug:
            break
        table[slug] = {header: sheet.cell(row, column) for header, column in headers.items()}
    return table


def setting(sheet, label: str):
    """The cell beside a setting's label on the Summary sheet."""
    for row in range(1, 20):
        if sheet.cell(row, 1).value == label:
            return sheet.cell(row, 2)
    raise AssertionError(f"no setting {label!r} on the Summary sheet")


def columns(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1] if cell.value}


def strategy_values(sheet, vendors=VENDORS) -> dict[str, dict[str, float]]:
    """By strategy sheet: vendor -> {strategy: value}."""
    heads = columns(sheet)
    values: dict[str, dict[str, float]] = {vendor: {} for vendor in vendors}
    for row in range(2, sheet.max_row + 1):
        strategy = sheet.cell(row, 1).value
        if strategy:
            for vendor in vendors:
                values[vendor][strategy] = sheet.cell(row, heads[vendor]).value
    return values


def expected_totals(details: list[dict], *, weights: dict[str, float] | None = None,
                    claim_factor: float | None = None, musts: set[str] | None = None) -> float:
    """T = 100 × Σ wn / Σ w, recomputed here from the per-requirement details, with some inputs changed."""
    weighted = weight_sum = 0.0
    for row in details:
        if musts is not None and row["hid"] not in musts:
            continue
        weight = (weights or {}).get(row["hid"], row["weight"])
        n = row["n"]
        if claim_factor is not None and row["basis"] == "claim":
            n = claim_factor * row["claim_value"]
        weighted += weight * n
        weight_sum += weight
    return 100 * weighted / weight_sum if weight_sum else 0.0


def must_haves(url: str) -> set[str]:
    with database(url) as session:
        rows = session.exec(select(Requirement.hid).join(Project, Project.id == Requirement.project_id)
                            .where(Project.key == "crm", Requirement.priority == "must"))
        return {hid for (hid,) in rows}


# --- the workbook as written -------------------------------------------------------------------

def test_totals_and_scores_are_live_formulas_reading_the_settings(url, scored):
    workbook = openpyxl.load_workbook(scored)
    summary = workbook["Summary"]
    table = summary_rows(summary)
    assert sorted(table) == sorted(VENDORS)
    for vendor, cells in table.items():
        assert cells["Total"].data_type == "f", (vendor, cells["Total"].value)
        assert cells["Must-have subtotal"].data_type == "f", (vendor, cells["Must-have subtotal"].value)
        assert "Scores!" in cells["Total"].value

    code, document = run_json(url, "score", "--project", "crm")
    assert setting(summary, "Claim factor").value == document["settings"]["claim_factor"] == 0.5
    assert setting(summary, "Knock-out threshold").value == document["settings"]["knockout_threshold"] == 0.4
    assert setting(summary, "Probe cap").value == document["settings"]["probe_cap"] == 0.2

    scores = workbook["Scores"]
    heads = columns(scores)
    assert {"ID", "Title", "Priority", "Base weight", "Weight"} <= set(heads)
    factor = setting(summary, "Claim factor")
    claim_factor_cell = f"Summary!${factor.column_letter}${factor.row}"
    for vendor in VENDORS:
        column = heads[f"{vendor}: n"]
        cells = [scores.cell(row, column) for row in range(2, scores.max_row + 1) if scores.cell(row, 1).value]
        assert len(cells) == 172
        assert all(cell.data_type == "f" for cell in cells), vendor
        assert all(claim_factor_cell in cell.value for cell in cells), cells[0].value
    weights = [scores.cell(row, heads["Weight"]) for row in range(2, scores.max_row + 1) if scores.cell(row, 1).value]
    assert all(cell.data_type == "f" for cell in weights)


def test_the_summary_has_a_chart_of_the_totals(scored):
    with zipfile.ZipFile(scored) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        assert charts, archive.namelist()
        chart = archive.read(charts[0]).decode()
    assert "Summary" in chart and "barChart" in chart


def test_knockouts_carry_their_reasons(url, scored):
    table = summary_rows(openpyxl.load_workbook(scored)["Summary"])
    results = score(url)
    assert results["atlas"]["knocked_out"] is False  # configuration on a must-have is exactly the threshold
    assert results["nimbus"]["knocked_out"] is True and results["keystone"]["knocked_out"] is True

    for vendor in VENDORS:
        reasons = table[vendor]["Knock-out reasons"]
        assert (reasons.value or "") == "\n".join(results[vendor]["knockout_reasons"]), vendor
        if reasons.value is not None:
            assert reasons.data_type == "s"
    nimbus = table["nimbus"]["Knock-out reasons"].value
    assert "thin-client" in nimbus and "REQ-40" in nimbus
    assert all("thin-client" in reason for reason in results["nimbus"]["knockout_reasons"])  # it answered fully
    assert "neither demonstrated nor answered" in table["keystone"]["Knock-out reasons"].value
    assert table["atlas"]["Knock-out reasons"].value is None


def test_a_formula_looking_title_is_text_in_the_questionnaire_and_the_record(url, tmp_path):
    change_requirement(url, "REQ-1", title=EVIL)
    assert run(url, "vendor", "add", "trojan", "--project", "crm", "--name", "=1+1",
               "--deployment", "on-premise").exit_code == 0

    questionnaire = tmp_path / "atlas.xlsx"
    export_questionnaire(url, "atlas", questionnaire)
    sheet = openpyxl.load_workbook(questionnaire)[SHEET]
    row = row_numbers(sheet)["REQ-1"]
    assert sheet.cell(row, 2).data_type == "s" and sheet.cell(row, 2).value.startswith(EVIL)
    assert "<f>" not in cell_xml(questionnaire, SHEET, f"B{row}")
    # ... and it comes back as the same text, so the answers are accepted.
    code, summary = import_responses(url, answer(questionnaire, {"REQ-1": "roadmap"}), "atlas")
    assert code == 0, summary

    record = export_record_with(url, tmp_path / "scores.xlsx", vendors=4)
    workbook = openpyxl.load_workbook(record)
    scores = workbook["Scores"]
    hid_row = next(r for r in range(2, scores.max_row + 1) if scores.cell(r, 1).value == "REQ-1")
    title = scores.cell(hid_row, columns(scores)["Title"])
    assert title.value == EVIL and title.data_type == "s"
    assert "<f>" not in cell_xml(record, "Scores", title.coordinate)
    name = summary_rows(workbook["Summary"])["trojan"]["Name"]
    assert name.value == "=1+1" and name.data_type == "s"
    assert "<f>" not in cell_xml(record, "Summary", name.coordinate)


def export_record_with(url: str, path: Path, *, vendors: int) -> Path:
    code, document = run_json(url, "export", "scores", "--project", "crm", "-o", path)
    assert code == 0 and document["vendors"] == vendors, document
    return path


# --- progress and the summary -------------------------------------------------------------------

def data_rows(workbook, sheet_name: str) -> int:
    """Rows with a first cell below the header row, as a person counts them in the workbook."""
    sheet = workbook[sheet_name]
    return sum(1 for row in range(2, sheet.max_row + 1) if sheet.cell(row, 1).value not in (None, ""))


def test_export_scores_shows_the_rows_written_to_each_sheet_then_its_summary(url, tmp_path):
    path = tmp_path / "scores.xlsx"
    result = run(url, "export", "scores", "--project", "crm", "-o", path, "--progress")
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(path)
    vendors = len(summary_rows(workbook["Summary"]))
    requirements, strategies = data_rows(workbook, "Scores"), data_rows(workbook, "By strategy")
    assert (vendors, requirements) == (3, 172) and strategies > 1
    assert progress_stages(result.stderr) == [
        ("writing Summary", vendors, vendors), ("writing Scores", requirements, requirements),
        ("writing Trace", data_rows(workbook, "Trace"), requirements), ("writing By strategy", strategies, strategies),
        ("writing Evidence", data_rows(workbook, "Evidence"), vendors * requirements)]
    assert result.stderr.endswith("\n")  # the progress line is ended before the summary
    assert result.stdout == (f"Wrote {path}: 3 vendors × 172 requirements, scored on the approved requirements "
                             "(no baseline yet).\n")


def test_export_scores_reports_the_rows_as_they_are_written(url, tmp_path, monkeypatch):
    """Every PROGRESS_EVERY rows (2,000; here 100, as the sample is smaller) and at each sheet's last row."""
    import reqtrace.formats

    monkeypatch.setattr(reqtrace.formats, "PROGRESS_EVERY", 100)
    result = run(url, "export", "scores", "--project", "crm", "-o", tmp_path / "scores.xlsx", "--progress")
    assert result.exit_code == 0, result.output
    evidence = [(done, total) for stage, done, total in progress_stages(result.stderr) if stage == "writing Evidence"]
    assert evidence == [(100, 516), (200, 516), (300, 516), (400, 516), (500, 516), (516, 516)]


def test_export_scores_shows_no_progress_without_a_terminal_and_keeps_its_json(url, tmp_path):
    result = run(url, "export", "scores", "--project", "crm", "-o", tmp_path / "plain.xlsx")
    assert result.exit_code == 0 and result.stderr == ""
    code, plain = run_json(url, "export", "scores", "--project", "crm", "-o", tmp_path / "scores.xlsx")
    code_with, with_progress = run_json(url, "export", "scores", "--project", "crm", "-o", tmp_path / "scores.xlsx",
                                        "--progress")
    assert code == code_with == 0
    assert with_progress == plain


# --- recalculated in LibreOffice ---------------------------------------------------------------

def test_recalculated_in_libreoffice_the_totals_equal_reqtrace_score(url, scored, tmp_path):
    results = score(url, details=True)
    musts = {row["hid"] for row in results["atlas"]["requirements"]} & must_haves(url)
    scores_sheet = openpyxl.load_workbook(scored)["Scores"]
    heads = columns(scores_sheet)
    by_id = {scores_sheet.cell(r, 1).value: r for r in range(2, scores_sheet.max_row + 1)}
    answered = {row["hid"]: row for row in results["atlas"]["requirements"]}
    should = next(hid for hid, row in answered.items() if row["weight"] == 3 and row["n"] > 0)
    must = next(hid for hid, row in answered.items() if row["weight"] == 5 and row["n"] > 0.4)

    # A copy where procurement tries other weights, and one with another claim factor.
    reweighted = openpyxl.load_workbook(scored)
    reweighted["Scores"].cell(by_id[should], heads["Base weight"]).value = 10
    reweighted["Scores"].cell(by_id[must], heads["Base weight"]).value = 20
    reweighted.save(tmp_path / "reweighted.xlsx")
    refactored = openpyxl.load_workbook(scored)
    setting(refactored["Summary"], "Claim factor").value = 0.6
    refactored.save(tmp_path / "refactored.xlsx")

    delivered, tried, other_factor = (openpyxl.load_workbook(path, data_only=True) for path in recalculate(
        [scored, tmp_path / "reweighted.xlsx", tmp_path / "refactored.xlsx"], tmp_path))

    table = summary_rows(delivered["Summary"])
    by_strategy = strategy_values(delivered["By strategy"])
    for vendor in VENDORS:
        expected = results[vendor]
        assert table[vendor]["Total"].value == pytest.approx(expected["total"], abs=0.005), vendor
        assert table[vendor]["Must-have subtotal"].value == pytest.approx(expected["must_subtotal"], abs=0.005)
        assert table[vendor]["Knocked out"].value == ("yes" if expected["knocked_out"] else "no"), vendor
        assert table[vendor]["Rank in reqtrace"].value == expected["rank"]
        for strategy, value in expected["by_strategy"].items():
            assert by_strategy[vendor][strategy] == pytest.approx(value, abs=0.005), (vendor, strategy)
    assert table["atlas"]["Rank here"].value == 1  # the one vendor not knocked out
    assert results["atlas"]["total"] > 0 and results["nimbus"]["total"] > 0  # the comparison is not 0 == 0

    changed = {should: 10, must: 20}
    tried_table = summary_rows(tried["Summary"])
    other_table = summary_rows(other_factor["Summary"])
    for vendor in VENDORS:
        details = results[vendor]["requirements"]
        total = expected_totals(details, weights=changed)
        assert tried_table[vendor]["Total"].value == pytest.approx(total, abs=0.005), vendor
        assert tried_table[vendor]["Must-have subtotal"].value == pytest.approx(
            expected_totals(details, weights=changed, musts=musts), abs=0.005), vendor
        assert other_table[vendor]["Total"].value == pytest.approx(
            expected_totals(details, claim_factor=0.6), abs=0.005), vendor
    assert tried_table["atlas"]["Total"].value != pytest.approx(results["atlas"]["total"], abs=0.005)
    assert other_table["atlas"]["Total"].value == pytest.approx(results["atlas"]["total"] * 1.2, abs=0.005)


def test_recalculated_with_strategy_weights_and_project_settings(url, tmp_path):
    """Unequal strategy weights, a project's own claim factor, a vendor that wanted a contract first:
    the record still equals reqtrace score."""
    vendors = (*VENDORS, "zenith")
    assert run(url, "vendor", "add", "zenith", "--project", "crm", "--name", "Zenith Systems",
               "--deployment", "on-premise", "--flag", "contract-before-poc").exit_code == 0
    answer_all(url, "atlas", tmp_path, atlas_answers)
    answer_all(url, "nimbus", tmp_path, nimbus_answers)
    answer_all(url, "zenith", tmp_path, lambda index, priority: "fully supported")
    strategies = [f"STR-{n}" for n in range(1, 12)]
    raw = {strategy: index + 1 for index, strategy in enumerate(strategies)}
    weights = {strategy: value / sum(raw.values()) for strategy, value in raw.items()}
    with database(url, write=True) as session:
        project = session.exec(select(Project).where(Project.key == "crm")).scalars().one()
        project.settings = {**(project.settings or {}), "strategy_weights": weights,
                            "scoring": {"claim_factor": 0.6}}
        flag_modified(project, "settings")
        session.add(project)
    results = score(url)
    assert results["atlas"]["total"] > 0
    assert len(results["zenith"]["knockout_reasons"]) == 1 and "contract" in results["zenith"]["knockout_reasons"][0]
    record = export_record_with(url, tmp_path / "weighted.xlsx", vendors=4)
    assert setting(openpyxl.load_workbook(record)["Summary"], "Claim factor").value == 0.6

    [recalculated] = recalculate([record], tmp_path)

    workbook = openpyxl.load_workbook(recalculated, data_only=True)
    table = summary_rows(workbook["Summary"])
    by_strategy = strategy_values(workbook["By strategy"], vendors)
    for vendor in vendors:
        assert table[vendor]["Knocked out"].value == ("yes" if results[vendor]["knocked_out"] else "no"), vendor
        assert table[vendor]["Total"].value == pytest.approx(results[vendor]["total"], abs=0.005), vendor
        assert table[vendor]["Must-have subtotal"].value == pytest.approx(results[vendor]["must_subtotal"],
                                                                         abs=0.005), vendor
        for strategy, value in results[vendor]["by_strategy"].items():
            assert by_strategy[vendor][strategy] == pytest.approx(value, abs=0.005), (vendor, strategy)
    assert table["zenith"]["Rank here"].value == "-" and table["atlas"]["Rank here"].value == 1


def test_a_questionnaire_answered_and_saved_in_libreoffice_is_accepted(url, tmp_path):
    """Vendors use LibreOffice too: its saved file keeps the hidden metadata and the locked text."""
    path = tmp_path / "nimbus.xlsx"
    export_questionnaire(url, "nimbus", path)
    sheet = openpyxl.load_workbook(path)[SHEET]
    ids = list(row_numbers(sheet))
    answered = answer(path, {ids[0]: "fully supported", ids[1]: "roadmap"}, target=tmp_path / "answered.xlsx")
    [saved] = recalculate([answered], tmp_path)

    code, summary = import_responses(url, saved, "nimbus")

    assert code == 0, summary
    assert {hid: row["answer"] for hid, row in stored_answers(url, "nimbus").items()} == {
        ids[0]: "fully supported", ids[1]: "roadmap"}
