"""Engagement management: the client limits or ends it, the consultancy sees its history, and
every change holds from the consultancy's next request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.db.session import execution_options_skipping_criteria
from tenants.models import ConsultancyEngagement
from tests.portfolio.helpers import PORTFOLIO, seed_program
from tests.support import Client, World, global_id, gql, login

UPDATE = """
mutation Update($input: UpdateEngagementInput!) {
  updateEngagement(input: $input) {
    engagement { id role endedAt isActive }
    errors { code field message }
  }
}
"""
END = """
mutation End($id: ID!) {
  endEngagement(input: {engagementId: $id}) { engagement { id isActive } errors { code } }
}
"""
ENGAGEMENTS = """
query Engagements($organization: ID) {
  engagements(organization: $organization) {
    totalCount
    edges { node { id role startedAt endedAt isActive client { name } consultancy { name } } }
  }
}
"""
MY_ROLE = "query { me { organizations { organization { slug } role canWrite } } }"


def _engagement(world: World) -> str:
    assert world.engagement is not None
    return global_id("Engagement", world.engagement.id)


async def _update(client: Client, world: World, user: str, **changes: Any) -> dict[str, Any]:
    body = await gql(
        client,
        UPDATE,
        {"input": {"id": _engagement(world), **changes}},
        token=await login(client, user),
        tenant=world.org_gid("a"),
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["updateEngagement"]
    return payload


async def _role_in_a(client: Client, token: str) -> tuple[str, bool] | None:
    body = await gql(client, MY_ROLE, token=token)
    for acting in body["data"]["me"]["organizations"]:
        if acting["organization"]["slug"] == "a-org":
            return acting["role"], acting["canWrite"]
    return None


async def _stored(owner: AsyncEngine, world: World) -> ConsultancyEngagement:
    assert world.engagement is not None
    async with AsyncSession(owner) as db:
        row = await db.scalar(
            select(ConsultancyEngagement).where(ConsultancyEngagement.id == world.engagement.id),
            execution_options=execution_options_skipping_criteria(),
        )
    assert row is not None
    return row


async def test_limiting_the_role_holds_on_the_next_request(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    await seed_program(owner_engine, world.orgs["a"].id, world.orgs["body"].id)
    consultant = await login(client, "consultant")
    assert await _role_in_a(client, consultant) == ("CONSULTANT", True)

    payload = await _update(client, world, "a_owner", role="VIEWER")
    assert payload["errors"] == []
    assert payload["engagement"]["role"] == "VIEWER"

    assert await _role_in_a(client, consultant) == ("VIEWER", False)  # the same login
    body = await gql(client, PORTFOLIO, token=consultant)
    assert body["data"]["portfolio"] == []  # the client now runs its programme itself

    assert (await _update(client, world, "a_admin", role="CONSULTANT"))["errors"] == []
    assert await _role_in_a(client, consultant) == ("CONSULTANT", True)


async def test_an_end_date_is_the_client_midnight_after_it_and_can_be_lifted(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    today = datetime.now(UTC).date()
    payload = await _update(client, world, "a_owner", endsOn=str(today))
    assert payload["errors"] == []
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)
    assert datetime.fromisoformat(payload["engagement"]["endedAt"]) == midnight
    assert payload["engagement"]["isActive"] is True
    assert await _role_in_a(client, await login(client, "consultant")) == ("CONSULTANT", True)

    lifted = await _update(client, world, "a_owner", endsOn=None)
    assert lifted["engagement"]["endedAt"] is None
    assert (await _stored(owner_engine, world)).ended_at is None


async def test_access_stops_once_the_end_date_has_passed(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    consultant = await login(client, "consultant")
    payload = await _update(client, world, "a_owner", endsOn=str(datetime.now(UTC).date()))
    assert payload["errors"] == []
    # The client's midnight arrives: the stored end moves to a moment just past.
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE consultancy_engagements SET ended_at = now() - interval '1 second'")
        )
    assert await _role_in_a(client, consultant) is None


async def test_bad_limits_are_refused_and_change_nothing(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    yesterday = datetime.now(UTC).date() - timedelta(days=2)
    past = await _update(client, world, "a_owner", endsOn=str(yesterday))
    assert [(e["code"], e["field"]) for e in past["errors"]] == [("INVALID", ["endsOn"])]
    owner_role = await _update(client, world, "a_owner", role="OWNER")
    assert [(e["code"], e["field"]) for e in owner_role["errors"]] == [("INVALID", ["role"])]
    stored = await _stored(owner_engine, world)
    assert (stored.ended_at, stored.role) == (None, "consultant")


async def test_only_the_client_owners_and_admins_limit_it(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    for user in ("consultant", "a_viewer"):
        payload = await _update(client, world, user, role="VIEWER")
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], user
    # The auditor reads A through its grant, but writes nowhere.
    auditor = await _update(client, world, "auditor", role="VIEWER")
    assert [e["code"] for e in auditor["errors"]] == ["FORBIDDEN"]
    # Another tenant's owner cannot even see it.
    body = await gql(
        client,
        UPDATE,
        {"input": {"id": _engagement(world), "role": "VIEWER"}},
        token=await login(client, "b_owner"),
        tenant=world.org_gid("b"),
    )
    assert [e["code"] for e in body["data"]["updateEngagement"]["errors"]] == ["NOT_FOUND"]
    assert (await _stored(owner_engine, world)).role == "consultant"


async def test_an_ended_engagement_gives_no_access_and_stays_in_the_history(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    await seed_program(owner_engine, world.orgs["a"].id, world.orgs["body"].id)
    consultant = await login(client, "consultant")
    assert len((await gql(client, PORTFOLIO, token=consultant))["data"]["portfolio"]) == 1

    owner = await login(client, "a_owner")
    body = await gql(
        client, END, {"id": _engagement(world)}, token=owner, tenant=world.org_gid("a")
    )
    assert body["data"]["endEngagement"]["errors"] == []

    assert await _role_in_a(client, consultant) is None
    assert (await gql(client, PORTFOLIO, token=consultant))["data"]["portfolio"] == []
    refused = await _update(client, world, "a_owner", role="VIEWER")
    assert [e["code"] for e in refused["errors"]] == ["CONFLICT"]

    history = (await gql(client, ENGAGEMENTS, token=consultant))["data"]["engagements"]
    assert history["totalCount"] == 1
    [edge] = history["edges"]
    assert edge["node"]["isActive"] is False
    assert edge["node"]["client"] is None  # the client is no longer readable
    assert edge["node"]["consultancy"]["name"] == "Counsel & Co"


async def test_the_engagements_list_is_the_consultancy_s_own(client: Client, world: World) -> None:
    consultant = await login(client, "consultant")
    mine = (await gql(client, ENGAGEMENTS, token=consultant))["data"]["engagements"]
    assert [edge["node"]["client"]["name"] for edge in mine["edges"]] == ["Alpha Industries"]
    narrowed = await gql(
        client, ENGAGEMENTS, {"organization": world.org_gid("b")}, token=consultant
    )
    assert narrowed["data"]["engagements"]["totalCount"] == 0
    for user in ("a_owner", "b_owner", "auditor"):
        theirs = (await gql(client, ENGAGEMENTS, token=await login(client, user)))["data"]
        assert theirs["engagements"]["totalCount"] == 0, user
