"""Notifications over HTTP: your own, newest first, with a link to what falls due; marking
them read; choosing channels; what auditors, viewers and other tenants may do; and what the
list costs at two sizes."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.notifications.jobs import REMIND
from backend.settings import Settings
from tests.api.helpers import count_statements
from tests.notifications.helpers import Expected, all_rows, run_job
from tests.planning.helpers import Plan
from tests.support import Client, global_id, gql, login

ERRORS = "errors { field code message }"
NOTIFICATIONS = """
query($unread: Boolean, $organization: ID, $first: Int) {
  notifications(unread: $unread, organization: $organization, first: $first) {
    totalCount
    edges { node {
      id kind title dueOn leadDays subjectId subjectType read readAt createdAt
      organization { name }
    } }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { __typename ... on Action { title } } }"
MARK = f"""
mutation($input: MarkNotificationsReadInput!) {{
  markNotificationsRead(input: $input) {{ markedCount {ERRORS} }}
}}
"""
PREFERENCES = "{ notificationPreferences { kind inApp email } }"
UPDATE = f"""
mutation($input: UpdateNotificationPreferencesInput!) {{
  updateNotificationPreferences(input: $input) {{ preferences {{ kind inApp email }} {ERRORS} }}
}}
"""
MANAGER_TITLES = {"Week ahead", "NC-2026-001", "Calibration certificate"}


async def _reminded(settings: Settings, plan: Plan) -> None:
    await run_job(settings, REMIND.name, plan.orgs["a"])


async def _list(client: Client, token: str, **variables: Any) -> dict[str, Any]:
    body = await gql(client, NOTIFICATIONS, variables, token=token)
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["notifications"]
    return found


def _codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def _mark(client: Client, token: str, tenant: str, **input: Any) -> dict[str, Any]:
    body = await gql(client, MARK, {"input": input}, token=token, tenant=tenant)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["markNotificationsRead"]
    return payload


async def test_a_person_reads_their_own_newest_first_with_a_link_to_the_object(
    client: Client, migrated: Settings, owner_engine: AsyncEngine, plan: Plan, due: Expected
) -> None:
    await _reminded(migrated, plan)
    async with owner_engine.begin() as connection:  # written a day apart, oldest first
        await connection.execute(
            text(
                "UPDATE notifications SET created_at = now() - make_interval(days =>"
                " CASE title WHEN 'Week ahead' THEN 3 WHEN 'NC-2026-001' THEN 2 ELSE 1 END)"
            )
        )
    token = await login(client, "a_manager")
    found = await _list(client, token)
    nodes = [edge["node"] for edge in found["edges"]]
    assert found["totalCount"] == 3
    assert [node["title"] for node in nodes] == [
        "Calibration certificate",
        "NC-2026-001",
        "Week ahead",
    ]
    week = nodes[2]
    assert (week["kind"], week["leadDays"], week["read"], week["subjectType"]) == (
        "ACTION_DUE",
        7,
        False,
        "Action",
    )
    assert week["organization"] == {"name": "Alpha Industries"}
    linked = await gql(client, NODE, {"id": week["subjectId"]}, token=token)
    assert linked["data"]["node"] == {"__typename": "Action", "title": "Week ahead"}
    page = await _list(client, token, first=2)
    assert [edge["node"]["title"] for edge in page["edges"]] == [
        "Calibration certificate",
        "NC-2026-001",
    ]


async def test_marking_read_by_id_and_all(
    client: Client, migrated: Settings, plan: Plan, due: Expected
) -> None:
    await _reminded(migrated, plan)
    token, tenant = await login(client, "a_manager"), plan.org_gid("a")
    nodes = [edge["node"] for edge in (await _list(client, token))["edges"]]
    first = await _mark(client, token, tenant, ids=[nodes[0]["id"]])
    assert first == {"markedCount": 1, "errors": []}
    unread = await _list(client, token, unread=True)
    assert {edge["node"]["title"] for edge in unread["edges"]} == MANAGER_TITLES - {
        nodes[0]["title"]
    }
    read = (await _list(client, token, unread=False))["edges"]
    assert [(edge["node"]["title"], edge["node"]["read"]) for edge in read] == [
        (nodes[0]["title"], True)
    ]
    assert await _mark(client, token, tenant, all=True) == {"markedCount": 2, "errors": []}
    assert (await _list(client, token, unread=True))["totalCount"] == 0
    assert (await _list(client, token, unread=False))["totalCount"] == 3
    again = await _mark(client, token, tenant, all=True)
    assert again == {"markedCount": 0, "errors": []}  # read ones keep their time


async def test_bad_input_and_other_peoples_notifications_change_nothing(
    client: Client, migrated: Settings, owner_engine: AsyncEngine, plan: Plan, due: Expected
) -> None:
    await _reminded(migrated, plan)
    manager = await login(client, "a_manager")
    mine = (await _list(client, manager))["edges"][0]["node"]["id"]
    before = await all_rows(owner_engine)
    admin, b_owner = await login(client, "a_admin"), await login(client, "b_owner")
    refusals = [
        (await _mark(client, admin, plan.org_gid("a"), ids=[mine]), "NOT_FOUND"),
        (await _mark(client, b_owner, plan.org_gid("b"), ids=[mine]), "NOT_FOUND"),
        (await _mark(client, manager, plan.org_gid("a"), ids=[mine], all=True), "INVALID"),
        (await _mark(client, manager, plan.org_gid("a")), "INVALID"),
        (await _mark(client, manager, plan.org_gid("a"), ids=[]), "INVALID"),
        (await _mark(client, manager, plan.org_gid("a"), ids=[plan.org_gid("a")]), "INVALID"),
        (
            await _mark(
                client, manager, plan.org_gid("a"), ids=[global_id("Notification", uuid.uuid4())]
            ),
            "NOT_FOUND",
        ),
    ]
    for payload, code in refusals:
        assert _codes(payload) == [code], payload
    assert await all_rows(owner_engine) == before
    assert (await _list(client, b_owner))["totalCount"] == 0
    assert (await _list(client, b_owner, organization=plan.org_gid("a")))["totalCount"] == 0
    assert (await gql(client, NODE, {"id": mine}, token=admin))["data"]["node"] is None


async def test_auditors_and_viewers_read_and_change_nothing(
    client: Client, migrated: Settings, owner_engine: AsyncEngine, plan: Plan, due: Expected
) -> None:
    await _reminded(migrated, plan)
    before = await all_rows(owner_engine)
    for user in ("auditor", "a_viewer"):
        token, tenant = await login(client, user), plan.org_gid("a")
        assert (await _list(client, token))["totalCount"] == 0
        read = await gql(client, PREFERENCES, token=token, tenant=tenant)
        assert len(read["data"]["notificationPreferences"]) == 6
        marked = await _mark(client, token, tenant, all=True)
        assert _codes(marked) == ["FORBIDDEN"], (user, marked)
        changed = await gql(
            client,
            UPDATE,
            {"input": {"preferences": [{"kind": "AUDIT", "inApp": False, "email": False}]}},
            token=token,
            tenant=tenant,
        )
        assert _codes(changed["data"]["updateNotificationPreferences"]) == ["FORBIDDEN"]
    assert await all_rows(owner_engine) == before
    async with owner_engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM notification_preferences")) == 0


async def test_preferences_per_kind_in_the_organization_acted_in(
    client: Client, owner_engine: AsyncEngine, plan: Plan
) -> None:
    token, tenant = await login(client, "a_manager"), plan.org_gid("a")
    defaults = (await gql(client, PREFERENCES, token=token, tenant=tenant))["data"]
    assert all(p["inApp"] and p["email"] for p in defaults["notificationPreferences"])
    change = [
        {"kind": "ACTION_DUE", "inApp": False, "email": True},
        {"kind": "AUDIT", "inApp": False, "email": False},
    ]
    body = await gql(client, UPDATE, {"input": {"preferences": change}}, token=token, tenant=tenant)
    payload = body["data"]["updateNotificationPreferences"]
    chosen = {p["kind"]: (p["inApp"], p["email"]) for p in payload["preferences"]}
    assert payload["errors"] == []
    assert chosen["ACTION_DUE"] == (False, True)
    assert chosen["AUDIT"] == (False, False)
    assert chosen["FINDING_DUE"] == (True, True)
    twice = [change[0], {**change[0], "inApp": True}]
    refused = await gql(
        client, UPDATE, {"input": {"preferences": twice}}, token=token, tenant=tenant
    )
    assert _codes(refused["data"]["updateNotificationPreferences"]) == ["INVALID"]
    again = (await gql(client, PREFERENCES, token=token, tenant=tenant))["data"]
    assert {p["kind"]: (p["inApp"], p["email"]) for p in again["notificationPreferences"]} == chosen
    b_side = await gql(
        client, PREFERENCES, token=await login(client, "b_owner"), tenant=plan.org_gid("b")
    )
    assert all(p["inApp"] for p in b_side["data"]["notificationPreferences"])


async def test_the_list_costs_the_same_statements_for_3_and_for_40_notifications(
    app: Litestar, client: Client, owner_engine: AsyncEngine, plan: Plan, due: Expected
) -> None:
    await _reminded(app.state.runtime.settings, plan)
    token = await login(client, "a_manager")

    async def cost() -> tuple[int, int]:
        await _list(client, token, first=50)  # warm up
        with count_statements(app.state.runtime.engine) as sent:
            found = await _list(client, token, first=50)
        return len(sent), len(found["edges"])

    small = await cost()
    async with owner_engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO notifications (id, tenant_id, user_id, kind, subject_type, subject_id,"
                " title, due_on, lead_days, in_app, email_status)"
                " SELECT gen_random_uuid(), :a, :user, 'action_due', 'Action', gen_random_uuid(),"
                " 'Extra ' || n, current_date, 1, true, 'none' FROM generate_series(1, 37) n"
            ),
            {"a": plan.orgs["a"], "user": plan.users["a_manager"]},
        )
    large = await cost()
    assert (small[1], large[1]) == (3, 40)
    assert 0 < small[0] == large[0]
    print(f"statements to list notifications: {small[0]} for 3, {large[0]} for 40")
