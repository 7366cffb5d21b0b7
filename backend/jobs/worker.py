"""Running jobs: each delivery does its work at most once in effect.

A delivery carries only the outbox id and its tenant. The worker opens the system scope of
that tenant, locks the row and, unless it is already done or dead, runs the job and marks the
row done in the same transaction. Duplicates (a redelivery after a killed worker, a relay
publishing again) wait on the lock and then find the row done. A failure is counted on the
row in a transaction of its own; past the job's limit the row is dead-lettered instead of
retried again. Each delivery is a CONSUMER span continuing the publish that sent it
(`backend/jobs/tracing.py`), the job's own work a span inside it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import dramatiq
from dramatiq import Broker
from dramatiq.middleware import CurrentMessage

from backend.core.activity import doing
from backend.core.metrics import JOBS_DEAD, JOBS_FAILED, JOBS_PROCESSED
from backend.core.telemetry import tracer
from backend.jobs.brokers import QUEUE
from backend.jobs.definitions import Job
from backend.jobs.models import JobStatus, OutboxMessage
from backend.jobs.tracing import processing
from backend.runtime import Runtime
from backend.settings import Settings

log = logging.getLogger(__name__)
MAX_ERROR = 2_000


class Executor:
    """The jobs one worker process runs, on a runtime of its own made on the worker's event
    loop (never the web server's engine)."""

    def __init__(self, settings: Settings, jobs: dict[str, Job]) -> None:
        self.settings = settings
        self.jobs = jobs
        self._runtime: Runtime | None = None

    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime.build(self.settings)
        return self._runtime

    async def close(self) -> None:
        if self._runtime is not None:
            await self._runtime.close()
            self._runtime = None

    async def run(self, outbox_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        try:
            await self._attempt(outbox_id, tenant_id)
        except Exception as error:
            if not await self._record_failure(outbox_id, tenant_id, error):
                raise

    async def _attempt(self, outbox_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        async with self.runtime().acting_in(tenant_id) as db:
            row = await db.get(OutboxMessage, outbox_id, with_for_update=True)
            if row is None or row.status in {JobStatus.DONE.value, JobStatus.DEAD.value}:
                return
            job = self.jobs[row.job]
            with tracer().start_as_current_span(f"job {job.name}"), doing(job.name):
                try:
                    await asyncio.wait_for(job.handler(db, row.payload), job.time_limit_seconds)
                except Exception:
                    JOBS_FAILED.labels(job=job.name).inc()
                    raise
                row.status, row.finished_at = JobStatus.DONE.value, datetime.now(UTC)
                await db.commit()
            JOBS_PROCESSED.labels(job=job.name).inc()

    async def _record_failure(
        self, outbox_id: uuid.UUID, tenant_id: uuid.UUID, error: Exception
    ) -> bool:
        """Count the failure; True when the job is now dead and must not be retried.

        A job already finished counts nothing more: a second delivery of it (the relay
        publishes again a job its visibility timeout lost sight of) may fail after the first
        delivery dead-lettered it."""
        async with self.runtime().acting_in(tenant_id) as db:
            row = await db.get(OutboxMessage, outbox_id, with_for_update=True)
            if row is None or row.status in {JobStatus.DONE.value, JobStatus.DEAD.value}:
                return True
            job = self.jobs.get(row.job)
            row.failures += 1
            row.last_error = f"{type(error).__name__}: {error}"[:MAX_ERROR]
            dead = job is None or row.failures >= job.max_failures
            if dead:
                row.status, row.finished_at = JobStatus.DEAD.value, datetime.now(UTC)
                JOBS_DEAD.labels(job=row.job if job else "unknown").inc()
                log.error("job %s (%s) dead-lettered: %s", outbox_id, row.job, row.last_error)
            await db.commit()
            return dead


def declare(broker: Broker, executor: Executor) -> None:
    """Declare every job as an actor of `broker`, named as the job."""
    for job in executor.jobs.values():

        async def deliver(outbox_id: str, tenant_id: str) -> None:
            message = CurrentMessage.get_current_message()
            if message is None:  # make_broker adds the middleware that sets it
                raise RuntimeError("the broker has no CurrentMessage middleware")
            with processing(broker, message):
                await executor.run(uuid.UUID(outbox_id), uuid.UUID(tenant_id))

        dramatiq.Actor(
            deliver,  # type: ignore[arg-type]  # dramatiq types its Actor as generic over fn
            broker=broker,
            actor_name=job.name,
            queue_name=QUEUE,
            priority=0,
            options={"max_retries": job.max_failures, "min_backoff": 1_000, "max_backoff": 60_000},
        )
