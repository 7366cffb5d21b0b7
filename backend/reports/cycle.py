"""The certification cycle as the readiness report shows it, read through the certification
models: the program's latest certificate (state, cycle, decision, expiry), the audits its
cycle expects with their windows and the rule behind each date (kept current by the
certification schedule job; the report prints them, it never computes a cycle), and the
certification audits booked with the body and not yet held."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from backend.certification.models import (
    AuditStatus,
    Certificate,
    CertificateProgram,
    CertificationAudit,
    CertificationAuditProgram,
    ExpectedAudit,
)
from backend.db.session import TenantSession
from backend.reports.people import words


@dataclass(frozen=True)
class Held:
    """The certificate of the current (or last) cycle."""

    number: str
    state: str
    cycle: int
    decision_on: date
    expires_on: date


@dataclass(frozen=True)
class Expected:
    kind: str  # "surveillance 1", "recertification 1"
    opens_on: date
    due_on: date
    status: str
    rule: str


@dataclass(frozen=True)
class Booked:
    kind: str  # "stage 1", "surveillance", ...
    start: date
    end: date


@dataclass(frozen=True)
class Cycle:
    certificate: Held | None
    expected: list[Expected]
    booked: list[Booked]


async def certification_cycle(db: TenantSession, program_id: uuid.UUID) -> Cycle:
    certificate = await db.scalar(
        select(Certificate)
        .join(CertificateProgram, CertificateProgram.certificate_id == Certificate.id)
        .where(CertificateProgram.program_id == program_id)
        .order_by(Certificate.decision_on.desc())
        .limit(1)
    )
    return Cycle(
        certificate=None
        if certificate is None
        else Held(
            certificate.number,
            words(certificate.state),
            certificate.cycle_number,
            certificate.decision_on,
            certificate.expires_on,
        ),
        expected=[] if certificate is None else await _expected(db, certificate.id),
        booked=await _booked(db, program_id),
    )


async def _expected(db: TenantSession, certificate_id: uuid.UUID) -> list[Expected]:
    rows = await db.scalars(
        select(ExpectedAudit)
        .where(ExpectedAudit.certificate_id == certificate_id)
        .order_by(ExpectedAudit.due_on, ExpectedAudit.kind, ExpectedAudit.number)
    )
    return [
        Expected(f"{row.kind} {row.number}", row.opens_on, row.due_on, words(row.status), row.rule)
        for row in rows
    ]


async def _booked(db: TenantSession, program_id: uuid.UUID) -> list[Booked]:
    of_program = select(CertificationAuditProgram.audit_id).where(
        CertificationAuditProgram.program_id == program_id
    )
    rows = await db.scalars(
        select(CertificationAudit)
        .where(
            CertificationAudit.id.in_(of_program),
            CertificationAudit.status == AuditStatus.PLANNED.value,
        )
        .order_by(CertificationAudit.planned_start)
    )
    return [Booked(words(row.kind), row.planned_start, row.planned_end) for row in rows]
