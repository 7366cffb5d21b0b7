"""Invitations: nobody becomes a member without accepting, and inviting reveals no account."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support import Client, World, gql, login
from tests.tenants.helpers import owner_execute, owner_scalar, random_gid, snapshot

INVITE = """
mutation Invite($org: ID!, $email: String!, $name: String, $role: Role! = CONTRIBUTOR) {
  inviteMember(input: {organizationId: $org, email: $email, role: $role, name: $name}) {
    invitation { id email role createdAt expiresAt acceptedAt organization { slug } }
    invitationToken
    errors { field code message }
  }
}
"""
ACCEPT = """
mutation Accept($token: String!, $password: String!, $name: String) {
  acceptInvitation(input: {token: $token, password: $password, name: $name}) {
    accessToken user { email name } errors { field code message }
  }
}
"""
JOIN = """
mutation Join($token: String!) {
  joinOrganization(input: {token: $token}) {
    membership { role organization { slug } user { email } } errors { field code message }
  }
}
"""
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code } }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { __typename id } }"
NEW_PASSWORD = "a long new password"
MEMBERSHIPS_OF = (
    "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id"
    " WHERE u.email = :email AND m.tenant_id = :tenant"
)


async def _invite(
    client: Client, world: World, email: str = "new@example.test", **variables: Any
) -> dict[str, Any]:
    token = await login(client, "a_owner")
    body = await gql(
        client,
        INVITE,
        {"org": world.org_gid("a"), "email": email, **variables},
        token=token,
        tenant=world.org_gid("a"),
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["inviteMember"]
    return payload


async def _accept(
    client: Client, token: str, password: str = NEW_PASSWORD, name: str | None = None
) -> dict[str, Any]:
    body = await gql(client, ACCEPT, {"token": token, "password": password, "name": name})
    payload: dict[str, Any] = body["data"]["acceptInvitation"]
    return payload


async def _join(client: Client, token: str, as_user: str) -> dict[str, Any]:
    body = await gql(client, JOIN, {"token": token}, token=await login(client, as_user))
    payload: dict[str, Any] = body["data"]["joinOrganization"]
    return payload


async def _members_in_a(owner_engine: AsyncEngine, world: World, email: str) -> int:
    count: int = await owner_scalar(
        owner_engine, MEMBERSHIPS_OF, email=email, tenant=world.orgs["a"].id
    )
    return count


def _codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


def _shape(value: Any) -> Any:
    """A payload with every leaf replaced by its type: what an answer reveals by its form."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return type(value).__name__


async def test_a_new_person_joins_only_by_accepting_then_logs_in(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    invited = await _invite(client, world, name="New Person")
    assert invited["errors"] == []
    assert invited["invitationToken"]
    assert invited["invitation"]["email"] == "new@example.test"
    assert invited["invitation"]["role"] == "CONTRIBUTOR"
    assert invited["invitation"]["organization"] == {"slug": "a-org"}
    assert invited["invitation"]["acceptedAt"] is None
    accounts = "SELECT count(*) FROM users WHERE email = 'new@example.test'"
    assert await owner_scalar(owner_engine, accounts) == 0  # no account before accepting

    accepted = await _accept(client, invited["invitationToken"])
    assert accepted["errors"] == []
    assert accepted["user"] == {"email": "new@example.test", "name": "New Person"}
    assert accepted["accessToken"]
    assert await _members_in_a(owner_engine, world, "new@example.test") == 1

    again = await _accept(client, invited["invitationToken"], "another long password")
    assert _codes(again) == ["INVALID_INVITATION"]
    login_body = await gql(client, LOGIN, {"email": "new@example.test", "password": NEW_PASSWORD})
    assert login_body["data"]["login"]["errors"] == []


async def test_inviting_answers_alike_whether_or_not_the_address_has_an_account(
    client: Client, world: World
) -> None:
    unknown = await _invite(client, world, "nobody-yet@example.test")
    existing = await _invite(client, world, "b_owner@example.test")
    without_name = await _invite(client, world, "someone-else@example.test", name=None)
    assert unknown["errors"] == existing["errors"] == without_name["errors"] == []
    assert _shape(unknown) == _shape(existing) == _shape(without_name)
    assert existing["invitationToken"]
    for payload in (unknown, existing):
        assert payload["invitation"]["role"] == "CONTRIBUTOR"
        assert payload["invitation"]["acceptedAt"] is None


async def test_an_existing_account_joins_only_when_it_accepts_signed_in(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    invited = await _invite(client, world, "B_Owner@Example.test", role="VIEWER")
    token = invited["invitationToken"]
    assert await _members_in_a(owner_engine, world, "b_owner@example.test") == 0

    # Holding the token is not enough: without signing in as b_owner, nobody attaches the
    # account, and another signed-in person cannot use it either.
    before = await snapshot(owner_engine)
    refused = await _accept(client, token)
    assert _codes(refused) == ["INVALID_INVITATION"]
    assert "sign in" in refused["errors"][0]["message"]
    assert _codes(await _join(client, token, "a_viewer")) == ["INVALID_INVITATION"]
    assert await snapshot(owner_engine) == before

    joined = await _join(client, token, "b_owner")
    assert joined["errors"] == []
    assert joined["membership"] == {
        "role": "VIEWER",
        "organization": {"slug": "a-org"},
        "user": {"email": "b_owner@example.test"},
    }
    assert await _members_in_a(owner_engine, world, "b_owner@example.test") == 1
    # b_owner's password is untouched and the token is used up.
    assert _codes(await _join(client, token, "b_owner")) == ["INVALID_INVITATION"]


async def test_without_a_name_from_anyone_accepting_asks_for_one(
    client: Client, world: World
) -> None:
    invited = await _invite(client, world)
    refused = await _accept(client, invited["invitationToken"])
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", ["name"])]
    accepted = await _accept(client, invited["invitationToken"], name="  Named Later ")
    assert accepted["user"]["name"] == "Named Later"


async def test_inviting_again_replaces_the_pending_invitation(client: Client, world: World) -> None:
    first = await _invite(client, world, name="New Person")
    second = await _invite(client, world, name="New Person", role="VIEWER")
    assert _codes(await _accept(client, first["invitationToken"])) == ["INVALID_INVITATION"]
    assert (await _accept(client, second["invitationToken"]))["errors"] == []


async def test_expired_invitation_is_refused(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    invited = await _invite(client, world, name="New Person")
    await owner_execute(owner_engine, "UPDATE invitations SET expires_at = now() - interval '1 s'")
    refused = await _accept(client, invited["invitationToken"])
    assert _codes(refused) == ["INVALID_INVITATION"]


async def test_short_password_is_refused_and_the_invitation_stays_usable(
    client: Client, world: World
) -> None:
    invited = await _invite(client, world, name="New Person")
    refused = await _accept(client, invited["invitationToken"], "short")
    assert refused["errors"] == [
        {
            "field": ["password"],
            "code": "INVALID",
            "message": "A password needs 10 to 1024 characters.",
        }
    ]
    assert (await _accept(client, invited["invitationToken"]))["errors"] == []


async def test_unknown_token_is_refused(client: Client, world: World) -> None:
    refused = await _accept(client, "not-a-real-token")
    assert refused["errors"][0]["code"] == "INVALID_INVITATION"
    assert refused["accessToken"] is None
    assert _codes(await _join(client, "not-a-real-token", "b_owner")) == ["INVALID_INVITATION"]


async def test_a_refused_invitation_leaves_nothing_behind(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    token = await login(client, "a_viewer")
    before = await snapshot(owner_engine)
    body = await gql(
        client,
        INVITE,
        {"org": world.org_gid("a"), "email": "new@example.test", "name": "New Person"},
        token=token,
        tenant=world.org_gid("a"),
    )
    assert _codes(body["data"]["inviteMember"]) == ["FORBIDDEN"]
    assert await snapshot(owner_engine) == before


async def test_an_invitation_is_a_node_only_for_the_organization_it_belongs_to(
    client: Client, world: World
) -> None:
    invited = await _invite(client, world, name="New Person")
    gid = invited["invitation"]["id"]
    owner_a = await login(client, "a_owner")
    own = await gql(client, NODE, {"id": gid}, token=owner_a, tenant=world.org_gid("a"))
    assert own == {"data": {"node": {"__typename": "Invitation", "id": gid}}}
    owner_b = await login(client, "b_owner")
    foreign = await gql(client, NODE, {"id": gid}, token=owner_b)
    missing = await gql(client, NODE, {"id": random_gid("Invitation")}, token=owner_b)
    assert foreign == missing == {"data": {"node": None}}
