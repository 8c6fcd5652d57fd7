"""The home page: every project with its size and trace health; and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from reqtrace.readiness import assess
from reqtrace.services.projects import list_projects
from reqtrace.trace import check
from reqtrace.trace.load import load_graph
from web.db import session
from web.pages import page

blueprint = Blueprint("home", __name__)


@page(blueprint, "/", "home.html")
def index():
    """Every project with its size and trace health."""
    projects = []
    for project in list_projects(session()):
        report = check(load_graph(session(), project))
        projects.append({"key": project.key, "name": project.name, "status": project.status,
                         "counts": report.counts, "ok": not report.violations,
                         "technology_driven": len(report.technology_driven),
                         "unsupported_strategies": len(report.unsupported_strategies),
                         "suspect_links": len(report.suspect_links),
                         "readiness_warnings": assess(project.readiness).warnings})
    return {"projects": projects}


@blueprint.get("/healthz")
def health():
    """Liveness for load balancers and tests: answers when the database does."""
    session().exec(text("SELECT 1"))
    return jsonify({"status": "ok"})
