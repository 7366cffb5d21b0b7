"""The Litestar application: GraphQL, health probes, metrics and the public signing keys."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.middleware import DefineMiddleware
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

from backend.api.context import TENANT_HEADER
from backend.api.http import graphql_controller
from backend.core.telemetry import tracing_enabled
from backend.evidence.routes import local_store_routes
from backend.health import live, ready
from backend.heap import freeze_start_up_heap
from backend.metrics import metrics
from backend.notifications.routes import calendar_feed
from backend.observability import (
    configure_logging,
    ensure_request_id,
    log_server_error,
    request_logging,
)
from backend.packages.routes import package_zip
from backend.reports.routes import report_download
from backend.runtime import ApiRuntime


# `cache` only caches on the server; clients and proxies need the Cache-Control header.
@get(
    "/.well-known/jwks.json",
    cache=300,
    cache_control=CacheControlHeader(max_age=300, public=True),
)
async def jwks(state: State) -> dict[str, Any]:
    """Public keys that verify our access tokens, including the previous key during rotation."""
    runtime: ApiRuntime = state.runtime
    return runtime.keys.public_jwks()


def create_app(runtime: ApiRuntime, *, serving: bool = False) -> Litestar:
    """The application; `serving` (the server process, not tests) also tunes the garbage
    collector once start-up is done, see backend/heap.py."""
    settings = runtime.settings
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await runtime.close()

    return Litestar(
        route_handlers=[
            graphql_controller(settings),
            live,
            ready,
            jwks,
            metrics,
            calendar_feed,
            package_zip,
            report_download,
            *local_store_routes(runtime.evidence, settings.evidence_max_bytes),
        ],
        state=State({"runtime": runtime}),
        cors_config=_cors(settings.cors_allow_origins),
        middleware=_middleware(),
        before_send=[ensure_request_id],
        after_exception=[log_server_error],
        lifespan=[lifespan],
        on_startup=[freeze_start_up_heap] if serving else [],
        debug=False,
        openapi_config=None,
        logging_config=None,  # configure_logging owns the root logger
    )


def _middleware() -> list[DefineMiddleware]:
    """Request logging, inside a server span per request when tracing is on (outermost, so
    the request's log lines carry its trace id); nothing of tracing when it is off."""
    logging = DefineMiddleware(request_logging)
    if not tracing_enabled():
        return [logging]
    tracing = DefineMiddleware(
        OpenTelemetryMiddleware,  # type: ignore[arg-type]  # an ASGI app class, untyped
        exclude_spans=["receive", "send"],
    )
    return [tracing, logging]


def _cors(origins: list[str]) -> CORSConfig | None:
    """Browsers on `origins` may call GraphQL, and PUT uploads to the local evidence store
    with the headers its tickets name (content-length too, although browsers set it)."""
    if not origins:
        return None
    return CORSConfig(
        allow_origins=origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "OPTIONS"],
        allow_headers=[
            "authorization",
            "content-type",
            "content-length",
            TENANT_HEADER,
            "x-request-id",
        ],
        expose_headers=["x-request-id"],
        max_age=600,
    )
