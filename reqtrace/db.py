"""Engines, sessions and schema migrations for SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager
import threading
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlmodel import Session

from reqtrace.config import sqlite_path

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(url: str) -> Engine:
    """One engine per URL for the life of the process."""
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = make_engine(url)
        return _ENGINES[url]


def make_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if sqlite_path(str(engine.url)) is not None:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # A writer takes the write lock up front: a deferred transaction that
        # later upgrades to a writer fails at once with "database is locked"
        # instead of waiting for busy_timeout.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def writer(engine: Engine) -> Engine:
    """The engine to use for a transaction that will write."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(writer(engine) if write else engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def add_unique(session: Session, row, taken: str) -> None:
    """Add and flush `row`; a unique key someone else took meanwhile raises Conflict(`taken`), not a 500.

    For inserts checked for duplicates beforehand: the check cannot see a row another transaction is adding.
    """
    from sqlalchemy.exc import IntegrityError

    from reqtrace.services.errors import Conflict

    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(taken) from None


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Create or migrate the schema; returns (revision before, revision after)."""
    before = current_revision(engine)
    if before != head_revision() or revision != "head":
        command.upgrade(alembic_config(engine), revision)
    return before, current_revision(engine) or ""


def ensure_schema(engine: Engine) -> None:
    """Bring the schema to the newest version (a no-op when it already is)."""
    if current_revision(engine) != head_revision():
        upgrade(engine)


def is_empty(engine: Engine) -> bool:
    """True when the database holds no project and no user."""
    from reqtrace.model import Project, User

    if not inspect(engine).has_table("project"):
        return True
    with Session(engine) as session:
        return session.exec(select(Project.id).limit(1)).first() is None and \
            session.exec(select(User.id).limit(1)).first() is None


def dispose_all() -> None:
    """Close and forget cached engines (tests that drop databases call this)."""
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


