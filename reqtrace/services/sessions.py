"""Demo sessions: a vendor performing a script version in front of attending evaluators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlmodel import Session

from reqtrace import audit
from reqtrace.model import (
    Attachment,
    ChecklistResult,
    ConsensusScore,
    DemoSession,
    PocScript,
    Project,
    ScriptIssue,
    SessionAttendee,
    Step,
    User,
    Vendor,
    utcnow,
)
from reqtrace.model.poc import LIVE_SESSION
from reqtrace.schemas import Problem, clean_text, clean_title
from reqtrace.services.errors import Invalid, NotFound


def current_session(session: Session, vendor: Vendor, *, script: PocScript | None = None) -> DemoSession | None:
    """The vendor's latest session, or its latest on one script version (where a paper checklist goes)."""
    statement = select(DemoSession).where(DemoSession.vendor_id == vendor.id, LIVE_SESSION)
    if script is not None:
        statement = statement.where(DemoSession.script_id == script.id)
    return session.exec(statement.order_by(DemoSession.created_at.desc(), DemoSession.id.desc())).scalars().first()


MAX_SESSION_TITLE = 200  # the demo_session.title column


def create_session(session: Session, project: Project, vendor: Vendor, script: PocScript, *, actor: str,
                   title: str = "", scheduled_for: datetime | None = None,
                   attendees: list[str] = ()) -> DemoSession:
    """Schedule `vendor` performing `script`; `title` is one line (default: "<vendor> demonstration")."""
    if (title or "").strip():
        try:
            title = clean_title(title)
        except ValueError as error:
            raise Invalid([Problem("title", str(error))]) from None
        if len(title) > MAX_SESSION_TITLE:
            raise Invalid([Problem("title", f"a session title has at most {MAX_SESSION_TITLE} characters (this one "
                                            f"has {len(title)})")])
    default = f"{vendor.name} demonstration"[:MAX_SESSION_TITLE]
    demo = DemoSession(project_id=project.id, vendor_id=vendor.id, script_id=script.id,
                       title=title or default, scheduled_for=scheduled_for,
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


def scheduling_notes(session: Session, demo: DemoSession) -> list[str]:
    """What the lead should know about a session just scheduled: the vendor was issued another version of the
    script, or none yet; the vendor has another session at the same time (scheduled twice?)."""
    vendor, script = session.get(Vendor, demo.vendor_id), session.get(PocScript, demo.script_id)
    notes = []
    issued = session.exec(select(PocScript.version).join(ScriptIssue, ScriptIssue.script_id == PocScript.id)
                          .where(ScriptIssue.vendor_id == vendor.id)
                          .order_by(ScriptIssue.issued_at.desc(), ScriptIssue.id.desc())).scalars().first()
    if issued is None:
        notes.append(f"{vendor.slug} has not been issued a POC script yet: issue version {script.version} before "
                     "the demonstration, so they prepare the steps that will be scored")
    elif issued != script.version:
        notes.append(f"{vendor.slug} was issued version {issued}, but this session follows version "
                     f"{script.version}: the steps scored may not be the ones they prepared")
    if demo.scheduled_for is not None:
        twins = session.exec(select(DemoSession.title).where(
            DemoSession.vendor_id == vendor.id, DemoSession.id != demo.id, LIVE_SESSION,
            DemoSession.scheduled_for == demo.scheduled_for)).scalars().all()
        if twins:
            notes.append(f"{vendor.slug} already has {', '.join(twins)} at that time: if it was scheduled twice, "
                         "cancel one")
    return notes


def add_attendee(session: Session, project: Project, demo: DemoSession, username: str, *, actor: str,
                 handing_in: bool = False) -> bool:
    """Add an evaluator to a session; returns whether they were not attending yet.

    Refused once the session's consensus is recorded: a new attendee would seal again the scores the
    consensus rests on (and that count in the ranking), and count as still scoring a finished session.
    `handing_in` is the paper checklist's import, which submits the evaluator's scores in the same
    transaction: nothing is sealed again and nobody is left scoring, so it may add them even then."""
    user = session.exec(select(User).where(User.username == username)).scalars().first()
    if user is None or not user.active:
        raise Invalid([Problem("evaluator", f"there is no user named {username!r}; add them with "
                                            "`reqtrace user add NAME --role evaluator`")])
    present = session.exec(select(SessionAttendee).where(SessionAttendee.session_id == demo.id,
                                                         SessionAttendee.username == username)).scalars().first()
    if present is not None:
        return False
    if not handing_in and consensus_recorded(session, demo):
        raise Invalid([Problem("evaluator", f"the consensus of {demo.title} is recorded, so nobody joins it now "
                                            f"(its scores would be sealed again); to have {username} score "
                                            "this vendor, schedule a new session")])
    session.add(SessionAttendee(session_id=demo.id, username=username))
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type="session", entity_id=str(demo.id),
                 action="attend", after={"username": username})
    return True


def remove_attendee(session: Session, project: Project, demo: DemoSession, username: str, *, actor: str,
                    reason: str) -> tuple[int, list[str]]:
    """Take someone who has not submitted off a session (they left, or were added by mistake), with the reason.

    Until they go, the session's scores stay sealed and its consensus waits for them. Their entries in this
    session were sealed: nobody else has seen them and they never counted; they go too, with their photos (the
    audit trail keeps how many, and why), since an entry counts once its evaluator has submitted, and a removed
    one never will; were they added again, nothing of before would come back unsealed. Returns how many
    entries went, and the stored file names of the photos that went (for the caller to delete once committed).
    Refused for someone who has submitted: their scores count, and stay.
    """
    person = session.exec(select(SessionAttendee).where(SessionAttendee.session_id == demo.id,
                                                        SessionAttendee.username == username)
                          .with_for_update()).scalars().first()
    if person is None:
        raise Invalid([Problem("username", f"{username} does not attend {demo.title}")])
    if person.submitted_at is not None:
        raise Invalid([Problem("username", f"{username} has submitted their scores of {demo.title}: they count "
                                           "in the ranking and stay")])
    why = _reason(reason, f"say why {username} no longer attends (it goes in the audit trail)")
    entries = session.exec(delete(ChecklistResult).where(ChecklistResult.session_id == demo.id,
                                                         ChecklistResult.evaluator == username)).rowcount or 0
    theirs = (Attachment.session_id == demo.id) & (Attachment.evaluator == username)
    photos = list(session.exec(select(Attachment.stored_as).where(theirs)).scalars())
    session.exec(delete(Attachment).where(theirs))
    session.delete(person)
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type="session", entity_id=str(demo.id),
                 action="remove attendee", before={"username": username},
                 after={"reason": why, "sealed_entries_removed": entries, "photos_removed": len(photos)})
    return entries, photos


def _reason(reason: str | None, missing: str) -> str:
    """The reason given for the audit trail, cleaned; Invalid on "reason" (`missing` when there is none)."""
    try:
        why = clean_text(reason or "")
    except ValueError as error:
        raise Invalid([Problem("reason", str(error))]) from None
    if not why:
        raise Invalid([Problem("reason", missing)])
    return why


def recorded_in(session: Session, demo: DemoSession) -> dict[str, int]:
    """How many checklist entries, photos and consensus scores belong to a session."""
    def count(model, column) -> int:
        return session.exec(select(func.count()).select_from(model).where(column == demo.id)).scalar_one()
    return {"entries": count(ChecklistResult, ChecklistResult.session_id),
            "photos": count(Attachment, Attachment.session_id),
            "consensus scores": count(ConsensusScore, ConsensusScore.session_id)}


def cancel_session(session: Session, project: Project, demo: DemoSession, *, actor: str, reason: str) -> None:
    """Cancel a session scheduled by mistake (the wrong version, twice, a demo that never happened), with the
    reason in the audit trail: it leaves every list and takes no more ticks, and nobody attends it. Refused once
    anything was recorded in it: entries, photos and consensus scores are evidence, and stay; take people off
    it instead. The row stays (cancelled), so its id is never reused."""
    session.exec(select(DemoSession.id).where(DemoSession.id == demo.id).with_for_update()).first()  # vs ticks
    recorded = {what: count for what, count in recorded_in(session, demo).items() if count}
    if recorded:
        singular = {"entries": "entry", "photos": "photo", "consensus scores": "consensus score"}
        held = ", ".join(f"{count} {singular[what] if count == 1 else what}" for what, count in recorded.items())
        raise Invalid([Problem("session", f"{demo.title} holds {held}: what was recorded in a session is evidence "
                                          "and stays, so it cannot be cancelled")])
    why = _reason(reason, f"say why {demo.title} is cancelled (it goes in the audit trail)")
    people = list(session.exec(select(SessionAttendee.username).where(SessionAttendee.session_id == demo.id))
                  .scalars())
    vendor = session.get(Vendor, demo.vendor_id)
    script = session.get(PocScript, demo.script_id)
    session.exec(delete(SessionAttendee).where(SessionAttendee.session_id == demo.id))
    demo.cancelled_at = utcnow()
    session.add(demo)
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type="session", entity_id=str(demo.id),
                 action="cancel", before={"title": demo.title, "vendor": vendor.slug if vendor else None,
                                          "script": script.version if script else None, "attendees": people},
                 after={"reason": why})


def consensus_recorded(session: Session, demo: DemoSession) -> bool:
    """Whether the lead has recorded a consensus in this session.

    A consensus score names its session (schema 0007). One recorded before that is known only by its step
    and time: on one of the session's steps, after everyone attending had submitted.
    """
    named = select(ConsensusScore.id).where(ConsensusScore.session_id == demo.id).limit(1)
    if session.exec(named).first() is not None:
        return True
    people, handed_in, last = session.exec(select(func.count(SessionAttendee.username),
                                                  func.count(SessionAttendee.submitted_at),
                                                  func.max(SessionAttendee.submitted_at))
                                           .where(SessionAttendee.session_id == demo.id)).one()
    if not people or handed_in < people:
        return False
    steps = select(Step.hid).where(Step.script_id == demo.script_id)
    return session.exec(select(ConsensusScore.id).where(
        ConsensusScore.vendor_id == demo.vendor_id, ConsensusScore.session_id.is_(None),
        ConsensusScore.step.in_(steps), ConsensusScore.recorded_at >= last).limit(1)).first() is not None


def get_session(session: Session, project: Project, session_id: int) -> DemoSession:
    demo = session.get(DemoSession, session_id)
    if demo is None or demo.project_id != project.id:
        raise NotFound(f"no demo session {session_id} in project {project.key}")
    if demo.cancelled_at is not None:
        raise NotFound(f"demo session {session_id} ({demo.title}) was cancelled: nothing can be recorded in it")
    return demo
