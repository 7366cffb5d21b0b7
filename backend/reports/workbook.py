"""Writing an XLSX workbook: one sheet per object kind, a frozen and filtered header row,
typed cells, written row by row.

openpyxl's write-only mode streams each row to a temporary file as it is appended instead
of keeping a cell object per value (the normal mode's memory grows with every cell), so an
export of thousands of rows costs about the memory of its finished file. Text is always
stored as text: a value such as "=HYPERLINK(...)" a client typed is shown, never run.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Value = str | int | float | Decimal | date | None
MAX_TITLE = 31  # what spreadsheet applications accept as a sheet name


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Value]]


def workbook_bytes(sheets: Iterable[Sheet]) -> tuple[bytes, int]:
    """The workbook's bytes and its number of sheets."""
    book = Workbook(write_only=True)
    count = 0
    for sheet in sheets:
        _write(book.create_sheet(sheet.title[:MAX_TITLE]), sheet)
        count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), count


def _write(target: Any, sheet: Sheet) -> None:
    # Any: openpyxl's stubs leave out the write-only sheet's column_dimensions and auto_filter.
    for number, column in enumerate(sheet.columns, start=1):
        target.column_dimensions[get_column_letter(number)].width = column.width
    target.freeze_panes = "A2"
    bold = Font(bold=True)
    target.append([_cell(target, column.header, bold) for column in sheet.columns])
    rows = 1
    for row in sheet.rows:
        target.append([_cell(target, value) for value in row])
        rows += 1
    target.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{rows}"


def _cell(sheet: Any, value: Value, font: Font | None = None) -> Cell:
    cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]  # dates are fine too
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    if font is not None:
        cell.font = font
    return cell
