"""Workbooks the tests import, built with openpyxl in the test's folder (never committed as binaries).

Each builder writes one kind of workbook people actually send: a catalogue with
a title block, merged group headers, another tool's column names, a sheet that
claims a million rows, formulas with and without cached values, a supplier
questionnaire, another requirements tool's export. `patch_part` edits the XML
inside a saved workbook for what openpyxl cannot write (cached formula values,
a lying dimension, a DOCTYPE). The files that must be refused (text, OLE2,
zip bombs) are here too.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path
from typing import Callable

from openpyxl import Workbook

SHEET1 = "xl/worksheets/sheet1.xml"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# --- editing the XML of a saved workbook ------------------------------------------------------

def patch_part(path: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    """Rewrite one part of the zip with `change(xml)`; the other parts are copied as they are."""
    source = path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as patched:
        names = original.namelist()
        assert member in names, f"{member} not in {names}"
        for entry in original.infolist():
            data = original.read(entry.filename)
            if entry.filename == member:
                data = change(data)
            patched.writestr(entry, data)
    path.write_bytes(buffer.getvalue())
    return path


def sheet_part(path: Path, sheet_name: str) -> str:
    """The zip member that holds the sheet called `sheet_name`."""
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        relations = archive.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet\b[^>]*name="' + re.escape(sheet_name) + r'"[^>]*r:id="([^"]+)"', workbook).group(1)
    target = re.search(r'<Relationship\b[^>]*Id="' + rid + r'"[^>]*Target="([^"]+)"', relations)
    if target is None:  # attribute order differs between writers
        target = re.search(r'<Relationship\b[^>]*Target="([^"]+)"[^>]*Id="' + rid + '"', relations)
    name = target.group(1)
    return name.lstrip("/") if name.startswith("/") else f"xl/{name}"


def set_cached_values(path: Path, member: str, values: dict[str, object]) -> Path:
    """Give formula cells (as openpyxl writes them: `<f>..</f><v />`) a cached value, as Excel would."""
    def change(xml: bytes) -> bytes:
        text = xml.decode()
        for reference, value in values.items():
            pattern = re.compile(r'<c r="' + reference + r'"([^>]*)><f>(.*?)</f><v\s*/></c>', re.S)
            assert pattern.search(text), f"no formula cell {reference} in {member}"
            if isinstance(value, str):
                replacement = f'<c r="{reference}" t="str"><f>\\2</f><v>{value}</v></c>'
            else:
                replacement = f'<c r="{reference}"><f>\\2</f><v>{value}</v></c>'
            text = pattern.sub(replacement, text)
        return text.encode()
    return patch_part(path, member, change)


def drop_empty_cached_values(path: Path, member: str) -> Path:
    """Formula cells with no `<v>` at all (what some generators write) instead of openpyxl's `<v />`."""
    def change(xml: bytes) -> bytes:
        patched, count = re.subn(rb"(</f>)<v\s*/>", rb"\1", xml)
        assert count, "no formula cells to patch"
        return patched
    return patch_part(path, member, change)


def excel_relationship_order(path: Path) -> Path:
    """Rewrite xl/_rels/workbook.xml.rels with attributes in Excel's order (Id, Type, Target)."""
    def change(xml: bytes) -> bytes:
        def reorder(match: re.Match) -> bytes:
            attributes = dict(re.findall(rb'(\w+)="([^"]*)"', match.group(0)))
            return (b'<Relationship Id="' + attributes[b"Id"] + b'" Type="' + attributes[b"Type"]
                    + b'" Target="' + attributes[b"Target"] + b'"/>')
        return re.sub(rb"<Relationship\b[^>]*/>", reorder, xml)
    return patch_part(path, "xl/_rels/workbook.xml.rels", change)


def claim_a_million_rows(path: Path, member: str = SHEET1, *, styled_last_row: bool = False) -> Path:
    """Make the sheet's dimension say A1:Z1048576 (and optionally format a cell on the very last row)."""
    def change(xml: bytes) -> bytes:
        patched, count = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:Z1048576"/>', xml)
        assert count == 1
        if styled_last_row:
            patched = patched.replace(b"</sheetData>", b'<row r="1048576"><c r="Z1048576" s="0"/></row></sheetData>')
        return patched
    return patch_part(path, member, change)


# --- foreign workbooks ------------------------------------------------------------------------

def title_block(path: Path, *, bad_priority: bool = False) -> Path:
    """A title, a subtitle and blank rows above the header on row 5; a blank row inside the data.

    Data rows: 6, 7, 9 (row 8 is blank). With `bad_priority`, row 9 says "banana".
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "CRM requirements"
    sheet["A1"] = "Calder Pumps — CRM requirements for tender 2024/17"
    sheet.merge_cells("A1:E1")
    sheet["A2"] = "Issued by procurement, version 3"
    rows = {
        5: ["ID", "Title", "Requirement", "Priority", "Notes"],
        6: [None, "Quote offline", "Reps create a quote on the laptop with no connection.", "Must",
            "from workshop 2"],
        7: [None, "Log a call", "Inside sales log every call against the account.", "Should", None],
        9: [None, "Forecast by segment", "Managers see the forecast per customer segment.",
            "banana" if bad_priority else "Could", "board request"],
    }
    for number, row in rows.items():
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(number, column, value)
    workbook.save(path)
    return path


def merged_headers(path: Path) -> Path:
    """A group header "Requirement" merged over Title and Description; Ref, Priority, Comments merged down."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Catalogue"
    sheet["A1"] = "Supplier catalogue"
    sheet.merge_cells("A1:E1")
    sheet["A3"], sheet["B3"], sheet["D3"], sheet["E3"] = "Ref", "Requirement", "Priority", "Comments"
    sheet.merge_cells("A3:A4")
    sheet.merge_cells("B3:C3")
    sheet.merge_cells("D3:D4")
    sheet.merge_cells("E3:E4")
    sheet["B4"], sheet["C4"] = "Title", "Description"
    sheet.append(["R-1", "Visit plan", "Reps plan a week of visits on a map.", "High", "map needed"])
    sheet.append(["R-2", "Service history", "Engineers see the service history of a pump on site.", "Low", None])
    workbook.save(path)
    return path


def renamed_columns(path: Path) -> Path:
    """Columns in another order with other names: Owner, Criticality, Description, Req ID, two unknown."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Reqs"
    sheet.append(["Owner", "Criticality", "Description", "Req ID", "Vendor comment", "Source"])
    sheet.append(["sam", "High", "The system records every customer visit.", "CRM-001", "standard", "workshop 1"])
    sheet.append(["priya", "Medium", "Quotes are approved on a phone.", "CRM-002", None, "workshop 2"])
    sheet.append([None, "Low", "Marketing sends a newsletter per segment.", None, "add-on", None])
    workbook.save(path)
    return path


def plain(path: Path, header: list[str], rows: list[list[object]], *, sheet_name: str = "Requirements") -> Path:
    """One sheet, header on row 1."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def many_rows(path: Path, count: int) -> Path:
    return plain(path, ["Title", "Requirement", "Priority"],
                 [[f"Requirement {n}", f"The system does thing {n}.", "Should"] for n in range(1, count + 1)])


def formulas(path: Path, *, cached: str) -> Path:
    """Formula cells in Title, Priority, Weight and a custom column.

    cached="values": each formula carries Excel's cached value (read by value);
    "openpyxl": the `<f>..</f><v />` openpyxl writes, never calculated;
    "absent": no `<v>` element at all.
    Row 2: Title =UPPER(..) -> "QUOTE OFFLINE", Priority =IF(..) -> "Must", Weight =2*4 -> 8,
    Score =1+1 -> 2. Row 3 has only plain values.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Requirements"
    sheet.append(["Title", "Requirement", "Priority", "Weight", "Score"])
    sheet.append(['=UPPER("quote offline")', "Reps quote with no connection.", '=IF(1>0,"Must","Could")',
                  "=2*4", "=1+1"])
    sheet.append(["Log a call", "Inside sales log calls.", "Could", 2, 5])
    workbook.save(path)
    if cached == "values":
        set_cached_values(path, SHEET1, {"A2": "QUOTE OFFLINE", "C2": "Must", "D2": 8, "E2": 2})
    elif cached == "absent":
        drop_empty_cached_values(path, SHEET1)
    else:
        assert cached == "openpyxl"
    return path


def formula_in_custom_column(path: Path, *, cached: str) -> Path:
    """Only the Weight and a custom column hold formulas, so an uncalculated workbook still imports."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Requirements"
    sheet.append(["Title", "Requirement", "Weight", "Score"])
    sheet.append(["Quote offline", "Reps quote with no connection.", "=2*4", "=1+1"])
    workbook.save(path)
    if cached == "absent":
        drop_empty_cached_values(path, SHEET1)
    return path


QUESTIONNAIRE = {
    "Sales": [(1.1, "The system shows every open quote of an account.", "YES"),
              (1.2, "Reps can work with no network connection for a week.", "IN-PART"),
              (1.3, "Quotes can be signed on a tablet.", "NO")],
    "Service": [(2.1, "Engineers see the installed base of a site.", "YES"),
                (2.2, "Service contracts renew automatically.", "N/A")],
}
ANSWER_COLUMNS = ["YES", "IN-PART", "NO", "N/A"]


def questionnaire(path: Path) -> Path:
    """Two sheets with title rows, a section heading, "No." and "Requirement", and x-marked answer columns."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in QUESTIONNAIRE.items():
        sheet = workbook.create_sheet(name)
        sheet["A1"] = f"Supplier questionnaire — {name}"
        sheet.merge_cells("A1:G1")
        sheet["A2"] = "Mark one answer per line with an x."
        for column, header in enumerate(["No.", "Requirement", *ANSWER_COLUMNS, "Comment"], start=1):
            sheet.cell(4, column, header)
        sheet["A5"] = f"{rows[0][0]:.0f} {name} processes"  # a section heading, merged across
        sheet.merge_cells("A5:G5")
        for number, (label, text, answer) in enumerate(rows, start=6):
            sheet.cell(number, 1, label)
            sheet.cell(number, 2, text)
            sheet.cell(number, 3 + ANSWER_COLUMNS.index(answer), "x")
            if answer == "IN-PART":
                sheet.cell(number, 7, "only read access offline")
    workbook.save(path)
    return path


OTHER_TOOL_ROWS = [
    ("SRS-001", "1.1", "The system shall record customer visits.", ""),
    ("SRS-002", "1.2", "The system shall synchronise visits made offline.\nConflicts are shown to the rep.",
     "SRS-001"),
    ("SRS-003", "2.0", "The system shall report visits per segment.", "SRS-001, SRS-002"),
]


def other_tool(path: Path) -> Path:
    """What another requirements tool exports: uid, level, text, links (links between its own uids)."""
    return plain(path, ["uid", "level", "text", "links"], [list(row) for row in OTHER_TOOL_ROWS],
                 sheet_name="SRS")


def two_sheets(path: Path) -> Path:
    """Requirements on one sheet, a sheet of notes that also looks like a table on the other."""
    workbook = Workbook()
    first = workbook.active
    first.title = "Requirements"
    first.append(["Title", "Requirement", "Priority"])
    first.append(["Quote offline", "Reps quote with no connection.", "Must"])
    notes = workbook.create_sheet("Notes")
    notes.append(["ID", "Description", "Owner"])
    notes.append(["N-1", "Remember to ask about licences.", "priya"])
    workbook.save(path)
    return path


def unrecognisable_header(path: Path) -> Path:
    """A German header on row 3 that matches no synonym: needs --header-row and --map."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Anforderungen"
    sheet["A1"] = "Lastenheft CRM"
    sheet.cell(3, 1, "Nummer")
    sheet.cell(3, 2, "Anforderung")
    sheet.cell(3, 3, "Wichtigkeit")
    sheet.cell(4, 1, "A-1")
    sheet.cell(4, 2, "Das System zeigt alle Angebote.")
    sheet.cell(4, 3, "Must")
    sheet.cell(5, 1, "A-2")
    sheet.cell(5, 2, "Das System arbeitet offline.")
    sheet.cell(5, 3, "Could")
    workbook.save(path)
    return path


# --- files that must be refused ---------------------------------------------------------------

def text_file(path: Path) -> Path:
    path.write_text("ID,Title\nREQ-1,Quote offline\n")
    return path


def ole2_file(path: Path) -> Path:
    """What an old .xls or a password-protected .xlsx starts with."""
    path.write_bytes(OLE2_SIGNATURE + os.urandom(4096))
    return path


def zip_without_workbook(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return path


def zip_bomb(path: Path, *, megabytes: int = 50) -> Path:
    """A real workbook whose sheet part is `megabytes` MB of zeros, deflated to a few dozen KB."""
    buffer = io.BytesIO()
    Workbook().save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as original, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for entry in original.infolist():
            if entry.filename == SHEET1:
                continue
            bomb.writestr(entry, original.read(entry.filename))
        chunk = b"\0" * (1024 * 1024)
        info = zipfile.ZipInfo(SHEET1)
        info.compress_type = zipfile.ZIP_DEFLATED
        with bomb.open(info, "w", force_zip64=True) as part:
            for _ in range(megabytes):
                part.write(chunk)
    return path


def oversized(path: Path, *, megabytes: float) -> Path:
    """A valid workbook carrying an incompressible embedded file, `megabytes` MB in all."""
    buffer = io.BytesIO()
    Workbook().save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as original, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as big:
        for entry in original.infolist():
            big.writestr(entry, original.read(entry.filename))
        big.writestr(zipfile.ZipInfo("xl/media/image1.png"), os.urandom(int(megabytes * 1024 * 1024)),
                     compress_type=zipfile.ZIP_STORED)
    return path


EXTERNAL_ENTITY = (b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')


def with_doctype(path: Path, *, padding: int = 0) -> Path:
    """A workbook whose sheet XML declares an external entity, after `padding` bytes of XML comment."""
    many_rows(path, 2)
    comment = b"<!--" + b"x" * padding + b"-->" if padding else b""

    def change(xml: bytes) -> bytes:
        declaration_end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
        body = xml[declaration_end:].replace(b"<t>Requirement 1</t>", b"<t>&xxe;</t>")
        return xml[:declaration_end] + comment + EXTERNAL_ENTITY + body
    return patch_part(path, SHEET1, change)
