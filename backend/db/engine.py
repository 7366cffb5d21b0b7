"""Engines for the two database roles: the schema owner (migrations) and the app role."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from backend.db.session import TenantSession


def make_engine(url: URL, *, pool_size: int = 5) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # The tenant context lives in transaction-local settings, so a connection carries
        # nothing of one request into the next; asyncpg's statement cache is per connection.
        # JIT compilation is off: the app's statements are short and touch few rows, and
        # compiling the expressions of a criterion's subplans cost more than running them
        # (550 of 1,330 ms for a consultant's 50 programs, measured with EXPLAIN ANALYZE).
        connect_args={"server_settings": {"application_name": "certready", "jit": "off"}},
    )
    event.listen(engine.sync_engine.pool, "checkout", _refuse_closed)
    return engine


def _refuse_closed(_dbapi: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """Hand out no connection the server has closed (a restart, an idle timeout, a
    terminated backend): the pool then takes or opens another.

    SQLAlchemy's pre-ping asks the server instead, with three round trips under asyncpg
    (begin, an empty query, rollback) before every request's first statement. asyncpg reads
    its socket all the time, so a connection the server ended knows it by the time the pool
    hands it out; a statement failing on one that broke in between still invalidates the pool.
    """
    driver = record.driver_connection
    if driver is None or driver.is_closed():
        raise DisconnectionError("the server closed this connection")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[TenantSession]:
    return async_sessionmaker(engine, class_=TenantSession, expire_on_commit=False)
