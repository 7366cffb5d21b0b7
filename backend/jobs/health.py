"""A worker's health probe: `/health/ready` answers whether its broker is reachable.

`certready worker` serves it when WORKER_HEALTH_PORT is set, on HOST, from a small
standard-library HTTP server on a thread of its own: a worker serves no web traffic, and
an ASGI server and app for two paths would be most of its memory. Each probe opens a fresh
connection to the broker (a Redis PING, an AMQP handshake) with a short timeout, so it
reports what the broker answers now rather than what a pooled connection last saw.
`/health/live` only says that the process answers; `/metrics` serves the worker's own job
counters, guarded like the API's (METRICS_TOKEN).
"""

from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pika
import redis
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backend.core.metrics import scrape_refusal
from backend.jobs.brokers import broker_url
from backend.settings import Settings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 3.0


def broker_problem(settings: Settings) -> str | None:
    """Why the configured broker cannot be reached now; None when it answers (or when jobs
    run in-process, with no broker to reach)."""
    url = broker_url(settings)
    try:
        if url is None:
            return None
        if url.startswith(("amqp://", "amqps://")):
            _amqp(url)
        else:
            _redis(url)
    except (OSError, pika.exceptions.AMQPError, redis.RedisError) as error:
        return f"{type(error).__name__}: {error}"[:300]
    return None


def _amqp(url: str) -> None:
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = TIMEOUT_SECONDS
    parameters.blocked_connection_timeout = TIMEOUT_SECONDS
    pika.BlockingConnection(parameters).close()


def _redis(url: str) -> None:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


class _Probe(BaseHTTPRequestHandler):
    settings: Settings

    def do_GET(self) -> None:
        if self.path == "/health/live":
            self._answer(HTTPStatus.OK, {"status": "ok"})
        elif self.path == "/health/ready":
            problem = broker_problem(self.settings)
            if problem is None:
                self._answer(HTTPStatus.OK, {"status": "ready"})
            else:
                body = {"status": "broker unavailable", "reason": problem}
                self._answer(HTTPStatus.SERVICE_UNAVAILABLE, body)
        elif self.path == "/metrics":
            self._metrics()
        else:
            self._answer(HTTPStatus.NOT_FOUND, {"status": "not found"})

    def _metrics(self) -> None:
        """The worker's own counters (its jobs), guarded like the API's /metrics."""
        refusal = scrape_refusal(self.settings, self.headers.get("Authorization", ""))
        if refusal is not None:
            self._answer(refusal, {"status": refusal.phrase.lower()})
            return
        content = generate_latest()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", CONTENT_TYPE_LATEST)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _answer(self, status: HTTPStatus, body: dict[str, str]) -> None:
        content = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("health probe: " + format, *args)


class HealthServer:
    """The probe server of one worker process, on HOST and `port`."""

    def __init__(self, settings: Settings, port: int) -> None:
        handler = type("Probe", (_Probe,), {"settings": settings})
        self._server = ThreadingHTTPServer((settings.host, port), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="worker-health", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
