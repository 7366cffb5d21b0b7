"""The Statement of Applicability of an ISO/IEC 27001 program, and its CSV export.

One row per annex control, in catalog order: whether it applies, why (the justification of
an inclusion or an exclusion), its assessment status and how far it is implemented, all read
from the program's assessments of the controls. A control nobody has assessed yet is shown as
"not yet assessed", never as applicable: applicability is a judgement, not a default. Any
program whose standard has annex controls has one.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from backend.assessments.models import Assessment, Conformity, Implementation
from backend.catalog.models import Clause, ClauseKind, Standard
from backend.core.errors import invalid, not_found
from backend.core.spreadsheet import csv_text
from backend.db.session import TenantSession
from backend.programs.models import Program

HEADER = (
    "Control",
    "Title",
    "Theme",
    "Applicability",
    "Justification",
    "Assessment status",
    "Implementation status",
)


class Applicability(enum.StrEnum):
    """Whether a control applies, as its assessment says; unassessed controls are neither."""

    APPLICABLE = "applicable"
    NOT_APPLICABLE = "not_applicable"
    NOT_ASSESSED = "not_assessed"

    @classmethod
    def of(cls, status: Conformity) -> Applicability:
        if status is Conformity.NOT_ASSESSED:
            return cls.NOT_ASSESSED
        return cls.NOT_APPLICABLE if status is Conformity.NOT_APPLICABLE else cls.APPLICABLE


# How the CSV writes the coded values: words a reader of the statement understands.
APPLICABILITY_TEXT = {
    Applicability.APPLICABLE: "applicable",
    Applicability.NOT_APPLICABLE: "not applicable",
    Applicability.NOT_ASSESSED: "not yet assessed",
}


@dataclass(frozen=True)
class Row:
    control: str
    title: str
    theme: str | None
    justification: str
    implementation: Implementation | None
    status: Conformity

    @property
    def applicability(self) -> Applicability:
        return Applicability.of(self.status)

    @property
    def applicable(self) -> bool | None:
        """None while the control is not yet assessed."""
        if self.applicability is Applicability.NOT_ASSESSED:
            return None
        return self.applicability is Applicability.APPLICABLE


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
            justification=assessment.justification,
            implementation=Implementation(assessment.implementation)
            if assessment.implementation
            else None,
            status=Conformity(assessment.status),
        )
        for clause, assessment in found
    ]


def to_csv(rows: Sequence[Row]) -> str:
    """RFC 4180 text with a header row, formula-injection safe (`core.spreadsheet`)."""
    return csv_text(
        HEADER,
        (
            (
                row.control,
                row.title,
                row.theme or "",
                APPLICABILITY_TEXT[row.applicability],
                row.justification,
                _words(row.status),
                _words(row.implementation) if row.implementation else "",
            )
            for row in rows
        ),
    )


def _words(value: enum.StrEnum) -> str:
    return value.value.replace("_", " ")  # "partially_implemented" -> "partially implemented"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
