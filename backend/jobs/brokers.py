"""Which broker carries jobs: RabbitMQ or Redis when configured, else one in this process.

With no broker configured (zero-setup) jobs still survive a restart: they wait in the
database outbox until done, and the relay publishes again what a stopped process never
finished. The in-process broker only carries them between threads.
"""

from __future__ import annotations

from dramatiq import Broker
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage
from dramatiq.middleware.asyncio import AsyncIO

from backend.settings import Settings

QUEUE = "certready"


class BrokerConfigurationError(ValueError):
    """BROKER_URL names no broker certready speaks."""


def broker_url(settings: Settings) -> str | None:
    return settings.broker_url or settings.redis_url


def make_broker(settings: Settings) -> Broker:
    url = broker_url(settings)
    broker: Broker
    if url is None:
        broker = StubBroker()
    elif url.startswith(("amqp://", "amqps://")):
        broker = RabbitmqBroker(url=url, confirm_delivery=True)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        broker = RedisBroker(url=url)  # type: ignore[no-untyped-call]
    else:
        raise BrokerConfigurationError("BROKER_URL must be an amqp:// (RabbitMQ) or redis:// URL")
    broker.add_middleware(AsyncIO())
    broker.add_middleware(CurrentMessage())  # the worker's process span reads its message
    return broker


def messaging_system(broker: Broker) -> str:
    """The broker's name as traces call it (`messaging.system`)."""
    if isinstance(broker, RabbitmqBroker):
        return "rabbitmq"
    if isinstance(broker, RedisBroker):
        return "redis"
    return "in_process"


def in_process(broker: Broker) -> bool:
    return isinstance(broker, StubBroker)
