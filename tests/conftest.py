"""Fixtures: a fresh PostgreSQL database per run, the app in-process, and seeded tenants.

The database server is TEST_DATABASE_URL (CI points it at the machine's PostgreSQL) or, when
unset, an embedded PostgreSQL under .data/test-postgres. Each run creates its own database,
migrates it as the owner, serves the app as the NOBYPASSRLS app role, and drops it after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pydantic import SecretStr
from sqlalchemy import make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from backend.app import create_app
from backend.db.migrate import migrate
from backend.embedded import start_embedded_postgres
from backend.runtime import ApiRuntime
from backend.settings import Environment, Settings
from tests.support import World, seed_world, tenant_tables

ROOT = Path(__file__).resolve().parents[1]
TEST_APP_PASSWORD = "test-app-role-kJ7rQ2xV9mWp4sLd8nHc"


def _server_url() -> URL:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return make_url(configured).set(drivername="postgresql+asyncpg")
    return make_url(start_embedded_postgres(ROOT / ".data" / "test-postgres")).set(
        drivername="postgresql+asyncpg"
    )


async def _admin(url: URL, statement: str) -> None:
    engine = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[URL]:
    server = _server_url()
    name = f"certready_test_{uuid.uuid4().hex[:12]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name)
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def settings(database_url: URL, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # Everything that matters is explicit, so a developer's shell or .env cannot leak in.
    return Settings(
        _env_file=None,
        certready_env=Environment.TEST,
        app_database_url=None,
        auth_signing_keys=None,
        graphql_introspection=None,
        database_url=database_url.render_as_string(hide_password=False),
        # Strong, so the production-mode apps of the tests may connect with the same URL.
        database_app_password=SecretStr(TEST_APP_PASSWORD),
        data_dir=tmp_path_factory.mktemp("data"),
        login_max_failures=3,
        cors_allow_origins=["https://app.example"],
        log_level="WARNING",
        broker_url=None,  # .ci/run exports the brokers for tests/jobs, which name them
        redis_url=None,
    )


@pytest.fixture(scope="session")
async def migrated(settings: Settings) -> Settings:
    password = settings.database_app_password.get_secret_value()
    await migrate(settings.owner_url, settings.database_app_role, password)
    return settings


@pytest.fixture(scope="session")
async def owner_engine(migrated: Settings) -> AsyncIterator[AsyncEngine]:
    """The schema owner (a superuser here): seeds and inspects without row-level security."""
    engine = create_async_engine(migrated.owner_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def runtime(migrated: Settings) -> AsyncIterator[ApiRuntime]:
    """For tests that work below HTTP, on the test's own event loop."""
    runtime = ApiRuntime.build(migrated)
    yield runtime
    await runtime.close()


@pytest.fixture(scope="session")
def app(migrated: Settings) -> Litestar:
    """The app owns a separate runtime: the test client serves it on a loop of its own, and
    asyncpg connections cannot cross loops. Its lifespan closes that pool after each client.
    Both runtimes share settings, hence the same signing keys."""
    return create_app(ApiRuntime.build(migrated))


@pytest.fixture
async def client(
    app: Litestar, owner_engine: AsyncEngine
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts from empty tables (only for tests that touched the database).

    The standards catalog is loaded once by the migration and shared, like in production.
    A test leaves a few rows: deleting them, dependents first, takes a fraction of what
    TRUNCATE's lock and file work on every table costs. The owner deletes, so append-only
    guards let it."""
    yield
    if "owner_engine" not in request.fixturenames:
        return
    engine: AsyncEngine = request.getfixturevalue("owner_engine")
    deletes = " ".join(f"DELETE FROM {table};" for table in tenant_tables())
    async with engine.begin() as connection:
        await connection.execute(text(f"DO $$ BEGIN {deletes} END $$"))


@pytest.fixture
async def world(owner_engine: AsyncEngine) -> World:
    return await seed_world(owner_engine)
