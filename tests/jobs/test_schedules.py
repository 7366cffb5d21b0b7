"""Periodic jobs: a due tick runs once however many schedulers claim it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.jobs import scheduler
from backend.jobs.definitions import Periodic
from backend.runtime import Runtime
from backend.settings import Settings
from tests.support import World

NIGHTLY = Periodic("tests.nightly", "tests.bump", "0 2 * * *")


@pytest.fixture
async def runtimes(migrated: Settings) -> AsyncIterator[list[Runtime]]:
    built = [Runtime.build(migrated) for _ in range(2)]
    yield built
    for runtime in built:
        await runtime.close()


async def _make_due(owner: AsyncEngine) -> None:
    async with owner.begin() as connection:
        await connection.execute(
            text("UPDATE job_schedules SET next_run_at = :at WHERE name = :name"),
            {"at": datetime.now(UTC) - timedelta(minutes=1), "name": NIGHTLY.name},
        )


async def test_two_schedulers_run_a_due_tick_once(
    runtimes: list[Runtime], world: World, owner_engine: AsyncEngine
) -> None:
    await scheduler.register(runtimes[0], [NIGHTLY])
    await _make_due(owner_engine)
    ran = await asyncio.gather(*(scheduler.tick(runtime) for runtime in runtimes))
    assert sorted(len(names) for names in ran) == [0, 1]
    async with owner_engine.connect() as connection:
        queued = (await connection.execute(text("SELECT tenant_id FROM job_outbox"))).scalars()
        next_run = await connection.scalar(
            text("SELECT next_run_at FROM job_schedules WHERE name = :n"), {"n": NIGHTLY.name}
        )
    clients = {org.id for org in world.orgs.values() if org.kind == "client"}
    assert sorted(queued) == sorted(clients)  # one job per client, none for others
    assert next_run == scheduler.next_run(NIGHTLY.cron, next_run - timedelta(days=1))
    assert await scheduler.tick(runtimes[0]) == []  # not due again until tomorrow, 02:00 UTC


def test_a_bad_cron_expression_is_refused() -> None:
    with pytest.raises(scheduler.ScheduleError, match="not a cron expression"):
        scheduler.next_run("every night", datetime.now(UTC))
