"""POC scripts in the web app: versions, coverage, re-score flags, the lead's edits, issue and print."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from reqtrace.model import PocScript, ProbeResult, Requirement, ScriptIssue, Vendor
from reqtrace.poc import edits
from reqtrace.poc.render import minutes_text, to_html, to_markdown
from reqtrace.poc.scripts import (
    build_version,
    check_new_citations,
    get_version,
    issue_to_vendor,
    list_versions,
    next_step_id,
    read_version,
    rescore_needed,
    save_version,
    script_coverage,
)
from reqtrace.richtext import render_markdown
from reqtrace.services.errors import Conflict, Invalid, NotFound
from reqtrace.services.vendors import get_vendor, list_vendors
from reqtrace.workflow import role_may
from web.common import project_or_404, project_view
from web.db import session
from web.pages import action, page, refuse

blueprint = Blueprint("scripts", __name__)


@page(blueprint, "/p/<key>/scripts", "scripts.html")
def index(key: str):
    """The script's versions and which version each vendor was given."""
    project = project_or_404(key)
    db = session()
    issued = {}
    for slug, version, at in db.exec(select(Vendor.slug, PocScript.version, ScriptIssue.issued_at)
                                     .join(ScriptIssue, ScriptIssue.vendor_id == Vendor.id)
                                     .join(PocScript, PocScript.id == ScriptIssue.script_id)
                                     .where(ScriptIssue.project_id == project.id)
                                     .order_by(ScriptIssue.issued_at, ScriptIssue.id)).all():
        issued[slug] = {"version": version, "at": at}
    versions = [{"version": s.version, "baseline": s.baseline, "note": s.change_note, "created_at": s.created_at,
                 "created_by": s.created_by} for s in list_versions(db, project)]
    probes = [{"vendor": slug, "probe": probe, "passed": passed, "run_at": run_at, "requirements": reqs,
               "reason": (details or {}).get("reason", "")}
              for slug, probe, passed, run_at, reqs, details in db.exec(
                  select(Vendor.slug, ProbeResult.probe, ProbeResult.passed, ProbeResult.run_at,
                         ProbeResult.requirements, ProbeResult.details)
                  .join(Vendor, Vendor.id == ProbeResult.vendor_id).where(ProbeResult.project_id == project.id)
                  .order_by(ProbeResult.run_at.desc()).limit(20)).all()]
    return {"project": project_view(project), "versions": versions,
            "vendors": [{"slug": v.slug, "name": v.name, "issued": issued.get(v.slug)}
                        for v in list_vendors(db, project)],
            "rescore_needed": rescore_needed(db, project), "probes": probes,
            "may_edit": role_may(current_user.role, "script")}


@page(blueprint, "/p/<key>/scripts/<int:version>", "script.html")
def show(key: str, version: int):
    """One version: scenarios and steps in order, timeboxes, coverage, and steps needing a re-score."""
    project = project_or_404(key)
    db = session()
    script = get_version(db, project, version)
    content = read_version(db, script)
    for scenario in content["scenarios"]:
        scenario["minutes_text"] = minutes_text(scenario["minutes"])
        scenario["narrative_html"] = render_markdown(scenario["narrative"]) if scenario["narrative"].strip() else ""
        for step in scenario["steps"]:
            step["instruction_html"] = render_markdown(step["instruction"])
            step["expected_html"] = render_markdown(step["expected"])
    gaps = script_coverage(db, project, content)
    titles = dict(db.exec(select(Requirement.hid, Requirement.title).where(Requirement.project_id == project.id)).all())
    rescore = [entry for entry in rescore_needed(db, project) if entry["version"] == version]
    flagged: dict[str, list[str]] = {}
    for entry in rescore:
        flagged.setdefault(entry["step"], []).append(entry["vendor"])
    latest = list_versions(db, project)[0].version
    return {"project": project_view(project), "script": content, "minutes_text": minutes_text(content["minutes"]),
            "sample_data_html": render_markdown(content["sample_data"]),
            "introduction_html": render_markdown(content["introduction"]),
            "unproved": [{"id": hid, "title": titles.get(hid, ""), "must": hid in gaps["unproved_must"]}
                         for hid in gaps["unproved"]],
            "rescore_needed": rescore, "flagged": flagged, "latest": latest,
            "vendors": [{"slug": v.slug, "name": v.name} for v in list_vendors(db, project)],
            "may_edit": role_may(current_user.role, "script") and version == latest}


@action(blueprint, "/p/<key>/scripts/<int:version>/print", permission="read", methods=("GET",))
def printable(key: str, version: int):
    """The script as vendors receive it, ready to print."""
    project = project_or_404(key)
    content = read_version(session(), get_version(session(), project, version))
    response = Response(to_html(content, project_name=project.name), mimetype="text/html")
    # The page is one self-contained file with its print styles inline and no script: allow exactly that.
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; "
                                                   "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'")
    return response


@action(blueprint, "/p/<key>/scripts/<int:version>/script.md", permission="read", methods=("GET",))
def markdown(key: str, version: int):
    """The script as Markdown, to send to a vendor."""
    project = project_or_404(key)
    content = read_version(session(), get_version(session(), project, version))
    return Response(to_markdown(content, project_name=project.name), mimetype="text/markdown",
                    headers={"Content-Disposition": f'attachment; filename="{key}-poc-script-v{version}.md"'})


@action(blueprint, "/p/<key>/scripts/build", permission="script")
def build(key: str):
    """Generate a new version from the latest baseline (or the approved requirements)."""
    project = project_or_404(key)
    db = session()
    try:
        script = build_version(db, project, actor=current_user.username, baseline=request.form.get("baseline") or None)
        db.commit()
    except (Invalid, NotFound) as error:
        db.rollback()
        return refuse(str(error), 422, back=url_for("scripts.index", key=key), back_label="Back to the scripts",
                      project=project_view(project))
    flash(f"Built version {script.version}.", "info")
    return redirect(url_for("scripts.show", key=key, version=script.version))


@action(blueprint, "/p/<key>/scripts/<int:version>/issue", permission="script")
def issue(key: str, version: int):
    """Hand this version to a vendor (recorded, so later changes flag the steps to re-score)."""
    project = project_or_404(key)
    db = session()
    vendor = get_vendor(db, project, request.form.get("vendor", ""))
    script = get_version(db, project, version)
    issue_to_vendor(db, project, script, vendor, actor=current_user.username)
    db.commit()
    flash(f"Version {script.version} issued to {vendor.name}.", "info")
    return redirect(url_for("scripts.show", key=key, version=script.version))


@action(blueprint, "/p/<key>/scripts/<int:version>/edit", permission="script")
def edit(key: str, version: int):
    """Edit the opening, reorder, edit, add or remove scenarios and steps, merge steps; saved as the next version."""
    project = project_or_404(key)
    db = session()
    script = get_version(db, project, version)
    content = read_version(db, script)
    form = request.form
    try:
        changed, note, anchor = edits.apply_edit(content, form.get("op", ""), form,
                                                 new_step=lambda: next_step_id(db, project))
        edits.check_changed(content, changed, anchor or "the script")
        check_new_citations(db, project, script, content, changed)
        saved = save_version(db, project, changed, actor=current_user.username, baseline=script.baseline, note=note,
                             based_on=version)
        db.commit()
    except edits.Unchanged as unchanged:
        db.rollback()
        flash(f"{unchanged}: nothing was saved, this is still version {version}.", "info")
        return redirect(url_for("scripts.show", key=key, version=version)
                        + _anchor(form.get("step") or form.get("scenario") or ""))
    except (Invalid, Conflict) as error:
        db.rollback()
        return refuse(str(error), 409 if isinstance(error, Conflict) else 422, back=url_for("scripts.show", key=key, version=version),
                      back_label=f"Back to version {version}", project=project_view(project))
    flash(f"Saved as version {saved.version}: {note}.", "info")
    return redirect(url_for("scripts.show", key=key, version=saved.version) + _anchor(anchor))


def _anchor(target: str) -> str:
    return f"#{target}" if target else ""
