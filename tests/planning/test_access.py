"""Who may plan: writers of the acting tenant only. Readers read, strangers find nothing.

Every refused change leaves the planning tables exactly as they were, and an id of another
tenant answers exactly like an id that never existed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any, cast

import pytest
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.planning import service
from backend.planning.models import Action, ActionRequirement, Milestone, Objective
from backend.planning.service import ActionFields, MilestoneFields, ObjectiveFields
from backend.runtime import Runtime
from tenants.roles import Role
from tests.planning.graphql_helpers import (
    ACTIONS,
    MILESTONES,
    NODE,
    OBJECTIVES,
    created,
    mutate,
    objective_input,
    read,
)
from tests.planning.helpers import Plan, acting, planning_rows
from tests.support import Client, global_id, gql, login
from tests.tenants.helpers import random_gid

RLS_REFUSAL = "new row violates row-level security policy"


@pytest.fixture
async def seeded(session: TenantSession, plan: Plan) -> dict[str, Any]:
    """One objective, action (linked to 4.2) and milestone in A's program, made by A's owner."""
    owner = await acting(session, plan, "a_owner", "a", Role.OWNER)
    program = plan.programs["a"]
    objective = await service.create_objective(
        session,
        owner,
        program,
        ObjectiveFields(statement="s", indicator="i", target="t", benefit="market_access"),
    )
    action = await service.create_action(
        session, owner, program, ActionFields(title="Existing", requirements=["4.2"])
    )
    milestone = await service.create_milestone(
        session, owner, program, MilestoneFields(title="Stage 1", due_date=date(2027, 1, 1))
    )
    return {"objective": objective, "action": action, "milestone": milestone}


def gid(kind: str, row: Any) -> str:
    return global_id(kind, row.id)


def creations(plan: Plan, program: str) -> dict[str, dict[str, Any]]:
    """A valid input for every create mutation, aimed at `program`'s global id."""
    return {
        "createObjective": objective_input(plan, programId=program),
        "createAction": {"programId": program, "title": "New", "requirements": ["5.1"]},
        "createMilestone": {"programId": program, "title": "New", "dueDate": "2027-02-01"},
    }


def updates(ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {
        "updateObjective": {"id": ids["objective"], "target": "changed"},
        "updateAction": {"id": ids["action"], "title": "changed", "requirements": []},
        "updateMilestone": {"id": ids["milestone"], "reached": True},
    }


def seeded_ids(seeded: dict[str, Any]) -> dict[str, str]:
    return {
        "objective": gid("Objective", seeded["objective"]),
        "action": gid("Action", seeded["action"]),
        "milestone": gid("Milestone", seeded["milestone"]),
    }


def random_ids() -> dict[str, str]:
    return {kind: random_gid(kind.title()) for kind in ("objective", "action", "milestone")}


def outcome(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """What a refusal says, without the (absent) result."""
    return [(e["code"], e["message"]) for e in payload["errors"]]


# --- roles --------------------------------------------------------------------------------


WRITERS = ["a_owner", "a_admin", "consultant", "a_manager", "a_contributor"]
READERS = ["a_viewer", "auditor"]


@pytest.mark.parametrize("user", WRITERS)
async def test_every_writing_role_plans(
    client: Client, plan: Plan, seeded: dict[str, Any], user: str
) -> None:
    token, tenant = await login(client, user), plan.org_gid("a")
    requests = {**creations(plan, plan.program_gid("a")), **updates(seeded_ids(seeded))}
    for name, input in requests.items():
        await created(client, name, input, token=token, tenant=tenant)


@pytest.mark.parametrize("user", READERS)
async def test_readers_read_the_plan_and_every_write_is_refused(
    client: Client, plan: Plan, seeded: dict[str, Any], owner_engine: AsyncEngine, user: str
) -> None:
    token, tenant = await login(client, user), plan.org_gid("a")
    program = plan.program_gid("a")
    objectives = await read(client, OBJECTIVES, token, tenant, programId=program)
    assert objectives["objectives"]["totalCount"] == 1
    actions = await read(client, ACTIONS, token, tenant, programId=program)
    [action] = [edge["node"] for edge in actions["actions"]["edges"]]
    assert [r["number"] for r in action["requirements"]] == ["4.2"]
    milestones = await read(client, MILESTONES, token, tenant, programId=program)
    assert [m["title"] for m in milestones["milestones"]] == ["Stage 1"]
    node = await read(client, NODE, token, tenant, id=seeded_ids(seeded)["action"])
    assert node["node"] == {"__typename": "Action", "title": "Existing"}

    before = await planning_rows(owner_engine)
    requests = {**creations(plan, program), **updates(seeded_ids(seeded))}
    for name, input in requests.items():
        payload = await mutate(client, name, input, token=token, tenant=tenant)
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], name
    assert await planning_rows(owner_engine) == before


async def test_a_consultant_changes_a_client_plan_only_while_acting_in_it(
    client: Client, plan: Plan, seeded: dict[str, Any], owner_engine: AsyncEngine
) -> None:
    token = await login(client, "consultant")
    before = await planning_rows(owner_engine)
    requests = {**creations(plan, plan.program_gid("a")), **updates(seeded_ids(seeded))}
    for name, input in requests.items():
        payload = await mutate(client, name, input, token=token, tenant=plan.org_gid("consultancy"))
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], name
    assert await planning_rows(owner_engine) == before


# --- other tenants ------------------------------------------------------------------------


async def test_another_tenants_ids_answer_like_random_ids(
    client: Client, plan: Plan, seeded: dict[str, Any], owner_engine: AsyncEngine
) -> None:
    token, tenant = await login(client, "b_owner"), plan.org_gid("b")
    before = await planning_rows(owner_engine)
    foreign = {
        **creations(plan, plan.program_gid("a")),
        **updates(seeded_ids(seeded)),
    }
    unknown = {**creations(plan, random_gid("Program")), **updates(random_ids())}
    for name, input in foreign.items():
        theirs = await mutate(client, name, input, token=token, tenant=tenant)
        nothing = await mutate(client, name, unknown[name], token=token, tenant=tenant)
        assert outcome(theirs) == outcome(nothing), name
        assert theirs["errors"][0]["code"] == "NOT_FOUND", name
    assert await planning_rows(owner_engine) == before

    for document in (OBJECTIVES, ACTIONS, MILESTONES):
        theirs = await gql(client, document, {"programId": plan.program_gid("a")}, token=token)
        nothing = await gql(client, document, {"programId": random_gid("Program")}, token=token)
        assert theirs == nothing
        assert theirs["errors"][0]["message"] == "Program not found."
    for kind, value in seeded_ids(seeded).items():
        body = await gql(client, NODE, {"id": value}, token=token, tenant=tenant)
        assert body == {"data": {"node": None}}, kind


async def test_a_consultant_acting_in_a_finds_nothing_of_b(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    """Ids of tenant B answer like random ids, for someone who reads and writes A."""
    token, tenant = await login(client, "consultant"), plan.org_gid("a")
    before = await planning_rows(owner_engine)
    foreign = creations(plan, plan.program_gid("b"))
    unknown = creations(plan, random_gid("Program"))
    for name, input in foreign.items():
        theirs = await mutate(client, name, input, token=token, tenant=tenant)
        nothing = await mutate(client, name, unknown[name], token=token, tenant=tenant)
        assert outcome(theirs) == outcome(nothing) == [("NOT_FOUND", "Program not found.")]
    assert await planning_rows(owner_engine) == before


async def test_links_point_only_into_the_acting_tenants_own_rows(
    client: Client, plan: Plan, seeded: dict[str, Any]
) -> None:
    """B cannot hang its action on A's objective, nor own it by A's people."""
    token, tenant = await login(client, "b_owner"), plan.org_gid("b")
    payload = await mutate(
        client,
        "createAction",
        {
            "programId": plan.program_gid("b"),
            "title": "Sneaky",
            "objectiveId": seeded_ids(seeded)["objective"],
        },
        token=token,
        tenant=tenant,
    )
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", ["objectiveId"])]
    owned = await mutate(
        client,
        "createAction",
        {
            "programId": plan.program_gid("b"),
            "title": "Sneaky",
            "ownerId": plan.user_gid("a_admin"),
        },
        token=token,
        tenant=tenant,
    )
    assert [(e["code"], e["field"]) for e in owned["errors"]] == [("INVALID", ["ownerId"])]


# --- below GraphQL: the database refuses a reader's writes -------------------------------


@pytest.fixture
async def auditor_session(
    runtime: Runtime, plan: Plan, seeded: dict[str, Any]
) -> AsyncIterator[TenantSession]:
    """The auditor's scope in A: read A, write nowhere."""
    async with runtime.sessions() as db:
        await acting(db, plan, "auditor", "a", Role.AUDITOR)
        yield db


PLANNING_MODELS = [Objective, Action, ActionRequirement, Milestone]
PlanningModel = type[Objective] | type[Action] | type[ActionRequirement] | type[Milestone]


@pytest.mark.parametrize("model", PLANNING_MODELS)
async def test_a_reader_sees_rows_but_cannot_update_or_delete_them(
    auditor_session: TenantSession, owner_engine: AsyncEngine, model: PlanningModel
) -> None:
    before = await planning_rows(owner_engine)
    visible = (await auditor_session.scalars(select(model.id))).all()
    assert len(visible) == 1
    for statement in (
        update(model).values(tenant_id=model.tenant_id),
        delete(model),
    ):
        result = await auditor_session.execute(
            statement.execution_options(synchronize_session=False)
        )
        assert cast(CursorResult[Any], result).rowcount == 0
    await auditor_session.commit()
    assert await planning_rows(owner_engine) == before


async def test_a_reader_cannot_insert_a_plan(
    auditor_session: TenantSession, owner_engine: AsyncEngine, plan: Plan
) -> None:
    before = await planning_rows(owner_engine)
    auditor_session.add(
        Objective(
            tenant_id=plan.orgs["a"],
            program_id=plan.programs["a"],
            statement="s",
            indicator="i",
            target="t",
            benefit="market_access",
        )
    )
    with pytest.raises(DBAPIError, match=RLS_REFUSAL):
        await auditor_session.flush()
    await auditor_session.rollback()
    assert await planning_rows(owner_engine) == before


async def test_the_service_refuses_a_reader_before_the_database_does(
    auditor_session: TenantSession, plan: Plan, seeded: dict[str, Any]
) -> None:
    auditor = await acting(auditor_session, plan, "auditor", "a", Role.AUDITOR)
    with pytest.raises(ServiceError) as caught:
        await service.update_action(
            auditor_session, auditor, seeded["action"].id, ActionFields(title="x")
        )
    assert caught.value.code is ErrorCode.FORBIDDEN
