"""Someone added without an account gets in through a one-time invitation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support import Client, World, gql, login

ADD_MEMBER = """
mutation Add($org: ID!, $email: String!, $name: String) {
  addMember(input: {organizationId: $org, email: $email, role: CONTRIBUTOR, name: $name}) {
    membership { role user { email } } invitationToken errors { field code message }
  }
}
"""
ACCEPT = """
mutation Accept($token: String!, $password: String!) {
  acceptInvitation(input: {token: $token, password: $password}) {
    accessToken user { email } errors { field code message }
  }
}
"""
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code } }
}
"""
NEW_PASSWORD = "a long new password"


async def _invite(client: Client, world: World, email: str = "new@example.test") -> dict[str, Any]:
    token = await login(client, "a_owner")
    body = await gql(
        client,
        ADD_MEMBER,
        {"org": world.org_gid("a"), "email": email, "name": "New Person"},
        token=token,
        tenant=world.org_gid("a"),
    )
    payload: dict[str, Any] = body["data"]["addMember"]
    return payload


async def _accept(client: Client, token: str, password: str = NEW_PASSWORD) -> dict[str, Any]:
    body = await gql(client, ACCEPT, {"token": token, "password": password})
    payload: dict[str, Any] = body["data"]["acceptInvitation"]
    return payload


async def test_new_person_accepts_once_then_logs_in(client: Client, world: World) -> None:
    added = await _invite(client, world)
    assert added["errors"] == []
    assert added["invitationToken"]

    accepted = await _accept(client, added["invitationToken"])
    assert accepted["errors"] == []
    assert accepted["user"]["email"] == "new@example.test"
    assert accepted["accessToken"]

    again = await _accept(client, added["invitationToken"], "another long password")
    assert [e["code"] for e in again["errors"]] == ["INVALID_INVITATION"]
    login_body = await gql(client, LOGIN, {"email": "new@example.test", "password": NEW_PASSWORD})
    assert login_body["data"]["login"]["errors"] == []


async def test_existing_account_gets_no_invitation(client: Client, world: World) -> None:
    added = await _invite(client, world, email="b_owner@example.test")
    assert added["errors"] == []
    assert added["invitationToken"] is None


async def test_expired_invitation_is_refused(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    added = await _invite(client, world)
    async with owner_engine.begin() as connection:
        await connection.execute(text("UPDATE invitations SET expires_at = now() - interval '1 s'"))
    refused = await _accept(client, added["invitationToken"])
    assert [e["code"] for e in refused["errors"]] == ["INVALID_INVITATION"]


async def test_short_password_is_refused_and_the_invitation_stays_usable(
    client: Client, world: World
) -> None:
    added = await _invite(client, world)
    refused = await _accept(client, added["invitationToken"], "short")
    assert refused["errors"] == [
        {
            "field": ["password"],
            "code": "INVALID",
            "message": "A password needs 10 to 1024 characters.",
        }
    ]
    assert (await _accept(client, added["invitationToken"]))["errors"] == []


async def test_unknown_token_is_refused(client: Client) -> None:
    refused = await _accept(client, "not-a-real-token")
    assert refused["errors"][0]["code"] == "INVALID_INVITATION"
    assert refused["accessToken"] is None


async def test_refused_add_leaves_no_account_or_invitation(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    token = await login(client, "a_viewer")
    body = await gql(
        client,
        ADD_MEMBER,
        {"org": world.org_gid("a"), "email": "new@example.test", "name": "New Person"},
        token=token,
        tenant=world.org_gid("a"),
    )
    assert [e["code"] for e in body["data"]["addMember"]["errors"]] == ["FORBIDDEN"]
    async with owner_engine.connect() as connection:
        users = await connection.scalar(
            text("SELECT count(*) FROM users WHERE email = 'new@example.test'")
        )
        invitations = await connection.scalar(text("SELECT count(*) FROM invitations"))
    assert (users, invitations) == (0, 0)
