"""Text with control characters or lone surrogates is refused before any resolver runs.

Each case goes over HTTP, signed in or not, and must get a clear GraphQL error that names the
argument or variable at fault: no 500, no fault in the logs and not one row changed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.models import Base
from tests.api.helpers import headers, one_error, post
from tests.support import Client, World, global_id, login

COMPLAINT = "Text must not contain control characters or lone surrogates"
NUL = "ISO\x009001"
SURROGATE = "ISO\ud8009001"
ESCAPE = "ISO\x1b[31m9001"
LOGIN = """
mutation($input: LoginInput!) { login(input: $input) { accessToken errors { code } } }
"""
REFRESH = """
mutation($input: RefreshInput!) { refresh(input: $input) { accessToken errors { code } } }
"""
LOGOUT = "mutation($input: LogoutInput!) { logout(input: $input) { errors { code } } }"
ACCEPT = """
mutation($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { accessToken errors { code } }
}
"""
UPDATE_ORGANIZATION = """
mutation($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) { organization { name } errors { code } }
}
"""
INVITE_MEMBER = """
mutation($input: InviteMemberInput!) { inviteMember(input: $input) { errors { code } } }
"""
CREATE_DOCUMENT = """
mutation($input: CreateDocumentInput!) { createDocument(input: $input) { errors { code } } }
"""
CREATE_TRAINING = """
mutation($input: CreateTrainingSessionInput!) {
  createTrainingSession(input: $input) { errors { code } }
}
"""
ORGANIZATION = "query($slug: String!) { organization(slug: $slug) { name } }"
ENUM_VALUES = {"POLICY", "VIEWER", "WORKSHOP"}


@dataclass(frozen=True)
class Case:
    name: str
    query: str
    variables: dict[str, Any]
    at: str  # how the error names the place: "Variable '$input' has invalid value at .name"
    signed_in: bool = True


def _cases(bad: str, world: World) -> list[Case]:
    org = world.org_gid("a")
    program = global_id("Program", world.orgs["a"].id)  # never looked up: refused before
    at_input = "Variable '$input' has invalid value at "
    return [
        Case(
            "login", LOGIN, {"input": {"email": bad, "password": "x"}}, at_input + ".email", False
        ),
        Case(
            "login", LOGIN, {"input": {"email": "a@b.c", "password": bad}}, at_input + ".password"
        ),
        Case(
            "refresh", REFRESH, {"input": {"refreshToken": bad}}, at_input + ".refreshToken", False
        ),
        Case("logout", LOGOUT, {"input": {"refreshToken": bad}}, at_input + ".refreshToken", False),
        Case(
            "acceptInvitation",
            ACCEPT,
            {"input": {"token": bad, "password": "long enough password"}},
            at_input + ".token",
            False,
        ),
        Case(
            "updateOrganization",
            UPDATE_ORGANIZATION,
            {"input": {"id": org, "name": bad}},
            at_input + ".name",
        ),
        Case(
            "inviteMember",
            INVITE_MEMBER,
            {
                "input": {
                    "organizationId": org,
                    "email": "x@example.test",
                    "role": "VIEWER",
                    "name": bad,
                }
            },
            at_input + ".name",
        ),
        Case(
            "createDocument",
            CREATE_DOCUMENT,
            {"input": {"type": "POLICY", "code": "QP-1", "title": bad}},
            at_input + ".title",
        ),
        Case(
            "createTrainingSession",
            CREATE_TRAINING,
            {
                "input": {
                    "programId": program,
                    "type": "WORKSHOP",
                    "topic": "Risks",
                    "heldOn": "2030-01-01",
                    "durationMinutes": 60,
                    "requirements": ["8.5.1", bad],
                }
            },
            at_input + ".requirements[1]",
        ),
        Case("organization", ORGANIZATION, {"slug": bad}, "Variable '$slug' has invalid value:"),
    ]


async def _database_digest(owner: AsyncEngine) -> dict[str, str]:
    """Every table's content, hashed: equal digests mean nothing was written."""
    digests = {}
    async with owner.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = "coalesce(string_agg(t::text, '|' ORDER BY t::text), '')"
            digest = await connection.scalar(text(f"SELECT md5({rows}) FROM {table.name} t"))
            digests[table.name] = str(digest)
    return digests


@dataclass
class Sender:
    """Sends a case over HTTP and checks that it was refused without a trace."""

    client: Client
    owner: AsyncEngine
    caplog: pytest.LogCaptureFixture
    signed_in: dict[str, str]  # the Authorization and X-Tenant-ID headers of a_owner in A

    async def refused(self, case: Case, query: str, variables: dict[str, Any] | None) -> str:
        """The one error message of the answer."""
        before = await _database_digest(self.owner)
        self.caplog.clear()
        # json.dumps by hand: httpx would refuse to encode a lone surrogate, a client need not.
        body = json.dumps({"query": query, "variables": variables}).encode()
        who = self.signed_in if case.signed_in else {}
        response = await self.client.post(
            "/graphql", content=body, headers={"content-type": "application/json", **who}
        )
        message = one_error(response)
        assert response.json()["data"] is None, case.name
        faults = [r for r in self.caplog.records if r.levelno >= logging.ERROR or r.exc_info]
        assert faults == [], case.name
        assert await _database_digest(self.owner) == before, case.name
        return message


@pytest.fixture
async def sender(
    client: Client, world: World, owner_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> Sender:
    token = await login(client, "a_owner")
    caplog.set_level(logging.INFO)
    return Sender(client, owner_engine, caplog, headers(token, world.org_gid("a")))


@pytest.mark.parametrize("bad", [NUL, SURROGATE, ESCAPE], ids=["NUL", "surrogate", "escape"])
async def test_control_characters_in_variables_are_refused_before_any_resolver(
    sender: Sender, world: World, bad: str
) -> None:
    for case in _cases(bad, world):
        message = await sender.refused(case, case.query, case.variables)
        assert message.startswith(case.at), (case.name, message)
        assert COMPLAINT in message, case.name


def _inline(query: str, variables: dict[str, Any]) -> str:
    """The operation with its `$input` written as a literal (GraphQL shares JSON's escapes)."""

    def literal(value: Any) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(literal(v) for v in value) + "]"
        if value in ENUM_VALUES:
            return str(value)
        return json.dumps(value)

    operation = query.split("{", 1)[1].replace("$input", literal(variables["input"]), 1)
    return "mutation {" + operation


@pytest.mark.parametrize("bad", [NUL, ESCAPE], ids=["NUL", "escape"])
async def test_control_characters_in_literals_are_refused_at_validation(
    sender: Sender, world: World, bad: str
) -> None:
    for case in _cases(bad, world):
        if "input" not in case.variables:
            continue
        message = await sender.refused(case, _inline(case.query, case.variables), None)
        where = case.at.replace("Variable '$input'", "Argument 'input'")
        assert message.startswith(where), (case.name, message)
        assert COMPLAINT in message, case.name


async def test_a_lone_surrogate_in_a_literal_is_a_syntax_error(sender: Sender) -> None:
    case = Case("login", LOGIN, {}, "", signed_in=False)
    for literal, expected in [
        ('"ISO\\ud8009001"', "Syntax Error: Invalid Unicode escape sequence: '\\ud800'."),
        (f'"{SURROGATE}"', "Syntax Error: Invalid character within String: U+D800."),
    ]:
        query = (
            f'mutation {{ login(input: {{email: {literal}, password: "x"}}) {{ accessToken }} }}'
        )
        assert await sender.refused(case, query, None) == expected


async def test_a_variable_default_is_checked_like_a_literal(client: Client) -> None:
    query = 'query($slug: String = "a\\u0000") { organization(slug: $slug) { name } }'
    message = one_error(await post(client, query))
    assert message.startswith(f"Variable '$slug' has invalid default value: {COMPLAINT}")


async def test_object_keys_in_variables_are_checked_too(client: Client) -> None:
    variables = {"input": {"email": "a@b.c", "password": "x", "pass\x00word": "y"}}
    message = one_error(await post(client, LOGIN, variables))
    assert message.startswith(f"Variable '$input' has invalid value at .pass\x00word: {COMPLAINT}")


async def test_tab_newline_and_carriage_return_stay_allowed(client: Client, world: World) -> None:
    variables = {"input": {"email": "a_owner@example.test", "password": "line\tone\r\nline two"}}
    response = await post(client, LOGIN, variables)
    assert response.json()["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_graphql_response_clients_get_400(client: Client) -> None:
    response = await client.post(
        "/graphql",
        json={"query": ORGANIZATION, "variables": {"slug": NUL}},
        headers={"accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    assert COMPLAINT in response.json()["errors"][0]["message"]
