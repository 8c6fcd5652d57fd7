"""`reqtrace backup` / `reqtrace restore`: a backup restored gives back every row, on either backend.

Two kinds of backup: the portable ZIP (the default) and, for SQLite, a copy made with SQLite's online
backup API (`--format sqlite`), which opens as a database and restores into either backend too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import zipfile

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, func, select

from reqtrace.backup import SKIPPED, BackupError, read_manifest, restore_backup, write_backup, write_sqlite_copy
from reqtrace.cli import main
from reqtrace.db import dispose_all, make_engine
from tests.conftest import BACKENDS, _new_database

# What the issue names, each a table the demo fills: items, links, answers, checklist results, probe results, audit.
MUST_SURVIVE = ("strategy", "role", "process", "requirement", "strategy_role", "role_process", "process_requirement",
                "vendor_response", "checklist_result", "probe_result", "audit_event", "consensus_score",
                "demo_session", "demo_session_attendee", "baseline", "poc_step", "user_account")


@pytest.fixture(autouse=True)
def close_engines():
    yield
    dispose_all()


def cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--db", url, *args])


def dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, as plain tuples (datetimes compared as UTC)."""
    engine = make_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    result = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            if table.name in SKIPPED:  # the revision travels in the manifest; sign-ins are never backed up
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(select(table).order_by(*order)).all()
            result[table.name] = [tuple(_comparable(value) for value in row) for row in rows]
    engine.dispose()
    return result


def _comparable(value):
    if hasattr(value, "tzinfo") and hasattr(value, "replace") and hasattr(value, "hour"):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(tz=None).replace(tzinfo=None)
    if isinstance(value, float):
        return round(value, 9)
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


@pytest.fixture(params=BACKENDS)
def target(request, tmp_path, postgres):
    """A new, empty database to restore into, on each backend."""
    url = _new_database(request.param, tmp_path, postgres)
    yield url
    dispose_all()
    if request.param == "postgres":
        postgres.drop(url)


def test_a_backup_restored_gives_back_every_row(demo_url, target, tmp_path):
    before = dump(demo_url)
    assert all(before[name] for name in MUST_SURVIVE), [name for name in MUST_SURVIVE if not before[name]]
    backup = tmp_path / "crm.zip"
    made = cli(demo_url, "backup", "-o", str(backup), "--json")
    assert made.exit_code == 0, made.output
    manifest = json.loads(made.stdout)
    assert manifest["tables"]["checklist_result"] == len(before["checklist_result"])

    restored = cli(target, "restore", str(backup), "--json")
    assert restored.exit_code == 0, restored.output
    after = dump(target)
    for name in before:
        assert after[name] == before[name], f"table {name} differs after restore"
    # And the restored database works: the ranking is the same.
    assert json.loads(cli(target, "score", "--project", "crm", "--json", "--samples", "10").stdout)["vendors"] == \
        json.loads(cli(demo_url, "score", "--project", "crm", "--json", "--samples", "10").stdout)["vendors"]


def test_new_rows_after_a_restore_get_fresh_ids(demo_url, target, tmp_path):
    backup = tmp_path / "crm.zip"
    assert cli(demo_url, "backup", "-o", str(backup)).exit_code == 0
    assert cli(target, "restore", str(backup)).exit_code == 0
    added = cli(target, "vendor", "add", "zeta", "--project", "crm", "--name", "Zeta", "--deployment", "cloud")
    assert added.exit_code == 0, added.output  # a reused id (sequence not reset) would fail here
    assert len(dump(target)["vendor"]) == len(dump(demo_url)["vendor"]) + 1


def test_restore_refuses_a_database_that_holds_data(demo_url, tmp_path):
    backup = tmp_path / "crm.zip"
    assert cli(demo_url, "backup", "-o", str(backup)).exit_code == 0
    before = dump(demo_url)
    refused = cli(demo_url, "restore", str(backup), "--json")
    assert refused.exit_code == 1
    assert "already holds data" in json.loads(refused.stdout)["error"]
    assert dump(demo_url) == before


@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04broken"])
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, content):
    bogus = tmp_path / "bogus.zip"
    bogus.write_bytes(content)
    result = cli(f"sqlite:///{tmp_path / 'new.db'}", "restore", str(bogus))
    assert result.exit_code == 1
    assert "is not a reqtrace backup" in result.stderr


def test_restore_refuses_a_damaged_table_and_writes_nothing(demo_url, tmp_path):
    backup = tmp_path / "crm.zip"
    assert cli(demo_url, "backup", "-o", str(backup)).exit_code == 0
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(damaged, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "tables/requirement.jsonl":
                data = data[: len(data) // 2]  # cut off mid-row
            out.writestr(name, data)
    new = f"sqlite:///{tmp_path / 'new.db'}"
    result = cli(new, "restore", str(damaged))
    assert result.exit_code == 1
    assert "requirement" in result.stderr
    engine = make_engine(new)
    with engine.connect() as connection:
        tables = MetaData()
        tables.reflect(engine)
        if "project" in tables.tables:
            assert connection.execute(select(func.count()).select_from(tables.tables["project"])).scalar() == 0
    engine.dispose()


def _zip_rows(path) -> list[dict]:
    with zipfile.ZipFile(path) as archive:
        return [json.loads(line) for line in archive.read("tables/checklist_result.jsonl").splitlines()]


def _copy_rows(path) -> list[dict]:
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM checklist_result")]


@pytest.mark.parametrize("write, read", [(write_backup, _zip_rows), (write_sqlite_copy, _copy_rows)],
                         ids=["zip", "sqlite-copy"])
def test_a_backup_taken_while_ticks_arrive_is_a_consistent_snapshot(demo_url, tmp_path, write, read):
    """A writer keeps adding checklist rows during the backup; the file holds a whole number of them and
    matches its own manifest — never a half-written transaction."""
    from reqtrace.db import session_scope
    from reqtrace.model import DemoSession
    from reqtrace.services.checklists import record_ticks
    from reqtrace.services.projects import get_project

    engine = make_engine(demo_url)
    stop = threading.Event()

    def keep_writing():
        number = 0
        while not stop.is_set() and number < 400:
            with session_scope(engine, write=True) as session:
                project = get_project(session, "crm")
                demo = session.exec(select(DemoSession).order_by(DemoSession.id.desc())).scalars().first()
                step = session.connection().exec_driver_sql(
                    "SELECT hid FROM poc_step WHERE script_id = ? LIMIT 1", (demo.script_id,)).scalar()
                record_ticks(session, project, demo, "evaluator",
                             [{"client_id": f"bk-{number:06d}a", "step": step, "score": 3},
                              {"client_id": f"bk-{number:06d}b", "step": step, "score": 4}])
            number += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        manifest = write(make_engine(demo_url), tmp_path / "live.backup")
    finally:
        stop.set()
        writer.join(timeout=60)
    engine.dispose()
    rows = read(tmp_path / "live.backup")
    assert len(rows) == manifest["tables"]["checklist_result"]
    ours = [row["client_id"] for row in rows if row["client_id"].startswith("bk-")]
    assert len(ours) % 2 == 0  # both ticks of a transaction, or neither


def test_the_manifest_names_the_format_and_schema(demo_url, tmp_path):
    manifest = write_backup(make_engine(demo_url), tmp_path / "b.zip")
    assert read_manifest(tmp_path / "b.zip") == manifest
    assert manifest["format"] == "reqtrace-backup" and manifest["schema"]
    with pytest.raises(BackupError, match="no such file"):
        read_manifest(tmp_path / "missing.zip")


def test_restore_into_a_new_sqlite_file_creates_the_schema(demo_url, tmp_path):
    write_backup(make_engine(demo_url), tmp_path / "b.zip")
    (tmp_path / "fresh").mkdir()
    target = make_engine(f"sqlite:///{tmp_path / 'fresh' / 'new.db'}")
    result = restore_backup(target, tmp_path / "b.zip")
    assert result["tables"]["requirement"] == len(dump(demo_url)["requirement"])
    target.dispose()


# --- the SQLite copy -------------------------------------------------------------------------------

def test_a_sqlite_copy_opens_as_a_database_and_restores_every_row(demo_url, target, tmp_path):
    before = dump(demo_url)
    copy = tmp_path / "crm-copy.db"
    made = cli(demo_url, "backup", "--format", "sqlite", "-o", str(copy), "--json")
    assert made.exit_code == 0, made.output
    manifest = json.loads(made.stdout)
    assert manifest["format"] == "sqlite" and manifest["schema"]
    assert manifest["tables"] == {name: len(rows) for name, rows in before.items()}
    assert dump(f"sqlite:///{copy}") == before  # it opens as it is, with everything in it

    restored = cli(target, "restore", str(copy), "--json")
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.stdout)["tables"]["checklist_result"] == len(before["checklist_result"])
    after = dump(target)
    for name in before:
        assert after[name] == before[name], f"table {name} differs after restoring the SQLite copy"
    assert json.loads(cli(target, "score", "--project", "crm", "--json", "--samples", "10").stdout)["vendors"] == \
        json.loads(cli(demo_url, "score", "--project", "crm", "--json", "--samples", "10").stdout)["vendors"]


def test_a_sqlite_copy_of_a_postgresql_database_is_refused(tmp_path, postgres):
    if postgres is None:
        pytest.skip("no PostgreSQL configured")
    url = _new_database("postgres", tmp_path, postgres)
    try:
        assert cli(url, "init").exit_code == 0
        result = cli(url, "backup", "--format", "sqlite", "-o", str(tmp_path / "copy.db"))
        assert result.exit_code == 1
        assert "postgresql" in result.stderr and "leave out --format" in result.stderr
        assert not (tmp_path / "copy.db").exists()
    finally:
        dispose_all()
        postgres.drop(url)


def test_restore_refuses_a_sqlite_file_that_is_not_a_reqtrace_database(tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        connection.execute("INSERT INTO notes (text) VALUES ('hello')")
    new = f"sqlite:///{tmp_path / 'new.db'}"
    result = cli(new, "restore", str(other))
    assert result.exit_code == 1
    assert "not a reqtrace one" in result.stderr
    assert dump(new) == {} or not any(dump(new).values())


@pytest.mark.parametrize("kind", ["zip", "sqlite"])
def test_a_backup_is_readable_by_its_owner_only(demo_url, tmp_path, kind):
    """It holds every password hash and every sealed score."""
    target = tmp_path / f"crm.{kind}"
    assert cli(demo_url, "backup", "--format", kind, "-o", str(target)).exit_code == 0
    assert target.stat().st_mode & 0o777 == 0o600


def test_sign_ins_stay_behind_in_both_kinds_of_backup(demo_url, tmp_path):
    """A backup restored elsewhere must not let anyone in on a cookie from the original server."""
    from sqlmodel import Session

    from datetime import timedelta

    from reqtrace.model import LoginGuess, LoginSession, User
    from reqtrace.services import guesses, logins

    engine = make_engine(demo_url)
    with Session(engine) as session:
        logins.start(session, session.exec(select(User).where(User.username == "lead")).scalars().one())
        session.commit()
        assert guesses.attempt(session, guesses.key_of("10.0.0.9", "lead"), limit=10, window=timedelta(minutes=15))
    zipped = write_backup(engine, tmp_path / "b.zip")
    for table in ("login_session", "login_guess"):
        assert table not in zipped["tables"]
        assert not [name for name in zipfile.ZipFile(tmp_path / "b.zip").namelist() if table in name]
    copied = write_sqlite_copy(engine, tmp_path / "copy.db")
    assert not {"login_session", "login_guess"} & set(copied["tables"])
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM login_session").fetchone() == (0,)
        assert copy.execute("SELECT count(*) FROM login_guess").fetchone() == (0,)
        assert copy.execute("SELECT count(*) FROM user_account").fetchone()[0] == 4
    with engine.connect() as connection:  # the original keeps its own
        assert connection.execute(select(func.count()).select_from(LoginSession)).scalar() == 1
        assert connection.execute(select(func.count()).select_from(LoginGuess)).scalar() == 1
    engine.dispose()


@pytest.mark.parametrize("kind", ["zip", "sqlite"])
def test_a_backup_into_a_missing_folder_is_refused_like_any_output(demo_url, tmp_path, kind):
    result = cli(demo_url, "backup", "--format", kind, "-o", str(tmp_path / "nightly" / "b.out"), "--json")
    assert result.exit_code == 1, result.output
    assert f"the folder {tmp_path / 'nightly'} does not exist" in json.loads(result.stdout)["error"]
    assert not (tmp_path / "nightly").exists()


def test_a_sqlite_copy_is_one_file_even_after_it_is_read(demo_url, tmp_path):
    (tmp_path / "copies").mkdir()
    copy = tmp_path / "copies" / "crm.db"
    assert cli(demo_url, "backup", "--format", "sqlite", "-o", str(copy)).exit_code == 0
    with sqlite3.connect(copy) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert connection.execute("SELECT count(*) FROM project").fetchone() == (1,)
    assert [path.name for path in (tmp_path / "copies").iterdir()] == ["crm.db"]
