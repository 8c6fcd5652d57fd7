"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), the sample project, a live server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from reqtrace.config import resolve_database_url
from reqtrace.db import dispose_all, make_engine, upgrade

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
POSTGRES_URL = os.environ.get("REQTRACE_TEST_POSTGRES_URL")
CHROMIUM = os.environ.get("REQTRACE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DEMO_PASSWORD = "demo-password-1"
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


# --- databases -------------------------------------------------------------------------------

class PostgresDatabases:
    """Creates throwaway databases on the shared server and always drops them."""

    def __init__(self, url: str):
        self.url = resolve_database_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")

    def create(self, template: str | None = None) -> str:
        name = f"reqtrace_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres() -> PostgresDatabases | None:
    if not POSTGRES_URL:
        yield None
        return
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.admin.dispose()


def _new_database(backend: str, tmp_path: Path, postgres: PostgresDatabases | None) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'reqtrace-{uuid.uuid4().hex[:8]}.db'}"
    assert postgres is not None
    return postgres.create()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def empty_database_url(backend, tmp_path, postgres):
    """A brand-new database with no schema, on each configured backend."""
    url = _new_database(backend, tmp_path, postgres)
    yield url
    dispose_all()
    if backend == "postgres":
        postgres.drop(url)


@pytest.fixture
def database_url(empty_database_url):
    """A database migrated to the newest schema."""
    engine = make_engine(empty_database_url)
    upgrade(engine)
    engine.dispose()
    return empty_database_url


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def sqlite_url(tmp_path):
    """A migrated SQLite database (for tests that need no second backend)."""
    url = f"sqlite:///{tmp_path / 'reqtrace.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


# --- the sample project ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def sample_sqlite_file(tmp_path_factory) -> Path:
    """The sample project (the approved catalogue, vendors, users; no evidence yet) built once per run.

    Tests copy the file. Most tests start from this clean state; `demo_sqlite_file` adds the
    evidence `reqtrace demo` shows (baseline, issued script, answers, probe results).
    """
    from reqtrace.db import session_scope
    from reqtrace.sample import build_sample

    path = tmp_path_factory.mktemp("sample") / "sample.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        build_sample(session, password=DEMO_PASSWORD, with_evidence=False)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def demo_sqlite_file(tmp_path_factory) -> Path:
    """The sample project exactly as `reqtrace demo` builds it, evidence included."""
    from reqtrace.db import session_scope
    from reqtrace.sample import build_sample

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        build_sample(session, password=DEMO_PASSWORD)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def demo_url(tmp_path, demo_sqlite_file):
    """A copy of the full demo database (SQLite)."""
    target = tmp_path / "demo.db"
    shutil.copyfile(demo_sqlite_file, target)
    yield f"sqlite:///{target}"
    dispose_all()


@pytest.fixture(scope="session")
def sample_postgres_template(postgres) -> str | None:
    """The sample project in a PostgreSQL template database, cloned per test."""
    if postgres is None:
        yield None
        return
    from reqtrace.db import session_scope
    from reqtrace.sample import build_sample

    url = postgres.create()
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        build_sample(session, password=DEMO_PASSWORD, with_evidence=False)
    engine.dispose()
    yield make_url(url).database
    postgres.drop(url)


@pytest.fixture
def sample_url(backend, tmp_path, postgres, sample_sqlite_file, sample_postgres_template):
    """A database holding the sample project (users' password: DEMO_PASSWORD)."""
    if backend == "sqlite":
        target = tmp_path / "sample.db"
        shutil.copyfile(sample_sqlite_file, target)
        yield f"sqlite:///{target}"
        dispose_all()
    else:
        url = postgres.create(template=sample_postgres_template)
        yield url
        dispose_all()
        postgres.drop(url)


@pytest.fixture
def sample_session(sample_url):
    engine = make_engine(sample_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


# --- running the CLI and the server ----------------------------------------------------------

@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """Keep the CLI's default database and secret key inside the test's folder."""
    monkeypatch.setenv("REQTRACE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("REQTRACE_DATABASE_URL", raising=False)
    monkeypatch.setenv("REQTRACE_ACTOR", "cli:test")
    return tmp_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout} s")
        time.sleep(0.2)


class LiveServer:
    def __init__(self, url: str, process: subprocess.Popen, database_url: str):
        self.url, self.process, self.database_url = url, process, database_url

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(database_url: str, tmp_path: Path, *, args: tuple[str, ...] = ("serve",),
                 env: dict[str, str] | None = None) -> LiveServer:
    """Run `reqtrace <args> --port N` as a real process and wait until it answers."""
    port = free_port()
    environment = {**os.environ, "REQTRACE_DATABASE_URL": database_url, "REQTRACE_HOME": str(tmp_path / "home"),
                   "REQTRACE_DEMO_PASSWORD": DEMO_PASSWORD, **(env or {})}
    log = open(tmp_path / f"server-{port}.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "reqtrace", *args, "--port", str(port)], env=environment,
                               stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    server = LiveServer(f"http://127.0.0.1:{port}", process, database_url)
    try:
        wait_for(server.url + "/healthz")
    except TimeoutError:
        server.stop()
        raise AssertionError((tmp_path / f"server-{port}.log").read_text())
    return server


@pytest.fixture
def sample_server(tmp_path, sample_sqlite_file) -> Iterator[LiveServer]:
    """`reqtrace serve` on this test's own copy of the sample project."""
    database = tmp_path / "sample.db"
    shutil.copyfile(sample_sqlite_file, database)
    running = start_server(f"sqlite:///{database}", tmp_path)
    yield running
    running.stop()


# --- browser ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium: Playwright's own browser download is not available."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (scripts/test does it as root)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def artifacts() -> Path:
    """Where browser tests save screenshots for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
