"""CSV exports that a spreadsheet opens safely: every area's export writes through here.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return
before one) as a formula, so text a client typed could run on the reader's machine (CSV
injection). A leading quote makes the spreadsheet show such a cell as text instead.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defused(cell: str) -> str:
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def csv_text(header: Sequence[str], rows: Iterable[Iterable[str]]) -> str:
    """RFC 4180 text (CRLF line ends, quotes where needed) with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(defused(cell) for cell in row)
    return buffer.getvalue()
