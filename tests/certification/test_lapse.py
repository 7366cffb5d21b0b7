"""The calendar moving certificates on (`certification.lapse`), with the day passed in: expiry
recorded on the expiry day and restoration still possible, the programs ended once the
restoration deadline passed, a suspension past its limit withdrawn; each change once, in
the certificate's history and the activity log, and only in the job's tenant."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import features
from backend.activity.models import ActivityEntry
from backend.certification import lapse, rules, service
from backend.certification.lapse import Lapsed, advance
from backend.certification.models import Certificate, CertificateEvent
from backend.core.access import Actor
from backend.core.errors import ServiceError
from backend.db.session import TenantSession
from backend.programs.models import Program
from backend.settings import Settings
from tests.certification.helpers import certified, decision, held, months_ago, rows
from tests.findings.helpers import TODAY
from tests.notifications.helpers import run_job
from tests.planning.helpers import Plan

DEFAULTS = rules.BodyRules()


async def _history(db: TenantSession, certificate: Certificate) -> list[tuple[str, date, bool]]:
    """(state, day, recorded by a person) of each event, oldest first."""
    events = await db.execute(
        select(CertificateEvent.state, CertificateEvent.on, CertificateEvent.by_id)
        .where(CertificateEvent.certificate_id == certificate.id)
        .order_by(CertificateEvent.created_at, CertificateEvent.id)
    )
    return [(state, on, by is not None) for state, on, by in events]


async def _state(db: TenantSession, certificate: Certificate) -> str:
    state = await db.scalar(select(Certificate.state).where(Certificate.id == certificate.id))
    assert state is not None
    return state


async def _status(db: TenantSession, plan: Plan, key: str) -> str:
    status = await db.scalar(select(Program.status).where(Program.id == plan.programs[key]))
    assert status is not None
    return status


async def test_expiry_is_recorded_once_and_the_programs_end_after_the_restore_months(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    certificate = await certified(session, owner_a, [plan.programs["a"]], months_ago(2))
    expires = certificate.expires_on
    until = rules.restore_until(expires, DEFAULTS).day
    before = await rows(owner_engine)
    assert await advance(session, expires - timedelta(days=1)) == Lapsed()
    await session.commit()
    assert await rows(owner_engine) == before  # still valid: nothing written

    assert await advance(session, expires) == Lapsed(expired=1)
    await session.commit()
    assert await _state(session, certificate) == "expired"
    assert await _status(session, plan, "a") == "certified"  # restorable for six months
    assert await _history(session, certificate) == [
        ("active", certificate.decision_on, True),
        ("expired", expires, False),
    ]
    reason = await session.scalar(
        select(CertificateEvent.reason).where(CertificateEvent.state == "expired")
    )
    assert reason == (
        f"Expired on {expires}; certification may be restored until {until}: 6 months after"
        f" expiry on {expires}."
    )
    assert await advance(session, until) == Lapsed()  # the last day it may be restored

    assert await advance(session, until + timedelta(days=1)) == Lapsed(ended=1)
    await session.commit()
    assert await _status(session, plan, "a") == "expired"
    assert (await _history(session, certificate))[-1] == (
        "expired",
        until + timedelta(days=1),
        False,
    )
    after = await rows(owner_engine)
    assert await advance(session, until + timedelta(days=40)) == Lapsed()  # done is done
    await session.commit()
    assert await rows(owner_engine) == after


async def test_a_suspension_past_its_limit_is_withdrawn_with_its_programs(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    certificate = await certified(session, owner_a, [plan.programs["a"]], months_ago(3))
    await service.suspend_certificate(session, owner_a, certificate.id, "Surveillance missed.")
    last = rules.withdrawal_due(TODAY, DEFAULTS).day
    assert await advance(session, last) == Lapsed()
    assert await _status(session, plan, "a") == "suspended"

    assert await advance(session, last + timedelta(days=1)) == Lapsed(withdrawn=1)
    await session.commit()
    assert await _state(session, certificate) == "withdrawn"
    assert await _status(session, plan, "a") == "withdrawn"
    assert [state for state, _, _ in await _history(session, certificate)] == [
        "active",
        "suspended",
        "withdrawn",
    ]
    assert await advance(session, last + timedelta(days=30)) == Lapsed()


async def test_a_recorded_expiry_is_still_restored_within_the_restore_months(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = [plan.programs["a"]]
    lapsed = await certified(session, owner_a, program, months_ago(38))
    await held(session, owner_a, program, "recertification", TODAY - timedelta(days=3))
    assert await advance(session, TODAY) == Lapsed(expired=1)
    await session.commit()
    expired = ("expired", lapsed.expires_on, False)
    with pytest.raises(ServiceError, match="restore it"):
        await service.record_decision(session, owner_a, decision(program, TODAY))
    await session.rollback()
    await session.refresh(lapsed)
    restored = await service.restore_certificate(session, owner_a, lapsed.id, TODAY)
    assert (restored.cycle_number, restored.previous_id) == (2, lapsed.id)
    assert await _status(session, plan, "a") == "certified"
    # The expiry is in the history once, as the calendar recorded it.
    assert [e for e in await _history(session, lapsed) if e[0] == "expired"] == [expired]
    assert await advance(session, TODAY + timedelta(days=400)) == Lapsed()


async def test_a_renewed_certificate_expires_and_its_programs_carry_on(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = [plan.programs["a"]]
    first = await certified(session, owner_a, program, months_ago(34))
    await held(session, owner_a, program, "recertification", TODAY - timedelta(days=5))
    renewed = await service.record_decision(session, owner_a, decision(program, TODAY))
    later = rules.restore_until(first.expires_on, DEFAULTS).day + timedelta(days=1)
    assert await advance(session, later) == Lapsed(expired=1)
    await session.commit()
    assert await _state(session, first) == "expired"
    assert await _state(session, renewed) == "active"
    assert await _status(session, plan, "a") == "certified"


async def test_the_job_works_in_its_tenant_and_is_logged_under_its_name(
    session: TenantSession, owner_a: Actor, plan: Plan, migrated: Settings
) -> None:
    """Delivered as a worker delivers it (twice: a broker may redeliver), on the tenant's own
    today, in one tenant's system scope: B's run leaves A's expired certificate alone, A's
    records it once, logged under the job's name."""
    assert lapse.LAPSE in features.jobs()
    assert lapse.NIGHTLY in features.periodic()
    certificate = await certified(session, owner_a, [plan.programs["a"]], months_ago(37))
    await run_job(migrated, lapse.LAPSE.name, plan.orgs["b"])
    assert await _state(session, certificate) == "active"
    await run_job(migrated, lapse.LAPSE.name, owner_a.tenant_id, times=2)
    assert await _state(session, certificate) == "expired"
    entries = await session.execute(
        select(ActivityEntry.object_type, ActivityEntry.actor_id, ActivityEntry.tenant_id)
        .where(ActivityEntry.action == lapse.LAPSE.name)
        .order_by(ActivityEntry.seq)
    )
    logged = set(entries)
    assert ("Certificate", None, owner_a.tenant_id) in logged
    assert ("CertificateEvent", None, owner_a.tenant_id) in logged
    assert {tenant for _, _, tenant in logged} == {owner_a.tenant_id}
    assert await _history(session, certificate) == [
        ("active", certificate.decision_on, True),
        ("expired", certificate.expires_on, False),
    ]
