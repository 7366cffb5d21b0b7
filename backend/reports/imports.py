"""Re-importing the gap analysis sheet to assess many requirements at once.

The sheet is the one `exportSpreadsheet(kind: GAP_ANALYSIS)` writes: columns are found by
their header, so a reader may reorder or add columns; Title, Actions and Assessed on are
ignored (they are not judgements). Every row is checked, then every judgement against the
gap analysis rules (`programs.judgements`, the rules the API applies); one problem anywhere
and nothing is applied, and every problem is reported with its sheet row and column. When
all rows are valid they are recorded in one transaction with the same history a person's
assessment leaves. An unchanged row writes nothing.

A control's implementation status is not in the sheet: an imported row keeps the stored
one, unless it excludes the control (an excluded control is not implemented).
"""

from __future__ import annotations

import asyncio
import io
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select

from backend.assessments.models import Assessment, Conformity, Priority
from backend.catalog.models import Clause
from backend.core.access import Actor
from backend.core.errors import ServiceError, invalid
from backend.db.session import TenantSession
from backend.programs.judgements import (
    MAX_ITEMS,
    Judgement,
    Locate,
    all_problems,
    judge,
    program_for_change,
    refuse,
)

SHEET = "Gap analysis"
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS, MAX_COLUMNS = 10 * MAX_ITEMS, 50  # what an import reads of the sheet at most
# The headers an import reads, and the judgement field each one holds.
COLUMNS = {
    "Requirement": "requirementId",
    "Status": "status",
    "Current practice": "currentPractice",
    "Gap": "gapDescription",
    "Priority": "priority",
    "Justification": "justification",
}
HEADER_OF = {field: header for header, field in COLUMNS.items()}
STATUSES = {status.value.replace("_", " "): status for status in Conformity}
PRIORITIES = {priority.value: priority for priority in Priority}


@dataclass(frozen=True)
class Row:
    number: int  # the sheet's row number, as a spreadsheet shows it
    cells: dict[str, str]  # by header; empty cells are ""


def problem(row: int, column: str, message: str) -> ServiceError:
    """A problem of one cell: its field is ["rows", row, column]."""
    return invalid(f"Row {row}, {column}: {message}", ["rows", str(row), column])


async def import_gap_analysis(
    db: TenantSession, actor: Actor, program_id: uuid.UUID, content: bytes
) -> list[Assessment]:
    """Assess the program's requirements from the sheet: all rows, or none."""
    program = await program_for_change(db, actor, program_id)
    rows = await asyncio.to_thread(read_rows, content)  # unzipping and parsing: off the loop
    clauses = await _clauses(db, program.id)
    stored = await _stored(db, program.id)
    parsed, errors = _judgements(rows, clauses, stored)
    located = [row.number for row, _ in parsed]
    judgements = [judgement for _, judgement in parsed]
    by_id = {clause.id: clause for clause in clauses.values()}
    refuse(errors + all_problems(judgements, by_id, lambda index: _at(located[index])))
    return await judge(db, actor, program.id, judgements, lambda index: _at(located[index]))


def _at(row: int) -> Locate:
    return lambda field: ["rows", str(row), HEADER_OF.get(field, field)]


def read_rows(content: bytes) -> list[Row]:
    """The sheet's data rows by header; a file that is not the exported sheet is refused."""
    if len(content) > MAX_BYTES:
        raise invalid(f"The workbook is larger than {MAX_BYTES // (1024 * 1024)} MiB.", ["file"])
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise invalid("This is not an XLSX workbook.", ["file"]) from None
    if SHEET not in book.sheetnames:
        raise invalid(f'The workbook has no "{SHEET}" sheet.', ["file"])
    # Bounded reads: a small file can unzip to a huge sheet, and only the first rows matter.
    lines = book[SHEET].iter_rows(max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True)
    header = [_text(value) for value in next(lines, ())]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise invalid(f"The sheet lacks the columns {', '.join(missing)}.", ["file"])
    rows = [
        Row(number, {name: _at_column(values, header.index(name)) for name in COLUMNS})
        for number, values in enumerate(lines, start=2)
        if any(value not in (None, "") for value in values)
    ]
    if not 1 <= len(rows) <= MAX_ITEMS:
        raise invalid(f"The sheet must hold 1 to {MAX_ITEMS} requirements.", ["file"])
    return rows


def _at_column(values: Sequence[object], index: int) -> str:
    """A cell's text; a row may end before its last cells when they are empty."""
    return _text(values[index]) if index < len(values) else ""


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


async def _clauses(db: TenantSession, program_id: uuid.UUID) -> dict[str, Clause]:
    """The program's assessable requirements by number."""
    found = await db.scalars(
        select(Clause)
        .join(Assessment, Assessment.clause_id == Clause.id)
        .where(Assessment.program_id == program_id, Clause.assessable)
    )
    return {clause.number: clause for clause in found}


async def _stored(db: TenantSession, program_id: uuid.UUID) -> dict[uuid.UUID, Assessment]:
    found = await db.scalars(select(Assessment).where(Assessment.program_id == program_id))
    return {row.clause_id: row for row in found}


def _judgements(
    rows: Sequence[Row], clauses: dict[str, Clause], stored: dict[uuid.UUID, Assessment]
) -> tuple[list[tuple[Row, Judgement]], list[ServiceError]]:
    """The rows that read as judgements, and the problems of those that do not."""
    parsed: list[tuple[Row, Judgement]] = []
    errors: list[ServiceError] = []
    for row in rows:
        found = list(_row_problems(row, clauses))
        if found:
            errors.extend(found)
            continue
        clause = clauses[row.cells["Requirement"]]
        parsed.append((row, _judgement(row, clause, stored[clause.id])))
    return parsed, errors


def _row_problems(row: Row, clauses: dict[str, Clause]) -> Iterator[ServiceError]:
    cells = row.cells
    if cells["Requirement"] not in clauses:
        yield problem(row.number, "Requirement", "not a requirement of this program.")
    if _status_key(cells["Status"]) not in STATUSES:
        yield problem(row.number, "Status", f"one of {', '.join(STATUSES)}.")
    if cells["Priority"] and cells["Priority"].lower() not in PRIORITIES:
        yield problem(row.number, "Priority", f"empty or one of {', '.join(PRIORITIES)}.")


def _status_key(text: str) -> str:
    """The exported words ("not assessed"), or the API's value ("not_assessed"), any case."""
    return text.lower().replace("_", " ")


def _judgement(row: Row, clause: Clause, assessment: Assessment) -> Judgement:
    cells = row.cells
    status = STATUSES[_status_key(cells["Status"])]  # checked by _row_problems
    judgement = Judgement(
        clause.id,
        status,
        current_practice=cells["Current practice"],
        gap_description=cells["Gap"],
        justification=cells["Justification"],
        priority=PRIORITIES[cells["Priority"].lower()] if cells["Priority"] else None,
    )
    kept = Judgement.of(assessment).implementation
    excluded = status is Conformity.NOT_APPLICABLE
    return replace(judgement, implementation=None if excluded else kept)
