"""A worker's /health/ready: ready while its broker answers (real Redis and RabbitMQ),
503 with the reason when the broker URL leads nowhere, and served by `certready worker`
itself when WORKER_HEALTH_PORT is set."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.cli import stop_signals_held
from backend.jobs.health import HealthServer
from backend.settings import Settings
from tests.jobs.conftest import BROKERS

UNREACHABLE = {
    "redis": "redis://127.0.0.1:1/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:1/",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def probe(request: pytest.FixtureRequest, migrated: Settings) -> Iterator[str]:
    """A health server for the broker named by the test's parameter; its base URL."""
    url: str = request.param
    settings = migrated.model_copy(update={"broker_url": url, "redis_url": None})
    server = HealthServer(settings, 0)
    server.start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.mark.parametrize("probe", [BROKERS["redis"], BROKERS["rabbitmq"]], indirect=True)
def test_ready_while_the_broker_answers(probe: str) -> None:
    response = httpx.get(f"{probe}/health/ready", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    assert httpx.get(f"{probe}/health/live", timeout=10).json() == {"status": "ok"}


@pytest.mark.parametrize("probe", list(UNREACHABLE.values()), indirect=True)
def test_unavailable_with_the_reason_when_the_broker_is_not_there(probe: str) -> None:
    response = httpx.get(f"{probe}/health/ready", timeout=20)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "broker unavailable"
    assert body["reason"]
    assert httpx.get(f"{probe}/health/live", timeout=10).status_code == 200
    assert httpx.get(f"{probe}/elsewhere", timeout=10).status_code == 404


def test_certready_worker_serves_its_probe(migrated: Settings) -> None:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATABASE_")}
    env.pop("REDIS_URL", None)
    env |= {
        "DATABASE_URL": migrated.owner_url.render_as_string(hide_password=False),
        "DATABASE_APP_PASSWORD": migrated.database_app_password.get_secret_value(),
        "CERTREADY_ENV": "test",
        "DATA_DIR": str(migrated.data_dir),
        "BROKER_URL": BROKERS["redis"] or "",
        "WORKER_HEALTH_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("certready")), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _ready(f"http://127.0.0.1:{port}/health/ready", within=60) == 200
    finally:
        _stop(worker)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """Stop the worker, killing it if it does not stop within 30 s on SIGTERM: a worker left
    running would keep consuming the shared test queue and dead-letter other tests' jobs,
    whose actors it does not know."""
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        raise


def _ready(url: str, within: float) -> int:
    """The probe's status once it says ready, or its last answer when the time is up (a
    worker still starting on a loaded machine may answer 503 first)."""
    deadline, status = time.monotonic() + within, 0
    while time.monotonic() < deadline:
        try:
            status = httpx.get(url, timeout=10).status_code
        except httpx.TransportError:
            status = 0
        if status == 200:
            break
        time.sleep(0.3)
    return status


def test_a_stop_signal_during_start_waits_until_started() -> None:
    """A SIGTERM that lands while the worker starts is acted on after, not lost midway."""
    received: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: received.append(signum))
    try:
        with stop_signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            assert received == []
        assert received == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)
