"""Projects: one CRM selection each."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, select

from reqtrace import audit
from reqtrace.model import AuditEvent, Project, User
from reqtrace.readiness import ReadinessError, validate
from reqtrace.db import add_unique
from reqtrace.schemas import Problem, clean_line, clean_text
from reqtrace.services.errors import Conflict, Invalid, NotFound
from reqtrace.workflow import recorded_move

PROJECT_KEY = re.compile(r"^[a-z0-9][a-z0-9\-]{0,39}$")
MAX_NAME = 200


def get_project(session: Session, key: str) -> Project:
    project = session.exec(select(Project).where(Project.key == key)).first()
    if project is None:
        raise NotFound(f"no project with key {key!r}; create it (`reqtrace project create {key}`, or on the home "
                       "page), or load a catalogue into it")
    return project


def list_projects(session: Session) -> list[Project]:
    return list(session.exec(select(Project).order_by(Project.key)))


def ensure_project(session: Session, key: str, *, actor: str, name: str | None = None) -> tuple[Project, bool]:
    """Return the project with `key`, creating it when the key is new."""
    project = session.exec(select(Project).where(Project.key == key)).first()
    if project is not None:
        return project, False
    return create_project(session, key=key, name=name or key, actor=actor), True


def create_project(session: Session, *, key: str, name: str, actor: str, description: str = "") -> Project:
    """A new, empty project; its name defaults to its key. Invalid names the field; Conflict when the key is taken."""
    problems = []
    if not PROJECT_KEY.match(key or ""):
        problems.append(Problem("key", f"{key!r} is not a project key: use lowercase letters, digits "
                                       "and dashes, at most 40 characters"))
    clean = _clean_fields(problems, name=name, description=description)
    if problems:
        raise Invalid(problems)
    if session.exec(select(Project.id).where(Project.key == key)).first() is not None:
        raise Conflict(f"a project with key {key!r} already exists")
    project = Project(key=key, name=clean["name"] or key, description=clean["description"])
    add_unique(session, project, f"a project with key {key!r} already exists")
    audit.record(session, actor=actor, project_id=project.id, entity_type="project", entity_id=key,
                 action="create", after={"key": key, "name": project.name, "description": project.description})
    return project


def update_project(session: Session, project: Project, *, actor: str, name: str | None = None,
                   description: str | None = None) -> dict[str, tuple[str, str]]:
    """Rename a project or change its description (its key stays: addresses and files name it); audited with
    before and after. Returns the fields changed, {} when the values given are the ones stored."""
    problems: list[Problem] = []
    clean = _clean_fields(problems, name=name, description=description)
    if problems:
        raise Invalid(problems)
    if "name" in clean and not clean["name"]:
        raise Invalid([Problem("name", "a project needs a name")])
    changed = {field: (getattr(project, field), value) for field, value in clean.items()
               if getattr(project, field) != value}
    if changed:
        for field, (_, value) in changed.items():
            setattr(project, field, value)
        session.add(project)
        audit.record(session, actor=actor, project_id=project.id, entity_type="project", entity_id=project.key,
                     action="update", before={field: old for field, (old, _) in changed.items()},
                     after={field: new for field, (_, new) in changed.items()})
    return changed


def _clean_fields(problems: list[Problem], **values: str | None) -> dict[str, str]:
    """The given name (one line, at most MAX_NAME characters) and description (plain text), cleaned."""
    clean: dict[str, str] = {}
    for field, value in values.items():
        if value is None:
            continue
        try:
            clean[field] = clean_line(value, "a project's name") if field == "name" else clean_text(value)
        except ValueError as error:
            problems.append(Problem(field, str(error)))
            continue
        if field == "name" and len(clean[field]) > MAX_NAME:
            problems.append(Problem("name", f"a project's name has at most {MAX_NAME} characters "
                                            f"(this one has {len(clean[field])})"))
    return clean


def set_readiness(session: Session, project: Project, stages: dict, *, actor: str) -> Project:
    """Record the readiness assessment of the five transformation areas."""
    try:
        clean = validate(stages)
    except ReadinessError as error:
        raise Invalid([Problem("readiness", str(error))]) from None
    if clean == project.readiness:
        return project
    before = dict(project.readiness)
    project.readiness = clean
    session.add(project)
    audit.record(session, actor=actor, project_id=project.id, entity_type="project", entity_id=project.key,
                 action="readiness", before=before, after=clean)
    return project


def recent_changes(session: Session, project: Project, *, limit: int = 12) -> list[dict[str, Any]]:
    """The project's latest audit events, newest first, each with a line a person reads (two queries)."""
    events = session.exec(select(AuditEvent).where(AuditEvent.project_id == project.id)
                          .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)).all()
    actors = {event.actor for event in events}
    roles = dict(session.exec(select(User.username, User.role).where(User.username.in_(actors))).all()) \
        if actors else {}
    return [{"at": event.at, "actor": event.actor, "action": event.action, "entity_type": event.entity_type,
             "entity_id": event.entity_id, "summary": describe(event, actor_role=roles.get(event.actor))}
            for event in events]


VERBS = {"create": "created", "update": "changed", "status": "changed the status of", "retire": "retired",
         "link": "linked", "unlink": "unlinked", "review": "reviewed", "readiness": "assessed the readiness of",
         "correct": "corrected a submitted score in", "score late": "scored a step late in",
         "submit": "submitted their scores in", "import": "imported", "strategy_weights": "applied strategy weights in",
         "strategy_weights_clear": "cleared the strategy weights of",
         "scoring_settings": "changed the scoring settings of", "password": "set a new password for"}
ITEM_TYPES = ("strategy", "role", "process", "requirement")


def describe(event: AuditEvent, *, actor_role: str | None = None) -> str:
    """One line a person reads after the actor's name: "approved REQ-4", "withdrew REQ-9", "linked PRC-1->REQ-9".

    A status change is named by its workflow move; an approved item back in
    draft was reopened by the lead, or sent back by someone else's edit.
    """
    noun = "" if event.entity_type in (*ITEM_TYPES, "link") else event.entity_type + " "
    subject = f"{noun}{event.entity_id}"
    if event.action == "status":
        move = recorded_move((event.before or {}).get("status"), (event.after or {}).get("status"), actor_role)
        if move is not None:
            return move.done.format(item=subject)
    before, after = event.before or {}, event.after or {}
    phrase = PHRASES.get(event.action)
    if phrase is not None:
        try:
            return phrase(subject, before, after)
        except (KeyError, TypeError):  # an event recorded before its details were: say it the plain way
            pass
    return f"{VERBS.get(event.action, event.action.replace('_', ' '))} {subject}"


# Actions whose words need the event's details: (subject, before, after) -> what the actor did.
PHRASES = {
    "attend": lambda subject, before, after: f"added {after['username']} to {subject}",
    "remove attendee": lambda subject, before, after: f"took {before['username']} off {subject}",
    "record": lambda subject, before, after: (f"recorded a consensus score for {subject.removeprefix('consensus ')} "
                                              f"({after['vendor']})"),
    "issue": lambda subject, before, after: (f"issued the questionnaire to {after['vendor']}"
                                             if subject.startswith("questionnaire ")
                                             else f"issued {subject} to {after['vendor']}"),
    "run": lambda subject, before, after: (f"ran the {after['probe']} probe on {subject.removeprefix('probe ')}: "
                                           f"{'passed' if after['passed'] else 'failed'}"),
    "logout": lambda subject, before, after: f"logged {subject} out everywhere",
    "cancel": lambda subject, before, after: f"cancelled {subject} ({before['title']})",
}
