"""Certificates moved on by the calendar, nightly: expiry, the end of restoration, withdrawal.

A certificate's dates decide three changes that nobody records by hand, each written once,
on the day it became true, with the rule that caused it in its history:
- an active certificate on or past its expiry day is recorded expired (on its expiry day).
  While the body's restore months run, it may still be restored (`restore_certificate`);
- once they ran out with no restoration, its programs end as expired: certification starts
  again from stage 2, in a new program. The certificate stays expired; its history says why;
- a suspended certificate past the longest suspension is recorded withdrawn (the day after
  the last day it could have been resolved) and its programs with it.

A renewed certificate only expires: its programs carry on under the next cycle. A suspended
one is not expired on its expiry day: the suspension runs out first, at most the body's
suspension months later. What is done is not found again, so a second run, or a redelivered
job, writes nothing. The job runs in one tenant's system scope like every job, and the
activity log records its changes through the session's hooks, named by the job. No
notification is sent: the notifications area offers other areas no way to send one (its
reminders read the expected audits, which these changes refresh through their trigger).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import aliased

from backend.certification import rules
from backend.certification.models import Certificate, CertificateProgram, CertificateState
from backend.certification.queries import CycleFacts, cycle_facts
from backend.certification.service import move, programs_of_certificate
from backend.core.calendar import today_sql
from backend.db.session import TenantSession
from backend.jobs.definitions import Job, Periodic
from backend.programs.lifecycle import FINAL, follow
from backend.programs.models import Program, ProgramStatus


@dataclass(frozen=True)
class Lapsed:
    """How many certificates one run moved, by what happened to them."""

    expired: int = 0
    ended: int = 0  # expired ones whose restoration deadline passed: their programs ended
    withdrawn: int = 0


def _due(today: date) -> Select[Certificate]:
    """Certificates a change may be due for: active ones past expiry, suspended ones, and
    expired ones with a program still running and no later cycle."""
    later = aliased(Certificate)
    running = (
        exists()
        .where(
            CertificateProgram.certificate_id == Certificate.id,
            Program.id == CertificateProgram.program_id,
            Program.status.not_in([status.value for status in FINAL]),
        )
        .correlate(Certificate)
    )
    renewed = exists().where(later.previous_id == Certificate.id).correlate(Certificate)
    return (
        select(Certificate)
        .where(
            or_(
                and_(
                    Certificate.state == CertificateState.ACTIVE.value,
                    Certificate.expires_on <= today,
                ),
                Certificate.state == CertificateState.SUSPENDED.value,
                and_(Certificate.state == CertificateState.EXPIRED.value, running, ~renewed),
            )
        )
        .order_by(Certificate.id)
        .with_for_update(of=Certificate)
    )


async def advance(db: TenantSession, today: date) -> Lapsed:
    """Record, as of `today`, what the calendar did to the scope's certificates."""
    certificates = list(await db.scalars(_due(today)))
    expired = ended = withdrawn = 0
    for facts in await cycle_facts(db, certificates):
        certificate = facts.certificate
        if certificate.state == CertificateState.SUSPENDED.value:
            withdrawn += await _withdraw(db, facts, today)
            continue
        if certificate.state == CertificateState.ACTIVE.value:
            await _expire(db, facts)
            expired += 1
        if not facts.renewed:
            ended += await _end_programs(db, facts, today)
    await db.flush()
    return Lapsed(expired, ended, withdrawn)


async def _expire(db: TenantSession, facts: CycleFacts) -> None:
    certificate = facts.certificate
    after = (
        "the next cycle continues it"
        if facts.renewed
        else rules.restore_until(certificate.expires_on, facts.body).rule
    )
    reason = f"Expired on {certificate.expires_on}; {after}."
    await move(
        db, certificate, CertificateState.EXPIRED, reason=reason, on=certificate.expires_on, by=None
    )


async def _end_programs(db: TenantSession, facts: CycleFacts, today: date) -> bool:
    """Past the restoration deadline: the certificate's running programs end as expired
    (False: not yet, or none could)."""
    certificate = facts.certificate
    until = rules.restore_until(certificate.expires_on, facts.body)
    if today <= until.day:
        return False
    moved = False
    for program in await programs_of_certificate(db, certificate):
        if ProgramStatus(program.status) not in FINAL:
            moved = follow(program, ProgramStatus.EXPIRED) or moved
    if not moved:
        return False
    reason = f"Not restored: {until.rule}; certification starts again from stage 2."
    await _past(db, certificate, CertificateState.EXPIRED, until, reason)
    return True


async def _withdraw(db: TenantSession, facts: CycleFacts, today: date) -> bool:
    certificate = facts.certificate
    if certificate.suspended_on is None:
        return False
    due = rules.withdrawal_due(certificate.suspended_on, facts.body)
    if today <= due.day:
        return False
    await _past(
        db, certificate, CertificateState.WITHDRAWN, due, f"Suspension not resolved: {due.rule}."
    )
    return True


async def _past(
    db: TenantSession,
    certificate: Certificate,
    state: CertificateState,
    due: rules.Due,
    reason: str,
) -> None:
    """Record `state`, which the certificate entered once `due` (its last day) had passed."""
    await move(db, certificate, state, reason=reason, on=due.day + timedelta(days=1), by=None)


async def _advance(db: TenantSession, _payload: dict[str, Any]) -> None:
    tenant = db.scope.write_tenant
    if tenant is None:  # jobs run in the system scope of one tenant
        raise RuntimeError("certification.lapse runs in one tenant's system scope")
    today: date = (await db.execute(select(today_sql(tenant)))).scalar_one()
    await advance(db, today)


LAPSE = Job("certification.lapse", _advance, time_limit_seconds=300)
# Before the nightly schedule refresh (01:15), which then finds the states of tonight.
NIGHTLY = Periodic("certification.lapse.nightly", LAPSE.name, "5 1 * * *")
