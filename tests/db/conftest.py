"""A faster database for service tests: migrated once per module and backend, each test rolled back.

Services only flush; the test's outer transaction is rolled back at the end, so
every test starts from the freshly migrated, empty schema.
"""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import Session

from reqtrace.db import make_engine, upgrade
from tests.conftest import BACKENDS


@pytest.fixture(scope="module", params=BACKENDS)
def shared_engine(request, tmp_path_factory, postgres):
    """A migrated database shared by one module's tests on one backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / f'reqtrace-{uuid.uuid4().hex[:8]}.db'}"
    else:
        url = postgres.create()
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    if request.param == "postgres":
        postgres.drop(url)


@pytest.fixture
def rollback_session(shared_engine):
    """A session inside a transaction that is rolled back after the test."""
    connection = shared_engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()
