"""Periodic work: due schedules claimed with SKIP LOCKED, so a tick runs once however many
schedulers run. A tick writes one outbox job per client organization and moves the schedule
to its next time; both commit together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from croniter import croniter
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from backend.jobs.definitions import Periodic
from backend.jobs.models import Schedule
from backend.runtime import Runtime

log = logging.getLogger(__name__)
_FAN_OUT = text("SELECT job_outbox_fan_out(:job, CAST(:payload AS jsonb))")


class ScheduleError(ValueError):
    """A schedule's cron expression does not parse."""


def next_run(cron: str, after: datetime) -> datetime:
    if not croniter.is_valid(cron):
        raise ScheduleError(f"not a cron expression: {cron!r}")
    found: datetime = croniter(cron, after).get_next(datetime)
    return found


async def register(runtime: Runtime, periodic: Sequence[Periodic]) -> None:
    """Store each schedule (a changed cron takes effect from now); unknown ones stay."""
    now = datetime.now(UTC)
    async with runtime.sessions() as db:
        for item in periodic:
            statement = insert(Schedule).values(
                name=item.name, job=item.job, cron=item.cron, next_run_at=next_run(item.cron, now)
            )
            changed = Schedule.cron != statement.excluded.cron
            await db.execute(
                statement.on_conflict_do_update(
                    index_elements=[Schedule.name],
                    set_={
                        "job": statement.excluded.job,
                        "cron": statement.excluded.cron,
                        "next_run_at": statement.excluded.next_run_at,
                    },
                    where=changed | (Schedule.job != statement.excluded.job),
                )
            )
        await db.commit()


async def tick(runtime: Runtime) -> list[str]:
    """Run every due schedule once; the names of those run."""
    ran = []
    async with runtime.sessions() as db:
        due = (
            await db.scalars(
                select(Schedule)
                .where(Schedule.next_run_at <= datetime.now(UTC))
                .with_for_update(skip_locked=True)
            )
        ).all()
        for schedule in due:
            now = datetime.now(UTC)
            await db.execute(_FAN_OUT, {"job": schedule.job, "payload": "{}"})
            schedule.last_run_at, schedule.next_run_at = now, next_run(schedule.cron, now)
            ran.append(schedule.name)
        await db.commit()
    return ran


async def run(runtime: Runtime, periodic: Sequence[Periodic], stop: asyncio.Event) -> None:
    await register(runtime, periodic)
    while not stop.is_set():
        try:
            for name in await tick(runtime):
                log.info("schedule %s ran", name)
        except Exception:
            log.exception("running schedules failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=runtime.settings.job_poll_seconds)
