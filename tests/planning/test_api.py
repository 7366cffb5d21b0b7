"""The planning API over HTTP: objectives, actions and milestones, their lists and filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.calendar import local_today
from tests.api.helpers import count_statements, messages, post
from tests.planning.graphql_helpers import (
    ACTIONS,
    MILESTONES,
    NODE,
    OBJECTIVES,
    created,
    mutate,
    mutation_document,
    objective_input,
    read,
    titles,
)
from tests.planning.helpers import Plan
from tests.support import Client, global_id, login
from tests.tenants.helpers import owner_execute

# --- objectives ---------------------------------------------------------------------------


async def test_objective_lifecycle(client: Client, plan: Plan) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    objective = await created(
        client,
        "createObjective",
        objective_input(plan, ownerId=plan.user_gid("a_admin"), dueDate="2027-06-30"),
        token=token,
        tenant=tenant,
    )
    assert objective["benefit"] == "CUSTOMER_SATISFACTION"
    assert (objective["status"], objective["isMeasurable"]) == ("OPEN", True)
    assert (objective["owner"], objective["dueDate"]) == ({"name": "A Admin"}, "2027-06-30")

    updated = await created(
        client,
        "updateObjective",
        {"id": objective["id"], "status": "AT_RISK", "ownerId": None, "target": "97 %"},
        token=token,
        tenant=tenant,
    )
    assert (updated["status"], updated["owner"], updated["target"]) == ("AT_RISK", None, "97 %")
    assert updated["dueDate"] == "2027-06-30"  # not given: kept

    listed = await read(client, OBJECTIVES, token, tenant, programId=plan.program_gid("a"))
    assert listed["objectives"]["totalCount"] == 1
    assert listed["objectives"]["edges"][0]["node"] == updated
    open_only = await read(
        client, OBJECTIVES, token, tenant, programId=plan.program_gid("a"), status="OPEN"
    )
    assert open_only["objectives"]["totalCount"] == 0
    node = await read(client, NODE, token, tenant, id=objective["id"])
    assert node["node"] == {"__typename": "Objective", "statement": "Ship on time"}


async def test_objective_validation_reaches_the_client_as_user_errors(
    client: Client, plan: Plan
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    payload = await mutate(
        client, "createObjective", objective_input(plan, indicator=" "), token=token, tenant=tenant
    )
    assert payload["objective"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", ["indicator"])]
    outsider = await mutate(
        client,
        "createObjective",
        objective_input(plan, ownerId=plan.user_gid("b_owner")),
        token=token,
        tenant=tenant,
    )
    assert [(e["code"], e["field"]) for e in outsider["errors"]] == [("INVALID", ["ownerId"])]


async def test_an_unknown_benefit_is_a_request_error_not_a_crash(
    client: Client, plan: Plan
) -> None:
    token = await login(client, "a_owner")
    response = await post(
        client,
        mutation_document("createObjective"),
        {"input": objective_input(plan, benefit="VANITY")},
        token=token,
        tenant=plan.org_gid("a"),
    )
    [message] = messages(response)
    assert "VANITY" in message
    assert response.json()["data"] is None


# --- actions ------------------------------------------------------------------------------


async def test_action_with_requirements_owner_and_objective(client: Client, plan: Plan) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    objective = await created(
        client, "createObjective", objective_input(plan), token=token, tenant=tenant
    )
    requirement_id = global_id("Requirement", plan.clauses[("X", "4.2")])
    action = await created(
        client,
        "createAction",
        {
            "programId": plan.program_gid("a"),
            "title": "Write the delivery procedure",
            "ownerId": plan.user_gid("a_contributor"),
            "dueDate": "2027-02-01",
            "effortHours": 7.5,
            "objectiveId": objective["id"],
            "requirements": ["8.5.1", requirement_id],
        },
        token=token,
        tenant=tenant,
    )
    assert [r["number"] for r in action["requirements"]] == ["4.2", "8.5.1"]
    assert action["requirements"][0]["id"] == requirement_id
    assert action["owner"] == {"name": "A Contributor"}
    assert action["objective"] == {"statement": "Ship on time"}
    assert (action["status"], action["effortHours"], action["isOverdue"]) == ("OPEN", 7.5, False)

    done = await created(
        client,
        "updateAction",
        {"id": action["id"], "status": "DONE", "requirements": ["5.1"], "objectiveId": None},
        token=token,
        tenant=tenant,
    )
    assert done["completedAt"] is not None
    assert [r["number"] for r in done["requirements"]] == ["5.1"]
    assert (done["objective"], done["effortHours"]) == (None, 7.5)


async def test_unknown_requirements_are_named_in_the_user_error(client: Client, plan: Plan) -> None:
    token = await login(client, "a_owner")
    payload = await mutate(
        client,
        "createAction",
        {"programId": plan.program_gid("a"), "title": "t", "requirements": ["4.2", "42", "Y.1"]},
        token=token,
        tenant=plan.org_gid("a"),
    )
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["requirements"])
    assert "42" in error["message"]
    assert "Y.1" in error["message"]


async def test_negative_effort_and_foreign_objective_are_refused(
    client: Client, plan: Plan
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    other = await created(
        client,
        "createObjective",
        objective_input(plan, programId=plan.program_gid("a_other")),
        token=token,
        tenant=tenant,
    )
    for extra, field in (
        ({"effortHours": -2}, "effortHours"),
        ({"objectiveId": other["id"]}, "objectiveId"),
    ):
        payload = await mutate(
            client,
            "createAction",
            {"programId": plan.program_gid("a"), "title": "t", **extra},
            token=token,
            tenant=tenant,
        )
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", [field])]


async def test_actions_filters(client: Client, plan: Plan) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    today = local_today("UTC")
    program = plan.program_gid("a")
    plans = [
        ("late", "OPEN", today - timedelta(days=1), "a_admin", ["4.2"]),
        ("late but done", "DONE", today - timedelta(days=3), "a_admin", ["4.2", "5.1"]),
        ("due today", "IN_PROGRESS", today, "a_owner", ["5.1"]),
        ("undated", "OPEN", None, None, []),
        ("dropped", "CANCELLED", today - timedelta(days=9), "a_owner", ["8.5.1"]),
    ]
    for title, status, due, owner, requirements in plans:
        await created(
            client,
            "createAction",
            {
                "programId": program,
                "title": title,
                "status": status,
                "dueDate": due.isoformat() if due else None,
                "ownerId": plan.user_gid(owner) if owner else None,
                "requirements": requirements,
            },
            token=token,
            tenant=tenant,
        )

    async def only(**filters: Any) -> list[str]:
        return titles(await read(client, ACTIONS, token, tenant, programId=program, **filters))

    everything = await only()
    assert everything == [title for title, *_ in plans]
    assert await only(overdue=True) == ["late"]
    assert await only(overdue=False) == [t for t in everything if t != "late"]
    assert await only(status="DONE") == ["late but done"]
    assert await only(owner=plan.user_gid("a_admin")) == ["late", "late but done"]
    assert await only(requirement="5.1") == ["late but done", "due today"]
    by_id = global_id("Requirement", plan.clauses[("X", "4.2")])
    assert await only(requirement=by_id) == ["late", "late but done"]
    assert await only(requirement="99.9") == []
    assert await only(status="OPEN", overdue=True, owner=plan.user_gid("a_admin")) == ["late"]
    data = await read(client, ACTIONS, token, tenant, programId=program)
    overdue = {e["node"]["title"]: e["node"]["isOverdue"] for e in data["actions"]["edges"]}
    assert overdue == {
        "late": True,
        "late but done": False,
        "due today": False,
        "undated": False,
        "dropped": False,
    }


async def test_overdue_follows_the_organizations_time_zone(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    """UTC+14 and UTC-11 are 25 hours apart, so their dates always differ: a due date that is
    today at UTC-11 has passed at UTC+14."""
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    due = local_today("Pacific/Pago_Pago").isoformat()
    program = plan.program_gid("a")
    action = {"programId": program, "title": "Tight", "dueDate": due}
    await created(client, "createAction", action, token=token, tenant=tenant)
    milestone = {"programId": program, "title": "Stage 1", "dueDate": due}
    await created(client, "createMilestone", milestone, token=token, tenant=tenant)

    async def overdue() -> tuple[bool, list[str], bool]:
        data = await read(client, ACTIONS, token, tenant, programId=program)
        late = await read(client, ACTIONS, token, tenant, programId=program, overdue=True)
        milestones = await read(client, MILESTONES, token, tenant, programId=program)
        return (
            data["actions"]["edges"][0]["node"]["isOverdue"],
            titles(late),
            milestones["milestones"][0]["isOverdue"],
        )

    for zone, expected in (
        ("Pacific/Pago_Pago", (False, [], False)),
        ("Pacific/Kiritimati", (True, ["Tight"], True)),
    ):
        await owner_execute(
            owner_engine,
            "UPDATE organizations SET timezone = :zone WHERE id = :id",
            zone=zone,
            id=plan.orgs["a"],
        )
        assert await overdue() == expected, zone


# --- milestones ---------------------------------------------------------------------------


async def test_milestones_in_date_order_and_reached(client: Client, plan: Plan) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    program = plan.program_gid("a")
    yesterday = (datetime.now(UTC) - timedelta(days=2)).date()
    later = await created(
        client,
        "createMilestone",
        {"programId": program, "title": "Certification audit", "dueDate": "2030-05-01"},
        token=token,
        tenant=tenant,
    )
    early = await created(
        client,
        "createMilestone",
        {"programId": program, "title": "Gap analysis done", "dueDate": yesterday.isoformat()},
        token=token,
        tenant=tenant,
    )
    assert (early["isReached"], early["isOverdue"]) == (False, True)
    reached = await created(
        client, "updateMilestone", {"id": early["id"], "reached": True}, token=token, tenant=tenant
    )
    assert (reached["isReached"], reached["isOverdue"]) == (True, False)
    assert reached["reachedAt"] is not None
    listed = await read(client, MILESTONES, token, tenant, programId=program)
    assert [m["title"] for m in listed["milestones"]] == [
        "Gap analysis done",
        "Certification audit",
    ]
    assert listed["milestones"][1] == later


# --- cost ---------------------------------------------------------------------------------


async def _add_actions(client: Client, plan: Plan, token: str, count: int) -> None:
    tenant = plan.org_gid("a")
    objective = await created(
        client, "createObjective", objective_input(plan), token=token, tenant=tenant
    )
    owners = ["a_owner", "a_admin", "a_manager", "a_contributor"]
    for index in range(count):
        await created(
            client,
            "createAction",
            {
                "programId": plan.program_gid("a"),
                "title": f"Action {index}",
                "dueDate": (date(2026, 1, 1) + timedelta(days=index * 40)).isoformat(),
                "ownerId": plan.user_gid(owners[index % len(owners)]),
                "objectiveId": objective["id"],
                "requirements": ["4.2", "5.1", "6.2", "8.5.1"][: 1 + index % 4],
            },
            token=token,
            tenant=tenant,
        )


async def test_action_list_costs_the_same_for_3_and_30_actions(
    client: Client, plan: Plan, app: Litestar
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    variables = {"programId": plan.program_gid("a"), "first": 100}

    async def statements() -> tuple[int, int]:
        with count_statements(app.state.runtime.engine) as sent:
            data = await read(client, ACTIONS, token, tenant, **variables)
        return len(sent), data["actions"]["totalCount"]

    await _add_actions(client, plan, token, 3)
    await statements()  # warm up: connection set-up is not the query's cost
    with_three, listed = await statements()
    assert listed == 3
    await _add_actions(client, plan, token, 27)
    with_thirty, listed = await statements()
    assert listed == 30
    assert 0 < with_three == with_thirty
