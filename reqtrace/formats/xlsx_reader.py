"""Opening workbooks people send us: checked first, then read fast and by their real row numbers.

`check_workbook` refuses what is not a plain .xlsx before any parser sees it:
files over the size limit, old .xls and password-protected (encrypted) files,
zip files that are not workbooks, zip bombs and XML with DOCTYPE declarations.
`open_workbook` then reads cell values with python-calamine (a Rust reader,
an order of magnitude faster than openpyxl) and finds formula cells that
carry no cached value, which calamine alone cannot tell from empty cells.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from reqtrace.formats import FormatError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # sheets of repeated text compress well; bombs compress far better
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and encrypted .xlsx
_SHEET_ENTRY = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"', re.S)
_RELATIONSHIP = re.compile(rb'<Relationship\b([^>]*)>', re.S)
_ATTRIBUTE = re.compile(rb'\b(Id|Target)="([^"]*)"')
_CACHED_VALUE = re.compile(rb'<v>[^<]+</v>|<is>', re.S)
_CELL = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_REFERENCE = re.compile(rb'\br="([A-Z]+)(\d+)"')
_FORMULA = re.compile(rb'<f[\s>/]')  # a cell's formula element; not <formula1> of a data validation


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]  # rows[i] is spreadsheet row i + 1; cells "" when empty
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)  # zero-based corners
    formulas_without_value: set[tuple[int, int]] = field(default_factory=set)  # zero-based (row, column)
    hidden: bool = False


@dataclass
class WorkbookData:
    path: Path
    sheet_names: list[str]
    sheets: dict[str, Sheet]


def check_workbook(path: str | Path, *, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse a file that is not a safe, plain .xlsx workbook, saying why."""
    path = Path(path)
    name = path.name
    size = path.stat().st_size
    if size > max_bytes:
        raise FormatError(f"{name} is {_size(size)}; workbooks up to {_size(max_bytes)} are accepted")
    if size == 0:
        raise FormatError(f"{name} is empty (0 bytes), not an Excel workbook: save the workbook in Excel or "
                          f"LibreOffice and choose the saved file")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE2_SIGNATURE):
        raise FormatError(f"{name} is password-protected (encrypted) or an old .xls file: open it in Excel or "
                          "LibreOffice, remove the password and save it as an .xlsx workbook")
    if not zipfile.is_zipfile(path):
        raise FormatError(f"{name} is not an Excel workbook (.xlsx)")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
                raise FormatError(f"{name} is a zip file but not an Excel workbook (.xlsx)")
            total = 0
            for entry in entries:
                if entry.flag_bits & 0x1:
                    raise FormatError(f"{name} holds encrypted parts; save it again without a password")
                total += entry.file_size
                if entry.compress_size and entry.file_size / entry.compress_size > MAX_COMPRESSION_RATIO \
                        and entry.file_size > 10 * 1024 * 1024:
                    raise FormatError(f"{name} looks like a zip bomb: {entry.filename} expands "
                                      f"{entry.file_size // entry.compress_size}-fold; it was not opened")
            if total > MAX_UNCOMPRESSED_BYTES:
                raise FormatError(f"{name} would expand to {total / 1048576:.0f} MB; it was not opened "
                                  f"(the limit is {MAX_UNCOMPRESSED_BYTES / 1048576:.0f} MB)")
            if total > 10 * 1024 * 1024 and total / max(size, 1) > MAX_COMPRESSION_RATIO:
                # Many parts each under the per-part check add up: judge the file as a whole too.
                raise FormatError(f"{name} looks like a zip bomb: it expands {total // max(size, 1)}-fold; it was "
                                  "not opened")
            for entry in entries:
                if entry.filename.lower().endswith((".xml", ".rels")):
                    with archive.open(entry) as part:
                        if _declares_doctype(part):
                            raise FormatError(f"{name}: {entry.filename} declares an XML DOCTYPE, which "
                                              "workbooks never need; it was not opened")
    except zipfile.BadZipFile as error:
        raise FormatError(f"{name} is a damaged zip file: {error}") from None


def open_workbook(path: str | Path, *, max_bytes: int = MAX_UPLOAD_BYTES) -> WorkbookData:
    """Check, then read every sheet's values (cached values for formulas)."""
    path = Path(path)
    check_workbook(path, max_bytes=max_bytes)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        metadata = {sheet.name: sheet for sheet in workbook.sheets_metadata}
        sheets: dict[str, Sheet] = {}
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = list(sheet.merged_cell_ranges or [])
            hidden = str(getattr(metadata.get(name), "visible", "")).lower().endswith(("hidden",))
            sheets[name] = Sheet(name, rows, merged, hidden=hidden)
        names = list(workbook.sheet_names)
        workbook.close()
    except PasswordError:
        raise FormatError(f"{path.name} is password-protected: remove the password and save it again") from None
    except CalamineError as error:
        raise FormatError(f"{path.name} could not be read as a workbook: {error}") from None
    _mark_formulas_without_value(path, sheets)
    return WorkbookData(path, names, sheets)


def _mark_formulas_without_value(path: Path, sheets: dict[str, Sheet]) -> None:
    """Find formula cells with no cached value (a workbook generated by a script, never recalculated)."""
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml")
        try:
            relations = archive.read("xl/_rels/workbook.xml.rels")
        except KeyError:
            return
        targets = {}
        for attributes in _RELATIONSHIP.findall(relations):  # attribute order differs between writers
            found = dict(_ATTRIBUTE.findall(attributes))
            if b"Id" in found and b"Target" in found:
                targets[found[b"Id"].decode()] = found[b"Target"].decode()
        for raw_name, rid in _SHEET_ENTRY.findall(workbook):
            name = _unescape(raw_name.decode("utf-8"))
            target = targets.get(rid.decode())
            if name not in sheets or not target:
                continue
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            try:
                xml = archive.read(part)
            except KeyError:
                continue
            if not _FORMULA.search(xml):
                continue
            for attributes, body in _CELL.findall(xml):
                if not body or b"<f" not in body or _CACHED_VALUE.search(body):  # <v/> is no value
                    continue
                reference = _REFERENCE.search(attributes)
                if reference:
                    sheets[name].formulas_without_value.add((int(reference.group(2)) - 1,
                                                             _column_index(reference.group(1).decode())))


def _size(count: int) -> str:
    if count < 1048576:
        return f"{max(1, round(count / 1024))} KB"
    megabytes = count / 1048576
    return f"{megabytes:.0f} MB" if megabytes.is_integer() else f"{megabytes:.1f} MB"


def _declares_doctype(part) -> bool:
    """Read the XML prolog (declaration, comments, processing instructions) up to the root element."""
    buffer = b""
    while True:
        chunk = part.read(65536)
        if not buffer and chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: judge the prolog as text
            text = (chunk + part.read(1 << 20)).decode("utf-16", errors="replace")
            return _prolog_verdict(text.encode("utf-8")) is not False
        buffer += chunk
        verdict = _prolog_verdict(buffer)
        if verdict is not None:
            return verdict
        if not chunk:
            return False


def _prolog_verdict(data: bytes) -> bool | None:
    """True: a DOCTYPE comes before the root element; False: none does; None: read more."""
    text = data
    while True:
        text = text.lstrip(b"\xef\xbb\xbf \t\r\n")
        for opening, closing in ((b"<?", b"?>"), (b"<!--", b"-->")):
            if text.startswith(opening):
                end = text.find(closing)
                if end < 0:
                    return None
                text = text[end + len(closing):]
                break
        else:
            if text[:1] == b"<" and text[1:2].isalpha():
                return False  # the root element: no DOCTYPE came before it
            if len(text) < 9:
                return None if text else False
            return text[:9].upper() == b"<!DOCTYPE"


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'") \
        .replace("&amp;", "&")
