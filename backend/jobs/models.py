"""The outbox of jobs and the schedule of periodic work."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, value_enum


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    """Committed, not yet handed to the broker."""
    PUBLISHED = "published"
    """Handed to the broker; published again if not done within the visibility time."""
    DONE = "done"
    DEAD = "dead"
    """Failed as often as its job allows; waits for a person to retry it."""


class OutboxMessage(Identified, TenantOwned, Base):
    """One job for one tenant; its id is the idempotency key of every delivery."""

    __tablename__ = "job_outbox"
    activity_logged: ClassVar[bool] = False  # derived or machinery: not in the log
    __table_args__ = (
        Index(
            "ix_job_outbox_open",
            "published_at",
            postgresql_where=text("status IN ('pending', 'published')"),
        ),
    )

    job: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    status: Mapped[str] = mapped_column(
        value_enum(JobStatus, "job_status"), server_default=JobStatus.PENDING.value
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    published_at: Mapped[datetime | None]
    publications: Mapped[int] = mapped_column(Integer, server_default="0")
    failures: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
    traceparent: Mapped[str | None] = mapped_column(String(55))
    """The W3C trace context of the span that enqueued the job, which its run continues."""


class Schedule(Base):
    """When a periodic job runs next; one row per registered schedule, shared by every
    scheduler replica, which claim due rows with SKIP LOCKED so a tick runs once."""

    __tablename__ = "job_schedules"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    cron: Mapped[str] = mapped_column(String(100))
    next_run_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None]
