"""What the command line refuses, and how: a usage error is exit 2, a refusal exit 1 with a message saying what
and where, and a refused command writes nothing. No traceback either way."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from click.testing import CliRunner

from reqtrace.cli import main
from reqtrace.db import dispose_all
from reqtrace.vocab import DEPLOYMENT
from tests.catalog.catalogue_files import chain, write

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "long-enough-password"


@pytest.fixture(autouse=True)
def close_engines(cli_env):
    """Every test runs with its own data folder; the CLI's cached engines are closed after it."""
    yield
    dispose_all()


def cli(url: str | Path, *args: str, input: str | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, ["--db", str(url), *args], input=input, env=env)


def no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def usage_error(result, *says: str) -> None:
    """Exit 2 with click's usage message naming what was wrong."""
    assert result.exit_code == 2, result.output
    no_traceback(result)
    for text in says:
        assert text in result.stderr, result.stderr


@pytest.fixture
def demo(demo_url) -> str:
    """The demo database: project crm, vendors atlas, keystone and nimbus, a script issued to each."""
    return demo_url


# --- 1, 2: serve and demo ------------------------------------------------------------------

@pytest.fixture
def taken_port():
    """A port on 127.0.0.1 that this test listens on itself (closed at the end)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_serve_on_a_port_in_use_says_so_and_starts_nothing(tmp_path, taken_port):
    database = tmp_path / "x.db"
    result = cli(database, "serve", "--port", str(taken_port))
    assert result.exit_code == 1, result.output
    no_traceback(result)
    assert f"cannot listen on 127.0.0.1:{taken_port}: Address already in use" in result.stderr
    assert "Serving" not in result.stdout
    assert not database.exists() and not Path(f"{database}.secret").exists()


def test_demo_on_a_port_in_use_refuses_before_filling_anything(tmp_path, taken_port):
    database = tmp_path / "demo.db"
    result = cli(database, "demo", "--port", str(taken_port), "--json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)  # one document: the refusal, no half-made demo before it
    assert document["ok"] is False and f"cannot listen on 127.0.0.1:{taken_port}" in document["error"]
    assert not database.exists()


@pytest.mark.parametrize("args, says", [
    (["serve", "--port", "99999"], "'--port': 99999 is not in the range 1<=x<=65535"),
    (["serve", "--port", "0"], "'--port': 0 is not in the range"),
    (["serve", "--threads", "0"], "'--threads': 0 is not in the range"),
    (["serve", "--threads", "-2"], "'--threads': -2 is not in the range"),
    (["demo", "--port", "99999"], "'--port': 99999 is not in the range 1<=x<=65535"),
], ids=lambda value: " ".join(value) if isinstance(value, list) else "")
def test_a_port_or_thread_count_out_of_range_is_a_usage_error(tmp_path, args, says):
    database = tmp_path / "x.db"
    usage_error(cli(database, *args), says)
    assert not database.exists()


# --- 3, 8: scripts -------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["build"], ["issue", "--vendor", "atlas"]], ids=["build", "issue"])
def test_a_script_into_a_missing_folder_is_refused_naming_it(demo, tmp_path, command):
    versions = json.loads(cli(demo, "script", "show", "--project", "crm", "--json").stdout)["version"]
    deep = tmp_path / "deep" / "a" / "b" / "c"
    result = cli(demo, "script", *command, "--project", "crm", "-o", str(deep), "--json")
    assert result.exit_code == 1, result.output
    assert f"the folder {tmp_path / 'deep' / 'a' / 'b'} does not exist" in json.loads(result.stdout)["error"]
    assert not (tmp_path / "deep").exists()
    assert json.loads(cli(demo, "script", "show", "--project", "crm", "--json").stdout)["version"] == versions
    text = cli(demo, "script", *command, "--project", "crm", "-o", str(deep))
    assert text.exit_code == 1 and "error:" in text.stderr and "does not exist" in text.stderr


def test_a_script_into_a_new_folder_beside_existing_ones_is_written(demo, tmp_path):
    result = cli(demo, "script", "issue", "--project", "crm", "--vendor", "atlas", "-o", str(tmp_path / "atlas"))
    assert result.exit_code == 0, result.output
    assert sorted(path.suffix for path in (tmp_path / "atlas").iterdir()) == [".html", ".md"]


@pytest.mark.parametrize("command", [["show"], ["issue", "--vendor", "atlas", "-o", "{folder}"]],
                         ids=["show", "issue"])
@pytest.mark.parametrize("version", ["0", "-1", str(2**31), str(2**63), "99999999999999999999"])
def test_script_version_0_or_past_any_id_is_a_usage_error_not_the_latest(demo, tmp_path, command, version):
    args = [arg.format(folder=tmp_path / "out") for arg in command]
    usage_error(cli(demo, "script", *args, "--project", "crm", "--version", version),
                f"'--version': {version} is not in the range 1<=x<={2**31 - 1}")
    assert not (tmp_path / "out").exists()


# --- 6, 7: missing inputs, restore ---------------------------------------------------------

@pytest.mark.parametrize("args", [["weights", "pairwise", "{missing}", "--project", "crm"], ["restore", "{missing}"]],
                         ids=["weights pairwise", "restore"])
def test_a_missing_input_file_is_a_usage_error(tmp_path, args):
    missing = tmp_path / "missing.csv"
    database = tmp_path / "r.db"
    args = [arg.format(missing=missing) for arg in args]
    usage_error(cli(database, *args), "missing.csv", "does not exist")
    as_json = cli(database, *args, "--json")
    assert as_json.exit_code == 2
    document = json.loads(as_json.stdout)
    assert document["ok"] is False and "missing.csv" in document["error"] and "does not exist" in document["error"]
    assert not database.exists()


def edited_backup(demo: str, tmp_path: Path, table: str, edit: Callable[[list[bytes]], list[bytes]]) -> Path:
    """A backup of the demo with the lines of tables/TABLE.jsonl passed through `edit`."""
    backup = tmp_path / "crm.zip"
    assert cli(demo, "backup", "-o", str(backup)).exit_code == 0
    edited = tmp_path / f"edited-{table}.zip"
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(edited, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name == f"tables/{table}.jsonl":
                data = b"\n".join(edit(data.split(b"\n")))
            out.writestr(name, data)
    return edited


def damaged_backup(demo: str, tmp_path: Path) -> Path:
    """A backup of the demo whose requirement table has one line cut in half."""
    def cut(lines: list[bytes]) -> list[bytes]:
        lines[83] = lines[83][: len(lines[83]) // 2]
        return lines

    return edited_backup(demo, tmp_path, "requirement", cut)


def test_a_refused_restore_into_a_new_file_leaves_no_file_behind(demo, tmp_path):
    damaged = damaged_backup(demo, tmp_path)
    new = tmp_path / "restored" / "new.db"
    result = cli(new, "restore", str(damaged))
    assert result.exit_code == 1, result.output
    no_traceback(result)
    assert "tables/requirement.jsonl line 84 is damaged" in result.stderr
    assert not new.parent.exists()


def test_a_refused_restore_leaves_an_empty_database_as_it_was(demo, tmp_path):
    damaged = damaged_backup(demo, tmp_path)
    empty = tmp_path / "empty.db"
    empty.touch()
    result = cli(empty, "restore", str(damaged), "--json")
    assert result.exit_code == 1, result.output
    assert "line 84 is damaged" in json.loads(result.stdout)["error"]
    assert empty.stat().st_size == 0
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith("empty.db")
                and path.name != "empty.db"]  # no -wal or -shm beside it


def test_a_backup_with_a_row_missing_is_refused_before_the_database_is_touched(demo, tmp_path):
    short = edited_backup(demo, tmp_path, "vendor", lambda lines: lines[1:])
    new = tmp_path / "new.db"
    result = cli(new, "restore", str(short))
    assert result.exit_code == 1 and "tables/vendor.jsonl holds 2 rows, the manifest says 3" in result.stderr
    assert not new.exists()


# --- 9, 10: importing requirements ---------------------------------------------------------

@pytest.fixture
def edited_export(demo, tmp_path) -> Path:
    """crm's requirements workbook with REQ-1's title changed, REQ-2 gone and 12 new requirements."""
    workbook = tmp_path / "crm.xlsx"
    assert cli(demo, "export", "requirements", "--project", "crm", "-o", str(workbook)).exit_code == 0
    book = openpyxl.load_workbook(workbook)
    sheet = book["Requirements"]
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=1).value == "REQ-1" and sheet.cell(row=3, column=1).value == "REQ-2"
    sheet.cell(row=2, column=header.index("Title") + 1, value="One account view, renamed")
    sheet.delete_rows(3)
    for number in range(1, 13):
        row = [None] * len(header)
        row[header.index("Title")] = f"New requirement {number}"
        row[header.index("Statement")] = f"The system does new thing {number}."
        row[header.index("Processes")] = "PRC-1"
        sheet.append(row)
    book.save(workbook)
    return workbook


def test_a_dry_run_lists_added_changed_and_retired_items(demo, edited_export):
    result = cli(demo, "import", "requirements", str(edited_export), "--project", "crm", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "12 added, 1 changed" in lines[0] and "1 retired" in lines[0]
    assert "  changed REQ-1: title" in lines
    assert "  retired REQ-2" in lines
    added = [line for line in lines if line.startswith("  added REQ-")]
    assert len(added) == 10 and added[0].endswith(": New requirement 1")
    assert "  … and 2 more added items (use --json for all)" in lines


def test_header_row_0_is_a_usage_error(demo, edited_export):
    for row in ("0", "-1"):
        usage_error(cli(demo, "import", "requirements", str(edited_export), "--project", "crm", "--header-row", row),
                    f"'--header-row': {row} is not in the range")


@pytest.mark.parametrize("options", [["--sheet", "Nope"], ["--sheet", "Requirements"], ["--header-row", "2"]],
                         ids=lambda options: " ".join(options))
def test_sheet_options_on_a_reqtrace_workbook_are_refused_naming_its_sheets(demo, edited_export, options):
    before = json.loads(cli(demo, "trace", "matrix", "--project", "crm", "--json").stdout)
    result = cli(demo, "import", "requirements", str(edited_export), "--project", "crm", *options)
    assert result.exit_code == 1, result.output
    no_traceback(result)
    assert f"{options[0]} applies to workbooks from other tools; crm.xlsx is a reqtrace workbook" in result.stderr
    assert "Strategies, Roles, Processes, Requirements" in result.stderr
    summary = json.loads(cli(demo, "import", "requirements", str(edited_export), "--project", "crm", *options,
                             "--json").stdout)
    assert summary["applied"] is False and "crm.xlsx is a reqtrace workbook" in summary["errors"][0]["message"]
    assert json.loads(cli(demo, "trace", "matrix", "--project", "crm", "--json").stdout) == before


def test_sheet_options_still_choose_what_to_read_of_another_tools_workbook(tmp_path):
    workbook = tmp_path / "list.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["just notes"])
    wanted = book.create_sheet("Wanted")
    wanted.append(["Our requirements"])
    wanted.append(["ID", "Requirement"])
    wanted.append(["R-1", "Quotes approved on the road"])
    book.save(workbook)
    result = cli(tmp_path / "x.db", "import", "requirements", str(workbook), "--project", "p1", "--sheet", "Wanted",
                 "--header-row", "2", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["added"] == 1 and [sheet["sheet"] for sheet in summary["sheets"]] == ["Wanted"]


# --- 11, 12: passwords ---------------------------------------------------------------------

def test_a_short_demo_password_names_the_variable_and_creates_nothing(tmp_path):
    database = tmp_path / "demo.db"
    result = cli(database, "demo", "--no-serve", env={"REQTRACE_DEMO_PASSWORD": "pw"})
    assert result.exit_code == 1, result.output
    assert "REQTRACE_DEMO_PASSWORD has 2 characters" in result.stderr and "at least 8" in result.stderr
    assert not database.exists()


def test_an_empty_password_on_standard_input_is_called_that(tmp_path):
    database = tmp_path / "u.db"
    result = cli(database, "user", "add", "sam5", "--role", "owner", "--password-stdin", input="")
    assert result.exit_code == 1, result.output
    assert "the password read from standard input is empty" in result.stderr
    assert not database.exists()


def test_password_prompt_without_a_terminal_says_standard_input_is_not_one(demo):
    result = cli(demo, "user", "passwd", "lead", "--password-prompt", input=PASSWORD + "\n")
    assert result.exit_code == 1, result.output
    assert "standard input is not a terminal" in result.stderr and "--password-stdin" in result.stderr


@pytest.mark.parametrize("command", [["user", "add", "sam", "--role", "owner"], ["user", "passwd", "lead"]],
                         ids=["add", "passwd"])
def test_password_stdin_and_prompt_together_are_a_usage_error(demo, command):
    usage_error(cli(demo, *command, "--password-stdin", "--password-prompt", input=PASSWORD + "\n"),
                "--password-stdin and --password-prompt exclude each other")
    as_json = cli(demo, *command, "--password-stdin", "--password-prompt", "--json", input=PASSWORD + "\n")
    assert as_json.exit_code == 2 and json.loads(as_json.stdout)["ok"] is False


# --- 13: the paper checklist ---------------------------------------------------------------

def test_a_refused_checklist_says_how_many_errors_and_that_nothing_was_recorded(demo, tmp_path):
    checklist = tmp_path / "keystone.xlsx"
    assert cli(demo, "export", "checklist", "--project", "crm", "--vendor", "keystone", "-o",
               str(checklist)).exit_code == 0
    book = openpyxl.load_workbook(checklist)
    sheet = book["Checklist"]
    score = [cell.value for cell in sheet[1]].index("Score (0-5)") + 1
    for row in range(2, 22):  # 20 scores outside 0-5
        sheet.cell(row=row, column=score, value=9)
    book.save(checklist)
    result = cli(demo, "import", "checklist", str(checklist), "--project", "crm", "--vendor", "keystone",
                 "--evaluator", "evaluator")
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == "20 error(s); nothing was recorded:"
    assert lines[1].startswith("  sheet Checklist, row 2, column ")
    assert lines[-1] == "  … and 5 more (use --json for all)"
    assert len(lines) == 17 and "Recorded" not in result.stdout


# --- 14: score, broken pipes, probes, documentation ----------------------------------------

@pytest.fixture
def catalogue_project(tmp_path) -> Path:
    database = tmp_path / "s.db"
    folder = write(tmp_path / "catalogue", {"a.toml": chain(1)})
    assert cli(database, "catalog", "load", str(folder), "--project", "p1", "--status", "approved").exit_code == 0
    return database


def test_score_with_no_vendors_says_there_are_none_to_rank(catalogue_project):
    result = cli(catalogue_project, "score", "--project", "p1")
    assert result.exit_code == 0, result.output
    assert "Rank stability (1000 samples, weights ×U(0.8, 1.2), seed 20261201): no vendors to rank" in result.stdout


def test_score_with_every_vendor_knocked_out_says_none_ranks_first(catalogue_project):
    for slug in ("alpha", "beta"):
        assert cli(catalogue_project, "vendor", "add", slug, "--project", "p1", "--name", slug.title(),
                   "--deployment", "saas", "--flag", "contract-before-poc").exit_code == 0
    result = cli(catalogue_project, "score", "--project", "p1")
    assert result.exit_code == 0, result.output
    assert "): no vendor ranks first: every vendor is knocked out" in result.stdout


def _reader_leaves(demo: str, *command: str, read_first: bool, wait: float = 0.0) -> tuple[int, str]:
    """Run `reqtrace COMMAND` into a pipe whose reader leaves (after reading one byte, when `read_first`, then
    after `wait` seconds); returns (exit code, stderr)."""
    process = subprocess.Popen([sys.executable, "-m", "reqtrace", "--db", demo, *command], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=ROOT, env=os.environ.copy())
    try:
        if read_first:
            assert process.stdout.read(1) == b"{"
            time.sleep(wait)
        process.stdout.close()  # without reading: before reqtrace has written a line, every write finds no reader
        stderr = process.stderr.read().decode()
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        process.stderr.close()
    return code, stderr


def test_a_reader_that_stops_early_gets_no_error_message(demo):
    """`reqtrace trace matrix | head -1`: the reader goes away; reqtrace stops quietly with 141, as for SIGPIPE."""
    code, stderr = _reader_leaves(demo, "trace", "matrix", "--project", "crm", read_first=False)
    assert code == 141, stderr
    assert stderr == ""


def test_a_reader_that_stops_in_the_middle_of_a_large_document_gets_141_too(demo):
    """`reqtrace trace matrix --json | head -c 1`: one write larger than the pipe holds, cut short by the reader
    leaving; Python drops the rest without an error, and reqtrace must still not claim success."""
    # Wait until the pipe is full (64 KiB; the document is larger), so the write is under way.
    code, stderr = _reader_leaves(demo, "trace", "matrix", "--project", "crm", "--json", read_first=True, wait=1.0)
    assert code == 141, stderr
    assert stderr == ""


def test_a_reader_that_leaves_after_everything_was_written_gets_success(demo):
    """`reqtrace … --json | grep -q key`: the reader stops early, but only after reqtrace wrote all it had to
    write. Nothing was lost, so exit 0 — under `set -o pipefail` a 141 here would fail a script at random."""
    code, stderr = _reader_leaves(demo, "vendor", "list", "--project", "crm", "--json", read_first=True)
    assert code == 0, stderr


def test_a_reader_that_reads_everything_gets_success(demo):
    finished = subprocess.run([sys.executable, "-m", "reqtrace", "--db", demo, "trace", "matrix", "--project", "crm",
                               "--json"], capture_output=True, cwd=ROOT, env=os.environ.copy(), timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert len(finished.stdout) > 65536 and json.loads(finished.stdout)["project"] == "crm"


@pytest.mark.parametrize("threshold", ["-1", "0"])
def test_a_probe_threshold_of_no_time_is_a_usage_error(threshold):
    usage_error(CliRunner().invoke(main, ["probe", "run", "slow-network", "--url", "http://127.0.0.1:9/",
                                          "--threshold", threshold]), "'--threshold'", "x>0")


def test_a_probe_without_an_address_asks_for_one(tmp_path):
    result = CliRunner().invoke(main, ["probe", "run", "offline", "--evidence-dir", str(tmp_path / "evidence")])
    assert result.exit_code == 1, result.output
    assert "give --url, or an adapter with a base_url" in result.stderr
    assert not (tmp_path / "evidence").exists()


def test_the_reference_names_the_deployment_synonyms_and_the_import_failure_shape():
    reference = (ROOT / "docs" / "cli.md").read_text()
    vendor_add = reference[reference.index("### `reqtrace vendor add"):reference.index("### `reqtrace vendor list")]
    missing = [synonym for synonym in DEPLOYMENT.synonyms if f"`{synonym}`" not in vendor_add]
    assert not missing, f"docs/cli.md does not name these --deployment synonyms: {missing}"
    rules = reference[:reference.index("## Setting up")]
    assert '"applied": false' in rules and '"sheet", "row", "column"' in rules and '"file", "line"' in rules
    assert "141" in rules
