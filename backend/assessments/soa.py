"""The Statement of Applicability of an ISO/IEC 27001 program, and its CSV export.

One row per annex control, in catalog order: whether it applies, why (the justification of
an inclusion or an exclusion), and how far it is implemented, all read from the program's
assessments of the controls. Any program whose standard has annex controls has one.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from backend.assessments.models import Assessment, Conformity, Implementation
from backend.catalog.models import Clause, ClauseKind, Standard
from backend.db.session import TenantSession
from backend.errors import invalid, not_found
from backend.programs.models import Program

HEADER = ("Control", "Title", "Theme", "Applicable", "Justification", "Implementation")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Row:
    control: str
    title: str
    theme: str | None
    applicable: bool
    justification: str
    implementation: Implementation | None
    status: Conformity


@dataclass(frozen=True)
class Statement:
    standard: str  # "ISO/IEC 27001:2022"
    filename: str
    rows: list[Row]

    def csv(self) -> str:
        return to_csv(self.rows)


async def statement_of_applicability(db: TenantSession, program_id: uuid.UUID) -> Statement:
    """The program's Statement of Applicability; a read, so auditors may have it too."""
    program = await db.get(Program, program_id)
    if program is None:
        raise not_found("Program", ["programId"])
    standard = await db.get(Standard, program.standard_id)
    if standard is None:  # the catalog is readable by every principal
        raise not_found("Standard", ["programId"])
    rows = await _rows(db, program.id)
    if not rows:
        raise invalid(
            f"{standard.code}:{standard.edition} has no annex controls, so no Statement of"
            " Applicability; it belongs to ISO/IEC 27001 programs.",
            ["programId"],
        )
    name = f"{standard.code}:{standard.edition}"
    return Statement(name, f"statement-of-applicability-{_slug(name)}.csv", rows)


async def _rows(db: TenantSession, program_id: uuid.UUID) -> list[Row]:
    found = await db.execute(
        select(Clause, Assessment)
        .join(Assessment, Assessment.clause_id == Clause.id)
        .where(Assessment.program_id == program_id, Clause.kind == ClauseKind.CONTROL.value)
        .order_by(Clause.position)
    )
    return [
        Row(
            control=clause.number,
            title=clause.title,
            theme=clause.theme,
            applicable=assessment.status != Conformity.NOT_APPLICABLE,
            justification=assessment.justification,
            implementation=Implementation(assessment.implementation)
            if assessment.implementation
            else None,
            status=Conformity(assessment.status),
        )
        for clause, assessment in found
    ]


def to_csv(rows: Sequence[Row]) -> str:
    """RFC 4180 text (CRLF line ends, quotes where needed) with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(
            _defused(cell)
            for cell in (
                row.control,
                row.title,
                row.theme or "",
                "yes" if row.applicable else "no",
                row.justification,
                row.implementation.value if row.implementation else "",
            )
        )
    return buffer.getvalue()


def _defused(cell: str) -> str:
    """A leading quote makes a spreadsheet show the cell as text instead of running it."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
