"""Baselines: freeze the approved chain under a name, look at one, compare two states."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from reqtrace.services.baselines import (
    CURRENT,
    baseline_state,
    compare as compare_states,
    create_baseline,
    get_baseline,
    links_outside,
    list_baselines,
    outside_note,
    resolve_state,
)
from reqtrace.services.errors import Conflict, Invalid
from reqtrace.trace.graph import LEVELS, hid_key
from reqtrace.workflow import role_may
from web.common import project_or_404, project_view
from web.db import session
from web.pages import action, page, refuse

blueprint = Blueprint("baselines", __name__)


@page(blueprint, "/p/<key>/baselines", "baselines.html")
def index(key: str):
    """The project's baselines, newest first."""
    project = project_or_404(key)
    baselines = [{"name": b.name, "note": b.note, "created_at": b.created_at, "created_by": b.created_by,
                  "counts": b.counts} for b in list_baselines(session(), project)]
    return {"project": project_view(project), "baselines": baselines,
            "may_create": role_may(current_user.role, "baseline")}


@action(blueprint, "/p/<key>/baselines", permission="baseline")
def create(key: str):
    """Freeze the approved chain under a new name (the CRM lead)."""
    project = project_or_404(key)
    db = session()
    name = request.form.get("name", "")
    try:
        baseline = create_baseline(db, project, name=name, note=request.form.get("note", ""),
                                   actor=current_user.username)
        db.commit()
    except (Invalid, Conflict) as error:
        db.rollback()
        return refuse(str(error), 422, back=url_for("baselines.index", key=key), back_label="Back to the baselines",
                      project=project_view(project))
    flash(f"Baseline {baseline.name} frozen: {baseline.counts['requirement']} approved requirements.", "info")
    outside = links_outside(baseline_state(db, baseline))
    if outside:
        flash(outside_note(outside), "warning")
    return redirect(url_for("baselines.show", key=key, name=baseline.name))


@page(blueprint, "/p/<key>/baselines/<name>", "baseline.html")
def show(key: str, name: str):
    """What one baseline froze, level by level."""
    project = project_or_404(key)
    baseline = get_baseline(session(), project, name)
    state = baseline_state(session(), baseline)
    outside = links_outside(state)
    missing = {(row["id"], row["links_to"]) for row in outside}
    levels = {kind: sorted(({"id": hid, "title": data.get("title"), "version": data.get("version"),
                             "links": data.get("links", []), "priority": data.get("priority"),
                             "links_outside": [link for link in data.get("links", []) if (hid, link) in missing]}
                            for (level, hid), data in state.items() if level == kind),
                           key=lambda row: hid_key(row["id"])) for kind in LEVELS}
    others = [b.name for b in list_baselines(session(), project) if b.name != name]
    return {"project": project_view(project), "baseline": {"name": baseline.name, "note": baseline.note,
                                                       "created_at": baseline.created_at,
                                                       "created_by": baseline.created_by, "counts": baseline.counts},
            "levels": levels, "others": others, "links_outside": outside}


@page(blueprint, "/p/<key>/compare", "compare.html")
def compare(key: str):
    """Added, removed and changed items between two baselines, or a baseline and the current state."""
    project = project_or_404(key)
    names = [b.name for b in list_baselines(session(), project)]
    old = request.args.get("from") or (names[0] if names else CURRENT)
    new = request.args.get("to") or CURRENT
    result = compare_states(resolve_state(session(), project, old), resolve_state(session(), project, new))
    return {"project": project_view(project), "from": old, "to": new, "choices": names + [CURRENT], **result}
