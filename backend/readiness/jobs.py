"""Readiness as background work: a tenant's programs scored and stored, nightly and whenever
a change asks for it (`enqueue(db, RECOMPUTE.name, tenant_id)`)."""

from __future__ import annotations

from typing import Any

from backend.db.session import TenantSession
from backend.jobs.definitions import Job, Periodic
from backend.readiness.service import recompute_active


async def _recompute(db: TenantSession, _payload: dict[str, Any]) -> None:
    await recompute_active(db)


RECOMPUTE = Job("readiness.recompute", _recompute, time_limit_seconds=600)
NIGHTLY = Periodic("readiness.nightly", RECOMPUTE.name, "0 2 * * *")
