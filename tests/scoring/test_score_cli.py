"""`reqtrace score --json` on the sample project, after a vendor answered its questionnaire in Excel.

The expected numbers are computed here from the catalogue as the services
hold it (requirements, priorities, stored weights, links), with DESIGN.md's
tables, without reqtrace.scoring.
"""

from __future__ import annotations

import json
import re

import openpyxl
import pytest
from click.testing import CliRunner
from sqlmodel import Session

from reqtrace.cli import main
from reqtrace.db import dispose_all, make_engine
from reqtrace.services.baselines import list_baselines
from reqtrace.services.items import get_item, list_items
from reqtrace.services.links import upstream_hids
from reqtrace.services.projects import get_project

# DESIGN.md, scoring model
PRIORITY_WEIGHT = {"must": 5.0, "should": 3.0, "could": 1.0, "wont": 0.0}
CLAIM_VALUE = {"fully supported": 1.0, "configuration": 0.8, "customisation": 0.5, "third party": 0.5,
               "roadmap": 0.2, "not supported": 0.0}
ANSWERS = tuple(CLAIM_VALUE)
CLAIM_FACTOR = 0.5


@pytest.fixture(autouse=True)
def close_engines():
    yield
    dispose_all()


def reqtrace(url: str, *args) -> object:
    return CliRunner().invoke(main, ["--db", url, *map(str, args)])


def answer_for(index: int, priority: str) -> str | None:
    """The pattern atlas answers with, by questionnaire row (0-based) and the row's priority.

    Must-haves alternate fully supported (n 0.5) and configuration (n 0.4: exactly the knock-out threshold, which
    is no knock-out). Other rows cycle through the six answers, and every seventh is left blank.
    """
    if priority.lower() == "must":
        return "fully supported" if index % 2 == 0 else "configuration"
    if index % 7 == 6:
        return None
    return ANSWERS[index % 6]


def answer_questionnaire(source, target) -> dict[str, str]:
    """Fill the Answer column as `answer_for` says; return {ID: answer} for the answered rows."""
    workbook = openpyxl.load_workbook(source)
    sheet = workbook["Questionnaire"]
    header = [cell.value for cell in sheet[1]]
    column = {name: header.index(name) + 1 for name in ("ID", "Priority", "Answer")}
    answered = {}
    for index, row in enumerate(range(2, sheet.max_row + 1)):
        hid = sheet.cell(row, column["ID"]).value
        if not hid:
            continue
        answer = answer_for(index, str(sheet.cell(row, column["Priority"]).value))
        if answer is not None:
            sheet.cell(row, column["Answer"]).value = answer
            answered[hid] = answer
    workbook.save(target)
    return answered


def expected_scores(url: str, answered: dict[str, str]) -> tuple[float, dict[str, float], set[str]]:
    """(T, by_strategy, the IDs a questionnaire should list) over the approved requirements, by hand."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            project = get_project(session, "crm")
            assert list_baselines(session, project) == []  # no baseline: the approved requirements are scored
            active = lambda kind: {item.hid: item for item in list_items(session, project, kind)  # noqa: E731
                                   if item.status != "retired"}
            roles, processes = active("role"), active("process")
            strategies = set(active("strategy"))

            def above(kind: str, hid: str, pool: dict | set) -> list[str]:
                return [up for up in upstream_hids(session, project, kind, get_item(session, project, kind, hid))
                        if up in pool]

            weighted_sum, weight_sum = 0.0, 0.0
            per_strategy: dict[str, list[float]] = {}
            scored = set()
            for item in list_items(session, project, "requirement"):
                if item.status != "approved":
                    continue
                weight = float(item.weight) if item.weight is not None else PRIORITY_WEIGHT[item.priority]
                if weight == 0:
                    continue  # counts nowhere
                scored.add(item.hid)
                answer = answered.get(item.hid)
                n = CLAIM_FACTOR * CLAIM_VALUE[answer] if answer is not None else 0.0
                weighted_sum += weight * n
                weight_sum += weight
                reached = {strategy
                           for process in above("requirement", item.hid, processes)
                           for role in above("process", process, roles)
                           for strategy in above("role", role, strategies)}
                for strategy in reached:  # each requirement once per strategy
                    sums = per_strategy.setdefault(strategy, [0.0, 0.0])
                    sums[0] += weight * n
                    sums[1] += weight
            total = 100 * weighted_sum / weight_sum
            by_strategy = {strategy: 100 * sums[0] / sums[1] for strategy, sums in per_strategy.items()}
            return total, by_strategy, scored
    finally:
        engine.dispose()


def test_score_json_after_a_questionnaire_round_trip(sample_url, cli_env, tmp_path):
    issued, answers = tmp_path / "atlas-questionnaire.xlsx", tmp_path / "atlas-answers.xlsx"
    result = reqtrace(sample_url, "export", "questionnaire", "--project", "crm", "--vendor", "atlas", "-o", issued)
    assert result.exit_code == 0, result.output
    answered = answer_questionnaire(issued, answers)
    result = reqtrace(sample_url, "import", "responses", answers, "--project", "crm", "--vendor", "atlas", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["applied"] is True and summary["errors"] == []

    total, by_strategy, scored = expected_scores(sample_url, answered)
    assert set(answered) <= scored and len(scored) - len(answered) > 0  # some rows were left blank

    result = reqtrace(sample_url, "score", "--project", "crm", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) >= {"vendors"}
    vendors = {entry["vendor"]: entry for entry in document["vendors"]}
    assert set(vendors) == {"atlas", "keystone", "nimbus"}
    for entry in document["vendors"]:
        assert isinstance(entry["total"], float)
        assert isinstance(entry["rank"], int) and not isinstance(entry["rank"], bool)
        assert isinstance(entry["knocked_out"], bool)
        assert isinstance(entry["knockout_reasons"], list)
        assert all(isinstance(reason, str) for reason in entry["knockout_reasons"])
        assert isinstance(entry["by_strategy"], dict)
        assert all(re.fullmatch(r"STR-\d+", key) for key in entry["by_strategy"])
        assert all(isinstance(value, float) for value in entry["by_strategy"].values())
        assert entry["knocked_out"] == bool(entry["knockout_reasons"])

    atlas = vendors["atlas"]
    assert atlas["total"] == pytest.approx(total, rel=1e-12)  # unrounded
    assert atlas["by_strategy"] == pytest.approx(by_strategy, rel=1e-12)
    assert atlas["knocked_out"] is False, atlas["knockout_reasons"]  # musts at 0.5 and exactly 0.4
    assert atlas["rank"] == 1

    nimbus = vendors["nimbus"]
    assert nimbus["knocked_out"] is True
    assert any("thin-client" in reason for reason in nimbus["knockout_reasons"]), nimbus["knockout_reasons"]
    # keystone and nimbus answered nothing: both T 0, must subtotal 0, knocked out -> by slug
    assert vendors["keystone"]["knocked_out"] is True
    assert vendors["keystone"]["total"] == 0.0 and nimbus["total"] == 0.0
    assert (vendors["keystone"]["rank"], nimbus["rank"]) == (2, 3)
    assert [entry["vendor"] for entry in document["vendors"]] == ["atlas", "keystone", "nimbus"]
