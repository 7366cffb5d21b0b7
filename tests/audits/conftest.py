"""Fixtures of the audits tests: the findings seed (standards P and Q share harmonized
clauses 7.5 and 9.2; tenant A runs a program on each, B one on P), a session below the API,
and A's owner acting in A."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.runtime import Runtime
from tenants.roles import Role
from tests.findings.helpers import seed_findings
from tests.planning.helpers import Plan, acting, remove_plan
from tests.support import World


@pytest.fixture
async def plan(owner_engine: AsyncEngine, world: World) -> AsyncIterator[Plan]:
    seeded = await seed_findings(owner_engine, world)
    yield seeded
    await remove_plan(owner_engine, seeded)


@pytest.fixture
async def session(runtime: Runtime) -> AsyncIterator[TenantSession]:
    async with runtime.sessions() as db:
        yield db


@pytest.fixture
async def owner_a(session: TenantSession, plan: Plan) -> Actor:
    """A's owner, acting in A, on `session`."""
    return await acting(session, plan, "a_owner", "a", Role.OWNER)
