"""`certready activity verify`: every organization's chain checked as no user in it, a
broken one named with its entry and the exit status saying so."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.settings import Settings
from tests.support import Client, World, certready, gql, login

RENAME = """
mutation Rename($id: ID!, $name: String) {
  updateOrganization(input: {id: $id, name: $name}) { errors { code } }
}
"""


async def test_verify_finds_the_broken_chain_and_stores_each_result(
    client: Client, world: World, migrated: Settings, owner_engine: AsyncEngine
) -> None:
    token = await login(client, "a_owner")
    for name in ("Alpha one", "Alpha two"):
        await gql(
            client,
            RENAME,
            {"id": world.org_gid("a"), "name": name},
            token=token,
            tenant=world.org_gid("a"),
        )
    holds = certready(migrated, "activity", "verify", "--all")
    assert holds.returncode == 0, holds.stderr
    # the owner's login and two renames
    assert f"{world.orgs['a'].slug}: 3 entries, the chain holds" in holds.stderr
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE activity_log SET action = 'forged' WHERE tenant_id = :t AND seq = 2"),
            {"t": world.orgs["a"].id},
        )
    broken = certready(migrated, "activity", "verify", "--tenant", world.orgs["a"].slug)
    assert broken.returncode == 1
    assert "the chain breaks at entry 2 (its content does not match its hash)" in broken.stderr
    async with owner_engine.connect() as connection:
        stored = await connection.execute(
            text(
                "SELECT entries, broken_at_seq FROM activity_verifications"
                " WHERE tenant_id = :t ORDER BY verified_at"
            ),
            {"t": world.orgs["a"].id},
        )
        assert [tuple(row) for row in stored] == [(3, None), (1, 2)]
