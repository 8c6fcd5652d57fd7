"""Whatever text the database holds, every exported workbook opens: characters XML cannot hold are dropped.

U+FFFE, U+FFFF and lone surrogates made a workbook that no program (openpyxl included) opens. New input never
holds them; these tests write them straight into the database, as old data or another tool may have.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook
from sqlalchemy import update
from sqlmodel import Session, select

from reqtrace.db import make_engine
from reqtrace.formats.xlsx_writer import SheetColumn, SheetWriter
from reqtrace.model import Project, Requirement, Vendor
from tests.formats.conftest import REQUIREMENT_COLUMN, Reqtrace

INJECTION = '=HYPERLINK("http://x","y")'


@pytest.fixture
def poisoned(demo_url, cli_env) -> Reqtrace:
    """The demo project with U+FFFE and U+FFFF in a requirement's texts, a custom field and a vendor's name."""
    engine = make_engine(demo_url)
    with Session(engine) as session:
        crm = session.exec(select(Project).where(Project.key == "crm")).one()
        session.exec(update(Requirement).where(Requirement.project_id == crm.id, Requirement.hid == "REQ-47").values(
            title="\ufffe" + INJECTION, statement="Works\uffff offline\ufffe for a week.",
            acceptance="Pull\ufffe the cable.", custom_fields={"Source\uffff": "Workshop\ufffe 3"}))
        session.exec(update(Vendor).where(Vendor.project_id == crm.id, Vendor.slug == "atlas").values(
            name="Atlas\ufffe Field\uffff Systems"))
        session.commit()
    engine.dispose()
    return Reqtrace(demo_url)


def export(reqtrace: Reqtrace, path: Path, *args: str) -> openpyxl.Workbook:
    result = reqtrace.run("export", *args, "--project", "crm", "-o", path)
    assert result.exit_code == 0, (result.output, result.exception)
    assert not any(character in archive_text(path) for character in "\ufffe\uffff")
    return openpyxl.load_workbook(path)  # raised a ParseError before


def archive_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


def row_of(sheet, hid: str) -> list:
    return next(list(row) for row in sheet.iter_rows() if row[0].value == hid)


def test_a_requirement_holding_xml_illegal_characters_exports_without_them(poisoned, tmp_path):
    workbook = export(poisoned, tmp_path / "crm.xlsx", "requirements")
    sheet = workbook["Requirements"]
    row = row_of(sheet, "REQ-47")
    column = {header: openpyxl.utils.column_index_from_string(letter) - 1
              for header, letter in REQUIREMENT_COLUMN.items()}
    assert row[column["Statement"]].value == "Works offline for a week."
    assert row[column["Acceptance criteria"]].value == "Pull the cable."
    title = row[column["Title"]]
    assert (title.value, title.data_type) == (INJECTION, "s")  # text, not a formula, once the U+FFFE is gone
    headers = [cell.value for cell in sheet[1]]
    assert "Source" in headers and row[headers.index("Source")].value == "Workshop 3"
    assert "<f>" not in archive_text(tmp_path / "crm.xlsx")


@pytest.mark.parametrize("what", ["questionnaire", "scores", "checklist"])
def test_a_vendor_name_holding_xml_illegal_characters_exports_without_them(poisoned, tmp_path, what):
    """The vendor's name is on the questionnaire's and the checklist's instructions and the scores' summary."""
    args = (what,) if what == "scores" else (what, "--vendor", "atlas")
    workbook = export(poisoned, tmp_path / f"{what}.xlsx", *args)
    texts = [cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str)]
    assert any("Atlas Field Systems" in text for text in texts)


def test_the_writer_drops_every_xml_illegal_character_from_cells_and_headers():
    workbook = Workbook(write_only=True)
    writer = SheetWriter(workbook, "Sheet", [SheetColumn("=Header\ud800\x01"), SheetColumn("Text")])
    writer.append(["lone\udc00 surrogate\ufffe", "=1+1\uffff"])
    writer.finish()
    target = io.BytesIO()
    workbook.save(target)
    sheet = openpyxl.load_workbook(io.BytesIO(target.getvalue()))["Sheet"]
    assert [(cell.value, cell.data_type) for cell in sheet[1]] == [("=Header", "s"), ("Text", "s")]
    assert [(cell.value, cell.data_type) for cell in sheet[2]] == [("lone surrogate", "s"), ("=1+1", "s")]


def test_a_questionnaire_whose_baseline_holds_such_characters_is_accepted_back(demo_url, cli_env, tmp_path):
    """The questionnaire's checksum and the check of its answers read the text as the workbook holds it."""
    from reqtrace.model import BaselineItem

    engine = make_engine(demo_url)
    with Session(engine) as session:
        item = session.exec(select(BaselineItem).where(BaselineItem.kind == "requirement",
                                                       BaselineItem.hid == "REQ-47")).first()
        item.data = {**item.data, "statement": "Works\uffff offline.", "acceptance": "Pull\ufffe the cable."}
        session.add(item)
        session.commit()
    engine.dispose()
    reqtrace = Reqtrace(demo_url)
    path = tmp_path / "atlas.xlsx"
    workbook = export(reqtrace, path, "questionnaire", "--vendor", "atlas")
    sheet = workbook["Questionnaire"]
    headers = [cell.value for cell in sheet[1]]
    row = row_of(sheet, "REQ-47")
    assert row[headers.index("Requirement")].value.endswith("Works offline.")
    row[headers.index("Answer")].value = "configuration"
    workbook.save(path)
    result = reqtrace.run("import", "responses", path, "--project", "crm", "--vendor", "atlas", "--json")
    assert result.exit_code == 0, result.output
