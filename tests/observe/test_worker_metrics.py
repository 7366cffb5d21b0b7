"""A worker process's /metrics (on its health port): its jobs processed, failed and
dead-lettered, per job name, after real runs; guarded by METRICS_TOKEN like the API's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.jobs.health import HealthServer
from backend.jobs.outbox import enqueue
from backend.jobs.process import JobProcess
from backend.runtime import ApiRuntime
from backend.settings import Environment, Settings
from tests.jobs.helpers import BUMP, POISON, TEST_JOBS, wait_finished
from tests.observe.conftest import Samples, value
from tests.support import World

TOKEN = uuid.uuid4().hex


@pytest.fixture
def worker(migrated: Settings) -> Iterator[tuple[JobProcess, str]]:
    settings = migrated.model_copy(
        update={"job_poll_seconds": 0.2, "metrics_token": SecretStr(TOKEN)}
    )
    process = JobProcess(settings, TEST_JOBS)
    health = HealthServer(settings, 0)
    process.start()
    health.start()
    yield process, f"http://127.0.0.1:{health.port}"
    health.stop()
    process.stop()


def _scrape(base: str) -> Samples:
    response = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_job_outcomes_are_counted_per_job(
    worker: tuple[JobProcess, str], runtime: ApiRuntime, world: World, owner_engine: AsyncEngine
) -> None:
    _, base = worker
    before = _scrape(base)
    a = world.orgs["a"].id
    async with runtime.acting_in(a) as db:
        rows = [await enqueue(db, BUMP.name, a, {"tenant": str(a)}) for _ in range(3)]
        rows.append(await enqueue(db, POISON.name, a))
        await db.commit()
    statuses = await wait_finished(owner_engine, [row.id for row in rows])
    assert sorted(statuses.values()) == ["dead", "done", "done", "done"]
    after = _scrape(base)

    def delta(name: str, job: str) -> float:
        return value(after, name, job=job) - value(before, name, job=job)

    assert delta("certready_jobs_processed_total", BUMP.name) == 3
    assert delta("certready_jobs_failed_total", POISON.name) == POISON.max_failures
    assert delta("certready_jobs_dead_lettered_total", POISON.name) == 1
    assert delta("certready_jobs_processed_total", POISON.name) == 0


def test_the_worker_refuses_a_scrape_without_the_token(worker: tuple[JobProcess, str]) -> None:
    _, base = worker
    assert httpx.get(f"{base}/metrics").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.get(f"{base}/metrics", headers=wrong).status_code == 401


def test_a_production_worker_without_a_token_serves_no_metrics(migrated: Settings) -> None:
    production = migrated.model_copy(update={"certready_env": Environment.PRODUCTION})
    health = HealthServer(production, 0)
    health.start()
    try:
        assert httpx.get(f"http://127.0.0.1:{health.port}/metrics").status_code == 404
    finally:
        health.stop()
