"""Requirement assignments: who may assign, to whom, and what the assignee then sees."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.auth.passwords import hash_password
from backend.db.session import execution_options_skipping_criteria
from backend.portfolio.models import RequirementAssignment
from tenants.models import Membership, User
from tests.portfolio.helpers import READERS, WORK_QUEUE
from tests.readiness.helpers import start
from tests.support import PASSWORD, Client, World, global_id, gql, login

ASSIGN = """
mutation Assign($input: AssignRequirementsInput!) {
  assignRequirements(input: $input) {
    assignments { id requirement { id number } assignee { name } assignedBy { name } }
    errors { code field }
  }
}
"""
UNASSIGN = """
mutation Unassign($input: UnassignRequirementsInput!) {
  unassignRequirements(input: $input) { unassignedRequirementIds errors { code field } }
}
"""
ASSESSMENTS = """
query Assessments($program: ID!, $mine: Boolean!) {
  assessments(programId: $program, assignedToMe: $mine, first: 100) {
    totalCount edges { node { requirement { id } } }
  }
}
"""


async def _contributor(owner: AsyncEngine, world: World) -> uuid.UUID:
    """A contributor of A who can log in as `a_contributor`."""
    user_id = uuid.uuid4()
    async with AsyncSession(owner) as db:
        db.add(
            User(
                id=user_id,
                email="a_contributor@example.test",
                name="A Contributor",
                password_hash=hash_password(PASSWORD),
            )
        )
        await db.flush()
        db.add(Membership(tenant_id=world.orgs["a"].id, user_id=user_id, role="contributor"))
        await db.commit()
    return user_id


async def _requirements(client: Client, token: str, program: str, count: int) -> list[str]:
    body = await gql(client, ASSESSMENTS, {"program": program, "mine": False}, token=token)
    return [edge["node"]["requirement"]["id"] for edge in body["data"]["assessments"]["edges"]][
        :count
    ]


async def _assign(
    client: Client, world: World, user: str, program: str, ids: list[str], *, to: uuid.UUID
) -> dict[str, Any]:
    body = await gql(
        client,
        ASSIGN,
        {
            "input": {
                "programId": program,
                "requirementIds": ids,
                "assigneeId": global_id("User", to),
            }
        },
        token=await login(client, user),
        tenant=world.org_gid("a"),
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["assignRequirements"]
    return payload


async def _stored(owner: AsyncEngine) -> int:
    async with AsyncSession(owner) as db:
        count = await db.scalar(
            select(func.count()).select_from(RequirementAssignment),
            execution_options=execution_options_skipping_criteria(),
        )
    return count or 0


async def _mine(client: Client, token: str, program: str) -> list[str]:
    body = await gql(client, ASSESSMENTS, {"program": program, "mine": True}, token=token)
    return [edge["node"]["requirement"]["id"] for edge in body["data"]["assessments"]["edges"]]


async def test_the_assignee_sees_its_requirements_and_work_queue(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    contributor = await _contributor(owner_engine, world)
    owner = await login(client, "a_owner")
    program = await start(client, world, owner, "ISO 9001", "2015")
    chosen = await _requirements(client, owner, program, 3)

    payload = await _assign(client, world, "a_owner", program, chosen[:2], to=contributor)
    assert payload["errors"] == []
    assert [item["requirement"]["id"] for item in payload["assignments"]] == chosen[:2]
    assert {item["assignee"]["name"] for item in payload["assignments"]} == {"A Contributor"}
    # The consultant hands one over and adds a third: still one assignee per requirement.
    again = await _assign(client, world, "consultant", program, chosen[1:], to=contributor)
    assert again["errors"] == []
    assert {item["assignedBy"]["name"] for item in again["assignments"]} == {"Consultant"}
    assert await _stored(owner_engine) == 3

    token = await login(client, "a_contributor")
    assert await _mine(client, token, program) == chosen
    queue = (await gql(client, WORK_QUEUE, token=token))["data"]["workQueue"]
    assert {item["kind"] for item in queue} == {"REQUIREMENT"}
    assert sorted(item["subjectId"] for item in queue) == sorted(chosen)
    assert {item["dueOn"] for item in queue} == {None}
    assert {item["organization"]["name"] for item in queue} == {"Alpha Industries"}
    assert await _mine(client, owner, program) == []  # the owner answers for none of them

    body = await gql(
        client,
        UNASSIGN,
        {"input": {"programId": program, "requirementIds": chosen[:1]}},
        token=owner,
        tenant=world.org_gid("a"),
    )
    assert body["data"]["unassignRequirements"] == {
        "unassignedRequirementIds": chosen[:1],
        "errors": [],
    }
    assert await _mine(client, token, program) == chosen[1:]


async def test_bad_assignments_are_refused_and_change_nothing(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    owner = await login(client, "a_owner")
    program = await start(client, world, owner, "ISO 9001", "2015")
    other = await start(client, world, owner, "ISO 14001", "2015")
    [requirement] = await _requirements(client, owner, program, 1)
    [foreign] = await _requirements(client, owner, other, 1)
    viewer = world.users["a_viewer"].id

    cases = [
        ([requirement], viewer, ("INVALID", ["assigneeId"])),  # a viewer does no work
        ([requirement], world.users["b_owner"].id, ("NOT_FOUND", ["assigneeId"])),  # not a member
        ([foreign], world.users["a_admin"].id, ("NOT_FOUND", ["requirementIds"])),
        ([], world.users["a_admin"].id, ("INVALID", ["requirementIds"])),
    ]
    for ids, assignee, expected in cases:
        payload = await _assign(client, world, "a_owner", program, ids, to=assignee)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [expected]
    assert await _stored(owner_engine) == 0


async def test_readers_and_other_tenants_cannot_assign(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    owner = await login(client, "a_owner")
    program = await start(client, world, owner, "ISO 9001", "2015")
    [requirement] = await _requirements(client, owner, program, 1)
    admin = world.users["a_admin"].id

    for user in ("a_viewer", "auditor"):
        payload = await _assign(client, world, user, program, [requirement], to=admin)
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], user
    body = await gql(
        client,
        ASSIGN,
        {
            "input": {
                "programId": program,
                "requirementIds": [requirement],
                "assigneeId": global_id("User", admin),
            }
        },
        token=await login(client, "b_owner"),
        tenant=world.org_gid("b"),
    )
    assert [e["code"] for e in body["data"]["assignRequirements"]["errors"]] == ["NOT_FOUND"]
    assert await _stored(owner_engine) == 0

    assigned = await _assign(client, world, "a_owner", program, [requirement], to=admin)
    assert assigned["errors"] == []
    for user, tenant, code in READERS:
        body = await gql(
            client,
            UNASSIGN,
            {"input": {"programId": program, "requirementIds": [requirement]}},
            token=await login(client, user),
            tenant=world.org_gid(tenant),
        )
        assert [e["code"] for e in body["data"]["unassignRequirements"]["errors"]] == [code]
    assert await _stored(owner_engine) == 1
    # B's owner reads nothing of A's program, assigned or not.
    assert await _mine(client, await login(client, "b_owner"), program) == []
