"""The sample project without its sample evidence: no baseline, no questionnaire issued, no answers, no probes.

These tests start from that state on purpose (a questionnaire from the approved set,
then from a first baseline; answers as the tests import them). Built once per run,
copied per test, on SQLite and (when configured) PostgreSQL, like tests/conftest.py's
`sample_url`. Import the fixtures where they are needed (conftest.py, tests/web/test_workbooks.py).
"""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from reqtrace.db import dispose_all, make_engine, session_scope, upgrade
from tests.conftest import DEMO_PASSWORD


def _build(url: str) -> None:
    from reqtrace.sample import build_sample

    engine = make_engine(url)
    upgrade(engine)
    options = {"with_evidence": False} if "with_evidence" in inspect.signature(build_sample).parameters else {}
    with session_scope(engine, write=True) as session:
        build_sample(session, password=DEMO_PASSWORD, **options)
    if url.startswith("sqlite"):
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


@pytest.fixture(scope="session")
def bare_sample_sqlite_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bare-sample") / "sample.db"
    _build(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def bare_sample_postgres_template(postgres) -> str | None:
    if postgres is None:
        yield None
        return
    url = postgres.create()
    _build(url)
    yield make_url(url).database
    postgres.drop(url)


@pytest.fixture
def bare_sample_url(backend, tmp_path, postgres, bare_sample_sqlite_file, bare_sample_postgres_template):
    """A database holding the sample project `crm` with its vendors and users, and no evidence yet."""
    if backend == "sqlite":
        target = tmp_path / "bare-sample.db"
        shutil.copyfile(bare_sample_sqlite_file, target)
        yield f"sqlite:///{target}"
        dispose_all()
    else:
        url = postgres.create(template=bare_sample_postgres_template)
        yield url
        dispose_all()
        postgres.drop(url)
