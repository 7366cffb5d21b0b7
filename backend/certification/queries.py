"""Reading certification: the lists, the batch loads behind their fields, and the facts step 7
and the cycle are judged on, each one statement for any number of programs or certificates."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    JSON,
    ScalarSelect,
    Select,
    and_,
    exists,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, distinct_on

from backend.certification import rules
from backend.certification.models import (
    AuditKind,
    AuditStatus,
    BodyRules,
    Certificate,
    CertificateEvent,
    CertificateProgram,
    CertificateState,
    CertificationAudit,
    CertificationAuditFinding,
    CertificationAuditProgram,
    ExpectedAudit,
)
from backend.core.calendar import local_date_sql, today_sql
from backend.db.batch import by_id, grouped
from backend.db.session import TenantSession
from backend.findings.models import EffectivenessReview, EffectivenessVerdict, Finding
from backend.programs.criteria import ASKED, among_asked
from backend.programs.models import Program

# --- lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    program_id: uuid.UUID | None = None
    kind: AuditKind | None = None
    status: AuditStatus | None = None
    organization: uuid.UUID | None = None


def audits_statement(where: AuditFilter) -> Select[Any]:
    statement = select(CertificationAudit)
    if where.kind is not None:
        statement = statement.where(CertificationAudit.kind == where.kind.value)
    if where.status is not None:
        statement = statement.where(CertificationAudit.status == where.status.value)
    if where.organization is not None:
        statement = statement.where(CertificationAudit.tenant_id == where.organization)
    if where.program_id is not None:
        statement = statement.where(
            exists().where(
                CertificationAuditProgram.audit_id == CertificationAudit.id,
                CertificationAuditProgram.program_id == where.program_id,
            )
        )
    return statement


def certificates_statement(
    program_id: uuid.UUID | None, organization: uuid.UUID | None
) -> Select[Any]:
    statement = select(Certificate)
    if organization is not None:
        statement = statement.where(Certificate.tenant_id == organization)
    if program_id is not None:
        statement = statement.where(
            exists().where(
                CertificateProgram.certificate_id == Certificate.id,
                CertificateProgram.program_id == program_id,
            )
        )
    return statement


audits_by_id = by_id(CertificationAudit)
certificates_by_id = by_id(Certificate)
expected_by_id = by_id(ExpectedAudit)


async def programs_of_audits(
    db: TenantSession, audit_ids: Sequence[uuid.UUID]
) -> list[list[Program]]:
    rows = await db.execute(
        select(CertificationAuditProgram.audit_id, Program)
        .join(Program, Program.id == CertificationAuditProgram.program_id)
        .where(CertificationAuditProgram.audit_id.in_(audit_ids))
        .order_by(CertificationAuditProgram.position)
    )
    return grouped(audit_ids, [(key, value) for key, value in rows])


async def findings_of_audits(
    db: TenantSession, audit_ids: Sequence[uuid.UUID]
) -> list[list[Finding]]:
    rows = await db.execute(
        select(CertificationAuditFinding.audit_id, Finding)
        .join(Finding, Finding.id == CertificationAuditFinding.finding_id)
        .where(CertificationAuditFinding.audit_id.in_(audit_ids))
        .order_by(Finding.reference)
    )
    return grouped(audit_ids, [(key, value) for key, value in rows])


async def programs_of_certificates(
    db: TenantSession, certificate_ids: Sequence[uuid.UUID]
) -> list[list[Program]]:
    rows = await db.execute(
        select(CertificateProgram.certificate_id, Program)
        .join(Program, Program.id == CertificateProgram.program_id)
        .where(CertificateProgram.certificate_id.in_(certificate_ids))
        .order_by(CertificateProgram.position)
    )
    return grouped(certificate_ids, [(key, value) for key, value in rows])


async def events_of_certificates(
    db: TenantSession, certificate_ids: Sequence[uuid.UUID]
) -> list[list[CertificateEvent]]:
    rows = await db.scalars(
        select(CertificateEvent)
        .where(CertificateEvent.certificate_id.in_(certificate_ids))
        .order_by(CertificateEvent.created_at, CertificateEvent.id)
    )
    return grouped(certificate_ids, [(row.certificate_id, row) for row in rows])


# --- the cycle -------------------------------------------------------------------------------


@dataclass
class CycleFacts:
    """What a certificate's cycle is computed from, as the organization's calendar reads it."""

    certificate: Certificate
    today: date
    body: rules.BodyRules
    held: list[tuple[rules.ExpectedKind, date]] = field(default_factory=list)
    renewed: bool = False  # a later certificate renews or restores it

    def cycle(self) -> rules.Cycle:
        row = self.certificate
        return rules.cycle(
            row.decision_on,
            row.expires_on,
            initial=row.previous_id is None,
            held=self.held,
            today=self.today,
            rules=self.body,
        )


_EXPECTED = {
    AuditKind.SURVEILLANCE.value: rules.ExpectedKind.SURVEILLANCE,
    AuditKind.RECERTIFICATION.value: rules.ExpectedKind.RECERTIFICATION,
}


async def cycle_facts(db: TenantSession, certificates: Sequence[Certificate]) -> list[CycleFacts]:
    """The facts of each certificate's cycle, in three statements for any number of them:
    today and the body's numbers, the audits held on its programs, and its successor."""
    if not certificates:
        return []
    ids = [row.id for row in certificates]
    settings = {
        key: (today, overrides)
        for key, today, overrides in await db.execute(
            select(Certificate.id, today_sql(Certificate.tenant_id), BodyRules.overrides)
            .outerjoin(
                BodyRules,
                and_(
                    BodyRules.tenant_id == Certificate.tenant_id,
                    BodyRules.certification_body_id == Certificate.certification_body_id,
                ),
            )
            .where(Certificate.id.in_(ids))
        )
    }
    facts = {
        row.id: CycleFacts(
            row, settings[row.id][0], rules.BodyRules.with_overrides(settings[row.id][1] or {})
        )
        for row in certificates
    }
    held = await db.execute(
        select(
            CertificateProgram.certificate_id,
            CertificationAudit.kind,
            CertificationAudit.actual_end,
        )
        .join(
            CertificationAuditProgram,
            CertificationAuditProgram.program_id == CertificateProgram.program_id,
        )
        .join(CertificationAudit, CertificationAudit.id == CertificationAuditProgram.audit_id)
        .where(
            CertificateProgram.certificate_id.in_(ids),
            CertificationAudit.status == AuditStatus.HELD.value,
            CertificationAudit.kind.in_(list(_EXPECTED)),
        )
        .distinct()
    )
    for certificate_id, kind, day in held:
        facts[certificate_id].held.append((_EXPECTED[kind], cast(date, day)))  # held: dated
    renewed = await db.scalars(
        select(Certificate.previous_id).where(Certificate.previous_id.in_(ids))
    )
    for previous in renewed:
        if previous is not None:
            facts[previous].renewed = True
    return [facts[row.id] for row in certificates]


async def current_certificates(
    db: TenantSession, program_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Certificate]:
    """Each program's latest certificate (of its last cycle), one statement."""
    rows = await db.execute(_current_certificates(), {ASKED: list(program_ids)})
    return dict(rows.all())


@functools.cache
def _current_certificates() -> Select[uuid.UUID, Certificate]:
    """Built once: step 7's decision criterion asks it on every dashboard load."""
    return (
        select(CertificateProgram.program_id, Certificate)
        .join(Certificate, Certificate.id == CertificateProgram.certificate_id)
        .where(among_asked(CertificateProgram.program_id))
        .ext(distinct_on(CertificateProgram.program_id))
        .order_by(CertificateProgram.program_id, Certificate.cycle_number.desc())
    )


async def body_rules(
    db: TenantSession, tenant_id: uuid.UUID, body_id: uuid.UUID
) -> rules.BodyRules:
    overrides = await db.scalar(
        select(BodyRules.overrides).where(
            BodyRules.tenant_id == tenant_id, BodyRules.certification_body_id == body_id
        )
    )
    return rules.BodyRules.with_overrides(overrides or {})


# --- step 7 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingFact:
    reference: str
    type: str
    status: str
    verified_on: date | None  # the day its correction was found effective, or it closed


@dataclass
class StageFacts:
    """The latest held stage 1 and stage 2 of a program, with their findings."""

    today: date | None = None  # the organization's, known when a stage audit was held
    stage_1: CertificationAudit | None = None
    stage_2: CertificationAudit | None = None
    body: rules.BodyRules = field(default_factory=rules.BodyRules)
    findings: dict[uuid.UUID, list[FindingFact]] = field(default_factory=dict)

    def of(self, audit: CertificationAudit | None) -> list[FindingFact]:
        return [] if audit is None else self.findings.get(audit.id, [])


async def stage_facts(
    db: TenantSession, program_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StageFacts]:
    """Step 7's stage facts for every program in one statement: the latest held stage 1 and
    stage 2 with today, the body's numbers and each audit's findings."""
    stages = await db.execute(_stages(), {ASKED: list(program_ids)})
    facts: dict[uuid.UUID, StageFacts] = {}
    for program_id, audit, today, overrides, found_json in stages:
        found = facts.setdefault(program_id, StageFacts(today))
        found.findings[audit.id] = [_finding_fact(item) for item in found_json]
        if audit.kind == AuditKind.STAGE_1.value:
            found.stage_1 = audit
        else:
            found.stage_2 = audit
            found.body = rules.BodyRules.with_overrides(overrides or {})
    return facts


@functools.cache
def _stages() -> Select[uuid.UUID, CertificationAudit, date, Any, Any]:
    """The statement of `stage_facts`, built once: four of step 7's criteria run it on every
    dashboard load, and its findings subquery makes it the costliest to build."""
    return (
        select(
            CertificationAuditProgram.program_id,
            CertificationAudit,
            today_sql(CertificationAudit.tenant_id),
            BodyRules.overrides,
            _findings_of_audit(),
        )
        .join(CertificationAudit, CertificationAudit.id == CertificationAuditProgram.audit_id)
        .outerjoin(
            BodyRules,
            and_(
                BodyRules.tenant_id == CertificationAudit.tenant_id,
                BodyRules.certification_body_id == CertificationAudit.certification_body_id,
            ),
        )
        .where(
            among_asked(CertificationAuditProgram.program_id),
            CertificationAudit.status == AuditStatus.HELD.value,
            CertificationAudit.kind.in_([AuditKind.STAGE_1.value, AuditKind.STAGE_2.value]),
        )
        .ext(distinct_on(CertificationAuditProgram.program_id, CertificationAudit.kind))
        .order_by(
            CertificationAuditProgram.program_id,
            CertificationAudit.kind,
            CertificationAudit.actual_end.desc(),
            CertificationAudit.id,
        )
    )


def _findings_of_audit() -> ScalarSelect[Any]:
    """The audit's findings as JSON, each with the day it was verified: found effective, else
    closed (on the organization's calendar)."""
    effective = (
        select(func.max(EffectivenessReview.reviewed_on))
        .where(
            EffectivenessReview.finding_id == Finding.id,
            EffectivenessReview.verdict == EffectivenessVerdict.EFFECTIVE.value,
        )
        .scalar_subquery()
    )
    closed_on = local_date_sql(Finding.closed_at.expression, Finding.tenant_id)
    item = func.json_build_object(
        "reference",
        Finding.reference,
        "type",
        Finding.type,
        "status",
        Finding.status,
        "verified_on",
        func.coalesce(effective, closed_on),
    )
    aggregate = func.coalesce(
        func.json_agg(aggregate_order_by(item, Finding.reference)), literal_column("'[]'::json")
    )
    return (
        select(type_coerce(aggregate, JSON))
        .select_from(CertificationAuditFinding)
        .join(Finding, Finding.id == CertificationAuditFinding.finding_id)
        .where(CertificationAuditFinding.audit_id == CertificationAudit.id)
        .correlate(CertificationAudit)
        .scalar_subquery()
    )


def _finding_fact(item: dict[str, Any]) -> FindingFact:
    verified_on = item["verified_on"]
    return FindingFact(
        item["reference"],
        item["type"],
        item["status"],
        None if verified_on is None else date.fromisoformat(verified_on),
    )


# --- the cycle of a certificate, and what is coming up ---------------------------------------


def state_of(facts: CycleFacts) -> CertificateState:
    """The certificate's state today: an active one past its expiry has expired."""
    stored = CertificateState(facts.certificate.state)
    expired = stored is CertificateState.ACTIVE and facts.today >= facts.certificate.expires_on
    return CertificateState.EXPIRED if expired else stored


async def cycles_by_certificate(
    db: TenantSession, certificate_ids: Sequence[uuid.UUID]
) -> list[CycleFacts | None]:
    """The cycle facts of each certificate (None where it cannot be read): four statements."""
    rows = await db.scalars(select(Certificate).where(Certificate.id.in_(certificate_ids)))
    facts = {found.certificate.id: found for found in await cycle_facts(db, list(rows))}
    return [facts.get(certificate_id) for certificate_id in certificate_ids]


async def scheduled_by_certificate(
    db: TenantSession, certificate_ids: Sequence[uuid.UUID]
) -> list[list[ExpectedAudit]]:
    """The expected audits the scheduling job wrote for each certificate, by due date."""
    rows = await db.scalars(
        select(ExpectedAudit)
        .where(ExpectedAudit.certificate_id.in_(certificate_ids))
        .order_by(ExpectedAudit.due_on, ExpectedAudit.id)
    )
    return grouped(certificate_ids, [(row.certificate_id, row) for row in rows])


_later = Certificate.__table__.alias("later")  # a certificate that renews another


@dataclass(frozen=True)
class Upcoming:
    """An audit coming up: one a cycle expects and that is not held, or one booked."""

    tenant_id: uuid.UUID
    kind: str
    day: date
    rule: str
    status: str  # due, overdue (expected) or planned (booked)
    certificate: Certificate | None = None
    audit: CertificationAudit | None = None


async def upcoming(db: TenantSession, organization: uuid.UUID | None, limit: int) -> list[Upcoming]:
    """Across every organization the caller reads, by date: five statements, whatever the
    number of organizations or certificates."""
    live = select(Certificate).where(
        Certificate.state.in_([CertificateState.ACTIVE.value, CertificateState.SUSPENDED.value]),
        ~exists().where(_later.c.previous_id == Certificate.id),
    )
    booked = select(CertificationAudit).where(
        CertificationAudit.status == AuditStatus.PLANNED.value
    )
    if organization is not None:
        live = live.where(Certificate.tenant_id == organization)
        booked = booked.where(CertificationAudit.tenant_id == organization)
    items = [
        Upcoming(
            facts.certificate.tenant_id,
            expected.kind.value,
            expected.due.day,
            expected.due.rule,
            expected.status.value,
            certificate=facts.certificate,
        )
        for facts in await cycle_facts(db, list(await db.scalars(live)))
        if state_of(facts) is not CertificateState.EXPIRED
        for expected in facts.cycle().expected
        if expected.held_on is None
    ]
    items += [
        Upcoming(
            audit.tenant_id,
            audit.kind,
            audit.planned_start,
            f"{audit.kind.replace('_', ' ')} booked from {audit.planned_start} to"
            f" {audit.planned_end}",
            AuditStatus.PLANNED.value,
            audit=audit,
        )
        for audit in await db.scalars(booked)
    ]
    return sorted(items, key=lambda item: (item.day, item.kind, str(item.tenant_id)))[:limit]
