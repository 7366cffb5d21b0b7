"""Structured logs: JSON in production, readable in development, with the request id, the
user and the acting tenant on every line a request writes, and the trace id when tracing is on.

Litestar resolves dependencies (where the caller becomes known) outside the task that runs
the middleware, so plain context variables set there would not reach the request's other
log lines. Each request therefore gets one mutable dict in a context variable; copies of the
context share that dict, and whatever `bind_request` adds shows up in every line.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import EventDict, Processor, WrappedLogger

from backend.core.telemetry import current_trace_id
from backend.settings import LogFormat, Settings

REQUEST_ID_HEADER = b"x-request-id"
_SAFE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,128}$")
_request_fields: ContextVar[dict[str, Any] | None] = ContextVar("request_fields", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, None outside one (a job, a command)."""
    fields = _request_fields.get()
    return fields.get("request_id") if fields else None


def bind_request(**fields: Any) -> None:
    """Add fields to every later log line of the current request."""
    current = _request_fields.get()
    if current is not None:
        current.update(fields)


def _add_request_fields(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    for key, value in (_request_fields.get() or {}).items():
        event.setdefault(key, value)
    return event


def _add_trace_id(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The trace a line belongs to, so a log search and a trace view meet (tracing on)."""
    trace_id = current_trace_id()
    if trace_id is not None:
        event.setdefault("trace_id", trace_id)
    return event


def configure_logging(settings: Settings) -> None:
    """Route structlog and the standard library (uvicorn, SQLAlchemy) through one renderer."""
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if settings.effective_log_format is LogFormat.JSON
        else structlog.dev.ConsoleRenderer()
    )
    shared: list[Processor] = [
        _add_request_fields,
        _add_trace_id,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        # Lines below the level are dropped first, before any processor formats them.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO))


def request_logging(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: one request id per request (the caller's, if it is sane), one log line."""
    log = structlog.get_logger("certready.http")

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        token = _request_fields.set({"request_id": _request_id(scope)})
        started = time.perf_counter()
        status = 500

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_recording_status)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            _request_fields.reset(token)

    return middleware


async def log_server_error(error: Exception, _: Scope) -> None:
    """After-exception hook: an error a request ran into is logged with its traceback (and,
    like every line, the request id). HTTP errors meant for the client are answers, not faults.
    Async, as Litestar runs a synchronous hook in a worker thread."""
    if isinstance(error, HTTPException) and error.status_code < 500:
        return
    structlog.get_logger("certready.http").error("server error", exc_info=error)


async def ensure_request_id(message: Message, scope: Scope) -> None:
    """Before-send hook: every response carries the request id, also those no route handled
    (404, 405, CORS preflight), which never pass through the middleware. Async, as Litestar
    runs a synchronous hook in a worker thread, twice per response."""
    if message["type"] != "http.response.start":
        return
    fields = _request_fields.get()
    request_id = fields["request_id"] if fields else _request_id(scope)
    # Replace, not add: a response served from the server-side cache still carries the id of
    # the request that filled the cache.
    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER]
    message["headers"] = [*headers, (REQUEST_ID_HEADER, request_id.encode())]


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _SAFE_REQUEST_ID.match(value):
            return value.decode()
    return uuid.uuid4().hex
