"""Shared helpers for the tenancy tests: catalog lookups, owner-side snapshots, raw settings."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.support import global_id

KNOWN_TENANT_TABLES = frozenset(
    {"organizations", "memberships", "consultancy_engagements", "auditor_grants"}
)
# Everything a tenancy operation could touch; users are global but reached through memberships.
SNAPSHOT_TABLES = (
    "organizations",
    "users",
    "memberships",
    "consultancy_engagements",
    "auditor_grants",
    "invitations",
)

Snapshot = dict[str, list[tuple[Any, ...]]]

TENANT_TABLES_SQL = text(
    """
    SELECT c.relname
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid
    WHERE n.nspname = 'public'
      AND c.relkind IN ('r', 'p')
      AND a.attname = 'tenant_id'
      AND a.attnum > 0
      AND NOT a.attisdropped
    ORDER BY c.relname
    """
)

SET_CONTEXT_SQL = text(
    "SELECT set_config('app.user_id', :user_id, true),"
    " set_config('app.read_tenants', :read_tenants, true),"
    " set_config('app.write_tenant', :write_tenant, true)"
)


async def tenant_tables(connection: AsyncConnection) -> list[str]:
    """Every table in schema public that has a tenant_id column, from the catalog."""
    return list((await connection.scalars(TENANT_TABLES_SQL)).all())


async def set_context(
    connection: AsyncConnection,
    *,
    user_id: uuid.UUID | None = None,
    read: frozenset[uuid.UUID] = frozenset(),
    write: uuid.UUID | None = None,
) -> None:
    """Write the tenant context into the open transaction, the way the session does."""
    await connection.execute(
        SET_CONTEXT_SQL,
        {
            "user_id": str(user_id) if user_id else "",
            "read_tenants": ",".join(str(t) for t in read),
            "write_tenant": str(write) if write else "",
        },
    )


async def snapshot(owner_engine: AsyncEngine) -> Snapshot:
    """Every row of the tenancy tables as the owner sees them (row-level security bypassed)."""
    rows: Snapshot = {}
    async with owner_engine.connect() as connection:
        for table in SNAPSHOT_TABLES:
            result = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [tuple(row) for row in result]
    return rows


async def owner_execute(owner_engine: AsyncEngine, sql: str, **params: Any) -> None:
    """Change data behind the application's back, as the schema owner."""
    async with owner_engine.begin() as connection:
        await connection.execute(text(sql), params)


async def owner_scalar(owner_engine: AsyncEngine, sql: str, **params: Any) -> Any:
    """One value as the schema owner sees it (plain SQL: the ORM's tenant criteria do not apply)."""
    async with owner_engine.connect() as connection:
        return await connection.scalar(text(sql), params)


def random_gid(type_name: str) -> str:
    """A well-formed global id that names nothing."""
    return global_id(type_name, uuid.uuid4())
