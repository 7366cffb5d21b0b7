"""Anything a client can send gets a clear answer: never a 500, never an internal detail."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.api import tenants as tenants_api
from backend.api.loaders import Loaders
from tenants import service as tenants_service
from tenants.models import Membership
from tests.api.helpers import messages, one_error, post, post_raw
from tests.support import Client, World, global_id, login

ME = "{ me { user { email } } }"
ORGANIZATIONS = """
query($first: Int, $after: String) { organizations(first: $first, after: $after) { totalCount } }
"""
CHANGE_ROLE = """
mutation($input: ChangeMemberRoleInput!) {
  changeMemberRole(input: $input) { membership { id role } errors { field code message } }
}
"""


# --- the HTTP body -------------------------------------------------------------------------


async def test_a_body_that_is_not_json_is_400(client: Client) -> None:
    for body in (b'{"query": "{ me { user { email } } }"', b"", b"query { me }"):
        response = await post_raw(client, body)
        assert response.status_code == 400, body
        assert response.text == "Unable to parse request body as JSON"


async def test_json_that_is_not_an_object_is_400(client: Client) -> None:
    for body in (b'"{ me { user { email } } }"', b"null", b"42"):
        response = await post_raw(client, body)
        assert response.status_code == 400, (body, response.text)
        assert response.text == "A GraphQL request must be a JSON object."


async def test_a_json_list_is_refused_as_batching(client: Client) -> None:
    response = await post_raw(client, b'[{"query": "{ me { user { email } } }"}]')
    assert response.status_code == 400
    assert response.text == "Batching is not enabled"


async def test_missing_query_is_400(client: Client) -> None:
    response = await client.post("/graphql", json={"variables": {}})
    assert response.status_code == 400
    assert response.text == "No GraphQL query found in the request"


async def test_request_members_of_the_wrong_json_type_are_400(client: Client) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"query": 42}, "`query` must be a string"),
        ({"query": ME, "variables": [1, 2]}, "`variables` must be an object"),
        ({"query": ME, "extensions": "yes"}, "`extensions` must be an object"),
    ]
    for body, complaint in cases:
        response = await client.post("/graphql", json=body)
        assert response.status_code == 400, body
        assert complaint in response.text


async def test_unsupported_content_type_is_400(client: Client) -> None:
    response = await post_raw(client, ME.encode(), content_type="text/plain")
    assert response.status_code == 400
    assert response.text == "Unsupported content type"


# --- the GraphQL document ------------------------------------------------------------------


async def test_syntax_error_names_the_problem_and_its_place(client: Client) -> None:
    response = await post(client, "{ me { user { email }")
    body = response.json()
    assert body["data"] is None
    assert one_error(response).startswith("Syntax Error: Expected Name, found <EOF>.")
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 22}]


async def test_unknown_field_is_named(client: Client) -> None:
    message = one_error(await post(client, "{ me { user { emailAddress } } }"))
    assert message.startswith("Cannot query field 'emailAddress' on type 'User'.")


async def test_unknown_argument_is_named(client: Client) -> None:
    message = one_error(await post(client, "{ organizations(firstt: 1) { totalCount } }"))
    assert message.startswith("Unknown argument 'firstt' on field 'Query.organizations'.")


async def test_variables_of_the_wrong_type_are_explained_not_masked(client: Client) -> None:
    message = one_error(await post(client, ORGANIZATIONS, {"first": "ten"}))
    assert (
        message
        == "Variable '$first' has invalid value: Int cannot represent non-integer value: 'ten'"
    )

    query = (
        'mutation($email: String!) { login(input: {email: $email, password: "x"}) { accessToken } }'
    )
    message = one_error(await post(client, query, {}))
    assert message.startswith("Variable '$email' has invalid value")
    assert "'String!'" in message


async def test_bad_values_inside_an_input_object_are_explained(
    client: Client, world: World
) -> None:
    token = await login(client, "a_owner")
    tenant = world.org_gid("a")
    bad_role = {"input": {"membershipId": world.membership_gid("a_viewer", "a"), "role": "EMPEROR"}}
    message = one_error(await post(client, CHANGE_ROLE, bad_role, token=token, tenant=tenant))
    assert message.startswith("Variable '$input' has invalid value")
    assert "EMPEROR" in message

    grant = """
    mutation($input: GrantAuditorAccessInput!) {
      grantAuditorAccess(input: $input) { grant { id } errors { code } }
    }
    """
    bad_date = {
        "input": {
            "organizationId": world.org_gid("a"),
            "certificationBodySlug": "body-org",
            "validUntil": "next tuesday",
        }
    }
    message = one_error(await post(client, grant, bad_date, token=token, tenant=tenant))
    assert message.startswith("Variable '$input' has invalid value")
    assert "validUntil" in message
    assert "next tuesday" in message


# --- limits --------------------------------------------------------------------------------


def _deep_query(levels: int) -> str:
    """me > memberships > organization > (members > edges > node > organization) * levels."""
    inner = "slug"
    for _ in range(levels):
        inner = f"members {{ edges {{ node {{ organization {{ {inner} }} }} }} }}"
    return f"{{ me {{ memberships {{ organization {{ {inner} }} }} }} }}"


async def test_query_deeper_than_the_limit_is_refused(client: Client) -> None:
    # Nested member lists also multiply its cost past the cost limit: two reasons, two errors.
    assert messages(await post(client, _deep_query(3))) == [
        "'anonymous' exceeds maximum operation depth of 10",
        "Query cost 513662 exceeds the limit of 25000 (GRAPHQL_MAX_COST).",
    ]


async def test_query_within_the_depth_limit_runs(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    response = await post(client, _deep_query(1), token=token)
    assert messages(response) == []
    memberships = response.json()["data"]["me"]["memberships"]
    assert memberships[0]["organization"]["members"]["edges"]


async def test_token_flood_is_refused(client: Client) -> None:
    query = "{ me { " + " ".join(["__typename"] * 2100) + " } }"
    message = one_error(await post(client, query))
    assert "2000 tokens" in message


async def test_alias_flood_is_refused_but_the_limit_itself_runs(client: Client) -> None:
    sixteen = " ".join(f"a{i}: __typename" for i in range(16))
    assert one_error(await post(client, f"{{ {sixteen} }}")) == "16 aliases found. Allowed: 15"

    fifteen = " ".join(f"a{i}: __typename" for i in range(15))
    response = await post(client, f"{{ {fifteen} }}")
    assert messages(response) == []
    assert response.json()["data"]["a14"] == "Query"


# --- ids -----------------------------------------------------------------------------------


NODE = "query($id: ID!) { node(id: $id) { id } }"


async def test_node_with_an_invalid_global_id_is_a_clear_error(
    client: Client, world: World
) -> None:
    token = await login(client, "a_owner")
    spaceship = global_id("Spaceship", uuid.uuid4())
    cases = {
        "%%% not base64 %%%": "Value cannot represent a GlobalID",
        base64.b64encode(b"garbage without a colon").decode(): "Value cannot represent a GlobalID",
        spaceship: "GlobalID requires a GraphQL type, received `Spaceship`",
    }
    for bad_id, expected in cases.items():
        response = await post(client, NODE, {"id": bad_id}, token=token)
        assert response.json()["data"] == {"node": None}
        assert expected in one_error(response)


async def _role_of(owner: AsyncEngine, membership_id: uuid.UUID) -> str:
    # A plain connection: ORM sessions get the tenant criteria, which admit nothing here.
    async with owner.connect() as connection:
        role = await connection.scalar(
            select(Membership.role).where(Membership.id == membership_id)
        )
    assert isinstance(role, str)
    return role


async def test_wrong_kind_of_id_in_a_mutation_is_a_user_error_and_changes_nothing(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    token = await login(client, "a_owner")
    cases = {
        global_id("User", world.users["a_viewer"].id): "Expected the id of a Membership.",
        base64.b64encode(b"Membership:not-a-uuid").decode(): "Not a valid Membership id.",
    }
    for wrong_id, expected in cases.items():
        variables = {"input": {"membershipId": wrong_id, "role": "ADMIN"}}
        response = await post(
            client, CHANGE_ROLE, variables, token=token, tenant=world.org_gid("a")
        )
        assert messages(response) == []
        payload = response.json()["data"]["changeMemberRole"]
        assert payload == {
            "membership": None,
            "errors": [{"field": ["membershipId"], "code": "INVALID", "message": expected}],
        }
    assert await _role_of(owner_engine, world.memberships[("a_viewer", "a")].id) == "viewer"


# --- headers -------------------------------------------------------------------------------


async def test_invalid_tenant_header_is_400(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    for value in (
        "not an id",
        global_id("User", world.users["a_owner"].id),
        str(world.orgs["a"].id)[:-1],
    ):
        response = await post(client, ME, token=token, tenant=value)
        assert response.status_code == 400, value
        assert (
            response.json()["detail"]
            == "X-Tenant-ID must be an organization id (UUID or global ID)."
        )


async def test_tenant_header_of_another_tenant_is_404(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    response = await post(client, ME, token=token, tenant=world.org_gid("b"))
    assert response.status_code == 404
    assert response.json()["detail"] == "Organization not found."


async def test_bad_authorization_header_is_401(client: Client) -> None:
    for authorization in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt"):
        response = await client.post(
            "/graphql", json={"query": ME}, headers={"Authorization": authorization}
        )
        assert response.status_code == 401, authorization
        assert response.json()["detail"]


# --- pagination arguments ------------------------------------------------------------------


def _cursor(values: list[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


async def test_bad_pagination_arguments_are_clear_errors(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    size = "`first` must be between 0 and 100."
    cursor = "The `after` cursor is not valid for this list."
    cases: list[tuple[dict[str, object], str]] = [
        ({"first": -1}, size),
        ({"first": 1000}, size),
        ({"after": "garbage!"}, cursor),
        ({"after": _cursor(["only one value"])}, cursor),
        ({"after": _cursor(["Alpha", "not-a-uuid"])}, cursor),
    ]
    for variables, expected in cases:
        response = await post(client, ORGANIZATIONS, variables, token=token)
        assert response.json()["data"] is None
        assert one_error(response) == expected, variables


async def test_bad_pagination_of_a_nested_list_names_its_path(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    query = '{ organization(slug: "a-org") { members(first: -1) { totalCount } } }'
    response = await post(client, query, token=token)
    body = response.json()
    assert one_error(response) == "`first` must be between 0 and 100."
    assert body["errors"][0]["path"] == ["organization", "members"]


# --- unexpected failures -------------------------------------------------------------------


async def test_unexpected_failure_in_a_query_is_masked(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret detail")

    token = await login(client, "a_owner")
    monkeypatch.setattr(tenants_api, "paginate", broken)
    response = await post(client, "{ organizations { totalCount } }", token=token)
    assert one_error(response) == "Unexpected error."
    assert "secret detail" not in response.text
    assert "RuntimeError" not in response.text


async def test_unexpected_failure_in_a_loader_is_masked(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret detail")

    token = await login(client, "a_owner")
    monkeypatch.setattr(Loaders, "_memberships_of_users", broken)
    response = await post(client, "{ me { memberships { role } } }", token=token)
    assert one_error(response) == "Unexpected error."
    assert "secret detail" not in response.text


async def test_unexpected_failure_in_a_mutation_is_masked(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret detail")

    token = await login(client, "a_owner")
    monkeypatch.setattr(tenants_service, "change_member_role", broken)
    variables = {"input": {"membershipId": world.membership_gid("a_viewer", "a"), "role": "ADMIN"}}
    response = await post(client, CHANGE_ROLE, variables, token=token, tenant=world.org_gid("a"))
    assert response.json()["data"] is None
    assert one_error(response) == "Unexpected error."
    assert "secret detail" not in response.text
