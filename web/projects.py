"""A project's overview and its readiness assessment."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from reqtrace.model import ITEM_MODELS
from reqtrace.readiness import AREAS, assess
from reqtrace.services.baselines import latest_baseline
from reqtrace.services.errors import Invalid
from reqtrace.services.projects import MAX_NAME, recent_changes, set_readiness, update_project
from reqtrace.workflow import AWAITING_APPROVAL, role_may
from reqtrace.trace import check
from reqtrace.trace.load import load_graph
from web.common import project_or_404
from web.db import session
from web.pages import action, page, refuse

blueprint = Blueprint("projects", __name__)


@page(blueprint, "/p/<key>", "project.html")
def overview(key: str):
    """A project at a glance: the chain's size, its trace health, readiness and recent changes."""
    project = project_or_404(key)
    db = session()
    report = check(load_graph(db, project))
    statuses = {}
    for kind, model in ITEM_MODELS.items():
        rows = db.exec(select(model.status, func.count()).where(model.project_id == project.id)
                       .group_by(model.status)).all()
        statuses[kind] = {status: count for status, count in rows}
    mine = {}
    for kind, model in ITEM_MODELS.items():
        mine[kind] = db.exec(select(func.count()).where(model.project_id == project.id,
                                                         model.owner == current_user.username)).scalar_one()
    baseline = latest_baseline(db, project)
    return {
        "project": {"key": project.key, "name": project.name, "description": project.description,
                    "status": project.status},
        "counts": report.counts,
        "statuses": statuses,
        "awaiting_approval": sum(counts.get(AWAITING_APPROVAL, 0) for counts in statuses.values()),
        "mine": mine,
        "trace": {"technology_driven": report.technology_driven,
                  "unsupported_strategies": report.unsupported_strategies,
                  "suspect_links": len(report.suspect_links), "ok": not report.violations},
        "readiness": assess(project.readiness).as_dict(),
        "latest_baseline": {"name": baseline.name, "created_at": baseline.created_at,
                            "counts": baseline.counts} if baseline else None,
        "recent": recent_changes(db, project),
        "may_rename": role_may(current_user.role, "projects"), "max_name": MAX_NAME,
    }


@action(blueprint, "/p/<key>/about", permission="projects")
def about(key: str):
    """Rename the project or change its description; its key stays (addresses and workbooks name it)."""
    project = project_or_404(key)
    db = session()
    try:
        changed = update_project(db, project, name=request.form.get("name", ""),
                                 description=request.form.get("description", ""), actor=current_user.username)
        db.commit()
    except Invalid as error:
        db.rollback()
        return refuse(f"Nothing was saved: {error}", 422, back=url_for("projects.overview", key=key),
                      back_label="Back to the project", project={"key": project.key, "name": project.name})
    flash("Saved the project's " + " and ".join(sorted(changed)) + "." if changed else "Nothing changed.", "info")
    return redirect(url_for("projects.overview", key=key))


@action(blueprint, "/p/<key>/readiness", permission="readiness")
def readiness(key: str):
    """Record the readiness assessment of the five transformation areas."""
    project = project_or_404(key)
    stages = {area: request.form.get(area, "") for area in AREAS}
    try:
        set_readiness(session(), project, stages, actor=current_user.username)
        session().commit()
        flash("Readiness assessment saved.", "info")
    except Invalid as error:
        session().rollback()
        flash(str(error), "error")
    return redirect(url_for("trace.gaps", key=key) + "#readiness")
