"""The home page: every project with its size and trace health; and the health check."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from reqtrace.readiness import assess
from reqtrace.services.errors import Conflict, Invalid
from reqtrace.services.projects import MAX_NAME, create_project, list_projects
from reqtrace.trace import check
from reqtrace.trace.load import load_graph
from reqtrace.workflow import role_may
from web.db import session
from web.pages import action, field_errors, page

NEW_PROJECT_LABELS = {"key": "Key", "name": "Name", "description": "What it is for"}

blueprint = Blueprint("home", __name__)


@page(blueprint, "/", "home.html")
def index():
    """Every project with its size and trace health."""
    return _projects()


@action(blueprint, "/projects", permission="projects")
def create():
    """A new, empty project; then its overview, to start with the strategies."""
    values = {name: request.form.get(name, "") for name in NEW_PROJECT_LABELS}
    db = session()
    try:
        project = create_project(db, key=values["key"].strip(), name=values["name"],
                                 description=values["description"], actor=current_user.username)
        db.commit()
    except (Invalid, Conflict) as error:
        db.rollback()
        errors = field_errors(error, NEW_PROJECT_LABELS) if isinstance(error, Invalid) else {"key": [str(error)]}
        return render_template("home.html", **_projects(values=values, errors=errors)), \
            409 if isinstance(error, Conflict) else 422
    flash(f"Project {project.key} created: start with the strategies it serves.", "info")
    return redirect(url_for("projects.overview", key=project.key))


def _projects(values: dict | None = None, errors: dict | None = None) -> dict:
    projects = []
    for project in list_projects(session()):
        report = check(load_graph(session(), project))
        projects.append({"key": project.key, "name": project.name, "status": project.status,
                         "counts": report.counts, "ok": not report.violations,
                         "technology_driven": len(report.technology_driven),
                         "unsupported_strategies": len(report.unsupported_strategies),
                         "suspect_links": len(report.suspect_links),
                         "readiness_warnings": assess(project.readiness).warnings})
    return {"projects": projects, "may_create": role_may(current_user.role, "projects"),
            "values": values or {}, "errors": errors or {}, "labels": NEW_PROJECT_LABELS,
            "max_lengths": {"key": 40, "name": MAX_NAME}}


@blueprint.get("/healthz")
def health():
    """Liveness for load balancers and tests: answers when the database does."""
    session().exec(text("SELECT 1"))
    return jsonify({"status": "ok"})
