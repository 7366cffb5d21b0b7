"""`/metrics` for Prometheus: the process's metrics plus what is measured at scrape time.

With METRICS_TOKEN set, a scrape must send it as a bearer token; without it the endpoint is
open outside production and absent (404) in production, so no deployment exposes its
numbers by default. The database pool and the outbox backlog are read when scraped: the
backlog in one statement, through a function that returns two numbers and no tenant's row.
"""

from __future__ import annotations

from http import HTTPStatus

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, NotFoundException
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from backend.core.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST, POOL, scrape_refusal
from backend.runtime import Runtime
from backend.settings import Settings

_BACKLOG = text("SELECT open, oldest_seconds FROM job_outbox_backlog()")


@get("/metrics", include_in_schema=False)
async def metrics(request: Request[object, object, State], state: State) -> Response[bytes]:
    runtime: Runtime = state.runtime
    _authorize(runtime.settings, request.headers.get("authorization", ""))
    await _measure(runtime)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _authorize(settings: Settings, authorization: str) -> None:
    refusal = scrape_refusal(settings, authorization)
    if refusal is HTTPStatus.NOT_FOUND:
        raise NotFoundException()
    if refusal is not None:
        raise NotAuthorizedException("A valid METRICS_TOKEN bearer token is required.")


async def _measure(runtime: Runtime) -> None:
    pool = runtime.engine.pool
    if isinstance(pool, QueuePool):
        POOL.labels(state="size").set(pool.size())
        POOL.labels(state="checked_out").set(pool.checkedout())
        POOL.labels(state="overflow").set(max(pool.overflow(), 0))
    async with runtime.sessions() as db:
        backlog, oldest = (await db.execute(_BACKLOG)).one()
    OUTBOX_BACKLOG.set(backlog)
    OUTBOX_OLDEST.set(oldest)
