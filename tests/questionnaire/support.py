"""Helpers for the questionnaire and scoring-record tests (also used by tests/web/test_workbooks.py).

They act as the people involved would: procurement runs the CLI, a vendor
opens the questionnaire in a spreadsheet program, picks answers and sends the
file back.
"""

from __future__ import annotations

import contextlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any, Iterator

import openpyxl
from click.testing import CliRunner
from sqlalchemy import select
from sqlmodel import Session

from reqtrace.cli import main
from reqtrace.db import make_engine, session_scope
from reqtrace.model import Project, Requirement, Vendor, VendorResponse
from reqtrace.services.projects import get_project

SIX_ANSWERS = ["fully supported", "configuration", "customisation", "third party", "roadmap", "not supported"]
HEADERS = ["ID", "Requirement", "Acceptance criteria", "Priority", "Answer", "Comment", "How we will demonstrate it"]
ANSWER_COLUMN = HEADERS.index("Answer") + 1
SHEET, META = "Questionnaire", "_reqtrace"


# --- the command line -------------------------------------------------------------------------

def run(url: str, *args: Any):
    return CliRunner().invoke(main, ["--db", url, *map(str, args)])


def run_json(url: str, *args: Any) -> tuple[int, dict[str, Any]]:
    """Run a command with --json: (exit code, the one JSON document it printed on stdout)."""
    result = run(url, *args, "--json")
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"not exactly one JSON document (exit {result.exit_code}):\n{result.stdout}\n"
                             f"{result.stderr}\n{result.exception!r}") from None
    return result.exit_code, document


def run_at_a_terminal(url: str, *args: Any) -> tuple[int, str, str]:
    """Run `reqtrace` as its own process with stderr on a pseudo-terminal, as a person at a terminal would.

    Returns the exit code, stdout, and what the terminal was sent.
    """
    import os
    import subprocess
    import sys

    main_fd, terminal = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "reqtrace", "--db", url, *map(str, args)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    try:
        stdout, _ = process.communicate(timeout=120)
        shown = b""
        while True:  # the little it wrote waits in the terminal's buffer; EIO once it is all read
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main_fd)
    return process.returncode, stdout.decode(), shown.decode()


PROGRESS_LINE = re.compile(r"(?P<stage>.+?)(?:: (?P<done>[\d,]+) of (?P<total>[\d,]+) rows|…) \(\d+\.\d s\)")


def progress_stages(stderr: str) -> list[tuple[str, int | None, int | None]]:
    """The progress lines on stderr as (stage, rows done, of rows); None, None for a stage shown without counts.

    Each progress line starts with a carriage return and overwrites the one before: a terminal shows the
    last, but stderr holds them all. Anything else on stderr (error messages) is not progress.
    """
    stages = []
    for part in stderr.replace("\n", "\r").split("\r"):
        match = PROGRESS_LINE.fullmatch(part.strip())
        if match:
            counts = [int(match[name].replace(",", "")) if match[name] else None for name in ("done", "total")]
            stages.append((match["stage"], *counts))
    return stages


def export_questionnaire(url: str, vendor: str, path: Path, project: str = "crm") -> dict[str, Any]:
    code, document = run_json(url, "export", "questionnaire", "--project", project, "--vendor", vendor, "-o", path)
    assert code == 0, document
    return document


def import_responses(url: str, path: Path, vendor: str, project: str = "crm", *options: str
                     ) -> tuple[int, dict[str, Any]]:
    return run_json(url, "import", "responses", path, "--project", project, "--vendor", vendor, *options)


def score(url: str, project: str = "crm", *, details: bool = False) -> dict[str, dict[str, Any]]:
    """`reqtrace score --json` per vendor slug."""
    code, document = run_json(url, "score", "--project", project, *(["--details"] if details else []))
    assert code == 0, document
    return {vendor["vendor"]: vendor for vendor in document["vendors"]}


# --- a vendor answering in a spreadsheet program ----------------------------------------------

def row_numbers(sheet) -> dict[str, int]:
    """Requirement ID -> its 1-based row on the questionnaire sheet."""
    return {sheet.cell(row, 1).value: row for row in range(2, sheet.max_row + 1) if sheet.cell(row, 1).value}


def answer(path: Path, answers: dict[str, str | None], *, comments: dict[str, str] | None = None,
           demonstrations: dict[str, str] | None = None, target: Path | None = None) -> Path:
    """Fill the Answer (and Comment, How we will demonstrate it) cells of some rows; None clears an answer."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[SHEET]
    rows = row_numbers(sheet)
    for hid, value in answers.items():
        sheet.cell(rows[hid], ANSWER_COLUMN).value = value
    for hid, text in (comments or {}).items():
        sheet.cell(rows[hid], HEADERS.index("Comment") + 1).value = text
    for hid, text in (demonstrations or {}).items():
        sheet.cell(rows[hid], HEADERS.index("How we will demonstrate it") + 1).value = text
    target = target or path
    workbook.save(target)
    return target


def edit(path: Path, change, target: Path | None = None) -> Path:
    """Open with openpyxl, let `change(workbook)` edit it, save (in place unless `target`)."""
    workbook = openpyxl.load_workbook(path)
    change(workbook)
    target = target or path
    workbook.save(target)
    return target


def metadata(path: Path) -> dict[str, Any]:
    sheet = openpyxl.load_workbook(path)[META]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}


def set_metadata(path: Path, name: str, value: Any) -> Path:
    def change(workbook):
        sheet = workbook[META]
        for row in sheet.iter_rows():
            if row[0].value == name:
                row[1].value = value
                return
        raise AssertionError(f"no {name!r} in the metadata")
    return edit(path, change)


def cell_xml(path: Path, sheet_name: str, reference: str) -> str:
    """The raw XML of one cell (to see whether it holds a formula)."""
    import re

    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        relations = archive.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(r'<sheet\b[^>]*name="' + re.escape(sheet_name) + r'"[^>]*r:id="([^"]+)"', workbook).group(1)
        target = (re.search(r'<Relationship\b[^>]*Id="' + rid + r'"[^>]*Target="([^"]+)"', relations)
                  or re.search(r'<Relationship\b[^>]*Target="([^"]+)"[^>]*Id="' + rid + '"', relations)).group(1)
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        xml = archive.read(part).decode()
    match = re.search(r'<c r="' + reference + r'"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
    assert match, f"no cell {reference} on {sheet_name}"
    return match.group(0)


# --- what the database holds ------------------------------------------------------------------

@contextlib.contextmanager
def database(url: str, *, write: bool = False) -> Iterator[Session]:
    """A fresh session (committed on success when `write`), so reads see what the CLI just wrote."""
    engine = make_engine(url)
    try:
        with session_scope(engine, write=write) as session:
            yield session
    finally:
        engine.dispose()


def stored_answers(url: str, vendor: str, project: str = "crm") -> dict[str, dict[str, Any]]:
    """The vendor's stored answers: ID -> answer, comment, demonstration, when imported."""
    with database(url) as session:
        rows = session.exec(
            select(Requirement.hid, VendorResponse.answer, VendorResponse.comment, VendorResponse.demonstration,
                   VendorResponse.imported_at)
            .join(Requirement, Requirement.id == VendorResponse.requirement_id)
            .join(Vendor, Vendor.id == VendorResponse.vendor_id)
            .join(Project, Project.id == Vendor.project_id)
            .where(Vendor.slug == vendor, Project.key == project)).all()
    return {hid: {"answer": answer_, "comment": comment, "demonstration": demonstration, "imported_at": when}
            for hid, answer_, comment, demonstration, when in rows}


def answers_only(stored: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {hid: row["answer"] for hid, row in stored.items()}


def change_requirement(url: str, hid: str, project: str = "crm", **fields: Any) -> None:
    """Edit a requirement as its owner would (validated, audited, versioned)."""
    from reqtrace.services.items import get_item, set_status, update_item

    with database(url, write=True) as session:
        found = get_project(session, project)
        item = get_item(session, found, "requirement", hid)
        status = fields.pop("status", None)
        if fields:
            update_item(session=session, project=found, kind="requirement", item=item, fields=fields, actor="test")
        if status is not None:
            set_status(session=session, project=found, kind="requirement", item=item, status=status, actor="test")


# --- LibreOffice, to recalculate workbooks as a person opening them would ---------------------

def libreoffice() -> str:
    """The soffice executable; the test fails (not skips) without it: the recalculation is the contract."""
    import shutil

    import pytest

    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.fail("LibreOffice is not installed, so the scoring record's formulas cannot be recalculated: "
                    "install libreoffice-calc-nogui (the test command installs it)")
    return found


def recalculate(paths: list[Path], workdir: Path) -> list[Path]:
    """Open each workbook in LibreOffice (headless), let it recalculate, save as .xlsx; returns the new files."""
    import os
    import subprocess

    soffice = libreoffice()
    out, home, profile = workdir / "recalculated", workdir / "lo-home", workdir / "lo-profile"
    for folder in (out, home):
        folder.mkdir(parents=True, exist_ok=True)
    names = [path.name for path in paths]
    assert len(set(names)) == len(names), "LibreOffice writes by file name: give each workbook its own name"
    completed = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--calc",
         "--convert-to", "xlsx", "--outdir", str(out), *map(str, paths)],
        env={**os.environ, "HOME": str(home)}, capture_output=True, text=True, timeout=120)
    results = [out / name for name in names]
    missing = [path.name for path in results if not path.exists()]
    assert not missing, f"LibreOffice did not convert {missing}:\n{completed.stdout}\n{completed.stderr}"
    return results
