"""A second app in production mode, over the same database as the test app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.app import create_app
from backend.observability import configure_logging
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tests.api.helpers import production_settings
from tests.support import Client


@pytest.fixture(scope="module")
async def production_app(migrated: Settings) -> AsyncIterator[Litestar]:
    runtime = ApiRuntime.build(production_settings(migrated))
    try:
        yield create_app(runtime)
    finally:
        await runtime.close()
        configure_logging(migrated)  # building the app switched logging to production's format


@pytest.fixture
async def production_client(
    production_app: Litestar, owner_engine: AsyncEngine
) -> AsyncIterator[Client]:
    async with AsyncTestClient(production_app, base_url="http://testserver.local") as client:
        yield client
