"""`make bench`: certready's throughput as ratios to hand-written baselines, and its memory.

Serves `certready serve` (uvicorn, one process) on a fresh database (TEST_DATABASE_URL's
server, or the embedded one), migrated, demo-seeded and filled with the scenarios' data
(tests/bench/scenarios.py), next to the baselines of tests/bench/baselines.py, each in its
own uvicorn process. Every scenario compares two sides: certready with a baseline, or
certready with itself on a smaller input. The sides run one after the other, interleaved
(certready, baseline, certready, ...: BENCH_PAIRS pairs of BENCH_SECONDS each), so a drift
of the machine hits both; the table gives the median ratio of the pairs and their spread.
Beside the rate ratio it gives the CPU ratio: each server's CPU time per request (from
/proc), the baseline's over certready's. On a host whose cores are shared the rate moves with
whatever else runs (PostgreSQL is not pinned), while CPU per request mostly does not.
With two cores or more the servers share core 0 and the load generator runs on core 1
(PostgreSQL is not pinned). Figures compare runs on one machine; they are not capacity.

Memory: the certready process's VmRSS right after start, after BENCH_DASHBOARDS (2,000)
dashboards of the 123-requirement program, and after all scenarios.

Settings: BENCH_PORT (8765), BENCH_BASELINE_PORT (the plain route there, the hand-written
dashboard on the next port; BENCH_PORT + 1 unless set), BENCH_SECONDS (3),
BENCH_PAIRS (5), BENCH_CONCURRENCY (16 connections for the fast scenarios),
BENCH_HEAVY_CONCURRENCY (4, for the dashboards and program lists), BENCH_DASHBOARDS (2000).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from litestar.testing import AsyncTestClient
from sqlalchemy import make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from backend.app import create_app
from backend.db.migrate import migrate
from backend.demo import seed_demo
from backend.embedded import start_embedded_postgres
from backend.runtime import ApiRuntime
from backend.settings import Environment, Settings
from tests.bench import scenarios
from tests.bench.baselines import PLAIN_ANSWER
from tests.bench.load import Load, Request, pinned, run_python, run_wrk, wrk_available
from tests.bench.scenarios import Prepared

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASELINE_PORT = int(os.environ.get("BENCH_BASELINE_PORT", str(PORT + 1)))
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
PAIRS = int(os.environ.get("BENCH_PAIRS", "5"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
HEAVY_CONCURRENCY = int(os.environ.get("BENCH_HEAVY_CONCURRENCY", "4"))
DASHBOARDS = int(os.environ.get("BENCH_DASHBOARDS", "2000"))
WARM_UP_SECONDS = 1.0
RSS_GOAL = 0.10  # growth after the dashboards, relative to the RSS after start


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- processes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cores:
    """Where the servers and the load generator run; None leaves it to the scheduler."""

    server: int | None
    load: int | None

    @classmethod
    def detect(cls) -> Cores:
        usable = sorted(os.sched_getaffinity(0))
        if len(usable) >= 2 and shutil.which("taskset"):
            return cls(usable[0], usable[1])
        return cls(None, None)

    def describe(self) -> str:
        if self.server is None:
            return "not pinned (one core, or no taskset)"
        return f"servers on core {self.server}, load generator on core {self.load}"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


LOGS = ROOT / ".data" / "bench"


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _wait_until_up(
    process: subprocess.Popen[bytes], name: str, url: str, status: int, log: Path
) -> None:
    for _ in range(480):
        if process.poll() is not None:
            raise SystemExit(
                f"{name} exited with {process.returncode} before answering {url}:\n{_tail(log)}"
            )
        try:
            if httpx.get(url, timeout=2).status_code == status:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"{name} did not answer {url}:\n{_tail(log)}")


def tracebacks(log: Path) -> tuple[int, int]:
    """Tracebacks in a server log, and how many of them a client's early disconnect raised."""
    content = log.read_text(errors="replace") if log.exists() else ""
    found = content.split("Traceback")[1:]
    return len(found), sum("client disconnected prematurely" in text for text in found)


@contextmanager
def served(
    name: str, command: list[str], env: dict[str, str], *, cpu: int | None, probe: str, status: int
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process; its output goes to .data/bench/<name>.log."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{name.replace(' ', '-')}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            pinned(command, cpu), env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_up(process, name, probe, status, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    label: str
    request: Request


@dataclass(frozen=True)
class Scenario:
    name: str
    certready: Side
    baseline: Side
    goal: float | None  # the ratio aimed at; None where none is set
    heavy: bool  # slow requests: the Python generator (which waits for them) and fewer clients


@dataclass(frozen=True)
class Run:
    rate: float  # requests per second
    cpu_ms: float  # the server's CPU time per request: steadier than the rate on a shared host


@dataclass
class Outcome:
    scenario: Scenario
    certready: list[Run] = field(default_factory=list)
    baseline: list[Run] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        pairs = zip(self.certready, self.baseline, strict=True)
        return [mine.rate / theirs.rate for mine, theirs in pairs]

    @property
    def cpu_ratios(self) -> list[float]:
        """The baseline's CPU per request over certready's: the rate ratio, had each server
        had the core to itself."""
        pairs = zip(self.certready, self.baseline, strict=True)
        return [theirs.cpu_ms / mine.cpu_ms for mine, theirs in pairs]


@dataclass(frozen=True)
class Bench:
    cores: Cores
    use_wrk: bool
    servers: dict[int, int]  # the process id serving each port

    def generator(self, heavy: bool) -> str:
        return "wrk" if self.use_wrk and not heavy else "python"

    def run(self, side: Side, heavy: bool, seconds: float) -> Run:
        server = self.servers[side.request.port]
        before = cpu_seconds(server)
        load = self._load(side, heavy, seconds)
        return Run(load.rate, (cpu_seconds(server) - before) * 1000 / load.requests)

    def _load(self, side: Side, heavy: bool, seconds: float) -> Load:
        concurrency = HEAVY_CONCURRENCY if heavy else CONCURRENCY
        if self.generator(heavy) == "wrk":
            load = run_wrk(side.request, seconds, concurrency, self.cores.load)
        else:
            load = run_python(side.request, concurrency, self.cores.load, seconds=seconds)
        if load.errors or not load.requests:
            raise SystemExit(
                f"{side.label}: {load.errors} failed of {load.requests + load.errors}"
                f" requests ({load.first_error})"
            )
        return load

    def measure(self, scenario: Scenario) -> Outcome:
        outcome = Outcome(scenario)
        for side in (scenario.certready, scenario.baseline):
            self.run(side, scenario.heavy, WARM_UP_SECONDS)
        for pair in range(PAIRS):
            mine = self.run(scenario.certready, scenario.heavy, SECONDS)
            theirs = self.run(scenario.baseline, scenario.heavy, SECONDS)
            outcome.certready.append(mine)
            outcome.baseline.append(theirs)
            progress(
                f"  {scenario.name}: pair {pair + 1}/{PAIRS}: {mine.rate:.1f} vs"
                f" {theirs.rate:.1f} req/s = {mine.rate / theirs.rate:.3f};"
                f" CPU {mine.cpu_ms:.2f} vs {theirs.cpu_ms:.2f} ms per request"
            )
        return outcome


def _spread(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):>6.3f}  {f'{min(ratios):.3f}-{max(ratios):.3f}':<12}"


def _row(outcome: Outcome) -> str:
    goal = f">={outcome.scenario.goal:.2f}" if outcome.scenario.goal is not None else "-"
    rates = [run.rate for run in outcome.certready], [run.rate for run in outcome.baseline]
    return (
        f"{outcome.scenario.name:<44} {statistics.median(rates[0]):>10.1f}"
        f" {statistics.median(rates[1]):>10.1f}  {outcome.scenario.baseline.label:<22}"
        f" {_spread(outcome.ratios)} {_spread(outcome.cpu_ratios)} {goal}"
    )


def table(outcomes: list[Outcome]) -> str:
    header = (
        f"{'scenario':<44} {'certready':>10} {'baseline':>10}  {'baseline is':<22}"
        f" {'ratio':>6}  {'min-max':<12} {'CPU':>6}  {'min-max':<12} goal"
    )
    units = f"{'':<44} {'req/s':>10} {'req/s':>10}  {'':<22} {'':>6}  {'':<12} {'ratio':>6}"
    return "\n".join([header, units, *(_row(outcome) for outcome in outcomes)])


# --- the run -------------------------------------------------------------------------------


async def _database(server: URL, name: str, statement: str) -> None:
    engine = create_async_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement.format(name=name)))
    finally:
        await engine.dispose()


async def _prepare(settings: Settings) -> Prepared:
    """Migrate, seed the demo, then make the scenarios' data through an in-process app, so
    the served process starts fresh."""
    progress("migrating, seeding the demo and the scenarios' data ...")
    password = settings.database_app_password.get_secret_value()
    await migrate(settings.owner_url, settings.database_app_role, password)
    runtime = ApiRuntime.build(settings)
    try:
        await seed_demo(runtime)
    finally:
        await runtime.close()
    owner = create_async_engine(settings.owner_url)
    try:
        app = create_app(ApiRuntime.build(settings))
        async with AsyncTestClient(app, base_url="http://bench.local") as client:
            return await scenarios.prepare(client, owner, settings.demo_password.get_secret_value())
    finally:
        await owner.dispose()


@dataclass(frozen=True)
class Requests:
    typename: Request
    me: Request
    large: Request
    small: Request
    fifty: Request
    one: Request

    def at(self, request: Request, port: int) -> Request:
        return Request(request.host, port, request.path, request.body, request.headers)


async def _requests(prepared: Prepared, demo_password: str) -> Requests:
    """The requests, with fresh tokens, each checked once."""
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{PORT}", timeout=60) as client:
        owner = await scenarios.login(client, scenarios.DEMO_OWNER, demo_password)
        consultant = await scenarios.login(client, scenarios.DEMO_CONSULTANT, demo_password)
        one, fifty = [
            await scenarios.login(client, email, scenarios.BENCH_PASSWORD)
            for email in (scenarios.ONE_CLIENT, scenarios.FIFTY_CLIENTS)
        ]

    def request(
        query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Request:
        body = json.dumps(scenarios.body(query, variables), separators=(",", ":"))
        return Request(HOST, PORT, "/graphql", body, headers or {})

    def dashboard(program: str) -> Request:
        auth = scenarios.headers(owner, prepared.tenant)
        return request(scenarios.DASHBOARD, {"id": program}, auth)

    return Requests(
        typename=request(scenarios.TYPENAME),
        me=request(scenarios.ME, headers=scenarios.headers(consultant)),
        large=dashboard(prepared.large_program),
        small=dashboard(prepared.small_program),
        fifty=request(scenarios.PROGRAMS, headers=scenarios.headers(fifty)),
        one=request(scenarios.PROGRAMS, headers=scenarios.headers(one)),
    )


def _answer(request: Request) -> dict[str, Any]:
    response = httpx.post(
        f"http://{request.host}:{request.port}{request.path}",
        content=request.body,
        headers={"Content-Type": "application/json", **request.headers},
        timeout=60,
    )
    answer: dict[str, Any] = response.json()
    if response.status_code != 200 or answer.get("errors"):
        raise SystemExit(f"{request.body[:60]}... answered {response.status_code}: {answer}")
    return answer


@dataclass(frozen=True)
class Sizes:
    large: int
    small: int
    fifty: int
    one: int


def _check(requests: Requests, plain_port: int, dashboard_port: int) -> Sizes:
    """Each request answers without errors, and the baselines answer what certready does."""
    if _answer(requests.at(requests.typename, plain_port)) != PLAIN_ANSWER:
        raise SystemExit("the plain baseline answers something else")
    if _answer(requests.typename) != PLAIN_ANSWER:
        raise SystemExit("certready answers { __typename } unexpectedly")
    _answer(requests.me)
    large = _answer(requests.large)
    if _answer(requests.at(requests.large, dashboard_port)) != large:
        raise SystemExit("the hand-written dashboard answers something else than certready")
    small = _answer(requests.small)
    fifty, one = _answer(requests.fifty), _answer(requests.one)
    return Sizes(
        large["data"]["assessments"]["totalCount"],
        small["data"]["assessments"]["totalCount"],
        fifty["data"]["programs"]["totalCount"],
        one["data"]["programs"]["totalCount"],
    )


def _scenarios(requests: Requests, sizes: Sizes, plain: int, dashboard: int) -> list[Scenario]:
    plain_side = Side("plain Litestar POST", requests.at(requests.typename, plain))
    return [
        Scenario("{ __typename }", Side("certready", requests.typename), plain_side, 0.30, False),
        Scenario("me (bearer token)", Side("certready", requests.me), plain_side, 0.15, False),
        Scenario(
            f"dashboard, {sizes.large} requirements",
            Side("certready", requests.large),
            Side("asyncpg by hand", requests.at(requests.large, dashboard)),
            0.25,
            True,
        ),
        Scenario(
            f"dashboard, {sizes.large} vs {sizes.small} requirements",
            Side("certready", requests.large),
            Side(f"certready, {sizes.small} req.", requests.small),
            0.6,
            True,
        ),
        Scenario(
            f"programs + canComplete, {sizes.fifty} clients vs {sizes.one}",
            Side("certready", requests.fifty),
            Side(f"certready, {sizes.one} client", requests.one),
            None,
            True,
        ),
    ]


def _baseline(
    kind: str, port: int, env: dict[str, str], cpu: int | None
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """A baseline of tests/bench/baselines.py under uvicorn; up once GET /graphql is refused."""
    command = [sys.executable, "-m", "tests.bench.baselines", kind, "--host", HOST]
    probe = f"http://{HOST}:{port}/graphql"
    return served(
        f"{kind}-baseline",
        [*command, "--port", str(port)],
        env,
        cpu=cpu,
        probe=probe,
        status=405,
    )


def _measure_all(env: dict[str, str], settings: Settings, prepared: Prepared) -> None:
    cores = Cores.detect()
    plain_port, dashboard_port = BASELINE_PORT, BASELINE_PORT + 1
    certready = [str(Path(sys.executable).with_name("certready")), "serve"]
    certready += ["--host", HOST, "--port", str(PORT)]
    ready = f"http://{HOST}:{PORT}/health/ready"
    with served("certready", certready, env, cpu=cores.server, probe=ready, status=200) as server:
        started = rss_mib(server.pid)
        with (
            _baseline("plain", plain_port, env, cores.server) as plain,
            _baseline("dashboard", dashboard_port, env, cores.server) as by_hand,
        ):
            servers = {PORT: server.pid, plain_port: plain.pid, dashboard_port: by_hand.pid}
            bench = Bench(cores, wrk_available(), servers)
            demo_password = settings.demo_password.get_secret_value()
            requests = asyncio.run(_requests(prepared, demo_password))
            sizes = _check(requests, plain_port, dashboard_port)
            progress(f"RSS: {DASHBOARDS} dashboards of {sizes.large} requirements ...")
            load = run_python(requests.large, HEAVY_CONCURRENCY, cores.load, count=DASHBOARDS)
            if load.errors:
                raise SystemExit(f"dashboards failed: {load.first_error}")
            after_dashboards = rss_mib(server.pid)
            outcomes = []
            for index in range(len(_scenarios(requests, sizes, plain_port, dashboard_port))):
                requests = asyncio.run(_requests(prepared, demo_password))  # fresh tokens
                scenario = _scenarios(requests, sizes, plain_port, dashboard_port)[index]
                progress(f"{scenario.name} ({bench.generator(scenario.heavy)}) ...")
                outcomes.append(bench.measure(scenario))
            after_all = rss_mib(server.pid)
    print()
    print(
        f"{PAIRS} interleaved pairs of {SECONDS:g} s per scenario (certready first);"
        f" {CONCURRENCY} connections ({bench.generator(False)}) for the fast scenarios,"
        f" {HEAVY_CONCURRENCY} (python generator) for the dashboards and program lists"
    )
    print(f"{os.cpu_count()} cores: {cores.describe()}; PostgreSQL not pinned")
    print(table(outcomes))
    growth = after_dashboards / started - 1
    print(
        f"certready RSS: {started:.1f} MiB after start, {after_dashboards:.1f} MiB after"
        f" {DASHBOARDS:,} dashboards ({growth:+.1%}; goal within {RSS_GOAL:.0%}),"
        f" {after_all:.1f} MiB after all scenarios"
    )
    logged, disconnects = tracebacks(LOGS / "certready.log")
    print(
        f"server logs: {LOGS.relative_to(ROOT)}/; certready logged {logged} tracebacks,"
        f" {disconnects} of them 'client disconnected prematurely' (a timed wrk run ends)"
    )


def main() -> None:
    configured = os.environ.get("TEST_DATABASE_URL")
    server_url = make_url(configured or start_embedded_postgres(ROOT / ".data" / "test-postgres"))
    server_url = server_url.set(drivername="postgresql+asyncpg")
    name = f"certready_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_database(server_url, name, 'CREATE DATABASE "{name}"'))
    database_url = server_url.set(database=name).render_as_string(hide_password=False)
    data_dir = Path(tempfile.mkdtemp(prefix="certready-bench-"))
    settings = Settings(
        _env_file=None,
        certready_env=Environment.TEST,
        database_url=database_url,
        data_dir=data_dir,
        log_level="WARNING",
    )
    env = os.environ | {
        "CERTREADY_ENV": "test",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    try:
        prepared = asyncio.run(_prepare(settings))
        _measure_all(env, settings, prepared)
    finally:
        asyncio.run(_database(server_url, name, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
