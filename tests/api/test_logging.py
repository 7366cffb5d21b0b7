"""Every request leaves one structured log line with its request id, user and tenant."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient

from backend.api import tenants as tenants_api
from backend.app import create_app
from backend.observability import configure_logging
from backend.runtime import ApiRuntime
from backend.settings import LogFormat, Settings
from tests.support import Client, World, gql, login


@pytest.fixture
def json_settings(migrated: Settings) -> Iterator[Settings]:
    settings = migrated.model_copy(update={"log_format": LogFormat.JSON, "log_level": "INFO"})
    yield settings
    configure_logging(migrated)


async def test_request_log_line_names_request_user_and_tenant(
    json_settings: Settings, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(ApiRuntime.build(json_settings))
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        token = await login(client, "a_owner")
        capsys.readouterr()
        await gql(client, "{ me { user { id } } }", token=token, tenant=world.org_gid("a"))
        await client.get("/health/live", headers={"X-Request-ID": "trace-42"})
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    requests = [line for line in lines if line.get("event") == "request"]
    graphql, health = requests
    assert graphql["path"] == "/graphql"
    assert graphql["status"] == 200
    assert graphql["user_id"] == str(world.users["a_owner"].id)
    assert graphql["tenant_id"] == str(world.orgs["a"].id)
    assert len(graphql["request_id"]) == 32
    assert health["request_id"] == "trace-42"
    assert "user_id" not in health


async def test_only_unexpected_errors_are_logged_as_faults(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database on fire")

    token = await login(client, "a_owner")
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        await gql(client, "{ organizations { totalCount } }")  # not signed in: an answer
        await gql(client, '{ node(id: "bm90LWFuLWlk") { id } }', token=token)  # bad id
        assert caplog.records == []
        monkeypatch.setattr(tenants_api, "paginate", broken)
        await gql(client, "{ organizations { totalCount } }", token=token)
    assert any(record.exc_info for record in caplog.records)
    assert "database on fire" in caplog.text
