"""The command line contract: commands, exit codes, JSON output and help, as scripts depend on them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
import openpyxl
import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from reqtrace import __version__
from reqtrace.db import dispose_all, head_revision, make_engine
from reqtrace.model import Process, Requirement, Strategy
from reqtrace.services.items import set_status
from reqtrace.services.projects import get_project
from reqtrace.services.users import authenticate
from reqtrace.cli import main
from tests.catalog.catalogue_files import chain, item, write

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "long-enough-password"
DEMO_PASSWORD = "demo-password-for-tests"


@pytest.fixture(autouse=True)
def close_engines():
    """The CLI caches one engine per URL; close them so temporary files can go."""
    yield
    dispose_all()


@pytest.fixture
def database(cli_env) -> Path:
    return cli_env / "reqtrace.db"


@pytest.fixture
def run(database):
    """Run `reqtrace --db <test database> ARGS...`; returns click's Result (stdout and stderr apart)."""
    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return CliRunner().invoke(main, ["--db", f"sqlite:///{database}", *args], input=input, env=env)
    return invoke


def two_branch_catalogue(folder: Path, statement: str = "Keep them.") -> Path:
    """STR-1 drives ROL-1 and ROL-2, each with a process and a requirement."""
    if folder.exists():
        shutil.rmtree(folder)
    return write(folder, {"a.toml": (
        item("strategy", statement=statement)
        + item("role", id="ROL-1") + item("role", id="ROL-2", title="Inside rep")
        + item("process", id="PRC-1", roles=["ROL-1"]) + item("process", id="PRC-2", roles=["ROL-2"])
        + item("requirement", id="REQ-1", processes=["PRC-1"])
        + item("requirement", id="REQ-2", title="Quote by phone", processes=["PRC-2"]))})


def session_for(database: Path) -> Session:
    return Session(make_engine(f"sqlite:///{database}"))


# --- version and database selection ---------------------------------------------------------

def test_version_prints_the_package_version(run):
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_python_dash_m_reqtrace_prints_the_version(cli_env):
    result = subprocess.run([sys.executable, "-m", "reqtrace", "--version"], capture_output=True, text=True,
                            cwd=ROOT, timeout=60, env={**os.environ, "REQTRACE_HOME": str(cli_env / "home")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"reqtrace, version {__version__}"


def test_init_creates_the_database_then_finds_it_current(run, database):
    first = run("init")
    assert first.exit_code == 0, first.output
    assert "Created" in first.stdout
    assert database.exists()
    second = run("init")
    assert second.exit_code == 0
    assert "already at the newest schema" in second.stdout


def test_init_json_reports_the_revisions(run):
    first = json.loads(run("init", "--json").stdout)
    assert set(first) >= {"database", "revision_before", "revision", "head", "changed"}
    assert (first["revision_before"], first["revision"], first["head"]) == (None, head_revision(), head_revision())
    assert first["changed"] is True
    second = json.loads(run("init", "--json").stdout)
    assert (second["revision_before"], second["changed"]) == (head_revision(), False)


def test_database_url_from_the_environment_is_used(cli_env, monkeypatch):
    target = cli_env / "from-env.db"
    monkeypatch.setenv("REQTRACE_DATABASE_URL", f"sqlite:///{target}")
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert target.exists()
    assert not (cli_env / "home" / "reqtrace.db").exists()


def test_db_option_wins_over_the_environment(cli_env, monkeypatch):
    monkeypatch.setenv("REQTRACE_DATABASE_URL", f"sqlite:///{cli_env / 'from-env.db'}")
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{cli_env / 'explicit.db'}", "init"])
    assert result.exit_code == 0
    assert (cli_env / "explicit.db").exists() and not (cli_env / "from-env.db").exists()


def test_without_db_or_environment_a_local_sqlite_file_is_used(cli_env):
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert (cli_env / "home" / "reqtrace.db").exists()


def test_db_option_accepts_a_bare_file_path(cli_env):
    result = CliRunner().invoke(main, ["--db", str(cli_env / "plain.db"), "init"])
    assert result.exit_code == 0, result.output
    assert (cli_env / "plain.db").exists()


# --- users ----------------------------------------------------------------------------------

def test_user_added_with_password_stdin_can_log_in(run, database):
    result = run("user", "add", "sam", "--role", "owner", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "sam" in result.stdout
    with session_for(database) as session:
        assert authenticate(session, "sam", PASSWORD) is not None
        assert authenticate(session, "sam", PASSWORD + "\n") is None


def test_user_add_without_a_password_on_a_pipe_fails_with_a_hint(run):
    result = run("user", "add", "sam", "--role", "owner")
    assert result.exit_code == 1
    assert "--password-stdin" in result.stderr


def test_user_add_without_a_password_does_not_wait_for_input(cli_env):
    """A script with no terminal gets an error at once instead of a hidden prompt."""
    result = subprocess.run([sys.executable, "-m", "reqtrace", "--db", f"sqlite:///{cli_env / 'x.db'}", "user",
                             "add", "sam", "--role", "owner"], stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, cwd=ROOT, timeout=60, env={**os.environ, "REQTRACE_HOME": str(cli_env)})
    assert result.returncode == 1
    assert "--password-stdin" in result.stderr


def _at_a_terminal(args: list[str], cli_env, answers: list[bytes] = ()) -> tuple[int, bytes]:
    """Run reqtrace with a pseudo-terminal as its input and output; answer each prompt in turn."""
    import select as select_module

    import fcntl
    import termios

    def own_terminal():  # the pseudo-terminal becomes the child's controlling terminal: getpass reads /dev/tty
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    main_fd, terminal = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "reqtrace", *args], stdin=terminal, stdout=terminal,
                               stderr=terminal, cwd=ROOT, env={**os.environ, "REQTRACE_HOME": str(cli_env)},
                               preexec_fn=own_terminal)
    os.close(terminal)
    output, pending, deadline = b"", list(answers), time.monotonic() + 60
    try:
        while process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select_module.select([main_fd], [], [], 0.2)
            if ready:
                try:
                    output += os.read(main_fd, 4096)
                except OSError:
                    break
                # Click writes "Password:", then getpass flushes the terminal's input and writes " ": answer
                # only after that space, or the flush throws the answer away.
                if pending and output.endswith(b": "):
                    os.write(main_fd, pending.pop(0))
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main_fd)
    return code, output


def test_user_add_at_a_terminal_does_not_wait_unless_asked_to_prompt(cli_env):
    """DESIGN.md: no command waits for input unless asked to — at a terminal too."""
    url = f"sqlite:///{cli_env / 'tty.db'}"
    code, output = _at_a_terminal(["--db", url, "user", "add", "sam", "--role", "owner"], cli_env)
    assert code == 1 and b"--password-prompt" in output and b"Password" not in output
    code, output = _at_a_terminal(["--db", url, "user", "add", "sam", "--role", "owner", "--password-prompt"],
                                  cli_env, [PASSWORD.encode() + b"\n", PASSWORD.encode() + b"\n"])
    assert code == 0, output
    assert b"Password" in output and PASSWORD.encode() not in output  # hidden as typed


def test_short_password_is_refused(run):
    result = run("user", "add", "sam", "--role", "owner", "--password-stdin", input="short\n")
    assert result.exit_code == 1
    assert "at least 8 characters" in result.stderr


def test_unknown_role_is_refused_by_the_option(run):
    result = run("user", "add", "sam", "--role", "king", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 2
    assert "admin" in result.stderr and "evaluator" in result.stderr


def test_user_list_json_lists_users_with_their_roles(run):
    for name, role in (("sam", "owner"), ("ada", "admin")):
        assert run("user", "add", name, "--role", role, "--password-stdin", input=PASSWORD + "\n").exit_code == 0
    data = json.loads(run("user", "list", "--json").stdout)
    assert [(user["username"], user["role"], user["active"]) for user in data["users"]] == \
        [("ada", "admin", True), ("sam", "owner", True)]


# --- catalogue and trace --------------------------------------------------------------------

def test_loaded_catalogue_passes_trace_check(run, cli_env):
    folder = two_branch_catalogue(cli_env / "catalogue")
    load = run("catalog", "load", str(folder), "--project", "crm", "--status", "approved")
    assert load.exit_code == 0, load.output
    assert "7 added" in load.stdout
    result = run("trace", "check", "--project", "crm", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["technology_driven"], data["unsupported_strategies"], data["suspect_links"]) == ([], [], [])
    assert data["ok"] is True


def test_catalogue_load_review_and_check_on_each_backend(database_url, cli_env):
    """The same commands against a migrated database on SQLite and, when configured, PostgreSQL."""
    def run_on(*args: str):
        return CliRunner().invoke(main, ["--db", database_url, *args])

    folder = two_branch_catalogue(cli_env / "catalogue")
    assert run_on("catalog", "load", str(folder), "--project", "crm").exit_code == 0
    two_branch_catalogue(folder, statement="Changed.")
    assert run_on("catalog", "load", str(folder), "--project", "crm").exit_code == 0
    check = run_on("trace", "check", "--project", "crm", "--json")
    assert (check.exit_code, json.loads(check.stdout)["suspect_links"]) == (1, ["STR-1->ROL-1", "STR-1->ROL-2"])
    assert run_on("trace", "review", "STR-1", "--project", "crm").exit_code == 0
    assert run_on("trace", "check", "--project", "crm").exit_code == 0


def test_shipped_catalogue_loads_by_default_and_passes_trace_check(run):
    load = run("catalog", "load", "--project", "crm", "--json")
    assert load.exit_code == 0, load.output
    assert json.loads(load.stdout)["added"] >= 150
    assert run("trace", "check", "--project", "crm").exit_code == 0


def test_catalogue_load_creates_new_items_as_drafts_and_keeps_statuses_on_reload(run, cli_env, database):
    folder = two_branch_catalogue(cli_env / "catalogue")
    run("catalog", "load", str(folder), "--project", "crm", "--status", "approved")
    run("catalog", "load", str(folder), "--project", "crm")
    with session_for(database) as session:
        statuses = set(session.exec(select(Strategy.status)).all())
    assert statuses == {"approved"}


def test_unsupported_strategy_fails_trace_check(run, cli_env):
    folder = write(cli_env / "catalogue", {"a.toml": chain(1) + item("strategy", id="STR-2", title="Lonely")})
    assert run("catalog", "load", str(folder), "--project", "crm").exit_code == 0
    result = run("trace", "check", "--project", "crm", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["unsupported_strategies"] == ["STR-2"]
    assert data["ok"] is False


def test_edited_strategy_makes_links_suspect_until_reviewed(run, cli_env):
    folder = two_branch_catalogue(cli_env / "catalogue")
    assert run("catalog", "load", str(folder), "--project", "crm").exit_code == 0

    two_branch_catalogue(folder, statement="Keep them, and grow their share of spend.")
    reload = run("catalog", "load", str(folder), "--project", "crm")
    assert reload.exit_code == 0
    assert "1 changed" in reload.stdout and "STR-1" in reload.stdout

    check = run("trace", "check", "--project", "crm", "--json")
    assert check.exit_code == 1
    data = json.loads(check.stdout)
    assert data["suspect_links"] == ["STR-1->ROL-1", "STR-1->ROL-2"]
    assert (data["technology_driven"], data["unsupported_strategies"]) == ([], [])

    text = run("trace", "check", "--project", "crm")
    assert text.exit_code == 1 and "STR-1->ROL-1" in text.stdout and "STR-1->ROL-2" in text.stdout

    review = run("trace", "review", "STR-1", "--project", "crm")
    assert review.exit_code == 0
    assert "STR-1->ROL-1" in review.stdout and "STR-1->ROL-2" in review.stdout
    assert run("trace", "check", "--project", "crm").exit_code == 0


def test_reviewing_again_says_there_was_nothing_to_review(run, cli_env):
    folder = two_branch_catalogue(cli_env / "catalogue")
    run("catalog", "load", str(folder), "--project", "crm")
    result = run("trace", "review", "ROL-1", "--project", "crm", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["reviewed"] == []


def test_dry_run_on_a_new_project_writes_nothing(run, cli_env, database):
    folder = two_branch_catalogue(cli_env / "catalogue")
    result = run("catalog", "load", str(folder), "--project", "crm", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["applied"], summary["added"]) == (False, 7)
    check = run("trace", "check", "--project", "crm")
    assert check.exit_code == 1 and "there is no database" in check.stderr  # the preview created none


def test_dry_run_on_an_existing_project_shows_the_change_without_making_it(run, cli_env, database):
    folder = two_branch_catalogue(cli_env / "catalogue")
    run("catalog", "load", str(folder), "--project", "crm")
    two_branch_catalogue(folder, statement="Rewritten.")
    result = run("catalog", "load", str(folder), "--project", "crm", "--dry-run", "--json")
    summary = json.loads(result.stdout)
    assert (summary["applied"], summary["changed"]) == (False, 1)
    assert summary["items"][0]["changes"] == [{"field": "statement", "before": "Keep them.", "after": "Rewritten."}]
    with session_for(database) as session:
        assert session.exec(select(Strategy.statement)).one() == "Keep them."
    assert run("trace", "check", "--project", "crm").exit_code == 0


def test_broken_catalogue_exits_1_and_names_the_problem(run, cli_env):
    folder = write(cli_env / "catalogue", {"a.toml": chain(1) + item("requirement", id="REQ-2", priority="banana")})
    result = run("catalog", "load", str(folder), "--project", "crm")
    assert result.exit_code == 1
    assert "a.toml" in result.stderr and "REQ-2" in result.stderr and "banana" in result.stderr


def test_trace_matrix_and_impact_follow_the_chain(run, cli_env):
    run("catalog", "load", str(two_branch_catalogue(cli_env / "catalogue")), "--project", "crm")
    rows = json.loads(run("trace", "matrix", "--project", "crm", "--json").stdout)["rows"]
    assert [(row["id"], row["strategies"], row["roles"]) for row in rows] == \
        [("REQ-1", ["STR-1"], ["ROL-1"]), ("REQ-2", ["STR-1"], ["ROL-2"])]
    impact = json.loads(run("trace", "impact", "ROL-2", "--project", "crm", "--json").stdout)
    assert (impact["processes"], impact["requirements"]) == (["PRC-2"], ["REQ-2"])


# --- baselines ------------------------------------------------------------------------------

def test_baseline_create_names_the_links_to_items_it_does_not_hold(run, cli_env, database):
    run("catalog", "load", str(two_branch_catalogue(cli_env / "catalogue")), "--project", "crm",
        "--status", "approved")
    with session_for(database) as session:
        project = get_project(session, "crm")
        process = session.exec(select(Process).where(Process.hid == "PRC-2")).one()
        set_status(session=session, project=project, kind="process", item=process, status="draft", actor="lead")
        session.commit()
    created = run("baseline", "create", "B1", "--project", "crm", "--json")
    assert created.exit_code == 0, created.output
    data = json.loads(created.stdout)
    assert data["counts"] == {"strategy": 1, "role": 2, "process": 1, "requirement": 2}
    assert data["links_outside"] == [{"kind": "requirement", "id": "REQ-2", "links_to": "PRC-2"}]
    text = run("baseline", "create", "B2", "--project", "crm")
    assert text.stdout.splitlines()[1] == ("1 frozen item links to items above that were not approved, so are not in "
                                           "this baseline: REQ-2 → PRC-2.")


# --- vendors --------------------------------------------------------------------------------

def test_vendor_add_and_list(run, cli_env):
    run("catalog", "load", str(two_branch_catalogue(cli_env / "catalogue")), "--project", "crm")
    added = run("vendor", "add", "atlas", "--project", "crm", "--name", "Atlas Field Systems",
                "--deployment", "offline", "--cost", "1450000")
    assert added.exit_code == 0, added.output
    assert "atlas" in added.stdout
    listed = run("vendor", "list", "--project", "crm")
    assert "Atlas Field Systems" in listed.stdout and "1,450,000" in listed.stdout


def test_vendor_list_json(run, cli_env):
    run("catalog", "load", str(two_branch_catalogue(cli_env / "catalogue")), "--project", "crm")
    for slug, deployment in (("nimbus", "saas"), ("atlas", "hybrid-offline")):
        run("vendor", "add", slug, "--project", "crm", "--name", slug.title(), "--deployment", deployment)
    data = json.loads(run("vendor", "list", "--project", "crm", "--json").stdout)
    assert [(row["slug"], row["deployment"]) for row in data["vendors"]] == \
        [("atlas", "hybrid-offline"), ("nimbus", "hosted-only")]


def test_vendor_with_an_unknown_deployment_is_refused(run, cli_env):
    run("catalog", "load", str(two_branch_catalogue(cli_env / "catalogue")), "--project", "crm")
    result = run("vendor", "add", "atlas", "--project", "crm", "--name", "Atlas", "--deployment", "mainframe")
    assert result.exit_code == 1
    assert "mainframe" in result.stderr and "hybrid-offline" in result.stderr
    assert json.loads(run("vendor", "list", "--project", "crm", "--json").stdout)["vendors"] == []


def test_vendor_edit_changes_what_is_given_and_the_ranking_knows(run, cli_env):
    run("catalog", "load", str(two_branch_catalogue(cli_env / "catalogue")), "--project", "crm")
    run("vendor", "add", "atlas", "--project", "crm", "--name", "Atlas", "--deployment", "thin-client",
        "--cost", "1000000", "--notes", "first call went well")
    edited = run("vendor", "edit", "atlas", "--project", "crm", "--cost", "1200000", "--flag", "contract first",
                 "--version", "1", "--json")
    assert edited.exit_code == 0, edited.output
    data = json.loads(edited.stdout)
    assert (data["cost_5y"], data["flags"], data["version"], data["changed"]) == \
        (1200000.0, ["contract-before-poc"], 2, ["flags", "cost_5y"])
    assert (data["name"], data["deployment"], data["notes"]) == ("Atlas", "thin-client", "first call went well")
    ranked = json.loads(run("score", "--project", "crm", "--json").stdout)["vendors"]
    assert ranked[0]["knockout_reasons"] == ["asked for a contract before the proof of concept"]
    text = run("vendor", "edit", "atlas", "--project", "crm", "--no-flags", "--cost", "")
    assert text.exit_code == 0 and text.stdout == "Vendor atlas is now version 3: changed flags, cost_5y.\n"
    listed = json.loads(run("vendor", "list", "--project", "crm", "--json").stdout)["vendors"][0]
    assert (listed["flags"], listed["cost_5y"], listed["version"]) == ([], None, 3)


def test_vendor_edit_with_the_same_values_changes_nothing(run, cli_env):
    run("catalog", "load", str(two_branch_catalogue(cli_env / "catalogue")), "--project", "crm")
    run("vendor", "add", "atlas", "--project", "crm", "--name", "Atlas", "--deployment", "thin-client")
    same = run("vendor", "edit", "atlas", "--project", "crm", "--deployment", "web")
    assert same.exit_code == 0
    assert same.stdout == "Vendor atlas already had these values: nothing changed (still version 1).\n"
    assert json.loads(run("vendor", "edit", "atlas", "--project", "crm", "--name", "Atlas", "--json")
                      .stdout)["changed"] == []


@pytest.mark.parametrize("args, exit_code, message", [
    (["--cost", "cheap"], 1, "cost_5y: 'cheap' is not a cost"),
    (["--deployment", "mainframe"], 1, "mainframe"),
    (["--version", "7", "--name", "Atlas Inc"], 1, "you edited version 7, it is now version 1"),
    (["--flag", "contract-before-poc", "--no-flags"], 2, "give --flag or --no-flags, not both"),
    ([], 2, "nothing to change"),
])
def test_bad_vendor_edits_are_refused_and_change_nothing(run, cli_env, args, exit_code, message):
    run("catalog", "load", str(two_branch_catalogue(cli_env / "catalogue")), "--project", "crm")
    run("vendor", "add", "atlas", "--project", "crm", "--name", "Atlas", "--deployment", "thin-client")
    refused = run("vendor", "edit", "atlas", "--project", "crm", *args)
    assert refused.exit_code == exit_code
    assert message in refused.stderr
    listed = json.loads(run("vendor", "list", "--project", "crm", "--json").stdout)["vendors"]
    assert [(v["name"], v["deployment"], v["cost_5y"], v["flags"], v["version"]) for v in listed] == \
        [("Atlas", "thin-client", None, [], 1)]


def test_editing_an_unknown_vendor_is_refused(run, cli_env):
    run("catalog", "load", str(two_branch_catalogue(cli_env / "catalogue")), "--project", "crm")
    refused = run("vendor", "edit", "ghost", "--project", "crm", "--name", "Ghost", "--json")
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["error"] == "no vendor 'ghost' in project crm"


def test_vendor_for_an_unknown_project_is_refused(run):
    assert run("init").exit_code == 0
    result = run("vendor", "add", "atlas", "--project", "nope", "--name", "Atlas", "--deployment", "thin-client")
    assert result.exit_code == 1
    assert "nope" in result.stderr


# --- demo -----------------------------------------------------------------------------------

def test_demo_fills_an_empty_database_and_prints_the_password(run, database):
    result = run("demo", "--no-serve", env={"REQTRACE_DEMO_PASSWORD": DEMO_PASSWORD})
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.stdout
    with session_for(database) as session:
        assert get_project(session, "crm").key == "crm"
        for username in ("lead", "owner", "procurement", "evaluator"):
            assert authenticate(session, username, DEMO_PASSWORD) is not None, username
    users = json.loads(run("user", "list", "--json").stdout)["users"]
    assert {(user["username"], user["role"]) for user in users} == \
        {("lead", "admin"), ("owner", "owner"), ("procurement", "procurement"), ("evaluator", "evaluator")}
    assert run("trace", "check", "--project", "crm").exit_code == 0


def test_demo_without_a_set_password_prints_a_random_one_that_works(run, database, monkeypatch):
    monkeypatch.delenv("REQTRACE_DEMO_PASSWORD", raising=False)
    data = json.loads(run("demo", "--no-serve", "--json").stdout)
    passwords = {user["password"] for user in data["users"]}
    assert len(passwords) == 1
    (password,) = passwords
    assert password and len(password) >= 8 and password != DEMO_PASSWORD
    with session_for(database) as session:
        assert authenticate(session, "lead", password) is not None


def test_second_demo_leaves_the_data_as_it_is(run, database):
    run("demo", "--no-serve", env={"REQTRACE_DEMO_PASSWORD": DEMO_PASSWORD})
    again = run("demo", "--no-serve", "--json", env={"REQTRACE_DEMO_PASSWORD": "another-password"})
    assert again.exit_code == 0
    assert json.loads(again.stdout)["created"] is False
    text = run("demo", "--no-serve", env={"REQTRACE_DEMO_PASSWORD": "another-password"})
    assert "left it as it was" in text.stdout
    with session_for(database) as session:
        assert authenticate(session, "lead", DEMO_PASSWORD) is not None
        assert authenticate(session, "lead", "another-password") is None


def test_demo_refuses_nothing_but_fills_nothing_when_users_exist(run):
    run("user", "add", "sam", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")
    data = json.loads(run("demo", "--no-serve", "--json").stdout)
    assert data["created"] is False
    assert run("trace", "check", "--project", "crm").exit_code == 1


# --- one JSON document from every command that takes --json ---------------------------------

def walk(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, path + (name,))


def json_commands() -> set[tuple[str, ...]]:
    return {path for path, command in walk(main)
            if any(param.name == "as_json" for param in command.params)}


# (command path, extra arguments, stdin, expected exit code). {good} and {bad} are catalogue folders.
JSON_CASES = [
    (("init",), [], None, 0),
    (("user", "add"), ["newbie", "--role", "evaluator", "--password-stdin"], PASSWORD + "\n", 0),
    (("user", "add"), ["sam", "--role", "evaluator", "--password-stdin"], PASSWORD + "\n", 1),  # taken
    (("user", "add"), ["tiny", "--role", "evaluator", "--password-stdin"], "short\n", 1),
    (("user", "add"), ["nopass", "--role", "evaluator"], None, 1),
    (("user", "list"), [], None, 0),
    (("user", "passwd"), ["sam", "--password-stdin"], PASSWORD + "\n", 0),
    (("user", "passwd"), ["ghost", "--password-stdin"], PASSWORD + "\n", 1),  # no such user
    (("user", "passwd"), ["sam"], None, 1),  # no password and no terminal
    (("user", "logout"), ["sam"], None, 0),
    (("user", "logout"), ["ghost"], None, 1),  # no such user
    (("user", "edit"), ["sam", "--role", "procurement"], None, 0),
    (("user", "edit"), ["ghost", "--role", "procurement"], None, 1),  # no such user
    (("user", "edit"), ["sam"], None, 2),  # nothing to change
    (("demo",), ["--no-serve"], None, 0),
    (("project", "create"), ["acme", "--name", "CRM at Acme"], None, 0),
    (("project", "create"), ["crm"], None, 1),  # taken
    (("project", "create"), ["Bad Key"], None, 1),
    (("project", "edit"), ["crm", "--name", "CRM, phase 2"], None, 0),
    (("project", "edit"), ["nope", "--name", "x"], None, 1),
    (("project", "edit"), ["crm"], None, 2),  # nothing to change
    (("project", "list"), [], None, 0),
    (("catalog", "load"), ["{good}", "--project", "crm"], None, 0),
    (("catalog", "load"), ["{good}", "--project", "crm", "--dry-run"], None, 0),
    (("catalog", "load"), ["{good}", "--project", "Bad Key"], None, 1),
    (("catalog", "load"), ["{bad}", "--project", "crm"], None, 1),
    (("catalog", "check"), ["{good}"], None, 0),
    (("catalog", "check"), ["{bad}"], None, 1),
    (("trace", "check"), ["--project", "crm"], None, 0),
    (("trace", "check"), ["--project", "nope"], None, 1),
    (("trace", "review"), ["STR-1", "--project", "crm"], None, 0),
    (("trace", "review"), ["STR-99", "--project", "crm"], None, 1),
    (("trace", "impact"), ["STR-1", "--project", "crm"], None, 0),
    (("trace", "impact"), ["STR-99", "--project", "crm"], None, 1),
    (("trace", "matrix"), ["--project", "crm"], None, 0),
    (("trace", "matrix"), ["--project", "nope"], None, 1),
    (("vendor", "add"), ["zeta", "--project", "crm", "--name", "Zeta", "--deployment", "saas"], None, 0),
    (("vendor", "add"), ["zeta", "--project", "crm", "--name", "Zeta", "--deployment", "mainframe"], None, 1),
    (("vendor", "add"), ["atlas", "--project", "crm", "--name", "Atlas", "--deployment", "saas"], None, 1),  # taken
    (("vendor", "add"), ["zeta", "--project", "nope", "--name", "Zeta", "--deployment", "saas"], None, 1),
    (("vendor", "list"), ["--project", "crm"], None, 0),
    (("vendor", "edit"), ["atlas", "--project", "crm", "--cost", "5"], None, 0),
    (("vendor", "edit"), ["atlas", "--project", "crm", "--cost", "-5"], None, 1),
    (("vendor", "edit"), ["ghost", "--project", "crm", "--cost", "5"], None, 1),
    (("vendor", "list"), ["--project", "nope"], None, 1),
    (("export", "requirements"), ["--project", "crm", "-o", "{out}"], None, 0),
    (("export", "requirements"), ["--project", "nope", "-o", "{out}"], None, 1),
    (("export", "requirements"), ["--project", "crm", "-o", "{folder}/wrong.csv"], None, 1),
    (("import", "requirements"), ["{workbook}", "--project", "crm"], None, 0),
    (("import", "requirements"), ["{workbook}", "--project", "crm", "--dry-run"], None, 0),
    (("import", "requirements"), ["{junk}", "--project", "crm"], None, 1),
    (("import", "requirements"), ["{workbook}", "--project", "crm", "--map", "Title=bogus"], None, 1),
    (("export", "questionnaire"), ["--project", "crm", "--vendor", "atlas", "-o", "{out}"], None, 0),
    (("export", "questionnaire"), ["--project", "crm", "--vendor", "nobody", "-o", "{out}"], None, 1),
    (("import", "responses"), ["{questionnaire}", "--project", "crm", "--vendor", "atlas"], None, 0),
    (("import", "responses"), ["{questionnaire}", "--project", "crm", "--vendor", "omega"], None, 1),
    (("import", "responses"), ["{junk}", "--project", "crm", "--vendor", "atlas"], None, 1),
    (("export", "scores"), ["--project", "crm", "-o", "{out}"], None, 0),
    (("export", "scores"), ["--project", "nope", "-o", "{out}"], None, 1),
    (("score",), ["--project", "crm"], None, 0),
    (("score",), ["--project", "nope"], None, 1),
    (("report",), ["--project", "crm", "-o", "{folder}/report.html"], None, 0),
    (("report",), ["--project", "crm", "-o", "{folder}/report.md"], None, 0),
    (("report",), ["--project", "nope", "-o", "{folder}/report.html"], None, 1),
    (("backup",), ["-o", "{folder}/backup.zip"], None, 0),
    (("restore",), ["{workbook}"], None, 1),  # not a backup
    (("restore",), ["{folder}/none.zip"], None, 2),  # no such file: a usage error
    (("weights", "pairwise"), ["{junk}", "--project", "nope"], None, 1),
    (("weights", "pairwise"), ["{folder}/none.csv", "--project", "crm"], None, 2),  # no such file: a usage error
    (("script", "build"), ["--project", "crm", "-o", "{folder}/scripts"], None, 0),
    (("script", "build"), ["--project", "nope", "-o", "{folder}/scripts"], None, 1),
    (("script", "issue"), ["--project", "crm", "--vendor", "atlas", "-o", "{folder}/scripts"], None, 1),  # none yet
    (("export", "checklist"), ["--project", "crm", "--vendor", "atlas", "-o", "{out}"], None, 1),  # no script yet
    (("import", "checklist"), ["{junk}", "--project", "crm", "--vendor", "atlas", "--evaluator", "sam"], None, 1),
    (("probe", "run"), ["offline", "--url", "not-a-web-address", "--project", "crm", "--vendor", "atlas"], None, 1),
    (("probe", "run"), ["offline", "--url", "http://127.0.0.1:9/", "--vendor", "atlas"], None, 1),
]


@pytest.fixture(scope="module")
def populated_template(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A database with project crm (a catalogue), vendor atlas and user sam; and a good and a bad catalogue."""
    folder = tmp_path_factory.mktemp("json")
    good = two_branch_catalogue(folder / "good")
    bad = write(folder / "bad", {"a.toml": chain(1) + item("requirement", id="REQ-2", priority="banana")})
    database = folder / "template.db"
    runner, db = CliRunner(), ["--db", f"sqlite:///{database}"]
    env = {"REQTRACE_HOME": str(folder / "home"), "REQTRACE_ACTOR": "cli:test"}
    for args, stdin in ((["catalog", "load", str(good), "--project", "crm", "--status", "approved"], None),
                        (["vendor", "add", "atlas", "--project", "crm", "--name", "Atlas", "--deployment", "saas"],
                         None),
                        (["user", "add", "sam", "--role", "owner", "--password-stdin"], PASSWORD + "\n")):
        result = runner.invoke(main, db + args, input=stdin, env=env)
        assert result.exit_code == 0, result.output
    for args in (["export", "requirements", "--project", "crm", "-o", str(folder / "crm.xlsx")],
                 ["vendor", "add", "omega", "--project", "crm", "--name", "Omega", "--deployment", "saas"],
                 ["export", "questionnaire", "--project", "crm", "--vendor", "atlas", "-o",
                  str(folder / "atlas-questionnaire.xlsx")]):
        result = runner.invoke(main, db + args, env=env)
        assert result.exit_code == 0, result.output
    # The vendor answers one requirement (a questionnaire with no answer at all is refused).
    answered = openpyxl.load_workbook(folder / "atlas-questionnaire.xlsx")
    sheet = answered["Questionnaire"]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=header.index("Answer") + 1, value="fully supported")
    answered.save(folder / "atlas-questionnaire.xlsx")
    (folder / "junk.xlsx").write_text("not a workbook")
    dispose_all()
    return database, good, bad


def command_at(path: tuple[str, ...]) -> click.Command:
    command = main
    for name in path:
        command = command.commands[name]
    return command


def uncovered_json_commands() -> list[tuple[str, ...]]:
    """Commands with --json that JSON_CASES does not list (newer commands): checked generically below."""
    return sorted(json_commands() - {path for path, *_ in JSON_CASES})


def test_every_uncovered_json_command_can_be_checked_generically():
    """A --json command outside JSON_CASES must take --project, so an unknown project gives its error case."""
    without_project = [path for path in uncovered_json_commands()
                       if not any(param.name == "project_key" for param in command_at(path).params)]
    assert without_project == [], "add cases for these commands to JSON_CASES"


@pytest.mark.parametrize("path", uncovered_json_commands(), ids=lambda path: " ".join(path))
def test_unknown_project_gives_one_json_error_document(database, run, path):
    assert run("init").exit_code == 0
    arguments = ["STR-1" for param in command_at(path).params
                 if isinstance(param, click.Argument) and param.required]
    result = run(*path, *arguments, "--project", "nope", "--json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is False and "nope" in document["error"]


@pytest.mark.parametrize("path,arguments,stdin,exit_code", JSON_CASES,
                         ids=[" ".join(path + tuple(arguments))[:60] for path, arguments, *_ in JSON_CASES])
def test_json_output_is_exactly_one_document(populated_template, database, path, arguments, stdin, exit_code):
    template, good, bad = populated_template
    shutil.copyfile(template, database)
    folder = template.parent
    places = {"good": good, "bad": bad, "folder": database.parent, "out": database.parent / "out.xlsx",
              "workbook": folder / "crm.xlsx", "questionnaire": folder / "atlas-questionnaire.xlsx",
              "junk": folder / "junk.xlsx"}
    arguments = [argument.format(**places) for argument in arguments]
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{database}", *path, *arguments, "--json"], input=stdin)
    assert result.exit_code == exit_code, result.output
    document = json.loads(result.stdout)  # the whole of stdout, nothing before or after
    assert isinstance(document, dict)
    if exit_code:
        assert document.get("ok") is False or document.get("applied") is False or document.get("errors")


def test_unreachable_database_gives_a_json_error_not_a_traceback(cli_env):
    result = CliRunner().invoke(main, ["--db", "postgresql://nobody@127.0.0.1:1/none", "trace", "check",
                                       "--project", "crm", "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and "127.0.0.1" in document["error"]


# --- help -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [path for path, _ in walk(main)], ids=lambda path: " ".join(path) or "reqtrace")
def test_every_command_and_group_has_help_with_an_example(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout, f"`reqtrace {' '.join(path)} --help` shows no example"


# --- databases that cannot be used, and usage errors with --json ------------------------------------

@pytest.mark.parametrize("url, says", [
    ("foo://bar", "Can't load plugin"),
    ("mysql://user@host/reqtrace", "its driver (MySQLdb) is not installed"),
    ("{text_file}", "file is not a database"),
])
def test_a_database_that_cannot_be_used_is_one_json_error_not_a_traceback(tmp_path, url, says):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n" * 100)
    url = url.format(text_file=text_file)
    for args in (["vendor", "list", "--project", "crm", "--json"], ["init", "--json"]):
        result = CliRunner().invoke(main, ["--db", url, *args])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        document = json.loads(result.stdout)
        assert document["ok"] is False and "cannot use the database" in document["error"] and says in \
            document["error"], document
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["vendor", "list", "--project", "crm"], ["score", "--project", "crm"],
                                  ["export", "requirements", "--project", "crm", "-o", "{out}"],
                                  ["backup", "-o", "{out}"], ["user", "list"]], ids=lambda args: " ".join(args[:2]))
def test_a_mistyped_database_path_is_refused_and_nothing_is_created(tmp_path, args):
    """Only commands that set up or fill a database start a new one: a typo must not leave folders and an
    empty database behind, nor answer as if the data had vanished."""
    typo = tmp_path / "dtaa" / "reqtrace.db"
    args = [arg.format(out=tmp_path / "out.xlsx") for arg in args]
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{typo}", *args, "--json"])
    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)["error"]
    assert f"there is no database at {typo}" in error and "reqtrace init" in error
    assert not typo.parent.exists() and not (tmp_path / "out.xlsx").exists()


def test_a_sqlite_file_of_another_program_is_refused_and_left_untouched(tmp_path):
    import sqlite3

    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text)")
    before = other.read_bytes()
    for args in (["user", "list"], ["score", "--project", "crm"], ["init"], ["catalog", "load", str(ROOT / "requirements_catalog"), "--project", "crm"]):
        result = CliRunner().invoke(main, ["--db", str(other), *args, "--json"])
        assert result.exit_code == 1, (args, result.output)
        assert "a SQLite database of another program (tables notes)" in json.loads(result.stdout)["error"]
        dispose_all()
    assert other.read_bytes() == before and sorted(path.name for path in tmp_path.iterdir()) == ["notes.db"]
    empty = tmp_path / "empty.db"
    empty.touch()
    refused = CliRunner().invoke(main, ["--db", str(empty), "user", "list", "--json"])
    assert refused.exit_code == 1 and "is an empty file" in json.loads(refused.stdout)["error"]
    assert empty.stat().st_size == 0
    assert CliRunner().invoke(main, ["--db", str(empty), "init"]).exit_code == 0  # an empty file may become one


@pytest.mark.parametrize("args", [["catalog", "load", str(ROOT / "requirements_catalog"), "--project", "crm"],
                                  ["import", "requirements", "{workbook}", "--project", "crm"]],
                         ids=["catalog load", "import requirements"])
def test_a_dry_run_on_a_database_not_there_yet_previews_and_creates_nothing(tmp_path, args):
    workbook = tmp_path / "list.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["ID", "Requirement"])
    book.active.append(["R-1", "Quotes approved on the road"])
    book.save(workbook)
    missing = tmp_path / "new" / "reqtrace.db"
    args = [arg.format(workbook=workbook) for arg in args]
    result = CliRunner().invoke(main, ["--db", str(missing), *args, "--dry-run", "--json"])
    dispose_all()
    summary = json.loads(result.stdout)
    assert summary["applied"] is False and summary["added"] > 0, summary
    assert not missing.parent.exists()


def test_setting_up_commands_still_start_a_new_database(tmp_path):
    for name, args in (("init", ["init"]), ("user", ["user", "add", "sam", "--role", "admin", "--password-stdin"]),
                       ("demo", ["demo", "--no-serve"])):
        fresh = tmp_path / name / "reqtrace.db"
        result = CliRunner().invoke(main, ["--db", f"sqlite:///{fresh}", *args], input=PASSWORD + "\n",
                                    env={"REQTRACE_DEMO_PASSWORD": DEMO_PASSWORD})
        assert result.exit_code == 0, result.output
        assert fresh.is_file()
        dispose_all()


def test_an_empty_db_option_is_refused_instead_of_meaning_the_default_database(tmp_path):
    home = tmp_path / "home"
    result = CliRunner().invoke(main, ["vendor", "list", "--project", "crm", "--db", ""],
                                env={"REQTRACE_HOME": str(home), "REQTRACE_DATABASE_URL": ""})
    assert result.exit_code == 2 and "--db" in result.stderr and "is empty" in result.stderr
    assert not home.exists() or not any(home.rglob("*.db"))


def test_a_usage_error_with_json_is_one_json_document_with_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "import", "requirements",
                                       str(tmp_path / "missing.xlsx"), "--project", "crm", "--json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["ok"] is False and "missing.xlsx" in document["error"] and "does not exist" in document["error"]
    without = CliRunner().invoke(main, ["import", "requirements", str(tmp_path / "missing.xlsx"), "--project", "crm"])
    assert without.exit_code == 2 and without.stdout == "" and "Usage:" in without.stderr


def test_a_report_file_named_neither_html_nor_md_is_refused_before_any_work(tmp_path):
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "report", "--project", "crm",
                                       "-o", str(tmp_path / "decision.pdf"), "--json"])
    assert result.exit_code == 1 and not (tmp_path / "decision.pdf").exists()
    assert "FILE.html" in json.loads(result.stdout)["error"]


def test_a_refused_catalogue_names_its_project_in_the_json_summary(tmp_path):
    broken = tmp_path / "catalogue"
    broken.mkdir()
    (broken / "strategies.toml").write_text("this is = = not toml\n")
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "catalog", "load", str(broken),
                                       "--project", "p1", "--json"])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["applied"] is False and summary["errors"] and summary["project"] == "p1" and summary["items"] == []


def test_a_catalogue_load_the_plan_refuses_exits_1_and_says_nothing_was_loaded(run, cli_env, database):
    """A new link to a retired process: the plan refuses it, the command says so and writes nothing."""
    from reqtrace.services.items import get_item, set_status

    folder = two_branch_catalogue(cli_env / "catalogue")
    assert run("catalog", "load", str(folder), "--project", "crm").exit_code == 0
    with session_for(database) as session:
        project = get_project(session, "crm")
        set_status(session=session, project=project, kind="process", actor="test", status="retired",
                   item=get_item(session, project, "process", "PRC-2"))
        session.commit()
    with (folder / "a.toml").open("a") as file:
        file.write(item("requirement", id="REQ-3", title="Quote offline", processes=["PRC-1", "PRC-2"]))
    result = run("catalog", "load", str(folder), "--project", "crm")
    assert result.exit_code == 1 and "nothing was loaded" in result.stderr
    assert "REQ-3 new requirement REQ-3 links to process PRC-2, which is retired" in result.stderr
    assert "Loaded" not in result.stdout
    as_json = run("catalog", "load", str(folder), "--project", "crm", "--json")
    assert as_json.exit_code == 1
    summary = json.loads(as_json.stdout)
    assert summary["applied"] is False and [error["item"] for error in summary["errors"]] == ["REQ-3"]
    assert summary["errors"][0]["file"] == "a.toml" and summary["errors"][0]["line"]
    with session_for(database) as session:  # nothing was written
        project = get_project(session, "crm")
        stored = session.exec(select(Requirement.hid).where(Requirement.project_id == project.id)).all()
        assert sorted(stored) == ["REQ-1", "REQ-2"]


# --- users --------------------------------------------------------------------------------------

def test_user_edit_changes_a_role_and_deactivates_an_account(run):
    for name, role in (("lead", "admin"), ("kim", "evaluator")):
        assert run("user", "add", name, "--role", role, "--password-stdin", input=f"{PASSWORD}\n").exit_code == 0
    edited = run("user", "edit", "kim", "--role", "procurement", "--display-name", "Kim Ng", "--json")
    assert edited.exit_code == 0, edited.output
    assert json.loads(edited.stdout) == {"username": "kim", "role": "procurement", "display_name": "Kim Ng",
                                         "active": True, "changed": True}
    off = run("user", "edit", "kim", "--deactivate")
    assert off.stdout == "kim: Procurement, shown as 'Kim Ng', may not log in.\n"
    users = {u["username"]: u for u in json.loads(run("user", "list", "--json").stdout)["users"]}
    assert users["kim"]["active"] is False
    same = run("user", "edit", "kim", "--deactivate", "--json")
    assert json.loads(same.stdout)["changed"] is False
    assert run("user", "edit", "kim", "--activate").exit_code == 0


@pytest.mark.parametrize("args, exit_code, message", [
    (["lead", "--role", "owner"], 1, "lead is the only active CRM lead"),
    (["lead", "--deactivate"], 1, "lead is the only active CRM lead"),
    (["ghost", "--role", "owner"], 1, "no user named 'ghost'"),
    (["lead", "--display-name", "Two\nlines"], 1, "a display name is one line"),
    (["lead"], 2, "nothing to change"),
    (["lead", "--role", "boss"], 2, "'boss' is not one of"),
    (["lead", "--activate", "--deactivate"], 2, "--deactivate and --activate exclude each other"),
    (["lead", "--deactivate", "--activate"], 2, "--deactivate and --activate exclude each other"),
])
def test_bad_user_edits_are_refused(run, args, exit_code, message):
    assert run("user", "add", "lead", "--role", "admin", "--password-stdin", input=f"{PASSWORD}\n").exit_code == 0
    refused = run("user", "edit", *args)
    assert refused.exit_code == exit_code
    assert message in refused.stderr
    (lead,) = json.loads(run("user", "list", "--json").stdout)["users"]
    assert (lead["role"], lead["active"], lead["display_name"]) == ("admin", True, "lead")
