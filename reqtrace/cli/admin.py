"""Setting up: the database, users, the demo and the server."""

from __future__ import annotations

import os
import socket
import sys

import click

from reqtrace import sample
from reqtrace.cli.base import command, emit_json, fail, json_option, main, obj
from reqtrace.config import describe_database
from reqtrace.db import head_revision, is_empty, session_scope, upgrade
from reqtrace.services import users as user_service
from reqtrace.vocab import USER_ROLE


@command(main, "init")
@json_option
def init_command(as_json: bool) -> None:
    """Create the database, or migrate it to the newest schema.

    Example: reqtrace --db postgresql://reqtrace@db/reqtrace init
    """
    context = obj()
    engine = context.engine(migrate=False, create=True)
    before, after = upgrade(engine)
    result = {"database": describe_database(context.url), "revision_before": before, "revision": after,
              "head": head_revision(), "changed": before != after}
    if as_json:
        emit_json(result)
    elif before is None:
        click.echo(f"Created the database at {result['database']} (schema {after}).")
    elif before != after:
        click.echo(f"Migrated {result['database']} from schema {before} to {after}.")
    else:
        click.echo(f"{result['database']} is already at the newest schema ({after}).")


@main.group("user")
def user_group() -> None:
    """Manage the people who log in.

    Example: echo 's3cret-pass' | reqtrace user add sam --role owner --password-stdin
    """


def _read_password(password_stdin: bool, password_prompt: bool = False, *, confirm: bool = True,
                   as_json: bool = False) -> str:
    """From standard input or a hidden prompt, and only when asked to: no command waits for input unasked."""
    if password_stdin and password_prompt:
        raise click.UsageError("--password-stdin and --password-prompt exclude each other: give one of them",
                               ctx=click.get_current_context(silent=True))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("the password read from standard input is empty: pipe the password in, e.g. "
                 "echo 's3cret-pass' | reqtrace user ... --password-stdin", as_json=as_json)
        return password
    if password_prompt:
        if not sys.stdin.isatty():
            fail("--password-prompt asks at a terminal, and standard input is not a terminal: pipe the password "
                 "in with --password-stdin instead", as_json=as_json)
        return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    fail("no password given: pipe it in with --password-stdin, or type it at a terminal with --password-prompt",
         as_json=as_json)


@command(user_group, "add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(USER_ROLE.slugs), help="admin is the CRM lead.")
@click.option("--display-name", default="", help="Name shown in the app and the audit trail.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--password-prompt", is_flag=True, help="Ask for the password at the terminal (typed twice, hidden).")
@json_option
def user_add(name: str, role: str, display_name: str, password_stdin: bool, password_prompt: bool,
             as_json: bool) -> None:
    """Add a user who logs in with NAME and a password.

    Example: echo 's3cret-pass' | reqtrace user add sam --role owner --password-stdin
    """
    password = _read_password(password_stdin, password_prompt, as_json=as_json)
    context = obj()
    with session_scope(context.engine(create=True), write=True) as session:
        user = user_service.add_user(session, username=name, role=role, password=password,
                                     display_name=display_name, actor=context.actor)
        result = {"username": user.username, "role": user.role, "display_name": user.display_name}
    emit_json(result) if as_json else click.echo(f"Added {name} ({USER_ROLE.label(role)}).")


@command(user_group, "passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@click.option("--password-prompt", is_flag=True, help="Ask for it at the terminal (typed twice, hidden).")
@json_option
def user_passwd(name: str, password_stdin: bool, password_prompt: bool, as_json: bool) -> None:
    """Set a new password for NAME; it ends every browser session NAME has open.

    Example: echo 'n3w-pass-word' | reqtrace user passwd lead --password-stdin
    """
    password = _read_password(password_stdin, password_prompt, as_json=as_json)
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        ended = user_service.set_password(session, username=name, password=password, actor=context.actor)
    if as_json:
        emit_json({"username": name, "changed": True, "sessions_ended": ended})
    else:
        click.echo(f"Changed the password of {name}{_ended(ended)}.")


@command(user_group, "edit")
@click.argument("name")
@click.option("--role", default=None, type=click.Choice(USER_ROLE.slugs), help="admin is the CRM lead.")
@click.option("--display-name", default=None, help="Name shown in the app and the audit trail.")
@click.option("--deactivate", is_flag=True, help="The account may no longer log in; its browser sessions end.")
@click.option("--activate", is_flag=True, help="The account may log in again.")
@json_option
def user_edit(name: str, role: str | None, display_name: str | None, deactivate: bool, activate: bool,
              as_json: bool) -> None:
    """Change NAME's role or display name, or stop (or let) the account log in.

    Example: reqtrace user edit sam --role procurement
    """
    if deactivate and activate:
        raise click.UsageError("--deactivate and --activate exclude each other: give one of them")
    active = False if deactivate else True if activate else None
    if role is None and display_name is None and active is None:
        raise click.UsageError("nothing to change: give --role, --display-name, --deactivate or --activate")
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        try:
            user = user_service.update_user(session, username=name, role=role, display_name=display_name,
                                            active=active, actor=context.actor)
            changed = True
        except user_service.UserUnchanged:
            user, changed = user_service.get_user(session, name), False
        result = {"username": user.username, "role": user.role, "display_name": user.display_name,
                  "active": user.active, "changed": changed}
    if as_json:
        emit_json(result)
    elif changed:
        click.echo(f"{name}: {USER_ROLE.label(user.role)}, shown as {user.display_name!r}"
                   f"{'' if user.active else ', may not log in'}.")
    else:
        click.echo(f"{name} already had these values: nothing changed.")


@command(user_group, "logout")
@click.argument("name")
@json_option
def user_logout(name: str, as_json: bool) -> None:
    """End every browser session NAME has open (a lost laptop, someone who left); the password stays.

    Example: reqtrace user logout evaluator
    """
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        ended = user_service.log_out_everywhere(session, username=name, actor=context.actor)
    if as_json:
        emit_json({"username": name, "sessions_ended": ended})
    else:
        click.echo(f"Logged {name} out{_ended(ended) or ': no browser was signed in'}.")


def _ended(count: int) -> str:
    return f"; ended {count} browser session{'s' if count != 1 else ''}" if count else ""


@command(user_group, "list")
@json_option
def user_list(as_json: bool) -> None:
    """List users and their roles.

    Example: reqtrace user list --json
    """
    with session_scope(obj().engine()) as session:
        rows = [{"username": u.username, "role": u.role, "display_name": u.display_name, "active": u.active}
                for u in user_service.list_users(session)]
    if as_json:
        emit_json({"users": rows})
        return
    for row in rows:
        click.echo(f"{row['username']:<16} {USER_ROLE.label(row['role']):<20} {row['display_name']}")


PORT = click.IntRange(1, 65535)
THREADS = click.IntRange(1, 1000)


@command(main, "demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=8000, show_default=True, type=PORT, help="Port to serve on (1-65535).")
@click.option("--no-serve", is_flag=True, help="Only prepare the sample data.")
@json_option
def demo_command(host: str, port: int, no_serve: bool, as_json: bool) -> None:
    """Fill an empty database with the sample project, then serve the web app.

    The users lead, owner, procurement and evaluator get a random password,
    printed once (or $REQTRACE_DEMO_PASSWORD, at least 8 characters).

    Example: reqtrace demo --port 8080
    """
    # Both checked before anything is created: a refused demo leaves no database behind.
    chosen = os.environ.get("REQTRACE_DEMO_PASSWORD")
    if chosen and len(chosen) < user_service.MIN_PASSWORD:
        fail(f"REQTRACE_DEMO_PASSWORD has {len(chosen)} characters, and a password has at least "
             f"{user_service.MIN_PASSWORD}: set a longer one, or unset it for a random password", as_json=as_json)
    if not no_serve:
        _check_listen(host, port, as_json=as_json)
    context = obj()
    engine = context.engine(create=True)
    created, password = False, None
    if is_empty(engine):
        password = chosen or sample.new_password()
        with session_scope(engine, write=True) as session:
            sample.build_sample(session, password=password)
        created = True
    url = f"http://{host}:{port}/"
    result = {"database": describe_database(context.url), "created": created, "project": sample.KEY,
              "url": None if no_serve else url,
              "users": [{"username": name, "role": role, "password": password}
                        for name, (role, _) in sample.USERS.items()]}
    if as_json:
        emit_json(result)
    elif created:
        click.echo(f"Sample project '{sample.KEY}' created in {result['database']}.")
        click.echo("Log in as one of these users (the password is shown only now):")
        for name, (role, _) in sample.USERS.items():
            click.echo(f"  {name:<12} {USER_ROLE.label(role):<18} password: {password}")
        click.echo("Try: the ranking (reqtrace score --project crm), the Atlas demo session's checklist "
                   "(Demo sessions, as evaluator) and Keystone's consensus view (as lead).")
    else:
        click.echo(f"{result['database']} already holds data; the demo left it as it was.")
        click.echo("Reset a demo password with: reqtrace user passwd lead --password-prompt")
    if not no_serve:
        _serve(host, port, quiet=as_json)


@command(main, "serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=8000, show_default=True, type=PORT, help="Port to serve on (1-65535).")
@click.option("--threads", default=8, show_default=True, type=THREADS, help="Worker threads (1-1000).")
def serve_command(host: str, port: int, threads: int) -> None:
    """Serve the web app with waitress (a production server).

    Example: reqtrace serve --host 0.0.0.0 --port 8080
    """
    _check_listen(host, port)
    _serve(host, port, threads=threads)


def _serve(host: str, port: int, *, threads: int = 8, quiet: bool = False) -> None:
    import logging

    from waitress.server import create_server

    # Who did what, one line per request, on stderr (a service manager keeps it); see web/access_log.py.
    logging.basicConfig(level=os.environ.get("REQTRACE_LOG_LEVEL", "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")

    from web import create_app  # the core never imports Flask at module level

    context = obj()
    context.engine(create=True)  # migrate before the first request
    app = create_app({"DATABASE_URL": context.url})
    try:
        # waitress drops X-Forwarded-* headers unless told otherwise; with trusted proxies the app reads them.
        server = create_server(app, host=host, port=port, threads=threads, ident="reqtrace",
                               clear_untrusted_proxy_headers=not app.config["TRUSTED_PROXIES"])
    except (OSError, ValueError) as error:  # taken since _check_listen looked, or refused by waitress itself
        _cannot_listen(host, port, error, as_json=quiet)
        return
    if not quiet:
        click.echo(f"Serving reqtrace on http://{_address(host, port)}/ (database {describe_database(context.url)}). "
                   "Press Ctrl+C to stop.")
    server.run()


def _check_listen(host: str, port: int, *, as_json: bool = False) -> None:
    """Refuse an address the server could not listen on (a mistyped host, a port in use) before anything starts.

    Binds and closes a socket on each address HOST resolves to, as waitress will (SO_REUSEADDR included).
    """
    try:
        addresses = socket.getaddrinfo(None if host == "*" else host, port,
                                       socket.AF_UNSPEC if socket.has_ipv6 else socket.AF_INET,
                                       socket.SOCK_STREAM, socket.IPPROTO_TCP, socket.AI_PASSIVE)
        for family, kind, protocol, _name, address in addresses:
            with socket.socket(family, kind, protocol) as probe:
                if os.name == "posix":
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
    except (OSError, UnicodeError) as error:  # socket.gaierror is an OSError; an over-long name a UnicodeError
        _cannot_listen(host, port, error, as_json=as_json)


def _cannot_listen(host: str, port: int, error: Exception, *, as_json: bool) -> None:
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    fail(f"cannot listen on {_address(host, port)}: {reason}", as_json=as_json)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
