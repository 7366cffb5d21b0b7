"""The work queue: the caller's own open work across clients, overdue first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.findings.models import Finding
from tests.portfolio.helpers import WORK_QUEUE, Figures, add_client, seed_program
from tests.support import Client, World, global_id, gql, login


async def test_own_actions_and_findings_across_clients_overdue_first(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    consultant = world.users["consultant"].id
    body_id = world.orgs["body"].id
    other = await add_client(owner_engine, world.orgs["consultancy"].id, "Gamma Foods")
    program = await seed_program(owner_engine, world.orgs["a"].id, body_id, owner_id=consultant)
    await seed_program(
        owner_engine, other, body_id, Figures(overdue_actions=0), owner_id=consultant
    )
    await seed_program(owner_engine, world.orgs["a"].id, body_id, standard="ISO 14001")  # nobody's
    today = datetime.now(UTC).date()
    finding_id = uuid.uuid4()
    finding = Finding(
        id=finding_id,
        tenant_id=other,
        reference="NC-9",
        type="minor_nonconformity",
        source="self_identified",
        statement="Late calibration.",
        owner_id=consultant,
        due_date=today - timedelta(days=7),
    )
    async with AsyncSession(owner_engine) as db:
        db.add(finding)
        await db.commit()

    body = await gql(client, WORK_QUEUE, token=await login(client, "consultant"))
    queue = body["data"]["workQueue"]

    assert [(item["kind"], item["dueOn"], item["overdue"]) for item in queue] == [
        ("FINDING", str(today - timedelta(days=7)), True),
        ("ACTION", str(today - timedelta(days=3)), True),
        ("ACTION", str(today - timedelta(days=3)), True),
        ("ACTION", str(today), False),
        ("ACTION", str(today), False),
        ("ACTION", str(today + timedelta(days=5)), False),
        ("ACTION", str(today + timedelta(days=5)), False),
    ]
    assert queue[0]["subjectId"] == global_id("Finding", finding_id)
    assert queue[0]["organization"]["name"] == "Gamma Foods"
    assert queue[0]["program"] is None
    overdue_actions = queue[1:3]
    assert {item["program"]["id"] for item in overdue_actions} == {global_id("Program", program)}
    assert {item["organization"]["name"] for item in overdue_actions} == {"Alpha Industries"}


async def test_nobody_else_s_work_and_no_other_tenant_s(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    consultant = world.users["consultant"].id
    await seed_program(owner_engine, world.orgs["b"].id, world.orgs["body"].id, owner_id=consultant)
    # The consultant owns work in B, a client it is not engaged by: it reads none of it.
    assert (await gql(client, WORK_QUEUE, token=await login(client, "consultant")))["data"][
        "workQueue"
    ] == []
    for user in ("a_owner", "auditor"):
        body = await gql(client, WORK_QUEUE, token=await login(client, user))
        assert body["data"]["workQueue"] == [], user
