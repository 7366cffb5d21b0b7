"""Observability tests: one SDK tracer provider with an in-memory exporter for the whole run
(OpenTelemetry allows one global provider per process), and an app built after it, so the
app traces as a process with OTEL_EXPORTER_OTLP_ENDPOINT set would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.app import create_app
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tests.support import Client

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="session")
def exporter() -> InMemorySpanExporter:
    memory = InMemorySpanExporter()
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        current = TracerProvider()
        trace.set_tracer_provider(current)
    current.add_span_processor(SimpleSpanProcessor(memory))
    return memory


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    exporter.clear()
    yield exporter
    exporter.clear()


@pytest.fixture(scope="session")
def traced_app(migrated: Settings, exporter: InMemorySpanExporter) -> Litestar:
    return create_app(ApiRuntime.build(migrated))


@pytest.fixture
async def traced(
    traced_app: Litestar, owner_engine: AsyncEngine
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(traced_app, base_url="http://testserver.local") as test_client:
        yield test_client


async def scrape(client: Client, token: str | None = None) -> Samples:
    """Every sample of /metrics, parsed by Prometheus's own parser."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: Any) -> float:
    """A sample's value, 0 when it has not been recorded yet."""
    return samples.get((name, tuple(sorted((k, str(v)) for k, v in labels.items()))), 0.0)
