"""Progress of `export requirements` and `import requirements` on stderr: every PROGRESS_EVERY rows of a sheet
and once at its last row; ended before anything else is printed, an error in the middle of a run included.

PROGRESS_EVERY (2,000) is set to 43 here: the sample's 172 requirements are a multiple of it, the case where
the last row's count was once reported twice. The counts come from the workbooks themselves (openpyxl).
"""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from reqtrace.db import make_engine
from reqtrace.model import Project, Requirement
from tests.formats.conftest import REQUIREMENT_COLUMN
from tests.questionnaire.support import progress_stages

EVERY = 43
LEVEL_SHEETS = ("Strategies", "Roles", "Processes", "Requirements")


@pytest.fixture
def every(monkeypatch) -> int:
    import reqtrace.formats

    monkeypatch.setattr(reqtrace.formats, "PROGRESS_EVERY", EVERY)
    return EVERY


def data_rows(path) -> dict[str, int]:
    """Rows below each level sheet's header, as a spreadsheet program shows them."""
    workbook = openpyxl.load_workbook(path)
    return {name: workbook[name].max_row - 1 for name in LEVEL_SHEETS}


def expected_counts(rows: int) -> list[tuple[int, int]]:
    return [(done, rows) for done in range(EVERY, rows, EVERY)] + [(rows, rows)]


def test_export_requirements_reports_every_sheet_as_it_goes_and_its_last_row_once(sample, every, tmp_path):
    path = tmp_path / "crm.xlsx"
    result = sample.run("export", "requirements", "--project", "crm", "-o", path, "--progress")
    assert result.exit_code == 0, result.output
    rows = data_rows(path)
    assert rows["Requirements"] % EVERY == 0 and rows["Requirements"] // EVERY > 2  # the sample's 172
    assert progress_stages(result.stderr) == [(f"writing {sheet}", done, total) for sheet in LEVEL_SHEETS
                                              for done, total in expected_counts(rows[sheet])]
    assert result.stderr.endswith("\n")  # the progress line is ended before the summary
    assert result.stdout.startswith(f"Wrote {path}: ")


@pytest.mark.parametrize("into", ["crm", "copy"])
def test_import_requirements_reports_every_sheet_it_validates_and_its_last_row_once(sample, every, tmp_path, into):
    """Into its own project (every row unchanged, so skipped early) and into a new one (every row checked)."""
    path = sample.export(tmp_path / "crm.xlsx")
    rows = data_rows(path)
    result = sample.run("import", "requirements", path, "--project", into, "--dry-run", "--progress")
    assert result.exit_code == 0, result.output
    stages = progress_stages(result.stderr)
    assert stages[0] == ("read", None, None)
    assert [stage for stage in stages if stage[0] == "validate"] == [
        ("validate", done, total) for sheet in LEVEL_SHEETS for done, total in expected_counts(rows[sheet])]
    assert result.stderr.endswith("\n")
    assert result.stdout.startswith("Would import")


def test_an_export_failing_midway_prints_its_error_on_a_line_of_its_own(sample, every, tmp_path):
    """A text stored before the length check (old data, another tool): too long for a cell, found at row 101."""
    engine = make_engine(sample.url)
    with Session(engine) as session:
        crm = session.exec(select(Project).where(Project.key == "crm")).one()
        hundredth = session.exec(select(Requirement.hid).where(Requirement.project_id == crm.id)
                                 .order_by(Requirement.seq, Requirement.hid).offset(99).limit(1)).one()
        session.exec(update(Requirement).where(Requirement.project_id == crm.id, Requirement.hid == hundredth)
                     .values(statement="A" * 40_000))
        session.commit()
    engine.dispose()
    path = tmp_path / "crm.xlsx"

    result = sample.run("export", "requirements", "--project", "crm", "-o", path, "--progress")

    assert result.exit_code == 1
    shown, error, rest = result.stderr.split("\n")
    assert error == (f"error: Requirements row 101, column {REQUIREMENT_COLUMN['Statement']}: 40000 characters do "
                     "not fit in one Excel cell (at most 32767)")
    assert rest == ""
    assert progress_stages(shown)[-1] == ("writing Requirements", 2 * EVERY, 172)  # the last report before row 101
    assert result.stdout == ""
    assert not path.exists()


def test_an_import_failing_midway_prints_its_error_on_a_line_of_its_own(sample, tmp_path, monkeypatch):
    """The database refuses the writes (another program holds SQLite's lock): the error follows the progress."""
    import reqtrace.formats.requirements_import

    path = sample.export(tmp_path / "crm.xlsx")

    def locked(*_args, **_kwargs):
        raise OperationalError("INSERT INTO requirement ...", {}, Exception("database is locked"))

    monkeypatch.setattr(reqtrace.formats.requirements_import, "apply_plan", locked)
    result = sample.run("import", "requirements", path, "--project", "copy", "--progress")

    assert result.exit_code == 1
    shown, error, rest = result.stderr.split("\n")
    assert error.startswith("error: cannot use the database ") and error.endswith(": database is locked"), error
    assert rest == ""
    items = sum(data_rows(path).values())
    assert progress_stages(shown)[-1] == ("save", 0, items)
    assert result.stdout == ""
    assert sample.item("REQ-1", project="copy") is None
