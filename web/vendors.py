"""Vendors: who competes, with what product, deployment model, flags and five-year cost; their answers.

The CRM lead and procurement add and edit them; everyone reads who competes with what. Flags, notes and the
five-year cost only those who may see the ranking do: a flag can knock a vendor out, notes may hold prices, and
evaluators (and requirement owners) must score the demos unswayed by any of that. The same goes for a vendor's
questionnaire answers, its claims.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from reqtrace.services.answers import AnswerFilter, vendor_answers
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
from web.common import project_or_404, project_view
from web.db import session
from web.pages import action, field_errors, page

blueprint = Blueprint("vendors", __name__)
ANSWERS_PER_PAGE = 50  # as the requirements list and the matrix

LABELS = {"slug": "Slug", "name": "Name", "product": "Product", "deployment": "Deployment model",
          "sandbox_url": "Sandbox URL", "flags": "Flags", "cost_5y": "Five-year cost", "notes": "Notes"}


def _sees_details() -> bool:
    return role_may(current_user.role, "ranking")


def _row(values: dict, *, details: bool = True) -> dict:
    row = {name: values.get(name) for name in ("slug", "name", "product", "deployment", "sandbox_url", "version")}
    row["deployment_label"] = DEPLOYMENT.label(row["deployment"]) if row["deployment"] else ""
    if details:
        row.update(flags=values.get("flags") or [], notes=values.get("notes") or "", cost_5y=values.get("cost_5y"))
        row["flag_labels"] = [VENDOR_FLAG.label(flag) for flag in row["flags"]]
    return row


def _form_values(form) -> dict:
    """The posted form as service input: every field, flags as the boxes ticked."""
    values = {name: form.get(name, "") for name in FIELDS if name != "flags"}
    values["flags"] = form.getlist("flags")
    return values


def _choices() -> dict:
    return {"deployments": list(DEPLOYMENT.terms.items()), "flag_choices": list(VENDOR_FLAG.terms.items()),
            "labels": LABELS, "max_lengths": MAX_LENGTHS}


def _listing(project, *, values: dict | None = None, errors: dict | None = None, message: str = "") -> dict:
    details = _sees_details()
    return {"project": project_view(project),
            "vendors": [_row(snapshot(v), details=details) for v in list_vendors(session(), project)],
            "may_edit": role_may(current_user.role, "vendors"), "sees_details": details,
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
    except (Invalid, Conflict) as error:
        db.rollback()
        errors = field_errors(error, LABELS) if isinstance(error, Invalid) else {"slug": [str(error)]}
        page_data = _listing(project, values=values, errors=errors,
                             message="The vendor was not added: correct the fields marked.")
        return render_template("vendors.html", **page_data), 422 if isinstance(error, Invalid) else 409
    flash(f"Vendor {vendor.slug} ({vendor.name}) added.", "info")
    return redirect(url_for("vendors.index", key=key) + f"#vendor-{vendor.slug}")


def _form(project, vendor, *, values: dict | None = None, errors: dict | None = None, message: str = "",
          saved: dict | None = None) -> dict:
    stored = snapshot(vendor)
    shown = dict(values) if values is not None else {name: stored[name] for name in FIELDS}
    return {"project": project_view(project), "vendor": {"slug": vendor.slug, "name": vendor.name,
                                                     "version": values.get("version") if values else stored["version"]},
            "values": shown, "errors": errors or {}, "message": message, "saved": saved, **_choices()}


def _refused(project, vendor, values: dict, status: int, **shown):
    """The edit form shown again with what was typed and why it was not saved."""
    return render_template("vendor_form.html", **_form(project, vendor, values=values, **shown)), status


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
        return _refused(project, stored, {**values, "version": stored.version}, 400,
                        message="The form had no version of the vendor: open it again and redo your changes.")
    try:
        changed, _fields = update_vendor(db, project, vendor, values, actor=current_user.username,
                                         expected_version=int(version))
        db.commit()
    except VendorUnchanged:
        db.rollback()
        flash(f"Vendor {vendor} already had these values: nothing changed.", "info")
        return redirect(url_for("vendors.index", key=key) + f"#vendor-{vendor}")
    except VendorChanged as error:
        db.rollback()
        saved = snapshot(get_vendor(db, project, vendor))
        # The user's values stay in the form, now on top of the saved version: saving again replaces it, knowingly.
        return _refused(project, stored, {**values, "version": saved["version"]}, 409, message=str(error),
                        saved=_row(saved))
    except Invalid as error:
        db.rollback()
        return _refused(project, stored, {**values, "version": int(version)}, 422, errors=field_errors(error, LABELS),
                        message="Nothing was saved: correct the fields marked.")
    flash(f"Vendor {vendor} saved (version {changed.version}).", "info")
    return redirect(url_for("vendors.index", key=key) + f"#vendor-{vendor}")


@page(blueprint, "/p/<key>/vendors/<vendor>/answers", "vendor_answers.html", permission="answers")
def answers(key: str, vendor: str):
    """A vendor's questionnaire answers, counted per answer, filtered by answer and priority; what it left blank."""
    project = project_or_404(key)
    seller = _vendor_or_404(project, vendor)
    # No check for a demo still being scored (as the ranking has): these are the vendor's claims, which the lead
    # imports himself; no evaluator's score is on the page.
    try:
        answer_filter = AnswerFilter.parse(answer=request.args.get("answer", ""),
                                           priority=request.args.get("priority", ""))
    except Invalid as error:
        abort(400, description=f"The filter cannot be used: {error}.")
    found = vendor_answers(session(), project, seller, answer_filter, page=request.args.get("page", 1, type=int),
                           per_page=ANSWERS_PER_PAGE)
    return {"project": project_view(project), "vendor": {"slug": seller.slug, "name": seller.name,
                                                     "product": seller.product},
            "may_edit": role_may(current_user.role, "vendors"), **found}
