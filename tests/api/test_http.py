"""The HTTP surface around GraphQL: health probes, request ids and CORS."""

from __future__ import annotations

import re

from litestar import Litestar
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.migrate import head_revision
from tests.api.helpers import ALLOWED_ORIGIN, count_statements, messages, post
from tests.support import Client, World, login

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


async def test_liveness(client: Client) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_reports_the_head_revision(client: Client) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "revision": head_revision()}


async def test_readiness_is_503_while_migrations_are_pending(
    client: Client, owner_engine: AsyncEngine
) -> None:
    async with owner_engine.begin() as connection:
        current = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        await connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json() == {
            "status": "migrations pending",
            "revision": "older",
            "expected": head_revision(),
        }
    finally:
        async with owner_engine.begin() as connection:
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :current"), {"current": current}
            )
    assert (await client.get("/health/ready")).status_code == 200


async def test_every_response_carries_a_request_id(client: Client) -> None:
    responses = [
        await client.get("/health/live"),
        await client.post("/graphql", json={"query": "{ __typename }"}),
        await client.post("/graphql", content=b"{", headers={"content-type": "application/json"}),
        await client.get("/.well-known/jwks.json"),
        await client.get("/no/such/path"),
        await client.delete("/health/live"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 400, 200, 404, 405]
    ids = [r.headers["x-request-id"] for r in responses]
    assert all(GENERATED_ID.match(i) for i in ids), ids
    assert len(set(ids)) == len(ids)


async def test_a_sane_incoming_request_id_is_echoed(client: Client) -> None:
    for incoming in ("req-123.abc_DEF", "a" * 128):
        response = await client.get("/health/live", headers={"X-Request-ID": incoming})
        assert response.headers["x-request-id"] == incoming
    unmatched = await client.get("/nowhere", headers={"X-Request-ID": "req-404"})
    assert unmatched.headers["x-request-id"] == "req-404"


async def test_an_unsafe_incoming_request_id_is_replaced(client: Client) -> None:
    for incoming in ("a" * 300, "has spaces in it", "semi;colon", "a" * 129):
        response = await client.get("/health/live", headers={"X-Request-ID": incoming})
        echoed = response.headers["x-request-id"]
        assert echoed != incoming
        assert GENERATED_ID.match(echoed)


async def test_cors_preflight_from_the_allowed_origin(client: Client) -> None:
    response = await client.options(
        "/graphql",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-tenant-id",
        },
    )
    assert response.status_code in {200, 204}
    assert GENERATED_ID.match(response.headers["x-request-id"])
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "x-tenant-id", "content-type"} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_cors_preflight_from_another_origin_is_not_allowed(client: Client) -> None:
    response = await client.options(
        "/graphql",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, x-tenant-id",
        },
    )
    assert response.headers.get("access-control-allow-origin") not in {"https://evil.example", "*"}
    assert response.status_code >= 400


async def test_cors_on_a_post_from_the_allowed_origin_exposes_the_request_id(
    client: Client,
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": ALLOWED_ORIGIN}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


async def test_cors_on_a_post_from_another_origin_does_not_allow_it(client: Client) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in response.headers


async def test_a_cached_response_carries_this_request_id_only(client: Client) -> None:
    first = await client.get("/.well-known/jwks.json", headers={"X-Request-ID": "first"})
    second = await client.get("/.well-known/jwks.json", headers={"X-Request-ID": "second"})
    assert first.headers.get_list("x-request-id") == ["first"]
    assert second.headers.get_list("x-request-id") == ["second"]


async def test_a_query_that_reads_nothing_takes_no_connection(
    app: Litestar, client: Client
) -> None:
    """No session, transaction or ping for `{ __typename }`, with or without an error."""
    checkouts: list[object] = []

    def checked_out(*args: object) -> None:
        checkouts.append(args)

    pool = app.state.runtime.engine.sync_engine.pool
    event.listen(pool, "checkout", checked_out)
    try:
        answers = [
            await client.post("/graphql", json={"query": "{ __typename }"}),
            await client.post("/graphql", json={"query": "{ nope }"}),
        ]
    finally:
        event.remove(pool, "checkout", checked_out)
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].json() == {"data": {"__typename": "Query"}}
    assert checkouts == []


async def test_me_costs_the_login_statement_alone(
    app: Litestar, client: Client, world: World
) -> None:
    """The login check reads the caller's row too, so `me` runs no statement of its own, and
    the scope the login gives is never written, since no statement follows to read it."""
    token = await login(client, "a_owner")
    await post(client, "{ me { user { email } } }", token=token)  # the connection is set up
    checkouts: list[object] = []

    def checked_out(*args: object) -> None:
        checkouts.append(args)

    engine = app.state.runtime.engine
    event.listen(engine.sync_engine.pool, "checkout", checked_out)
    try:
        with count_statements(engine) as statements:
            answer = await post(client, "{ me { user { email } } }", token=token)
    finally:
        event.remove(engine.sync_engine.pool, "checkout", checked_out)
    assert messages(answer) == []
    assert answer.json()["data"]["me"]["user"]["email"] == "a_owner@example.test"
    assert len(statements) == 1
    assert "login_entitlements" in statements[0]
    assert len(checkouts) == 1
