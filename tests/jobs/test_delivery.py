"""A change and its job: the job takes effect once if the change commits, never if not."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import features
from backend.jobs.models import OutboxMessage
from backend.jobs.outbox import enqueue
from backend.jobs.process import JobProcess
from backend.readiness.jobs import RECOMPUTE
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tests.jobs.helpers import BUMP, POISON, period_of, wait_finished
from tests.support import Client, World, gql, login


async def test_a_committed_change_runs_its_jobs_once_each(
    jobs: JobProcess, runtime: ApiRuntime, world: World, owner_engine: AsyncEngine
) -> None:
    a = world.orgs["a"].id
    before = await period_of(owner_engine, a)
    async with runtime.acting_in(a) as db:
        rows = [await enqueue(db, BUMP.name, a, {"tenant": str(a)}) for _ in range(5)]
        await db.commit()
    statuses = await wait_finished(owner_engine, [row.id for row in rows])
    assert set(statuses.values()) == {"done"}
    await asyncio.sleep(1)  # room for a duplicate delivery to show
    assert await period_of(owner_engine, a) == before + 5


async def test_a_job_no_worker_here_runs_waits_without_holding_up_the_others(
    jobs: JobProcess, runtime: ApiRuntime, world: World, owner_engine: AsyncEngine
) -> None:
    """A row of another release's job (or one removed) is left for a worker that runs it."""
    a = world.orgs["a"].id
    async with runtime.acting_in(a) as db:
        stranger = await enqueue(db, "elsewhere.unknown", a)
        known = await enqueue(db, BUMP.name, a, {"tenant": str(a)})
        await db.commit()
    assert await wait_finished(owner_engine, [known.id]) == {known.id: "done"}
    async with owner_engine.connect() as connection:
        waiting = await connection.scalar(
            text("SELECT status::text FROM job_outbox WHERE id = :id"), {"id": stranger.id}
        )
    assert waiting == "pending"


async def test_a_rolled_back_change_sends_nothing(
    jobs: JobProcess, runtime: ApiRuntime, world: World, owner_engine: AsyncEngine
) -> None:
    a = world.orgs["a"].id
    before = await period_of(owner_engine, a)
    async with runtime.acting_in(a) as db:
        await enqueue(db, BUMP.name, a, {"tenant": str(a)})
        await db.rollback()
    await asyncio.sleep(1)
    async with owner_engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM job_outbox")) == 0
    assert await period_of(owner_engine, a) == before


async def test_a_poison_job_is_dead_lettered_after_its_failures(
    jobs: JobProcess, runtime: ApiRuntime, world: World, owner_engine: AsyncEngine
) -> None:
    a = world.orgs["a"].id
    async with runtime.acting_in(a) as db:
        row = await enqueue(db, POISON.name, a)
        await db.commit()
    assert await wait_finished(owner_engine, [row.id]) == {row.id: "dead"}
    async with runtime.acting_in(a) as db:
        dead = await db.get(OutboxMessage, row.id)
        assert dead is not None
        assert dead.failures == POISON.max_failures
        assert dead.last_error == "ValueError: this job never works"


async def test_a_job_scope_cannot_enqueue_for_another_tenant(
    runtime: ApiRuntime, world: World
) -> None:
    a, b = world.orgs["a"].id, world.orgs["b"].id
    async with runtime.acting_in(a) as db:
        with pytest.raises(DBAPIError, match="row-level security"):
            await enqueue(db, BUMP.name, b, {"tenant": str(b)})
    async with runtime.acting_in(b) as db:
        assert await db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


START = """
mutation { startProgram(input: {standardCode: "ISO 9001", standardEdition: "2015",
  scopeStatement: "Everything", targetDate: "2027-06-30"}) { errors { code } } }
"""


async def test_the_readiness_job_stores_a_snapshot_of_each_active_program(
    client: Client, world: World, owner_engine: AsyncEngine, migrated: Settings
) -> None:
    """The registered job, queued by the change and run by a worker as in production."""
    process = JobProcess(migrated.model_copy(update={"job_poll_seconds": 0.2}), features.jobs())
    process.start()
    try:
        owner = await login(client, "a_owner")
        started = await gql(client, START, token=owner, tenant=world.org_gid("a"))
        assert started["data"]["startProgram"]["errors"] == []
        async with owner_engine.connect() as connection:
            (queued,) = (await connection.execute(text("SELECT id FROM job_outbox"))).scalars()
        assert await wait_finished(owner_engine, [queued]) == {queued: "done"}
    finally:
        process.stop()
    async with owner_engine.connect() as connection:
        stored = await connection.scalar(text("SELECT count(*) FROM readiness_snapshots"))
    assert stored == 1
    assert RECOMPUTE in features.jobs()
    assert RECOMPUTE.name in [item.job for item in features.periodic()]
