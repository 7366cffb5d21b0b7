"""The broker hop in real spans, against each broker (in-process, Redis, RabbitMQ): the relay's
publish is a PRODUCER span continuing the trace that enqueued the job, each delivery a
CONSUMER span continuing the publish through the traceparent the message carries, both with
the messaging attributes; a retried message's deliveries all join the one publish."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.telemetry import tracer
from backend.jobs.brokers import QUEUE
from backend.jobs.definitions import Job
from backend.jobs.outbox import enqueue
from backend.jobs.process import JobProcess
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tests.jobs.conftest import BROKERS
from tests.jobs.helpers import BUMP, POISON, TEST_JOBS, wait_finished
from tests.support import World

SYSTEMS = {"in-process": "in_process", "redis": "redis", "rabbitmq": "rabbitmq"}
PRODUCER, CONSUMER = SpanKind.PRODUCER, SpanKind.CONSUMER


@pytest.fixture(params=list(BROKERS))
def system(request: pytest.FixtureRequest, migrated: Settings) -> Iterator[str]:
    """A relay and a worker on one broker; the `messaging.system` its spans must name."""
    settings = migrated.model_copy(
        update={"broker_url": BROKERS[request.param], "redis_url": None, "job_poll_seconds": 0.2}
    )
    process = JobProcess(settings, TEST_JOBS)
    process.broker.flush_all()
    process.start()
    yield SYSTEMS[request.param]
    process.stop()


Run = Callable[[Job, str, int], Awaitable[tuple[int, list[ReadableSpan]]]]


@pytest.fixture
def run_traced(
    runtime: ApiRuntime, world: World, owner_engine: AsyncEngine, spans: InMemorySpanExporter
) -> Run:
    """Enqueue a job inside a span of the test's own and wait for its outcome and for its
    deliveries' process spans (each ends just after its job's commit); the id of that span
    and the finished spans."""

    async def run(job: Job, outcome: str, deliveries: int) -> tuple[int, list[ReadableSpan]]:
        tenant = world.orgs["a"].id
        with tracer().start_as_current_span("caller") as caller:
            async with runtime.acting_in(tenant) as db:
                row = await enqueue(db, job.name, tenant, {"tenant": str(tenant)})
                await db.commit()
        assert (await wait_finished(owner_engine, [row.id])) == {row.id: outcome}
        deadline = time.monotonic() + 20
        while True:
            finished = list(spans.get_finished_spans())
            if len(_of_kind(finished, CONSUMER, job)) >= deliveries:
                return caller.get_span_context().span_id, finished
            assert time.monotonic() < deadline, [span.name for span in finished]
            await asyncio.sleep(0.05)

    return run


def _of_kind(finished: list[ReadableSpan], kind: SpanKind, job: Job) -> list[ReadableSpan]:
    return [
        span
        for span in finished
        if span.kind is kind
        and span.attributes
        and span.attributes["certready.job.name"] == job.name
    ]


async def test_publish_and_process_continue_the_enqueuing_trace(
    system: str, run_traced: Run
) -> None:
    caller, finished = await run_traced(BUMP, "done", 1)
    [publish] = _of_kind(finished, PRODUCER, BUMP)
    [process] = _of_kind(finished, CONSUMER, BUMP)
    assert publish.parent is not None
    assert publish.parent.span_id == caller
    assert process.parent is not None
    assert process.parent.span_id == publish.context.span_id
    assert process.context.trace_id == publish.context.trace_id
    [job] = [span for span in finished if span.name == f"job {BUMP.name}"]
    assert job.parent is not None
    assert job.parent.span_id == process.context.span_id
    assert (publish.name, process.name) == (f"send {QUEUE}", f"process {QUEUE}")
    for span, operation in ((publish, "send"), (process, "process")):
        assert span.attributes is not None
        assert span.attributes["messaging.system"] == system
        assert span.attributes["messaging.destination.name"] == QUEUE
        assert span.attributes["messaging.operation.type"] == operation
    assert publish.attributes is not None
    assert process.attributes is not None
    message_id = publish.attributes["messaging.message.id"]
    assert process.attributes["messaging.message.id"] == message_id
    assert len(str(message_id)) == 36  # dramatiq's message id, a UUID


@pytest.mark.usefixtures("system")
async def test_every_delivery_of_a_retried_message_joins_its_one_publish(run_traced: Run) -> None:
    _, finished = await run_traced(POISON, "dead", POISON.max_failures)
    [publish] = _of_kind(finished, PRODUCER, POISON)
    deliveries = _of_kind(finished, CONSUMER, POISON)
    assert {span.parent.span_id for span in deliveries if span.parent} == {publish.context.span_id}
    assert publish.attributes is not None
    assert {span.attributes["messaging.message.id"] for span in deliveries if span.attributes} == {
        publish.attributes["messaging.message.id"]
    }
    # Retried: the failure marks its delivery; the last one dead-letters and ends cleanly.
    statuses = sorted(span.status.status_code.name for span in deliveries)
    assert statuses == sorted([StatusCode.ERROR.name] * (POISON.max_failures - 1) + ["UNSET"])
