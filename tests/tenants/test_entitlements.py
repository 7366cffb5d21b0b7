"""Which role each route of entitlement gives, resolved as the app role."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Permission, role_may
from backend.runtime import Runtime
from tenants.entitlements import load_entitlements
from tenants.roles import Role
from tests.support import World
from tests.tenants.helpers import owner_execute


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
