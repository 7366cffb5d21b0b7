"""Spans of the broker hop: the relay's publish (PRODUCER) and the worker's process (CONSUMER).

The trace context travels as one thing, the W3C traceparent: the outbox row holds the one of
the request that enqueued the job, the publish span continues it, and the message carries
the publish span's own in its options to the process span, which continues it. A redelivered
or retried message carries the same options, so each delivery's process span joins the
publish that sent it. Both spans name the broker, the queue, the message id and the actor
(the job's name) as OpenTelemetry's messaging conventions ask.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dramatiq import Broker, Message
from opentelemetry.trace import Span, SpanKind
from opentelemetry.util.types import AttributeValue

from backend.core.telemetry import TRACEPARENT, continued_span, current_traceparent
from backend.jobs.brokers import messaging_system

SEND, PROCESS = "send", "process"


def _attributes(
    broker: Broker, message: Message[object], operation: str
) -> dict[str, AttributeValue]:
    return {
        "messaging.system": messaging_system(broker),
        "messaging.operation.type": operation,
        "messaging.operation.name": operation,
        "messaging.destination.name": message.queue_name,
        "messaging.message.id": message.message_id,
        "certready.job.name": message.actor_name,
    }


@contextmanager
def publishing(
    broker: Broker, message: Message[object], traceparent: str | None
) -> Iterator[Message[object]]:
    """The publish span of `message`, continuing `traceparent` (the outbox row's); yields the
    message to enqueue, carrying the span's own traceparent."""
    attributes = _attributes(broker, message, SEND)
    name = f"{SEND} {message.queue_name}"
    with continued_span(name, traceparent, SpanKind.PRODUCER, attributes):
        carried = current_traceparent()
        yield message.copy(options={TRACEPARENT: carried}) if carried else message


@contextmanager
def processing(broker: Broker, message: Message[object]) -> Iterator[Span]:
    """The process span of one delivery of `message`, continuing the publish that sent it."""
    traceparent = message.options.get(TRACEPARENT)
    attributes = _attributes(broker, message, PROCESS)
    name = f"{PROCESS} {message.queue_name}"
    with continued_span(name, traceparent, SpanKind.CONSUMER, attributes) as span:
        yield span
