"""Projects: one CRM selection each."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from reqtrace import audit
from reqtrace.model import Project
from reqtrace.readiness import ReadinessError, validate
from reqtrace.schemas import Problem
from reqtrace.services.errors import Invalid, NotFound

PROJECT_KEY = re.compile(r"^[a-z0-9][a-z0-9\-]{0,39}$")


def get_project(session: Session, key: str) -> Project:
    project = session.exec(select(Project).where(Project.key == key)).first()
    if project is None:
        raise NotFound(f"no project with key {key!r}; load a catalogue or import requirements to create it")
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
    if not PROJECT_KEY.match(key or ""):
        raise Invalid([Problem("key", f"{key!r} is not a project key: use lowercase letters, digits "
                                      "and dashes, at most 40 characters")])
    project = Project(key=key, name=name.strip() or key, description=description)
    session.add(project)
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type="project", entity_id=key,
                 action="create", after={"key": key, "name": project.name})
    return project


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
