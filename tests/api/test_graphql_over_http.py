"""The `application/graphql-response+json` media type of the GraphQL-over-HTTP spec."""

from __future__ import annotations

from typing import Any

from tests.support import Client, World, login

MEDIA_TYPE = "application/graphql-response+json"


async def _post(
    client: Client, query: str, accept: str, token: str | None = None
) -> tuple[int, str, dict[str, Any]]:
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    return response.status_code, response.headers["content-type"], response.json()


async def test_validation_error_is_400_without_data(client: Client) -> None:
    status, media_type, body = await _post(client, "{ me { nope } }", MEDIA_TYPE)
    assert status == 400
    assert media_type.startswith(MEDIA_TYPE)
    assert "data" not in body
    assert body["errors"]


async def test_parse_error_is_400(client: Client) -> None:
    status, _, body = await _post(client, "{ me {", MEDIA_TYPE)
    assert status == 400
    assert "data" not in body


async def test_success_is_200_with_the_new_media_type(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    status, media_type, body = await _post(client, "{ me { user { email } } }", MEDIA_TYPE, token)
    assert (status, media_type.split(";")[0]) == (200, MEDIA_TYPE)
    assert body == {"data": {"me": {"user": {"email": "a_owner@example.test"}}}}


async def test_field_errors_stay_200(client: Client) -> None:
    status, _, body = await _post(client, "{ organizations { totalCount } }", MEDIA_TYPE)
    assert status == 200
    assert body["errors"][0]["path"] == ["organizations"]


async def test_plain_json_clients_keep_status_200(client: Client) -> None:
    status, media_type, body = await _post(client, "{ me { nope } }", "application/json")
    assert (status, media_type.split(";")[0]) == (200, "application/json")
    assert body["data"] is None
