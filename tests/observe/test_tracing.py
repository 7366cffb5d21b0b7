"""Real spans in the SDK's in-memory exporter: a request's server span and its GraphQL
operation span named by the operation, its SQL statements as children, its log lines with
the trace id, and the job it caused continuing its trace through the outbox and the broker
(the relay's publish span, the worker's process span, the job's span)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import features
from backend.jobs.process import JobProcess
from backend.observability import configure_logging
from backend.readiness.jobs import RECOMPUTE
from backend.settings import LogFormat, Settings
from tests.conftest import ROOT
from tests.jobs.helpers import wait_finished
from tests.observe.conftest import scrape, value
from tests.support import Client, World, gql, login

START = """
mutation StartProgram { startProgram(input: {standardCode: "ISO 9001", standardEdition: "2015",
  scopeStatement: "Everything", targetDate: "2027-06-30"}) { program { id } errors { code } } }
"""


def _named(spans: InMemorySpanExporter, name: str) -> ReadableSpan:
    found = [span for span in spans.get_finished_spans() if span.name == name]
    assert len(found) == 1, [span.name for span in spans.get_finished_spans()]
    return found[0]


async def test_the_operation_names_its_spans_and_sql_joins_its_trace(
    traced: Client, world: World, spans: InMemorySpanExporter
) -> None:
    await login(traced, "a_owner")
    operation = _named(spans, "Login")
    server = _named(spans, "graphql Login")
    assert server.kind is SpanKind.SERVER
    assert operation.parent is not None
    assert operation.parent.span_id == server.context.span_id
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "Login"
    trace_id = server.context.trace_id
    sql = [s for s in spans.get_finished_spans() if s.attributes and "db.statement" in s.attributes]
    assert sql, "no SQL span"
    assert {span.context.trace_id for span in sql} == {trace_id}
    assert not [s for s in spans.get_finished_spans() if "password" in json.dumps(s.name)]


async def test_every_log_line_of_a_request_carries_its_trace_and_request_ids(
    traced: Client,
    world: World,
    migrated: Settings,
    spans: InMemorySpanExporter,
    capsys: pytest.CaptureFixture[str],
) -> None:
    json_logs = migrated.model_copy(update={"log_format": LogFormat.JSON, "log_level": "INFO"})
    configure_logging(json_logs)
    try:
        capsys.readouterr()
        await gql(traced, "query Slow { __typename }")
        err = capsys.readouterr().err
    finally:
        configure_logging(migrated)
    lines = [json.loads(line) for line in err.splitlines() if line[:1] == "{"]
    lines = [line for line in lines if line.get("logger") != "httpx"]  # the test's own client
    server = _named(spans, "graphql Slow")
    assert lines
    for line in lines:
        assert line["trace_id"] == format(server.context.trace_id, "032x"), line
        assert len(line["request_id"]) == 32, line


async def test_a_job_continues_the_trace_of_the_request_that_caused_it(
    traced: Client,
    world: World,
    migrated: Settings,
    owner_engine: AsyncEngine,
    spans: InMemorySpanExporter,
) -> None:
    owner = await login(traced, "a_owner")
    started = await gql(traced, START, token=owner, tenant=world.org_gid("a"))
    assert started["data"]["startProgram"]["errors"] == []
    request = _named(spans, "StartProgram")
    async with owner_engine.connect() as connection:
        ids = list(await connection.scalars(text("SELECT id FROM job_outbox")))
        stored = await connection.scalar(text("SELECT traceparent FROM job_outbox"))
    assert stored is not None
    assert stored.split("-")[1] == format(request.context.trace_id, "032x")
    before = await scrape(traced)
    jobs = JobProcess(migrated.model_copy(update={"job_poll_seconds": 0.2}), features.jobs())
    jobs.start()
    try:
        assert set((await wait_finished(owner_engine, ids)).values()) == {"done"}
    finally:
        jobs.stop()
    job = _named(spans, f"job {RECOMPUTE.name}")
    by_id = {span.context.span_id: span for span in spans.get_finished_spans()}
    assert job.parent is not None
    process = by_id[job.parent.span_id]
    assert process.kind is SpanKind.CONSUMER
    assert process.parent is not None
    publish = by_id[process.parent.span_id]
    assert publish.kind is SpanKind.PRODUCER
    assert publish.parent is not None
    assert publish.parent.span_id == request.context.span_id
    assert {job.context.trace_id, process.context.trace_id} == {request.context.trace_id}
    after = await scrape(traced)
    processed = "certready_jobs_processed_total"
    assert value(after, processed, job=RECOMPUTE.name) - value(
        before, processed, job=RECOMPUTE.name
    ) == len(ids)
    recomputed = "certready_readiness_recompute_seconds_count"
    assert value(after, recomputed) > value(before, recomputed)


def test_without_an_endpoint_no_sdk_provider_and_no_tracing_middleware(
    migrated: Settings,
) -> None:
    """In a fresh process (one provider per process): off means nothing installed."""
    script = textwrap.dedent(
        """
        from opentelemetry import trace
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from backend.app import create_app
        from backend.runtime import ApiRuntime
        from backend.settings import Settings
        app = create_app(ApiRuntime.build(Settings(_env_file=None)))
        kinds = [m.middleware for m in app.middleware]
        print(type(trace.get_tracer_provider()).__name__, OpenTelemetryMiddleware in kinds)
        """
    )
    out = _python(script, {"DATABASE_URL": migrated.owner_url.render_as_string(False)})
    assert out == "ProxyTracerProvider False"


class _Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver: keeps each export request it is sent."""

    received: ClassVar[list[ExportTraceServiceRequest]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/traces":
            self.received.append(ExportTraceServiceRequest.FromString(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(ExportTraceServiceResponse().SerializeToString())

    def log_message(self, *_: object) -> None:
        """Quiet: the test reads what was received."""


@pytest.fixture
def collector() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Collector.received.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(timeout=10)


def test_with_an_endpoint_spans_are_exported_by_otlp(migrated: Settings, collector: str) -> None:
    script = textwrap.dedent(
        """
        from opentelemetry import trace
        from backend.core.telemetry import tracer
        from backend.runtime import Runtime
        from backend.settings import Settings
        Runtime.build(Settings(_env_file=None))
        with tracer().start_as_current_span("exported"):
            pass
        print(trace.get_tracer_provider().force_flush(10_000))
        """
    )
    env = {
        "DATABASE_URL": migrated.owner_url.render_as_string(False),
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector,
        "OTEL_SERVICE_NAME": "certready-test",
    }
    assert _python(script, env) == "True"
    resource_spans = [rs for request in _Collector.received for rs in request.resource_spans]
    names = [s.name for rs in resource_spans for scope in rs.scope_spans for s in scope.spans]
    assert names == ["exported"]
    services = {
        a.value.string_value
        for rs in resource_spans
        for a in rs.resource.attributes
        if a.key == "service.name"
    }
    assert services == {"certready-test"}


def _python(script: str, env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "OTEL_"))}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=clean | {"CERTREADY_ENV": "test", "LOG_LEVEL": "WARNING"} | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
