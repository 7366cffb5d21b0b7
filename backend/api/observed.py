"""Each GraphQL operation as a span named by the operation and as Prometheus samples.

The name is the executed operation's: the request's `operationName`, or the name of the
document's only operation when the client sent none (strawberry resolves it after parsing,
which the schema's `OperationGuard` records in the context).

The span is a child of the request's server span (when tracing is on) and carries the
operation's label, never the query text; the server span is renamed to it too, so a trace
list reads as operations rather than as one `POST /graphql` after another. With tracing
off there is no span to make, not even a no-op one: making it cost more than the rest of
this module's work per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache

from opentelemetry import trace
from prometheus_client import Counter, Histogram
from strawberry.types import ExecutionResult

from backend.api.context import Context
from backend.core.metrics import GRAPHQL_REQUESTS, GRAPHQL_SECONDS, INVALID, operation_label
from backend.core.telemetry import tracer, tracing_enabled

Observe = Callable[[ExecutionResult], None]


@contextmanager
def observed_operation(context: Context) -> Iterator[Observe]:
    """Time the operation; the caller hands its result to the yielded function, which
    decides the label (a request that failed before execution is `invalid`)."""
    server_span = trace.get_current_span()
    started = time.perf_counter()
    with _operation_span() as span:

        def observe(result: ExecutionResult) -> None:
            failed = _failed_before_execution(result)
            label = INVALID if failed else operation_label(context.operation_name)
            requests, seconds = _samples(label)
            requests.inc()
            seconds.observe(time.perf_counter() - started)
            span.update_name(label)
            span.set_attribute("graphql.operation.name", label)
            server_span.update_name(f"graphql {label}")

        yield observe


def _operation_span() -> AbstractContextManager[trace.Span]:
    if tracing_enabled():
        return tracer().start_as_current_span("graphql")
    return nullcontext(trace.INVALID_SPAN)


@cache  # labels are few: operation_label caps them
def _samples(label: str) -> tuple[Counter, Histogram]:
    """The operation's counter and histogram; `labels()` would look them up under a lock."""
    return GRAPHQL_REQUESTS.labels(operation=label), GRAPHQL_SECONDS.labels(operation=label)


def _failed_before_execution(result: ExecutionResult) -> bool:
    """Parse and validation errors leave no data and carry no path."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)
