"""The append-only audit trail (database triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from reqtrace.model.types import utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=80)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    entity_type: str = Field(max_length=30)  # strategy, role, ..., link, vendor, user, project
    entity_id: str = Field(max_length=120, index=True)  # STR-3, "STR-3->ROL-4", a slug, a username
    action: str = Field(max_length=30)  # create, update, status, link, unlink, review, ...
    before: dict | None = Field(default=None, sa_type=JSON)
    after: dict | None = Field(default=None, sa_type=JSON)
