"""Which role each route of entitlement gives, resolved as the app role."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Permission, role_may
from backend.runtime import Runtime
from tenants.entitlements import load_entitlements, load_session_entitlements
from tenants.entitlements_sql import USER_COLUMNS
from tenants.models import Organization, User
from tenants.roles import Role
from tenants.scope import TenantScope
from tests.support import World
from tests.tenants.helpers import owner_execute

SETTINGS = (
    "SELECT current_setting('app.user_id', true), current_setting('app.read_tenants', true),"
    " current_setting('app.write_tenant', true)"
)


async def _roles(runtime: Runtime, user_id: uuid.UUID) -> dict[uuid.UUID, Role]:
    async with runtime.sessions() as db:
        return (await load_entitlements(db, user_id)).roles


@pytest.mark.parametrize(
    ("consultancy_role", "client_role"),
    [("owner", Role.CONSULTANT), ("contributor", Role.CONSULTANT), ("viewer", Role.VIEWER)],
)
async def test_consultancy_members_follow_clients_by_their_role(
    runtime: Runtime,
    world: World,
    owner_engine: AsyncEngine,
    consultancy_role: str,
    client_role: Role,
) -> None:
    await owner_execute(
        owner_engine,
        "UPDATE memberships SET role = CAST(:role AS membership_role) WHERE id = :id",
        role=consultancy_role,
        id=world.memberships[("consultant", "consultancy")].id,
    )
    roles = await _roles(runtime, world.users["consultant"].id)
    assert roles[world.orgs["a"].id] is client_role
    assert world.orgs["b"].id not in roles


async def test_a_member_who_also_consults_keeps_the_stronger_role(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    await owner_execute(
        owner_engine,
        "INSERT INTO memberships (id, tenant_id, user_id, role)"
        " VALUES (:id, :tenant, :user, 'viewer')",
        id=uuid.uuid4(),
        tenant=world.orgs["a"].id,
        user=world.users["consultant"].id,
    )
    roles = await _roles(runtime, world.users["consultant"].id)
    assert roles[world.orgs["a"].id] is Role.CONSULTANT


async def test_auditor_entitlement_is_read_only(runtime: Runtime, world: World) -> None:
    roles = await _roles(runtime, world.users["auditor"].id)
    assert roles == {world.orgs["body"].id: Role.ADMIN, world.orgs["a"].id: Role.AUDITOR}
    assert not role_may(roles[world.orgs["a"].id], Permission.CONTRIBUTE)


def test_the_login_function_returns_every_column_the_user_mapping_loads() -> None:
    """A column added to `users` must reach the caller's row too (tenants/entitlements_sql)."""
    mapper = sa_inspect(User)
    loaded = {prop.key for prop in mapper.column_attrs if not prop.deferred} - {"id"}
    assert set(USER_COLUMNS) == loaded


async def test_entitlements_read_in_a_transaction_leave_its_scope_as_it_was(
    runtime: Runtime, world: World
) -> None:
    scope = TenantScope(world.users["a_owner"].id, frozenset({world.orgs["a"].id}))
    async with runtime.sessions() as db:
        await db.set_scope(scope)
        before = await db.execute(text(SETTINGS))
        entitlements = await load_entitlements(db, world.users["consultant"].id)
        after = await db.execute(text(SETTINGS))
        organizations = await db.scalars(select(Organization.id))
        assert world.orgs["a"].id in entitlements.roles
        assert after.one() == before.one()
        assert list(organizations) == [world.orgs["a"].id]


async def test_a_login_ended_or_unknown_has_no_entitlements(runtime: Runtime, world: World) -> None:
    user_id = world.users["a_owner"].id
    async with runtime.sessions() as db:
        assert await load_session_entitlements(db, user_id, uuid.uuid4()) is None
        assert await load_session_entitlements(db, uuid.uuid4(), uuid.uuid4()) is None
