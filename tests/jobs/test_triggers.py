"""Changes to the facts readiness reads queue one recompute for their tenant, at commit."""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.programs.models import Program
from backend.readiness.jobs import RECOMPUTE
from backend.runtime import ApiRuntime
from tests.support import Client, World, gql, login

START = """
mutation { startProgram(input: {standardCode: "ISO 9001", standardEdition: "2015",
  scopeStatement: "Everything", targetDate: "2027-06-30"}) { program { id } errors { code } } }
"""
RENAME = """
mutation($id: ID!) { updateProgram(input: {id: $id, scopeStatement: "All sites"}) {
  errors { code } } }
"""


async def _queued(owner: AsyncEngine) -> list[tuple[object, str, str]]:
    async with owner.connect() as connection:
        rows = await connection.execute(
            text("SELECT tenant_id, job, status::text FROM job_outbox ORDER BY created_at")
        )
        return [tuple(row) for row in rows]


async def test_a_change_queues_one_recompute_for_its_tenant_until_it_runs(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    owner, a = await login(client, "a_owner"), world.orgs["a"].id
    started = await gql(client, START, token=owner, tenant=world.org_gid("a"))
    program_id = started["data"]["startProgram"]["program"]["id"]
    assert await _queued(owner_engine) == [(a, RECOMPUTE.name, "pending")]
    renamed = await gql(client, RENAME, {"id": program_id}, token=owner, tenant=world.org_gid("a"))
    assert renamed["data"]["updateProgram"]["errors"] == []
    assert await _queued(owner_engine) == [(a, RECOMPUTE.name, "pending")]  # still one
    await gql(client, "{ programs { totalCount } }", token=owner)  # reading queues nothing
    assert len(await _queued(owner_engine)) == 1


async def test_a_refused_or_rolled_back_change_queues_nothing(
    client: Client, world: World, runtime: ApiRuntime, owner_engine: AsyncEngine
) -> None:
    viewer = await login(client, "a_viewer")
    refused = await gql(client, START, token=viewer, tenant=world.org_gid("a"))
    assert [e["code"] for e in refused["data"]["startProgram"]["errors"]] == ["FORBIDDEN"]
    async with runtime.acting_in(world.orgs["a"].id) as db:
        await db.execute(update(Program).values(scope_statement="x"))
        await db.rollback()
    assert await _queued(owner_engine) == []
