"""Backup and restore from the command line (the format is described in reqtrace/backup.py and docs/cli.md)."""

from __future__ import annotations

import click

from reqtrace.backup import BackupError, restore_backup, write_backup, write_sqlite_copy
from reqtrace.cli.base import command, emit_json, fail, json_option, main, obj, removed_if_refused
from reqtrace.config import describe_database


@command(main, "backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The backup file to write.")
@click.option("--format", "kind", type=click.Choice(["zip", "sqlite"]), default="zip", show_default=True,
              help="zip: one portable file for SQLite or PostgreSQL; sqlite: a SQLite database copied with "
                   "SQLite's online backup, which opens as it is.")
@json_option
def backup_command(output: str, kind: str, as_json: bool) -> None:
    """Write the whole database to one file, safely while the app runs.

    Example: reqtrace backup -o reqtrace-2026-12-01.zip
    """
    context = obj()
    try:
        write = write_sqlite_copy if kind == "sqlite" else write_backup
        manifest = write(context.engine(migrate=False), output)
    except BackupError as error:
        fail(error, as_json=as_json)
        return
    if as_json:
        emit_json({"ok": True, "file": output, **manifest})
        return
    click.echo(f"Backed up {describe_database(context.url)} to {output}: "
               f"{sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables "
               f"(schema {manifest['schema']}).")


@command(main, "restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@json_option
def restore_command(source: str, as_json: bool) -> None:
    """Load a backup into an empty or new database (refuses one that holds data).

    Example: reqtrace --db postgresql://reqtrace@db/reqtrace restore reqtrace-2026-12-01.zip
    """
    context = obj()
    with removed_if_refused(context.url):  # a refused restore into a new SQLite file leaves no file behind
        try:
            result = restore_backup(context.engine(migrate=False, create=True), source)
        except BackupError as error:
            fail(error, as_json=as_json)
            return
    if as_json:
        emit_json({"ok": True, "database": describe_database(context.url), **result})
        return
    click.echo(f"Restored {sum(result['tables'].values())} rows into {describe_database(context.url)} "
               f"(backup schema {result['schema']}, now {result['now']}).")
