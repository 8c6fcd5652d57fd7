"""Demo sessions: a vendor performing a script version in front of attending evaluators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from reqtrace import audit
from reqtrace.model import DemoSession, PocScript, Project, SessionAttendee, User, Vendor, utcnow
from reqtrace.schemas import Problem
from reqtrace.services.errors import Invalid, NotFound


def current_session(session: Session, vendor: Vendor, *, script: PocScript | None = None) -> DemoSession | None:
    """The vendor's latest session, or its latest on one script version (where a paper checklist goes)."""
    statement = select(DemoSession).where(DemoSession.vendor_id == vendor.id)
    if script is not None:
        statement = statement.where(DemoSession.script_id == script.id)
    return session.exec(statement.order_by(DemoSession.created_at.desc(), DemoSession.id.desc())).scalars().first()


def create_session(session: Session, project: Project, vendor: Vendor, script: PocScript, *, actor: str,
                   title: str = "", scheduled_for: datetime | None = None,
                   attendees: list[str] = ()) -> DemoSession:
    demo = DemoSession(project_id=project.id, vendor_id=vendor.id, script_id=script.id,
                       title=title or f"{vendor.name} demonstration", scheduled_for=scheduled_for,
                       created_by=actor, created_at=utcnow())
    session.add(demo)
    session.flush()
    for username in attendees:
        add_attendee(session, project, demo, username, actor=actor)
    if project.status in ("drafting", "baselined", "issued"):
        project.status = "demos"
        session.add(project)
    audit.record(session, actor=actor, project_id=project.id, entity_type="session", entity_id=str(demo.id),
                 action="create", after={"vendor": vendor.slug, "script": script.version, "title": demo.title,
                                         "attendees": list(attendees)})
    return demo


def add_attendee(session: Session, project: Project, demo: DemoSession, username: str, *, actor: str) -> bool:
    """Add an evaluator to a session; returns whether they were not attending yet."""
    user = session.exec(select(User).where(User.username == username)).scalars().first()
    if user is None or not user.active:
        raise Invalid([Problem("evaluator", f"there is no user named {username!r}; add them with "
                                            "`reqtrace user add NAME --role evaluator`")])
    present = session.exec(select(SessionAttendee).where(SessionAttendee.session_id == demo.id,
                                                         SessionAttendee.username == username)).scalars().first()
    if present is not None:
        return False
    session.add(SessionAttendee(session_id=demo.id, username=username))
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type="session", entity_id=str(demo.id),
                 action="attend", after={"username": username})
    return True


def get_session(session: Session, project: Project, session_id: int) -> DemoSession:
    demo = session.get(DemoSession, session_id)
    if demo is None or demo.project_id != project.id:
        raise NotFound(f"no demo session {session_id} in project {project.key}")
    return demo
