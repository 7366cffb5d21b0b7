"""Jobs as processes: the relay, a worker and the scheduler, alone or side by side.

Each runs on an event loop of its own with its own engine: the relay and scheduler on a
thread started here, the worker's jobs on dramatiq's event loop thread. `certready worker`
runs relay and worker, `certready scheduler` the scheduler; `certready serve` without a
broker runs all three next to the web server.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine, Sequence
from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread

from backend.jobs import scheduler
from backend.jobs.brokers import make_broker
from backend.jobs.definitions import Job, Periodic
from backend.jobs.relay import Relay
from backend.jobs.worker import Executor, declare
from backend.runtime import Runtime
from backend.settings import Settings

log = logging.getLogger(__name__)


class JobProcess:
    def __init__(
        self,
        settings: Settings,
        jobs: Sequence[Job],
        periodic: Sequence[Periodic] = (),
        *,
        relay: bool = True,
        work: bool = True,
        schedule: bool = False,
    ) -> None:
        self.settings = settings
        self.broker = make_broker(settings)
        self.executor = Executor(settings, {job.name: job for job in jobs})
        declare(self.broker, self.executor)
        self.broker.add_middleware(_ClosesExecutor(self.executor))
        self.periodic = periodic
        self.parts = {"relay": relay, "work": work, "schedule": schedule}
        self._worker: dramatiq.Worker | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def start(self) -> None:
        if self.parts["work"]:
            self._worker = dramatiq.Worker(
                self.broker, worker_threads=self.settings.job_worker_threads
            )
            self._worker.start()
        if self.parts["relay"] or self.parts["schedule"]:
            ready = threading.Event()
            self._thread = threading.Thread(
                target=asyncio.run, args=(self._serve(ready),), name="jobs", daemon=True
            )
            self._thread.start()
            ready.wait(timeout=30)

    def stop(self) -> None:
        """Stop publishing, then stop taking jobs and give running ones JOB_SHUTDOWN_SECONDS.

        One still running after that is left to the outbox: its transaction never commits,
        and the relay publishes it again once its visibility time is up."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._worker is not None:
            self._worker.stop(timeout=round(self.settings.job_shutdown_seconds * 1000))
        self.broker.close()

    async def _serve(self, ready: threading.Event) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        runtime = Runtime.build(self.settings)
        tasks: list[Coroutine[Any, Any, None]] = []
        if self.parts["relay"]:
            relay = Relay(runtime, self.broker, list(self.executor.jobs))
            tasks.append(relay.run(self._stop))
        if self.parts["schedule"]:
            tasks.append(scheduler.run(runtime, self.periodic, self._stop))
        ready.set()
        try:
            await asyncio.gather(*tasks)
        finally:
            await runtime.close()


class _ClosesExecutor(dramatiq.Middleware):
    """Closes the executor's runtime once the worker's threads are done with their jobs, on
    the event loop those jobs ran on. dramatiq runs after-hooks in reverse order, so this
    one, added after the AsyncIO middleware, runs before that middleware stops the loop.
    (Closing it before the worker stopped let a job that started meanwhile make a runtime
    that nobody closed.)"""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(self.executor.close())
