"""The relay: committed outbox rows to the broker.

It claims due rows through `job_outbox_claim` (pending ones, and published ones not done
within the visibility time), hands them to the broker and commits the claim only after the
broker took them, so a broker that is down leaves them pending for the next round. It wakes
on the outbox's NOTIFY and, in case a notification is missed, polls. Each publish is a
PRODUCER span continuing the trace of the request that enqueued the job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import asyncpg  # type: ignore[import-untyped]
from dramatiq import Broker, Message
from sqlalchemy import text

from backend.jobs.brokers import QUEUE
from backend.jobs.sql import CHANNEL
from backend.jobs.tracing import publishing
from backend.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 100
_CLAIM = text(
    "SELECT id, tenant_id, job, traceparent FROM job_outbox_claim(:batch, :visibility, :jobs)"
)


class Relay:
    def __init__(self, runtime: Runtime, broker: Broker, jobs: Sequence[str]) -> None:
        self.runtime = runtime
        self.broker = broker
        self.jobs = list(jobs)
        self.settings = runtime.settings
        self._woken = asyncio.Event()

    async def publish_due(self) -> int:
        """One round: publish up to a batch of due jobs; how many were published."""
        async with self.runtime.sessions() as db:
            claimed = (
                await db.execute(
                    _CLAIM,
                    {
                        "batch": BATCH,
                        "visibility": self.settings.job_visibility_seconds,
                        "jobs": self.jobs,  # another release's jobs wait for their workers
                    },
                )
            ).all()
            messages: list[tuple[Message[object], str | None]] = [
                (
                    Message(
                        queue_name=QUEUE,
                        actor_name=job,
                        args=(),
                        kwargs={"outbox_id": str(outbox_id), "tenant_id": str(tenant_id)},
                        options={},
                    ),
                    traceparent,
                )
                for outbox_id, tenant_id, job, traceparent in claimed
            ]
            await asyncio.to_thread(self._send, messages)
            await db.commit()
        return len(messages)

    def _send(self, messages: list[tuple[Message[object], str | None]]) -> None:
        for message, traceparent in messages:
            with publishing(self.broker, message, traceparent) as traced:
                self.broker.enqueue(traced)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; a failing round (broker or database away) is logged
        and tried again at the next wake-up or poll."""
        listener = await self._listen()
        try:
            while not stop.is_set():
                try:
                    if await self.publish_due() == BATCH:
                        continue
                except Exception:
                    log.exception("publishing jobs failed; trying again")
                await self._wait(stop)
        finally:
            if listener is not None:
                await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        url = self.settings.app_url.set(drivername="postgresql")
        try:
            connection = await asyncpg.connect(url.render_as_string(hide_password=False))
        except (OSError, asyncpg.PostgresError):
            log.warning("cannot listen for new jobs; polling only")
            return None
        await connection.add_listener(CHANNEL, lambda *_: self._woken.set())
        return connection

    async def _wait(self, stop: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(self._woken.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(
            waits, timeout=self.settings.job_poll_seconds, return_when="FIRST_COMPLETED"
        )
        for waiting in waits:
            waiting.cancel()
        self._woken.clear()
