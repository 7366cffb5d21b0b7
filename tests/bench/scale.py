"""`make bench-scale`: does latency stay flat as tenants grow from 20 to 2,000?

For each size a fresh database is filled as the schema owner, with the readiness bench's fill
(tests/bench/readiness.py): client organizations with three programs each (ISO 14001, 45001
and 9001) and their assessments, steps, actions, findings, documents and evidence, about a
million rows at 2,000 tenants. On top: an owner per client, a consultancy whose consultant
serves up to BENCH_SCALE_CLIENTS (200) clients, and a second consultancy per ten clients so
that the engagements table grows with the tenants too.

Measured in-process through the real app (GraphQL, row-level security, the app role), each
the median of BENCH_SCALE_RUNS (30) after a warm-up:

- the program dashboard of one client (tests/bench/scenarios.py DASHBOARD);
- a consultant's portfolio (scenarios PROGRAMS: the first 50 of all its clients' programs),
  once for a consultancy of ten clients at both sizes (tenants grow, the read set does not)
  and once for the consultant serving up to BENCH_SCALE_CLIENTS;
- the readiness recompute of one tenant (its three programs, in its system scope).

The goal is the ratio of the large size to the small one within 1.2x for each. The
consultant serves min(tenants, 200) clients, so at 20 tenants it serves all 20.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from litestar.testing import AsyncTestClient
from sqlalchemy import make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from backend.app import create_app
from backend.auth.passwords import hash_password
from backend.db.migrate import migrate
from backend.embedded import start_embedded_postgres
from backend.readiness import service
from backend.runtime import ApiRuntime, Runtime
from backend.settings import Environment, Settings
from tests.bench.readiness import database, fill
from tests.bench.scenarios import BENCH_PASSWORD, DASHBOARD, PROGRAMS, global_id

ROOT = Path(__file__).resolve().parents[2]
SIZES = (20, int(os.environ.get("BENCH_SCALE_TENANTS", "2000")))
CLIENTS = int(os.environ.get("BENCH_SCALE_CLIENTS", "200"))
RUNS = int(os.environ.get("BENCH_SCALE_RUNS", "30"))
STANDARDS = 3
GOAL = 1.2
CONSULTANT = "consultant@bench-scale.example"
TEAM = "team@bench-scale.example"  # of the consultancy engaged by clients 0 to 9
OWNER = "owner-1@bench-scale.example"  # the owner of the first client

# Owners for every client, the consultant, and consultancies of ten clients each (the first
# with a member of its own).
_PEOPLE = (
    """INSERT INTO users (id, email, name, password_hash, is_active)
       SELECT gen_random_uuid(), 'owner-' || substr(o.slug, 7) || '@bench-scale.example',
              'Owner of ' || o.name, :hash, true
       FROM organizations o WHERE o.slug LIKE 'bench-%'""",
    """INSERT INTO memberships (id, tenant_id, user_id, role)
       SELECT gen_random_uuid(), o.id, u.id, 'owner'
       FROM organizations o
       JOIN users u ON u.email = 'owner-' || substr(o.slug, 7) || '@bench-scale.example'
       WHERE o.slug LIKE 'bench-%'""",
    """INSERT INTO organizations (id, kind, name, slug, timezone)
       SELECT gen_random_uuid(), 'consultancy', 'Scale consultancy ' || n, 'scale-c-' || n, 'UTC'
       FROM generate_series(0, :tenants / 10 + 1) n""",
    """INSERT INTO consultancy_engagements (id, tenant_id, consultancy_id)
       SELECT gen_random_uuid(), o.id, c.id
       FROM organizations o
       JOIN organizations c ON c.slug = 'scale-c-' || (substr(o.slug, 7)::int / 10 + 1)
       WHERE o.slug LIKE 'bench-%'""",
    """INSERT INTO users (id, email, name, password_hash, is_active)
       VALUES (gen_random_uuid(), :consultant, 'Scale consultant', :hash, true),
              (gen_random_uuid(), :team, 'Scale team', :hash, true)""",
    """INSERT INTO memberships (id, tenant_id, user_id, role)
       SELECT gen_random_uuid(), c.id, u.id, 'owner'
       FROM organizations c JOIN users u
         ON (c.slug, u.email) IN (('scale-c-0', :consultant), ('scale-c-1', :team))""",
    """INSERT INTO consultancy_engagements (id, tenant_id, consultancy_id)
       SELECT gen_random_uuid(), o.id, c.id
       FROM organizations o, organizations c
       WHERE c.slug = 'scale-c-0' AND o.slug LIKE 'bench-%'
         AND substr(o.slug, 7)::int <= :clients""",
)
_ROWS = "SELECT sum(n_live_tup)::bigint FROM pg_stat_user_tables"


@dataclass(frozen=True)
class Population:
    tenants: list[uuid.UUID]
    rows: int


async def populate(connection: AsyncConnection, tenants: int, clients: int) -> Population:
    """The scale data set, as the owner; ANALYZEd, so plans are those of a live database."""
    ids = await fill(connection, tenants, STANDARDS)
    values = {
        "hash": hash_password(BENCH_PASSWORD),
        "tenants": tenants,
        "clients": clients,
        "consultant": CONSULTANT,
        "team": TEAM,
    }
    for statement in _PEOPLE:
        await connection.execute(text(statement), values)
    await connection.commit()
    await connection.execute(text("ANALYZE"))
    await connection.commit()  # the statistics are rows too: uncommitted, the planner sees none
    rows = int(await connection.scalar(text(_ROWS)) or 0)
    return Population(ids, rows)


@dataclass(frozen=True)
class Size:
    tenants: int
    rows: int
    clients: int
    milliseconds: dict[str, float]


Scenario = Callable[[], Awaitable[object]]


async def _median_ms(scenario: Scenario) -> float:
    for _ in range(5):
        await scenario()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await scenario()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def _measure(settings: Settings, population: Population) -> dict[str, float]:
    # The test client serves the app on a loop of its own: the app and this loop each get a
    # runtime (asyncpg connections cannot cross loops).
    runtime = Runtime.build(settings)
    first = population.tenants[0]
    try:
        return await _scenarios(settings, runtime, first)
    finally:
        await runtime.close()


async def _scenarios(settings: Settings, runtime: Runtime, first: uuid.UUID) -> dict[str, float]:
    async with AsyncTestClient(create_app(ApiRuntime.build(settings))) as client:

        async def ask(query: str, token: str, variables: dict[str, str], tenant: str = "") -> None:
            headers = {"Authorization": f"Bearer {token}"}
            if tenant:
                headers["X-Tenant-ID"] = tenant
            answer = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            assert answer.status_code == 200, answer.text
            assert not answer.json().get("errors"), answer.text

        owner, consultant = await _login(client, OWNER), await _login(client, CONSULTANT)
        team = await _login(client, TEAM)
        program = await _first_program(runtime, first)
        tenant = global_id("Organization", first)
        dashboard = {"id": global_id("Program", program)}

        async def recompute() -> None:
            async with runtime.acting_in(first) as db:
                await service.recompute_active(db)
                await db.rollback()  # every run scores the same facts

        return {
            "dashboard": await _median_ms(lambda: ask(DASHBOARD, owner, dashboard, tenant)),
            "portfolio, 10 clients": await _median_ms(lambda: ask(PROGRAMS, team, {})),
            f"portfolio, {CLIENTS} clients": await _median_ms(
                lambda: ask(PROGRAMS, consultant, {})
            ),
            "recompute": await _median_ms(recompute),
        }


async def _login(client: AsyncTestClient, email: str) -> str:  # type: ignore[type-arg]
    query = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {"
    query += " accessToken errors { code } } }"
    answer = await client.post(
        "/graphql", json={"query": query, "variables": {"e": email, "p": BENCH_PASSWORD}}
    )
    token: str = answer.json()["data"]["login"]["accessToken"]
    return token


async def _first_program(runtime: Runtime, tenant: uuid.UUID) -> uuid.UUID:
    async with runtime.acting_in(tenant) as db:
        program: uuid.UUID = await db.scalar(
            text("SELECT id FROM programs ORDER BY created_at, id LIMIT 1")
        )
    return program


async def _size(server: URL, tenants: int, data_dir: Path) -> Size:
    name = f"certready_bench_scale_{uuid.uuid4().hex[:8]}"
    await database(server, f'CREATE DATABASE "{name}"')
    settings = Settings(
        _env_file=None,
        certready_env=Environment.TEST,
        database_url=server.set(database=name).render_as_string(hide_password=False),
        data_dir=data_dir,
        log_level="WARNING",
        # Measure however long an answer takes rather than stop at the production budget.
        graphql_time_budget_seconds=600,
    )
    try:
        password = settings.database_app_password.get_secret_value()
        await migrate(settings.owner_url, settings.database_app_role, password)
        owner = create_async_engine(settings.owner_url)
        clients = min(tenants, CLIENTS)
        try:
            async with owner.connect() as connection:
                started = time.perf_counter()
                population = await populate(connection, tenants, clients)
                print(
                    f"  {tenants:,} tenants: {population.rows:,} rows"
                    f" in {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
        finally:
            await owner.dispose()
        return Size(tenants, population.rows, clients, await _measure(settings, population))
    finally:
        await database(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _report(small: Size, large: Size) -> None:
    print(f"\n| scenario | {small.tenants:,} tenants | {large.tenants:,} tenants | ratio | goal |")
    print("| --- | --- | --- | --- | --- |")
    for scenario, before in small.milliseconds.items():
        after = large.milliseconds[scenario]
        verdict = "met" if after / before <= GOAL else "NOT met"
        print(
            f"| {scenario} | {before:.1f} ms | {after:.1f} ms | {after / before:.2f}"
            f" | {verdict} (within {GOAL}x) |"
        )
    print(
        f"\nrows: {small.rows:,} and {large.rows:,}; the consultant serves {small.clients}"
        f" and {large.clients} clients; medians of {RUNS} runs"
    )


async def _bench(server: URL, data_dir: Path) -> None:
    print("filling (as the schema owner):", flush=True)
    small = await _size(server, SIZES[0], data_dir)
    large = await _size(server, SIZES[1], data_dir)
    _report(small, large)


def main() -> None:
    configured = os.environ.get("TEST_DATABASE_URL")
    server = make_url(configured or start_embedded_postgres(ROOT / ".data" / "test-postgres"))
    data_dir = Path(tempfile.mkdtemp(prefix="certready-bench-scale-"))
    try:
        asyncio.run(_bench(server.set(drivername="postgresql+asyncpg"), data_dir))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
