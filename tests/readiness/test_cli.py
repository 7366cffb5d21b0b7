"""`certready readiness recompute`: snapshots for one organization's programs, or every
client's, each written as no user in its own organization."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.settings import Settings
from tests.readiness.helpers import STANDARDS, start
from tests.support import Client, World, certready, login

SNAPSHOTS = text(
    "SELECT o.slug, count(*) FROM readiness_snapshots s"
    " JOIN organizations o ON o.id = s.tenant_id GROUP BY o.slug"
)


async def _snapshots(owner_engine: AsyncEngine) -> dict[str, int]:
    async with owner_engine.connect() as connection:
        rows = await connection.execute(SNAPSHOTS)
        return {str(slug): int(count) for slug, count in rows}


async def test_recompute_one_tenant_then_all(
    client: Client, world: World, migrated: Settings, owner_engine: AsyncEngine
) -> None:
    token = await login(client, "a_owner")
    for standard in STANDARDS[:2]:
        await start(client, world, token, *standard)
    ran = certready(migrated, "readiness", "recompute", "--tenant", world.orgs["b"].slug)
    assert ran.returncode == 0, ran.stderr
    assert await _snapshots(owner_engine) == {}

    ran = certready(migrated, "readiness", "recompute", "--tenant", world.orgs["a"].slug)
    assert ran.returncode == 0, ran.stderr
    assert await _snapshots(owner_engine) == {world.orgs["a"].slug: 2}

    ran = certready(migrated, "readiness", "recompute", "--all")
    assert ran.returncode == 0, ran.stderr
    assert await _snapshots(owner_engine) == {world.orgs["a"].slug: 4}


async def test_bad_arguments_are_clear_failures(migrated: Settings) -> None:
    unknown = certready(migrated, "readiness", "recompute", "--tenant", "no-such-organization")
    assert unknown.returncode == 1
    assert "no organization has the slug 'no-such-organization'" in unknown.stderr
    neither = certready(migrated, "readiness", "recompute")
    assert neither.returncode == 2
    assert "one of the arguments --tenant --all is required" in neither.stderr
