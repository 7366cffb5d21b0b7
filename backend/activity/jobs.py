"""The nightly check of every tenant's activity chain; each result is stored, so a break
shows up with the day it was first seen and the entry where it starts."""

from __future__ import annotations

import logging
from typing import Any

from backend.activity.service import verify
from backend.db.session import TenantSession
from backend.jobs.definitions import Job, Periodic

log = logging.getLogger(__name__)


async def _verify(db: TenantSession, _payload: dict[str, Any]) -> None:
    tenant = db.scope.write_tenant
    if tenant is None:
        raise RuntimeError("activity.verify runs in one tenant's system scope")
    verdict = await verify(db, tenant, store=True)
    if verdict.broken is not None:
        log.error(
            "activity log of %s breaks at entry %d: %s",
            tenant,
            verdict.broken.seq,
            verdict.broken.reason,
        )


VERIFY = Job("activity.verify", _verify, time_limit_seconds=3600)
NIGHTLY = Periodic("activity.nightly", VERIFY.name, "30 3 * * *")
