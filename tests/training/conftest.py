"""Fixtures of the training tests: the planning tests' seeded programs, a session below the
API, A's acting owner, and an evidence item of each tenant to serve as a certificate."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.evidence.models import EvidenceItem, EvidenceKind
from backend.runtime import Runtime
from tenants.roles import Role
from tests.planning.helpers import Plan, acting, remove_plan, seed_plan
from tests.support import World


@pytest.fixture
async def plan(owner_engine: AsyncEngine, world: World) -> AsyncIterator[Plan]:
    seeded = await seed_plan(owner_engine, world)
    yield seeded
    await remove_plan(owner_engine, seeded)


@pytest.fixture
async def session(runtime: Runtime, plan: Plan) -> AsyncIterator[TenantSession]:
    """Closed before the plan is removed, so a refused change's locks cannot block that."""
    async with runtime.sessions() as db:
        yield db


@pytest.fixture
async def owner_a(session: TenantSession, plan: Plan) -> Actor:
    """A's owner, acting in A, on `session`."""
    return await acting(session, plan, "a_owner", "a", Role.OWNER)


@pytest.fixture
async def certificates(owner_engine: AsyncEngine, plan: Plan) -> dict[str, uuid.UUID]:
    """Certificate evidence: "a" and "b" of those tenants, "deleted" a deleted one of A."""
    items = {
        "a": EvidenceItem(tenant_id=plan.orgs["a"]),
        "b": EvidenceItem(tenant_id=plan.orgs["b"]),
        "deleted": EvidenceItem(tenant_id=plan.orgs["a"], deleted_at=datetime.now(UTC)),
    }
    async with AsyncSession(owner_engine, expire_on_commit=False) as db:
        for name, item in items.items():
            item.id = uuid.uuid4()
            item.title = f"Certificate {name}"
            item.kind = EvidenceKind.CERTIFICATE.value
            db.add(item)
        await db.commit()
    return {name: item.id for name, item in items.items()}
