"""Certification audits, decisions and certificates: planning and recording what the body did.

Every change is one transaction in the acting tenant by a role that runs programs (owners,
admins, consultants, managers): the client's people record what the certification body
decided. The body's auditors read through their grant and never write; the database
refuses them too. The programs a change concerns follow it along their lifecycle
(`programs.lifecycle.follow`): booking stage 1 or 2 starts the certification audit, a
decision certifies, surveillances move the program through the cycle, a renewal audit
starts recertification, suspension, reinstatement and withdrawal move it with the
certificate.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import delete, func, select

from backend.certification import queries, rules, step7
from backend.certification.models import (
    AuditKind,
    AuditOutcome,
    AuditStatus,
    BodyRules,
    Certificate,
    CertificateEvent,
    CertificateProgram,
    CertificateState,
    CertificationAudit,
    CertificationAuditFinding,
    CertificationAuditProgram,
)
from backend.core.access import (
    Actor,
    Permission,
    conflict_on,
    for_change,
    readable,
    require,
    require_acting_in,
)
from backend.core.calendar import today_sql
from backend.core.changes import KEEP, Change
from backend.core.errors import ErrorCode, ServiceError, conflict, invalid
from backend.core.validation import TEXT_LIMIT, TITLE_LIMIT, choice, require_given, text_field
from backend.db.session import TenantSession
from backend.evidence.models import EvidenceItem
from backend.findings.models import Finding, FindingSource
from backend.programs.lifecycle import FINAL, follow
from backend.programs.models import Program, ProgramStatus
from backend.programs.service import writable_program
from tenants.models import AuditorGrant
from tenants.service import find_certification_body

MAX_PROGRAMS = 10
MAX_FINDINGS = 100  # one audit's findings: keeps reading it within the query cost limit
MAX_SITES = 50
STAGES = (AuditKind.STAGE_1, AuditKind.STAGE_2)
OUTCOMES: dict[AuditKind, tuple[AuditOutcome, ...]] = {
    AuditKind.STAGE_1: (AuditOutcome.READY, AuditOutcome.NOT_READY),
    **{
        kind: (AuditOutcome.RECOMMENDED, AuditOutcome.NOT_RECOMMENDED)
        for kind in AuditKind
        if kind is not AuditKind.STAGE_1
    },
}
# Where a program stands after the n-th surveillance of its cycle.
AFTER_SURVEILLANCE = (ProgramStatus.SURVEILLANCE_1, ProgramStatus.SURVEILLANCE_2)
Saved = TypeVar("Saved", CertificationAudit, Certificate)


@dataclass(frozen=True)
class AuditFields:
    """A certification audit's plan; KEEP leaves the stored value."""

    program_ids: Change[Sequence[uuid.UUID]] = KEEP
    kind: Change[str] = KEEP
    planned_start: Change[date] = KEEP
    planned_end: Change[date] = KEEP
    audit_days: Change[Decimal | None] = KEEP
    lead_auditor_name: Change[str] = KEEP


@dataclass(frozen=True)
class Outcome:
    """What the body found: the days it audited, its conclusion, the findings it raised."""

    outcome: str
    actual_start: date
    actual_end: date
    finding_ids: Sequence[uuid.UUID] = ()
    summary: str = ""
    report_evidence_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Decision:
    """The body's certification decision and the certificate it issued."""

    program_ids: Sequence[uuid.UUID]
    decided_on: date
    number: str
    scope: str
    sites: Sequence[str] = ()
    issued_on: date | None = None  # the decision day when None


# --- audits ----------------------------------------------------------------------------------


async def plan_audit(db: TenantSession, actor: Actor, values: AuditFields) -> CertificationAudit:
    """An audit of the acting tenant's programs by their certification body."""
    require_given(values, "program_ids", "kind", "planned_start", "planned_end")
    require_acting_in(db, actor, actor.tenant_id, "Organization")
    require(actor, Permission.RUN_PROGRAMS)
    audit = CertificationAudit(tenant_id=actor.tenant_id, status=AuditStatus.PLANNED.value)
    await _write(db, actor, audit, values)
    return await _save(db, audit)


async def update_audit(
    db: TenantSession, actor: Actor, audit_id: uuid.UUID, values: AuditFields, cancel: bool
) -> CertificationAudit:
    """Change the plan of an audit not yet held, or cancel it."""
    audit = await _for_change(db, actor, audit_id)
    if audit.status != AuditStatus.PLANNED.value:
        raise ServiceError(
            ErrorCode.LOCKED, f"The audit is {audit.status}: only a planned one changes.", ["id"]
        )
    await _write(db, actor, audit, values)
    if cancel:
        audit.status = AuditStatus.CANCELLED.value
    return await _save(db, audit)


async def _write(
    db: TenantSession, actor: Actor, audit: CertificationAudit, values: AuditFields
) -> None:
    if values.kind is not KEEP:
        audit.kind = choice(AuditKind, values.kind, "kind").value
    if values.planned_start is not KEEP:
        audit.planned_start = values.planned_start
    if values.planned_end is not KEEP:
        audit.planned_end = values.planned_end
    if audit.planned_end < audit.planned_start:
        raise invalid("An audit ends on or after the day it starts.", ["plannedEnd"])
    if values.audit_days is not KEEP:
        audit.audit_days = _audit_days(values.audit_days)
    if values.lead_auditor_name is not KEEP:
        name = values.lead_auditor_name
        audit.lead_auditor_name = text_field(name, "leadAuditorName", TITLE_LIMIT, blank=True)
    if values.program_ids is not KEEP:
        programs = await _programs(db, actor, values.program_ids)
        audit.certification_body_id = await _body_of(db, programs)
        db.add(audit)
        await db.flush()
        await _replace_programs(db, audit, programs)
    await _follow_plan(db, audit)


def _audit_days(days: Decimal | None) -> Decimal | None:
    if days is not None and not (days.is_finite() and Decimal("0.5") <= days <= Decimal(999)):
        raise invalid("Audit days are from 0.5 to 999.", ["auditDays"])
    return days


async def _programs(
    db: TenantSession, actor: Actor, program_ids: Sequence[uuid.UUID]
) -> list[Program]:
    if not 1 <= len(program_ids) <= MAX_PROGRAMS:
        raise invalid(f"Name 1 to {MAX_PROGRAMS} programs.", ["programIds"])
    if len(set(program_ids)) != len(program_ids):
        raise invalid("Name each program once.", ["programIds"])
    return [await writable_program(db, actor, program_id) for program_id in program_ids]


async def _body_of(db: TenantSession, programs: Sequence[Program]) -> uuid.UUID:
    """The one certification body of the programs, which the client granted access."""
    bodies = {program.certification_body_id for program in programs}
    body = bodies.pop() if len(bodies) == 1 else None
    if body is None:
        raise invalid(
            "The programs must name the same certification body (updateProgram).", ["programIds"]
        )
    granted = await db.scalar(
        select(AuditorGrant.id).where(
            AuditorGrant.tenant_id == programs[0].tenant_id,
            AuditorGrant.certification_body_id == body,
        )
    )
    if granted is None:
        raise invalid(
            "Grant the certification body access before booking its audit.", ["programIds"]
        )
    return body


async def _replace_programs(
    db: TenantSession, audit: CertificationAudit, programs: Sequence[Program]
) -> None:
    await db.execute(
        delete(CertificationAuditProgram).where(CertificationAuditProgram.audit_id == audit.id)
    )
    db.add_all(
        CertificationAuditProgram(
            tenant_id=audit.tenant_id, audit_id=audit.id, program_id=program.id, position=n
        )
        for n, program in enumerate(programs)
    )
    await db.flush()


async def _follow_plan(db: TenantSession, audit: CertificationAudit) -> None:
    """Booking stage 1 or 2 starts the certification audit; a renewal audit recertification."""
    target = {
        AuditKind.STAGE_1.value: ProgramStatus.CERTIFICATION_AUDIT,
        AuditKind.STAGE_2.value: ProgramStatus.CERTIFICATION_AUDIT,
        AuditKind.RECERTIFICATION.value: ProgramStatus.RECERTIFICATION,
    }.get(audit.kind)
    if target is not None:
        for program in await _programs_of(db, audit):
            follow(program, target)


async def _programs_of(db: TenantSession, audit: CertificationAudit) -> list[Program]:
    return list(
        await db.scalars(
            select(Program)
            .join(CertificationAuditProgram, CertificationAuditProgram.program_id == Program.id)
            .where(CertificationAuditProgram.audit_id == audit.id)
            .order_by(CertificationAuditProgram.position)
        )
    )


async def record_outcome(
    db: TenantSession, actor: Actor, audit_id: uuid.UUID, values: Outcome
) -> CertificationAudit:
    """The audit was held: its days, the body's conclusion and the findings it raised (raised
    in the findings area with source certification audit). Recording again while held adds
    findings and corrects the record."""
    audit = await _for_change(db, actor, audit_id)
    if audit.status == AuditStatus.CANCELLED.value:
        raise ServiceError(ErrorCode.LOCKED, "The audit was cancelled.", ["id"])
    kind = AuditKind(audit.kind)
    outcome = choice(AuditOutcome, values.outcome, "outcome")
    if outcome not in OUTCOMES[kind]:
        allowed = ", ".join(item.value for item in OUTCOMES[kind])
        raise invalid(f"A {kind.value} audit concludes with one of: {allowed}.", ["outcome"])
    if values.actual_end < values.actual_start:
        raise invalid("An audit ends on or after the day it starts.", ["actualEnd"])
    if values.actual_end > await _today(db, audit):
        raise invalid("Record an audit once it has ended.", ["actualEnd"])
    audit.outcome, audit.status = outcome.value, AuditStatus.HELD.value
    audit.actual_start, audit.actual_end = values.actual_start, values.actual_end
    audit.summary = text_field(values.summary, "summary", TEXT_LIMIT, blank=True)
    audit.report_evidence_id = await _report(db, audit, values.report_evidence_id)
    await _link_findings(db, audit, values.finding_ids)
    if kind is AuditKind.SURVEILLANCE:
        await _follow_surveillance(db, audit)
    return await _save(db, audit)


async def _report(
    db: TenantSession, audit: CertificationAudit, evidence_id: uuid.UUID | None
) -> uuid.UUID | None:
    if evidence_id is None:
        return None
    item = await readable(db, EvidenceItem, evidence_id, "Evidence", "reportEvidenceId")
    if item.tenant_id != audit.tenant_id or item.deleted_at is not None:
        raise invalid("The report must be evidence of the organization.", ["reportEvidenceId"])
    return item.id


async def _link_findings(
    db: TenantSession, audit: CertificationAudit, finding_ids: Sequence[uuid.UUID]
) -> None:
    linked = set(
        await db.scalars(
            select(CertificationAuditFinding.finding_id).where(
                CertificationAuditFinding.audit_id == audit.id
            )
        )
    )
    new = [finding_id for finding_id in dict.fromkeys(finding_ids) if finding_id not in linked]
    if len(linked) + len(new) > MAX_FINDINGS:
        raise invalid(f"An audit raises at most {MAX_FINDINGS} findings.", ["findingIds"])
    for finding_id in new:
        finding = await readable(db, Finding, finding_id, "Finding", "findingIds")
        if finding.tenant_id != audit.tenant_id:
            raise invalid("A finding of another organization.", ["findingIds"])
        if finding.source != FindingSource.CERTIFICATION_AUDIT.value:
            raise invalid(
                f"{finding.reference} was not raised as a certification audit finding.",
                ["findingIds"],
            )
        db.add(
            CertificationAuditFinding(
                tenant_id=audit.tenant_id, audit_id=audit.id, finding_id=finding_id
            )
        )
    taken = conflict("A finding comes from one audit; it is tied to another.", ["findingIds"])
    async with conflict_on(db, "uq_certification_audit_findings_finding", taken):
        await db.flush()


async def _follow_surveillance(db: TenantSession, audit: CertificationAudit) -> None:
    """After the n-th surveillance of the current cycle, the program is in surveillance n."""
    programs = await _programs_of(db, audit)
    current = await queries.current_certificates(db, [program.id for program in programs])
    for program in programs:
        certificate = current.get(program.id)
        if certificate is None:
            continue
        held = await db.scalar(
            select(func.count(func.distinct(CertificationAudit.id)))
            .join(
                CertificationAuditProgram,
                CertificationAuditProgram.audit_id == CertificationAudit.id,
            )
            .where(
                CertificationAuditProgram.program_id == program.id,
                CertificationAudit.kind == AuditKind.SURVEILLANCE.value,
                CertificationAudit.status == AuditStatus.HELD.value,
                CertificationAudit.actual_end > certificate.decision_on,
            )
        )
        follow(program, AFTER_SURVEILLANCE[min(held or 1, len(AFTER_SURVEILLANCE)) - 1])


# --- decisions and certificates --------------------------------------------------------------


async def record_decision(db: TenantSession, actor: Actor, values: Decision) -> Certificate:
    """The body certified the programs (one certificate may cover several standards), or
    renewed their certificate. A first decision is refused while step 7's stage, major and
    minor criteria are unmet; a renewal needs a recommending recertification audit and comes
    before expiry (after it, `restore_certificate`)."""
    require_acting_in(db, actor, actor.tenant_id, "Organization")
    require(actor, Permission.RUN_PROGRAMS)
    programs = await _programs(db, actor, values.program_ids)
    await _lock(db, programs)
    current = await queries.current_certificates(db, [program.id for program in programs])
    previous = {current.get(program.id) for program in programs}
    if len(previous) != 1:
        raise invalid(
            "Programs certified together share their certificate: name all or none of it.",
            ["programIds"],
        )
    [renewed] = previous
    today = await _today_in(db, actor.tenant_id)
    if not values.decided_on <= today:
        raise invalid("Record a decision once it is made.", ["decidedOn"])
    if renewed is None:
        await _ready_for_decision(db, programs, values.decided_on)
        body = await _body_of(db, programs)
        expires = rules.expiry(
            values.decided_on, None, await queries.body_rules(db, actor.tenant_id, body)
        )
    else:
        body = renewed.certification_body_id
        numbers = await queries.body_rules(db, actor.tenant_id, body)
        await _renewable(
            db, renewed, programs, decided_on=values.decided_on, today=today, numbers=numbers
        )
        expires = rules.expiry(values.decided_on, renewed.expires_on, numbers)
    certificate = await _issue(
        db, actor, programs, values, body=body, expires_on=expires.day, previous=renewed
    )
    for program in programs:
        follow(program, ProgramStatus.CERTIFIED)
    return await _save(db, certificate)


async def _ready_for_decision(
    db: TenantSession, programs: Sequence[Program], decided_on: date
) -> None:
    facts = await queries.stage_facts(db, [program.id for program in programs])
    unmet = dict.fromkeys(  # an integrated audit gives its programs the same reasons
        verdict.reason
        for program in programs
        for judge in step7.BEFORE_DECISION
        if not (verdict := judge(facts.get(program.id, queries.StageFacts()))).met
    )
    if unmet:
        raise ServiceError(
            ErrorCode.CRITERIA_UNMET, "Not ready for a decision: " + " ".join(unmet), ["programIds"]
        )
    ended = [f.stage_2.actual_end for f in facts.values() if f.stage_2 and f.stage_2.actual_end]
    if any(decided_on < day for day in ended):
        raise invalid("The decision follows stage 2.", ["decidedOn"])


async def _renewable(
    db: TenantSession,
    renewed: Certificate,
    programs: Sequence[Program],
    *,
    decided_on: date,
    today: date,
    numbers: rules.BodyRules,
) -> None:
    """A renewal: the certificate is active, not expired, and a renewal audit recommended it."""
    if renewed.state == CertificateState.SUSPENDED.value:
        raise invalid(
            f"Certificate {renewed.number} is suspended: reinstate it first.", ["programIds"]
        )
    expired = renewed.state == CertificateState.EXPIRED.value
    if expired or decided_on >= renewed.expires_on or today >= renewed.expires_on:
        until = rules.restore_until(renewed.expires_on, numbers)
        raise invalid(
            f"Certificate {renewed.number} expired on {renewed.expires_on}: restore it"
            f" ({until.rule}) or start again from stage 2.",
            ["decidedOn"],
        )
    if renewed.state != CertificateState.ACTIVE.value:
        raise invalid(
            f"Certificate {renewed.number} is {renewed.state}: certification starts again from"
            " stage 2, in a new program.",
            ["programIds"],
        )
    await _recommended_since(db, renewed, programs)


async def _recommended_since(
    db: TenantSession, certificate: Certificate, programs: Sequence[Program]
) -> None:
    found = await db.scalar(
        select(CertificationAudit.id)
        .join(
            CertificationAuditProgram, CertificationAuditProgram.audit_id == CertificationAudit.id
        )
        .where(
            CertificationAuditProgram.program_id.in_([program.id for program in programs]),
            CertificationAudit.kind == AuditKind.RECERTIFICATION.value,
            CertificationAudit.status == AuditStatus.HELD.value,
            CertificationAudit.outcome == AuditOutcome.RECOMMENDED.value,
            CertificationAudit.actual_end > certificate.decision_on,
        )
        .limit(1)
    )
    if found is None:
        raise ServiceError(
            ErrorCode.CRITERIA_UNMET,
            f"No recertification audit recommended renewing certificate {certificate.number}"
            f" since its decision on {certificate.decision_on}.",
            ["programIds"],
        )


async def _issue(
    db: TenantSession,
    actor: Actor,
    programs: Sequence[Program],
    values: Decision,
    *,
    body: uuid.UUID,
    expires_on: date,
    previous: Certificate | None,
) -> Certificate:
    if len(values.sites) > MAX_SITES:
        raise invalid(f"Name at most {MAX_SITES} sites.", ["sites"])
    certificate = Certificate(
        tenant_id=actor.tenant_id,
        certification_body_id=body,
        number=text_field(values.number, "number", 100),
        cycle_number=1 if previous is None else previous.cycle_number + 1,
        scope=text_field(values.scope, "scope", TEXT_LIMIT),
        sites=[text_field(site, "sites", TITLE_LIMIT) for site in values.sites],
        decision_on=values.decided_on,
        issued_on=values.issued_on or values.decided_on,
        expires_on=expires_on,
        state=CertificateState.ACTIVE.value,
        previous_id=None if previous is None else previous.id,
    )
    db.add(certificate)
    renewed = conflict("The certificate was renewed meanwhile.", ["programIds"])
    async with conflict_on(db, "uq_certificates_previous", renewed):
        await db.flush()
    db.add_all(
        CertificateProgram(
            tenant_id=actor.tenant_id,
            certificate_id=certificate.id,
            program_id=program.id,
            position=n,
        )
        for n, program in enumerate(programs)
    )
    _event(
        db,
        certificate,
        actor,
        state=CertificateState.ACTIVE,
        on=values.decided_on,
        reason="Certification decision.",
    )
    return certificate


async def suspend_certificate(
    db: TenantSession, actor: Actor, certificate_id: uuid.UUID, reason: str
) -> Certificate:
    """The body suspended the certificate (a surveillance not held in time, a major not
    closed...): its programs are suspended with it."""
    certificate = await _certificate_for_change(db, actor, certificate_id, CertificateState.ACTIVE)
    today = await _today(db, certificate)
    if today >= certificate.expires_on:
        raise invalid(f"Certificate {certificate.number} has expired.", ["id"])
    certificate.suspended_on = today
    await move(db, certificate, CertificateState.SUSPENDED, reason=reason, on=today, by=actor)
    return await _save(db, certificate)


async def reinstate_certificate(
    db: TenantSession, actor: Actor, certificate_id: uuid.UUID, reason: str
) -> Certificate:
    """What caused the suspension is resolved: the certificate and its programs resume."""
    certificate = await _certificate_for_change(
        db, actor, certificate_id, CertificateState.SUSPENDED
    )
    certificate.suspended_on = None
    today = await _today(db, certificate)
    await move(db, certificate, CertificateState.ACTIVE, reason=reason, on=today, by=actor)
    return await _save(db, certificate)


async def withdraw_certificate(
    db: TenantSession, actor: Actor, certificate_id: uuid.UUID, reason: str
) -> Certificate:
    """The body withdrew the certificate: its programs' certified state ends."""
    certificate = await _certificate_for_change(
        db, actor, certificate_id, CertificateState.ACTIVE, CertificateState.SUSPENDED
    )
    today = await _today(db, certificate)
    await move(db, certificate, CertificateState.WITHDRAWN, reason=reason, on=today, by=actor)
    return await _save(db, certificate)


async def restore_certificate(
    db: TenantSession, actor: Actor, certificate_id: uuid.UUID, decided_on: date
) -> Certificate:
    """After expiry, within the body's restore months and with the recertification work
    done: a new cycle whose expiry runs on from the expired one. The certificate may still
    read active or already be recorded expired (`certification.lapse`)."""
    old = await _certificate_for_change(
        db, actor, certificate_id, CertificateState.ACTIVE, CertificateState.EXPIRED
    )
    body = await queries.body_rules(db, old.tenant_id, old.certification_body_id)
    today = await _today(db, old)
    until = rules.restore_until(old.expires_on, body)
    if today < old.expires_on:
        raise invalid(
            f"Certificate {old.number} is valid until {old.expires_on}: renew it instead.", ["id"]
        )
    if not old.expires_on <= decided_on <= min(today, until.day):
        raise invalid(
            f"A restoration is decided after expiry and by {until.day} ({until.rule}); after"
            " that the organization starts again from stage 2.",
            ["decidedOn"],
        )
    programs = await programs_of_certificate(db, old)
    await _lock(db, programs)
    if any(ProgramStatus(program.status) in FINAL for program in programs):
        raise invalid("A program of the certificate has ended: start a new one.", ["id"])
    await _recommended_since(db, old, programs)
    if old.state == CertificateState.ACTIVE.value:
        reason = "Expired; restored."
        await move(db, old, CertificateState.EXPIRED, reason=reason, on=old.expires_on, by=actor)
    values = Decision(
        program_ids=[program.id for program in programs],
        decided_on=decided_on,
        number=old.number,
        scope=old.scope,
        sites=old.sites,
    )
    expires = rules.expiry(decided_on, old.expires_on, body)
    certificate = await _issue(
        db,
        actor,
        programs,
        values,
        body=old.certification_body_id,
        expires_on=expires.day,
        previous=old,
    )
    for program in programs:
        follow(program, ProgramStatus.CERTIFIED)
    return await _save(db, certificate)


async def move(
    db: TenantSession,
    certificate: Certificate,
    state: CertificateState,
    *,
    reason: str,
    on: date,
    by: Actor | None,
) -> None:
    """Record the certificate's new state in its history; its programs follow. `by` is None
    when the calendar moved it (`certification.lapse`)."""
    certificate.state = state.value
    _event(db, certificate, by, state=state, on=on, reason=text_field(reason, "reason", TEXT_LIMIT))
    target = {
        CertificateState.SUSPENDED: ProgramStatus.SUSPENDED,
        CertificateState.WITHDRAWN: ProgramStatus.WITHDRAWN,
    }.get(state)
    for program in await programs_of_certificate(db, certificate):
        if state is CertificateState.ACTIVE and program.suspended_from:
            follow(program, ProgramStatus(program.suspended_from))
        elif target is not None:
            follow(program, target)


def _event(
    db: TenantSession,
    certificate: Certificate,
    actor: Actor | None,
    *,
    state: CertificateState,
    on: date,
    reason: str,
) -> None:
    db.add(
        CertificateEvent(
            tenant_id=certificate.tenant_id,
            certificate_id=certificate.id,
            state=state.value,
            on=on,
            reason=reason,
            by_id=None if actor is None else actor.user_id,
        )
    )


async def _lock(db: TenantSession, programs: Sequence[Program]) -> None:
    """Decisions on the same programs wait for each other, so a cycle starts once."""
    ids = sorted(program.id for program in programs)
    await db.execute(
        select(Program.id).where(Program.id.in_(ids)).order_by(Program.id).with_for_update()
    )


async def programs_of_certificate(db: TenantSession, certificate: Certificate) -> list[Program]:
    return list(
        await db.scalars(
            select(Program)
            .join(CertificateProgram, CertificateProgram.program_id == Program.id)
            .where(CertificateProgram.certificate_id == certificate.id)
            .order_by(CertificateProgram.position)
        )
    )


async def _certificate_for_change(
    db: TenantSession, actor: Actor, certificate_id: uuid.UUID, *states: CertificateState
) -> Certificate:
    certificate = await for_change(
        db,
        actor,
        Certificate,
        certificate_id,
        permission=Permission.RUN_PROGRAMS,
        what="Certificate",
    )
    later = await db.scalar(select(Certificate.id).where(Certificate.previous_id == certificate.id))
    if later is not None:
        raise invalid(f"Certificate {certificate.number} was renewed: act on the new one.", ["id"])
    if certificate.state not in {state.value for state in states}:
        raise invalid(f"Certificate {certificate.number} is {certificate.state}.", ["id"])
    return certificate


# --- a body's numbers ------------------------------------------------------------------------


async def set_body_rules(
    db: TenantSession, actor: Actor, body_slug: str, overrides: Mapping[str, int]
) -> tuple[uuid.UUID, rules.BodyRules]:
    """The numbers the acting organization's contract with a certification body sets (an
    empty mapping returns to the defaults); every due date from then on follows them."""
    require_acting_in(db, actor, actor.tenant_id, "Organization")
    require(actor, Permission.MANAGE_ORGANIZATION)
    body = await find_certification_body(db, body_slug)
    try:
        numbers = rules.BodyRules.with_overrides(overrides)
    except ValueError as error:
        raise invalid(str(error), ["rules"]) from None
    row = await db.scalar(
        select(BodyRules).where(
            BodyRules.tenant_id == actor.tenant_id, BodyRules.certification_body_id == body.id
        )
    ) or BodyRules(tenant_id=actor.tenant_id, certification_body_id=body.id)
    row.overrides = dict(overrides)
    db.add(row)
    await db.commit()
    return body.id, numbers


# --- shared ----------------------------------------------------------------------------------


async def _for_change(db: TenantSession, actor: Actor, audit_id: uuid.UUID) -> CertificationAudit:
    return await for_change(
        db,
        actor,
        CertificationAudit,
        audit_id,
        permission=Permission.RUN_PROGRAMS,
        what="Certification audit",
    )


async def _today(db: TenantSession, row: CertificationAudit | Certificate) -> date:
    return await _today_in(db, row.tenant_id)


async def _today_in(db: TenantSession, tenant_id: uuid.UUID) -> date:
    today: date = (await db.execute(select(today_sql(tenant_id)))).scalar_one()
    return today


async def _save(db: TenantSession, row: Saved) -> Saved:
    db.add(row)
    await db.commit()
    await db.refresh(row)
    return row
