"""The activity log: every change in its transaction, one chain per tenant, tampering found
at the entry where it happened, and each reader seeing only its share."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.activity import service
from backend.activity.jobs import VERIFY
from backend.activity.models import ActivityEntry, ActivityVerification
from backend.runtime import ApiRuntime
from tenants.models import Organization
from tests.api.helpers import count_statements
from tests.support import Client, World, gql, login

RENAME = """
mutation Rename($id: ID!, $name: String) {
  updateOrganization(input: {id: $id, name: $name}) { errors { code message } }
}
"""
LOG = """
query Log($org: ID, $first: Int = 50, $before: Int) {
  activityLog(organization: $org, first: $first, beforeSeq: $before) {
    totalCount
    entries { seq action objectType objectId operation changes requestId hash actor { email } }
  }
}
"""
GRANT = """
mutation Grant($org: ID!, $slug: String!, $until: DateTime!) {
  grantAuditorAccess(input: {organizationId: $org, certificationBodySlug: $slug,
                             validUntil: $until}) { errors { code message } }
}
"""
VERIFY_QUERY = """
query Verify($org: ID!) {
  verifyActivityLog(organization: $org) { entries intact brokenAtSeq reason }
}
"""


async def _rename(client: Client, world: World, token: str, name: str, org: str = "a") -> Any:
    return await gql(
        client,
        RENAME,
        {"id": world.org_gid(org), "name": name},
        token=token,
        tenant=world.org_gid(org),
    )


async def _entries(owner: AsyncEngine, tenant: uuid.UUID, *, events: bool = True) -> list[Any]:
    """The tenant's entries in order; without `events`, only row changes (not logins)."""
    async with owner.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT seq, action, object_type, operation, changes, actor_id, request_id"
                " FROM activity_log WHERE tenant_id = :t AND (:events OR operation <> 'event')"
                " ORDER BY seq"
            ),
            {"t": tenant, "events": events},
        )
        return list(rows)


async def test_a_mutation_logs_what_it_changed_who_did_it_and_in_which_request(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    token = await login(client, "a_owner")
    answer = await _rename(client, world, token, "Alpha Renamed")
    assert answer["data"]["updateOrganization"]["errors"] == []
    [entry] = await _entries(owner_engine, world.orgs["a"].id, events=False)
    assert entry.seq == 2  # after the owner's login
    assert (entry.action, entry.object_type, entry.operation) == (
        "updateOrganization",
        "Organization",
        "update",
    )
    assert entry.changes["name"] == {"before": "Alpha Industries", "after": "Alpha Renamed"}
    assert entry.actor_id == world.users["a_owner"].id
    assert entry.request_id


async def test_a_refused_change_logs_nothing(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    token = await login(client, "a_owner")
    answer = await _rename(client, world, token, "")  # an empty name is refused
    assert answer["data"]["updateOrganization"]["errors"]
    assert await _entries(owner_engine, world.orgs["a"].id, events=False) == []


async def test_the_chain_holds_and_each_tampering_is_found_at_its_entry(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    token = await login(client, "a_owner")
    for number in range(4):
        await _rename(client, world, token, f"Alpha {number}")
    org = world.org_gid("a")
    intact = (await gql(client, VERIFY_QUERY, {"org": org}, token=token))["data"]
    assert intact["verifyActivityLog"] == {
        "entries": 5,  # the login and four renames
        "intact": True,
        "brokenAtSeq": None,
        "reason": None,
    }
    async with owner_engine.begin() as connection:  # the owner is not stopped; it is caught
        await connection.execute(
            text("UPDATE activity_log SET changes = '{}' WHERE tenant_id = :t AND seq = 3"),
            {"t": world.orgs["a"].id},
        )
    broken = (await gql(client, VERIFY_QUERY, {"org": org}, token=token))["data"]
    assert broken["verifyActivityLog"] == {
        "entries": 2,
        "intact": False,
        "brokenAtSeq": 3,
        "reason": "its content does not match its hash",
    }
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM activity_log WHERE tenant_id = :t AND seq = 2"),
            {"t": world.orgs["a"].id},
        )
    gone = (await gql(client, VERIFY_QUERY, {"org": org}, token=token))["data"]
    assert gone["verifyActivityLog"]["brokenAtSeq"] == 2
    assert gone["verifyActivityLog"]["reason"] == "entry 2 is missing"


async def test_the_app_role_can_neither_change_nor_delete_entries(
    client: Client, world: World, runtime: ApiRuntime
) -> None:
    token = await login(client, "a_owner")
    await _rename(client, world, token, "Alpha once")
    for statement in (
        "UPDATE activity_log SET action = 'nothing'",
        "DELETE FROM activity_log",
    ):
        async with runtime.acting_in(world.orgs["a"].id) as db:
            with pytest.raises(DBAPIError):
                await db.execute(text(statement))


async def test_concurrent_writers_of_one_tenant_keep_one_chain(
    world: World, runtime: ApiRuntime, owner_engine: AsyncEngine
) -> None:
    tenant = world.orgs["a"].id

    async def change(number: int) -> None:
        async with runtime.acting_in(tenant) as db:
            await db.execute(
                update(Organization)
                .where(Organization.id == tenant)
                .values(operation_period_days=30 + number)
            )
            await db.commit()

    await asyncio.gather(*(change(number) for number in range(12)))
    rows = await _entries(owner_engine, tenant)
    assert [row.seq for row in rows] == list(range(1, 13))
    set_to = {row.changes["statement"]["values"]["operation_period_days"] for row in rows}
    assert set_to == set(range(30, 42))  # a bulk statement is logged with what it set
    async with runtime.acting_in(tenant) as db:
        verdict = await service.verify(db, tenant, store=False)
    assert verdict.broken is None
    assert verdict.entries == 12


async def test_readers_see_their_share_only(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    owner = await login(client, "a_owner")
    await _rename(client, world, owner, "Alpha shared")
    await _rename(client, world, await login(client, "b_owner"), "Beta renamed", org="b")
    a_log = (await gql(client, LOG, {"org": world.org_gid("a")}, token=owner))["data"]
    entries = a_log["activityLog"]["entries"]
    assert [entry["objectType"] for entry in entries] == ["Organization", "User"]  # newest first
    assert entries[0]["actor"] == {"email": "a_owner@example.test"}
    consultant = await login(client, "consultant")  # manages A through the engagement
    seen = (await gql(client, LOG, {"org": world.org_gid("a")}, token=consultant))["data"]
    assert seen["activityLog"]["totalCount"] == 2
    viewer = await login(client, "a_viewer")
    assert (await gql(client, LOG, token=viewer))["data"]["activityLog"]["totalCount"] == 0
    b_verify = await gql(
        client, VERIFY_QUERY, {"org": world.org_gid("a")}, token=await login(client, "b_owner")
    )
    assert b_verify["data"] is None or b_verify["errors"]


async def test_an_auditor_sees_the_entries_about_its_bodys_grants_only(
    client: Client, world: World
) -> None:
    owner = await login(client, "a_owner")
    await _rename(client, world, owner, "Alpha audited")
    until = (datetime.now(UTC) + timedelta(days=60)).isoformat()
    granted = await gql(
        client,
        GRANT,
        {"org": world.org_gid("a"), "slug": "body-org", "until": until},
        token=owner,
        tenant=world.org_gid("a"),
    )
    assert granted["data"]["grantAuditorAccess"]["errors"] == []
    auditor = await login(client, "auditor")
    seen = (await gql(client, LOG, {"org": world.org_gid("a")}, token=auditor))["data"][
        "activityLog"
    ]
    assert [(entry["objectType"], entry["operation"]) for entry in seen["entries"]] == [
        ("AuditorGrant", "insert")
    ]


async def test_the_log_costs_the_same_statements_for_few_and_many_entries(
    client: Client, world: World
) -> None:
    owner = await login(client, "a_owner")
    counts = []
    for changes in (1, 12):
        for number in range(changes):
            await _rename(client, world, owner, f"Alpha {changes} {number}")
        with count_statements() as statements:
            await gql(client, LOG, {"first": 100}, token=owner)
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def test_the_nightly_job_stores_each_verdict(
    client: Client, world: World, runtime: ApiRuntime
) -> None:
    await _rename(client, world, await login(client, "a_owner"), "Alpha nightly")
    tenant = world.orgs["a"].id
    async with runtime.acting_in(tenant) as db:
        await VERIFY.handler(db, {})
        await db.commit()
    async with runtime.acting_in(tenant) as db:
        stored = (await db.scalars(select(ActivityVerification))).all()
        assert [(row.entries, row.broken_at_seq) for row in stored] == [(2, None)]
        assert [row.seq for row in await db.scalars(select(ActivityEntry))] == [1, 2]


async def test_a_login_is_an_event_of_each_organization_of_the_person(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    await login(client, "a_owner")
    [entry] = await _entries(owner_engine, world.orgs["a"].id)
    assert (entry.object_type, entry.operation, entry.changes) == (
        "User",
        "event",
        {"event": "login"},
    )
    assert entry.actor_id == world.users["a_owner"].id
    assert entry.action == "login"
    assert await _entries(owner_engine, world.orgs["b"].id) == []
