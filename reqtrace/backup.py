"""Backup and restore in one portable format, for SQLite and PostgreSQL alike.

A backup is a ZIP file:

    manifest.json        {"format": "reqtrace-backup", "version": 1, "schema": "<alembic revision>",
                          "created_at": ..., "reqtrace": ..., "tables": {"project": 1, ...}}
    tables/<name>.jsonl  one JSON object per row, columns by name; datetimes as ISO 8601
                         strings, JSON columns as JSON

It is read in one transaction (a consistent snapshot while the app keeps
running: SQLite in WAL mode and PostgreSQL's REPEATABLE READ both give one), so
a backup taken during a demo session holds every tick committed before it began
and nothing half-written. `restore` migrates an empty (or new) database to the
backup's schema revision, loads every table in foreign-key order in one
transaction, resets PostgreSQL's id sequences, then migrates to the newest
schema — so an older backup restores into a newer reqtrace. It refuses a
database that already holds data, and a file that is not a reqtrace backup;
a ZIP backup is read through once first, so a damaged one changes nothing.

A SQLite database can also be copied as it is (`write_sqlite_copy`, `reqtrace
backup --format sqlite`): SQLite's online backup API copies every page in one
step under a read lock, so the copy is a consistent snapshot while the app
runs, and it opens directly as a database (`--db sqlite:///copy.db`).
`restore` accepts such a copy too, into SQLite or PostgreSQL: its rows go
through the same conversion as a ZIP backup's.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import zipfile
import zlib
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import (JSON, Boolean, Date, DateTime, Engine, Float, Integer, MetaData, Table, create_engine,
                        func, insert, select, text)
from sqlalchemy import inspect as inspect_schema
from sqlalchemy.exc import DatabaseError

from reqtrace import __version__
from reqtrace.db import current_revision, is_empty, upgrade, writer

FORMAT = "reqtrace-backup"
VERSION = 1
BATCH = 5000
# The manifest carries the revision; sign-ins and counted password guesses do not outlive a restore.
SKIPPED = {"alembic_version", "login_session", "login_guess"}
SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(ValueError):
    """The backup cannot be written or restored; the message says why."""


def _tables(engine: Engine) -> list[Table]:
    """The database's own tables (as its schema revision has them), parents before children."""
    metadata = MetaData()
    metadata.reflect(engine)
    return [table for table in metadata.sorted_tables if table.name not in SKIPPED]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise BackupError("a binary column cannot be backed up in this format")
    return value


def _prepare(engine: Engine, destination: str | Path) -> tuple[str, Path, Path]:
    """The schema revision to record, the destination, and the partial file to write (renamed once complete)."""
    revision = current_revision(engine)
    if revision is None:
        raise BackupError("the database has no reqtrace schema: there is nothing to back up")
    destination = Path(destination)
    if not destination.parent.is_dir():
        raise BackupError(f"{destination}: the folder {destination.parent} does not exist")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    # A backup holds every password hash and every sealed score: readable by its owner only.
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
    return revision, destination, partial


def write_backup(engine: Engine, destination: str | Path) -> dict[str, Any]:
    """Write a backup of the whole database to `destination`; returns the manifest."""
    revision, destination, partial = _prepare(engine, destination)
    counts: dict[str, int] = {}
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as connection, connection.begin(), \
            zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in _tables(engine):
            order = [column for column in table.primary_key.columns] or list(table.columns)
            rows = connection.execute(select(table).order_by(*order)).mappings()
            count = 0
            with archive.open(f"tables/{table.name}.jsonl", "w") as raw, \
                    io.TextIOWrapper(raw, encoding="utf-8") as out:
                for row in rows:
                    out.write(json.dumps({key: _plain(value) for key, value in row.items()},
                                         ensure_ascii=False, separators=(",", ":")))
                    out.write("\n")
                    count += 1
            counts[table.name] = count
        manifest = {"format": FORMAT, "version": VERSION, "schema": revision, "reqtrace": __version__,
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "database": engine.dialect.name, "tables": counts}
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    partial.replace(destination)  # a reader never sees half a backup under the real name
    return manifest


def write_sqlite_copy(engine: Engine, destination: str | Path) -> dict[str, Any]:
    """Copy a SQLite database with SQLite's online backup API; returns a manifest like `write_backup`'s."""
    if engine.dialect.name != "sqlite":
        raise BackupError(f"--format sqlite copies a SQLite database, and this one is {engine.dialect.name}: "
                          "use the portable backup (leave out --format)")
    revision, destination, partial = _prepare(engine, destination)
    raw = engine.raw_connection()
    try:
        copy = sqlite3.connect(partial)
        try:
            raw.driver_connection.backup(copy)  # all pages in one step: one consistent snapshot
            _drop_sign_ins(copy)
            # A copy is one file: in WAL mode every later reader would leave -wal and -shm files beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
    finally:
        raw.close()
    with _sqlite_engine(partial) as copied:
        counts = _counts(copied)
    partial.replace(destination)
    return {"format": "sqlite", "schema": revision, "reqtrace": __version__,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "database": "sqlite",
            "tables": counts}


def _drop_sign_ins(copy: sqlite3.Connection) -> None:
    """Sign-ins and guesses stay behind, as in the ZIP backup; the deleted rows are zeroed, not left in free pages."""
    copy.execute("PRAGMA secure_delete = ON")
    for table in ("login_session", "login_guess"):
        if copy.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone():
            with copy:
                copy.execute(f"DELETE FROM {table}")  # one of the two names above, never input


@contextmanager
def _sqlite_engine(path: Path) -> Iterator[Engine]:
    """A read-only engine on a SQLite file (never created: a missing file is an error, not an empty database)."""
    engine = create_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true")
    try:
        yield engine
    finally:
        engine.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in _tables(engine)}


def is_sqlite_file(source: str | Path) -> bool:
    try:
        with open(source, "rb") as file:
            return file.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except (FileNotFoundError, IsADirectoryError):
        return False


def read_manifest(source: str | Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(source) as archive:
            manifest = json.loads(archive.read("manifest.json"))
    except FileNotFoundError:
        raise BackupError(f"{source}: no such file") from None
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError):
        raise BackupError(f"{source} is not a reqtrace backup (made by `reqtrace backup -o FILE`)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a reqtrace backup (made by `reqtrace backup -o FILE`)")
    if manifest.get("version") != VERSION:
        raise BackupError(f"{source} is a version {manifest.get('version')} backup; this reqtrace reads version "
                          f"{VERSION}")
    if not isinstance(manifest.get("tables"), dict) or not isinstance(manifest.get("schema"), str):
        raise BackupError(f"{source}: its manifest.json is damaged (no schema or table counts)")
    return manifest


def _rows(archive: zipfile.ZipFile, name: str) -> Iterator[dict[str, Any]]:
    member = f"tables/{name}.jsonl"
    try:
        with archive.open(member) as raw:
            for number, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8"), start=1):
                if line.strip():
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        row = None
                    if not isinstance(row, dict):
                        raise BackupError(f"{member} line {number} is damaged")
                    yield row
    except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError) as error:
        raise BackupError(f"{member} is damaged ({error})") from None


def check_archive(archive: zipfile.ZipFile, manifest: dict[str, Any], held: set[str]) -> None:
    """Read every row of a ZIP backup once before the database is touched: a damaged backup changes nothing.

    Each line must be a JSON object, and each table hold the rows its manifest counts.
    """
    for name, listed in sorted(manifest["tables"].items()):
        if listed and name not in held:
            raise BackupError(f"the backup lists {name} but does not hold it")
    for name in sorted(held):
        count = sum(1 for _row in _rows(archive, name))
        listed = manifest["tables"].get(name, count)
        if count != listed:
            raise BackupError(f"tables/{name}.jsonl holds {count} rows, the manifest says {listed}")


def _converter(column) -> Any:
    kind = column.type
    if isinstance(kind, DateTime):
        return lambda value: None if value is None else datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return lambda value: None if value is None else date.fromisoformat(value)
    if isinstance(kind, Boolean):
        return lambda value: None if value is None else bool(value)
    if isinstance(kind, (Integer, Float, JSON)):
        return None
    return None


def restore_backup(engine: Engine, source: str | Path) -> dict[str, Any]:
    """Load a backup (ZIP, or a SQLite copy) into an empty database; returns {"tables": {name: rows}, ...}."""
    if is_sqlite_file(source):
        with _sqlite_engine(Path(source)) as copied:
            try:
                schema = current_revision(copied)
                counts = _counts(copied) if schema else {}
            except DatabaseError:
                raise BackupError(f"{source} is a damaged SQLite file") from None
            if schema is None:
                raise BackupError(f"{source} is a SQLite database but not a reqtrace one")
            tables = {table.name: table for table in _tables(copied)}

            def copied_rows(name: str) -> Iterator[dict[str, Any]]:
                table = tables[name]
                order = list(table.primary_key.columns) or list(table.columns)
                with copied.connect() as connection:
                    for row in connection.execute(select(table).order_by(*order)).mappings():
                        yield {key: _plain(value) for key, value in row.items()}  # as a ZIP backup holds it

            manifest = {"schema": schema, "tables": counts, "created_at": None}
            return _restore(engine, manifest, set(tables), copied_rows, str(source))
    manifest = read_manifest(source)
    with zipfile.ZipFile(source) as archive:
        held = {name[len("tables/"):-len(".jsonl")] for name in archive.namelist()
                if name.startswith("tables/") and name.endswith(".jsonl")}
        check_archive(archive, manifest, held)
        return _restore(engine, manifest, held, lambda name: _rows(archive, name), str(source))


def _restore(engine: Engine, manifest: dict[str, Any], held: set[str], rows_of, source: str) -> dict[str, Any]:
    """Load the rows of every table `held` (`rows_of(name)`: dicts as a ZIP backup holds them)."""
    if not is_empty(engine):
        raise BackupError("the database already holds data: restore only into an empty or new database")
    if current_revision(engine) not in (None, manifest["schema"]):
        # Empty but migrated further than the backup: start again from the backup's own schema.
        if any(inspect_schema(engine).get_table_names()):
            raise BackupError(f"the empty database is at schema {current_revision(engine)}, the backup at "
                              f"{manifest['schema']}: restore into a new database (or drop its tables)")
    upgrade(engine, manifest["schema"])
    loaded: dict[str, int] = {}
    with writer(engine).begin() as connection:
        for table in _tables(engine):
            member = f"tables/{table.name}.jsonl"
            if table.name not in held:
                if manifest["tables"].get(table.name):
                    raise BackupError(f"the backup lists {table.name} but does not hold it")
                continue
            converters = {column.name: _converter(column) for column in table.columns}
            known = set(converters)
            batch: list[dict[str, Any]] = []
            count = 0
            for row in rows_of(table.name):
                unknown = set(row) - known
                if unknown:
                    raise BackupError(f"{member}: columns {', '.join(sorted(unknown))} are not in table "
                                      f"{table.name} at schema {manifest['schema']}")
                batch.append({key: (converters[key](value) if converters[key] else value)
                              for key, value in row.items()})
                if len(batch) >= BATCH:
                    connection.execute(insert(table), batch)
                    count += len(batch)
                    batch = []
            if batch:
                connection.execute(insert(table), batch)
                count += len(batch)
            if count != manifest["tables"].get(table.name, count):
                raise BackupError(f"{member} holds {count} rows, the manifest says {manifest['tables'][table.name]}")
            loaded[table.name] = count
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection, _tables(engine))
    upgrade(engine)  # an older backup comes forward to this release's schema
    return {"schema": manifest["schema"], "now": current_revision(engine), "tables": loaded,
            "created_at": manifest.get("created_at")}


def _reset_sequences(connection, tables: list[Table]) -> None:
    """Rows came in with their ids; the next id a form creates must come after them."""
    for table in tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                sequence = connection.execute(text("SELECT pg_get_serial_sequence(:table, :column)"),
                                              {"table": table.name, "column": column.name}).scalar()
                if sequence:
                    connection.execute(text(f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column.name}") '
                                            f'FROM "{table.name}"), 0) + 1, false)'), {"sequence": sequence})
