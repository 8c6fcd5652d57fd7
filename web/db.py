"""One database session per request, closed when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlmodel import Session

from reqtrace.db import ensure_schema, get_engine, writer


def init_app(app: Flask) -> None:
    engine = get_engine(app.config["DATABASE_URL"])
    ensure_schema(engine)
    app.extensions["reqtrace_engine"] = engine
    app.teardown_appcontext(close_session)


def session() -> Session:
    """The request's session; a POST gets a writer (takes SQLite's write lock up front)."""
    if "db_session" not in g:
        from flask import request

        engine = current_app.extensions["reqtrace_engine"]
        write = request.method not in ("GET", "HEAD", "OPTIONS")
        g.db_session = Session(writer(engine) if write else engine, expire_on_commit=False)
    return g.db_session


def close_session(error: BaseException | None = None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        if error is not None:
            db_session.rollback()
        db_session.close()
