"""The schema is created by Alembic migrations from empty, on every backend."""

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from reqtrace.db import current_revision, head_revision, make_engine, upgrade
from reqtrace.model import AuditEvent
from reqtrace import audit
from sqlmodel import Session

TABLES = {"project", "strategy", "role", "process", "requirement", "strategy_role", "role_process",
          "process_requirement", "vendor", "user_account", "audit_event", "alembic_version"}


def test_upgrade_from_empty_creates_every_table(empty_database_url):
    engine = make_engine(empty_database_url)
    assert current_revision(engine) is None
    before, after = upgrade(engine)
    assert before is None and after == head_revision()
    assert TABLES <= set(inspect(engine).get_table_names())
    # A second upgrade is a no-op.
    assert upgrade(engine) == (head_revision(), head_revision())
    engine.dispose()


def test_audit_trail_refuses_update_and_delete(engine):
    with Session(engine) as session:
        audit.record(session, actor="t", project_id=None, entity_type="user", entity_id="x", action="create",
                     after={"a": 1})
        session.commit()
    for statement in ("UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"):
        with Session(engine) as session:
            with pytest.raises(DBAPIError, match="append-only"):
                session.exec(text(statement))
            session.rollback()
    with Session(engine) as session:
        assert [event.actor for event in session.exec(__import__("sqlmodel").select(AuditEvent))] == ["t"]
