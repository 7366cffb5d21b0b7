"""Jobs for the tests: one with a countable effect, one that always fails."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.session import TenantSession
from backend.jobs.definitions import Job
from tenants.models import Organization


async def _bump(db: TenantSession, payload: dict[str, Any]) -> None:
    """Add one day to the tenant's operation period: each effect counts once."""
    await asyncio.sleep(float(payload.get("seconds", 0)))
    await db.execute(
        update(Organization)
        .where(Organization.id == uuid.UUID(payload["tenant"]))
        .values(operation_period_days=Organization.operation_period_days + 1)
    )


async def _poison(_db: TenantSession, _payload: dict[str, Any]) -> None:
    raise ValueError("this job never works")


BUMP = Job("tests.bump", _bump, time_limit_seconds=30)
POISON = Job("tests.poison", _poison, max_failures=2)
TEST_JOBS = (BUMP, POISON)


async def wait_finished(
    owner: AsyncEngine, ids: list[uuid.UUID], within: float = 60.0
) -> dict[uuid.UUID, str]:
    """Every job's status once none is open any more (or when the time is up)."""
    deadline = time.monotonic() + within
    statuses: dict[uuid.UUID, str] = {}
    while time.monotonic() < deadline:
        async with owner.connect() as connection:
            rows = await connection.execute(
                text("SELECT id, status::text FROM job_outbox WHERE id = ANY(:ids)"), {"ids": ids}
            )
            statuses = {row[0]: row[1] for row in rows}
        if all(status in {"done", "dead"} for status in statuses.values()):
            return statuses
        await asyncio.sleep(0.2)
    return statuses


async def period_of(owner: AsyncEngine, tenant_id: uuid.UUID) -> int:
    async with owner.connect() as connection:
        days = await connection.scalar(
            text("SELECT operation_period_days FROM organizations WHERE id = :id"),
            {"id": tenant_id},
        )
    return int(days)
