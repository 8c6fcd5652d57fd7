"""Baselines: frozen, named copies of the approved chain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from reqtrace.model.types import utcnow


class Baseline(SQLModel, table=True):
    __tablename__ = "baseline"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_baseline_name"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    name: str = Field(max_length=80)
    note: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=80)
    counts: dict = Field(default_factory=dict, sa_type=JSON)  # items frozen per level


class BaselineItem(SQLModel, table=True):
    __tablename__ = "baseline_item"

    baseline_id: int = Field(sa_column=Column(Integer, ForeignKey("baseline.id", ondelete="CASCADE"),
                                              primary_key=True))
    kind: str = Field(max_length=20, primary_key=True)
    hid: str = Field(max_length=40, primary_key=True)
    data: dict = Field(default_factory=dict, sa_type=JSON)  # fields, status, version and "links" (IDs above)
