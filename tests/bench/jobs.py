"""`make bench` (jobs): jobs per second through each broker, and a commit's way to its score.

For the in-process broker, Redis (REDIS_URL or 127.0.0.1:6379) and RabbitMQ (BROKER_URL or
guest@127.0.0.1:5672) in turn, a relay and a worker (`JobProcess`, BENCH_JOB_THREADS worker
threads) run in this process against a fresh database, as `certready worker` does:

- throughput: BENCH_JOBS (2,000) outbox rows of a job that does nothing but its bookkeeping
  (the worker locks the row, runs the handler, marks it done), committed 100 per transaction
  over 20 organizations; jobs per second from the first commit to the last row done;
- latency: BENCH_LATENCY_SAMPLES (20) times, one assessment of a program changes and
  commits, the readiness trigger queues `readiness.recompute`, and the clock stops when that
  program's new snapshot is visible: the median and the slowest, end to end.

A broker that does not answer is reported as skipped, not measured.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import make_url, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from backend import features
from backend.assessments.models import Assessment
from backend.db.migrate import migrate
from backend.db.session import TenantSession
from backend.embedded import start_embedded_postgres
from backend.jobs.definitions import Job
from backend.jobs.outbox import enqueue
from backend.jobs.process import JobProcess
from backend.readiness.jobs import RECOMPUTE
from backend.runtime import Runtime
from backend.settings import Environment, Settings
from tests.bench.readiness import STANDARDS, database, fill

ROOT = Path(__file__).resolve().parents[2]
JOBS = int(os.environ.get("BENCH_JOBS", "2000"))
SAMPLES = int(os.environ.get("BENCH_LATENCY_SAMPLES", "20"))
THREADS = int(os.environ.get("BENCH_JOB_THREADS", "4"))
TENANTS = 20
BATCH = 100
BROKERS = {
    "in-process": None,
    "redis": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/"),
}


async def _nothing(_db: TenantSession, _payload: dict[str, Any]) -> None:
    """The job's own work is nil, so the figure is the machinery's cost."""


NOTHING = Job("bench.nothing", _nothing)


async def _open_jobs(owner: AsyncEngine) -> int:
    async with owner.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM job_outbox WHERE status::text NOT IN ('done', 'dead')")
        )
    return int(count or 0)


async def _drained(owner: AsyncEngine, within: float = 300.0) -> None:
    deadline = time.monotonic() + within
    while await _open_jobs(owner):
        if time.monotonic() > deadline:
            raise TimeoutError("jobs were still open after five minutes")
        await asyncio.sleep(0.05)


async def throughput(runtime: Runtime, owner: AsyncEngine, tenants: list[uuid.UUID]) -> float:
    started = time.perf_counter()
    for start in range(0, JOBS, BATCH):
        tenant = tenants[(start // BATCH) % len(tenants)]
        async with runtime.acting_in(tenant) as db:
            for _ in range(min(BATCH, JOBS - start)):
                await enqueue(db, NOTHING.name, tenant, {})
            await db.commit()
    await _drained(owner)
    return JOBS / (time.perf_counter() - started)


async def _latest_snapshot(owner: AsyncEngine, program_id: uuid.UUID) -> Any:
    async with owner.connect() as connection:
        return await connection.scalar(
            text("SELECT max(computed_at) FROM readiness_snapshots WHERE program_id = :id"),
            {"id": program_id},
        )


async def commit_to_score(runtime: Runtime, owner: AsyncEngine, tenant: uuid.UUID) -> float:
    """Seconds from committing one assessment change to its program's new snapshot."""
    async with runtime.acting_in(tenant) as db:
        assessment = (await db.scalars(select(Assessment).limit(1))).one()
        before = await _latest_snapshot(owner, assessment.program_id)
        status = "partial" if assessment.status == "conformant" else "conformant"
        await db.execute(
            update(Assessment).where(Assessment.id == assessment.id).values(status=status)
        )
        await db.commit()
    started = time.perf_counter()
    while (
        after := await _latest_snapshot(owner, assessment.program_id)
    ) == before or after is None:
        if time.perf_counter() - started > 60:
            raise TimeoutError("no snapshot a minute after the change")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


def _reachable(url: str) -> bool:
    address = urlsplit(url)
    try:
        socket.create_connection((address.hostname or "", address.port or 0), timeout=2).close()
    except OSError:
        return False
    return True


async def bench_broker(
    name: str, url: str | None, settings: Settings, tenants: list[uuid.UUID]
) -> None:
    settings = settings.model_copy(
        update={
            "broker_url": url,
            "redis_url": None,
            "job_poll_seconds": 1.0,
            "job_worker_threads": THREADS,
        }
    )
    if url is not None and not _reachable(url):
        print(f"{name:<11} skipped: no broker at {url}")
        return
    process = JobProcess(settings, (NOTHING, RECOMPUTE))
    process.broker.flush_all()
    process.start()
    runtime = Runtime.build(settings)
    owner = create_async_engine(settings.owner_url)
    try:
        rate = await throughput(runtime, owner, tenants)
        await _drained(owner)
        latencies = [
            await commit_to_score(runtime, owner, tenants[i % len(tenants)]) for i in range(SAMPLES)
        ]
    finally:
        await owner.dispose()
        await runtime.close()
        process.stop()
    print(
        f"{name:<11} {rate:8.0f} jobs/s;  commit to score: median"
        f" {statistics.median(latencies) * 1000:6.0f} ms, slowest {max(latencies) * 1000:6.0f} ms"
    )


async def _prepare(settings: Settings) -> list[uuid.UUID]:
    password = settings.database_app_password.get_secret_value()
    await migrate(settings.owner_url, settings.database_app_role, password)
    owner = create_async_engine(settings.owner_url)
    try:
        async with owner.begin() as connection:
            return await fill(connection, TENANTS)
    finally:
        await owner.dispose()


def main() -> None:
    assert features.FEATURES  # the readiness trigger is installed with the registry
    configured = os.environ.get("TEST_DATABASE_URL")
    server = make_url(configured or start_embedded_postgres(ROOT / ".data" / "test-postgres"))
    server = server.set(drivername="postgresql+asyncpg")
    name = f"certready_bench_jobs_{uuid.uuid4().hex[:8]}"
    asyncio.run(database(server, f'CREATE DATABASE "{name}"'))
    data_dir = Path(tempfile.mkdtemp(prefix="certready-bench-"))
    settings = Settings(
        _env_file=None,
        certready_env=Environment.TEST,
        database_url=server.set(database=name).render_as_string(hide_password=False),
        data_dir=data_dir,
        log_level="WARNING",
    )
    try:
        tenants = asyncio.run(_prepare(settings))
        print(
            f"jobs: {JOBS:,} jobs over {len(tenants)} organizations ({len(tenants) * STANDARDS}"
            f" programs), {THREADS} worker threads; latency over {SAMPLES} changes"
        )
        for broker, url in BROKERS.items():
            asyncio.run(bench_broker(broker, url, settings, tenants))
    finally:
        asyncio.run(database(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
