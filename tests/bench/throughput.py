"""`make bench`: requests per second and latency of a served API, over real HTTP on loopback.

Starts `certready serve` on a fresh, migrated and demo-seeded database (TEST_DATABASE_URL's
server, or the embedded one), then drives each scenario with a bounded number of concurrent
clients for a fixed time. The load generator shares the machine with the server, so figures
compare runs on the same machine; they are not absolute capacity.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from backend.db.migrate import migrate
from backend.demo import seed_demo
from backend.embedded import start_embedded_postgres
from backend.runtime import Runtime
from backend.settings import Environment, Settings

ROOT = Path(__file__).resolve().parents[2]
PORT = 8765
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
BASE = f"http://127.0.0.1:{PORT}"

Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]

    def line(self) -> str:
        cuts = statistics.quantiles(self.latencies_ms, n=100)
        return (
            f"{self.name:<34} {self.requests / self.seconds:8.0f} req/s"
            f"   p50 {cuts[49]:6.1f} ms   p95 {cuts[94]:6.1f} ms   p99 {cuts[98]:6.1f} ms"
        )


async def _drive(name: str, call: Call) -> Result:
    latencies: list[float] = []
    deadline = time.perf_counter() + SECONDS

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await call(client)
            response.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=BASE, limits=limits, timeout=30) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        return Result(name, len(latencies), time.perf_counter() - began, latencies)


def _graphql(query: str, token: str, tenant: str | None = None) -> Call:
    headers = {"Authorization": f"Bearer {token}"} | ({"X-Tenant-ID": tenant} if tenant else {})

    async def call(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/graphql", json={"query": query}, headers=headers)

    return call


async def _login(email: str, password: str) -> str:
    query = (
        "mutation($e: String!, $p: String!)"
        " { login(input: {email: $e, password: $p}) { accessToken } }"
    )
    async with httpx.AsyncClient(base_url=BASE) as client:
        response = await client.post(
            "/graphql", json={"query": query, "variables": {"e": email, "p": password}}
        )
    token: str = response.json()["data"]["login"]["accessToken"]
    return token


async def _scenarios(password: str) -> list[Result]:
    token = await _login("consultant@northwind.example", password)

    async def live(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get("/health/live")

    portfolio = (
        "{ organizations { edges { node { name"
        " members { edges { node { role user { email } } } } } } } }"
    )
    return [
        await _drive("GET /health/live (no GraphQL)", live),
        await _drive("me (token, entitlements)", _graphql("{ me { user { email } } }", token)),
        await _drive("portfolio: orgs, members, users", _graphql(portfolio, token)),
    ]


async def _database(server: URL, name: str, statement: str) -> None:
    engine = create_async_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement.format(name=name)))
    finally:
        await engine.dispose()


async def _prepare(settings: Settings) -> None:
    password = settings.database_app_password.get_secret_value()
    await migrate(settings.owner_url, settings.database_app_role, password)
    runtime = Runtime.build(settings)
    try:
        await seed_demo(runtime)
    finally:
        await runtime.close()


def _wait_ready(server: subprocess.Popen[bytes]) -> None:
    for _ in range(240):
        if server.poll() is not None:
            raise SystemExit(f"certready serve exited with {server.returncode}")
        try:
            if httpx.get(f"{BASE}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise SystemExit("certready serve did not become ready")


def main() -> None:
    configured = os.environ.get("TEST_DATABASE_URL")
    server_url = make_url(configured or start_embedded_postgres(ROOT / ".data" / "test-postgres"))
    server_url = server_url.set(drivername="postgresql+asyncpg")
    name = f"certready_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_database(server_url, name, 'CREATE DATABASE "{name}"'))
    database_url = server_url.set(database=name).render_as_string(hide_password=False)
    settings = Settings(
        _env_file=None,
        certready_env=Environment.TEST,
        database_url=database_url,
        log_level="WARNING",
    )
    env = os.environ | {
        "CERTREADY_ENV": "test",
        "DATABASE_URL": database_url,
        "PORT": str(PORT),
        "LOG_LEVEL": "WARNING",
    }
    server = None
    try:
        asyncio.run(_prepare(settings))
        executable = str(Path(sys.executable).with_name("certready"))
        server = subprocess.Popen([executable, "serve"], env=env, stdout=subprocess.DEVNULL)
        _wait_ready(server)
        print(f"{CONCURRENCY} concurrent clients, {SECONDS:.0f} s per scenario, one server process")
        for result in asyncio.run(_scenarios(settings.demo_password.get_secret_value())):
            print(result.line(), flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        asyncio.run(_database(server_url, name, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
