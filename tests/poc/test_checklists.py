"""The evaluators' paper checklist: `reqtrace export checklist`, filled in by hand, `reqtrace import checklist`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from reqtrace.model import ChecklistResult, ConsensusScore, DemoSession, SessionAttendee, Vendor
from reqtrace.poc import edits
from reqtrace.poc.scripts import get_version, next_step_id, read_version, save_version
from reqtrace.services.checklists import record_consensus
from reqtrace.services.errors import Invalid
from reqtrace.services.sessions import add_attendee, consensus_recorded
from reqtrace.services.vendors import add_vendor
from tests.builders import ProjectBuilder
from tests.poc.conftest import reqtrace, reqtrace_json

HEADERS = ["Step", "Scenario", "Show", "Expected", "Requirements", "Timebox (minutes)", "Verdict", "Score (0-5)",
           "Notes"]
LOCKED = {"Step", "Scenario", "Show", "Expected", "Requirements", "Timebox (minutes)"}
SECOND_EVALUATOR = "lee"


def steps_of(content: dict) -> list[dict]:
    return [step for scenario in content["scenarios"] for step in scenario["steps"]]


def export(url: str, path: Path, vendor: str = "atlas") -> dict:
    return reqtrace_json(url, "export", "checklist", "--project", "crm", "--vendor", vendor, "-o", path)


def fill(source: Path, target: Path, entries: dict[str, tuple], *, step_cells: dict[str, str] | None = None) -> Path:
    """Fill rows like an evaluator: {step: (verdict, score, note)}; `step_cells` rewrites a row's Step cell."""
    workbook = openpyxl.load_workbook(source)
    sheet = workbook["Checklist"]
    column = {cell.value: cell.column for cell in sheet[1]}
    for row in range(2, sheet.max_row + 1):
        step = sheet.cell(row, column["Step"]).value
        if step in entries:
            verdict, score, note = entries[step]
            sheet.cell(row, column["Verdict"]).value = verdict
            sheet.cell(row, column["Score (0-5)"]).value = score
            sheet.cell(row, column["Notes"]).value = note
        if step_cells and step in step_cells:
            sheet.cell(row, column["Step"]).value = step_cells[step]
    workbook.save(target)
    return target


def import_checklist(url: str, path: Path, *, vendor: str = "atlas", evaluator: str = "evaluator",
                     project: str = "crm", expect: int = 0) -> dict:
    return reqtrace_json(url, "import", "checklist", path, "--project", project, "--vendor", vendor,
                         "--evaluator", evaluator, expect=expect)


def details(url: str, vendor: str) -> dict[str, dict]:
    scores = reqtrace_json(url, "score", "--project", "crm", "--details")
    chosen = next(v for v in scores["vendors"] if v["vendor"] == vendor)
    return {entry["hid"]: entry for entry in chosen["requirements"]}


def recorded(db) -> dict[str, int]:
    with db() as session:
        return {"results": session.exec(select(func.count()).select_from(ChecklistResult)).scalar_one(),
                "sessions": session.exec(select(func.count()).select_from(DemoSession)).scalar_one(),
                "attendees": session.exec(select(func.count()).select_from(SessionAttendee)).scalar_one()}


@pytest.fixture
def issued(url, tmp_path) -> dict:
    """Version 1 built and issued to atlas; returns the script."""
    reqtrace_json(url, "script", "build", "--project", "crm", "--vendor", "atlas", "-o", tmp_path / "atlas")
    return reqtrace_json(url, "script", "show", "--project", "crm")


@pytest.fixture
def blank(url, issued, tmp_path) -> Path:
    path = tmp_path / "atlas-checklist.xlsx"
    export(url, path)
    return path


# --- export ------------------------------------------------------------------------------------

def test_export_has_one_row_per_step_with_the_documented_columns(url, issued, tmp_path):
    path = tmp_path / "checklist.xlsx"
    result = export(url, path)
    assert result == {"project": "crm", "vendor": "atlas", "script_version": 1, "steps": len(steps_of(issued)),
                      "file": str(path)}
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Checklist"]
    assert [cell.value for cell in sheet[1]] == HEADERS
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == len(steps_of(issued))
    expected = [(step["hid"], scenario["key"], ", ".join(step["requirements"]), step["timebox_minutes"])
                for scenario in issued["scenarios"] for step in scenario["steps"]]
    assert [(row[0], row[1], row[4], row[5]) for row in rows] == expected
    assert all(row[6] is None and row[7] is None and row[8] is None for row in rows)
    first = steps_of(issued)[0]
    assert first["requirements"][0] in rows[0][2]  # Show: the instruction, as plain text


def test_export_offers_dropdowns_and_locks_only_what_reqtrace_owns(blank):
    sheet = openpyxl.load_workbook(blank)["Checklist"]
    column = {cell.value: cell.column_letter for cell in sheet[1]}
    dropdowns = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in sheet.data_validations.dataValidation
                 if dv.type == "list"}
    verdicts = dropdowns[f"{column['Verdict']}2"].strip('"').split(",")
    assert verdicts == ["demonstrated", "partly", "not shown"]
    assert dropdowns[f"{column['Score (0-5)']}2"].strip('"').split(",") == ["0", "1", "2", "3", "4", "5"]
    assert sheet.protection.sheet
    for header, letter in column.items():
        locked = sheet.column_dimensions[letter].protection.locked if header not in LOCKED else \
            sheet[f"{letter}2"].protection.locked
        assert locked == (header in LOCKED), header


def test_export_carries_hidden_metadata(blank):
    workbook = openpyxl.load_workbook(blank)
    meta = workbook["_reqtrace"]
    assert meta.sheet_state == "veryHidden"
    values = {row[0]: row[1] for row in meta.iter_rows(values_only=True)}
    assert values["project"] == "crm" and values["vendor"] == "atlas"
    assert int(values["script_version"]) == 1


def test_export_uses_the_script_issued_to_the_vendor_else_the_latest(url, issued, tmp_path):
    reqtrace_json(url, "script", "build", "--project", "crm", "-o", tmp_path / "v2")
    assert export(url, tmp_path / "atlas.xlsx")["script_version"] == 1  # issued to atlas
    assert export(url, tmp_path / "keystone.xlsx", "keystone")["script_version"] == 2  # never issued: the latest
    steps = [row[0].value for row in openpyxl.load_workbook(tmp_path / "keystone.xlsx")["Checklist"].iter_rows(min_row=2)]
    latest = reqtrace_json(url, "script", "show", "--project", "crm")
    assert steps == [step["hid"] for step in steps_of(latest)]


def test_export_without_a_script_says_how_to_make_one(url, tmp_path):
    result = reqtrace(url, "export", "checklist", "--project", "crm", "--vendor", "atlas", "-o", tmp_path / "c.xlsx")
    assert result.exit_code == 1
    assert "script build" in result.stderr
    assert not (tmp_path / "c.xlsx").exists()


def test_a_step_text_that_looks_like_a_formula_is_written_as_text(url, db, issued, tmp_path):
    with db() as session:
        project = db.project(session)
        content = read_version(session, get_version(session, project))
        hid = steps_of(content)[0]["hid"]
        changed = edits.edit_step(content, hid, instruction='=HYPERLINK("http://evil.example","x")',
                                  expected="=1+1")
        save_version(session, project, changed, actor="lead", baseline="", note="formula")
        session.commit()
    reqtrace_json(url, "script", "issue", "--project", "crm", "--vendor", "atlas", "-o", tmp_path / "v2")
    export(url, tmp_path / "c.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "c.xlsx")["Checklist"]
    show, expected = sheet["C2"], sheet["D2"]
    assert show.data_type == "s" and show.value.startswith("=HYPERLINK")
    assert expected.data_type == "s" and expected.value == "=1+1"


# --- import ------------------------------------------------------------------------------------

def test_import_creates_the_session_with_the_evaluator_and_records_the_entries(url, db, issued, blank, tmp_path):
    first, second, third, fourth = [step["hid"] for step in steps_of(issued)[:4]]
    filled = fill(blank, tmp_path / "filled.xlsx", {
        first: ("demonstrated", 4, "Shown on Gresley."), second: ("not shown", None, ""),
        third: ("Partly", "3", ""), fourth: (None, None, "Only a note: not assessed")})
    summary = import_checklist(url, filled)
    assert summary["applied"] is True and summary["errors"] == []
    assert summary["added"] == 3
    with db() as session:
        demo = session.exec(select(DemoSession)).scalars().one()
        assert demo.id == summary["session"]
        assert session.exec(select(Vendor.slug).where(Vendor.id == demo.vendor_id)).scalar_one() == "atlas"
        attendees = session.exec(select(SessionAttendee.username).where(SessionAttendee.session_id == demo.id)
                                 ).scalars().all()
        assert attendees == ["evaluator"]
        entries = session.exec(select(ChecklistResult).order_by(ChecklistResult.id)).scalars().all()
    assert [(e.step, e.evaluator, e.verdict, e.score, e.note, e.source) for e in entries] == [
        (first, "evaluator", "demonstrated", 4.0, "Shown on Gresley.", "paper"),
        (second, "evaluator", "not shown", None, "", "paper"),
        (third, "evaluator", "partly", 3.0, "", "paper")]
    assert all(entry.session_id == demo.id for entry in entries)


def test_the_text_output_says_what_was_recorded(url, issued, blank, tmp_path):
    first = steps_of(issued)[0]["hid"]
    filled = fill(blank, tmp_path / "filled.xlsx", {first: ("demonstrated", 5, "")})
    result = reqtrace(url, "import", "checklist", filled, "--project", "crm", "--vendor", "atlas",
                      "--evaluator", "evaluator")
    assert result.exit_code == 0, result.stderr
    assert "Recorded 1 entries of evaluator for atlas" in result.stdout


def test_the_demo_score_follows_the_imported_checklists(url, db, issued, tmp_path):
    """Two evaluators; a requirement cited by two steps; D is the mean of each evaluator's mean."""
    cited = steps_of(issued)[0]["requirements"][0]
    shown_step, shown = steps_of(issued)[1]["hid"], steps_of(issued)[1]["requirements"][0]
    partly_step, partly = steps_of(issued)[2]["hid"], steps_of(issued)[2]["requirements"][0]
    with db() as session:  # version 2 adds a second step proving `cited`, issued to atlas
        project = db.project(session)
        content = read_version(session, get_version(session, project))
        extra = next_step_id(session, project)
        save_version(session, project, edits.add_step(content, content["scenarios"][0]["key"], extra,
                                                      instruction="Show it again, for a key account.",
                                                      requirements=cited),
                     actor="lead", baseline="", note=f"added {extra}")
        session.commit()
    reqtrace_json(url, "script", "issue", "--project", "crm", "--vendor", "atlas", "-o", tmp_path / "v2")
    assert reqtrace(url, "user", "add", SECOND_EVALUATOR, "--role", "evaluator", "--password-stdin",
                    input="a-long-enough-password\n").exit_code == 0
    blank = tmp_path / "blank.xlsx"
    assert export(url, blank)["script_version"] == 2
    first_step = steps_of(issued)[0]["hid"]
    import_checklist(url, fill(blank, tmp_path / "evaluator.xlsx", {
        first_step: ("demonstrated", 4, ""), extra: ("partly", 1, ""), shown_step: ("not shown", None, ""),
        partly_step: ("partly", None, "")}))
    import_checklist(url, fill(blank, tmp_path / "lee.xlsx", {first_step: ("demonstrated", 5, "")}),
                     evaluator=SECOND_EVALUATOR)
    scores = details(url, "atlas")
    assert scores[cited]["evaluator_means"] == {"evaluator": 2.5, SECOND_EVALUATOR: 5.0}
    assert scores[cited]["demo"] == pytest.approx((2.5 + 5.0) / 2)
    assert scores[cited]["n"] == pytest.approx(3.75 / 5)
    assert scores[cited]["demonstrated"] is True
    assert scores[shown]["demonstrated"] is True and scores[shown]["demo"] == 0 and scores[shown]["n"] == 0
    assert scores[partly]["demonstrated"] is False  # a verdict without a score is not assessed
    assert details(url, "keystone")[cited]["demonstrated"] is False
    with db() as session:
        demo = session.exec(select(DemoSession)).scalars().one()
        attendees = session.exec(select(SessionAttendee.username).where(SessionAttendee.session_id == demo.id)
                                 .order_by(SessionAttendee.username)).scalars().all()
    assert attendees == ["evaluator", SECOND_EVALUATOR]

    # The evaluator corrects their checklist: the new entries are the latest and the score follows.
    import_checklist(url, fill(blank, tmp_path / "evaluator-again.xlsx", {
        first_step: ("partly", 0, "On reflection"), extra: ("demonstrated", 3, "")}))
    scores = details(url, "atlas")
    assert scores[cited]["evaluator_means"] == {"evaluator": 1.5, SECOND_EVALUATOR: 5.0}
    assert scores[cited]["demo"] == pytest.approx(3.25)
    assert scores[cited]["n"] == pytest.approx(0.65)
    assert recorded(db)["sessions"] == 1  # the same session, not a new one
    assert recorded(db)["results"] == 4 + 1 + 2


def test_importing_the_same_checklist_again_makes_its_entries_the_latest(url, db, issued, blank, tmp_path):
    step = steps_of(issued)[0]
    hid = step["requirements"][0]
    import_checklist(url, fill(blank, tmp_path / "a.xlsx", {step["hid"]: ("demonstrated", 2, "")}))
    assert details(url, "atlas")[hid]["demo"] == 2
    import_checklist(url, fill(blank, tmp_path / "b.xlsx", {step["hid"]: ("demonstrated", 5, "")}))
    assert details(url, "atlas")[hid]["demo"] == 5
    import_checklist(url, fill(blank, tmp_path / "c.xlsx", {step["hid"]: ("partly", 3, "")}))
    assert details(url, "atlas")[hid]["demo"] == 3
    assert recorded(db) == {"results": 3, "sessions": 1, "attendees": 1}


# --- refusals: each records nothing --------------------------------------------------------------

def refused(url, db, path: Path, **options) -> dict:
    summary = import_checklist(url, path, expect=1, **options)
    assert summary["applied"] is False and summary["errors"], summary
    assert recorded(db) == {"results": 0, "sessions": 0, "attendees": 0}
    return summary


def test_an_unknown_step_is_refused(url, db, issued, blank, tmp_path):
    first, second = [step["hid"] for step in steps_of(issued)[:2]]
    path = fill(blank, tmp_path / "bad.xlsx", {first: ("demonstrated", 4, ""), second: ("demonstrated", 3, "")},
                step_cells={second: "STEP-9999"})
    summary = refused(url, db, path)
    assert summary["errors"] == [{"sheet": "Checklist", "row": 3, "column": "A",
                                  "message": summary["errors"][0]["message"]}]
    assert "STEP-9999" in summary["errors"][0]["message"]


@pytest.mark.parametrize("score", [7, -1, 5.5, "high"])
def test_a_score_outside_0_to_5_is_refused(url, db, issued, blank, tmp_path, score):
    first, second = [step["hid"] for step in steps_of(issued)[:2]]
    path = fill(blank, tmp_path / "bad.xlsx", {first: ("demonstrated", 4, ""), second: ("demonstrated", score, "")})
    summary = refused(url, db, path)
    error = summary["errors"][0]
    assert (error["sheet"], error["row"], error["column"]) == ("Checklist", 3, "H")
    assert str(score) in error["message"]


def test_an_unknown_verdict_is_refused(url, db, issued, blank, tmp_path):
    first = steps_of(issued)[0]["hid"]
    summary = refused(url, db, fill(blank, tmp_path / "bad.xlsx", {first: ("maybe", 3, "")}))
    error = summary["errors"][0]
    assert (error["sheet"], error["row"], error["column"]) == ("Checklist", 2, "G")
    assert "maybe" in error["message"]


def test_a_row_with_a_bad_verdict_and_a_bad_score_reports_both(url, db, issued, blank, tmp_path):
    first, second = [step["hid"] for step in steps_of(issued)[:2]]
    summary = refused(url, db, fill(blank, tmp_path / "bad.xlsx", {first: ("wow", 7, ""),
                                                                   second: ("demonstrated", 4, "")}))
    assert [(error["row"], error["column"]) for error in summary["errors"]] == [(2, "G"), (2, "H")]
    assert "wow" in summary["errors"][0]["message"] and "7" in summary["errors"][1]["message"]


def test_another_vendors_checklist_is_refused(url, db, issued, blank, tmp_path):
    first = steps_of(issued)[0]["hid"]
    summary = refused(url, db, fill(blank, tmp_path / "atlas.xlsx", {first: ("demonstrated", 4, "")}),
                      vendor="nimbus")
    assert "atlas" in summary["errors"][0]["message"]


def test_another_projects_checklist_is_refused(url, db, issued, blank, tmp_path):
    with db() as session:
        other = ProjectBuilder("other").chain(1).build(session)
        add_vendor(session, other, slug="atlas", name="Atlas Field Systems", deployment="hybrid-offline",
                   actor="test")
        session.commit()
    first = steps_of(issued)[0]["hid"]
    summary = refused(url, db, fill(blank, tmp_path / "atlas.xlsx", {first: ("demonstrated", 4, "")}),
                      project="other")
    assert "crm" in summary["errors"][0]["message"]


def test_an_evaluator_who_is_not_a_user_is_refused(url, db, issued, blank, tmp_path):
    first = steps_of(issued)[0]["hid"]
    summary = refused(url, db, fill(blank, tmp_path / "atlas.xlsx", {first: ("demonstrated", 4, "")}),
                      evaluator="nobody")
    assert "nobody" in summary["errors"][0]["message"]


def test_a_workbook_that_is_not_a_checklist_is_refused(url, db, issued, tmp_path):
    path = tmp_path / "questionnaire.xlsx"
    reqtrace_json(url, "export", "questionnaire", "--project", "crm", "--vendor", "atlas", "-o", path)
    summary = refused(url, db, path)
    assert "checklist" in summary["errors"][0]["message"]


def test_a_checklist_whose_columns_were_renamed_is_refused(url, db, issued, blank, tmp_path):
    workbook = openpyxl.load_workbook(blank)
    workbook["Checklist"]["H1"].value = "Mark"
    workbook["Checklist"]["G2"].value = "demonstrated"
    workbook.save(tmp_path / "renamed.xlsx")
    summary = refused(url, db, tmp_path / "renamed.xlsx")
    assert "Score (0-5)" in summary["errors"][0]["message"]


def test_one_bad_row_refuses_the_whole_checklist(url, db, issued, blank, tmp_path):
    steps = [step["hid"] for step in steps_of(issued)[:5]]
    entries = {hid: ("demonstrated", 4, "") for hid in steps}
    entries[steps[3]] = ("demonstrated", 9, "")
    refused(url, db, fill(blank, tmp_path / "bad.xlsx", entries))


def test_rows_with_neither_verdict_nor_score_are_skipped(url, db, issued, blank, tmp_path):
    steps = [step["hid"] for step in steps_of(issued)[:3]]
    summary = import_checklist(url, fill(blank, tmp_path / "notes.xlsx", {
        steps[0]: (None, None, "Ran out of time"), steps[1]: ("", "", ""), steps[2]: ("demonstrated", None, "")}))
    assert summary["applied"] is True and summary["added"] == 1
    assert summary["unchanged"] == len(steps_of(issued)) - 1  # every other step row was left blank
    with db() as session:
        assert session.exec(select(ChecklistResult.step)).scalars().all() == [steps[2]]


def test_an_imported_paper_checklist_is_submitted_so_its_scores_count(url, db, issued, blank, tmp_path):
    step = steps_of(issued)[0]["hid"]
    summary = import_checklist(url, fill(blank, tmp_path / "done.xlsx", {step: ("demonstrated", 4, "")}))
    assert summary["submitted"] is True
    with db() as session:
        person = session.exec(select(SessionAttendee).where(SessionAttendee.session_id == summary["session"],
                                                            SessionAttendee.username == "evaluator")).scalars().one()
        assert person.submitted_at is not None
    scored = reqtrace_json(url, "score", "--project", "crm", "--details", "--samples", "5")
    atlas = next(v for v in scored["vendors"] if v["vendor"] == "atlas")
    cited = set(steps_of(issued)[0]["requirements"])
    shown = [r for r in atlas["requirements"] if r["hid"] in cited]
    assert shown and all(r["evaluator_means"] == {"evaluator": 4.0} for r in shown)


def test_a_checklist_with_nothing_filled_in_records_no_entry(url, db, issued, blank):
    summary = import_checklist(url, blank)
    assert summary["applied"] is True and summary["added"] == 0
    assert recorded(db)["results"] == 0


def test_a_checklist_of_a_newer_version_counts_for_what_its_steps_cite(url, db, issued, blank, tmp_path):
    """Atlas's session began on version 1; version 2 merges two steps and is issued; the evaluator scores the
    merged step on the version 2 checklist, which shows both requirements: the score counts for both (or the
    checklist is refused as not matching the session's script), never silently for one."""
    first, second = steps_of(issued)[:2]
    import_checklist(url, fill(blank, tmp_path / "v1.xlsx", {first["hid"]: ("demonstrated", 2, "")}))
    with db() as session:
        project = db.project(session)
        content = read_version(session, get_version(session, project))
        save_version(session, project, edits.merge_steps(content, first["hid"], second["hid"]), actor="lead",
                     baseline="", note="merged")
        session.commit()
    reqtrace_json(url, "script", "issue", "--project", "crm", "--vendor", "atlas", "-o", tmp_path / "v2")
    assert export(url, tmp_path / "v2.xlsx")["script_version"] == 2
    sheet = openpyxl.load_workbook(tmp_path / "v2.xlsx")["Checklist"]
    assert sheet["E2"].value == ", ".join(first["requirements"] + second["requirements"])
    result = reqtrace(url, "import", "checklist", fill(tmp_path / "v2.xlsx", tmp_path / "v2-filled.xlsx",
                                                      {first["hid"]: ("demonstrated", 4, "")}),
                      "--project", "crm", "--vendor", "atlas", "--evaluator", "evaluator", "--json")
    if result.exit_code == 0:
        scores = details(url, "atlas")
        assert scores[first["requirements"][0]]["demo"] == 4
        assert scores[second["requirements"][0]]["demo"] == 4, scores[second["requirements"][0]]
    else:
        assert "version" in result.stdout


def test_a_paper_checklist_joins_a_session_whose_consensus_is_recorded(url, db, issued, blank, tmp_path):
    """The lead's paper fallback adds the evaluator to the vendor's current session and submits their scores at
    once: nothing is sealed again, so a recorded consensus does not turn the checklist away."""
    step = steps_of(issued)[0]
    first = import_checklist(url, fill(blank, tmp_path / "evaluator.xlsx", {step["hid"]: ("demonstrated", 4, "")}))
    with db() as session:
        demo = session.get(DemoSession, first["session"])
        record_consensus(session, db.project(session), demo, requirement=step["requirements"][0], step=step["hid"],
                         score=3, reason="Agreed after the demo.", actor="lead")
        session.commit()
        assert consensus_recorded(session, demo)
    assert reqtrace(url, "user", "add", SECOND_EVALUATOR, "--role", "evaluator", "--password-stdin",
                    input="a-long-enough-password\n").exit_code == 0

    filled = fill(blank, tmp_path / "lee.xlsx", {step["hid"]: ("partly", 2, "")})
    result = reqtrace(url, "import", "checklist", filled, "--project", "crm", "--vendor", "atlas",
                      "--evaluator", SECOND_EVALUATOR)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert f"Recorded 1 entries of {SECOND_EVALUATOR} for atlas" in result.stdout
    with db() as session:
        people = {person.username: person.submitted_at for person in session.exec(
            select(SessionAttendee).where(SessionAttendee.session_id == first["session"])).scalars()}
        assert set(people) == {"evaluator", SECOND_EVALUATOR} and all(people.values())
        assert session.exec(select(func.count()).select_from(DemoSession)).scalar_one() == 1
    means = details(url, "atlas")[step["requirements"][0]]
    assert means["evaluator_means"] == {"evaluator": 4.0, SECOND_EVALUATOR: 2.0}
    # The paper hand-in came after the consensus, and the consensus is still recorded: nobody else joins.
    assert reqtrace(url, "user", "add", "kim", "--role", "evaluator", "--password-stdin",
                    input="a-long-enough-password\n").exit_code == 0
    with db() as session:
        demo = session.get(DemoSession, first["session"])
        assert consensus_recorded(session, demo)
        with pytest.raises(Invalid, match="the consensus of .* is recorded, so nobody joins it now"):
            add_attendee(session, db.project(session), demo, "kim", actor="lead")


def test_a_consensus_recorded_before_scores_named_their_session_is_known_by_its_step_and_time(url, db, issued,
                                                                                                blank, tmp_path):
    """Rows from before schema 0007 have no session: on one of the session's steps, after everyone submitted,
    they count as its consensus; one from before the last submission belongs to an earlier session."""
    step = steps_of(issued)[0]
    first = import_checklist(url, fill(blank, tmp_path / "evaluator.xlsx", {step["hid"]: ("demonstrated", 4, "")}))
    with db() as session:
        demo = session.get(DemoSession, first["session"])
        (submitted,) = session.exec(select(SessionAttendee.submitted_at).where(
            SessionAttendee.session_id == demo.id)).scalars().all()
        assert not consensus_recorded(session, demo)
        for minutes, expected in ((-1, False), (1, True)):
            session.add(ConsensusScore(project_id=demo.project_id, vendor_id=demo.vendor_id, session_id=None,
                                       requirement=step["requirements"][0], step=step["hid"], score=3,
                                       reason="agreed", recorded_at=submitted + timedelta(minutes=minutes)))
            session.flush()
            assert consensus_recorded(session, demo) is expected, minutes
        session.rollback()
