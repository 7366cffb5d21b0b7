"""Locks 1-3 below the API: row-level security on writes, ORM criteria on reads, and a tenant
context that lives only as long as its transaction.

Everything here runs as the application role through `runtime.sessions()`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from sqlalchemy import CursorResult, Delete, Update, delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from backend.db.engine import make_sessionmaker
from backend.db.session import TenantSession
from backend.runtime import Runtime
from tenants.models import AuditorGrant, ConsultancyEngagement, Membership, Organization
from tenants.scope import NO_TENANT, TenantScope
from tests.support import World
from tests.tenants.helpers import snapshot

RLS_REFUSAL = "new row violates row-level security policy"
TenantModel = (
    type[Organization] | type[Membership] | type[ConsultancyEngagement] | type[AuditorGrant]
)
TENANT_MODELS: list[TenantModel] = [Organization, Membership, ConsultancyEngagement, AuditorGrant]
MOVABLE_MODELS: list[TenantModel] = [Membership, ConsultancyEngagement, AuditorGrant]


def auditor_scope(world: World) -> TenantScope:
    """What the auditor gets acting in A: read A, write nowhere."""
    return TenantScope(world.users["auditor"].id, frozenset({world.orgs["a"].id}), None)


def member_scope(world: World) -> TenantScope:
    """a_owner acting in A: read and write A."""
    a = world.orgs["a"].id
    return TenantScope(world.users["a_owner"].id, frozenset({a}), a)


async def rowcount(session: TenantSession, statement: Update | Delete) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


@pytest.fixture
async def session(runtime: Runtime) -> AsyncIterator[TenantSession]:
    async with runtime.sessions() as db:
        yield db


# --- a reader (auditor) cannot write ----------------------------------------------------------


async def test_reader_insert_is_refused_by_the_database(
    session: TenantSession, owner_engine: AsyncEngine, world: World
) -> None:
    before = await snapshot(owner_engine)
    await session.set_scope(auditor_scope(world))
    session.add(
        Membership(tenant_id=world.orgs["a"].id, user_id=world.users["auditor"].id, role="owner")
    )
    with pytest.raises(DBAPIError, match=RLS_REFUSAL):
        await session.flush()
    await session.rollback()
    assert await snapshot(owner_engine) == before


async def test_reader_update_touches_no_rows(
    session: TenantSession, owner_engine: AsyncEngine, world: World
) -> None:
    a = world.orgs["a"].id
    before = await snapshot(owner_engine)
    await session.set_scope(auditor_scope(world))
    visible = await session.scalar(select(Organization.name).where(Organization.id == a))
    renamed = await rowcount(
        session, update(Organization).where(Organization.id == a).values(name="Pwned")
    )
    promoted = await rowcount(
        session, update(Membership).where(Membership.tenant_id == a).values(role="owner")
    )
    await session.commit()
    assert visible == "Alpha Industries"  # it can read the row it failed to change
    assert (renamed, promoted) == (0, 0)
    assert await snapshot(owner_engine) == before


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__tablename__)
async def test_reader_delete_touches_no_rows(
    session: TenantSession, owner_engine: AsyncEngine, world: World, model: TenantModel
) -> None:
    a = world.orgs["a"].id
    before = await snapshot(owner_engine)
    await session.set_scope(auditor_scope(world))
    readable = len((await session.scalars(select(model).where(model.tenant_id == a))).all())
    deleted = await rowcount(session, delete(model).where(model.tenant_id == a))
    await session.commit()
    assert readable > 0
    assert deleted == 0
    assert await snapshot(owner_engine) == before


# --- a writer writes only in its own tenant ---------------------------------------------------


async def test_member_writes_in_its_own_tenant(
    session: TenantSession, owner_engine: AsyncEngine, world: World
) -> None:
    """The control for the refusals below: the same statements work in the write tenant."""
    a = world.orgs["a"].id
    await session.set_scope(member_scope(world))
    renamed = await rowcount(
        session, update(Organization).where(Organization.id == a).values(name="Alpha 2")
    )
    session.add(Membership(tenant_id=a, user_id=world.users["b_owner"].id, role="viewer"))
    await session.commit()
    assert renamed == 1
    async with owner_engine.connect() as connection:
        name = await connection.scalar(
            text("SELECT name FROM organizations WHERE id = :a"), {"a": a}
        )
        members = await connection.scalar(
            text("SELECT count(*) FROM memberships WHERE tenant_id = :a"), {"a": a}
        )
    assert (name, members) == ("Alpha 2", 4)


@pytest.mark.parametrize("model", MOVABLE_MODELS, ids=lambda m: m.__tablename__)
async def test_member_cannot_move_a_row_to_another_tenant(
    session: TenantSession, owner_engine: AsyncEngine, world: World, model: TenantModel
) -> None:
    a, b = world.orgs["a"].id, world.orgs["b"].id
    before = await snapshot(owner_engine)
    await session.set_scope(member_scope(world))
    with pytest.raises(DBAPIError, match=RLS_REFUSAL):
        await session.execute(
            update(model)
            .where(model.tenant_id == a)
            .values(tenant_id=b)
            .execution_options(synchronize_session=False)
        )
    await session.rollback()
    assert await snapshot(owner_engine) == before


async def test_member_cannot_insert_into_another_tenant(
    session: TenantSession, owner_engine: AsyncEngine, world: World
) -> None:
    before = await snapshot(owner_engine)
    await session.set_scope(member_scope(world))
    session.add(
        Membership(tenant_id=world.orgs["b"].id, user_id=world.users["a_owner"].id, role="owner")
    )
    with pytest.raises(DBAPIError, match=RLS_REFUSAL):
        await session.flush()
    await session.rollback()
    assert await snapshot(owner_engine) == before


async def test_member_cannot_change_or_delete_another_tenants_rows(
    session: TenantSession, owner_engine: AsyncEngine, world: World
) -> None:
    """Even with B in the read set, writes reach only the write tenant."""
    b = world.orgs["b"].id
    before = await snapshot(owner_engine)
    await session.set_scope(member_scope(world).reading_also(b))
    renamed = await rowcount(
        session, update(Organization).where(Organization.id == b).values(name="Pwned")
    )
    deleted = await rowcount(session, delete(Membership).where(Membership.tenant_id == b))
    await session.commit()
    assert (renamed, deleted) == (0, 0)
    assert await snapshot(owner_engine) == before


# --- the ORM criteria (lock 3) --------------------------------------------------------------


async def test_orm_criteria_filter_to_the_read_set_where_rls_admits_more(
    session: TenantSession, world: World
) -> None:
    """b_owner reading A: its own B membership passes the RLS policy but not the ORM criterion."""
    a, b = world.orgs["a"].id, world.orgs["b"].id
    b_owner_membership = world.memberships[("b_owner", "b")].id
    await session.set_scope(TenantScope(world.users["b_owner"].id, frozenset({a}), None))
    rls_tenants = set(await session.scalars(text("SELECT tenant_id FROM memberships")))
    orm_tenants = {m.tenant_id for m in await session.scalars(select(Membership))}
    fetched = await session.get(Membership, b_owner_membership)
    joined = (
        await session.scalars(
            select(Organization).join(Membership, Membership.tenant_id == Organization.id)
        )
    ).all()
    assert rls_tenants == {a, b}  # the database alone would show the B row
    assert orm_tenants == {a}
    assert fetched is None
    assert {org.id for org in joined} == {a}


async def test_orm_criteria_hide_the_certification_body_directory(
    session: TenantSession, world: World
) -> None:
    """RLS lets signed-in users look bodies up; ordinary queries still see only the read set."""
    a, body = world.orgs["a"].id, world.orgs["body"].id
    await session.set_scope(TenantScope(world.users["a_owner"].id, frozenset({a}), a))
    rls_ids = set(await session.scalars(text("SELECT id FROM organizations")))
    orm_ids = {org.id for org in await session.scalars(select(Organization))}
    assert rls_ids == {a, body}
    assert orm_ids == {a}


async def test_scope_change_inside_a_transaction_applies_at_once(
    session: TenantSession, world: World
) -> None:
    a, b = world.orgs["a"].id, world.orgs["b"].id
    await session.set_scope(TenantScope(read_tenants=frozenset({a})))
    first = {org.id for org in await session.scalars(select(Organization))}
    await session.set_scope(TenantScope(read_tenants=frozenset({b})))
    second = {org.id for org in await session.scalars(select(Organization))}
    raw = set(await session.scalars(text("SELECT id FROM organizations")))
    assert (first, second, raw) == ({a}, {b}, {b})


async def test_rows_added_after_a_scope_switch_are_written_in_the_new_scope(
    session: TenantSession, world: World
) -> None:
    """The switched scope is written before the next statement, and a flush is one: rows
    added after the switch go under it, not under the scope they would replace."""
    a, b = world.orgs["a"].id, world.orgs["b"].id
    user_id = world.users["a_owner"].id
    await session.set_scope(TenantScope(user_id, frozenset({a}), a))
    assert await session.scalar(select(Organization.id).where(Organization.id == a)) == a
    await session.set_scope(TenantScope(user_id, frozenset({a, b}), b))
    session.add(Membership(tenant_id=b, user_id=world.users["a_viewer"].id, role="viewer"))
    await session.flush()
    written = await session.scalar(text("SELECT current_setting('app.write_tenant', true)"))
    assert written == str(b)


# --- transaction-local context ------------------------------------------------------------


@pytest.fixture
async def one_connection_engine(runtime: Runtime) -> AsyncIterator[AsyncEngine]:
    """The app role through a pool of exactly one connection, so every checkout reuses it."""
    engine = create_async_engine(runtime.settings.app_url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


async def test_context_does_not_leak_to_the_next_user_of_a_pooled_connection(
    one_connection_engine: AsyncEngine, world: World
) -> None:
    sessions = make_sessionmaker(one_connection_engine)
    everything = frozenset(org.id for org in world.orgs.values())
    async with sessions() as db:
        await db.set_scope(TenantScope(world.users["a_owner"].id, everything, world.orgs["a"].id))
        backend_pid = await db.scalar(text("SELECT pg_backend_pid()"))
        seen = await db.scalar(text("SELECT count(*) FROM organizations"))
        await db.commit()
    async with sessions() as db:
        reused_pid = await db.scalar(text("SELECT pg_backend_pid()"))
        assert db.scope == NO_TENANT
        settings = (
            await db.execute(
                text(
                    "SELECT current_setting('app.read_tenants', true),"
                    " current_setting('app.write_tenant', true),"
                    " current_setting('app.user_id', true)"
                )
            )
        ).one()
        counts = [
            await db.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in (
                "organizations",
                "memberships",
                "consultancy_engagements",
                "auditor_grants",
            )
        ]
    async with one_connection_engine.connect() as bare:  # no session, so no context is set
        bare_pid = await bare.scalar(text("SELECT pg_backend_pid()"))
        bare_count = await bare.scalar(text("SELECT count(*) FROM memberships"))
    assert seen == len(world.orgs)
    assert reused_pid == backend_pid == bare_pid
    assert tuple(settings) == ("", "", "")
    assert counts == [0, 0, 0, 0]
    assert bare_count == 0


async def test_rolled_back_context_does_not_leak_either(
    one_connection_engine: AsyncEngine, world: World
) -> None:
    sessions = make_sessionmaker(one_connection_engine)
    async with sessions() as db:
        await db.set_scope(TenantScope(read_tenants=frozenset({world.orgs["a"].id})))
        seen = await db.scalar(text("SELECT count(*) FROM memberships"))
        await db.rollback()
    async with one_connection_engine.connect() as bare:
        after = await bare.scalar(text("SELECT count(*) FROM memberships"))
    assert seen == 3
    assert after == 0
