"""The security pass: every route, every role; and bounded fuzzing of the checklist sync and the importers.

Each route is taken from the app's own URL map, so a new view is covered the day it is added.
"""

from __future__ import annotations

import json

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from reqtrace.db import make_engine, session_scope
from reqtrace.formats.requirements_import import import_requirements
from reqtrace.model import AuditEvent, ChecklistResult, Requirement
from reqtrace.poc.scripts import build_version
from reqtrace.services.projects import get_project
from reqtrace.services.sessions import create_session
from reqtrace.services.vendors import get_vendor
from reqtrace.workflow import ROLE_ACTIONS, role_may
from tests.web.conftest import ROLES
from tests.web.support import SAMPLE_VALUES
from web.security import PUBLIC_ENDPOINTS


def concrete(rule) -> str:
    """The rule with a plausible value in every argument (the role check comes before any lookup)."""
    from flask import url_for

    values = {}
    for name in rule.arguments:
        if name in SAMPLE_VALUES:
            values[name] = SAMPLE_VALUES[name][0]
        elif isinstance(rule._converters.get(name), IntegerConverter):
            values[name] = 1
        else:
            values[name] = {"vendor": "atlas", "upload": "some-upload"}.get(name, "x")
    return url_for(rule.endpoint, **values)


def guarded_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint not in PUBLIC_ENDPOINTS and rule.endpoint != "static"]


def test_every_permission_the_views_ask_for_is_a_known_action(shared_app):
    asked = {getattr(shared_app.view_functions[rule.endpoint], "permission", None) for rule in guarded_rules(shared_app)}
    assert asked - {"read"} <= set(ROLE_ACTIONS), asked - set(ROLE_ACTIONS)


@pytest.mark.parametrize("username", sorted(ROLES))
def test_each_role_reaches_exactly_the_views_its_role_allows(shared_app, auth, username):
    """A role without the view's permission gets 403 on every method; a role with it never does."""
    visitor = auth(username)
    role = ROLES[username]
    wrong = []
    with shared_app.test_request_context():
        rules = [(rule, concrete(rule)) for rule in guarded_rules(shared_app)]
    for rule, url in rules:
        permission = shared_app.view_functions[rule.endpoint].permission
        allowed = role_may(role, permission)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "POST" and allowed:
                continue  # allowed POSTs change the shared database; tests/web/test_permissions.py covers them
            if rule.endpoint == "auth.logout":
                continue
            response = visitor.get(url) if method == "GET" else visitor.post(url, {})
            if (response.status_code == 403) == allowed:
                wrong.append((rule.endpoint, method, url, response.status_code))
    assert wrong == [], f"{username} ({role}): {wrong}"


# --- fuzzing: bounded, on 127.0.0.1 only (the Flask test client), no crash and no partial write ----------

@pytest.fixture
def session_for_fuzz(app, auth):
    """A scheduled session on the sample project with the evaluator attending; returns its sync URL."""
    engine = make_engine(app.config["DATABASE_URL"])
    with session_scope(engine, write=True) as db:
        project = get_project(db, "crm")
        script = build_version(db, project, actor="lead")
        demo = create_session(db, project, get_vendor(db, project, "atlas"), script, actor="lead",
                              attendees=["evaluator"])
        session_id = demo.id
    engine.dispose()
    evaluator = auth("evaluator")
    data = evaluator.json(f"/p/crm/sessions/{session_id}/checklist.json")
    steps = [step["hid"] for scenario in data["scenarios"] for step in scenario["steps"]][:3]
    return evaluator, f"/p/crm/sessions/{session_id}/results", data["sync_token"], steps, app


def _count(app, model) -> int:
    engine = make_engine(app.config["DATABASE_URL"])
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(model)).scalar()
    engine.dispose()
    return count


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=True)
                           | st.text(max_size=20), lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


def tick_like(steps):
    keys = st.sampled_from(["client_id", "step", "verdict", "score", "note", "recorded_at", "corrects", "extra"])
    values = st.one_of(JSON_VALUES, st.sampled_from(steps + ["STEP-0", ""]),
                       st.sampled_from(["demonstrated", "partly", "not shown", "bogus"]),
                       st.text(alphabet="abcdef0123456789-", min_size=0, max_size=70))
    return st.dictionaries(keys, values, max_size=8)


def test_the_checklist_sync_survives_any_body(session_for_fuzz):
    evaluator, url, token, steps, app = session_for_fuzz

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(JSON_VALUES, st.fixed_dictionaries({"results": st.lists(tick_like(steps), max_size=6)})))
    def post_anything(body):
        before = _count(app, ChecklistResult)
        response = evaluator.client.post(url, data=json.dumps(body), content_type="application/json",
                                         headers={"X-CSRFToken": token})
        assert response.status_code in (200, 400), (response.status_code, body)
        after = _count(app, ChecklistResult)
        if response.status_code == 200:
            outcomes = response.get_json()["results"]
            assert after - before == sum(1 for outcome in outcomes if outcome["status"] == "stored")
            assert all(outcome["status"] in ("stored", "duplicate", "refused") for outcome in outcomes)
        else:
            assert after == before

    post_anything()


# Text a spreadsheet can hold (openpyxl refuses control characters, as Excel does).
CELLS = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30), st.integers(-5, 10 ** 6), st.floats(allow_nan=False),
                  st.sampled_from(["must", "Must have", "banana", "REQ-1", "PRC-1, PRC-2", "=1+1", "approved",
                                   "STR-999", "", "  ", "REQ-1,REQ-1"]))


def test_the_requirements_importer_survives_any_cells_and_writes_all_or_nothing(sample_url, tmp_path):
    engine = make_engine(sample_url)
    header = ["ID", "Title", "Statement", "Priority", "Weight", "Status", "Processes", "Capability", "Tags"]

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header)), min_size=1, max_size=6))
    def import_anything(rows):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Requirements"
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        path = tmp_path / "fuzz.xlsx"
        workbook.save(path)
        with session_scope(engine) as db:
            before = (db.exec(select(func.count()).select_from(Requirement)).scalar(),
                      db.exec(select(func.count()).select_from(AuditEvent)).scalar())
        with session_scope(engine, write=True) as db:
            summary = import_requirements(db, "crm", path, actor="fuzz")
        with session_scope(engine) as db:
            after = (db.exec(select(func.count()).select_from(Requirement)).scalar(),
                     db.exec(select(func.count()).select_from(AuditEvent)).scalar())
        assert set(summary) >= {"applied", "added", "changed", "errors"}
        for error in summary["errors"]:
            assert error["message"] and (error.get("sheet") or error.get("row") is None)
        if not summary["applied"]:
            assert after == before, summary["errors"][:3]
        else:
            assert after[0] - before[0] == summary["added"]

    import_anything()
    engine.dispose()


WORDS = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
                  st.integers(-3, 12), st.floats(allow_nan=False, allow_infinity=False),
                  st.sampled_from(["fully supported", "Configuration", "roadmap", "maybe", "=HYPERLINK(\"x\")",
                                   "demonstrated", "Partly", "not shown", "5", "7", "-1", ""]))


def _fill(source, target, sheet_name: str, columns: list[str], rows: list[list]) -> None:
    """Write fuzzed values into the named columns of the first data rows of a workbook reqtrace issued."""
    workbook = openpyxl.load_workbook(source)
    sheet = workbook[sheet_name]
    header = [cell.value for cell in sheet[1]]
    for offset, values in enumerate(rows, start=2):
        for name, value in zip(columns, values):
            sheet.cell(row=offset, column=header.index(name) + 1, value=value)
    workbook.save(target)


def _fuzz_workbook_import(engine, tmp_path, issued, sheet_name: str, columns: list[str], model, run_import, *,
                          appends: bool) -> None:
    """Fuzz the editable columns of an issued workbook; each import applies whole or writes nothing.

    `appends`: an applied import adds exactly `added` rows (a questionnaire instead replaces the answers)."""

    def count() -> int:
        with session_scope(engine) as db:
            return db.exec(select(func.count()).select_from(model)).scalar()

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.lists(WORDS, min_size=len(columns), max_size=len(columns)), min_size=1, max_size=5))
    def import_anything(rows):
        _fill(issued, tmp_path / "filled.xlsx", sheet_name, columns, rows)
        before = count()
        with session_scope(engine, write=True) as db:
            project = get_project(db, "crm")
            summary = run_import(db, project, get_vendor(db, project, "atlas"), tmp_path / "filled.xlsx")
        after = count()
        if summary["applied"]:
            assert not summary["errors"]
            if appends:
                assert after - before == summary["added"]
        else:
            assert summary["errors"] and after == before
            # each error names its row, or (a workbook with no answers at all) its sheet and column
            assert all(error["message"] and (error.get("row") or (error.get("sheet") and error.get("column")))
                       for error in summary["errors"]), summary["errors"]

    import_anything()


def test_the_questionnaire_importer_survives_any_answers_and_writes_all_or_nothing(sample_url, tmp_path):
    from reqtrace.formats.questionnaire_export import SHEET, export_questionnaire
    from reqtrace.formats.questionnaire_import import import_responses
    from reqtrace.model import VendorResponse

    engine = make_engine(sample_url)
    with session_scope(engine, write=True) as db:
        project = get_project(db, "crm")
        export_questionnaire(db, project, get_vendor(db, project, "atlas"), str(tmp_path / "issued.xlsx"),
                             actor="procurement")
    _fuzz_workbook_import(engine, tmp_path, tmp_path / "issued.xlsx", SHEET,
                          ["Answer", "Comment", "How we will demonstrate it"], VendorResponse,
                          lambda db, project, vendor, path: import_responses(db, project, vendor, path,
                                                                             actor="procurement"),
                          appends=False)
    engine.dispose()


def test_the_paper_checklist_importer_survives_any_cells_and_writes_all_or_nothing(sample_url, tmp_path):
    from reqtrace.formats.checklist_export import SHEET, export_checklist
    from reqtrace.formats.checklist_import import import_checklist

    engine = make_engine(sample_url)
    with session_scope(engine, write=True) as db:
        project = get_project(db, "crm")
        build_version(db, project, actor="lead")
        export_checklist(db, project, get_vendor(db, project, "atlas"), str(tmp_path / "blank.xlsx"))
    _fuzz_workbook_import(engine, tmp_path, tmp_path / "blank.xlsx", SHEET, ["Verdict", "Score (0-5)", "Notes"],
                          ChecklistResult,
                          lambda db, project, vendor, path: import_checklist(db, project, vendor, path,
                                                                             evaluator="evaluator", actor="lead"),
                          appends=True)
    engine.dispose()
