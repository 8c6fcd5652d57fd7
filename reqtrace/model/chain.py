"""The chain: project, strategies, roles, processes, requirements and their links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from reqtrace.model.types import SlugList, utcnow


class Project(SQLModel, table=True):
    __tablename__ = "project"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    description: str = ""
    status: str = Field(default="drafting", max_length=20)
    # Stage (1..4) per transformation area, see reqtrace.readiness.
    readiness: dict = Field(default_factory=dict, sa_type=JSON)
    # Per-project overrides of defaults (scoring factors, timeboxes...).
    settings: dict = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)


class Item(SQLModel):
    """Fields every level of the chain has."""

    @declared_attr
    def __mapper_args__(cls):
        # Optimistic locking in the UPDATE itself: it matches only the version that was
        # read, so of two saves made on the same version the second fails (StaleDataError)
        # instead of silently replacing the first. The services set the new version.
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}

    project_id: int = Field(foreign_key="project.id", index=True)
    seq: int = Field(index=True)  # sort key: the number in STR-12
    hid: str = Field(max_length=40)  # the human ID, unique per project and level
    title: str = Field(max_length=300)
    status: str = Field(default="draft", max_length=20)
    owner: str | None = Field(default=None, max_length=80)
    version: int = 1  # bumped on every save; a stale version is refused
    fingerprint: str = Field(default="", max_length=32)  # of the content, for suspect links
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Strategy(Item, table=True):
    __tablename__ = "strategy"
    __table_args__ = (UniqueConstraint("project_id", "hid", name="uq_strategy_hid"),)

    id: int | None = Field(default=None, primary_key=True)
    statement: str = ""
    sponsor: str = Field(default="", max_length=200)
    perspective: str = Field(default="customer", max_length=20)
    segment: str = Field(default="", max_length=200)
    kpi: str = Field(default="", max_length=300)
    target: str = Field(default="", max_length=300)


class Role(Item, table=True):
    __tablename__ = "role"
    __table_args__ = (UniqueConstraint("project_id", "hid", name="uq_role_hid"),)

    id: int | None = Field(default=None, primary_key=True)
    from_state: str = ""
    to_state: str = ""
    department: str = Field(default="", max_length=200)
    description: str = ""


class Process(Item, table=True):
    __tablename__ = "process"
    __table_args__ = (UniqueConstraint("project_id", "hid", name="uq_process_hid"),)

    id: int | None = Field(default=None, primary_key=True)
    description: str = ""
    steps: list = Field(default_factory=list, sa_type=JSON)
    management: str = Field(default="balanced-flow", max_length=20)
    bottleneck: str = ""
    peak_demand: str = ""


class Requirement(Item, table=True):
    __tablename__ = "requirement"
    __table_args__ = (UniqueConstraint("project_id", "hid", name="uq_requirement_hid"),)

    id: int | None = Field(default=None, primary_key=True)
    statement: str = ""
    acceptance: str = ""
    kind: str = Field(default="process-control", max_length=30)
    capability: str = Field(default="technology", max_length=30)
    priority: str = Field(default="should", max_length=10)
    weight: float | None = None  # None: the priority's default weight
    tags: list = Field(default_factory=list, sa_type=SlugList)
    excluded_deployments: list = Field(default_factory=list, sa_type=SlugList)
    timebox_minutes: int | None = None
    # Columns of a foreign workbook that map to no field, kept by name.
    custom_fields: dict = Field(default_factory=dict, sa_type=JSON)


class Link(SQLModel):
    """A reviewed trace link; suspect while the upstream fingerprint differs."""

    project_id: int = Field(foreign_key="project.id", index=True)
    reviewed_fingerprint: str = Field(default="", max_length=32)
    reviewed_at: datetime = Field(default_factory=utcnow)
    reviewed_by: str = Field(default="", max_length=80)


class StrategyRole(Link, table=True):
    __tablename__ = "strategy_role"

    strategy_id: int = Field(sa_column=Column(Integer, ForeignKey("strategy.id", ondelete="CASCADE"),
                                              primary_key=True))
    role_id: int = Field(sa_column=Column(Integer, ForeignKey("role.id", ondelete="CASCADE"),
                                          primary_key=True, index=True))


class RoleProcess(Link, table=True):
    __tablename__ = "role_process"

    role_id: int = Field(sa_column=Column(Integer, ForeignKey("role.id", ondelete="CASCADE"),
                                          primary_key=True))
    process_id: int = Field(sa_column=Column(Integer, ForeignKey("process.id", ondelete="CASCADE"),
                                             primary_key=True, index=True))


class ProcessRequirement(Link, table=True):
    __tablename__ = "process_requirement"

    process_id: int = Field(sa_column=Column(Integer, ForeignKey("process.id", ondelete="CASCADE"),
                                             primary_key=True))
    requirement_id: int = Field(sa_column=Column(Integer, ForeignKey("requirement.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True))
