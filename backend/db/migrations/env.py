"""Alembic environment: migrations run as the schema owner.

`certready migrate` hands in an open connection; the plain `alembic` command (used to write
new revisions) connects to DATABASE_URL itself.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from backend.db.models import Base
from backend.settings import Settings


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _connect_and_run() -> None:
    engine = create_async_engine(Settings().owner_url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `certready migrate`")

given: Connection | None = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    asyncio.run(_connect_and_run())
