"""Strategies, roles, processes and requirements: lists, pages, forms, status moves and history."""

from __future__ import annotations

import math

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from reqtrace import audit
from reqtrace.model import ITEM_MODELS, LINKS_UP, PLURALS, User
from reqtrace.richtext import render_markdown
from reqtrace.schemas import EDITABLE_FIELDS, MARKDOWN_FIELDS
from reqtrace.services.answers import requirement_answers
from reqtrace.services.approvals import unapproved_above, unapproved_above_warning
from reqtrace.services.editing import create_from_form, edit_from_form
from reqtrace.services.errors import Invalid, VersionConflict
from reqtrace.services.items import find_item, set_status, snapshot
from reqtrace.services.links import upstream_hids
from reqtrace.services.neighbours import neighbours
from reqtrace.services.projects import describe
from reqtrace.workflow import OWNING_ROLES, available_transitions, may_transition, role_may, transition
from web.common import can_edit, kind_or_404, project_or_404, project_view
from web.db import session
from web.forms import FORMS, empty_values, parse, values_of
from web.pages import action, page, refuse, require

blueprint = Blueprint("items", __name__)

PER_PAGE = 50
LIST_COLUMNS = {
    "strategy": ("sponsor", "kpi"),
    "role": ("department",),
    "process": ("management",),
    "requirement": ("priority", "capability"),
}
PLURAL_RULE = "/p/<key>/<any(strategies, roles, processes, requirements):plural>"


@page(blueprint, PLURAL_RULE, "items.html")
def listing(key: str, plural: str):
    """One level's items, filtered by status, owner, text (and priority/capability for requirements)."""
    project = project_or_404(key)
    kind = kind_or_404(plural)
    model = ITEM_MODELS[kind]
    args = {name: (request.args.get(name) or "").strip() for name in ("status", "q", "owner", "priority",
                                                                     "capability")}
    conditions = [model.project_id == project.id]
    conditions.append(model.status == args["status"] if args["status"] else model.status != "retired")
    if args["owner"]:
        conditions.append(model.owner == (current_user.username if args["owner"] == "me" else args["owner"]))
    if args["q"]:
        # autoescape: "%" and "_" typed in the search box are characters to find, not wildcards
        conditions.append(or_(model.title.icontains(args["q"], autoescape=True),
                              model.hid.icontains(args["q"], autoescape=True)))
    if kind == "requirement":
        for name in ("priority", "capability"):
            if args[name]:
                conditions.append(getattr(model, name) == args[name])
    db = session()
    total = db.exec(select(func.count(model.id)).where(*conditions)).scalar_one()
    pages = max(1, math.ceil(total / PER_PAGE))
    page_number = min(max(1, request.args.get("page", 1, type=int)), pages)
    columns = LIST_COLUMNS[kind]
    statement = select(model.hid, model.title, model.status, model.owner, model.version,
                       *(getattr(model, name) for name in columns)) \
        .where(*conditions).order_by(model.seq, model.hid).offset((page_number - 1) * PER_PAGE).limit(PER_PAGE)
    rows = [{"id": row[0], "title": row[1], "status": row[2], "owner": row[3], "version": row[4],
             **dict(zip(columns, row[5:]))} for row in db.exec(statement)]
    labels = {spec.name: spec.label for spec in FORMS[kind]}
    return {"project": project_view(project), "kind": kind, "plural": plural, "rows": rows, "columns": columns,
            "column_labels": {column: labels.get(column, column.replace("_", " ").capitalize()) for column in columns},
            "filter": {name: value for name, value in args.items() if value}, "total": total,
            "page": page_number, "pages": pages, "can_create": role_may(current_user.role, "create")}


@page(blueprint, "/p/<key>/items/<hid>", "item.html")
def detail(key: str, hid: str):
    """An item with its place in the chain, its status moves and links to its history and impact."""
    project = project_or_404(key)
    kind, item = find_item(session(), project, hid)
    data = snapshot(kind, item)
    rendered = {name: render_markdown(data.get(name)) for name in MARKDOWN_FIELDS[kind]}
    # Every vendor's questionnaire answer to a requirement, side by side: only for those who may read answers
    # (so not in the JSON twin of anyone else either).
    answers = {"vendor_answers": requirement_answers(session(), project, item)} \
        if kind == "requirement" and role_may(current_user.role, "answers") else {}
    return {"project": project_view(project), "kind": kind, "item": data, "rendered": rendered,
            "updated_at": item.updated_at, "created_at": item.created_at,
            **neighbours(session(), kind, item),
            "can_edit": can_edit(item.owner),
            "transitions": [{"status": target, "label": label} for target, label in
                            available_transitions(current_user.role, current_user.username, item.owner, item.status)],
            **answers}


@page(blueprint, PLURAL_RULE + "/new", "item_form.html", permission="create")
def new_form(key: str, plural: str):
    """The form for a new item of one level."""
    project = project_or_404(key)
    kind = kind_or_404(plural)
    values = empty_values(kind)
    if role_may(current_user.role, "assign-owner"):
        values["owner"] = current_user.username  # the lead owns what they write, unless they choose otherwise
    return _form_data(project, kind, values=values, item=None)


@action(blueprint, PLURAL_RULE + "/new", permission="create")
def create(key: str, plural: str):
    """Create an item from the form; on a problem, show the form again with the input kept."""
    project = project_or_404(key)
    kind = kind_or_404(plural)
    submitted = parse(kind, request.form, may_assign_owner=role_may(current_user.role, "assign-owner"))
    db = session()
    try:
        item = create_from_form(session=db, project=project, kind=kind, fields=submitted.fields,
                                upstream=submitted.links or [], actor=current_user.username,
                                actor_role=current_user.role)
        db.commit()
    except Invalid as error:
        db.rollback()
        return _form_response(project, kind, None, submitted.raw, error), 422
    flash(f"Created {item.hid}.", "info")
    return redirect(url_for("items.detail", key=key, hid=item.hid))


@page(blueprint, "/p/<key>/items/<hid>/edit", "item_form.html", permission="edit")
def edit_form(key: str, hid: str):
    """The form to edit an item (its owner or the CRM lead)."""
    project = project_or_404(key)
    kind, item = find_item(session(), project, hid)
    require(can_edit(item.owner), f"Only {item.owner or 'its owner'} or the CRM lead may edit {hid}.")
    values = values_of(kind, snapshot(kind, item), upstream_hids(session(), project, kind, item))
    return _form_data(project, kind, values=values, item=item, was=_shown(kind, values))


@action(blueprint, "/p/<key>/items/<hid>/edit", permission="edit")
def save(key: str, hid: str):
    """Save an edit; a save on top of someone else's newer save is refused and both are shown."""
    project = project_or_404(key)
    db = session()
    kind, item = find_item(db, project, hid)
    require(can_edit(item.owner), f"Only {item.owner or 'its owner'} or the CRM lead may edit {hid}.")
    submitted = parse(kind, request.form, may_assign_owner=role_may(current_user.role, "assign-owner"))
    if submitted.version is None:
        return _form_response(project, kind, item, submitted.raw,
                              Invalid([], "The form did not say which version it edits; reload and try again.")), 422
    status_was = item.status
    try:
        edit_from_form(session=db, project=project, kind=kind, hid=hid, fields=submitted.fields,
                       upstream=submitted.links, expected_version=submitted.version, actor=current_user.username,
                       actor_role=current_user.role)
        db.commit()
    except Invalid as error:
        db.rollback()
        return _form_response(project, kind, item, submitted.raw, error), 422
    except VersionConflict as conflict:
        db.rollback()
        return _form_response(project, kind, item, submitted.raw, conflict), 409
    if item.status != status_was:
        flash(f"Saved {hid}. It was {status_was} and is {item.status} again: it needs approving once more.", "info")
    else:
        flash(f"Saved {hid}.", "info")
    return redirect(url_for("items.detail", key=key, hid=hid))


@action(blueprint, "/p/<key>/items/<hid>/status", permission="transition")
def change_status(key: str, hid: str):
    """Move an item to another status, if the workflow lets this user."""
    project = project_or_404(key)
    db = session()
    kind, item = find_item(db, project, hid)
    target = request.form.get("status", "")
    move = transition(item.status, target)
    require(move is not None, f"{hid} cannot move from {item.status} to {target or 'nothing'}.")
    require(may_transition(current_user.role, current_user.username, item.owner, item.status, target),
            f"Your role may not {move.action} {hid}." if move else "")
    version = request.form.get("version", "")
    try:
        set_status(session=db, project=project, kind=kind, item=item, status=target, actor=current_user.username,
                   expected_version=int(version) if version.isdigit() else None)
        # Read before the commit: after it, a read would open a new (on SQLite, write-locked) transaction.
        above = unapproved_above(db, {kind: [item]}).get((kind, item.id), []) if target == "approved" else []
        db.commit()
    except VersionConflict as conflict:
        db.rollback()
        now = conflict.current
        # Not the edit form's "compare both versions": this page has nothing to compare, only to look again.
        message = (f"{hid} changed since you opened it (now version {now.get('version')}, status "
                   f"{now.get('status')}): look at it again and then {move.action}.")
        return refuse(message, 409, back=url_for("items.detail", key=key, hid=hid), back_label=f"Back to {hid}",
                      project=project_view(project))
    flash(f"{hid} is now {target}.", "info")
    if above:
        flash(unapproved_above_warning(hid, above), "warning")
    return redirect(url_for("items.detail", key=key, hid=hid))


@page(blueprint, "/p/<key>/items/<hid>/history", "history.html")
def history(key: str, hid: str):
    """Every saved change to an item and its links, oldest first, field by field."""
    project = project_or_404(key)
    kind, item = find_item(session(), project, hid)
    names = dict(session().exec(select(User.username, User.display_name)).all())
    events = []
    for event in audit.history(session(), project_id=project.id, entity_type=kind, entity_id=item.hid):
        events.append({
            "at": event.at, "actor": event.actor, "actor_name": names.get(event.actor) or event.actor,
            "action": event.action, "entity_type": event.entity_type, "entity_id": event.entity_id,
            "changes": [{"field": name, "before": before, "after": after}
                        for name, before, after in audit.diff(event.before, event.after)
                        if name not in ("version", "hid")],
        })
    return {"project": project_view(project), "kind": kind, "item": {"id": item.hid, "title": item.title},
            "events": events}


@action(blueprint, "/preview", permission="preview")
def preview():
    """Markdown rendered and sanitised exactly as pages will show it (for the live preview)."""
    text = request.form.get("text")
    if text is None and request.is_json:
        text = (request.get_json(silent=True) or {}).get("text")
    return jsonify({"html": render_markdown(text or "")})


def _form_data(project, kind: str, *, values: dict, item, errors: dict | None = None, message: str = "",
               conflict: dict | None = None, was: dict | None = None) -> dict:
    db = session()
    choices: list[dict] = []
    if kind in LINKS_UP:
        upper = ITEM_MODELS[LINKS_UP[kind].upstream]
        # A retired item still linked is shown (marked), so the link can stay or go knowingly.
        linked = [*(values.get("links") or []), *(upstream_hids(db, project, kind, item) if item is not None else [])]
        choices = [{"id": hid, "title": title, "status": status} for hid, title, status in db.exec(
            select(upper.hid, upper.title, upper.status).where(
                upper.project_id == project.id, or_(upper.status != "retired", upper.hid.in_(linked)))
            .order_by(upper.seq, upper.hid))]
    owners = [{"username": username, "name": name} for username, name in db.exec(
        select(User.username, User.display_name).where(User.role.in_(OWNING_ROLES), User.active.is_(True))
        .order_by(User.username))]
    owner = values.get("owner")
    if owner and owner not in {entry["username"] for entry in owners}:
        # An owner no account matches (set by an import, or an account since removed) stays unless changed.
        owners.append({"username": owner, "name": f"{owner}, no owner account"})
    return {"project": project_view(project), "kind": kind, "plural": PLURALS[kind],
            "fields": [spec.__dict__ for spec in FORMS[kind]], "values": values, "link_choices": choices,
            "owners": owners, "may_assign_owner": role_may(current_user.role, "assign-owner"),
            "item": {"id": item.hid, "title": item.title, "version": item.version, "status": item.status}
            if item is not None else None,
            "errors": errors or {}, "message": message, "conflict": conflict, "was": was or {}}


def _form_response(project, kind: str, item, raw: dict, error):
    """The form again, with the user's input, the problems by field, and for a conflict both versions.

    A conflict merges what it safely can: the form says what each field held when it was opened ("was:"
    fields), so a field only the other person changed takes their value, one only you changed keeps yours,
    and one you both changed keeps yours, marked, for you to decide before saving again.
    """
    values = {**empty_values(kind), **raw}
    errors: dict[str, list[str]] = {}
    conflict = None
    was = {name[4:]: value for name, value in request.form.items() if name.startswith("was:")}
    if isinstance(error, VersionConflict):
        saved = values_of(kind, error.current, error.current.get("links", []))
        labels = {spec.name: spec.label for spec in FORMS[kind]}
        rows = []
        for name in [*EDITABLE_FIELDS[kind], "links"]:
            if name not in labels or name not in raw:
                continue
            yours, theirs = _show(values.get(name)), _show(saved.get(name))
            if yours == theirs:
                continue
            you, they = (yours != was[name], theirs != was[name]) if name in was else (True, True)
            if they and not you:
                values[name] = saved.get(name)  # only they changed it: their value stays
            rows.append({"field": labels[name], "yours": yours, "saved": theirs,
                         "by": "both" if you and they else "you" if you else "them"})
        conflict = {"saved_version": error.current.get("version"), "rows": rows}
        was = _shown(kind, saved)  # the form now builds on the saved version
        conflict.update(_status_since(project, kind, error))
        if conflict["status_was"] != conflict["status_now"]:
            conflict["rows"].insert(0, {"field": "Status", "yours": conflict["status_was"],
                                        "saved": conflict["status_now"], "by": "them"})
        item.version = error.current.get("version")  # a second save replaces it knowingly
        message = str(error)
    else:
        field_names = {spec.name for spec in FORMS[kind]}
        link_label = LINKS_UP[kind].label if kind in LINKS_UP else "links"
        for problem in getattr(error, "problems", []):
            name = "links" if problem.field in (link_label, "links") else problem.field
            errors.setdefault(name if name in field_names else "", []).append(problem.message)
        message = "Nothing was saved: correct the fields marked below." if errors else str(error)
    data = _form_data(project, kind, values=values, item=item, errors=errors, message=message, conflict=conflict,
                      was=was)
    return render_template("item_form.html", **data)


def _shown(kind: str, values: dict) -> dict[str, str]:
    """Each field of the form as `_show` compares it: what the form was opened with, sent back as "was:"."""
    return {spec.name: _show(values.get(spec.name)) for spec in FORMS[kind]}


def _status_since(project, kind: str, error: VersionConflict) -> dict:
    """The status the form was opened on, the status now, and who moved it in between, in words."""
    moves = [event for event in audit.history(session(), project_id=project.id, entity_type=kind,
                                                entity_id=error.hid)
             if _moved(event) and (event.before or {}).get("version", 0) >= error.expected]
    now = error.current.get("status")
    if not moves:
        return {"status_was": now, "status_now": now, "status_notice": ""}
    was = moves[0].before.get("status")
    roles = dict(session().exec(select(User.username, User.role)
                                .where(User.username.in_(sorted({event.actor for event in moves})))).all())
    done = ", then ".join(f"{event.actor} {describe(event, actor_role=roles.get(event.actor))}" for event in moves)
    notice = f"Since you opened the form, {done}: {error.hid} is now {now}" + (f", not {was}." if was != now else ".")
    return {"status_was": was, "status_now": now, "status_notice": notice}


def _moved(event) -> bool:
    """A change of status, whichever way it came: the status buttons, or a workbook or catalogue that retired or
    reopened the item along with other changes (their events carry the status before and after)."""
    before, after = (event.before or {}).get("status"), (event.after or {}).get("status")
    return bool(before and after and before != after)


def _show(value) -> str:
    if isinstance(value, list):  # links and tags: a set, whatever order a form or the database gives them in
        return ", ".join(sorted(str(part) for part in value))
    # A browser sends a textarea's line breaks as CRLF: the same text stored with LF is no difference.
    return "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
