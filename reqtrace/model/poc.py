"""Proofs of concept: versioned scripts, their issue to vendors, demo sessions, checklists and probes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from reqtrace.model.types import utcnow


class PocScript(SQLModel, table=True):
    """One version of the scripted demo; a version never changes once saved (edits save the next one)."""

    __tablename__ = "poc_script"
    __table_args__ = (UniqueConstraint("project_id", "version", name="uq_poc_script_version"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    version: int
    baseline: str = Field(default="", max_length=80)  # "" when built from the approved requirements
    title: str = Field(default="", max_length=300)
    introduction: str = ""  # Markdown: what the vendor is asked to do and how the demo runs
    sample_data: str = ""  # Markdown: the records the vendor loads before the demo
    change_note: str = ""  # what this version changed
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=80)


class Scenario(SQLModel, table=True):
    __tablename__ = "poc_scenario"

    id: int | None = Field(default=None, primary_key=True)
    script_id: int = Field(sa_column=Column(Integer, ForeignKey("poc_script.id", ondelete="CASCADE"), index=True,
                                            nullable=False))
    seq: int
    key: str = Field(max_length=40)  # stable across versions, e.g. "SC-3"
    title: str = Field(max_length=300)
    narrative: str = ""
    process: str = Field(default="", max_length=40)  # the process it walks through
    roles: list = Field(default_factory=list, sa_type=JSON)  # the roles that run it


class Step(SQLModel, table=True):
    __tablename__ = "poc_step"
    __table_args__ = (UniqueConstraint("script_id", "hid", name="uq_poc_step_hid"),)

    id: int | None = Field(default=None, primary_key=True)
    script_id: int = Field(sa_column=Column(Integer, ForeignKey("poc_script.id", ondelete="CASCADE"), index=True,
                                            nullable=False))
    scenario_key: str = Field(max_length=40)
    seq: int
    hid: str = Field(max_length=40)  # STEP-n, stable across versions
    instruction: str = ""
    expected: str = ""
    timebox_minutes: int = 5
    requirements: list = Field(default_factory=list, sa_type=JSON)  # the requirement IDs the step proves
    action: str = Field(default="", max_length=80)  # a vendor-adapter action that performs it, if any


class ScriptIssue(SQLModel, table=True):
    """A script version handed to a vendor, with what it cited as it then stood (for re-score checks)."""

    __tablename__ = "poc_script_issue"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    script_id: int = Field(foreign_key="poc_script.id", index=True)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by: str = Field(default="", max_length=80)
    fingerprints: dict = Field(default_factory=dict, sa_type=JSON)  # step -> {item ID: fingerprint}


class DemoSession(SQLModel, table=True):
    __tablename__ = "demo_session"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    script_id: int = Field(foreign_key="poc_script.id", index=True)
    title: str = Field(default="", max_length=200)
    scheduled_for: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=80)
    # Cancelled before anything was recorded in it. The row stays, so its id is never given to another
    # session: a device still holding ticks for it must not send them to a new session of that number.
    cancelled_at: datetime | None = None


# The sessions that count: every list, check and count of a vendor's sessions leaves the cancelled ones out.
LIVE_SESSION = DemoSession.cancelled_at.is_(None)


class SessionAttendee(SQLModel, table=True):
    __tablename__ = "demo_session_attendee"

    session_id: int = Field(sa_column=Column(Integer, ForeignKey("demo_session.id", ondelete="CASCADE"),
                                             primary_key=True))
    username: str = Field(max_length=80, primary_key=True)
    submitted_at: datetime | None = None  # scores are sealed until then, locked after


class ChecklistResult(SQLModel, table=True):
    """One evaluator's entry on one step; a correction is a new entry pointing at the one it corrects."""

    __tablename__ = "checklist_result"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="demo_session.id", index=True)
    step: str = Field(max_length=40)  # the step's ID
    evaluator: str = Field(max_length=80, index=True)
    verdict: str = Field(default="", max_length=20)  # demonstrated, partly, not shown
    score: float | None = None  # 0..5
    note: str = ""
    recorded_at: datetime = Field(default_factory=utcnow)  # when the evaluator recorded it (their clock)
    received_at: datetime = Field(default_factory=utcnow)  # when the server stored it
    client_id: str = Field(max_length=64, unique=True)  # chosen by the client: a retry is applied once
    corrects: int | None = Field(default=None, foreign_key="checklist_result.id")
    source: str = Field(default="web", max_length=20)  # web, paper


class ConsensusScore(SQLModel, table=True):
    """The CRM lead's agreed score for a requirement, kept beside the evaluators' own."""

    __tablename__ = "consensus_score"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    # The demo session it was agreed in (None: recorded before schema 0007, or by a tool that has no session).
    session_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("demo_session.id", ondelete="SET NULL"), index=True, nullable=True))
    requirement: str = Field(max_length=40)
    step: str = Field(default="", max_length=40)
    score: float
    reason: str
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str = Field(default="", max_length=80)


class ProbeResult(SQLModel, table=True):
    __tablename__ = "probe_result"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    probe: str = Field(max_length=40)
    url: str = Field(default="", max_length=500)
    passed: bool
    requirements: list = Field(default_factory=list, sa_type=JSON)  # IDs of the requirements tagged for it
    details: dict = Field(default_factory=dict, sa_type=JSON)
    evidence: list = Field(default_factory=list, sa_type=JSON)  # file paths: screenshots, the JSON log
    run_at: datetime = Field(default_factory=utcnow)
    run_by: str = Field(default="", max_length=80)


class Attachment(SQLModel, table=True):
    """A photo or screenshot an evaluator attached to a step as evidence."""

    __tablename__ = "checklist_attachment"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="demo_session.id", index=True)
    step: str = Field(max_length=40)
    evaluator: str = Field(max_length=80)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=40)
    size: int
    sha256: str = Field(max_length=64)
    stored_as: str = Field(max_length=300)  # file name under the attachments folder
    created_at: datetime = Field(default_factory=utcnow)
