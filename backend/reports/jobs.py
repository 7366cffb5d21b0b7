"""Reports as background work: a queued PDF report rendered by the worker."""

from __future__ import annotations

import uuid
from typing import Any

from backend.db.session import TenantSession
from backend.jobs.definitions import Job
from backend.reports.service import RENDER_JOB, render_pending


async def _render(db: TenantSession, payload: dict[str, Any]) -> None:
    await render_pending(db, uuid.UUID(payload["report"]))


RENDER = Job(RENDER_JOB, _render, max_failures=3, time_limit_seconds=120)
