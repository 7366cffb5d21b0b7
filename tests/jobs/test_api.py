"""Dead-lettered jobs as owners and admins see them, and running one again."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.jobs.outbox import enqueue
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tests.support import Client, World, global_id, gql, login

FAILURES = "query { jobFailures { id job failures lastError } }"
RETRY = """
mutation Retry($id: ID!) { retryJob(input: {id: $id}) { jobId errors { code message } } }
"""


async def _dead_job(runtime: ApiRuntime, owner: AsyncEngine, tenant_id: uuid.UUID) -> uuid.UUID:
    async with runtime.acting_in(tenant_id) as db:
        row = await enqueue(db, "tests.poison", tenant_id)
        await db.commit()
    async with owner.begin() as connection:
        await connection.execute(
            text(
                "UPDATE job_outbox SET status = 'dead', failures = 2, finished_at = now(),"
                " last_error = 'ValueError: no' WHERE id = :id"
            ),
            {"id": row.id},
        )
    return row.id


async def _status(owner: AsyncEngine, job_id: uuid.UUID) -> str:
    async with owner.connect() as connection:
        found = await connection.scalar(
            text("SELECT status::text FROM job_outbox WHERE id = :id"), {"id": job_id}
        )
    return str(found)


async def test_owners_see_and_retry_their_dead_jobs_others_do_not(
    client: Client, world: World, runtime: ApiRuntime, owner_engine: AsyncEngine
) -> None:
    job_id = await _dead_job(runtime, owner_engine, world.orgs["a"].id)
    await _dead_job(runtime, owner_engine, world.orgs["b"].id)
    gid = global_id("JobFailure", job_id)
    owner = await login(client, "a_owner")
    shown = (await gql(client, FAILURES, token=owner))["data"]["jobFailures"]
    assert shown == [
        {"id": gid, "job": "tests.poison", "failures": 2, "lastError": "ValueError: no"}
    ]
    for user in ("a_viewer", "auditor"):
        token = await login(client, user)
        assert (await gql(client, FAILURES, token=token))["data"]["jobFailures"] == []
        refused = await gql(client, RETRY, {"id": gid}, token=token, tenant=world.org_gid("a"))
        codes = [error["code"] for error in refused["data"]["retryJob"]["errors"]]
        assert codes == ["FORBIDDEN"], user
    assert await _status(owner_engine, job_id) == "dead"

    retried = await gql(client, RETRY, {"id": gid}, token=owner, tenant=world.org_gid("a"))
    assert retried["data"]["retryJob"] == {"jobId": gid, "errors": []}
    assert await _status(owner_engine, job_id) == "pending"
    again = await gql(client, RETRY, {"id": gid}, token=owner, tenant=world.org_gid("a"))
    assert [e["code"] for e in again["data"]["retryJob"]["errors"]] == ["INVALID"]


def _certready(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATABASE_")}
    env |= {
        "DATABASE_URL": settings.owner_url.render_as_string(hide_password=False),
        "CERTREADY_ENV": "test",
        "DATA_DIR": str(settings.data_dir),
        "LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("certready")), *args]
    return subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=120
    )


async def test_operators_list_and_retry_dead_jobs_of_every_organization(
    world: World, runtime: ApiRuntime, owner_engine: AsyncEngine, migrated: Settings
) -> None:
    job_id = await _dead_job(runtime, owner_engine, world.orgs["b"].id)
    listed = _certready(migrated, "jobs", "failed")
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()
    assert line.split()[:3] == [str(job_id), "b-org", "tests.poison"]
    assert _certready(migrated, "jobs", "retry", str(job_id)).returncode == 0
    assert await _status(owner_engine, job_id) == "pending"
    again = _certready(migrated, "jobs", "retry", str(job_id))
    assert again.returncode == 1
    assert f"no dead-lettered job has the id {job_id}" in again.stderr
