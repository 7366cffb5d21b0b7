"""Bringing a database to the current schema, and provisioning the role the app uses."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from backend.auth.rls import app_role_auth_grants
from backend.catalog.loader import load_catalog, read_catalog
from backend.db.append_only import app_role_revocations
from backend.jobs.sql import app_role_job_grants

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# The app role reads these and never changes them: the schema version and the catalog.
READ_ONLY_TABLES = ("alembic_version", "standards", "clauses")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(connection: AsyncConnection) -> str | None:
    return await connection.run_sync(
        lambda sync: MigrationContext.configure(sync).get_current_revision()
    )


async def migrate(owner_url: URL, app_role: str, app_password: str | None) -> None:
    """Upgrade to head, load the standards catalog, and make sure the app role exists with
    exactly the rights it needs. All in one transaction: a failure leaves nothing half done.

    `app_password` None means the role is managed elsewhere (its URL was given), so only
    its grants are refreshed.
    """
    catalog = read_catalog()  # an invalid data file stops here, before the database changes
    engine = create_async_engine(owner_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade)
            for report in await load_catalog(connection, catalog):
                logger.info("catalog %s", report)
            await _provision_app_role(connection, app_role, app_password)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def _provision_app_role(connection: AsyncConnection, role: str, password: str | None) -> None:
    """A login role that owns nothing and cannot bypass row-level security, and may not
    change the catalog nor rewrite append-only tables (`backend/db/append_only.py`) nor read
    password hashes (`backend/auth/rls.py`).

    Role names cannot be bound parameters; `role` is validated by the settings pattern.
    """
    exists = await connection.scalar(
        text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
    )
    if not exists:
        await connection.execute(
            text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE')
        )
    if password is not None:
        quoted = await connection.scalar(text("SELECT quote_literal(:pw)"), {"pw": password})
        await connection.execute(
            text(f'ALTER ROLE "{role}" WITH LOGIN NOBYPASSRLS PASSWORD {quoted}')
        )
    database = await connection.scalar(text("SELECT current_database()"))
    for statement in (
        f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        *(f'REVOKE INSERT, UPDATE, DELETE ON {table} FROM "{role}"' for table in READ_ONLY_TABLES),
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        *await app_role_revocations(connection, role),
        *await app_role_auth_grants(connection, role),
        *app_role_job_grants(role),
    ):
        await connection.execute(text(statement))
