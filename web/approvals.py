"""The approval queue: what awaits the CRM lead's approval, and approving a selection of it at once."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from reqtrace.services.approval_queue import approval_queue
from reqtrace.services.approvals import approve_items
from reqtrace.services.errors import SelectionRefused
from reqtrace.workflow import role_may
from reqtrace.words import first_named
from web.common import KIND_BY_PLURAL, project_or_404, project_view
from web.db import session
from web.pages import action, page

blueprint = Blueprint("approvals", __name__)
SHOWN = 20  # items named, and warnings given, after approving; the rest are counted


@page(blueprint, "/p/<key>/approvals", "approvals.html")
def queue(key: str):
    """Every item proposed for approval, strategies first; the CRM lead approves a selection at once."""
    project = project_or_404(key)
    return _queue(project)


@action(blueprint, "/p/<key>/approvals", permission="approve")
def approve(key: str):
    """Approve the items selected, each at the version the page showed, or none of them."""
    project = project_or_404(key)
    level = _level_arg()  # before anything is written: an unknown level is no page to come back to
    selected = list(dict.fromkeys(request.form.getlist("item")))
    if not selected:
        flash("Nothing was approved: select the items to approve.", "error")
        return redirect(url_for("approvals.queue", key=key, **level))
    # Each row carries the version it showed: an item changed since then must be looked at again first.
    versions = {hid: _number(request.form.get(f"version:{hid}")) for hid in selected}
    db = session()
    try:
        done = approve_items(session=db, project=project, versions=versions, actor=current_user.username,
                             actor_role=current_user.role)
        db.commit()
    except SelectionRefused as refusal:
        db.rollback()
        data = _queue(project, refused=refusal.reasons, selected=selected)
        return render_template("approvals.html", **data), 409
    named = first_named(done.items, SHOWN)
    flash(f"Approved {named}.", "info")
    for warning in done.warnings[:SHOWN]:
        flash(warning, "warning")
    if len(done.warnings) > SHOWN:
        flash(f"{len(done.warnings) - SHOWN} more of them sit below items not approved: the queue and the items' "
              "pages show which.", "warning")
    return redirect(url_for("approvals.queue", key=key, **level))


def _queue(project, *, refused: dict[str, str] | None = None, selected: list[str] = ()) -> dict:
    """The page's data; after a refusal, with each refused item's reason and the rest of the selection kept."""
    level = _level_arg().get("level")
    data = approval_queue(session(), project, level=KIND_BY_PLURAL[level] if level else None)
    refused = refused or {}
    for entry in data["levels"]:
        for item in entry["items"]:
            item["refused"] = refused.get(item["id"])
            # Kept selected unless refused: a changed item is looked at again before it is chosen again.
            item["selected"] = item["id"] in selected and item["id"] not in refused
    # The refusal names SHOWN items and counts the rest: a crafted selection of thousands is no page to read.
    named = dict(list(refused.items())[:SHOWN])
    return {"project": project_view(project), **data,
            "level_filter": level, "may_approve": role_may(current_user.role, "approve"), "refused": named,
            "refused_more": len(refused) - len(named)}


def _level_arg() -> dict[str, str]:
    """The level filter (?level=requirements), from the query or the form; an unknown one is no page."""
    level = request.values.get("level") or ""
    if level and level not in KIND_BY_PLURAL:
        abort(404)
    return {"level": level} if level else {}


def _number(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None
