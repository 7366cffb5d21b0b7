"""The last lines behind the cost limit: a time budget and a cap on the answer's size. Each
refuses with a clear GraphQL error and a logged warning, and the server keeps serving others;
a server error is logged with its traceback and request id."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.api import context
from backend.app import create_app
from backend.observability import configure_logging
from backend.runtime import ApiRuntime
from backend.settings import LogFormat, Settings
from tests.api.helpers import headers, messages
from tests.api.test_list_item_failure import discarded_connections
from tests.support import Client, World, login

Served = Callable[..., AbstractAsyncContextManager[tuple[Client, Litestar]]]
# Real work within the cost limit: the catalog's requirements, fifteen times over.
HEAVY = "{ %s }" % " ".join(  # noqa: UP031 - GraphQL braces read better than doubled ones
    f"a{i}: standards {{ requirements {{ id number title guidance hsKey }} }}" for i in range(15)
)


@pytest.fixture
def served(migrated: Settings) -> Served:
    """An app of its own with some settings changed, logging JSON lines at INFO."""

    @asynccontextmanager
    async def serve(**changes: Any) -> AsyncIterator[tuple[Client, Litestar]]:
        update = {"log_format": LogFormat.JSON, "log_level": "INFO", **changes}
        app = create_app(ApiRuntime.build(migrated.model_copy(update=update)))
        try:
            async with AsyncTestClient(app, base_url="http://testserver.local") as client:
                yield client, app
        finally:
            configure_logging(migrated)

    return serve


def log_lines(captured: str, event: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == event]


async def test_an_operation_over_its_time_budget_is_refused_and_others_are_served(
    served: Served, client: Client, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await login(client, "a_viewer")  # logging in takes longer than this budget
    budget = {"graphql_time_budget_seconds": 0.01, "graphql_max_cost": 10**9}
    async with served(**budget) as (budgeted, app):
        capsys.readouterr()
        with discarded_connections(app) as discarded:
            graphql = asyncio.ensure_future(
                budgeted.post(
                    "/graphql",
                    json={"query": HEAVY},
                    headers={**headers(token), "X-Request-ID": "slow-1"},
                )
            )
            health = await budgeted.get("/health/live")
            assert health.status_code == 200
            assert not graphql.done()  # answered while the heavy operation still ran
            response = await graphql
        runtime: ApiRuntime = app.state.runtime
        assert discarded == []
        assert runtime.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    (message,) = messages(response)
    assert message == (
        "The operation took longer than its time budget of 0.01 s"
        " (GRAPHQL_TIME_BUDGET_SECONDS); ask for less."
    )
    assert response.json()["data"] is None
    (warning,) = log_lines(capsys.readouterr().err, "time budget exceeded")
    assert (warning["level"], warning["request_id"]) == ("warning", "slow-1")
    assert warning["budget_seconds"] == 0.01


async def test_an_answer_over_the_size_cap_is_refused(
    served: Served, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    async with served(graphql_max_response_bytes=1_000) as (client, _):
        token = await login(client, "a_viewer")
        capsys.readouterr()
        response = await client.post(
            "/graphql",
            json={"query": "{ standards { code title purpose } }"},
            headers={**headers(token), "X-Request-ID": "big-1"},
        )
        small = await client.post(
            "/graphql", json={"query": "{ standards { code } }"}, headers=headers(token)
        )
    (message,) = messages(response)
    assert message.startswith("The answer would be ")
    assert message.endswith(
        " bytes, more than the limit of 1000 (GRAPHQL_MAX_RESPONSE_BYTES); ask for fewer"
        " fields or items."
    )
    assert messages(small) == []
    (warning,) = log_lines(capsys.readouterr().err, "response too large")
    assert (warning["request_id"], warning["max_bytes"]) == ("big-1", 1_000)
    assert warning["size_bytes"] > 1_000


async def test_a_server_error_is_logged_with_its_traceback_and_request_id(
    served: Served,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("entitlements on fire")

    async with served() as (client, _):
        token = await login(client, "a_viewer")
        monkeypatch.setattr(context, "load_session_entitlements", broken)
        capsys.readouterr()
        response = await client.post(
            "/graphql",
            json={"query": "{ me { user { name } } }"},
            headers={**headers(token), "X-Request-ID": "fault-1"},
        )
        not_found = await client.get("/no-such-path")
    assert (response.status_code, not_found.status_code) == (500, 404)
    (fault,) = log_lines(capsys.readouterr().err, "server error")
    assert (fault["level"], fault["request_id"]) == ("error", "fault-1")
    assert "RuntimeError: entitlements on fire" in fault["exception"]
    assert "Traceback" in fault["exception"]
