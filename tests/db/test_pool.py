"""The pool hands out no connection the server has closed, without asking the server first."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.runtime import ApiRuntime

APP_BACKENDS = (
    "FROM pg_stat_activity WHERE application_name = 'certready' AND pid <> pg_backend_pid()"
)


async def _app_backends(owner: AsyncEngine) -> int:
    async with owner.connect() as connection:
        return int(await connection.scalar(text(f"SELECT count(*) {APP_BACKENDS}")) or 0)


async def test_connections_the_server_ended_are_replaced(
    runtime: ApiRuntime, owner_engine: AsyncEngine
) -> None:
    """A restart or a terminated backend leaves dead connections in the pool; the next request
    still gets an answer, from a fresh connection."""
    async with runtime.sessions() as session:
        assert await session.scalar(text("SELECT 1")) == 1
        pooled = (await (await session.connection()).get_raw_connection()).driver_connection
    assert pooled is not None
    assert await _app_backends(owner_engine) >= 1
    # Only this connection's backend: another pooled one, ended too, could still be reading
    # the server's goodbye when the next checkout takes it.
    async with owner_engine.connect() as connection:
        ended = text("SELECT pg_terminate_backend(:pid)")
        await connection.execute(ended, {"pid": pooled.get_server_pid()})
    # The server forgets a backend before its socket closes: wait until the client has read
    # the end of the stream, which is what a pool checkout can see.
    for _ in range(200):
        if pooled.is_closed():
            break
        await asyncio.sleep(0.05)
    assert pooled.is_closed()
    async with runtime.sessions() as session:
        assert await session.scalar(text("SELECT 1")) == 1
