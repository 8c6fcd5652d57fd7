"""Fixtures for the proof-of-concept tests: running the CLI against a test database, reading it back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlmodel import Session

from reqtrace.cli import main
from reqtrace.db import dispose_all, make_engine
from reqtrace.services.projects import get_project


@pytest.fixture(autouse=True)
def close_engines():
    """The CLI caches one engine per URL; close them so databases can be dropped and files removed."""
    yield
    dispose_all()


def reqtrace(url: str, *args: Any, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    """Run `reqtrace --db URL ARGS...` in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(main, ["--db", url, *map(str, args)], env=env, input=input)


def reqtrace_json(url: str, *args: Any, expect: int = 0, env: dict[str, str] | None = None) -> Any:
    """Run a command with --json, check its exit code and return the one JSON document it printed."""
    result = reqtrace(url, *args, "--json", env=env)
    assert result.exit_code == expect, (result.exit_code, result.stdout[-2000:], result.stderr[-2000:],
                                        result.exception)
    return json.loads(result.stdout)


class Database:
    """Short-lived sessions on a test database (each `with db() as session:` sees the latest commits)."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)

    def __call__(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def project(self, session: Session, key: str = "crm"):
        return get_project(session, key)

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def url(sample_url, cli_env) -> str:
    """The clean sample project (SQLite and PostgreSQL), with the CLI's home inside the test's folder."""
    return sample_url


@pytest.fixture
def db(url):
    database = Database(url)
    yield database
    database.close()
