"""Excel in and out for procurement: exports with their progress, uploads with a preview before anything is saved.

Each export has two doors with the same checks: its direct download (a GET, or the questionnaire's POST,
for scripts and JSON clients) and a background job (a POST from the workbooks page) whose page shows the
rows written, then a summary and the finished file, which only its starter (or the CRM lead) may download.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import Blueprint, abort, current_app, make_response, redirect, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlmodel import Session

from reqtrace.db import session_scope
from reqtrace.formats import FormatError, Progress
from reqtrace.formats.columns import CUSTOM, FIELDS as MAPPABLE, IGNORE
from reqtrace.formats.questionnaire_export import export_questionnaire
from reqtrace.formats.questionnaire_import import import_responses
from reqtrace.formats.requirements_export import export_requirements
from reqtrace.formats.requirements_import import ImportOptions, import_requirements
from reqtrace.formats.scores_export import export_scores
from reqtrace.model import QuestionnaireIssue, VendorResponse
from reqtrace.services.errors import NotFound
from reqtrace.services.projects import get_project
from reqtrace.services.vendors import get_vendor, list_vendors
from reqtrace.workflow import action_phrase, role_may
from web import jobs
from web.common import project_or_404, project_view, scores_project_or_403
from web.db import session
from web.pages import action, page, refuse, require
from web.security import wants_json

blueprint = Blueprint("workbooks", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ITEMS = 500  # changes listed on a preview page; the counts cover everything
FIELD_LABELS = {"id": "ID", "title": "Title", "statement": "Requirement text", "acceptance": "Acceptance criteria",
                "priority": "Priority", "kind": "Kind", "capability": "Capability", "weight": "Weight",
                "tags": "Tags", "excluded_deployments": "Excluded deployments", "timebox_minutes": "Timebox",
                "owner": "Owner", "status": "Status", "links": "Processes (links)", "version": "Version",
                CUSTOM: "Keep as a custom field", IGNORE: "Ignore"}
CHOICES = (*MAPPABLE, CUSTOM, IGNORE)  # what a column can become on the preview page


@page(blueprint, "/p/<key>/workbooks", "workbooks.html")
def index(key: str):
    """Workbooks to download and upload: requirements, questionnaires, answers, the scoring record."""
    project = project_or_404(key)
    db = session()
    vendors = []
    for vendor in list_vendors(db, project):
        issue = db.exec(select(QuestionnaireIssue).where(QuestionnaireIssue.vendor_id == vendor.id)
                        .order_by(QuestionnaireIssue.issued_at.desc())).scalars().first()
        answers = db.exec(select(func.count()).select_from(VendorResponse)
                          .where(VendorResponse.vendor_id == vendor.id)).scalar_one()
        vendors.append({"slug": vendor.slug, "name": vendor.name, "deployment": vendor.deployment, "answers": answers,
                        "issued_at": issue.issued_at if issue else None,
                        "issued_baseline": issue.baseline if issue else None})
    return {"project": project_view(project), "vendors": vendors,
            "may_import": role_may(current_user.role, "import"),
            "may_questionnaire": role_may(current_user.role, "questionnaire"),
            "max_upload_mb": current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)}


@action(blueprint, "/p/<key>/export/requirements.xlsx", permission="read", methods=("GET",))
def download_requirements(key: str):
    """The requirements workbook (every level), to edit and import back."""
    return _download(_export("requirements", key))


# The scoring record shows what the ranking shows: not for evaluators (they score unswayed) or owners.
@action(blueprint, "/p/<key>/export/scores.xlsx", permission="ranking", methods=("GET",))
def download_scores(key: str):
    """The scoring record with live formulas."""
    return _download(_export("scores", key))


@action(blueprint, "/p/<key>/vendors/<slug>/questionnaire", permission="questionnaire")
def download_questionnaire(key: str, slug: str):
    """Issue the questionnaire to a vendor (recorded, so its answers can be checked when they return)."""
    return _download(_export("questionnaire", key, slug))


@action(blueprint, "/p/<key>/export/requirements", permission="read")
def start_requirements_export(key: str):
    """Export the requirements workbook as a job: its page shows the rows written, then the file."""
    return _start_export(_export("requirements", key))


@action(blueprint, "/p/<key>/export/scores", permission="ranking")
def start_scores_export(key: str):
    """Export the scoring record as a job."""
    return _start_export(_export("scores", key))


@action(blueprint, "/p/<key>/export/questionnaire/<slug>", permission="questionnaire")
def start_questionnaire_export(key: str, slug: str):
    """Issue the questionnaire to a vendor as a job (recorded once the workbook is written)."""
    return _start_export(_export("questionnaire", key, slug))


@action(blueprint, "/p/<key>/jobs/<job_id>.xlsx", permission="read", methods=("GET",))
def job_file(key: str, job_id: str):
    """The workbook an export job wrote, for the person who started it (or the CRM lead)."""
    project = project_or_404(key)
    state = _job_or_404(project.key, job_id)
    kind = state["kind"].removeprefix("export-")
    if kind not in EXPORT_PERMISSIONS or state["status"] != "done":
        abort(404, description="This job has no workbook to download" + (
            " yet: wait until its page says it is ready." if state["status"] == "running" else "."))
    _export(kind, project.key, state.get("vendor"), vendor_check=False)  # the export's checks, as of now
    path = jobs.export_file(current_app, job_id)
    if not path.is_file():
        abort(404, description=f"{state['file']} is no longer on the server (an export is kept for a day): "
                               "export it again.")
    response = send_file(path, mimetype=XLSX, as_attachment=True, download_name=state["file"], conditional=False,
                         etag=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"  # the user's own file: no cache keeps a copy
    return response


@action(blueprint, "/p/<key>/import/requirements", permission="import")
def upload_requirements(key: str):
    """Upload a requirements workbook; a preview is prepared, nothing is saved yet."""
    project = project_or_404(key)
    upload = _save_upload(project.key, "requirements")
    return redirect(url_for("workbooks.job", key=key, job_id=_preview_requirements(project.key, upload, {})))


@action(blueprint, "/p/<key>/import/requirements/<upload>/preview", permission="import")
def remap_requirements(key: str, upload: str):
    """Preview again with the column mapping the user chose."""
    project = project_or_404(key)
    _upload_or_404(upload, project.key, "requirements")
    mapping = _chosen_mapping(project.key)
    return redirect(url_for("workbooks.job", key=key, job_id=_preview_requirements(project.key, upload, mapping)))


@action(blueprint, "/p/<key>/import/requirements/<upload>/apply", permission="import")
def apply_requirements(key: str, upload: str):
    """Apply the preview named in the form, all or nothing: its file, with the column mapping and the role's rules
    it was previewed with (the CRM lead applying procurement's preview applies procurement's proposal), and only
    if it still does exactly what the preview showed: a project changed since refuses it, writing nothing."""
    project = project_or_404(key)
    meta = _upload_or_404(upload, project.key, "requirements")
    preview = _preview_of(upload, project.key)
    # All three kept server-side with the preview, never read back from the form.
    mapping, role, planned = preview["mapping"], preview["role"], preview["result"]["plan_digests"]
    path = meta["path"]
    app = current_app._get_current_object()
    actor = current_user.username

    def work(progress):
        # One write transaction plans again, compares with the preview's plan and writes only that.
        with session_scope(app.extensions["reqtrace_engine"], write=True) as db:
            summary = import_requirements(db, project.key, path, actor=actor, expected_plan=planned,
                                          options=ImportOptions(mapping=mapping, role=role), progress=progress)
            if not summary["applied"]:
                db.rollback()
        return _compact(summary)

    job_id = jobs.start(app, owner=actor, project=project.key, kind="requirements-apply",
                        describe={"file": meta["filename"], "upload": upload, "mapping": mapping, "role": role,
                                  "preview": preview["id"]}, work=work, files={path: meta["filename"]})
    return redirect(url_for("workbooks.job", key=key, job_id=job_id))


@action(blueprint, "/p/<key>/import/responses", permission="questionnaire")
def upload_responses(key: str):
    """Upload a vendor's answered questionnaire; it is checked before anything is stored."""
    project = project_or_404(key)
    vendor = get_vendor(session(), project, request.form.get("vendor", ""))
    upload = _save_upload(project.key, "responses", vendor=vendor.slug)
    return redirect(url_for("workbooks.job", key=key, job_id=_responses_job(project.key, upload, dry_run=True)))


@action(blueprint, "/p/<key>/import/responses/<upload>/apply", permission="questionnaire")
def apply_responses(key: str, upload: str):
    """Store the checked answers, replacing the vendor's previous ones."""
    project = project_or_404(key)
    _upload_or_404(upload, project.key, "responses")
    return redirect(url_for("workbooks.job", key=key, job_id=_responses_job(project.key, upload, dry_run=False)))


@page(blueprint, "/p/<key>/jobs/<job_id>", "job.html")
def job(key: str, job_id: str):
    """An import's or an export's progress, then the import's preview or result, or the export's summary and file."""
    project = project_or_404(key)
    state = _job_or_404(project.key, job_id)
    exported = state["kind"].startswith("export-") and state["status"] == "done"
    return {"project": project_view(project), "job": state, "heading": _heading(state),
            "download": url_for("workbooks.job_file", key=project.key, job_id=state["id"]) if exported else None,
            "field_choices": [(name, FIELD_LABELS.get(name, name)) for name in CHOICES]}


# --- exports -------------------------------------------------------------------------------------

EXPORT_PERMISSIONS = {"requirements": "read", "questionnaire": "questionnaire", "scores": "ranking"}


@dataclass(frozen=True)
class Export:
    """One workbook to write, for a user whom the export's checks let write it."""

    kind: str  # requirements, questionnaire, scores
    project: str
    filename: str  # what the user downloads it as
    actor: str
    vendor: str | None = None
    vendor_name: str | None = None

    @property
    def records_issue(self) -> bool:
        """Writing it records something (a questionnaire's issue), so it needs a writing session."""
        return self.kind == "questionnaire"

    def write(self, db: Session, target: str | Path | IO[bytes], progress: Progress | None = None) -> dict:
        project = get_project(db, self.project)
        if self.kind == "requirements":
            return export_requirements(db, project, target, actor=self.actor, progress=progress)
        if self.kind == "questionnaire":
            return export_questionnaire(db, project, get_vendor(db, project, self.vendor), target, actor=self.actor,
                                        progress=progress)
        return export_scores(db, project, target, progress=progress)


def _export(kind: str, key: str, slug: str | None = None, *, vendor_check: bool = True) -> Export:
    """The export asked for, once its checks pass; else the refusal its download gives (403 or 404, same words).

    The role's permission is the view's (`EXPORT_PERMISSIONS`), checked again here for a job's file."""
    permission = EXPORT_PERMISSIONS[kind]
    require(role_may(current_user.role, permission),
            f"Your role ({current_user.role_label}) may not {action_phrase(permission)}.")
    project = scores_project_or_403(key) if kind == "scores" else project_or_404(key)
    vendor = get_vendor(session(), project, slug) if kind == "questionnaire" and vendor_check else None
    slug = vendor.slug if vendor is not None else slug
    filename = f"{key}-{slug}-questionnaire.xlsx" if kind == "questionnaire" else f"{key}-{kind}.xlsx"
    return Export(kind, project.key, filename, current_user.username, slug, vendor.name if vendor else None)


def _download(export: Export):
    """The workbook, written while the request waits (scripts and JSON clients use these URLs)."""
    db = session()
    buffer = io.BytesIO()
    export.write(db, buffer)
    if export.records_issue:
        db.commit()
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=export.filename)


def _start_export(export: Export):
    """Write the workbook in a job and show its page: the rows written, then the summary and the file."""
    app = current_app._get_current_object()

    def write_workbook(target: Path, progress: Progress) -> dict:
        with session_scope(app.extensions["reqtrace_engine"], write=export.records_issue) as db:
            summary = export.write(db, target, progress)
        summary.pop("issue", None)  # the questionnaire's token belongs in its workbook, not on a page
        return summary

    job_id = jobs.start_export(app, owner=export.actor, project=export.project, kind=f"export-{export.kind}",
                               describe={"file": export.filename, "vendor": export.vendor,
                                         "vendor_name": export.vendor_name}, write_workbook=write_workbook)
    return redirect(url_for("workbooks.job", key=export.project, job_id=job_id))


def _job_or_404(project_key: str, job_id: str) -> dict:
    """The job's state, for the person who started it or the CRM lead."""
    state = jobs.read(current_app, job_id)
    if state is None or state.get("project") != project_key:
        abort(404, description="This import or export is unknown or too old (a job is kept for a day); upload or "
                               "export the workbook again.")
    exporting = state["kind"].startswith("export-")
    require(state["owner"] == current_user.username or current_user.role == "admin",
            "Only the person who started this export (or the CRM lead) may see it or download its workbook."
            if exporting else "Only the person who uploaded this workbook (or the CRM lead) may see its import.")
    return state


def _heading(state: dict) -> str:
    kind = state["kind"]
    if kind == "export-questionnaire":
        return f"Questionnaire for {state.get('vendor_name') or state.get('vendor')}"
    if kind.startswith("export-"):
        return {"export-requirements": "Requirements workbook", "export-scores": "Scoring record"}[kind]
    return f"Answers of {state.get('vendor_name') or state.get('vendor')}" if kind.startswith("responses") \
        else "Requirements import"


def _preview_requirements(project_key: str, upload: str, mapping: dict[str, str]) -> str:
    meta = _upload_or_404(upload, project_key, "requirements")
    app = current_app._get_current_object()
    actor, role = current_user.username, current_user.role

    def work(progress):
        with Session(app.extensions["reqtrace_engine"]) as db:
            summary = import_requirements(db, project_key, meta["path"], actor=actor, dry_run=True,
                                          options=ImportOptions(mapping=mapping, role=role), progress=progress)
            db.rollback()
        return _compact(summary)

    # The role is kept with the preview: its apply reads the workbook under the same rules, whoever applies it.
    return jobs.start(app, owner=actor, project=project_key, kind="requirements-preview",
                      describe={"file": meta["filename"], "upload": upload, "mapping": mapping, "role": role},
                      work=work, files={meta["path"]: meta["filename"]})


def _responses_job(project_key: str, upload: str, *, dry_run: bool) -> str:
    meta = _upload_or_404(upload, project_key, "responses")
    try:  # the job's page names the vendor as the questionnaire's did; the import itself says if it is gone
        vendor_name = get_vendor(session(), project_or_404(project_key), meta["vendor"]).name
    except NotFound:
        vendor_name = meta["vendor"]
    app = current_app._get_current_object()
    actor = current_user.username

    def work(progress):
        with session_scope(app.extensions["reqtrace_engine"], write=not dry_run) as db:
            project = get_project(db, project_key)
            summary = import_responses(db, project, get_vendor(db, project, meta["vendor"]), meta["path"],
                                       actor=actor, dry_run=dry_run, progress=progress)
            if not summary["applied"]:
                db.rollback()
        if not dry_run:
            summary.pop("answers", None)  # the preview listed them; the stored ones are on the ranking's evidence
        return summary

    return jobs.start(app, owner=actor, project=project_key, kind="responses-apply" if not dry_run else
                      "responses-preview", describe={"file": meta["filename"], "upload": upload,
                                                     "vendor": meta["vendor"], "vendor_name": vendor_name},
                      work=work,
                      files={meta["path"]: meta["filename"]})


def _save_upload(project_key: str, kind: str, **extra) -> str:
    """Keep the uploaded workbook for the preview and the apply that follows it."""
    file = request.files.get("file")
    if file is None or not file.filename:
        _refuse_upload(project_key, "Choose a workbook (.xlsx) to upload.")
    name = Path(file.filename).name
    if not name.lower().endswith(".xlsx"):
        _refuse_upload(project_key, f"{name} is not an .xlsx workbook; save it as Excel Workbook (.xlsx) first.")
    upload = jobs.new_id()
    folder = jobs.uploads_dir(current_app)
    path = folder / f"{upload}.xlsx"
    file.save(path)
    try:
        from reqtrace.formats.xlsx_reader import check_workbook

        check_workbook(path, max_bytes=current_app.config["MAX_CONTENT_LENGTH"])
    except FormatError as error:
        path.unlink(missing_ok=True)
        _refuse_upload(project_key, jobs.public_text(str(error), {str(path): name}))
    meta = {"owner": current_user.username, "project": project_key, "kind": kind, "filename": name,
            "path": str(path), **extra}
    (folder / f"{upload}.json").write_text(json.dumps(meta))
    return upload


def _chosen_mapping(project_key: str) -> dict[str, str]:
    """The column mapping picked on the preview page (`map:<header>` = a choice), or a 400 naming the column."""
    mapping = {}
    for name, value in request.form.items():
        if not name.startswith("map:") or not value:
            continue
        if value not in CHOICES:
            _refuse_upload(project_key, f"Column {name[4:]!r} cannot become {value!r}: choose one of "
                                        f"{', '.join(CHOICES)}.")
        mapping[name[4:]] = value
    return mapping


def _preview_of(upload: str, project_key: str) -> dict:
    """The finished, error-free preview of this upload that the form's `preview` names, or a 400 saying why not."""
    preview = jobs.read(current_app, request.form.get("preview", ""))
    if preview is None or preview.get("project") != project_key or preview.get("kind") != "requirements-preview" \
            or preview.get("upload") != upload:
        _refuse_upload(project_key, "Nothing to apply: this request names no preview of this workbook. An import "
                                    "applies exactly what its preview showed, so open the preview and apply it from "
                                    "there (a preview is kept for a day; after that, upload the workbook again).")
    require(preview["owner"] == current_user.username or current_user.role == "admin",
            "Only the person who previewed this workbook (or the CRM lead) may apply its preview.")
    if preview["status"] != "done":
        _refuse_upload(project_key, f"The preview of {preview['file']} " + (
            "is still running: wait for it, check what would change, then apply." if preview["status"] == "running"
            else "failed, so there is nothing to apply: correct the workbook and upload it again."))
    problems = len((preview.get("result") or {}).get("errors") or ())
    if problems:
        _refuse_upload(project_key, f"The preview of {preview['file']} found {problems} problem"
                                    f"{'' if problems == 1 else 's'}, so there is nothing to apply: correct the "
                                    "workbook and upload it again.")
    if preview.get("role") is None:  # a preview from before the role was kept with it: its rules are unknown
        _refuse_upload(project_key, f"The preview of {preview['file']} does not record which role's rules it "
                                    "was checked with: upload the workbook again to preview it anew.")
    if not isinstance(preview["result"].get("plan_digests"), dict):  # from before previews kept their plan
        _refuse_upload(project_key, f"The preview of {preview['file']} does not record what it would change "
                                    "item by item: upload the workbook again to preview it anew.")
    # The preview's role is applied: someone whose role changed since their preview previews again (the CRM lead
    # may apply anyone's preview as it was shown).
    if preview["role"] != current_user.role and current_user.role != "admin":
        _refuse_upload(project_key, f"Your role changed since the preview of {preview['file']}: upload the "
                                    "workbook again to see what it would change under your role's rules.")
    return preview


def _refuse_upload(project_key: str, message: str) -> None:
    """A refused upload: 400, with the way back to the workbooks page (JSON clients get the usual error)."""
    if wants_json():
        abort(400, description=message)
    sentence = message if message.endswith((".", "!", "?")) else message + "."  # a FormatError ends bare
    abort(make_response(*refuse(f"{sentence} Nothing was imported.", 400, back=url_for(
        "workbooks.index", key=project_key), back_label="Back to the workbooks")))


def _upload_or_404(upload: str, project_key: str, kind: str) -> dict:
    if not jobs.is_id(upload):
        abort(404, description="This upload is unknown or too old; upload the workbook again.")
    try:
        meta = json.loads((jobs.uploads_dir(current_app) / f"{upload}.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        abort(404, description="This upload is unknown or too old; upload the workbook again.")
    if meta["project"] != project_key or meta["kind"] != kind:
        abort(404)
    require(meta["owner"] == current_user.username or current_user.role == "admin",
            "Only the person who uploaded this workbook (or the CRM lead) may import it.")
    return meta


def _compact(summary: dict) -> dict:
    """The summary as a page shows it: every count, the first changes (a preview's `plan_digests`, which its
    apply checks, cover them all)."""
    items = summary.get("items", [])
    summary["items"] = items[:PREVIEW_ITEMS]
    summary["items_total"] = len(items)
    return summary
