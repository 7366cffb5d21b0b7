"""The daily reminders: a row whose review date has come, or an obligation due for
evaluation, becomes one planning action for its owner, linked to the row, once per due day."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import features
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.planning.models import Action
from backend.registers import service
from backend.registers.jobs import DAILY, REMIND
from backend.registers.models import EntryKind, EntryLink
from backend.registers.service import EntryFields
from backend.runtime import Runtime
from tests.findings.helpers import TODAY, days_ago
from tests.planning.helpers import Plan
from tests.registers.helpers import iso_program


async def _reminders(runtime: Runtime, plan: Plan, org: str = "a") -> list[tuple[object, ...]]:
    async with runtime.acting_in(plan.orgs[org]) as db:
        await REMIND.handler(db, {})
        await db.commit()
        rows = await db.execute(
            select(Action.title, Action.due_date)
            .join(EntryLink, EntryLink.action_id == Action.id)
            .order_by(Action.title)
        )
        return [tuple(row) for row in rows]


async def test_due_rows_become_one_action_for_their_owner_each(
    runtime: Runtime,
    plan: Plan,
    owner_engine: AsyncEngine,
    session: TenantSession,
    owner_a: Actor,
) -> None:
    await iso_program(owner_engine, plan, "45001")
    owner = plan.users["a_owner"]
    due = await service.create_entry(
        session,
        owner_a,
        EntryKind.RISK,
        plan.programs["a"],
        EntryFields(title="Supplier fails", nature="risk", review_on=days_ago(1), owner_id=owner),
    )
    await service.create_entry(
        session,
        owner_a,
        EntryKind.RISK,
        plan.programs["a"],
        EntryFields(title="Not yet", nature="risk", review_on=days_ago(-1)),
    )
    await service.create_entry(
        session,
        owner_a,
        EntryKind.OBLIGATION,
        plan.programs["a_45001"],
        EntryFields(title="Noise rules", source="Law", evaluation_months=12, owner_id=owner),
    )
    expected = [
        ("Evaluate compliance with OBL-001: Noise rules", TODAY),
        ("Review R-001: Supplier fails", days_ago(1)),
    ]
    assert await _reminders(runtime, plan) == expected
    assert await _reminders(runtime, plan) == expected  # once per due day
    assert await _reminders(runtime, plan, "b") == []

    await service.update_entry(
        session, owner_a, EntryKind.RISK, due.id, EntryFields(review_on=TODAY)
    )
    titles = [title for title, _ in await _reminders(runtime, plan)]
    assert titles.count("Review R-001: Supplier fails") == 2  # the new date is reminded too


def test_the_reminder_runs_daily_for_every_client() -> None:
    assert REMIND in features.jobs()
    assert DAILY in features.periodic()
