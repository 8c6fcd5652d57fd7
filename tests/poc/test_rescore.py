"""Re-score needed: a change to a cited requirement, or to anything above it, after the script was issued."""

from __future__ import annotations

import json

import pytest

from reqtrace.services.items import get_item, set_status, update_item
from reqtrace.services.links import downstream_hids, upstream_hids
from tests.poc.conftest import reqtrace, reqtrace_json

CITED = "REQ-47"  # a field-sales must-have: work offline


def steps_of(content: dict) -> list[dict]:
    return [step for scenario in content["scenarios"] for step in scenario["steps"]]


def step_citing(content: dict, hid: str) -> str:
    return next(step["hid"] for step in steps_of(content) if hid in step["requirements"])


def show(url: str, *args) -> dict:
    return reqtrace_json(url, "script", "show", "--project", "crm", *args)


def trace_check(url: str) -> tuple[int, dict]:
    result = reqtrace(url, "trace", "check", "--project", "crm", "--json")
    assert result.exit_code in (0, 1), (result.stdout, result.stderr, result.exception)
    return result.exit_code, json.loads(result.stdout)


def change(db, kind: str, hid: str, **fields) -> None:
    with db() as session:
        project = db.project(session)
        assert update_item(session=session, project=project, kind=kind, item=get_item(session, project, kind, hid),
                           fields=fields, actor="owner")
        session.commit()


def above(db, hid: str) -> dict[str, list[str]]:
    """The process, role and strategy IDs above a requirement, walking the links upward."""
    with db() as session:
        project = db.project(session)
        processes = upstream_hids(session, project, "requirement", get_item(session, project, "requirement", hid))
        roles = sorted({r for p in processes
                        for r in upstream_hids(session, project, "process", get_item(session, project, "process", p))})
        strategies = sorted({s for r in roles
                             for s in upstream_hids(session, project, "role", get_item(session, project, "role", r))})
    return {"process": processes, "role": roles, "strategy": strategies}


def below(db, kind: str, hid: str) -> set[str]:
    """The requirement IDs beneath an item, walking the links downward."""
    order = ["strategy", "role", "process", "requirement"]
    level, found = {hid}, set()
    with db() as session:
        project = db.project(session)
        for upper, lower in zip(order[order.index(kind):], order[order.index(kind) + 1:]):
            level = {down for item in level
                     for down in downstream_hids(session, project, upper, get_item(session, project, upper, item))}
            if lower == "requirement":
                found = level
    return found


@pytest.fixture
def issued(url, tmp_path) -> dict:
    """Version 1 built and issued to atlas."""
    reqtrace_json(url, "script", "build", "--project", "crm", "--vendor", "atlas", "-o", tmp_path / "atlas")
    return show(url)


def test_nothing_needs_a_rescore_right_after_issue(url, issued):
    assert issued["rescore_needed"] == []
    code, report = trace_check(url)
    assert code == 0 and report["rescore_needed"] == []


def test_editing_a_cited_requirement_flags_its_step_for_the_vendor(url, db, issued):
    step = step_citing(issued, CITED)
    change(db, "requirement", CITED, statement="Work with no connection for a whole week, not a day.")
    expected = [{"vendor": "atlas", "version": 1, "step": step, "changed": [CITED]}]
    assert show(url)["rescore_needed"] == expected
    code, report = trace_check(url)
    assert report["rescore_needed"] == expected
    assert report["suspect_links"] == [] and report["technology_driven"] == []
    assert code == 0  # a re-score is reported; it does not fail the check


def test_the_text_output_names_the_step_the_vendor_and_what_changed(url, db, issued):
    step = step_citing(issued, CITED)
    change(db, "requirement", CITED, title="Work offline for a week")
    shown = reqtrace(url, "script", "show", "--project", "crm")
    assert shown.exit_code == 0
    assert f"re-score needed: {step} for atlas ({CITED} changed)" in shown.stdout
    checked = reqtrace(url, "trace", "check", "--project", "crm")
    assert checked.exit_code == 0
    assert f"atlas v1 {step}: {CITED} changed" in checked.stdout


def test_changing_the_strategy_above_flags_every_step_beneath_it(url, db, issued):
    strategy = above(db, CITED)["strategy"][0]
    change(db, "strategy", strategy, statement="Win and keep key accounts by serving them where they work.")
    flagged = show(url)["rescore_needed"]
    beneath = below(db, "strategy", strategy)
    expected_steps = {step["hid"] for step in steps_of(issued) if set(step["requirements"]) & beneath}
    assert step_citing(issued, CITED) in expected_steps
    assert {entry["step"] for entry in flagged} == expected_steps
    assert all(entry["vendor"] == "atlas" and strategy in entry["changed"] for entry in flagged)
    code, report = trace_check(url)
    assert report["rescore_needed"] == flagged
    assert report["suspect_links"], "a changed strategy makes its links suspect"
    assert code == 1  # because of the suspect links, as before


def test_changing_the_process_or_role_above_flags_the_step(url, db, issued):
    chain = above(db, CITED)
    step = step_citing(issued, CITED)
    change(db, "process", chain["process"][0], description="Visits are planned the evening before.")
    entry = next(e for e in show(url)["rescore_needed"] if e["step"] == step)
    assert entry["changed"] == [chain["process"][0]]
    change(db, "role", chain["role"][0], department="Field sales and service")
    entry = next(e for e in show(url)["rescore_needed"] if e["step"] == step)
    assert set(entry["changed"]) == {chain["process"][0], chain["role"][0]}


def test_an_uncited_requirement_flags_nothing(url, db, issued):
    cited = {hid for step in steps_of(issued) for hid in step["requirements"]}
    assert "REQ-34" not in cited  # a won't-have: not in the script
    change(db, "requirement", "REQ-34", statement="Still not wanted.")
    assert show(url)["rescore_needed"] == []


def test_a_vendor_that_was_not_issued_the_script_has_no_flags(url, db, issued):
    change(db, "requirement", CITED, statement="Work with no connection for a whole week.")
    vendors = {entry["vendor"] for entry in show(url)["rescore_needed"]}
    assert vendors == {"atlas"}


def test_retiring_a_cited_requirement_flags_its_step(url, db, issued):
    step = step_citing(issued, CITED)
    with db() as session:
        project = db.project(session)
        set_status(session=session, project=project, kind="requirement",
                   item=get_item(session, project, "requirement", CITED), status="retired", actor="lead")
        session.commit()
    assert show(url)["rescore_needed"] == [{"vendor": "atlas", "version": 1, "step": step, "changed": [CITED]}]
    assert trace_check(url)[1]["rescore_needed"] == show(url)["rescore_needed"]


def test_issuing_the_script_again_clears_the_flags(url, db, issued, tmp_path):
    change(db, "requirement", CITED, statement="Work with no connection for a whole week.")
    assert show(url)["rescore_needed"]
    reqtrace_json(url, "script", "issue", "--project", "crm", "--vendor", "atlas", "-o", tmp_path / "again")
    assert show(url)["rescore_needed"] == []


def test_flags_follow_each_vendors_own_issue(url, db, issued, tmp_path):
    change(db, "requirement", CITED, statement="Work with no connection for a whole week.")
    reqtrace_json(url, "script", "issue", "--project", "crm", "--vendor", "keystone", "-o", tmp_path / "keystone")
    flagged = show(url)["rescore_needed"]
    assert [entry["vendor"] for entry in flagged] == ["atlas"]  # keystone got the script after the change
