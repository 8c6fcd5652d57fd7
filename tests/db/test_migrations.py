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


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from reqtrace.db import alembic_config

    return [script.revision for script in reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))]


@pytest.mark.parametrize("revision", _revisions()[:-1])
def test_init_migrates_a_database_forward_from_every_earlier_schema(empty_database_url, revision, tmp_path):
    """A database left at any released schema, with data in it, comes forward with `reqtrace init`."""
    from click.testing import CliRunner

    from reqtrace.cli import main

    engine = make_engine(empty_database_url)
    upgrade(engine, revision)
    with engine.begin() as connection:  # a project and a strategy, written as that schema had them
        project_id = _insert(connection, "project", {"key": "old", "name": "Older project", "status": "drafting"})
        _insert(connection, "strategy", {"project_id": project_id, "hid": "STR-1", "seq": 1,
                                         "title": "Keep customers", "status": "approved", "version": 1})
    engine.dispose()
    result = CliRunner().invoke(main, ["--db", empty_database_url, "init", "--json"])
    assert result.exit_code == 0, result.output
    engine = make_engine(empty_database_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT title FROM strategy WHERE hid = 'STR-1'")).scalar() == "Keep customers"
    engine.dispose()


def _insert(connection, name: str, given: dict) -> int:
    """Insert a row with `given` values and a plain value for every other NOT NULL column of that schema."""
    from datetime import datetime, timezone

    from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, MetaData, Table, insert

    table = Table(name, MetaData(), autoload_with=connection)
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key or column.server_default is not None:
            continue
        kind = column.type
        row[column.name] = (datetime.now(timezone.utc) if isinstance(kind, DateTime) else
                            False if isinstance(kind, Boolean) else 0 if isinstance(kind, (Integer, Float)) else
                            {} if isinstance(kind, JSON) else "")
    return connection.execute(insert(table).values(**row)).inserted_primary_key[0]
