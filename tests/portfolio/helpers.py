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
query Portfolio(
  $sort: PortfolioSort, $standard: String, $organization: ID, $first: Int
) {
  portfolio(sort: $sort, standard: $standard, organization: $organization, first: $first) {
    standard status currentStep currentStepKey readiness readinessLevel readinessTrend
    blockers nextDueOn atRisk overdueActions overdueFindings expiringEvidence
    certificateState certificateExpiresOn
    nextAudit { id kind startsOn endsOn booked rule }
    organization { id name } program { id }
  }
}
"""

WORK_QUEUE = """
query WorkQueue($first: Int) {
  workQueue(first: $first) {
    kind subjectId title dueOn overdue organization { name } program { id }
  }
}
"""

READERS = (
    ("a_viewer", "a", "FORBIDDEN"),
    ("auditor", "a", "FORBIDDEN"),
    ("b_owner", "b", "NOT_FOUND"),
)
"""Who may read A (or not) but not change it, acting where, and the answer they get."""


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


async def clause_ids(owner: AsyncEngine, standard: uuid.UUID, count: int = 1) -> list[uuid.UUID]:
    """The first `count` requirements of the standard, in its order."""
    async with AsyncSession(owner) as db:
        found = list(
            await db.scalars(
                select(Clause.id)
                .where(Clause.standard_id == standard, Clause.assessable)
                .order_by(Clause.position)
                .limit(count)
            )
        )
    assert len(found) == count
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


@dataclass(frozen=True)
class _Seed:
    """Where one program's rows go."""

    db: AsyncSession
    tenant_id: uuid.UUID
    program_id: uuid.UUID
    clause: uuid.UUID
    body_id: uuid.UUID
    today: date


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
    [clause] = await clause_ids(owner, standard_uuid)
    program_id = uuid.uuid4()
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
        seed = _Seed(db, tenant_id, program_id, clause, body_id, datetime.now(UTC).date())
        _steps(seed, figures.steps_completed)
        _snapshots(seed, figures)
        _actions(seed, figures.overdue_actions, owner_id)
        await _findings(seed, figures.overdue_findings)
        await _evidence(seed, figures.expiring_evidence)
        await _audit(seed, figures)
        await _certificate(seed, figures.certificate_state)
        await db.commit()
    return program_id


def _steps(seed: _Seed, done: int) -> None:
    for number, key in enumerate(StepKey, start=1):
        status = "completed" if number <= done else "not_started"
        seed.db.add(
            ProgramStep(
                tenant_id=seed.tenant_id,
                program_id=seed.program_id,
                number=number,
                key=key,
                status=status,
            )
        )


def _snapshots(seed: _Seed, figures: Figures) -> None:
    start = datetime.now(UTC) - timedelta(days=len(figures.scores))
    for index, score in enumerate(figures.scores):
        seed.db.add(
            ReadinessSnapshot(
                tenant_id=seed.tenant_id,
                program_id=seed.program_id,
                score=score,
                level=figures.level if index == len(figures.scores) - 1 else "in_progress",
                breakdown={"blockers": [{"n": n} for n in range(figures.blockers)]},
                computed_at=start + timedelta(days=index),
            )
        )


def _actions(seed: _Seed, overdue: int, owner_id: uuid.UUID | None) -> None:
    today = seed.today
    dated = [(today - timedelta(days=3), "open")] * overdue + [
        (today + timedelta(days=5), "open"),  # due, not overdue
        (today - timedelta(days=9), "done"),  # past due but finished
        (today, "in_progress"),  # due today is not overdue
    ]
    for position, (due, status) in enumerate(dated):
        seed.db.add(
            Action(
                tenant_id=seed.tenant_id,
                program_id=seed.program_id,
                title=f"Action {position}",
                due_date=due,
                status=status,
                owner_id=owner_id,
            )
        )


async def _findings(seed: _Seed, overdue: int) -> None:
    today = seed.today
    dated = [(today - timedelta(days=1), "open")] * overdue + [
        (today - timedelta(days=30), "closed"),
        (today + timedelta(days=10), "analysed"),
    ]
    for position, (due, status) in enumerate(dated):
        finding = Finding(
            tenant_id=seed.tenant_id,
            reference=f"NC-{seed.program_id.hex[:6]}-{position}",
            type="minor_nonconformity",
            source="self_identified",
            statement="Records were incomplete.",
            due_date=due,
            status=status,
        )
        seed.db.add(finding)
        await seed.db.flush()
        seed.db.add(
            FindingRequirement(
                tenant_id=seed.tenant_id,
                finding_id=finding.id,
                program_id=seed.program_id,
                clause_id=seed.clause,
            )
        )


async def _evidence(seed: _Seed, expiring: int) -> None:
    valid = [seed.today + timedelta(days=10)] * expiring + [
        seed.today + timedelta(days=90),  # current
        seed.today - timedelta(days=2),  # already stale: not "expiring"
    ]
    for until in valid:
        item = EvidenceItem(
            tenant_id=seed.tenant_id, title="Calibration", kind="record", valid_until=until
        )
        seed.db.add(item)
        await seed.db.flush()
        seed.db.add_all([_version(seed, item.id), _link(seed, item.id)])


def _version(seed: _Seed, item_id: uuid.UUID) -> EvidenceVersion:
    return EvidenceVersion(
        tenant_id=seed.tenant_id,
        evidence_id=item_id,
        storage_key=f"tenants/{seed.tenant_id}/{item_id}",
        filename="c.pdf",
        content_type="application/pdf",
        size_bytes=1,
        sha256="0" * 64,
        status="available",
        upload_expires_at=datetime.now(UTC),
        confirmed_at=datetime.now(UTC) - timedelta(days=1),
    )


def _link(seed: _Seed, item_id: uuid.UUID) -> EvidenceLink:
    return EvidenceLink(
        tenant_id=seed.tenant_id,
        evidence_id=item_id,
        program_id=seed.program_id,
        clause_id=seed.clause,
    )


async def _audit(seed: _Seed, figures: Figures) -> None:
    """The next audit in `audit_in_days`, a later one, and a past one that must not count."""
    if figures.audit_in_days is None:
        return
    days = figures.audit_in_days
    for offset, status in ((days, "planned"), (days + 60, "planned"), (-40, "held")):
        start = seed.today + timedelta(days=offset)
        held = status == "held"
        audit = CertificationAudit(
            tenant_id=seed.tenant_id,
            certification_body_id=seed.body_id,
            kind=figures.audit_kind,
            status=status,
            planned_start=start,
            planned_end=start + timedelta(days=1),
            actual_start=start if held else None,
            actual_end=start + timedelta(days=1) if held else None,
        )
        seed.db.add(audit)
        await seed.db.flush()
        seed.db.add(
            CertificationAuditProgram(
                tenant_id=seed.tenant_id, audit_id=audit.id, program_id=seed.program_id, position=1
            )
        )


async def _certificate(seed: _Seed, state: str | None) -> None:
    if state is None:
        return
    certificate = Certificate(
        tenant_id=seed.tenant_id,
        certification_body_id=seed.body_id,
        number=f"C-{seed.program_id.hex[:6]}",
        cycle_number=1,
        scope="All we do.",
        decision_on=seed.today - timedelta(days=100),
        issued_on=seed.today - timedelta(days=99),
        expires_on=seed.today + timedelta(days=995),
        state=state,
    )
    seed.db.add(certificate)
    await seed.db.flush()
    seed.db.add(
        CertificateProgram(
            tenant_id=seed.tenant_id,
            certificate_id=certificate.id,
            program_id=seed.program_id,
            position=1,
        )
    )
