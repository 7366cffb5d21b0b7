"""Migrations and models agree, and every migration can be undone and redone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.migrate import alembic_config, head_revision
from backend.db.models import Base


async def test_models_match_the_migrated_schema(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert differences == [], "models and migrations differ: write a migration"


def _downgrade_and_upgrade(connection: Connection) -> list[str]:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")
    left = connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ).scalars()
    remaining = sorted(name for name in left if name != "alembic_version")
    command.upgrade(config, "head")
    return remaining


async def test_downgrade_to_base_and_back(owner_engine: AsyncEngine) -> None:
    """Runs in one transaction that is rolled back, so the shared database is untouched."""
    async with owner_engine.connect() as connection:
        transaction = await connection.begin()
        remaining = await connection.run_sync(_downgrade_and_upgrade)
        revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        await transaction.rollback()
    assert remaining == []
    assert revision == head_revision()
