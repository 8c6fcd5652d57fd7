"""Shared helpers for the workbook tests: run the CLI, export, import, edit a workbook, snapshot a database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlmodel import Session

from reqtrace.cli import main
from reqtrace.db import dispose_all, make_engine, session_scope
from reqtrace.formats.requirements_export import export_requirements
from reqtrace.model import ITEM_MODELS, AuditEvent, Project
from reqtrace.services.projects import get_project
from reqtrace.services.sync import load_state

# Requirements sheet columns, as the workbook contract fixes them (reqtrace/formats/layout.py).
REQUIREMENT_COLUMN = {"ID": "A", "Title": "B", "Processes": "C", "Statement": "D", "Acceptance criteria": "E",
                      "Kind": "F", "Capability": "G", "Priority": "H", "Weight": "I", "Tags": "J",
                      "Excluded deployments": "K", "Timebox (minutes)": "L", "Owner": "M", "Status": "N",
                      "Version": "O"}
SAMPLE_COUNTS = {"strategy": 11, "role": 18, "process": 28, "requirement": 172}


@pytest.fixture(autouse=True)
def close_engines():
    """The CLI caches one engine per URL; close them so databases can be dropped and files removed."""
    yield
    dispose_all()


class Reqtrace:
    """The `reqtrace` command line against one database, plus a look at what that database holds."""

    def __init__(self, url: str):
        self.url = url

    def run(self, *args: str):
        return CliRunner().invoke(main, ["--db", self.url, *map(str, args)])

    def export(self, path: Path, project: str = "crm") -> Path:
        result = self.run("export", "requirements", "--project", project, "-o", path)
        assert result.exit_code == 0, result.output
        return path

    def import_json(self, path: Path, project: str = "crm", *options: str) -> tuple[int, dict[str, Any]]:
        """Run `import requirements --json`; returns (exit code, the one JSON document it printed)."""
        result = self.run("import", "requirements", path, "--project", project, "--json", *options)
        try:
            document = json.loads(result.stdout)
        except json.JSONDecodeError:
            raise AssertionError(f"not one JSON document (exit {result.exit_code}):\n{result.stdout}\n"
                                 f"{result.stderr}\n{result.exception!r}") from None
        return result.exit_code, document

    def snapshot(self, project: str = "crm") -> dict[str, Any]:
        """Everything an import may touch: items (fields, status, version), links, audit events, projects."""
        engine = make_engine(self.url)
        try:
            with Session(engine) as session:
                found = session.exec(select(Project).where(Project.key == project)).scalars().first()
                state = load_state(session, found)
                return {
                    "projects": session.exec(select(func.count()).select_from(Project)).scalars().one(),
                    "audit_events": session.exec(select(func.count()).select_from(AuditEvent)).scalars().one(),
                    "items": state.items,
                    "links": state.links,
                }
        finally:
            engine.dispose()

    def item(self, hid: str, kind: str = "requirement", project: str = "crm") -> dict[str, Any] | None:
        """One stored item as a dict (every column), or None."""
        model = ITEM_MODELS[kind]
        engine = make_engine(self.url)
        try:
            with Session(engine) as session:
                found = session.exec(select(model).join(Project, Project.id == model.project_id)
                                     .where(Project.key == project, model.hid == hid)).scalars().first()
                return None if found is None else found.model_dump()
        finally:
            engine.dispose()

    def items(self, kind: str = "requirement", project: str = "crm") -> dict[str, dict[str, Any]]:
        engine = make_engine(self.url)
        model = ITEM_MODELS[kind]
        try:
            with Session(engine) as session:
                rows = session.exec(select(model).join(Project, Project.id == model.project_id)
                                    .where(Project.key == project)).scalars().all()
                return {row.hid: row.model_dump() for row in rows}
        finally:
            engine.dispose()

    def upstream(self, hid: str, kind: str = "requirement", project: str = "crm") -> set[str]:
        return set(self.snapshot(project)["links"][kind].get(hid, set()))


@pytest.fixture
def sample(sample_url, cli_env) -> Reqtrace:
    """The CLI against the sample project `crm`, on each configured backend."""
    return Reqtrace(sample_url)


@pytest.fixture
def sqlite(sqlite_url, cli_env) -> Reqtrace:
    """The CLI against an empty, migrated SQLite database."""
    return Reqtrace(sqlite_url)


@pytest.fixture(scope="session")
def sample_export_file(sample_sqlite_file, tmp_path_factory) -> Path:
    """The sample project exported once per run (a copy of the database, so the original stays pristine)."""
    folder = tmp_path_factory.mktemp("sample-export")
    database = folder / "sample.db"
    shutil.copyfile(sample_sqlite_file, database)
    engine = make_engine(f"sqlite:///{database}")
    path = folder / "crm.xlsx"
    with session_scope(engine) as session:
        export_requirements(session, get_project(session, "crm"), path, actor="test")
    engine.dispose()
    return path


@pytest.fixture
def sample_export(sample_export_file, tmp_path, request) -> Path:
    """A private copy of the sample's export, to edit.

    A workbook goes back only into the database it was exported from (its origin): a test that imports into
    the sample on PostgreSQL gets the export of that database, the others a copy of the SQLite one.
    """
    target = tmp_path / "crm.xlsx"
    if "sample_url" in request.fixturenames and request.getfixturevalue("backend") == "postgres":
        engine = make_engine(request.getfixturevalue("sample_url"))
        with session_scope(engine) as session:
            export_requirements(session, get_project(session, "crm"), target, actor="test")
        engine.dispose()
    else:
        shutil.copyfile(sample_export_file, target)
    return target


# --- editing workbooks like a person in Excel -------------------------------------------------

def with_chains(reqtrace: Reqtrace, chains: int) -> Reqtrace:
    """Project crm with `chains` approved chains (STR/ROL/PRC/REQ-1 to -n) in `reqtrace`'s database."""
    from tests.builders import ProjectBuilder

    engine = make_engine(reqtrace.url)
    with Session(engine) as session:
        ProjectBuilder("crm", "CRM").chain(chains).build(session)
        session.commit()
    engine.dispose()
    return reqtrace


def column_of(sheet, header: str) -> int:
    """The 1-based column whose header (row 1) is `header`."""
    for cell in sheet[1]:
        if cell.value == header:
            return cell.column
    raise AssertionError(f"no column {header!r} on sheet {sheet.title}")


def row_of(sheet, hid: str) -> int:
    """The 1-based row whose ID (column A) is `hid`."""
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 1).value == hid:
            return row
    raise AssertionError(f"no row {hid} on sheet {sheet.title}")


def cell(sheet, hid: str, header: str):
    return sheet.cell(row_of(sheet, hid), column_of(sheet, header))


def edit_workbook(path: Path, change: Callable[[openpyxl.Workbook], Any]) -> Any:
    """Open with openpyxl, let `change` edit it, save it in place; returns what `change` returns."""
    workbook = openpyxl.load_workbook(path)
    result = change(workbook)
    workbook.save(path)
    return result


def sheet_values(path: Path, sheet: str) -> list[list[Any]]:
    workbook = openpyxl.load_workbook(path)
    return [list(row) for row in workbook[sheet].iter_rows(values_only=True)]


def find(entries: list[dict[str, Any]], **where: Any) -> list[dict[str, Any]]:
    """Errors or warnings whose keys match `where`."""
    return [entry for entry in entries if all(entry.get(key) == value for key, value in where.items())]


def item_changes(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The summary's items by ID: action and {field: (before, after)}."""
    return {item["id"]: {"action": item["action"],
                         "changes": {change["field"]: (change["before"], change["after"])
                                     for change in item["changes"]}}
            for item in summary["items"]}
