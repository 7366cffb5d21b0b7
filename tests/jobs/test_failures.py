"""Jobs survive what goes wrong: a broker that is away, workers killed in the middle of work."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.jobs.outbox import enqueue
from backend.jobs.process import JobProcess
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tests.jobs.conftest import BROKERS
from tests.jobs.helpers import BUMP, TEST_JOBS, period_of, wait_finished
from tests.support import World

UNREACHABLE = {"redis": "redis://127.0.0.1:9/0", "amqp": "amqp://guest:guest@127.0.0.1:9/"}
KILLS = 20
JOB_SECONDS = 12  # a job that outlasts a stopping worker's grace of 1 s


@pytest.fixture(params=["redis", "rabbitmq"])
def server_broker(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _settings(migrated: Settings, broker: str | None) -> Settings:
    return migrated.model_copy(
        update={"broker_url": broker, "job_poll_seconds": 0.2, "job_visibility_seconds": 2}
    )


@pytest.fixture
def running(migrated: Settings, server_broker: str) -> Iterator[JobProcess]:
    process = JobProcess(_settings(migrated, BROKERS[server_broker]), TEST_JOBS)
    process.broker.flush_all()
    yield process
    process.stop()


async def test_jobs_wait_out_a_broker_that_is_away(
    migrated: Settings,
    running: JobProcess,
    runtime: ApiRuntime,
    world: World,
    owner_engine: AsyncEngine,
) -> None:
    a = world.orgs["a"].id
    before = await period_of(owner_engine, a)
    scheme = str(running.settings.broker_url).partition(":")[0]
    cut_off = JobProcess(_settings(migrated, UNREACHABLE[scheme]), TEST_JOBS, work=False)
    cut_off.start()
    async with runtime.acting_in(a) as db:  # the change itself does not need the broker
        rows = [await enqueue(db, BUMP.name, a, {"tenant": str(a)}) for _ in range(3)]
        await db.commit()
    await asyncio.sleep(1.5)
    cut_off.stop()
    async with owner_engine.connect() as connection:
        waiting = await connection.scalar(
            text("SELECT count(*) FROM job_outbox WHERE status = 'pending'")
        )
    assert waiting == 3
    running.start()  # the broker is back
    statuses = await wait_finished(owner_engine, [row.id for row in rows])
    assert set(statuses.values()) == {"done"}
    assert await period_of(owner_engine, a) == before + 3


def _start_worker(
    settings: Settings, broker: str, shutdown_seconds: float = 20
) -> subprocess.Popen[str]:
    env = dict(os.environ) | {
        "DATABASE_URL": settings.owner_url.render_as_string(hide_password=False),
        "DATABASE_APP_PASSWORD": settings.database_app_password.get_secret_value(),
        "CERTREADY_ENV": "test",
        "DATA_DIR": str(settings.data_dir),
        "BROKER_URL": broker,
        "JOB_POLL_SECONDS": "0.2",
        "JOB_VISIBILITY_SECONDS": "2",
        "JOB_WORKER_THREADS": "2",
        "JOB_SHUTDOWN_SECONDS": str(shutdown_seconds),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.worker_process"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


async def test_workers_killed_mid_job_lose_nothing_and_repeat_nothing(
    migrated: Settings,
    running: JobProcess,
    runtime: ApiRuntime,
    world: World,
    owner_engine: AsyncEngine,
) -> None:
    a = world.orgs["a"].id
    before = await period_of(owner_engine, a)
    async with runtime.acting_in(a) as db:
        rows = [
            await enqueue(db, BUMP.name, a, {"tenant": str(a), "seconds": 0.3}) for _ in range(40)
        ]
        await db.commit()
    chance = random.Random(7)  # noqa: S311 - timing jitter, not security
    for _ in range(KILLS):
        worker = await asyncio.to_thread(_start_worker, migrated, str(running.settings.broker_url))
        await asyncio.sleep(chance.uniform(0.2, 1.0))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    survivor = await asyncio.to_thread(_start_worker, migrated, str(running.settings.broker_url))
    try:
        statuses = await wait_finished(owner_engine, [row.id for row in rows], within=120)
    finally:
        survivor.terminate()
        survivor.wait(timeout=30)
    assert set(statuses.values()) == {"done"}
    assert await period_of(owner_engine, a) == before + 40


async def test_a_stopped_worker_gives_running_jobs_their_grace_then_leaves_them_to_others(
    migrated: Settings,
    running: JobProcess,
    runtime: ApiRuntime,
    world: World,
    owner_engine: AsyncEngine,
) -> None:
    """SIGTERM during a job longer than JOB_SHUTDOWN_SECONDS: the worker exits after the
    grace, not after the job, and the job is still done exactly once, by another worker."""
    a = world.orgs["a"].id
    before = await period_of(owner_engine, a)
    async with runtime.acting_in(a) as db:
        row = await enqueue(db, BUMP.name, a, {"tenant": str(a), "seconds": JOB_SECONDS})
        await db.commit()
    broker = str(running.settings.broker_url)
    worker = await asyncio.to_thread(_start_worker, migrated, broker, shutdown_seconds=1)
    await asyncio.sleep(2)  # published within the relay's 0.2 s poll, and under way
    stopped_at = time.monotonic()
    worker.terminate()
    assert await asyncio.to_thread(worker.wait, JOB_SECONDS * 2) == 0
    assert time.monotonic() - stopped_at < JOB_SECONDS - 4  # not waiting for the job
    running.start()
    statuses = await wait_finished(owner_engine, [row.id], within=60)
    assert statuses == {row.id: "done"}
    assert await period_of(owner_engine, a) == before + 1
