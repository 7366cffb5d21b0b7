"""Checklist line assignments: who may assign, to whom, and the assignee's work queue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.audits.models import Audit, AuditProgramme, ChecklistLine
from tests.portfolio.helpers import READERS, WORK_QUEUE, clause_ids, seed_program, standard_id
from tests.support import Client, World, global_id, gql, login

ASSIGN = """
mutation Assign($input: AssignChecklistLinesInput!) {
  assignChecklistLines(input: $input) {
    assignments { lineId assignee { name } assignedBy { name } }
    errors { code field }
  }
}
"""
UNASSIGN = """
mutation Unassign($input: UnassignChecklistLinesInput!) {
  unassignChecklistLines(input: $input) { unassignedLineIds errors { code field } }
}
"""


async def _lines(
    owner: AsyncEngine, world: World, program: uuid.UUID, *, status: str = "in_progress"
) -> list[uuid.UUID]:
    """Two lines of an internal audit of A ending in 6 days."""
    tenant = world.orgs["a"].id
    clauses = await clause_ids(owner, await standard_id(owner), 2)
    today = datetime.now(UTC).date()
    async with AsyncSession(owner) as db:
        programme = AuditProgramme(
            tenant_id=tenant, title="2026", period_start=today, period_end=today + timedelta(300)
        )
        db.add(programme)
        await db.flush()
        audit = Audit(
            tenant_id=tenant,
            programme_id=programme.id,
            reference=f"IA-{uuid.uuid4().hex[:6]}",
            title="Production",
            planned_start=today,
            planned_end=today + timedelta(days=6),
            status=status,
        )
        db.add(audit)
        await db.flush()
        lines = [
            ChecklistLine(
                id=uuid.uuid4(),
                tenant_id=tenant,
                audit_id=audit.id,
                program_id=program,
                clause_id=clause,
                position=position,
                question=f"Question {position}",
            )
            for position, clause in enumerate(clauses, start=1)
        ]
        db.add_all(lines)
        ids = [line.id for line in lines]
        await db.commit()
    return ids


async def _assign(
    client: Client, world: World, user: str, lines: list[uuid.UUID], *, to: uuid.UUID
) -> dict[str, Any]:
    body = await gql(
        client,
        ASSIGN,
        {
            "input": {
                "lineIds": [global_id("ChecklistLine", line) for line in lines],
                "assigneeId": global_id("User", to),
            }
        },
        token=await login(client, user),
        tenant=world.org_gid("a" if user.startswith(("a_", "consultant", "auditor")) else "b"),
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["assignChecklistLines"]
    return payload


async def test_the_assignee_finds_its_lines_in_its_work_queue(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    program = await seed_program(owner_engine, world.orgs["a"].id, world.orgs["body"].id)
    lines = await _lines(owner_engine, world, program)
    admin = world.users["a_admin"].id
    payload = await _assign(client, world, "consultant", lines, to=admin)
    assert payload["errors"] == []
    assert [item["lineId"] for item in payload["assignments"]] == [
        global_id("ChecklistLine", line) for line in lines
    ]
    assert {item["assignedBy"]["name"] for item in payload["assignments"]} == {"Consultant"}

    token = await login(client, "a_admin")
    queue = (await gql(client, WORK_QUEUE, token=token))["data"]["workQueue"]
    due = str(datetime.now(UTC).date() + timedelta(days=6))
    assert [(item["kind"], item["dueOn"], item["overdue"]) for item in queue] == [
        ("CHECKLIST_LINE", due, False),
        ("CHECKLIST_LINE", due, False),
    ]
    assert queue[0]["title"].endswith(": Question 1")
    assert queue[0]["program"]["id"] == global_id("Program", program)

    body = await gql(
        client,
        UNASSIGN,
        {"input": {"lineIds": [global_id("ChecklistLine", lines[0])]}},
        token=await login(client, "a_owner"),
        tenant=world.org_gid("a"),
    )
    assert body["data"]["unassignChecklistLines"]["errors"] == []
    queue = (await gql(client, WORK_QUEUE, token=token))["data"]["workQueue"]
    assert [item["subjectId"] for item in queue] == [global_id("ChecklistLine", lines[1])]


async def test_bad_assignments_and_readers_are_refused(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    program = await seed_program(owner_engine, world.orgs["a"].id, world.orgs["body"].id)
    lines = await _lines(owner_engine, world, program)
    closed = await _lines(owner_engine, world, program, status="closed")
    admin, viewer = world.users["a_admin"].id, world.users["a_viewer"].id
    cases = [
        ("a_owner", lines, viewer, ("INVALID", ["assigneeId"])),
        ("a_owner", lines, world.users["b_owner"].id, ("NOT_FOUND", ["assigneeId"])),
        ("a_owner", closed, admin, ("LOCKED", ["lineIds"])),
        ("a_owner", [uuid.uuid4()], admin, ("NOT_FOUND", ["lineIds"])),
        ("a_viewer", lines, admin, ("FORBIDDEN", [])),
        ("auditor", lines, admin, ("FORBIDDEN", [])),
        ("b_owner", lines, admin, ("NOT_FOUND", ["lineIds"])),
    ]
    for user, chosen, assignee, expected in cases:
        payload = await _assign(client, world, user, chosen, to=assignee)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [expected], user
    queue = (await gql(client, WORK_QUEUE, token=await login(client, "a_admin")))["data"]
    assert queue["workQueue"] == []  # nothing was assigned

    assert (await _assign(client, world, "a_owner", lines, to=admin))["errors"] == []
    for user, tenant, code in READERS:
        body = await gql(
            client,
            UNASSIGN,
            {"input": {"lineIds": [global_id("ChecklistLine", line) for line in lines]}},
            token=await login(client, user),
            tenant=world.org_gid(tenant),
        )
        assert [e["code"] for e in body["data"]["unassignChecklistLines"]["errors"]] == [code]
    queue = (await gql(client, WORK_QUEUE, token=await login(client, "a_admin")))["data"]
    assert len(queue["workQueue"]) == 2  # still assigned
