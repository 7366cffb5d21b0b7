"""Fixtures of the certification tests: the audits tests' (the findings seed, a session below
the API, A's owner acting in A), with A's programs naming the world's certification body."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.audits.conftest import owner_a, session
from tests.findings.helpers import seed_findings
from tests.planning.helpers import Plan, remove_plan
from tests.support import World

__all__ = ["owner_a", "plan", "session"]


@pytest.fixture
async def plan(owner_engine: AsyncEngine, world: World) -> AsyncIterator[Plan]:
    """The findings seed; A's two programs are certified by the body A granted access."""
    seeded = await seed_findings(owner_engine, world)
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE programs SET certification_body_id = :body WHERE tenant_id = :a"),
            {"body": seeded.orgs["body"], "a": seeded.orgs["a"]},
        )
    yield seeded
    await remove_plan(owner_engine, seeded)
