"""Catalogue tests reuse the rolled-back database of the service tests."""

from tests.db.conftest import rollback_session, shared_engine  # noqa: F401  (fixtures)
