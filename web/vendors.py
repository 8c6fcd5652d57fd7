"""Vendors: who competes, with what product, deployment model, flags and five-year cost.

The CRM lead and procurement add and edit them; everyone reads the list. The five-year cost is shown only
to those who may see the ranking (value for money is part of it): evaluators score the demo, not the price.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from reqtrace.services.errors import Conflict, Invalid, NotFound
from reqtrace.services.vendors import (
    FIELDS,
    MAX_LENGTHS,
    VendorChanged,
    VendorUnchanged,
    add_vendor,
    get_vendor,
    list_vendors,
    snapshot,
    update_vendor,
)
from reqtrace.vocab import DEPLOYMENT, VENDOR_FLAG
from reqtrace.workflow import role_may
from web.common import project_or_404
from web.db import session
from web.pages import action, page

blueprint = Blueprint("vendors", __name__)

LABELS = {"slug": "Slug", "name": "Name", "product": "Product", "deployment": "Deployment model",
          "sandbox_url": "Sandbox URL", "flags": "Flags", "cost_5y": "Five-year cost", "notes": "Notes"}


def _project(project) -> dict:
    return {"key": project.key, "name": project.name, "status": project.status}


def _sees_cost() -> bool:
    return role_may(current_user.role, "ranking")


def _row(values: dict) -> dict:
    row = {name: values.get(name) for name in ("slug", "name", "product", "deployment", "sandbox_url", "flags",
                                                 "notes", "version")}
    row["deployment_label"] = DEPLOYMENT.label(row["deployment"]) if row["deployment"] else ""
    row["flag_labels"] = [VENDOR_FLAG.label(flag) for flag in row["flags"] or ()]
    if _sees_cost():
        row["cost_5y"] = values.get("cost_5y")
    return row


def _form_values(form) -> dict:
    """The posted form as service input: every field, flags as the boxes ticked."""
    values = {name: form.get(name, "") for name in FIELDS if name != "flags"}
    values["flags"] = form.getlist("flags")
    return values


def _errors(error: Invalid) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in error.problems:
        field = problem.field if problem.field in LABELS else ""
        errors.setdefault(field, []).append(problem.message)
    return errors


def _choices() -> dict:
    return {"deployments": list(DEPLOYMENT.terms.items()), "flag_choices": list(VENDOR_FLAG.terms.items()),
            "labels": LABELS, "max_lengths": MAX_LENGTHS}


def _listing(project, *, values: dict | None = None, errors: dict | None = None, message: str = "") -> dict:
    return {"project": _project(project), "vendors": [_row(snapshot(v)) for v in list_vendors(session(), project)],
            "may_edit": role_may(current_user.role, "vendors"), "sees_cost": _sees_cost(),
            "values": values or {"flags": []}, "errors": errors or {}, "message": message, **_choices()}


@page(blueprint, "/p/<key>/vendors", "vendors.html")
def index(key: str):
    """The vendors competing in the project; the form to add one (the CRM lead and procurement)."""
    return _listing(project_or_404(key))


@action(blueprint, "/p/<key>/vendors", permission="vendors")
def create(key: str):
    """Add a vendor; refused with the reason next to each field, nothing saved."""
    project = project_or_404(key)
    db = session()
    values = {"slug": request.form.get("slug", ""), **_form_values(request.form)}
    try:
        vendor = add_vendor(db, project, actor=current_user.username, **values)
        db.commit()
    except Invalid as error:
        db.rollback()
        return _page("vendors.html", _listing(project, values=values, errors=_errors(error),
                                              message="The vendor was not added: correct the fields marked.")), 422
    except Conflict as error:
        db.rollback()
        return _page("vendors.html", _listing(project, values=values, errors={"slug": [str(error)]},
                                              message="The vendor was not added: correct the fields marked.")), 409
    flash(f"Vendor {vendor.slug} ({vendor.name}) added.", "info")
    return redirect(url_for("vendors.index", key=key) + f"#vendor-{vendor.slug}")


def _form(project, vendor, *, values: dict | None = None, errors: dict | None = None, message: str = "",
          saved: dict | None = None) -> dict:
    stored = snapshot(vendor)
    shown = dict(values) if values is not None else {name: stored[name] for name in FIELDS}
    return {"project": _project(project), "vendor": {"slug": vendor.slug, "name": vendor.name,
                                                     "version": values.get("version") if values else stored["version"]},
            "values": shown, "errors": errors or {}, "message": message, "saved": saved, **_choices()}


def _vendor_or_404(project, slug: str):
    try:
        return get_vendor(session(), project, slug)
    except NotFound:
        abort(404, description=f"There is no vendor {slug!r} in project {project.key}.")


@page(blueprint, "/p/<key>/vendors/<vendor>/edit", "vendor_form.html", permission="vendors")
def edit_form(key: str, vendor: str):
    """Edit one vendor's details (not its slug)."""
    project = project_or_404(key)
    return _form(project, _vendor_or_404(project, vendor))


@action(blueprint, "/p/<key>/vendors/<vendor>", permission="vendors")
def save(key: str, vendor: str):
    """Save a vendor's details; refused when invalid, or when someone saved it since the form was opened."""
    project = project_or_404(key)
    db = session()
    stored = _vendor_or_404(project, vendor)
    values = _form_values(request.form)
    version = request.form.get("version", "")
    if not (version.isascii() and version.isdigit() and len(version) <= 10) or int(version) < 1:
        return _page("vendor_form.html", _form(project, stored, values={**values, "version": stored.version},
                                               message="The form had no version of the vendor: open it again "
                                                       "and redo your changes.")), 400
    try:
        changed = update_vendor(db, project, vendor, values, actor=current_user.username,
                                expected_version=int(version))
        db.commit()
    except VendorUnchanged:
        db.rollback()
        flash(f"Vendor {vendor} already had these values: nothing changed.", "info")
        return redirect(url_for("vendors.index", key=key) + f"#vendor-{vendor}")
    except VendorChanged as error:
        db.rollback()
        saved = snapshot(get_vendor(db, project, vendor))
        return _page("vendor_form.html", _form(project, stored, values={**values, "version": saved["version"]},
                                               message=str(error), saved=_row(saved))), 409
    except Invalid as error:
        db.rollback()
        return _page("vendor_form.html", _form(project, stored, values={**values, "version": int(version)},
                                               errors=_errors(error),
                                               message="Nothing was saved: correct the fields marked.")), 422
    flash(f"Vendor {vendor} saved (version {changed.version}).", "info")
    return redirect(url_for("vendors.index", key=key) + f"#vendor-{vendor}")


def _page(template: str, data: dict) -> str:
    return render_template(template, **data)
