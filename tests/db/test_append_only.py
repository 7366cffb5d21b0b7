"""Append-only tables from the catalog: each is guarded, and the app role cannot change it.

The tables are discovered from pg_catalog (the guard trigger marks them), so privileges
refreshed by `certready migrate` are checked against every marked table, and the known list
fails when a table that must be append-only loses its mark.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.append_only import guarded_tables
from backend.runtime import Runtime

# Rows that are history, never edited: who changed what, who downloaded what, what a
# program scored.
APPEND_ONLY = {"assessment_changes", "evidence_downloads", "readiness_snapshots"}
# Rows written pending and decided exactly once: an evidence upload's verdict, an
# effectiveness review's.
DECIDED_ONCE = {"effectiveness_reviews", "evidence_versions"}

PRIVILEGE = text("SELECT has_table_privilege(current_user, :table, :privilege)")


async def _guarded(owner_engine: AsyncEngine) -> dict[str, bool]:
    async with owner_engine.connect() as connection:
        return await guarded_tables(connection)


async def test_the_known_append_only_tables_are_guarded(owner_engine: AsyncEngine) -> None:
    guarded = await _guarded(owner_engine)
    assert {table for table, decided in guarded.items() if not decided} >= APPEND_ONLY
    assert {table for table, decided in guarded.items() if decided} >= DECIDED_ONCE


async def test_the_app_role_may_not_delete_or_edit_any_guarded_table(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    """DELETE and TRUNCATE never; UPDATE only where a decision exists (its trigger checks it)."""
    guarded = await _guarded(owner_engine)
    assert guarded
    async with runtime.engine.connect() as connection:
        allowed = {
            (table, privilege)
            for table in guarded
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
            if await connection.scalar(PRIVILEGE, {"table": table, "privilege": privilege})
        }
    expected = {(table, "SELECT") for table in guarded} | {(table, "INSERT") for table in guarded}
    expected |= {(table, "UPDATE") for table, decided in guarded.items() if decided}
    assert allowed == expected
