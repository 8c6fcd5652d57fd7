"""A requirements workbook knows which reqtrace database it came from.

Two databases can each hold a project `crm`. A workbook exported from one must not be applied to the other as
if it were its own: it would overwrite that project's items with the first database's and retire the items the
first database does not hold. A backup restored is the same database (its workbooks import as before), and a
workbook without an origin (made before reqtrace wrote one) is read as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reqtrace.db import dispose_all, make_engine, upgrade
from reqtrace.formats.layout import META_SHEET
from tests.conftest import _new_database
from tests.formats.conftest import Reqtrace, edit_workbook, with_chains


@pytest.fixture
def new_database(backend, tmp_path, postgres, cli_env):
    """Makes migrated databases on the test's backend (no schema with `migrated=False`); drops them after."""
    urls: list[str] = []

    def make(*, migrated: bool = True) -> Reqtrace:
        url = _new_database(backend, tmp_path, postgres)
        urls.append(url)
        if migrated:
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
        return Reqtrace(url)

    yield make
    dispose_all()
    for url in urls:
        if backend == "postgres":
            postgres.drop(url)


def _metadata(path: Path) -> dict:
    return edit_workbook(path, lambda workbook: {row[0].value: row[1].value for row in workbook[META_SHEET].rows})


def test_a_workbook_from_another_database_is_refused_and_changes_nothing(new_database, tmp_path):
    """Database A's crm has two chains, B's three: A's workbook would retire B's REQ-3 and its chain."""
    first, second = with_chains(new_database(), 2), with_chains(new_database(), 3)
    path = first.export(tmp_path / "crm.xlsx")
    before = second.snapshot()
    code, summary = second.import_json(path)
    assert code == 1 and summary["applied"] is False
    [error] = [error for error in summary["errors"] if "another reqtrace database" in error["message"]]
    assert error["sheet"] == META_SHEET
    origin = _metadata(path)["origin"]
    assert f"exported from project 'crm' of another reqtrace database (origin {origin}" in error["message"]
    assert "not from 'crm' of this one (origin " in error["message"]
    assert "retire" in error["message"] and "new project" in error["message"]
    assert second.snapshot() == before
    assert second.item("REQ-3")["status"] == "approved"

    result = second.run("import", "requirements", path, "--project", "crm")
    assert result.exit_code == 1
    assert "another reqtrace database" in result.stderr and "nothing was written" in result.stderr
    assert second.snapshot() == before


def test_a_workbook_from_another_database_imports_into_a_new_project(new_database, tmp_path):
    first, second = with_chains(new_database(), 2), with_chains(new_database(), 3)
    path = first.export(tmp_path / "crm.xlsx")
    code, summary = second.import_json(path, "crm2")
    assert code == 0, summary["errors"]
    assert (summary["added"], summary["removed"]) == (8, 0)
    assert second.item("REQ-3")["status"] == "approved"  # crm itself is untouched


def test_a_workbook_goes_back_into_its_own_database(new_database, tmp_path):
    crm = with_chains(new_database(), 2)
    path = crm.export(tmp_path / "crm.xlsx")
    assert len(_metadata(path)["origin"]) == 16
    code, summary = crm.import_json(path)
    assert code == 0, summary["errors"]
    assert (summary["added"], summary["changed"], summary["unchanged"], summary["removed"]) == (0, 0, 8, 0)


def test_a_restored_backup_takes_the_workbooks_of_the_database_it_was_taken_from(new_database, tmp_path):
    """As its questionnaires: a restore keeps the project's row and creation time, so the workbook's origin."""
    original = with_chains(new_database(), 2)
    path = original.export(tmp_path / "crm.xlsx")

    def delete_requirement_2(workbook):
        workbook["Requirements"].delete_rows(3)

    edit_workbook(path, delete_requirement_2)
    backup = tmp_path / "backup.zip"
    assert original.run("backup", "-o", backup).exit_code == 0
    restored = new_database(migrated=False)
    result = restored.run("restore", backup)
    assert result.exit_code == 0, result.output
    code, summary = restored.import_json(path)
    assert code == 0, summary["errors"]
    assert summary["removed"] == 1
    assert restored.item("REQ-2")["status"] == "retired"


def test_a_workbook_without_an_origin_is_read_by_its_project_key_as_before(new_database, tmp_path):
    """A workbook exported before reqtrace wrote its origin cannot say which database it came from."""
    first, second = with_chains(new_database(), 2), with_chains(new_database(), 3)
    path = first.export(tmp_path / "crm.xlsx")

    def drop_origin(workbook):
        sheet = workbook[META_SHEET]
        [row] = [cell.row for cell in sheet["A"] if cell.value == "origin"]
        sheet.delete_rows(row)

    edit_workbook(path, drop_origin)
    assert "origin" not in _metadata(path)
    code, summary = second.import_json(path, "crm", "--dry-run")
    assert code == 0, summary["errors"]
    assert summary["removed"] == 4  # the rule of a reqtrace workbook: STR/ROL/PRC/REQ-3 are not in it
