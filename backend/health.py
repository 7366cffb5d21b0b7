"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import State
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy.exc import SQLAlchemyError

from backend.db.migrate import current_revision, head_revision
from backend.runtime import Runtime


@get("/health/live", sync_to_thread=False)
def live() -> dict[str, str]:
    """The process answers; says nothing about its dependencies."""
    return {"status": "ok"}


@get("/health/ready")
async def ready(state: State) -> Response[dict[str, str | None]]:
    """Ready when the database answers as the app role and the schema is at the newest revision."""
    runtime: Runtime = state.runtime
    expected = head_revision()
    try:
        async with runtime.engine.connect() as connection:
            found = await current_revision(connection)
    except (SQLAlchemyError, OSError):
        return Response(
            {"status": "database unavailable"}, status_code=HTTP_503_SERVICE_UNAVAILABLE
        )
    if found != expected:
        body = {"status": "migrations pending", "revision": found, "expected": expected}
        return Response(body, status_code=HTTP_503_SERVICE_UNAVAILABLE)
    return Response({"status": "ready", "revision": found}, status_code=HTTP_200_OK)
