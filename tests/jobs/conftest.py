"""Job processes against each broker: in-process, Redis and RabbitMQ (started by .ci/run)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from backend.jobs.process import JobProcess
from backend.settings import Settings
from tests.jobs.helpers import TEST_JOBS

BROKERS = {
    "in-process": None,
    "redis": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/"),
}


@pytest.fixture(params=list(BROKERS))
def job_settings(request: pytest.FixtureRequest, migrated: Settings) -> Settings:
    return migrated.model_copy(
        update={
            "broker_url": BROKERS[request.param],
            "redis_url": None,
            "job_poll_seconds": 0.2,
            "job_visibility_seconds": 3,
            "job_worker_threads": 2,
        }
    )


@pytest.fixture
def jobs(job_settings: Settings) -> Iterator[JobProcess]:
    process = JobProcess(job_settings, TEST_JOBS)
    process.broker.flush_all()
    process.start()
    yield process
    process.stop()
