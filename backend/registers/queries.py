"""Reading registers: the filtered lists, the batch loads behind their fields, the Statement of
Applicability as the risk treatments see it, and the CSV export.

Every batch function answers many rows in one statement, so a list costs the same number of
statements at any length.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from backend.assessments.models import Assessment, Conformity
from backend.catalog.models import Clause, ClauseKind, Standard
from backend.core.calendar import today_sql
from backend.core.spreadsheet import csv_text
from backend.db.batch import by_id, grouped
from backend.db.session import TenantSession
from backend.findings.models import Finding
from backend.planning.models import Action, Objective
from backend.programs.models import Program
from backend.registers import rules
from backend.registers.models import (
    EntryChange,
    EntryFinding,
    EntryKind,
    EntryLink,
    EntryRelation,
    HazardControl,
    RegisterEntry,
    RegisterSettings,
    RiskControl,
)


@dataclass(frozen=True)
class EntryFilter:
    kind: EntryKind
    program_id: uuid.UUID | None = None
    organization: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    review_due: bool | None = None  # review date on or before the tenant's today
    standard: str | None = None  # "27001", or a code such as "ISO/IEC 27001"
    min_level: int | None = None  # likelihood x impact at least
    archived: bool = False
    improvement_status: str | None = None
    improvement_source: str | None = None


def level_sql() -> ColumnElement[int | None]:
    return RegisterEntry.likelihood * RegisterEntry.impact


def review_due_sql() -> ColumnElement[bool]:
    return RegisterEntry.review_on.is_not(None) & (
        RegisterEntry.review_on <= today_sql(RegisterEntry.tenant_id)
    )


def entries_statement(where: EntryFilter) -> Select[RegisterEntry]:
    """Every row of the kind the caller may read (row-level security decides), filtered."""
    archived = RegisterEntry.archived_at.is_not(None)
    statement = select(RegisterEntry).where(
        RegisterEntry.kind == where.kind.value, archived if where.archived else ~archived
    )
    for column, value in (
        (RegisterEntry.tenant_id, where.organization),
        (RegisterEntry.program_id, where.program_id),
        (RegisterEntry.owner_id, where.owner_id),
        (RegisterEntry.improvement_status, where.improvement_status),
        (RegisterEntry.improvement_source, where.improvement_source),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if where.review_due is not None:
        statement = statement.where(review_due_sql() if where.review_due else ~review_due_sql())
    if where.min_level is not None:
        statement = statement.where(level_sql() >= where.min_level)
    if where.standard is not None:
        number = rules.standard_number(where.standard) or where.standard.strip()
        of_standard = (
            select(Program.id)
            .join(Standard, Standard.id == Program.standard_id)
            .where(Standard.code.contains(number, autoescape=True))
        )
        statement = statement.where(RegisterEntry.program_id.in_(of_standard))
    return statement


# --- batch loads (one statement per batch, for the request's DataLoaders) -------------------


entries_by_id = by_id(RegisterEntry)


async def objectives_of_entries(
    db: TenantSession, ids: Sequence[uuid.UUID]
) -> list[list[Objective]]:
    rows = await db.execute(
        select(EntryLink.entry_id, Objective)
        .join(Objective, Objective.id == EntryLink.objective_id)
        .where(EntryLink.entry_id.in_(ids))
        .order_by(Objective.created_at, Objective.id)
    )
    return grouped(ids, ((entry_id, row) for entry_id, row in rows))


async def actions_of_entries(db: TenantSession, ids: Sequence[uuid.UUID]) -> list[list[Action]]:
    rows = await db.execute(
        select(EntryLink.entry_id, Action)
        .join(Action, Action.id == EntryLink.action_id)
        .where(EntryLink.entry_id.in_(ids))
        .order_by(Action.created_at, Action.id)
    )
    return grouped(ids, ((entry_id, row) for entry_id, row in rows))


@dataclass(frozen=True)
class SelectedControl:
    """An annex control a security risk selects, with what the program's SoA says of it."""

    clause: Clause
    status: Conformity | None  # the control's assessment in the risk's program

    @property
    def inconsistent(self) -> bool:
        return self.status is Conformity.NOT_APPLICABLE


async def controls_of_entries(
    db: TenantSession, ids: Sequence[uuid.UUID]
) -> list[list[SelectedControl]]:
    rows = await db.execute(
        select(RiskControl.entry_id, Clause, Assessment.status)
        .join(Clause, Clause.id == RiskControl.clause_id)
        .join(RegisterEntry, RegisterEntry.id == RiskControl.entry_id)
        .outerjoin(
            Assessment,
            and_(
                Assessment.clause_id == Clause.id,
                Assessment.program_id == RegisterEntry.program_id,
            ),
        )
        .where(RiskControl.entry_id.in_(ids))
        .order_by(Clause.position)
    )
    return grouped(
        ids,
        (
            (entry_id, SelectedControl(clause, Conformity(status) if status else None))
            for entry_id, clause, status in rows
        ),
    )


async def hazard_controls_of_entries(
    db: TenantSession, ids: Sequence[uuid.UUID]
) -> list[list[HazardControl]]:
    rows = await db.scalars(
        select(HazardControl)
        .where(HazardControl.entry_id.in_(ids))
        .order_by(HazardControl.position)
    )
    return grouped(ids, ((row.entry_id, row) for row in rows))


async def related_of_entries(
    db: TenantSession, ids: Sequence[uuid.UUID]
) -> list[list[RegisterEntry]]:
    rows = await db.execute(
        select(EntryRelation.entry_id, RegisterEntry)
        .join(RegisterEntry, RegisterEntry.id == EntryRelation.related_id)
        .where(EntryRelation.entry_id.in_(ids))
        .order_by(RegisterEntry.reference)
    )
    return grouped(ids, ((entry_id, row) for entry_id, row in rows))


async def relating_to_entries(
    db: TenantSession, ids: Sequence[uuid.UUID]
) -> list[list[RegisterEntry]]:
    """The active rows that name each row as related: a hazard's or risk's incidents, an
    obligation's aspects."""
    rows = await db.execute(
        select(EntryRelation.related_id, RegisterEntry)
        .join(RegisterEntry, RegisterEntry.id == EntryRelation.entry_id)
        .where(EntryRelation.related_id.in_(ids), RegisterEntry.archived_at.is_(None))
        .order_by(RegisterEntry.reference)
    )
    return grouped(ids, ((related_id, row) for related_id, row in rows))


async def findings_of_entries(db: TenantSession, ids: Sequence[uuid.UUID]) -> list[list[Finding]]:
    rows = await db.execute(
        select(EntryFinding.entry_id, Finding)
        .join(Finding, Finding.id == EntryFinding.finding_id)
        .where(EntryFinding.entry_id.in_(ids))
        .order_by(Finding.reference)
    )
    return grouped(ids, ((entry_id, row) for entry_id, row in rows))


async def changes_of_entries(
    db: TenantSession, ids: Sequence[uuid.UUID]
) -> list[list[EntryChange]]:
    rows = await db.scalars(
        select(EntryChange)
        .where(EntryChange.entry_id.in_(ids))
        .order_by(EntryChange.changed_at, EntryChange.id)
    )
    return grouped(ids, ((row.entry_id, row) for row in rows))


async def scales_of_tenants(
    db: TenantSession, tenant_ids: Sequence[uuid.UUID]
) -> list[rules.Scales]:
    """Each tenant's scales and threshold; the defaults for a tenant that set none."""
    rows = await db.scalars(
        select(RegisterSettings).where(RegisterSettings.tenant_id.in_(tenant_ids))
    )
    found = {
        row.tenant_id: rules.Scales(
            row.likelihood_levels, row.impact_levels, row.significance_threshold
        )
        for row in rows
    }
    return [found.get(tenant_id, rules.Scales()) for tenant_id in tenant_ids]


# --- the Statement of Applicability and the treatments ----------------------------------------


@dataclass(frozen=True)
class ControlTreatment:
    """An annex control of a program: its SoA status, and the security risks that select it."""

    clause: Clause
    status: Conformity
    needed_by: list[str]  # references of the risks whose treatment selects it

    @property
    def inconsistent(self) -> bool:
        """Excluded from the SoA while a treatment selects it."""
        return self.status is Conformity.NOT_APPLICABLE and bool(self.needed_by)

    @property
    def reason(self) -> str:
        risks = ", ".join(self.needed_by)
        if self.inconsistent:
            return f"Marked not applicable, yet the treatment of {risks} selects it."
        if self.needed_by:
            return f"Applicable because {risks} needs it."
        return ""


async def soa_treatment(db: TenantSession, program: Program) -> list[ControlTreatment]:
    """Every annex control of the program in catalog order, with the active security risks
    of the program whose treatment selects it (one statement)."""
    selecting = (
        select(
            RiskControl.clause_id,
            func.array_agg(
                aggregate_order_by(RegisterEntry.reference, RegisterEntry.reference)
            ).label("references"),
        )
        .join(RegisterEntry, RegisterEntry.id == RiskControl.entry_id)
        .where(
            RegisterEntry.program_id == program.id,
            RegisterEntry.kind == EntryKind.SECURITY_RISK.value,
            RegisterEntry.archived_at.is_(None),
        )
        .group_by(RiskControl.clause_id)
        .subquery()
    )
    rows = await db.execute(
        select(Clause, Assessment.status, selecting.c.references)
        .join(Assessment, Assessment.clause_id == Clause.id)
        .outerjoin(selecting, selecting.c.clause_id == Clause.id)
        .where(Assessment.program_id == program.id, Clause.kind == ClauseKind.CONTROL.value)
        .order_by(Clause.position)
    )
    return [
        ControlTreatment(clause, Conformity(status), list(references or []))
        for clause, status, references in rows
    ]


# --- CSV ------------------------------------------------------------------------------------


def _common(entry: RegisterEntry) -> list[str]:
    return [entry.reference, entry.title, entry.description]


COLUMNS: dict[EntryKind, tuple[str, ...]] = {
    EntryKind.RISK: ("nature", "context", "likelihood", "impact"),
    EntryKind.SECURITY_RISK: (
        "asset",
        "threat",
        "vulnerability",
        "likelihood",
        "impact",
        "treatment",
        "residual_likelihood",
        "residual_impact",
        "accepted_at",
    ),
    EntryKind.ASPECT: ("activity", "consequence", "condition", "likelihood", "impact"),
    EntryKind.HAZARD: (
        "activity",
        "consequence",
        "exposed",
        "likelihood",
        "impact",
        "residual_likelihood",
        "residual_impact",
    ),
    EntryKind.OBLIGATION: (
        "source",
        "applicability",
        "evaluation_months",
        "evaluated_on",
        "evaluation_result",
        "evaluation_evidence",
    ),
    EntryKind.INCIDENT: ("occurred_on", "incident_kind", "severity", "investigation"),
    EntryKind.IMPROVEMENT: ("improvement_source", "improvement_status", "benefit", "result"),
}
"""The CSV columns of each register after reference, title and description."""


WORDED = frozenset(
    {"nature", "treatment", "condition", "evaluation_result", "incident_kind", "severity"}
    | {"improvement_source", "improvement_status", "benefit"}
)
"""Coded columns, written as words ("partially_compliant" -> "partially compliant")."""


def _cell(entry: RegisterEntry, name: str) -> str:
    value = getattr(entry, name)
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value.replace("_", " ") if name in WORDED else str(value)


def register_csv(kind: EntryKind, entries: Sequence[RegisterEntry]) -> str:
    """A register as RFC 4180 text, formula-injection safe: the rows' own fields and review
    date (people are left out: the CSV carries what the register says, not who keeps it)."""
    header = ["Reference", "Title", "Description"]
    header += [name.replace("_", " ").capitalize() for name in COLUMNS[kind]]
    header += ["Review on"]
    rows = [
        [
            *_common(entry),
            *(_cell(entry, name) for name in COLUMNS[kind]),
            _cell(entry, "review_on"),
        ]
        for entry in entries
    ]
    return csv_text(header, rows)
