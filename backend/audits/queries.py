"""Reading audits: coverage of a programme, the filtered list, and the batch loads behind
their fields (one statement per batch, so a checklist of any length costs the same).

Coverage rule. A requirement the programme covers is audited once a checklist line on it
has a result other than not sampled, in an audit of the programme that is not cancelled and
whose day (actual start, else planned start) lies in the programme's period. A line counts
for every requirement of the programme's programs that implements the same harmonized
clause (`catalog.harmonized`), so an integrated audit of ISO 9001's 7.5.1 covers
ISO 14001's 7.5 requirements too.

Frequency rule. Each requirement is due `audits_per_period` times in the period, and once
more when its area (the clause's top-level number, "8" for 8.4.1; for annex controls the
theme, "A.5") has an open nonconformity in the same program: risk asks for another look.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    distinct,
    exists,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import InstrumentedAttribute, aliased

from backend.audits.models import (
    Audit,
    AuditFinding,
    AuditProgramme,
    AuditStatus,
    AuditTeamMember,
    ChecklistLine,
    ChecklistReference,
    ChecklistResult,
    ProgrammeRequirement,
)
from backend.catalog.harmonized import harmonized_key
from backend.catalog.models import Clause
from backend.db.base import Base
from backend.db.batch import by_id, grouped
from backend.db.session import TenantSession
from backend.documents.models import ControlledDocument
from backend.evidence.models import EvidenceVersion
from backend.findings.models import NONCONFORMITIES, Finding, FindingRequirement, FindingStatus
from backend.programs.models import Program

Value = TypeVar("Value")
Linked = TypeVar("Linked", bound=Base)


def audit_day(audit: type[Audit] = Audit) -> ColumnElement[date]:
    """The day an audit counts for: when it started, else when it is planned to."""
    return func.coalesce(audit.actual_start, audit.planned_start)


def area(clause: Any) -> ColumnElement[str]:
    """The area of a clause for the frequency rule: "8" for 8.4.1, "A.5" for A.5.15."""
    first = func.split_part(clause.number, ".", 1)
    return case(
        (clause.number.startswith("A."), first + "." + func.split_part(clause.number, ".", 2)),
        else_=first,
    )


@dataclass(frozen=True)
class Coverage:
    program_id: uuid.UUID
    clause: Clause
    due: int  # audits this period asks for
    audited: int  # audits of the period that looked at it
    at_risk: bool  # its area has an open nonconformity

    @property
    def covered(self) -> bool:
        return self.audited >= self.due


def _audited_lines(
    programme_ids: Sequence[uuid.UUID],
) -> Select[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID, str | None]:
    """Checklist lines that count as audited in their programme's period."""
    line_clause = aliased(Clause)
    return (
        select(
            Audit.programme_id,
            ChecklistLine.audit_id,
            ChecklistLine.program_id,
            ChecklistLine.clause_id,
            harmonized_key(line_clause).label("hs_key"),
        )
        .join(Audit, Audit.id == ChecklistLine.audit_id)
        .join(line_clause, line_clause.id == ChecklistLine.clause_id)
        .join(AuditProgramme, AuditProgramme.id == Audit.programme_id)
        .where(
            Audit.programme_id.in_(programme_ids),
            Audit.status != AuditStatus.CANCELLED.value,
            audit_day().between(AuditProgramme.period_start, AuditProgramme.period_end),
            ChecklistLine.result.is_not(None),
            ChecklistLine.result != ChecklistResult.NOT_SAMPLED.value,
        )
    )


Pair = tuple[uuid.UUID, uuid.UUID]
"""(programme id, program id)"""


def coverage_statement(programme_id: uuid.UUID, program_id: uuid.UUID | None = None) -> Select[Any]:
    """(program id, clause, due, audited, at risk) of each requirement the programme covers
    (of one program, when given), program by program in document order; one statement."""
    return coverage_of([programme_id], [(programme_id, program_id)] if program_id else None)


def coverage_of(programme_ids: Sequence[uuid.UUID], pairs: Sequence[Pair] | None) -> Select[Any]:
    """Coverage of every program of the programmes, or only of the (programme, program)
    pairs given: one statement for any number of them."""
    lines = _audited_lines(programme_ids).cte("lines")
    targets = (
        select(
            ProgrammeRequirement.programme_id,
            ProgrammeRequirement.program_id,
            ProgrammeRequirement.clause_id,
            harmonized_key(Clause).label("hs_key"),
            area(Clause).label("area"),
            AuditProgramme.audits_per_period,
        )
        .join(Clause, Clause.id == ProgrammeRequirement.clause_id)
        .join(AuditProgramme, AuditProgramme.id == ProgrammeRequirement.programme_id)
        .where(ProgrammeRequirement.programme_id.in_(programme_ids))
    )
    if pairs is not None:
        pair = tuple_(ProgrammeRequirement.programme_id, ProgrammeRequirement.program_id)
        targets = targets.where(pair.in_(pairs))
    target = targets.cte("targets")
    audited = (
        select(func.count(distinct(lines.c.audit_id)))
        .where(
            lines.c.programme_id == target.c.programme_id,
            or_(
                and_(
                    lines.c.program_id == target.c.program_id,
                    lines.c.clause_id == target.c.clause_id,
                ),
                lines.c.hs_key == target.c.hs_key,
            ),
        )
        .scalar_subquery()
    )
    found_clause = aliased(Clause)
    at_risk = exists().where(
        FindingRequirement.program_id == target.c.program_id,
        found_clause.id == FindingRequirement.clause_id,
        area(found_clause) == target.c.area,
        Finding.id == FindingRequirement.finding_id,
        Finding.type.in_([kind.value for kind in NONCONFORMITIES]),
        Finding.status != FindingStatus.CLOSED.value,
    )
    due = target.c.audits_per_period + case((at_risk, 1), else_=0)
    return (
        select(
            target.c.program_id,
            Clause,
            due.label("due"),
            audited.label("audited"),
            at_risk.label("at_risk"),
        )
        .join(Clause, Clause.id == target.c.clause_id)
        .join(Program, Program.id == target.c.program_id)
        .order_by(Program.created_at, Program.id, Clause.position)
    )


async def coverage(
    db: TenantSession, programme_id: uuid.UUID, program_id: uuid.UUID | None = None
) -> list[Coverage]:
    rows = await db.execute(coverage_statement(programme_id, program_id))
    return [
        Coverage(program, clause, due, audited, at_risk)
        for program, clause, due, audited, at_risk in rows
    ]


# --- the list of audits ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    programme_id: uuid.UUID | None = None
    status: str | None = None
    standard_id: uuid.UUID | None = None  # audits with a checklist line in a program of it
    period_start: date | None = None  # audits whose day is on or after
    period_end: date | None = None  # audits whose day is on or before


def audits_statement(where: AuditFilter) -> Select[Any]:
    """Every audit the caller may read (row-level security decides), filtered."""
    statement = select(Audit)
    if where.programme_id is not None:
        statement = statement.where(Audit.programme_id == where.programme_id)
    if where.status is not None:
        statement = statement.where(Audit.status == where.status)
    if where.period_start is not None:
        statement = statement.where(audit_day() >= where.period_start)
    if where.period_end is not None:
        statement = statement.where(audit_day() <= where.period_end)
    if where.standard_id is not None:
        statement = statement.where(
            exists().where(
                ChecklistLine.audit_id == Audit.id,
                Program.id == ChecklistLine.program_id,
                Program.standard_id == where.standard_id,
            )
        )
    return statement


# --- batch loads ---------------------------------------------------------------------------------


programmes_by_id = by_id(AuditProgramme)
audits_by_id = by_id(Audit)
lines_by_id = by_id(ChecklistLine)


async def checklists(
    db: TenantSession, audit_ids: Sequence[uuid.UUID]
) -> list[list[ChecklistLine]]:
    rows = await db.scalars(
        select(ChecklistLine)
        .where(ChecklistLine.audit_id.in_(audit_ids))
        .order_by(ChecklistLine.position)
    )
    return grouped(audit_ids, [(line.audit_id, line) for line in rows])


async def teams(db: TenantSession, audit_ids: Sequence[uuid.UUID]) -> list[list[AuditTeamMember]]:
    rows = await db.scalars(
        select(AuditTeamMember)
        .where(AuditTeamMember.audit_id.in_(audit_ids))
        .order_by(AuditTeamMember.position)
    )
    return grouped(audit_ids, [(row.audit_id, row) for row in rows])


async def _linked(
    db: TenantSession,
    keys: Sequence[uuid.UUID],
    key: InstrumentedAttribute[uuid.UUID],
    model: type[Linked],
    on: ColumnElement[bool],
    *order: Any,
) -> list[list[Linked]]:
    """Rows of `model` joined to each key through a link table, in key order."""
    rows = await db.execute(
        select(key, model).join(model, on).where(key.in_(keys)).order_by(*order)
    )
    return grouped(keys, [(found, value) for found, value in rows])


async def findings_of_audits(
    db: TenantSession, audit_ids: Sequence[uuid.UUID]
) -> list[list[Finding]]:
    on = Finding.id == AuditFinding.finding_id
    return await _linked(
        db, audit_ids, AuditFinding.audit_id, Finding, on, Finding.created_at, Finding.id
    )


async def findings_of_lines(
    db: TenantSession, line_ids: Sequence[uuid.UUID]
) -> list[list[Finding]]:
    on = Finding.id == AuditFinding.finding_id
    return await _linked(
        db, line_ids, AuditFinding.line_id, Finding, on, Finding.created_at, Finding.id
    )


async def evidence_of_lines(
    db: TenantSession, line_ids: Sequence[uuid.UUID]
) -> list[list[EvidenceVersion]]:
    on = EvidenceVersion.id == ChecklistReference.evidence_version_id
    order = (EvidenceVersion.created_at, EvidenceVersion.id)
    return await _linked(db, line_ids, ChecklistReference.line_id, EvidenceVersion, on, *order)


async def documents_of_lines(
    db: TenantSession, line_ids: Sequence[uuid.UUID]
) -> list[list[ControlledDocument]]:
    on = ControlledDocument.id == ChecklistReference.document_id
    return await _linked(
        db, line_ids, ChecklistReference.line_id, ControlledDocument, on, ControlledDocument.code
    )


async def programs_of_programmes(
    db: TenantSession, programme_ids: Sequence[uuid.UUID]
) -> list[list[Program]]:
    rows = await db.execute(
        select(ProgrammeRequirement.programme_id, Program)
        .join(Program, Program.id == ProgrammeRequirement.program_id)
        .where(ProgrammeRequirement.programme_id.in_(programme_ids))
        .distinct()
        .order_by(ProgrammeRequirement.programme_id, Program.created_at, Program.id)
    )
    return grouped(programme_ids, [(key, value) for key, value in rows])
