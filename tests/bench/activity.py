"""`make bench` (activity): how long verifying a long activity chain takes.

Writes BENCH_ACTIVITY_ENTRIES (100,000) chained entries for one organization straight into a
fresh database (as the schema owner, with COPY), then verifies the chain as the nightly job
does (`activity.service.verify`, in the organization's system scope under row-level
security), and once more after one entry in the middle was altered, which must be found.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from backend.activity import service
from backend.activity.chain import GENESIS, Link, link
from backend.db.migrate import migrate
from backend.embedded import start_embedded_postgres
from backend.runtime import Runtime
from backend.settings import Environment, Settings
from tests.bench.readiness import database

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = int(os.environ.get("BENCH_ACTIVITY_ENTRIES", "100000"))
COLUMNS = (
    "id",
    "tenant_id",
    "seq",
    "at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "operation",
    "changes",
    "request_id",
    "prev_hash",
    "hash",
)


def _records(tenant: uuid.UUID) -> list[tuple[object, ...]]:
    start = datetime.now(UTC) - timedelta(days=365)
    previous, records = GENESIS, list[tuple[object, ...]]()
    for seq in range(1, ENTRIES + 1):
        changes = {"status": {"before": "partial", "after": "conformant"}, "note": f"n{seq}"}
        entry = Link(
            tenant,
            seq,
            start + timedelta(seconds=seq),
            None,
            "assessRequirements",
            "Assessment",
            str(uuid.uuid4()),
            "update",
            changes,
            f"req-{seq}",
        )
        digest = link(previous, entry)
        records.append(
            (
                uuid.uuid4(),
                tenant,
                seq,
                entry.at,
                None,
                entry.action,
                entry.object_type,
                entry.object_id,
                entry.operation,
                json.dumps(changes),
                entry.request_id,
                previous,
                digest,
            )
        )
        previous = digest
    return records


async def _fill(settings: Settings) -> uuid.UUID:
    tenant = uuid.uuid4()
    owner = create_async_engine(settings.owner_url)
    try:
        async with owner.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO organizations (id, kind, name, slug, timezone)"
                    " VALUES (:id, 'client', 'Bench', 'bench', 'UTC')"
                ),
                {"id": tenant},
            )
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.copy_records_to_table(
                "activity_log", records=_records(tenant), columns=COLUMNS
            )
            await connection.execute(text("ANALYZE activity_log"))
    finally:
        await owner.dispose()
    return tenant


async def _verify(runtime: Runtime, tenant: uuid.UUID) -> tuple[float, service.Verdict]:
    started = time.perf_counter()
    async with runtime.acting_in(tenant) as db:
        verdict = await service.verify(db, tenant, store=True)
        await db.commit()
    return time.perf_counter() - started, verdict


async def _bench(settings: Settings) -> None:
    password = settings.database_app_password.get_secret_value()
    await migrate(settings.owner_url, settings.database_app_role, password)
    tenant = await _fill(settings)
    runtime = Runtime.build(settings)
    try:
        seconds, verdict = await _verify(runtime, tenant)
        if verdict.broken is not None or verdict.entries != ENTRIES:
            raise RuntimeError(f"the generated chain should hold: {verdict}")
        print(
            f"activity chain of {ENTRIES:,} entries verified in {seconds:.2f} s"
            f" ({ENTRIES / seconds:,.0f} entries/s)"
        )
        owner = create_async_engine(settings.owner_url)
        async with owner.begin() as connection:
            await connection.execute(
                text("UPDATE activity_log SET action = 'forged' WHERE seq = :seq"),
                {"seq": ENTRIES // 2},
            )
        await owner.dispose()
        seconds, verdict = await _verify(runtime, tenant)
        if verdict.broken is None or verdict.broken.seq != ENTRIES // 2:
            raise RuntimeError(f"the forged entry was not found: {verdict}")
        print(f"  a forged entry {ENTRIES // 2:,} found in {seconds:.2f} s")
    finally:
        await runtime.close()


def main() -> None:
    configured = os.environ.get("TEST_DATABASE_URL")
    server = make_url(configured or start_embedded_postgres(ROOT / ".data" / "test-postgres"))
    server = server.set(drivername="postgresql+asyncpg")
    name = f"certready_bench_activity_{uuid.uuid4().hex[:8]}"
    asyncio.run(database(server, f'CREATE DATABASE "{name}"'))
    data_dir = Path(tempfile.mkdtemp(prefix="certready-bench-"))
    settings = Settings(
        _env_file=None,
        certready_env=Environment.TEST,
        database_url=server.set(database=name).render_as_string(hide_password=False),
        data_dir=data_dir,
        log_level="WARNING",
    )
    try:
        asyncio.run(_bench(settings))
    finally:
        asyncio.run(database(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
