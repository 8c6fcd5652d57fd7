"""The command group, the shared `--db` and `--json` options, and output helpers."""

from __future__ import annotations

import functools
import getpass
import io
import json
import atexit
import os
import shutil
import sqlite3
import stat
import sys
import tempfile
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import click
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, InterfaceError, NoSuchModuleError

from reqtrace import __version__
from reqtrace.config import describe_database, resolve_database_url, sqlite_path
from reqtrace.db import dispose_all, ensure_schema, get_engine
from reqtrace.formats import FormatError
from reqtrace.services.errors import Invalid, NotFound, ServiceError

SIGPIPE_EXIT = 141  # what a shell reports for a program ended by SIGPIPE (128 + 13)


class Context:
    def __init__(self, database: str | None = None):
        self.database = database

    @property
    def url(self) -> str:
        return resolve_database_url(self.database)

    def engine(self, *, migrate: bool = True, create: bool = False, dry_run: bool = False) -> Engine:
        """The database's engine, migrated unless told not to.

        Only commands that set up or fill a database (`create`) may start a new SQLite file: any other command
        given a mistyped path refuses it, rather than leave a new empty database and its folders behind. A
        `dry_run` of such a command, on a SQLite file not there yet, previews against an empty scratch
        database that is gone when the command ends: a dry run creates nothing.
        """
        path = sqlite_path(self.url)
        if path is not None and dry_run and not path.exists():
            return _scratch_engine()
        if path is not None:
            _check_sqlite_file(path, create=create and not dry_run)
        engine = get_engine(self.url)
        if migrate:
            ensure_schema(engine)
        return engine

    @property
    def actor(self) -> str:
        """Who the audit trail names for CLI changes."""
        return os.environ.get("REQTRACE_ACTOR") or f"cli:{_os_user()}"


def _scratch_engine() -> Engine:
    folder = tempfile.mkdtemp(prefix="reqtrace-dry-run-")
    atexit.register(shutil.rmtree, folder, True)
    engine = get_engine(f"sqlite:///{folder}/dry-run.db")
    ensure_schema(engine)
    return engine


def _check_sqlite_file(path: Path, *, create: bool) -> None:
    """Refuse a SQLite file that is missing (unless `create`) or holds another program's tables.

    Opening it would make it reqtrace's: migrated, and switched to WAL. A file that is no database at all is
    left to the engine, whose error names it.
    """
    if not path.is_file():
        if not create:
            raise NotFound(f"there is no database at {path}: check --db (or REQTRACE_DATABASE_URL), "
                           "or create one with `reqtrace init`")
        return
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            tables = {name for name, in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return
    if "alembic_version" in tables or (create and not tables):
        return
    if not tables:
        raise NotFound(f"{path} is an empty file, not a reqtrace database: check --db, or make it one with "
                       "`reqtrace init`")
    shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
    raise NotFound(f"{path} is a SQLite database of another program (tables {shown}), not a reqtrace one: "
                   "reqtrace leaves it untouched; give --db a reqtrace database, or a new file for `reqtrace init`")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def _set_db(ctx: click.Context, _param, value):
    if value is not None and not value.strip():
        # An empty value is almost always an unset shell variable (--db "$DB"): never fall back to the default.
        raise click.BadParameter("is empty: give a database URL or a SQLite file path", param_hint="--db")
    if value:
        ctx.ensure_object(Context).database = value
    return value


db_option = click.option("--db", "db", metavar="URL", expose_value=False, callback=_set_db, is_eager=True,
                         help="Database URL (or a SQLite file path). Default: $REQTRACE_DATABASE_URL, "
                              "else a SQLite file in the per-user data folder.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON document.")


class Group(click.Group):
    """Click's group, except that with `--json` a usage error is a JSON document too (exit 2 as ever)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        _whole_writes_to_a_pipe()
        try:
            super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except click.ClickException as error:
            if "--json" in argv:
                emit_json({"ok": False, "error": error.format_message(), "errors": []})
            else:
                error.show()
            sys.exit(error.exit_code)
        try:
            sys.stdout.flush()
        except BrokenPipeError:  # the end of the output met a reader that had gone
            _stdout_closed()
        sys.exit(0)


class _WholeWrites(io.RawIOBase):
    """stdout's bytes, written whole or not at all: a short write to a pipe is continued until done.

    Python's own stdout takes a short write (a pipe whose reader leaves mid-way through a large write) as
    written and drops the rest silently, so `reqtrace … --json | head -c 1` would exit 0 with half a
    document. Continuing the write meets EPIPE instead: BrokenPipeError, and exit 141 as for SIGPIPE. A
    reader that leaves after everything was written changes nothing: exit 0, as for any program.
    """

    def __init__(self, descriptor: int):
        super().__init__()
        self._descriptor = descriptor

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._descriptor

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            done += os.write(self._descriptor, view[done:])
        return done


def _whole_writes_to_a_pipe() -> None:
    """When stdout is a pipe, write it through `_WholeWrites`."""
    try:
        descriptor = sys.stdout.fileno()
        if not stat.S_ISFIFO(os.fstat(descriptor).st_mode):
            return
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):  # no real file behind stdout
        return
    sys.stdout.flush()
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(_WholeWrites(descriptor)), encoding=sys.stdout.encoding,
                                  errors=sys.stdout.errors, line_buffering=sys.stdout.line_buffering)


def _stdout_closed() -> None:
    """The reader of stdout went away (`reqtrace trace matrix | head -1`): stop quietly, exit 141 like SIGPIPE.

    Python's recipe: point stdout at /dev/null, so flushing it on the way out raises no second error.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # no real file behind stdout (a test's runner)
        pass
    sys.exit(SIGPIPE_EXIT)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="reqtrace")
@db_option
@click.pass_context
def main(ctx: click.Context) -> None:
    """reqtrace: strategies drive roles, roles demand processes, processes need
    requirements, and vendors prove them in a scripted demo.

    Example: reqtrace --db postgresql://reqtrace@db/reqtrace trace check --project crm
    """
    ctx.ensure_object(Context)


def command(group: click.Group, name: str | None = None, **kwargs) -> Callable:
    """Register a command on `group` with `--db`, turning service refusals into exit 1."""
    def decorate(function: Callable) -> click.Command:
        @functools.wraps(function)
        def wrapper(*args, **options):
            as_json = options.get("as_json", False)
            try:
                return function(*args, **options)
            except (ServiceError, FormatError) as error:  # refused, or a workbook that cannot be read or written
                fail(error, as_json=as_json)
            except BrokenPipeError:  # stdout's reader went away (`| head -1`): no file's fault, nothing to say
                _stdout_closed()
            except OSError as error:  # a file that cannot be written or read: say which and why
                where = getattr(error, "filename", None) or ""
                fail(f"{where}: {error.strerror or error}" if where else str(error), as_json=as_json)
            except IntegrityError:
                raise  # a bug, not the database's fault: keep the traceback
            except (DatabaseError, InterfaceError) as error:
                # An unreachable or unusable database (or a file that is none): say which, without a traceback.
                reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
                fail(f"cannot use the database {_database_named()}: {reason}", as_json=as_json)
            except (NoSuchModuleError, ArgumentError) as error:
                fail(f"cannot use the database {_database_named()}: {error} (reqtrace works with sqlite:///FILE "
                     "and postgresql://USER@HOST/NAME URLs, or a SQLite file path)", as_json=as_json)
            except ModuleNotFoundError as error:
                if _backend() in ("sqlite", "postgresql"):
                    raise  # a module of reqtrace's own set-up is missing: that is no database's fault
                fail(f"cannot use the database {_database_named()}: its driver ({error.name}) is not installed; "
                     "reqtrace works with SQLite and PostgreSQL", as_json=as_json)
        return group.command(name, **kwargs)(db_option(wrapper))
    return decorate


def _backend() -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(obj().url).get_backend_name()
    except Exception:
        return ""


def _database_named() -> str:
    try:
        return describe_database(obj().url)
    except Exception:  # a URL too broken to describe
        return repr(obj().database or "")


@contextmanager
def removed_if_refused(url: str) -> Iterator[None]:
    """A SQLite file this command starts (and the folders made for it) is removed again if the command fails.

    So a refused `restore` into a new file leaves nothing behind. A file that was there already is never
    touched here.
    """
    path = sqlite_path(url)
    if path is None or path.exists():
        yield
        return
    path = path.absolute()
    new_folders, folder = [], path.parent
    while not folder.exists():  # innermost first
        new_folders.append(folder)
        folder = folder.parent
    try:
        yield
    except BaseException as error:
        if not (isinstance(error, SystemExit) and error.code in (0, None)):
            dispose_all()  # close the file before it goes (one command runs per process)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            for made in new_folders:
                try:
                    made.rmdir()
                except OSError:  # something else was put there meanwhile: leave it
                    break
        raise


def check_output(path, *, as_json: bool) -> None:
    """An output file's folder must exist: say so before any work is done."""
    folder = Path(path).expanduser().resolve().parent
    if not folder.is_dir():
        fail(f"{path}: the folder {folder} does not exist", as_json=as_json)


def fail(error: Exception | str, *, as_json: bool = False, code: int = 1) -> None:
    message = str(error)
    problems = getattr(error, "problems", [])
    if as_json:
        emit_json({"ok": False, "error": message,
                   "errors": [{"field": p.field, "message": p.message} for p in problems]})
    else:
        click.echo(f"error: {message}", err=True)
    sys.exit(code)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def obj(ctx: click.Context | None = None) -> Context:
    return (ctx or click.get_current_context()).ensure_object(Context)


__all__ = ["main", "command", "fail", "emit_json", "obj", "json_option", "db_option", "Invalid"]
