"""Writing and reading the audit trail: who changed what, when, before and after."""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from reqtrace.model import AuditEvent, utcnow
from reqtrace.model.types import like_literal


def event(*, actor: str, project_id: int | None, entity_type: str, entity_id: str, action: str,
          before: dict | None = None, after: dict | None = None) -> dict[str, Any]:
    """One audit row as a plain dict, ready for `record_all`."""
    return {"at": utcnow(), "actor": actor, "project_id": project_id, "entity_type": entity_type,
            "entity_id": entity_id, "action": action, "before": _jsonable(before),
            "after": _jsonable(after)}


def record(session: Session, **fields: Any) -> None:
    record_all(session, [event(**fields)])


def record_all(session: Session, events: Iterable[dict[str, Any]]) -> int:
    """Insert audit rows in one statement; returns how many."""
    rows = list(events)
    if rows:
        session.connection().execute(AuditEvent.__table__.insert(), rows)
    return len(rows)


def history(session: Session, *, project_id: int, entity_type: str, entity_id: str) -> list[AuditEvent]:
    """Events about an item and the links into and out of it, oldest first."""
    escaped = like_literal(entity_id)
    statement = select(AuditEvent).where(
        AuditEvent.project_id == project_id,
        or_(and_(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id),
            and_(AuditEvent.entity_type == "link",
                 or_(AuditEvent.entity_id.like(f"{escaped}->%", escape="\\"),
                     AuditEvent.entity_id.like(f"%->{escaped}", escape="\\")))),
    ).order_by(AuditEvent.at, AuditEvent.id)
    return list(session.exec(statement).scalars())


def diff(before: dict | None, after: dict | None) -> list[tuple[str, Any, Any]]:
    """Field-by-field differences between two snapshots."""
    before, after = before or {}, after or {}
    names = list(dict.fromkeys([*before, *after]))
    return [(name, before.get(name), after.get(name)) for name in names
            if before.get(name) != after.get(name)]


def _jsonable(snapshot: dict | None) -> dict | None:
    if snapshot is None:
        return None
    return {key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in snapshot.items()}
