"""Demo sessions and the live checklist evaluators score them with, online or not."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from datetime import datetime
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from reqtrace import __version__, audit
from reqtrace.config import data_dir
from reqtrace.model import (Attachment, DemoSession, PocScript, ProbeResult, Requirement, User, Vendor, as_utc,
                            utcnow)
from reqtrace.model.poc import LIVE_SESSION
from reqtrace.poc.scripts import get_version, read_version
from reqtrace.richtext import render_markdown
from reqtrace.schemas import Problem
from reqtrace.services import checklists
from reqtrace.services.errors import Invalid, NotFound, PermissionDenied
from reqtrace.services.sessions import (add_attendee, cancel_session, consensus_recorded, create_session, get_session,
                                       recorded_in, scheduling_notes)
from reqtrace.services.sessions import remove_attendee as remove_session_attendee  # the view is remove_attendee
from reqtrace.services.vendors import get_vendor, list_vendors
from reqtrace.workflow import role_may
from web.auth import name_the_login
from web.common import project_or_404, project_view
from web.db import session
from web.pages import action, page, refuse, require
from web.security import wants_json

blueprint = Blueprint("sessions", __name__)
MAX_PHOTO_BYTES = 5 * 1024 * 1024
IMAGE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": ("image/png", "png"), b"\xff\xd8\xff": ("image/jpeg", "jpg"),
                    b"GIF87a": ("image/gif", "gif"), b"GIF89a": ("image/gif", "gif")}


def _session_or_404(project, session_id: int) -> DemoSession:
    try:
        return get_session(session(), project, session_id)
    except NotFound as error:
        abort(404, description=str(error))


def _refused_here(error: Invalid, project, session_id: int):
    """A refused change to a session: the reason, and the way back to the session's page."""
    return refuse(str(error), 422, back=url_for("sessions.show", key=project.key, session_id=session_id),
                  back_label="Back to the session", project=project_view(project))


def _describe(db, demo: DemoSession, known: dict | None = None) -> dict:
    """A session for the pages; `known` (from `_known`) spares a list page three queries per session."""
    if known is None:
        vendor, script = db.get(Vendor, demo.vendor_id), db.get(PocScript, demo.script_id)
        people = checklists.attendees(db, demo)
    else:
        vendor = known["vendors"].get(demo.vendor_id) or db.get(Vendor, demo.vendor_id)
        script = known["scripts"].get(demo.script_id) or db.get(PocScript, demo.script_id)
        people = known["people"][demo.id]
    return {"id": demo.id, "title": demo.title, "vendor": vendor.slug, "vendor_name": vendor.name,
            "script_version": script.version, "scheduled_for": demo.scheduled_for,
            "attendees": [{"username": p.username, "submitted": p.submitted_at is not None,
                           "submitted_at": p.submitted_at} for p in people],
            "all_submitted": bool(people) and all(p.submitted_at is not None for p in people)}


def _known(db, project, demos: list[DemoSession]) -> dict:
    """The vendors, scripts and attendees of listed sessions, one query each."""
    return {"vendors": {v.id: v for v in db.exec(select(Vendor).where(Vendor.project_id == project.id)).scalars()},
            "scripts": {s.id: s for s in db.exec(select(PocScript).where(PocScript.project_id == project.id))
                        .scalars()},
            "people": checklists.attendees_of(db, demos)}


@page(blueprint, "/p/<key>/sessions", "sessions.html")
def index(key: str):
    """The demo sessions: who performs which script version when, and who scores it."""
    project = project_or_404(key)
    db = session()
    demos = db.exec(select(DemoSession)
                    .where(DemoSession.project_id == project.id, LIVE_SESSION)
                    .order_by(DemoSession.scheduled_for.desc(), DemoSession.id.desc())).scalars().all()
    evaluators = [{"username": username, "name": name} for username, name in db.exec(
        select(User.username, User.display_name).where(User.active.is_(True)).order_by(User.username)).all()]
    versions = [script.version for script in db.exec(select(PocScript).where(PocScript.project_id == project.id)
                                                     .order_by(PocScript.version.desc())).scalars()]
    known = _known(db, project, demos)
    return {"project": project_view(project), "sessions": [_describe(db, demo, known) for demo in demos],
            "vendors": [{"slug": v.slug, "name": v.name} for v in list_vendors(db, project)],
            "users": evaluators, "versions": versions, "may_schedule": role_may(current_user.role, "schedule")}


@action(blueprint, "/p/<key>/sessions", permission="schedule")
def schedule(key: str):
    """Schedule a vendor's demonstration of a script version, with the evaluators attending."""
    project = project_or_404(key)
    db = session()
    form = request.form
    try:
        vendor = get_vendor(db, project, form.get("vendor", ""))
        script = _script_version(db, project, form.get("version", ""))
        when = _when(form.get("scheduled_for", ""))
        if not [name for name in form.getlist("attendees") if name]:
            raise Invalid([Problem("attendees", "choose at least one attendee: only those attending score the "
                                                "session")])
        demo = create_session(db, project, vendor, script, actor=current_user.username,
                              title=form.get("title", "").strip(), scheduled_for=when,
                              attendees=form.getlist("attendees"))
        notes = scheduling_notes(db, demo)  # read in the transaction that wrote: none opens after the commit
        db.commit()
    except (Invalid, NotFound, ValueError) as error:
        db.rollback()
        return refuse(str(error), 422, back=url_for("sessions.index", key=key), back_label="Back to the sessions",
                      project=project_view(project))
    flash(f"Scheduled {demo.title}.", "info")
    for note in notes:
        flash(f"Note: {note}.", "warning")
    return redirect(url_for("sessions.show", key=key, session_id=demo.id))


@page(blueprint, "/p/<key>/sessions/<int:session_id>", "session.html")
def show(key: str, session_id: int):
    """A session: attendees and whether they have submitted; the way to the checklist and the consensus."""
    project = project_or_404(key)
    db = session()
    demo = _session_or_404(project, session_id)
    data = _describe(db, demo)
    mine = checklists.attendee(db, demo, current_user.username)
    present = {person["username"] for person in data["attendees"]}
    active = db.exec(select(User.username, User.display_name, User.role).where(User.active.is_(True))
                     .order_by(User.username)).all()
    # "users" (every active username) is what scripts read; "candidates" are those the lead may still add.
    return {"project": project_view(project), "session": data, "attending": mine is not None,
            "submitted": bool(mine and mine.submitted_at), "may_schedule": role_may(current_user.role, "schedule"),
            "may_consensus": role_may(current_user.role, "consensus"),
            "consensus_recorded": consensus_recorded(db, demo),
            # Counted only for those who may cancel: three counts on every view of the page otherwise.
            "may_cancel": role_may(current_user.role, "schedule") and not any(recorded_in(db, demo).values()),
            "users": [username for username, _name, _role in active],
            "candidates": [{"username": username, "name": name, "role": role} for username, name, role in active
                           if username not in present]}


@action(blueprint, "/p/<key>/sessions/<int:session_id>/attendees", permission="schedule")
def add_attendees(key: str, session_id: int):
    """Add an evaluator to the session."""
    project = project_or_404(key)
    db = session()
    demo = _session_or_404(project, session_id)
    username = request.form.get("username", "").strip()
    was_open = checklists.all_submitted(db, demo)
    try:
        added = add_attendee(db, project, demo, username, actor=current_user.username)
        db.commit()
    except Invalid as error:
        db.rollback()
        return _refused_here(error, project, session_id)
    flash(f"{username} now attends {demo.title}." if added else f"{username} already attends {demo.title}.", "info")
    if added and was_open:
        flash(f"Everyone else had submitted: the scores of {demo.title} are sealed again, and the consensus view "
              f"closed, until {username} submits.", "warning")
    return redirect(url_for("sessions.show", key=key, session_id=session_id))


@action(blueprint, "/p/<key>/sessions/<int:session_id>/attendees/<username>/remove", permission="schedule")
def remove_attendee(key: str, session_id: int, username: str):
    """Take an evaluator who has not submitted off the session (they left, or were added by mistake)."""
    project = project_or_404(key)
    db = session()
    demo = _session_or_404(project, session_id)
    try:
        removed, photos = remove_session_attendee(db, project, demo, username, actor=current_user.username,
                                                  reason=request.form.get("reason", ""))
        db.commit()
        for stored_as in photos:  # gone from the database: their files go too
            (_attachments_dir() / stored_as).unlink(missing_ok=True)
    except Invalid as error:
        db.rollback()
        return _refused_here(error, project, session_id)
    flash(f"{username} no longer attends {demo.title}; {removed} sealed entr{'y' if removed == 1 else 'ies'} of "
          "theirs, never seen nor counted, went with them.", "info")
    if checklists.all_submitted(db, demo):
        flash(f"Everyone left has submitted: the scores of {demo.title} count, and the consensus view is open.",
              "info")
    return redirect(url_for("sessions.show", key=key, session_id=session_id))


@action(blueprint, "/p/<key>/sessions/<int:session_id>/cancel", permission="schedule")
def cancel(key: str, session_id: int):
    """Cancel a session scheduled by mistake, before anything was recorded in it; with the reason."""
    project = project_or_404(key)
    db = session()
    demo = _session_or_404(project, session_id)
    title = demo.title
    try:
        cancel_session(db, project, demo, actor=current_user.username, reason=request.form.get("reason", ""))
        db.commit()
    except Invalid as error:
        db.rollback()
        return _refused_here(error, project, session_id)
    flash(f"Cancelled {title}.", "info")
    return redirect(url_for("sessions.index", key=key))


@page(blueprint, "/p/<key>/sessions/<int:session_id>/checklist", "checklist.html")
def checklist(key: str, session_id: int):
    """The evaluator's checklist: the script in order, their own scores only, and the evidence beside each step."""
    project = project_or_404(key)
    db = session()
    demo = _session_or_404(project, session_id)
    me = checklists.attendee(db, demo, current_user.username)
    require(me is not None, "Only the evaluators attending this session may score it.")
    script = read_version(db, db.get(PocScript, demo.script_id))
    mine = checklists.latest_entries(db, demo, current_user.username)
    probes = _probes(db, demo)
    titles = dict(db.exec(select(Requirement.hid, Requirement.title).where(Requirement.project_id == project.id)).all())
    photos: dict[str, list[dict]] = {}
    for photo in db.exec(select(Attachment).where(Attachment.session_id == demo.id,
                                                  Attachment.evaluator == current_user.username)).scalars():
        photos.setdefault(photo.step, []).append({"id": photo.id, "filename": photo.filename,
                                                  "url": url_for("sessions.photo", key=key, attachment_id=photo.id)})
    scenarios = []
    for scenario in (s for s in script["scenarios"] if s["steps"]):  # an empty scenario has nothing to score
        steps = []
        for step in scenario["steps"]:
            entry = mine.get((current_user.username, step["hid"]))
            steps.append({"hid": step["hid"], "instruction_html": _markdown(step["instruction"]),
                          "expected_html": _markdown(step["expected"]), "timebox": step["timebox_minutes"],
                          "requirements": [{"id": hid, "title": titles.get(hid, "")} for hid in step["requirements"]],
                          "probes": [p for hid in step["requirements"] for p in probes.get(hid, [])],
                          "photos": photos.get(step["hid"], []),
                          "result": {"id": entry.id, "verdict": entry.verdict, "score": entry.score, "note": entry.note,
                                     "recorded_at": entry.recorded_at, "recorded_iso": _iso(entry.recorded_at),
                                     "counts": checklists.counts(entry)}
                          if entry else None})
        scenarios.append({"key": scenario["key"], "title": scenario["title"], "minutes": scenario["minutes"],
                          "narrative_html": _markdown(scenario["narrative"]), "steps": steps})
    name_the_login()  # the page may be kept for offline use: it takes ticks only while its evaluator is logged in
    total = sum(len(s["steps"]) for s in scenarios)
    # Scored: the latest entry counts (a verdict other than "not shown" with no score is "not assessed").
    done = sum(1 for s in scenarios for step in s["steps"] if step["result"] and step["result"]["counts"])
    return {"project": project_view(project), "session": _describe(db, demo), "scenarios": scenarios,
            "submitted": me.submitted_at is not None, "evaluator": current_user.username,
            "total_steps": total, "done_steps": done, "unscored_steps": total - done,
            "first_unscored": next((step["hid"] for s in scenarios for step in s["steps"]
                                    if not (step["result"] and step["result"]["counts"])), None),
            "sync_url": url_for("sessions.results", key=key, session_id=session_id),
            "sync_token": generate_csrf(), "cache_name": cache_name()}


@action(blueprint, "/p/<key>/sessions/<int:session_id>/results", permission="read")
def results(key: str, session_id: int):
    """Receive ticks (JSON: {"evaluator": name, "results": [...]}), each applied once by its client id.

    The ticks are stored as the logged-in user's, and only if "evaluator" (whose queue they come from) is
    that user: otherwise 409 {"error", "evaluator", "user"} and nothing is stored, so the page keeps them
    for when that evaluator logs in again. The answer names whose ticks were judged:
    {"evaluator": name, "results": [{"client_id", "status": stored|duplicate|refused, ...}]}.

    A batch that names no evaluator is the logged-in user's (the protocol before evaluators were named):
    scripts posting their own ticks keep working, and so does a checklist page served before this change
    until it is reloaded. Every page served now names its evaluator, and its queue remembers the name per
    tick, so a queue carried across a change of login is never stored as someone else's.
    """
    project = project_or_404(key)
    db = session()
    demo = _session_or_404(project, session_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return jsonify({"error": 'send {"evaluator": "you", "results": [...]}, each tick with client_id, step, '
                                 'verdict, score, note'}), 400
    named = body.get("evaluator")
    if named is not None and (not isinstance(named, str) or not named):
        return jsonify({"error": "evaluator: the username the ticks were queued for (or leave it out)"}), 400
    try:
        outcomes = checklists.record_ticks(db, project, demo, current_user.username, body["results"], named=named)
        db.commit()
    except checklists.NotYours as error:
        db.rollback()
        return jsonify({"error": str(error), "evaluator": error.evaluator, "user": error.user}), 409
    except PermissionDenied as error:
        db.rollback()
        return jsonify({"error": str(error)}), 403
    except Invalid as error:
        db.rollback()
        return jsonify({"error": str(error)}), 400
    return jsonify({"evaluator": current_user.username, "results": outcomes})


@action(blueprint, "/p/<key>/sessions/<int:session_id>/tick", permission="read")
def tick(key: str, session_id: int):
    """The same as results, for one step from the plain form (no JavaScript)."""
    project = project_or_404(key)
    db = session()
    demo = _session_or_404(project, session_id)
    form = request.form
    raw = {"client_id": form.get("client_id") or hashlib.sha256(
        f"{current_user.username}{utcnow().isoformat()}{form.get('step')}".encode()).hexdigest()[:32],
        "step": form.get("step", ""), "verdict": form.get("verdict", ""), "score": form.get("score", ""),
        "note": form.get("note", ""), "corrects": form.get("corrects") or None}
    back = url_for("sessions.checklist", key=key, session_id=session_id) + f"#{raw['step']}"
    try:
        (outcome,) = checklists.record_ticks(db, project, demo, current_user.username, [raw],
                                             named=form.get("evaluator") or None)
        db.commit()
    except checklists.NotYours as error:
        db.rollback()
        return _not_yours(error, back, project)
    except PermissionDenied as error:
        db.rollback()
        abort(403, description=str(error))
    if outcome["status"] == "refused":
        return refuse(outcome["error"], 422, back=back, back_label="Back to the checklist", project=project_view(project))
    return redirect(back)


@action(blueprint, "/p/<key>/sessions/<int:session_id>/submit", permission="read")
def submit(key: str, session_id: int):
    """Submit: the evaluator's scores are locked, and count towards the consensus."""
    project = project_or_404(key)
    db = session()
    demo = _session_or_404(project, session_id)
    try:
        checklists.submit(db, project, demo, current_user.username, named=request.form.get("evaluator") or None)
        db.commit()
    except checklists.NotYours as error:
        db.rollback()
        return _not_yours(error, url_for("sessions.checklist", key=key, session_id=session_id), project)
    except PermissionDenied as error:
        db.rollback()
        abort(403, description=str(error))
    total, unscored = checklists.unscored_steps(db, demo, current_user.username)
    left = (f" {unscored} of {total} steps have no score: each can still be scored late, with the reason in its note."
            if unscored else "")
    flash(f"Submitted: your scores are locked. A later change is a correction, with its reason.{left}", "info")
    # Back to the checklist, now locked: its steps left unscored are there to score late, and the copy kept for
    # offline use is replaced by this one (a copy from before would take plain ticks the server then refuses).
    return redirect(url_for("sessions.checklist", key=key, session_id=session_id))


@page(blueprint, "/p/<key>/sessions/<int:session_id>/consensus", "consensus.html", permission="consensus")
def consensus(key: str, session_id: int):
    """Every evaluator's score per step, the spread, disagreements of 2 or more flagged (after all submitted)."""
    project = project_or_404(key)
    db = session()
    demo = _session_or_404(project, session_id)
    try:
        view = checklists.consensus_view(db, project, demo)
    except PermissionDenied as error:
        abort(403, description=str(error))
    titles = dict(db.exec(select(Requirement.hid, Requirement.title).where(Requirement.project_id == project.id)).all())
    only_disagreements = request.args.get("show") == "disagreements"
    if only_disagreements:
        view["rows"] = [row for row in view["rows"] if row["disagree"]]
    return {"project": project_view(project), "session": _describe(db, demo), **view, "titles": titles,
            "only_disagreements": only_disagreements}


@action(blueprint, "/p/<key>/sessions/<int:session_id>/consensus", permission="consensus")
def record_consensus(key: str, session_id: int):
    """Record the agreed score of a requirement, with the reason, beside the evaluators' own."""
    project = project_or_404(key)
    db = session()
    demo = _session_or_404(project, session_id)
    form = request.form
    try:
        checklists.record_consensus(db, project, demo, requirement=form.get("requirement", ""),
                                    step=form.get("step", ""), score=form.get("score"), reason=form.get("reason", ""),
                                    actor=current_user.username)
        db.commit()
    except (Invalid, PermissionDenied) as error:
        db.rollback()
        return refuse(str(error), 422, back=url_for("sessions.consensus", key=key, session_id=session_id),
                      back_label="Back to the consensus", project=project_view(project))
    flash(f"Consensus recorded for {form.get('requirement')}.", "info")
    return redirect(url_for("sessions.consensus", key=key, session_id=session_id) + f"#{form.get('step')}")


@action(blueprint, "/p/<key>/sessions/<int:session_id>/photos", permission="read")
def upload_photo(key: str, session_id: int):
    """Attach a photo or screenshot to a step (images only, up to 5 MB)."""
    project = project_or_404(key)
    db = session()
    demo = _session_or_404(project, session_id)
    step = request.form.get("step", "")
    back = url_for("sessions.checklist", key=key, session_id=session_id) + f"#{step}"
    try:
        checklists.check_sender(request.form.get("evaluator") or None, current_user.username)
    except checklists.NotYours as error:
        if wants_json():
            return jsonify({"error": str(error), "evaluator": error.evaluator, "user": error.user}), 409
        return _not_yours(error, back, project)
    me = checklists.attendee(db, demo, current_user.username)
    require(me is not None, "Only the evaluators attending this session may add evidence to it.")
    file = request.files.get("photo")
    problem = None
    data = file.read(MAX_PHOTO_BYTES + 1) if file else b""
    kind = next((value for signature, value in IMAGE_SIGNATURES.items() if data.startswith(signature)), None)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind = ("image/webp", "webp")
    if step not in checklists.step_ids(db, demo):
        problem = f"{step or 'an empty step'} is not a step of this session's script"
    elif not data:
        problem = "choose a photo or screenshot to attach"
    elif len(data) > MAX_PHOTO_BYTES:
        problem = f"the file is over {MAX_PHOTO_BYTES // (1024 * 1024)} MB; attach a smaller image"
    elif kind is None:
        problem = "only images (PNG, JPEG, GIF or WebP) can be attached"
    if problem:
        if wants_json():
            return jsonify({"error": problem}), 422
        return refuse(problem, 422, back=back, back_label="Back to the checklist", project=project_view(project))
    digest = hashlib.sha256(data).hexdigest()
    folder = _attachments_dir()
    stored = f"{digest}.{kind[1]}"
    (folder / stored).write_bytes(data)
    photo = Attachment(session_id=demo.id, step=step, evaluator=current_user.username,
                       filename=Path(file.filename or f"photo.{kind[1]}").name[:200], content_type=kind[0],
                       size=len(data), sha256=digest, stored_as=stored, created_at=utcnow())
    db.add(photo)
    db.flush()
    audit.record(db, actor=current_user.username, project_id=project.id, entity_type="session",
                 entity_id=str(demo.id), action="attach",
                 after={"photo": photo.id, "step": step, "sha256": digest, "filename": photo.filename,
                        "after_submission": me.submitted_at is not None})
    db.commit()
    if wants_json():
        return jsonify({"id": photo.id, "url": url_for("sessions.photo", key=key, attachment_id=photo.id)})
    return redirect(back)


@action(blueprint, "/p/<key>/photos/<int:attachment_id>", permission="read", methods=("GET",))
def photo(key: str, attachment_id: int):
    """A photo: its evaluator sees it; others once every attendee, its evaluator included, has submitted (it is
    sealed like a score)."""
    project = project_or_404(key)
    db = session()
    item = db.get(Attachment, attachment_id)
    if item is None:
        abort(404)
    demo = _session_or_404(project, item.session_id)
    taker = checklists.attendee(db, demo, item.evaluator)
    require(item.evaluator == current_user.username
            or (taker is not None and taker.submitted_at is not None and checklists.all_submitted(db, demo)),
            "Evidence stays sealed until every attendee has submitted.")
    require(item.evaluator == current_user.username or role_may(current_user.role, "ranking")
            or checklists.attendee(db, demo, current_user.username) is not None,
            "A session's evidence is for its attendees, the CRM lead and procurement.")
    response = send_file(_attachments_dir() / item.stored_as, mimetype=item.content_type)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@blueprint.get("/sw.js")
def service_worker():
    """The checklist's service worker, served from the app's origin so it may control its pages."""
    script = (Path(current_app.static_folder) / "checklist-sw.js").read_text().replace("__CACHE__", cache_name()) \
        .replace("__LOGOUT__", url_for("auth.logout"))
    response = Response(script, mimetype="application/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


def cache_name() -> str:
    """Versioned: a new release (or changed assets) gets a fresh cache and the old one is dropped."""
    folder = Path(current_app.static_folder)
    digest = hashlib.sha256()
    for name in ("app.js", "checklist.js", "style.css", "checklist-sw.js"):
        path = folder / name
        if path.exists():
            digest.update(path.read_bytes())
    return f"reqtrace-checklist-{__version__}-{digest.hexdigest()[:10]}"


def _not_yours(error: checklists.NotYours, back: str, project):
    """A checklist form sent from one evaluator's page while another user is logged in: nothing was saved."""
    return refuse(f"This checklist is {error.evaluator}'s, but you are logged in as {error.user}, so nothing was "
                  f"saved. Log in as {error.evaluator} to save it.", 409, back=back,
                  back_label="Back to the checklist", project=project_view(project))


def _script_version(db, project, text: str) -> PocScript:
    """The script version the schedule form names: a version number that exists, or Invalid naming the field."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise Invalid([Problem("version", f"{text!r} is not a version number" if text else "choose a script version")])
    try:
        return get_version(db, project, int(text))
    except NotFound as error:
        raise Invalid([Problem("version", str(error))]) from None


def _when(text: str) -> datetime | None:
    """The form's date and time (a datetime-local field sends none of its zone): read as UTC, as pages show it."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid([], f"{text!r} is not a date and time (e.g. 2026-12-03T09:30)") from None
    return as_utc(moment)


@lru_cache(maxsize=8192)
def _markdown(text: str) -> str:
    """Step text is the same for every evaluator and every reload: render each once."""
    return render_markdown(text)


def _iso(moment: datetime) -> str:
    """UTC with its offset, so the browser never reads it as local time (SQLite returns naive times)."""
    return as_utc(moment).isoformat()


def _attachments_dir() -> Path:
    folder = Path(current_app.config.get("ATTACHMENTS_DIR") or data_dir() / "attachments")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _probes(db, demo: DemoSession) -> dict[str, list[dict]]:
    """The latest result of each probe for the session's vendor, per requirement."""
    rows = db.exec(select(ProbeResult).where(ProbeResult.vendor_id == demo.vendor_id)
                   .order_by(ProbeResult.run_at, ProbeResult.id)).scalars().all()
    latest: dict[tuple[str, str], dict] = {}
    for row in rows:
        for hid in row.requirements or ():
            latest[(hid, row.probe)] = {"probe": row.probe, "passed": row.passed, "run_at": row.run_at,
                                        "reason": (row.details or {}).get("reason", "")}
    result: dict[str, list[dict]] = {}
    for (hid, _probe), value in latest.items():
        result.setdefault(hid, []).append(value)
    return result
