"""Fixtures of the documents tests: ISO 9001 programs, a session below the API, actors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.session import TenantSession
from backend.runtime import Runtime
from tests.documents.helpers import Setup, seed
from tests.support import World


@pytest.fixture
async def setup(owner_engine: AsyncEngine, world: World) -> Setup:
    return await seed(owner_engine, world)


@pytest.fixture
async def session(runtime: Runtime) -> AsyncIterator[TenantSession]:
    async with runtime.sessions() as db:
        yield db
