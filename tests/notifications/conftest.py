"""Fixtures of the notifications tests: the planning seed (tenant A with a manager and a
contributor besides the world's people, B with its owner) and the objects falling due."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.notifications.helpers import Expected, seed_due
from tests.planning.helpers import Plan, remove_plan, seed_plan
from tests.support import World


@pytest.fixture
async def plan(owner_engine: AsyncEngine, world: World) -> AsyncIterator[Plan]:
    seeded = await seed_plan(owner_engine, world)
    yield seeded
    await remove_plan(owner_engine, seeded)


@pytest.fixture
async def due(owner_engine: AsyncEngine, plan: Plan) -> Expected:
    return await seed_due(owner_engine, plan)
