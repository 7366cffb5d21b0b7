"""Each GraphQL operation as a span named by the operation and as Prometheus samples.

The name is the executed operation's: the request's `operationName`, or the name of the
document's only operation when the client sent none (strawberry resolves it after parsing,
which the schema's `OperationGuard` records in the context).

The span is a child of the request's server span (when tracing is on) and carries the
operation's label, never the query text; the server span is renamed to it too, so a trace
list reads as operations rather than as one `POST /graphql` after another.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from opentelemetry import trace
from strawberry.types import ExecutionResult

from backend.api.context import Context
from backend.core.metrics import GRAPHQL_REQUESTS, GRAPHQL_SECONDS, INVALID, operation_label
from backend.core.telemetry import tracer

Observe = Callable[[ExecutionResult], None]


@contextmanager
def observed_operation(context: Context) -> Iterator[Observe]:
    """Time the operation; the caller hands its result to the yielded function, which
    decides the label (a request that failed before execution is `invalid`)."""
    server_span = trace.get_current_span()
    started = time.perf_counter()
    with tracer().start_as_current_span("graphql") as span:

        def observe(result: ExecutionResult) -> None:
            failed = _failed_before_execution(result)
            label = INVALID if failed else operation_label(context.operation_name)
            GRAPHQL_REQUESTS.labels(operation=label).inc()
            GRAPHQL_SECONDS.labels(operation=label).observe(time.perf_counter() - started)
            span.update_name(label)
            span.set_attribute("graphql.operation.name", label)
            server_span.update_name(f"graphql {label}")

        yield observe


def _failed_before_execution(result: ExecutionResult) -> bool:
    """Parse and validation errors leave no data and carry no path."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)
