"""Reminders before due dates: what a run writes (counted by hand), that running again or
delivering the job twice writes nothing new, that preferences decide, and that each tenant's
run writes only its own."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from croniter import croniter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import features
from backend.notifications.jobs import MAIL, REMIND
from backend.notifications.reminders import lead_reached
from backend.settings import Settings
from tests.notifications.helpers import Expected, all_rows, expand, outbox, run_job, written
from tests.planning.helpers import Plan

DUE = date(2026, 12, 20)


@pytest.mark.parametrize(
    ("today", "lead"),
    [
        (DUE - timedelta(days=15), None),
        (DUE - timedelta(days=14), 14),
        (DUE - timedelta(days=8), 14),
        (DUE - timedelta(days=7), 7),
        (DUE - timedelta(days=1), 1),
        (DUE, 1),
        (DUE + timedelta(days=1), -1),
        (DUE + timedelta(days=40), -1),
    ],
)
def test_the_latest_lead_time_reached_is_the_one_reminded(today: date, lead: int | None) -> None:
    assert lead_reached(DUE, today) == lead


async def test_a_run_writes_the_reminders_counted_by_hand(
    migrated: Settings, owner_engine: AsyncEngine, plan: Plan, due: Expected
) -> None:
    await run_job(migrated, REMIND.name, plan.orgs["a"])
    found = await written(owner_engine, plan)
    assert found == expand(due)
    assert len(found) == 11
    assert await written(owner_engine, plan, "b") == set()  # B's run has not come yet


async def test_running_again_or_delivering_twice_writes_nothing_new(
    migrated: Settings, owner_engine: AsyncEngine, plan: Plan, due: Expected
) -> None:
    await run_job(migrated, REMIND.name, plan.orgs["a"], times=2)  # a redelivered message
    first = await all_rows(owner_engine)
    await run_job(migrated, REMIND.name, plan.orgs["a"])  # the next run of the same day
    assert await all_rows(owner_engine) == first
    assert len(first) == 11


async def test_each_tenant_run_writes_its_own_reminders_only(
    migrated: Settings, owner_engine: AsyncEngine, plan: Plan, due: Expected
) -> None:
    await run_job(migrated, REMIND.name, plan.orgs["b"])
    assert await written(owner_engine, plan, "b") == {("b_owner", "B's tomorrow", "action_due", 1)}
    assert await written(owner_engine, plan, "a") == set()


async def test_preferences_decide_what_is_written(
    migrated: Settings, owner_engine: AsyncEngine, plan: Plan, due: Expected
) -> None:
    """The manager wants no action reminders at all, and finding reminders by e-mail only
    (with no SMTP server configured, that is none); the admin keeps the defaults."""
    async with owner_engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO notification_preferences (id, tenant_id, user_id, kind, in_app, email)"
                " VALUES (gen_random_uuid(), :tenant, :user, 'action_due', false, false),"
                " (gen_random_uuid(), :tenant, :user, 'finding_due', false, true)"
            ),
            {"tenant": plan.orgs["a"], "user": plan.users["a_manager"]},
        )
    await run_job(migrated, REMIND.name, plan.orgs["a"])
    found = await written(owner_engine, plan)
    dropped = {
        ("a_manager", "Week ahead", "action_due", 7),
        ("a_manager", "NC-2026-001", "finding_due", 14),
    }
    assert found == expand(due) - dropped
    assert await outbox(owner_engine, MAIL.name) == []  # nothing to e-mail without SMTP


def test_the_feature_registers_its_jobs_and_its_daily_schedule() -> None:
    assert {REMIND.name, MAIL.name} <= {job.name for job in features.jobs()}
    [daily] = [each for each in features.periodic() if each.job == REMIND.name]
    assert croniter.is_valid(daily.cron)
