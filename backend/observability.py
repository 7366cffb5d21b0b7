"""Structured logs: JSON in production, readable in development, with a request id and the
acting tenant bound to every line a request writes."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.settings import LogFormat, Settings

REQUEST_ID_HEADER = b"x-request-id"
_SAFE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,128}$")


def configure_logging(settings: Settings) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.effective_log_format is LogFormat.JSON
        else structlog.dev.ConsoleRenderer()
    )
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )


def request_logging(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: one request id per request (the caller's, if it is sane), echoed back."""
    log = structlog.get_logger("certready.http")

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        request_id = _request_id(scope)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER, request_id.encode()),
                ]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            structlog.contextvars.clear_contextvars()

    return middleware


def ensure_request_id(message: Message, scope: Scope) -> None:
    """Before-send hook: responses that no route handled (404, 405, CORS preflight) never pass
    through the middleware, yet must carry a request id too."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", []))
    if not any(name.lower() == REQUEST_ID_HEADER for name, _ in headers):
        message["headers"] = [*headers, (REQUEST_ID_HEADER, _request_id(scope).encode())]


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _SAFE_REQUEST_ID.match(value):
            return value.decode()
    return uuid.uuid4().hex
