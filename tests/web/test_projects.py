"""The CRM lead creates a project on the home page and renames it on its overview; nobody else may."""

from __future__ import annotations

import pytest
from sqlmodel import select

from reqtrace.model import AuditEvent, Project
from tests.web.support import parse_html


def _projects(db) -> dict[str, str]:
    return {project.key: project.name for project in db().exec(select(Project))}


def test_the_lead_creates_a_project_and_lands_on_it(auth, db):
    lead = auth("lead")
    home = lead.page("/")
    assert home.one("form", action="/projects") is not None
    response = lead.post("/projects", {"key": "acme", "name": "CRM selection at Acme",
                                       "description": "Replace the old contact database."})
    assert response.status_code == 302 and response.headers["Location"] == "/p/acme"
    overview = lead.page("/p/acme")
    assert overview.one("h1").text.startswith("CRM selection at Acme")
    assert "Project acme created" in overview.one("p", cls="flash").text
    assert _projects(db)["acme"] == "CRM selection at Acme"
    (event,) = db().exec(select(AuditEvent).where(AuditEvent.entity_type == "project",
                                                  AuditEvent.entity_id == "acme"))
    assert (event.actor, event.action) == ("lead", "create")
    assert lead.json("/p/acme/strategies.json")["total"] == 0  # empty, ready for its strategies


@pytest.mark.parametrize("form, status, field, says", [
    ({"key": "Acme Corp", "name": "Acme"}, 422, "key", "'Acme Corp' is not a project key"),
    ({"key": "", "name": "Acme"}, 422, "key", "is not a project key"),
    ({"key": "crm", "name": "Another CRM"}, 409, "key", "a project with key 'crm' already exists"),
    ({"key": "acme", "name": "Two\nlines"}, 422, "name", "a project's name is one line"),
    ({"key": "acme", "name": "x" * 201}, 422, "name", "at most 200 characters (this one has 201)"),
])
def test_a_refused_project_says_what_and_where_and_keeps_what_was_typed(auth, db, form, status, field, says):
    before = _projects(db)
    response = auth("lead").post("/projects", {**form, "description": "Typed with care."})
    assert response.status_code == status
    page = parse_html(response.get_data(as_text=True))
    assert says in page.one("ul", id=f"error-{field}").text
    assert page.one("textarea", id="description").text == "Typed with care."
    assert page.one("input", id="key").attrs["value"] == form["key"]
    assert _projects(db) == before


@pytest.mark.parametrize("username", ["owner", "procurement", "evaluator"])
def test_only_the_lead_creates_or_renames_projects(auth, db, username):
    visitor = auth(username)
    assert visitor.page("/").find("form", action="/projects") is None
    assert visitor.page("/p/crm").find("form", action="/p/crm/about") is None
    assert visitor.post("/projects", {"key": "acme", "name": "Acme"}).status_code == 403
    assert visitor.post("/p/crm/about", {"name": "Renamed", "description": ""}).status_code == 403
    assert "acme" not in _projects(db) and _projects(db)["crm"] != "Renamed"


def test_the_lead_renames_a_project_and_the_audit_trail_has_both_names(auth, db):
    lead = auth("lead")
    before = _projects(db)["crm"]
    response = lead.post("/p/crm/about", {"name": "CRM selection, phase 2", "description": "Second round."})
    assert response.status_code == 302
    assert "Saved the project's description and name." in lead.page("/p/crm").one("p", cls="flash").text
    assert _projects(db)["crm"] == "CRM selection, phase 2"
    (event,) = db().exec(select(AuditEvent).where(AuditEvent.entity_type == "project",
                                                  AuditEvent.action == "update"))
    assert event.before["name"] == before and event.after["name"] == "CRM selection, phase 2"
    refused = lead.post("/p/crm/about", {"name": "", "description": "Second round."})
    assert refused.status_code == 422
    assert "a project needs a name" in parse_html(refused.get_data(as_text=True)).one("p", role="alert").text
    assert _projects(db)["crm"] == "CRM selection, phase 2"
