"""Fixtures: the sample project `crm` (atlas hybrid-offline, keystone on-premise, nimbus thin-client) per backend,
without sample evidence (tests/questionnaire/fixtures.py)."""

from __future__ import annotations

import pytest

from reqtrace.db import dispose_all
from tests.questionnaire.fixtures import (bare_sample_postgres_template, bare_sample_sqlite_file,  # noqa: F401
                                          bare_sample_url)


@pytest.fixture(autouse=True)
def close_engines():
    """The CLI caches one engine per URL; close them so databases can be dropped and files removed."""
    yield
    dispose_all()


@pytest.fixture
def url(bare_sample_url, cli_env) -> str:
    """The sample project's database, with the CLI's home kept inside the test's folder."""
    return bare_sample_url
