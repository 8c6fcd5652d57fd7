"""Performance sanity, not timing: an import's SQL statements do not grow with the number of rows."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import Session

from reqtrace.db import make_engine, upgrade
from reqtrace.formats.requirements_export import export_requirements
from reqtrace.formats.requirements_import import import_requirements
from reqtrace.services.projects import get_project
from tests.builders import ProjectBuilder
from tests.formats.conftest import column_of, edit_workbook


def _project(session: Session, requirements: int) -> None:
    builder = ProjectBuilder("crm").strategy("STR-1").strategy("STR-2") \
        .role("ROL-1", strategies=["STR-1"]).role("ROL-2", strategies=["STR-1", "STR-2"])
    for number in range(1, 5):
        builder.process(f"PRC-{number}", roles=[f"ROL-{number % 2 + 1}"], steps=["Plan", "Do"])
    for number in range(1, requirements + 1):
        builder.requirement(f"REQ-{number}", processes=[f"PRC-{number % 4 + 1}"], tags=[f"tag-{number % 3}"],
                            statement=f"Statement {number}.", custom_fields={"Source": f"row {number}"})
    builder.build(session)


@contextmanager
def counting(engine):
    statements: list[str] = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _change_every_statement(workbook) -> None:
    sheet = workbook["Requirements"]
    column = column_of(sheet, "Statement")
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, column).value = f"Changed statement of row {row}."


def _statements(tmp_path: Path, requirements: int) -> dict[str, int]:
    """Statements run by a dry-run of the unchanged export, a dry-run and an apply of an all-changed one."""
    folder = tmp_path / str(requirements)
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'reqtrace.db'}")
    upgrade(engine)
    with Session(engine) as session:
        _project(session, requirements)
        session.commit()
    path = folder / "crm.xlsx"
    with Session(engine) as session:
        export_requirements(session, get_project(session, "crm"), path, actor="test")
    counts: dict[str, int] = {}
    try:
        with Session(engine) as session, counting(engine) as statements:
            summary = import_requirements(session, "crm", path, actor="test", dry_run=True)
            assert summary["unchanged"] == requirements + 8 and summary["changed"] == 0
            counts["dry-run, unchanged"] = len(statements)
        edit_workbook(path, _change_every_statement)
        with Session(engine) as session, counting(engine) as statements:
            summary = import_requirements(session, "crm", path, actor="test", dry_run=True)
            assert summary["changed"] == requirements
            counts["dry-run, all changed"] = len(statements)
        with Session(engine) as session, counting(engine) as statements:
            summary = import_requirements(session, "crm", path, actor="test")
            assert summary["applied"] and summary["changed"] == requirements
            session.commit()
            counts["apply, all changed"] = len(statements)
    finally:
        engine.dispose()
    return counts


@pytest.mark.slow
def test_import_statements_do_not_grow_with_the_number_of_requirements(tmp_path):
    small, large = _statements(tmp_path, 20), _statements(tmp_path, 200)
    assert large == small, f"20 requirements: {small}; 200 requirements: {large}"
