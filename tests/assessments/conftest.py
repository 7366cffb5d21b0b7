"""Fixtures of the gap-analysis tests: the test catalog and the scene built on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.catalog.models import Standard
from backend.runtime import Runtime
from tests.assessments.helpers import (
    ENVIRONMENT_CLAUSES,
    QUALITY_CLAUSES,
    SECURITY_CLAUSES,
    Catalog,
    Scene,
    seed_standard,
)
from tests.support import World


@pytest.fixture(scope="module")
async def catalog(owner_engine: AsyncEngine) -> AsyncIterator[Catalog]:
    """Seeded per module and removed after it, so tests elsewhere see only the real catalog."""
    async with AsyncSession(owner_engine) as db:
        seeded = Catalog(
            security=await seed_standard(db, "TEST ISMS", "2022", SECURITY_CLAUSES, controls=True),
            quality=await seed_standard(db, "TEST QMS", "2015", QUALITY_CLAUSES),
            environment=await seed_standard(db, "TEST EMS", "2015", ENVIRONMENT_CLAUSES),
        )
        await db.commit()
    yield seeded
    ids = [seeded.security.id, seeded.quality.id, seeded.environment.id]
    async with AsyncSession(owner_engine) as db:
        await db.execute(delete(Standard).where(Standard.id.in_(ids)))
        await db.commit()


@pytest.fixture
def scene(world: World, catalog: Catalog, owner_engine: AsyncEngine, runtime: Runtime) -> Scene:
    return Scene(world, catalog, owner_engine, runtime)
