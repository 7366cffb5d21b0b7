"""Production mode: no IDE, no GET, no introspection, no field suggestions; POST still serves."""

from __future__ import annotations

import pytest

from backend.api import tenants as tenants_api
from tests.api.helpers import messages, one_error, post
from tests.support import Client, World, gql, login

INTROSPECTION = ("{ __schema { types { name } } }", '{ __type(name: "User") { fields { name } } }')


async def test_production_serves_no_graphql_ide(production_client: Client, client: Client) -> None:
    response = await production_client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code != 200
    assert "text/html" not in response.headers.get("content-type", "")
    assert "graphiql" not in response.text.lower()

    in_test_mode = await client.get("/graphql", headers={"accept": "text/html"})
    assert in_test_mode.status_code == 200
    assert in_test_mode.headers["content-type"].startswith("text/html")


async def test_production_refuses_queries_over_get(
    production_client: Client, client: Client
) -> None:
    response = await production_client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code in {400, 404, 405}
    assert "Query" not in response.text

    in_test_mode = await client.get("/graphql", params={"query": "{ __typename }"})
    assert in_test_mode.json() == {"data": {"__typename": "Query"}}


async def test_production_refuses_introspection(production_client: Client) -> None:
    for query in INTROSPECTION:
        response = await post(production_client, query)
        found = messages(response)
        assert response.json().get("data") is None
        assert found
        assert all(m.startswith("GraphQL introspection has been disabled") for m in found), found


async def test_test_mode_allows_introspection(client: Client) -> None:
    response = await post(client, INTROSPECTION[0])
    assert messages(response) == []
    names = {t["name"] for t in response.json()["data"]["__schema"]["types"]}
    assert {"Organization", "Membership", "UserError"} <= names


async def test_production_validation_errors_carry_no_suggestions(
    production_client: Client, client: Client
) -> None:
    cases = {
        "{ me { user { emial } } }": "Cannot query field 'emial' on type 'User'.",
        "{ organizations(frist: 1) { totalCount } }": "Unknown argument 'frist'",
        "{ organizations(kind: CLIENTT) { totalCount } }": "Value 'CLIENTT' does not exist",
        "query($f: Intt) { organizations(first: $f) { totalCount } }": "Unknown type 'Intt'.",
    }
    for query, start in cases.items():
        in_production = one_error(await post(production_client, query))
        assert in_production.startswith(start)
        assert "Did you mean" not in in_production
        in_test_mode = one_error(await post(client, query))
        assert in_test_mode.startswith(start)
        assert "Did you mean" in in_test_mode


async def test_production_answers_posted_queries(production_client: Client, world: World) -> None:
    assert await gql(production_client, "{ __typename }") == {"data": {"__typename": "Query"}}
    token = await login(production_client, "a_owner")
    query = "{ me { user { email } organizations { role } } }"
    me = (await gql(production_client, query, token=token))["data"]["me"]
    assert me == {"user": {"email": "a_owner@example.test"}, "organizations": [{"role": "OWNER"}]}


async def test_production_masks_unexpected_errors(
    production_client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret detail")

    token = await login(production_client, "a_owner")
    monkeypatch.setattr(tenants_api, "paginate", broken)
    response = await post(production_client, "{ organizations { totalCount } }", token=token)
    assert one_error(response) == "Unexpected error."
    assert "secret detail" not in response.text
