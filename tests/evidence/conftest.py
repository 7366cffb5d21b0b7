"""Fixtures of the evidence tests: the planning seed (programs, steps, requirements), a
session below the API, the in-memory store and an acting owner of tenant A."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.runtime import Runtime
from tenants.roles import Role
from tests.evidence.helpers import MemoryStore, mark_expects_evidence
from tests.planning.helpers import Plan, acting, remove_plan, seed_plan
from tests.support import World


@pytest.fixture
async def plan(owner_engine: AsyncEngine, world: World) -> AsyncIterator[Plan]:
    seeded = await seed_plan(owner_engine, world)
    await mark_expects_evidence(owner_engine, seeded)
    yield seeded
    await remove_plan(owner_engine, seeded)


@pytest.fixture
async def session(runtime: Runtime) -> AsyncIterator[TenantSession]:
    async with runtime.sessions() as db:
        yield db


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def owner_a(session: TenantSession, plan: Plan) -> Actor:
    return await acting(session, plan, "a_owner", "a", Role.OWNER)
