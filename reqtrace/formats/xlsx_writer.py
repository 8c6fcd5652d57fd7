"""Writing sheets fast, safely and ready for people to edit in Excel or LibreOffice.

A `SheetWriter` streams rows through openpyxl's write-only mode with a frozen,
styled header, an autofilter, dropdowns on enumerated columns and sheet
protection that locks only the columns reqtrace owns. Every string is written
as text, never as a formula: a title like `=HYPERLINK(...)` stays a title.
Characters no workbook can hold (XML 1.0 forbids them) are dropped from every
string, headers too, so whatever is stored, the workbook opens.

openpyxl would style cells one object at a time, which costs as much again as
writing them; `_lean_rows` instead reuses one cell and shares one style array
per column (the same thing openpyxl does for unstyled cells).
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import ColumnDimension

from reqtrace.formats import FormatError
from reqtrace.schemas import MAX_TEXT, XML_ILLEGAL

HEADER_FILL = PatternFill("solid", fgColor="1D2433")
HEADER_FONT = Font(bold=True, color="FFFFFF")
# XML_ILLEGAL: what XML 1.0 cannot hold. openpyxl drops (or refuses) only the control characters among them;
# the others (lone surrogates, U+FFFE, U+FFFF) make a workbook no program opens. Input never holds them
# (schemas.clean_text); old data might.


class Formula(str):
    """A cell meant to hold a formula; every other string is written as text."""


@dataclass(frozen=True)
class SheetColumn:
    header: str
    width: int = 16
    locked: bool = False
    wrap: bool = False
    dropdown: tuple[str, ...] = ()
    dropdown_message: str = ""


class SheetWriter:
    """One write-only sheet; call `append` per row, then `finish` before saving the workbook."""

    def __init__(self, workbook: Workbook, title: str, columns: list[SheetColumn], *, protect: bool = True,
                 freeze: str | None = "B2", autofilter: bool = True, header: bool = True):
        self.sheet = workbook.create_sheet(title)
        self.columns = columns
        self.rows = 0
        self.protect, self.autofilter = protect, autofilter
        sheet = self.sheet
        self._styles = {}
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            dimension = ColumnDimension(sheet, index=letter, width=column.width)
            # Rows people add below the data take the column's style: editable unless reqtrace owns it.
            dimension.protection = Protection(locked=column.locked)
            if column.wrap:
                dimension.alignment = Alignment(wrap_text=True, vertical="top")
            sheet.column_dimensions[letter] = dimension
            self._styles[index] = _style_array(sheet, locked=column.locked, wrap=column.wrap)
        if freeze:
            sheet.freeze_panes = freeze
        sheet._values_to_row = types.MethodType(_lean_rows, sheet)
        sheet._reqtrace_styles = self._styles
        if header:
            header_style = _style_array(sheet, locked=True, wrap=False, header=True)
            cells = []
            for column in columns:
                cell = WriteOnlyCell(sheet)
                cell._value, cell.data_type = xml_text(column.header), "s"  # a header "=..." is text too
                cell._style = header_style
                cells.append(cell)
            sheet.append(cells)

    def append(self, values: Iterable[Any]) -> None:
        self.sheet.append(list(values))
        self.rows += 1

    def finish(self) -> None:
        """Protection, autofilter and dropdowns are written after the rows; set them now."""
        sheet = self.sheet
        last_column = get_column_letter(len(self.columns))
        if self.autofilter:
            sheet.auto_filter.ref = f"A1:{last_column}{self.rows + 1}"
        for index, column in enumerate(self.columns, start=1):
            if not column.dropdown:
                continue
            letter = get_column_letter(index)
            validation = DataValidation(type="list", formula1='"' + ",".join(column.dropdown) + '"',
                                        allow_blank=True, showErrorMessage=True, errorTitle=column.header,
                                        error=column.dropdown_message or
                                        f"Choose one of: {', '.join(column.dropdown)}.")
            validation.add(f"{letter}2:{letter}1048576")
            sheet.data_validations.append(validation)
        if self.protect:
            sheet.protection.sheet = True
            # Protection is against accidents, not a lock: sorting, filtering and resizing stay allowed.
            for allowed in ("autoFilter", "sort", "formatColumns", "formatRows", "insertRows", "deleteRows"):
                setattr(sheet.protection, allowed, False)


def xml_text(text: str) -> str:
    """`text` without the characters no workbook can hold."""
    return XML_ILLEGAL.sub("", text) if XML_ILLEGAL.search(text) else text


def text_rows(workbook: Workbook, title: str, rows: list[list[Any]], widths: list[int]) -> None:
    """A simple read-only sheet of text (instructions, metadata)."""
    writer = SheetWriter(workbook, title, [SheetColumn("", width) for width in widths], protect=False,
                         freeze=None, autofilter=False, header=False)
    for row in rows:
        writer.append(row)


def _style_array(sheet, *, locked: bool, wrap: bool, header: bool = False):
    probe = WriteOnlyCell(sheet, value="")
    probe.protection = Protection(locked=locked)
    if wrap:
        probe.alignment = Alignment(wrap_text=True, vertical="top")
    if header:
        probe.font, probe.fill = HEADER_FONT, HEADER_FILL
        probe.alignment = Alignment(vertical="center")
    return probe._style


def _lean_rows(sheet, values, row_index):
    """openpyxl's write-only row conversion, with a shared style per column and text kept as text."""
    cell = WriteOnlyCell(sheet)
    styles = sheet._reqtrace_styles
    for column_index, value in enumerate(values, start=1):
        if value is None:
            continue
        if isinstance(value, Cell):
            value.column, value.row = column_index, row_index
            yield value
            cell = WriteOnlyCell(sheet)
            continue
        if value.__class__ is Formula:
            cell.value = xml_text(str(value))  # openpyxl marks it a formula (data type "f")
        elif isinstance(value, str):
            value = xml_text(value)
            if len(value) > MAX_TEXT:
                raise FormatError(f"{sheet.title} row {row_index}, column {get_column_letter(column_index)}: "
                                  f"{len(value)} characters do not fit in one Excel cell (at most {MAX_TEXT})")
            cell._value = value
            cell.data_type = "s"  # never "f": a string that starts with "=" is text
        else:
            cell.value = value
        cell._style = styles.get(column_index, cell._style)
        cell.column, cell.row = column_index, row_index
        yield cell
