"""Helpers the views share: loading a project, level names, template filters."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, abort
from flask_login import current_user
from markupsafe import Markup

from reqtrace.model import PLURALS, Project
from reqtrace.richtext import plain_summary, render_markdown
from reqtrace.services.errors import NotFound
from reqtrace.services.evidence import sealed_evaluators
from reqtrace.services.projects import get_project
from reqtrace.services.sync import ACTION_DONE
from reqtrace.vocab import (
    ANSWER,
    CAPABILITY,
    DEPLOYMENT,
    KIND,
    MANAGEMENT,
    PERSPECTIVE,
    PRIORITY,
    PROJECT_STATUS,
    STATUS,
    USER_ROLE,
)
from reqtrace.workflow import may_edit, may_review, role_may
from web.db import session

KIND_BY_PLURAL = {plural: kind for kind, plural in PLURALS.items()}
LEVEL_TITLES = {"strategy": "Strategies", "role": "Roles", "process": "Processes", "requirement": "Requirements"}
LEVEL_NAMES = {"strategy": "strategy", "role": "role", "process": "process", "requirement": "requirement"}
VOCABULARIES = {"answer": ANSWER, "capability": CAPABILITY, "deployment": DEPLOYMENT, "kind": KIND,
                "management": MANAGEMENT, "perspective": PERSPECTIVE, "priority": PRIORITY, "status": STATUS,
                "role": USER_ROLE, "project_status": PROJECT_STATUS}


def scores_project_or_403(key: str) -> Project:
    """The project, for a page showing vendors' scores: refused while the viewer is still scoring a demo.

    Seeing other evaluators' (submitted) scores, or a league table, while still scoring would sway the
    viewer; the lead who attends a session sees the ranking once he has submitted his own scores.
    """
    project = project_or_404(key)
    scoring = sorted({slug for slug, evaluator in sealed_evaluators(session(), project)
                      if evaluator == current_user.username})
    if scoring:
        abort(403, description=f"You are still scoring {', '.join(scoring)}: the ranking and the scores open to "
                               "you once you submit your own scores there, so nobody scores with them in mind.")
    return project


def project_or_404(key: str) -> Project:
    try:
        return get_project(session(), key)
    except NotFound:
        abort(404, description=f"There is no project {key!r}.")


def kind_or_404(plural: str) -> str:
    if plural not in KIND_BY_PLURAL:
        abort(404)
    return KIND_BY_PLURAL[plural]


def can_edit(owner: str | None) -> bool:
    return may_edit(current_user.role, current_user.username, owner)


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.loopcontrols")
    app.jinja_env.filters["markdown"] = lambda text: Markup(render_markdown(text))
    app.jinja_env.filters["summary"] = plain_summary
    app.jinja_env.filters["label"] = lambda value, vocabulary: VOCABULARIES[vocabulary].label(value) if value else ""
    app.jinja_env.filters["when"] = _when
    # A weight to two decimals at most, never in exponent notation (AHP scales 5 to 2.45136; 1000 stays 1000).
    app.jinja_env.filters["weight"] = lambda value: f"{value:.2f}".rstrip("0").rstrip(".")
    app.jinja_env.globals.update(PLURALS=PLURALS, LEVEL_TITLES=LEVEL_TITLES, VOCABULARIES=VOCABULARIES,
                                 ACTION_DONE=ACTION_DONE, may=_may, may_review_into=_may_review_into)


def _may(action: str) -> bool:
    """In templates: whether the current user's role may take `action` (menus show only what works)."""
    return bool(current_user.is_authenticated and role_may(current_user.role, action))


def _may_review_into(owner: str | None) -> bool:
    """In templates: whether the current user may review links into an item `owner` owns."""
    return bool(current_user.is_authenticated and may_review(current_user.role, current_user.username, owner))


def _when(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def project_view(project) -> dict:
    """A project as every page's template and JSON twin name it."""
    return {"key": project.key, "name": project.name, "status": project.status}
