"""Traces with OpenTelemetry, off unless OTEL_EXPORTER_OTLP_ENDPOINT names a collector.

Off means free: no SDK tracer provider is installed, so every `tracer.start_as_current_span`
of the API package is a no-op span, and the ASGI, SQLAlchemy and botocore instrumentation is
never attached. On, one SDK provider per process exports in batches by OTLP over HTTP.

Jobs continue the trace of the request that enqueued them, by one mechanism, the W3C
`traceparent`: the outbox row keeps that of the span that wrote it, the relay's publish span
continues it and the message carries the publish span's on, to the worker's process span
(`backend/jobs/tracing.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.util.types import AttributeValue
from sqlalchemy.ext.asyncio import AsyncEngine

TRACER_NAME = "certready"
TRACEPARENT = "traceparent"


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def tracing_enabled() -> bool:
    """Whether this process installed an SDK provider (by settings, or a test's own)."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def configure_tracing(endpoint: str | None, service_name: str) -> None:
    """Install the exporting provider once per process when `endpoint` is set."""
    if endpoint is None or tracing_enabled():
        return
    # Imported here: the exporter pulls in protobuf, which a process without tracing skips.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces"))
    )
    trace.set_tracer_provider(provider)
    instrument_botocore()


def instrument_botocore() -> None:
    """S3 calls (presign is local, HEAD and DELETE are requests) as client spans."""
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor  # noqa: PLC0415

    instrumentor = BotocoreInstrumentor()  # type: ignore[no-untyped-call]  # a singleton
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def instrument_engine(engine: AsyncEngine) -> None:
    """One span per SQL statement of `engine`, when tracing is on."""
    if not tracing_enabled():
        return
    from opentelemetry import metrics  # noqa: PLC0415
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer  # noqa: PLC0415

    # The pool is measured by Prometheus (backend.core.metrics); this counter stays a no-op.
    usage = metrics.get_meter(TRACER_NAME).create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer(), engine.sync_engine, usage)  # type: ignore[no-untyped-call]


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, None outside a recorded trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get(TRACEPARENT)


def current_trace_id() -> str | None:
    """The current trace id in hex, as log lines and collectors show it."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


@contextmanager
def continued_span(
    name: str,
    traceparent: str | None,
    kind: trace.SpanKind,
    attributes: Mapping[str, AttributeValue],
) -> Iterator[trace.Span]:
    """A span of `kind` that continues the trace `traceparent` names (a new one without): the
    hop from one process to the next, where no live context crosses."""
    parent = propagate.extract({TRACEPARENT: traceparent} if traceparent else {})
    with tracer().start_as_current_span(
        name, context=parent, kind=kind, attributes=attributes
    ) as span:
        yield span
