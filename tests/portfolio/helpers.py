"""Seeding for the portfolio tests: clients whose figures are known by construction.

Rows are written as the owner role, straight into PostgreSQL, so each test states exactly
what a client holds and the portfolio must count it back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.catalog.models import Clause, Standard
from backend.certification.models import (
    Certificate,
    CertificateProgram,
    CertificationAudit,
    CertificationAuditProgram,
)
from backend.evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion
from backend.findings.models import Finding, FindingRequirement
from backend.planning.models import Action
from backend.programs.models import Program, ProgramStep, StepKey
from backend.readiness.models import ReadinessSnapshot
from tenants.models import ConsultancyEngagement, Organization

PORTFOLIO = """
query Portfolio($sort: PortfolioSort, $standard: String, $organization: ID, $first: Int) {
  portfolio(sort: $sort, standard: $standard, organization: $organization, first: $first) {
    standard status currentStep currentStepKey readiness readinessLevel readinessTrend
    blockers nextDueOn atRisk overdueActions overdueFindings expiringEvidence
    certificateState certificateExpiresOn
    nextAudit { id kind startsOn endsOn }
    organization { id name } program { id }
  }
}
"""

WORK_QUEUE = """
query WorkQueue($first: Int) {
  workQueue(first: $first) { kind subjectId title dueOn overdue organization { name } program { id } }
}
"""


@dataclass(frozen=True)
class Figures:
    """What one seeded program holds; the portfolio must report exactly this."""

    scores: tuple[float, ...] = (50.0, 62.5)  # snapshots, oldest first
    level: str = "ready_for_stage_1"
    blockers: int = 3
    steps_completed: int = 2
    overdue_actions: int = 2
    overdue_findings: int = 1
    expiring_evidence: int = 2
    audit_in_days: int | None = 20
    audit_kind: str = "stage_1"
    certificate_state: str | None = None


async def standard_id(owner: AsyncEngine, code: str = "ISO 9001") -> uuid.UUID:
    async with AsyncSession(owner) as db:
        found = await db.scalar(select(Standard.id).where(Standard.code == code))
    assert found is not None
    return found


async def clause_id(owner: AsyncEngine, standard: uuid.UUID) -> uuid.UUID:
    async with AsyncSession(owner) as db:
        found = await db.scalar(
            select(Clause.id).where(Clause.standard_id == standard, Clause.assessable).limit(1)
        )
    assert found is not None
    return found


async def add_client(owner: AsyncEngine, consultancy_id: uuid.UUID, name: str) -> uuid.UUID:
    """A client the consultancy manages through an open engagement."""
    client_id = uuid.uuid4()
    async with AsyncSession(owner) as db:
        db.add(Organization(id=client_id, kind="client", name=name, slug=f"c-{client_id.hex[:12]}"))
        await db.flush()
        db.add(ConsultancyEngagement(tenant_id=client_id, consultancy_id=consultancy_id))
        await db.commit()
    return client_id


async def seed_program(
    owner: AsyncEngine,
    tenant_id: uuid.UUID,
    body_id: uuid.UUID,
    figures: Figures = Figures(),
    *,
    standard: str = "ISO 9001",
    owner_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A program with `figures`, plus rows that must not count (finished, future, closed)."""
    standard_uuid = await standard_id(owner, standard)
    clause = await clause_id(owner, standard_uuid)
    program_id = uuid.uuid4()
    today = datetime.now(UTC).date()
    async with AsyncSession(owner) as db:
        db.add(
            Program(
                id=program_id,
                tenant_id=tenant_id,
                standard_id=standard_uuid,
                scope_statement="All we do.",
            )
        )
        await db.flush()
        _steps(db, tenant_id, program_id, figures.steps_completed)
        _snapshots(db, tenant_id, program_id, figures)
        _actions(db, tenant_id, program_id, figures.overdue_actions, today, owner_id)
        await _findings(db, tenant_id, program_id, clause, figures.overdue_findings, today)
        await _evidence(db, tenant_id, program_id, clause, figures.expiring_evidence, today)
        await _audit(db, tenant_id, program_id, body_id, figures, today)
        await _certificate(db, tenant_id, program_id, body_id, figures.certificate_state, today)
        await db.commit()
    return program_id


def _steps(db: AsyncSession, tenant_id: uuid.UUID, program_id: uuid.UUID, done: int) -> None:
    for number, key in enumerate(StepKey, start=1):
        status = "completed" if number <= done else "not_started"
        db.add(
            ProgramStep(
                tenant_id=tenant_id, program_id=program_id, number=number, key=key, status=status
            )
        )


def _snapshots(
    db: AsyncSession, tenant_id: uuid.UUID, program_id: uuid.UUID, figures: Figures
) -> None:
    start = datetime.now(UTC) - timedelta(days=len(figures.scores))
    for index, score in enumerate(figures.scores):
        db.add(
            ReadinessSnapshot(
                tenant_id=tenant_id,
                program_id=program_id,
                score=score,
                level=figures.level if index == len(figures.scores) - 1 else "in_progress",
                breakdown={"blockers": [{"n": n} for n in range(figures.blockers)]},
                computed_at=start + timedelta(days=index),
            )
        )


def _actions(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    program_id: uuid.UUID,
    overdue: int,
    today: date,
    owner_id: uuid.UUID | None,
) -> None:
    dated = [(today - timedelta(days=3), "open")] * overdue + [
        (today + timedelta(days=5), "open"),  # due, not overdue
        (today - timedelta(days=9), "done"),  # past due but finished
        (today, "in_progress"),  # due today is not overdue
    ]
    for position, (due, status) in enumerate(dated):
        db.add(
            Action(
                tenant_id=tenant_id,
                program_id=program_id,
                title=f"Action {position}",
                due_date=due,
                status=status,
                owner_id=owner_id,
            )
        )


async def _findings(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    program_id: uuid.UUID,
    clause: uuid.UUID,
    overdue: int,
    today: date,
) -> None:
    dated = [(today - timedelta(days=1), "open")] * overdue + [
        (today - timedelta(days=30), "closed"),
        (today + timedelta(days=10), "analysed"),
    ]
    for position, (due, status) in enumerate(dated):
        finding = Finding(
            tenant_id=tenant_id,
            reference=f"NC-{program_id.hex[:6]}-{position}",
            type="minor_nonconformity",
            source="self_identified",
            statement="Records were incomplete.",
            due_date=due,
            status=status,
        )
        db.add(finding)
        await db.flush()
        db.add(
            FindingRequirement(
                tenant_id=tenant_id, finding_id=finding.id, program_id=program_id, clause_id=clause
            )
        )


async def _evidence(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    program_id: uuid.UUID,
    clause: uuid.UUID,
    expiring: int,
    today: date,
) -> None:
    valid = [today + timedelta(days=10)] * expiring + [
        today + timedelta(days=90),  # current
        today - timedelta(days=2),  # already stale: not "expiring"
    ]
    for until in valid:
        item = EvidenceItem(
            tenant_id=tenant_id, title="Calibration", kind="record", valid_until=until
        )
        db.add(item)
        await db.flush()
        db.add_all(
            [
                EvidenceVersion(
                    tenant_id=tenant_id,
                    evidence_id=item.id,
                    storage_key=f"tenants/{tenant_id}/{item.id}",
                    filename="c.pdf",
                    content_type="application/pdf",
                    size_bytes=1,
                    sha256="0" * 64,
                    status="available",
                    upload_expires_at=datetime.now(UTC),
                    confirmed_at=datetime.now(UTC) - timedelta(days=1),
                ),
                EvidenceLink(
                    tenant_id=tenant_id,
                    evidence_id=item.id,
                    program_id=program_id,
                    clause_id=clause,
                ),
            ]
        )


async def _audit(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    program_id: uuid.UUID,
    body_id: uuid.UUID,
    figures: Figures,
    today: date,
) -> None:
    if figures.audit_in_days is None:
        return
    for days, status in (
        (figures.audit_in_days, "planned"),
        (figures.audit_in_days + 60, "planned"),
        (-40, "held"),
    ):
        audit = CertificationAudit(
            tenant_id=tenant_id,
            certification_body_id=body_id,
            kind=figures.audit_kind,
            status=status,
            planned_start=today + timedelta(days=days),
            planned_end=today + timedelta(days=days + 1),
            actual_start=today + timedelta(days=days) if status == "held" else None,
            actual_end=today + timedelta(days=days + 1) if status == "held" else None,
        )
        db.add(audit)
        await db.flush()
        db.add(
            CertificationAuditProgram(
                tenant_id=tenant_id, audit_id=audit.id, program_id=program_id, position=1
            )
        )


async def _certificate(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    program_id: uuid.UUID,
    body_id: uuid.UUID,
    state: str | None,
    today: date,
) -> None:
    if state is None:
        return
    certificate = Certificate(
        tenant_id=tenant_id,
        certification_body_id=body_id,
        number=f"C-{program_id.hex[:6]}",
        cycle_number=1,
        scope="All we do.",
        decision_on=today - timedelta(days=100),
        issued_on=today - timedelta(days=99),
        expires_on=today + timedelta(days=995),
        state=state,
    )
    db.add(certificate)
    await db.flush()
    db.add(
        CertificateProgram(
            tenant_id=tenant_id, certificate_id=certificate.id, program_id=program_id, position=1
        )
    )
