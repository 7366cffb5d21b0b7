"""/metrics after real requests: per-operation counts and latency, errors by code, the pool,
the outbox backlog, job counts and readiness recompute time; no tenant in any label; the
token guards it and production without one does not serve it."""

from __future__ import annotations

import uuid

import pytest
from litestar.testing import AsyncTestClient
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.app import create_app
from backend.core import metrics
from backend.jobs.outbox import enqueue
from backend.observability import configure_logging
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tests.api.helpers import count_statements, production_settings
from tests.observe.conftest import scrape, value
from tests.support import LOGIN, Client, World, gql, login

REQUESTS, SECONDS = "certready_graphql_requests_total", "certready_graphql_request_seconds_count"
ERRORS = "certready_errors_total"
ALLOWED_LABELS = {"operation", "code", "state", "job", "le"}


async def test_requests_and_latency_are_counted_per_operation_name(
    traced: Client, world: World
) -> None:
    before = await scrape(traced)
    await login(traced, "a_owner")  # operation `Login`
    await gql(traced, "query Mine { me { user { id } } }")
    await gql(traced, "{ __typename }")
    await gql(traced, "query Broken { nope }")
    after = await scrape(traced)
    for operation, count in [("Login", 1), ("Mine", 1), ("anonymous", 1), ("invalid", 1)]:
        delta = value(after, REQUESTS, operation=operation) - value(
            before, REQUESTS, operation=operation
        )
        assert delta == count, operation
        timed = value(after, SECONDS, operation=operation) - value(
            before, SECONDS, operation=operation
        )
        assert timed == count, operation
    assert not [key for key in after if "nope" in str(key) or "Broken" in str(key)]


async def test_errors_are_counted_by_code(traced: Client, world: World) -> None:
    before = await scrape(traced)
    wrong = {"email": "a_owner@example.test", "password": "not-the-password"}
    assert (await gql(traced, LOGIN, wrong))["data"]["login"]["errors"]
    await gql(traced, "{ programs { totalCount } }")  # not logged in
    await gql(traced, "{ nope }")
    after = await scrape(traced)
    for code in ("invalid_credentials", "unauthenticated", "request"):
        assert value(after, ERRORS, code=code) - value(before, ERRORS, code=code) == 1, code


def test_unknown_operation_names_beyond_the_bound_share_one_label(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics, "_seen", set())
    names = [f"Op{i}" for i in range(metrics.MAX_OPERATIONS)]
    assert [metrics.operation_label(name) for name in names] == names
    assert metrics.operation_label("OneTooMany") == metrics.OTHER
    assert metrics.operation_label(names[0]) == names[0]
    assert metrics.operation_label(None) == metrics.ANONYMOUS


async def test_outbox_backlog_and_age_are_read_at_scrape_in_one_statement(
    traced: Client, world: World, runtime: ApiRuntime
) -> None:
    for tenant in (world.orgs["a"].id, world.orgs["b"].id):
        async with runtime.acting_in(tenant) as db:
            await enqueue(db, "tests.nobody_runs_this", tenant)
            await db.commit()
    with count_statements() as statements:
        samples = await scrape(traced)
    assert value(samples, "certready_outbox_backlog") == 2  # both tenants, past RLS
    assert value(samples, "certready_outbox_oldest_age_seconds") >= 0
    assert len(statements) == 1, statements
    assert value(samples, "certready_jobs_enqueued_total", job="tests.nobody_runs_this") >= 2


async def test_pool_use_is_exposed(traced: Client, world: World) -> None:
    await login(traced, "a_owner")
    samples = await scrape(traced)
    assert value(samples, "certready_db_pool_connections", state="size") >= 1
    assert ("certready_db_pool_connections", (("state", "checked_out"),)) in samples


async def test_no_label_names_a_tenant_or_a_user(traced: Client, world: World) -> None:
    owner = await login(traced, "a_owner")
    await gql(traced, "query Mine { me { user { id } } }", token=owner, tenant=world.org_gid("a"))
    samples = await scrape(traced)
    ours = [key for key in samples if key[0].startswith("certready_")]
    assert ours
    names = {label for _, labels in ours for label, _ in labels}
    assert names <= ALLOWED_LABELS, names
    identities = {str(org.id) for org in world.orgs.values()}
    identities |= {org.slug for org in world.orgs.values()}
    identities |= {str(user.id) for user in world.users.values()}
    identities |= {world.org_gid(name) for name in world.orgs}
    assert not [key for key in ours if {v for _, v in key[1]} & identities]


async def test_production_without_a_token_serves_no_metrics(
    migrated: Settings, owner_engine: AsyncEngine
) -> None:
    try:
        app = create_app(ApiRuntime.build(production_settings(migrated)))
        async with AsyncTestClient(app) as client:
            assert (await client.get("/metrics")).status_code == 404
    finally:
        configure_logging(migrated)  # the production app switched logging to JSON


async def test_a_token_guards_metrics(migrated: Settings, owner_engine: AsyncEngine) -> None:
    token = uuid.uuid4().hex
    guarded = production_settings(migrated).model_copy(update={"metrics_token": SecretStr(token)})
    try:
        async with AsyncTestClient(create_app(ApiRuntime.build(guarded))) as client:
            assert (await client.get("/metrics")).status_code == 401
            wrong = {"Authorization": "Bearer nope"}
            assert (await client.get("/metrics", headers=wrong)).status_code == 401
            assert await scrape(client, token)
    finally:
        configure_logging(migrated)
