"""Catalogue tests reuse the rolled-back database of the service tests."""

import pytest

from tests.db.conftest import rollback_session, shared_engine  # noqa: F401  (fixtures)


@pytest.fixture
def session(rollback_session):  # noqa: F811
    """Every catalogue test's session is rolled back after it."""
    return rollback_session
