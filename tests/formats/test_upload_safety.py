"""Files that must never reach a parser: refused first, quickly, with a reason a person understands."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from reqtrace.formats import FormatError
from reqtrace.formats.requirements_import import read_requirements_workbook
from reqtrace.formats.xlsx_reader import check_workbook, open_workbook
from tests.formats import workbooks
from tests.formats.conftest import Reqtrace

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def _refused(path: Path, **options) -> str:
    with pytest.raises(FormatError) as refusal:
        check_workbook(path, **options)
    return str(refusal.value)


# --- check_workbook ---------------------------------------------------------------------------

def test_a_text_file_renamed_xlsx(tmp_path):
    message = _refused(workbooks.text_file(tmp_path / "list.xlsx"))
    assert message == "list.xlsx is not an Excel workbook (.xlsx)"


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def test_an_empty_file_is_called_empty(tmp_path):
    message = _refused(_empty(tmp_path / "saved-too-early.xlsx"))
    assert message.startswith("saved-too-early.xlsx is empty (0 bytes), not an Excel workbook")


def test_an_old_xls_or_encrypted_workbook(tmp_path):
    message = _refused(workbooks.ole2_file(tmp_path / "old.xlsx"))
    assert message.startswith("old.xlsx is password-protected (encrypted) or an old .xls file")
    assert "save it as an .xlsx workbook" in message


def test_a_zip_that_is_not_a_workbook(tmp_path):
    message = _refused(workbooks.zip_without_workbook(tmp_path / "letter.xlsx"))
    assert message == "letter.xlsx is a zip file but not an Excel workbook (.xlsx)"


def test_a_zip_with_encrypted_entries(tmp_path):
    """The zip format's own password protection: bit 0 of each entry's flags (Python cannot write it)."""
    path = tmp_path / "locked.xlsx"
    Workbook().save(path)
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    (count,) = struct.unpack_from("<H", data, end + 10)
    (position,) = struct.unpack_from("<I", data, end + 16)
    for _ in range(count):
        assert data[position:position + 4] == b"PK\x01\x02"
        data[position + 8] |= 0x1
        (local,) = struct.unpack_from("<I", data, position + 42)
        data[local + 6] |= 0x1
        name, extra, comment = struct.unpack_from("<HHH", data, position + 28)
        position += 46 + name + extra + comment
    path.write_bytes(bytes(data))
    message = _refused(path)
    assert message == "locked.xlsx holds encrypted parts; save it again without a password"


def test_a_file_over_the_size_limit(tmp_path):
    path = workbooks.oversized(tmp_path / "big.xlsx", megabytes=1.5)
    message = _refused(path, max_bytes=1 * MB)
    assert message == "big.xlsx is 1.5 MB; workbooks up to 1 MB are accepted"
    check_workbook(path, max_bytes=2 * MB)  # the same file under a higher limit is fine


def test_a_small_size_limit_still_gives_a_sensible_message(tmp_path):
    """A limit under 1 MB (a web deployment's setting) must not read 'up to 0 MB are accepted'."""
    path = workbooks.oversized(tmp_path / "big.xlsx", megabytes=0.6)
    message = _refused(path, max_bytes=500 * 1024)
    assert "up to 0 MB" not in message
    assert "500 KB" in message or "0.5 MB" in message or "0.49 MB" in message


def test_a_zip_bomb_is_refused_before_anything_expands(tmp_path):
    path = workbooks.zip_bomb(tmp_path / "bomb.xlsx", megabytes=50)
    assert path.stat().st_size < MB
    started = time.monotonic()
    message = _refused(path)
    assert time.monotonic() - started < 5
    assert "zip bomb" in message and "xl/worksheets/sheet1.xml" in message and "not opened" in message


def _peak_memory_of_opening(path: Path) -> tuple[int, float, str]:
    """Open `path` with open_workbook in a fresh interpreter: (peak RSS in KB, seconds, its output)."""
    code = ("import sys\nfrom reqtrace.formats.xlsx_reader import open_workbook\n"
            "try:\n    open_workbook(sys.argv[1])\n    print('opened')\n"
            "except Exception as error:\n    print(type(error).__name__, error)\n")
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _pid, _status, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_maxrss, time.monotonic() - started, output


def test_opening_a_zip_bomb_does_not_balloon_memory(tmp_path):
    baseline, _seconds, output = _peak_memory_of_opening(workbooks.many_rows(tmp_path / "small.xlsx", 3))
    assert output.strip() == "opened"
    peak, seconds, output = _peak_memory_of_opening(workbooks.zip_bomb(tmp_path / "bomb.xlsx", megabytes=200))
    assert output.startswith("FormatError") and "zip bomb" in output
    assert seconds < 5
    assert peak < baseline + 20 * 1024, f"peak {peak} KB against {baseline} KB opening a small workbook"


def _with_zero_parts(path, names: list[str], *, compresslevel: int) -> None:
    """An empty workbook plus a 10 MB part of zeros under each name."""
    buffer = io.BytesIO()
    Workbook().save(buffer)
    chunk = b"\0" * MB
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as original, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as out:
        for entry in original.infolist():
            out.writestr(entry, original.read(entry.filename))
        for name in names:
            with out.open(name, "w") as part:
                for _ in range(10):
                    part.write(chunk)


def test_a_bomb_spread_over_many_parts_is_refused_by_its_total_size(tmp_path):
    """Each part stays under the per-part ratio check (10 MB); together they expand to over 400 MB."""
    path = tmp_path / "spread.xlsx"
    _with_zero_parts(path, [f"xl/media/image{number}.bin" for number in range(41)], compresslevel=1)
    message = _refused(path)
    assert "would expand to 410 MB" in message and "not opened" in message


def test_a_bomb_of_many_parts_each_under_the_part_check_and_under_the_total_is_refused(tmp_path):
    """38 parts of 10 MB (each too small for the per-part check, 380 MB in all, under the 400 MB limit) in a
    file of well under a megabyte: the file as a whole expands far beyond any real workbook."""
    path = tmp_path / "many.xlsx"
    _with_zero_parts(path, [f"xl/worksheets/sheet{number + 2}.xml" for number in range(38)], compresslevel=9)
    assert path.stat().st_size < MB
    message = _refused(path)
    assert "looks like a zip bomb" in message and "not opened" in message


def test_a_doctype_in_a_utf16_part_or_an_upper_case_name_is_refused(tmp_path):
    source = workbooks.with_doctype(tmp_path / "xxe.xlsx")
    for variant, rename, encode in (("utf16", False, True), ("upper", True, False)):
        path = tmp_path / f"{variant}.xlsx"
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for entry in original.infolist():
                data = original.read(entry.filename)
                name = entry.filename
                if name == workbooks.SHEET1:
                    data = data.decode("utf-8").encode("utf-16") if encode else data
                    name = name[:-4] + ".XML" if rename else name
                out.writestr(name, data)
        assert "DOCTYPE" in _refused(path), variant


def test_a_part_that_lies_about_its_size_is_refused(tmp_path):
    """The directory says the sheet is 100 kB; its data inflates to 100 MB."""
    path = tmp_path / "liar.xlsx"
    buffer = io.BytesIO()
    workbooks.plain(tmp_path / "honest.xlsx", ["Title", "Requirement"], [["Quote", "Reps quote."]])
    original = zipfile.ZipFile(tmp_path / "honest.xlsx")
    sheet = original.read(workbooks.SHEET1)
    split = sheet.index(b"<sheetData>")
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as liar:
        for entry in original.infolist():
            if entry.filename != workbooks.SHEET1:
                liar.writestr(entry.filename, original.read(entry.filename))
        with liar.open(workbooks.SHEET1, "w", force_zip64=True) as part:
            part.write(sheet[:split])
            for _ in range(100):
                part.write(b" " * MB)
            part.write(sheet[split:])
    data = bytearray(buffer.getvalue())
    name = workbooks.SHEET1.encode()
    position = data.find(name)
    while position >= 0:
        if data[position - 46:position - 42] == b"PK\x01\x02":  # central directory entry
            struct.pack_into("<I", data, position - 46 + 24, 100_000)
        position = data.find(name, position + 1)
    path.write_bytes(bytes(data))
    started = time.monotonic()
    with pytest.raises(FormatError):
        open_workbook(path)
    assert time.monotonic() - started < 5


def test_xml_with_an_external_entity_is_refused(tmp_path):
    message = _refused(workbooks.with_doctype(tmp_path / "xxe.xlsx"))
    assert "DOCTYPE" in message and "xl/worksheets/sheet1.xml" in message and "not opened" in message


def test_a_doctype_after_a_long_comment_is_refused_too(tmp_path):
    """XML allows comments before the DOCTYPE: looking only at the first 4 kB of a part is not enough."""
    path = workbooks.with_doctype(tmp_path / "xxe.xlsx", padding=5000)
    with pytest.raises(FormatError) as refusal:
        read_requirements_workbook(path)
    assert "DOCTYPE" in str(refusal.value)


def test_a_valid_workbook_passes_the_checks(tmp_path):
    check_workbook(workbooks.title_block(tmp_path / "fine.xlsx"))


# --- the same refusals through the command line -----------------------------------------------

REFUSALS = {
    "text file": (workbooks.text_file, "is not an Excel workbook (.xlsx)"),
    "empty file": (_empty, "is empty (0 bytes)"),
    "old .xls": (workbooks.ole2_file, "password-protected (encrypted) or an old .xls file"),
    "zip without workbook": (workbooks.zip_without_workbook, "is a zip file but not an Excel workbook"),
    "zip bomb": (workbooks.zip_bomb, "looks like a zip bomb"),
    "DOCTYPE": (workbooks.with_doctype, "declares an XML DOCTYPE"),
    "over 20 MB": (lambda path: workbooks.oversized(path, megabytes=21), "workbooks up to 20 MB are accepted"),
}


@pytest.mark.parametrize("kind", list(REFUSALS))
def test_the_cli_refuses_with_exit_1_and_writes_nothing(sqlite: Reqtrace, tmp_path, kind):
    build, expected = REFUSALS[kind]
    path = build(tmp_path / "upload.xlsx")
    before = sqlite.snapshot("fresh")
    result = sqlite.run("import", "requirements", path, "--project", "fresh")
    assert result.exit_code == 1
    assert expected in result.stderr
    assert "Traceback" not in result.output
    assert sqlite.snapshot("fresh") == before  # not even the project was created


def test_the_cli_json_for_a_refused_file_is_an_import_summary(sqlite: Reqtrace, tmp_path):
    """Scripts read `applied` and `errors`; a refused upload is an import that failed with one error."""
    path = workbooks.text_file(tmp_path / "upload.xlsx")
    result = sqlite.run("import", "requirements", path, "--project", "fresh", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document.get("applied") is False
    assert [error["message"] for error in document["errors"]] == ["upload.xlsx is not an Excel workbook (.xlsx)"]
    assert set(document["errors"][0]) == {"sheet", "row", "column", "message"}
