"""What the readiness report shows, read through the models: the stored snapshots (never a
score computed for the report), the seven steps judged by their exit criteria, the open
findings, the audits to come and the certification cycle (`cycle.py`). A handful of
statements whatever the program's size."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from backend.audits.models import Audit, AuditStatus, ChecklistLine
from backend.catalog.models import Standard
from backend.core.forecast import Forecast, Point, forecast
from backend.db.session import TenantSession
from backend.findings.models import Finding, FindingRequirement, FindingStatus
from backend.programs.criteria import CriterionResult, evaluate
from backend.programs.models import Program, ProgramStep, StepKey
from backend.programs.steps import BY_KEY
from backend.readiness.models import ReadinessSnapshot
from backend.reports.cycle import Cycle, certification_cycle

OPEN_FINDINGS = 30  # rows of the findings table; the total is printed beside it
UPCOMING_AUDITS = 10


@dataclass(frozen=True)
class Snapshot:
    at: datetime
    score: float
    level: str


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    status: str
    criteria: list[CriterionResult]


@dataclass(frozen=True)
class OpenFinding:
    reference: str
    type: str
    status: str
    statement: str
    due: date | None


@dataclass(frozen=True)
class UpcomingAudit:
    reference: str
    title: str
    start: date
    status: str


@dataclass(frozen=True)
class ReadinessFacts:
    organization: str
    standard: str  # "ISO 9001:2015 Quality management systems"
    edition: str  # "ISO 9001:2015"
    scope: str
    today: date
    history: list[Snapshot]  # oldest first
    breakdown: dict[str, Any]  # of the latest snapshot: components, groups, blockers
    forecast: Forecast
    steps: list[Step]
    findings: list[OpenFinding]
    open_findings: int
    audits: list[UpcomingAudit]
    cycle: Cycle

    @property
    def latest(self) -> Snapshot | None:
        return self.history[-1] if self.history else None


async def readiness_facts(
    db: TenantSession, program: Program, organization: str, today: date
) -> ReadinessFacts:
    standard = await db.get(Standard, program.standard_id)
    edition = f"{standard.code}:{standard.edition}" if standard else ""
    named = f"{edition} {standard.title}" if standard else ""
    snapshots, breakdown = await _history(db, program.id)
    findings = await _open_findings(db, program.id)
    return ReadinessFacts(
        organization=organization,
        standard=named,
        edition=edition,
        scope=program.scope_statement,
        today=today,
        history=snapshots,
        breakdown=breakdown,
        forecast=forecast([Point(s.at, s.score) for s in snapshots]),
        steps=await _steps(db, program),
        findings=findings[:OPEN_FINDINGS],
        open_findings=len(findings),
        audits=await _upcoming_audits(db, program.id, today),
        cycle=await certification_cycle(db, program.id),
    )


async def _history(
    db: TenantSession, program_id: uuid.UUID
) -> tuple[list[Snapshot], dict[str, Any]]:
    rows = (
        await db.scalars(
            select(ReadinessSnapshot)
            .where(ReadinessSnapshot.program_id == program_id)
            .order_by(ReadinessSnapshot.computed_at)
        )
    ).all()
    history = [Snapshot(row.computed_at, row.score, row.level) for row in rows]
    return history, (rows[-1].breakdown if rows else {})


async def _steps(db: TenantSession, program: Program) -> list[Step]:
    steps = (
        await db.scalars(
            select(ProgramStep)
            .where(ProgramStep.program_id == program.id)
            .order_by(ProgramStep.number)
        )
    ).all()
    keys = [StepKey(step.key) for step in steps]
    judged = await evaluate(db, [(program, key) for key in keys])
    return [
        Step(step.number, BY_KEY[key].title, step.status, results)
        for step, key, results in zip(steps, keys, judged, strict=True)
    ]


async def _open_findings(db: TenantSession, program_id: uuid.UUID) -> list[OpenFinding]:
    of_program = select(FindingRequirement.finding_id).where(
        FindingRequirement.program_id == program_id
    )
    rows = await db.scalars(
        select(Finding)
        .where(Finding.id.in_(of_program), Finding.status != FindingStatus.CLOSED.value)
        .order_by(Finding.due_date.nulls_last(), Finding.reference)
    )
    return [OpenFinding(r.reference, r.type, r.status, r.statement, r.due_date) for r in rows]


async def _upcoming_audits(
    db: TenantSession, program_id: uuid.UUID, today: date
) -> list[UpcomingAudit]:
    of_program = select(ChecklistLine.audit_id).where(ChecklistLine.program_id == program_id)
    rows = await db.scalars(
        select(Audit)
        .where(
            Audit.id.in_(of_program),
            Audit.planned_end >= today,
            Audit.status.in_([AuditStatus.PLANNED.value, AuditStatus.IN_PROGRESS.value]),
        )
        .order_by(Audit.planned_start, Audit.reference)
        .limit(UPCOMING_AUDITS)
    )
    return [UpcomingAudit(r.reference, r.title, r.planned_start, r.status) for r in rows]
