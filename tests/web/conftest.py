"""Fixtures for the web app: `app` on a fresh copy of the sample project, `client`, `auth`.

    def test_lead_sees_the_matrix(auth):
        lead = auth("lead")
        assert lead.json("/p/crm/matrix.json")["total"] == 172

Tests that write use `app` (a fresh database per test, SQLite and PostgreSQL).
Tests that only read may use `shared_app` / `reader`: one sample database per
backend for the whole run, which nothing may change.
"""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session

from reqtrace.db import make_engine
from reqtrace.services.projects import get_project
from tests.conftest import BACKENDS
from tests.web.support import Visitor
from web import create_app

# username -> role, as the sample project creates them
ROLES = {"lead": "admin", "owner": "owner", "procurement": "procurement", "evaluator": "evaluator"}


@pytest.fixture
def app(sample_url):
    """The app on this test's own copy of the sample project."""
    return create_app({"DATABASE_URL": sample_url, "SECRET_KEY": "test"})


@pytest.fixture
def client(app):
    """client() -> an anonymous Visitor; client(base_url="https://localhost") for HTTPS."""
    def make(**kwargs) -> Visitor:
        return Visitor(app.test_client(), **kwargs)
    return make


@pytest.fixture
def auth(client):
    """auth("owner") -> a Visitor logged in as that sample user (lead, owner, procurement, evaluator)."""
    def login(username: str, visitor: Visitor | None = None) -> Visitor:
        visitor = visitor or client()
        response = visitor.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return visitor
    return login


@pytest.fixture
def db(app):
    """db() -> a SQLAlchemy session on the test's database, for checking what was (not) written."""
    engine = make_engine(app.config["DATABASE_URL"])
    sessions = []

    def open_session() -> Session:
        session = Session(engine, expire_on_commit=False)
        sessions.append(session)
        return session
    yield open_session
    for session in sessions:
        session.close()
    engine.dispose()


@pytest.fixture
def project_of(db):
    def load(key: str = "crm"):
        session = db()
        return session, get_project(session, key)
    return load


# --- one read-only sample database per backend, for the whole run ----------------------------

@pytest.fixture(scope="session", params=BACKENDS)
def shared_app(request, tmp_path_factory, sample_sqlite_file, postgres, sample_postgres_template):
    """The app on a sample database that no test changes (read-only tests only)."""
    if request.param == "sqlite":
        target = tmp_path_factory.mktemp("shared") / "sample.db"
        shutil.copyfile(sample_sqlite_file, target)
        url = f"sqlite:///{target}"
    else:
        url = postgres.create(template=sample_postgres_template)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test"})
    app.extensions["test_readers"] = {}
    yield app
    app.extensions["reqtrace_engine"].dispose()
    if request.param == "postgres":
        postgres.drop(make_url(url).render_as_string(hide_password=False))


@pytest.fixture
def reader(shared_app):
    """reader("procurement") -> a logged-in Visitor on the shared, read-only sample database."""
    def get(username: str = "lead") -> Visitor:
        readers = shared_app.extensions["test_readers"]
        if username not in readers:
            visitor = Visitor(shared_app.test_client())
            assert visitor.login(username).status_code == 302
            readers[username] = visitor
        return readers[username]
    return get
