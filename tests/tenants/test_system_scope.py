"""Work done for no user (jobs, admin commands) acts in exactly one tenant, under RLS."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, TextClause, select, text

from backend.db.session import TenantSession
from backend.runtime import ApiRuntime
from tenants.models import Membership, Organization
from tests.support import World


async def test_a_system_scope_reads_its_tenant_only(runtime: ApiRuntime, world: World) -> None:
    a, b = world.orgs["a"].id, world.orgs["b"].id
    async with runtime.acting_in(a) as db:
        assert set(await db.scalars(select(Organization.id))) == {a}
        assert {m.tenant_id for m in await db.scalars(select(Membership))} == {a}
        # Row-level security alone, without the ORM's criteria, admits A and nothing else.
        seen = set(await db.scalars(text("SELECT id FROM organizations")))
        assert seen == {a}
        assert b not in set(await db.scalars(text("SELECT tenant_id FROM memberships")))


async def _changed(db: TenantSession, statement: TextClause, tenant_id: uuid.UUID) -> int:
    result = cast("CursorResult[Any]", await db.execute(statement, {"id": tenant_id}))
    return result.rowcount


async def test_a_system_scope_writes_its_tenant_only(runtime: ApiRuntime, world: World) -> None:
    a, b = world.orgs["a"].id, world.orgs["b"].id
    rename = text("UPDATE organizations SET name = name WHERE id = :id")
    async with runtime.acting_in(a) as db:
        assert await _changed(db, rename, b) == 0
        assert await _changed(db, rename, a) == 1
        await db.rollback()  # leave the organization as it was
