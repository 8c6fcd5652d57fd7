"""The CRM reference catalogue shipped with reqtrace: complete, traceable, and stable on reload."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from reqtrace.catalog import default_directory
from reqtrace.catalog.loader import load_catalog
from reqtrace.catalog.reader import read_catalog
from reqtrace.model import AuditEvent
from reqtrace.services.projects import create_project
from reqtrace.trace.load import load_graph
from reqtrace.trace.rules import check

MINIMUM = {"strategy": 8, "role": 12, "process": 20, "requirement": 150}


@pytest.fixture(scope="module")
def catalog():
    return read_catalog(default_directory())


@pytest.fixture
def loaded(session, catalog):
    """The shipped catalogue loaded, approved, into a new project; returns (project, first summary)."""
    project = create_project(session, key="crm", name="CRM", actor="test")
    summary = load_catalog(session, project, catalog, actor="test", status="approved")
    return project, summary


def requirements(catalog):
    return [item for item in catalog.items if item.kind == "requirement"]


def audit_count(session) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


# --- the files alone ------------------------------------------------------------------------

def test_shipped_catalogue_has_no_problem_and_no_warning(catalog):
    assert [str(problem) for problem in catalog.problems] == []
    assert [str(warning) for warning in catalog.warnings] == []


@pytest.mark.parametrize("kind", list(MINIMUM))
def test_shipped_catalogue_is_big_enough_to_choose_a_crm_with(catalog, kind):
    assert catalog.count(kind) >= MINIMUM[kind]


def test_every_file_holds_at_least_one_requirement(catalog):
    files_with_requirements = {item.file for item in requirements(catalog)}
    assert files_with_requirements == set(catalog.files)


def test_no_two_requirements_share_a_title(catalog):
    seen: dict[str, str] = {}
    for item in requirements(catalog):
        title = " ".join(item.fields["title"].lower().split())
        assert title not in seen, f"{item.hid} has the same title as {seen[title]}: {item.fields['title']!r}"
        seen[title] = item.hid


def test_every_requirement_has_acceptance_criteria(catalog):
    missing = [item.hid for item in requirements(catalog) if not item.fields["acceptance"].strip()]
    assert missing == []


def test_every_requirement_has_a_statement(catalog):
    assert [item.hid for item in requirements(catalog) if not item.fields["statement"].strip()] == []


def test_every_strategy_has_a_sponsor_kpi_and_target(catalog):
    strategies = [item for item in catalog.items if item.kind == "strategy"]
    incomplete = [item.hid for item in strategies
                  if not (item.fields["sponsor"] and item.fields["kpi"] and item.fields["target"])]
    assert incomplete == []


def test_every_process_has_steps(catalog):
    assert [item.hid for item in catalog.items if item.kind == "process" and not item.fields["steps"]] == []


# --- loaded into a project ------------------------------------------------------------------

def test_loading_adds_every_item(session, catalog, loaded):
    _project, summary = loaded
    assert summary["applied"] is True and summary["errors"] == []
    assert summary["added"] == len(catalog.items)


def test_loaded_catalogue_passes_the_trace_check(session, loaded):
    project, _summary = loaded
    report = check(load_graph(session, project))
    assert report.technology_driven == []
    assert report.unsupported_strategies == []
    assert report.suspect_links == []
    assert report.as_dict()["ok"] is True


def test_loaded_catalogue_has_no_loose_ends(session, loaded):
    project, _summary = loaded
    report = check(load_graph(session, project))
    assert (report.strategies_without_sponsor, report.strategies_without_kpi) == ([], [])
    assert (report.roles_without_strategy, report.roles_without_process) == ([], [])
    assert (report.processes_without_role, report.processes_without_requirement) == ([], [])


def test_reference_model_is_not_technology_heavy(session, loaded):
    """The shipped model practises what reqtrace checks: people, process and insight, not only tools."""
    project, _summary = loaded
    balance = check(load_graph(session, project)).capability_balance
    assert balance["technology_heavy"] is False
    assert balance["warnings"] == []


def test_loading_twice_changes_nothing_and_writes_no_audit_event(session, catalog, loaded):
    project, _first = loaded
    events_before = audit_count(session)
    second = load_catalog(session, project, catalog, actor="test")
    assert second["applied"] is True
    assert (second["added"], second["changed"], second["removed"]) == (0, 0, 0)
    assert second["unchanged"] == len(catalog.items)
    assert audit_count(session) == events_before


def test_loading_twice_with_the_same_status_changes_nothing(session, catalog, loaded):
    project, _first = loaded
    second = load_catalog(session, project, catalog, actor="test", status="approved")
    assert (second["added"], second["changed"]) == (0, 0)
