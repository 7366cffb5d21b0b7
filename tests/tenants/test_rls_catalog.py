"""Lock 1 from the catalog: every table with a tenant_id is under forced row-level security.

Tables are discovered from pg_catalog, not listed by hand, so a new tenant-owned table that
forgets its policies fails here.
"""

from __future__ import annotations

import uuid
from importlib import import_module

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.runtime import Runtime
from tenants.rls import READ_TEST
from tests.support import World
from tests.tenants.helpers import KNOWN_TENANT_TABLES, set_context, tenant_tables

COMMANDS = {"SELECT", "INSERT", "UPDATE", "DELETE"}
_READ_SET_ONCE = import_module("backend.db.migrations.versions.0025_read_set_once")
# Enabled, not forced: only the owner's two job functions read it across tenants
# (backend/jobs/sql.py); the app role owns nothing and meets its policies like anywhere else.
OWNER_EXEMPT = {"job_outbox": (True, False)}

RLS_FLAGS = text(
    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
    " WHERE relnamespace = 'public'::regnamespace AND relname = ANY(:tables)"
)
POLICIES = text(
    "SELECT tablename, cmd, permissive, coalesce(qual, ''), coalesce(with_check, '')"
    " FROM pg_policies WHERE schemaname = 'public' AND tablename = ANY(:tables)"
)


async def _tables(owner_engine: AsyncEngine) -> list[str]:
    async with owner_engine.connect() as connection:
        return await tenant_tables(connection)


async def test_catalog_lists_the_tenant_owned_tables(owner_engine: AsyncEngine) -> None:
    tables = await _tables(owner_engine)
    assert tables
    assert set(tables) >= KNOWN_TENANT_TABLES


async def test_every_tenant_table_has_row_level_security_enabled_and_forced(
    owner_engine: AsyncEngine,
) -> None:
    tables = await _tables(owner_engine)
    async with owner_engine.connect() as connection:
        flags = {
            row[0]: (row[1], row[2])
            for row in await connection.execute(RLS_FLAGS, {"tables": tables})
        }
    assert set(flags) == set(tables)
    unlocked = {table: flag for table, flag in flags.items() if flag != (True, True)}
    assert unlocked == OWNER_EXEMPT, "(enabled, forced) must both be true"


async def test_every_tenant_table_has_one_policy_per_command(owner_engine: AsyncEngine) -> None:
    """SELECT, INSERT, UPDATE, DELETE each covered; no FOR ALL policy that a reader could use."""
    tables = await _tables(owner_engine)
    async with owner_engine.connect() as connection:
        policies = (await connection.execute(POLICIES, {"tables": tables})).all()
    commands: dict[str, set[str]] = {table: set() for table in tables}
    for table, command, permissive, _using, _check in policies:
        commands[table].add(command)
        assert permissive == "PERMISSIVE", (table, command)
    assert {table: found for table, found in commands.items() if found != COMMANDS} == {}


async def test_write_policies_test_only_the_write_tenant(owner_engine: AsyncEngine) -> None:
    """A policy that let the read set through on a write would let readers change data."""
    tables = await _tables(owner_engine)
    async with owner_engine.connect() as connection:
        policies = (await connection.execute(POLICIES, {"tables": tables})).all()
    writes = [row for row in policies if row[1] != "SELECT"]
    assert writes
    for table, command, _permissive, using, check in writes:
        expressions = (
            [check] if command == "INSERT" else [using] if command == "DELETE" else [using, check]
        )
        for expression in expressions:
            assert "app.write_tenant" in expression, (table, command, expression)
            assert "app.read_tenants" not in expression, (table, command, expression)
            assert "app.user_id" not in expression, (table, command, expression)


async def test_read_policies_parse_the_read_set_once_per_statement(
    owner_engine: AsyncEngine,
) -> None:
    """Only as a scalar subquery (an InitPlan) is `app.read_tenants` parsed once, not for
    every row a filter or a correlated subplan visits."""
    tables = await _tables(owner_engine)
    async with owner_engine.connect() as connection:
        policies = (await connection.execute(POLICIES, {"tables": tables})).all()
    reads = {row[0]: row[3] for row in policies if row[1] == "SELECT"}
    assert set(reads) == set(tables)
    for table, using in reads.items():
        if "app.read_tenants" in using:
            bare = using.replace(_READ_SET_ONCE.ONCE, "")
            assert "app.read_tenants" not in bare, (table, using)


async def test_the_read_set_migration_rewrites_a_per_row_policy_into_the_current_form(
    owner_engine: AsyncEngine,
) -> None:
    """Databases migrated before revision 0025 hold the per-row form: rewriting its stored
    expression gives exactly what the current policy DDL stores."""
    per_row = (  # READ_TEST before revision 0025
        "tenant_id = ANY (string_to_array("
        "NULLIF(current_setting('app.read_tenants', true), ''), ',')::uuid[])"
    )
    async with owner_engine.begin() as connection:
        await connection.execute(text("CREATE TEMP TABLE policy_forms (tenant_id uuid)"))
        for name, test in (("per_row", per_row), ("current", READ_TEST)):
            await connection.execute(
                text(f"CREATE POLICY {name} ON policy_forms FOR SELECT USING ({test})")
            )
        stored: dict[str, str] = dict(
            (
                await connection.execute(
                    text(
                        "SELECT polname, pg_get_expr(polqual, polrelid) FROM pg_policy"
                        " WHERE polname IN ('per_row', 'current')"
                    )
                )
            ).all()
        )
        await connection.rollback()
    assert stored["per_row"] != stored["current"]
    assert _READ_SET_ONCE.in_form(stored["per_row"], once=True) == stored["current"]
    assert _READ_SET_ONCE.in_form(stored["current"], once=True) == stored["current"]
    assert _READ_SET_ONCE.in_form(stored["current"], once=False) == stored["per_row"]


async def test_app_role_cannot_bypass_row_level_security_and_owns_no_tenant_table(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    tables = await _tables(owner_engine)
    async with runtime.engine.connect() as connection:
        role = await connection.scalar(text("SELECT current_user"))
        flags = (
            await connection.execute(
                text("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        owned = (
            await connection.scalars(
                text(
                    "SELECT relname FROM pg_class WHERE relname = ANY(:tables)"
                    " AND relnamespace = 'public'::regnamespace"
                    " AND relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
                ),
                {"tables": tables},
            )
        ).all()
    assert role == "certready_app"
    assert tuple(flags) == (False, False)
    assert owned == []


async def test_without_tenant_context_the_app_role_reads_nothing(
    runtime: Runtime, owner_engine: AsyncEngine, world: World
) -> None:
    tables = await _tables(owner_engine)
    async with owner_engine.connect() as connection:
        owner_counts = {
            t: await connection.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables
        }
    async with runtime.engine.connect() as connection:
        app_counts = {t: await connection.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}
    assert all(owner_counts[t] for t in KNOWN_TENANT_TABLES), owner_counts
    assert app_counts == dict.fromkeys(tables, 0)


@pytest.mark.parametrize("user", [None, "consultant", "auditor"])
async def test_reading_tenant_a_never_shows_tenant_b(
    runtime: Runtime, owner_engine: AsyncEngine, world: World, user: str | None
) -> None:
    """With read={A}, every tenant table shows A's rows and never B's.

    A signed-in user also sees the few rows its SELECT policies admit before its tenants are
    known (its own memberships, the certification-body directory), none of which are B's.
    """
    a, b = world.orgs["a"].id, world.orgs["b"].id
    user_id = world.users[user].id if user else None
    tables = await _tables(owner_engine)
    seen: dict[str, set[uuid.UUID]] = {}
    async with runtime.engine.begin() as connection:
        await set_context(connection, user_id=user_id, read=frozenset({a}))
        for table in tables:
            seen[table] = set(
                await connection.scalars(text(f"SELECT DISTINCT tenant_id FROM {table}"))
            )
        aimed_at_b = await connection.scalar(
            text("SELECT count(*) FROM memberships WHERE tenant_id = :b"), {"b": b}
        )
    assert aimed_at_b == 0
    assert [table for table, tenants in seen.items() if b in tenants] == []
    assert all(a in seen[table] for table in KNOWN_TENANT_TABLES), seen
    if user is None:
        assert all(tenants <= {a} for tenants in seen.values()), seen
