"""Enqueueing: a job is a row written in the transaction of the change that causes it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select, text

from backend.core.access import Actor, Permission, for_change
from backend.core.errors import invalid
from backend.core.metrics import JOBS_ENQUEUED
from backend.core.telemetry import current_traceparent
from backend.db.session import TenantSession
from backend.jobs.models import JobStatus, OutboxMessage
from backend.jobs.sql import CHANNEL

_WAKE = text(f"SELECT pg_notify('{CHANNEL}', '')")


async def enqueue(
    db: TenantSession, job: str, tenant_id: uuid.UUID, payload: dict[str, Any] | None = None
) -> OutboxMessage:
    """Add the job to the caller's transaction: it is sent if and only if that commits
    (PostgreSQL delivers the notification that wakes the relay at commit, too)."""
    row = OutboxMessage(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        job=job,
        payload=payload or {},
        traceparent=current_traceparent(),
    )
    db.add(row)
    await db.flush()
    await db.execute(_WAKE)
    JOBS_ENQUEUED.labels(job=job).inc()
    return row


def failed_statement() -> Select[OutboxMessage]:
    """Dead-lettered jobs of the tenants the caller reads."""
    return select(OutboxMessage).where(OutboxMessage.status == JobStatus.DEAD.value)


async def retry(db: TenantSession, actor: Actor, job_id: uuid.UUID) -> OutboxMessage:
    """Give a dead job its failures back and queue it again (owners and admins)."""
    row = await for_change(
        db, actor, OutboxMessage, job_id, permission=Permission.MANAGE_JOBS, what="Job"
    )
    if row.status != JobStatus.DEAD.value:
        raise invalid("Only a dead-lettered job can be retried.", ["id"])
    row.status, row.failures, row.published_at = JobStatus.PENDING.value, 0, None
    await db.execute(_WAKE)
    await db.commit()
    return row
