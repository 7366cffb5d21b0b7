"""The expected audits written down: what a certificate's cycle expects, kept current as
audits are held and certificates change, queued by every change to a cycle's tables, and
reminded like any other due date."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.certification import queries, schedule, service
from backend.certification.models import ExpectedAudit
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.notifications import reminders
from backend.notifications.models import Notification
from tests.certification.helpers import certified, held, months_ago
from tests.findings.helpers import TODAY
from tests.planning.helpers import Plan


async def _written(session: TenantSession) -> list[tuple[str, int, object, str, str]]:
    rows = await session.scalars(select(ExpectedAudit).order_by(ExpectedAudit.due_on))
    return [(row.kind, row.number, row.due_on, row.status, row.rule) for row in rows]


async def test_the_job_writes_the_cycle_and_keeps_it_current(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = [plan.programs["a"]]
    certificate = await certified(session, owner_a, program, months_ago(13))
    assert await schedule.refresh(session) == 3  # two surveillances and the recertification
    [facts] = await queries.cycle_facts(session, [certificate])
    expected = [
        (item.kind.value, item.number, item.due.day, item.status.value, item.due.rule)
        for item in facts.cycle().expected
    ]
    assert await _written(session) == expected
    assert (await _written(session))[0][3] == "overdue"  # 13 months on, none held
    ids = set(await session.scalars(select(ExpectedAudit.id)))

    await held(session, owner_a, program, "surveillance", TODAY - timedelta(days=2))
    await schedule.refresh(session)
    await session.commit()
    assert (await _written(session))[0][3] == "held_late"
    assert set(await session.scalars(select(ExpectedAudit.id))) == ids  # the same rows

    await service.withdraw_certificate(session, owner_a, certificate.id, "Client left.")
    assert await schedule.refresh(session) == 0
    assert await _written(session) == []


async def test_a_change_to_a_cycle_queues_the_job_once(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await certified(session, owner_a, [plan.programs["a"]], months_ago(2))
    async with owner_engine.connect() as connection:
        queued = await connection.scalar(
            text("SELECT count(*) FROM job_outbox WHERE job = :job AND status = 'pending'"),
            {"job": schedule.SCHEDULE.name},
        )
    assert queued == 1


async def test_an_expected_audit_due_soon_is_reminded(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    # Certified a week short of a year ago: the first surveillance falls due within a week.
    decided = months_ago(12) + timedelta(days=7)
    await certified(session, owner_a, [plan.programs["a"]], decided)
    await schedule.refresh(session)
    await session.commit()
    first = (await _written(session))[0]
    assert first[:2] == ("surveillance", 1)
    await reminders.remind(session, owner_a.tenant_id, mail=False)
    await session.commit()
    found = await session.scalars(
        select(Notification).where(Notification.subject_type == "ExpectedCertificationAudit")
    )
    assert {(row.title, row.due_on) for row in found} == {(first[4], first[2])}
