"""The authentication tables from the catalog: without the setting that proves a row, the app
role reads none of them, and it reads no password hash at all.

Tables without a tenant_id are discovered from pg_catalog: each must be an authentication
table under row-level security or one the app role only reads (schema version, catalog).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.db.migrate import READ_ONLY_TABLES
from backend.runtime import Runtime
from tests.auth.helpers import LOGIN_ERRORS, email_of, login_session, post
from tests.support import Client, World, gql, login
from tests.tenants.helpers import set_context

AUTH_TABLES = {"users", "refresh_tokens", "invitations", "login_throttles"}
OWNER_EXEMPT = {"users"}  # its owner reads it in auth_credentials(); see backend/auth/rls.py
# Rows of no tenant that the processes change: when each periodic job runs next.
SHARED_TABLES = {"job_schedules"}
# A person's own rows across organizations, forced RLS keyed on the user (or a presented
# token digest); tests/notifications/test_calendar.py proves what they show.
PERSONAL_TABLES = {"calendar_feeds"}

TABLES_WITHOUT_TENANT = text(
    "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
    " AND c.relkind IN ('r', 'p') AND NOT EXISTS (SELECT 1 FROM pg_attribute a"
    " WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)"
)
RLS_FLAGS = text(
    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
    " WHERE relnamespace = 'public'::regnamespace AND relname = ANY(:tables)"
)
INVITE = """
mutation Invite($org: ID!) {
  inviteMember(input: {organizationId: $org, email: "new@example.test", role: VIEWER}) {
    invitationToken errors { code }
  }
}
"""
PRESENT = text(
    "SELECT set_config('app.token_digest', :digest, true),"
    " set_config('app.login_email', :email, true),"
    " set_config('app.login_address', :address, true)"
)


async def _present(
    connection: AsyncConnection, token: str = "", email: str = "", address: str = ""
) -> None:
    digest = hashlib.sha256(token.encode()).hexdigest() if token else ""
    await connection.execute(PRESENT, {"digest": digest, "email": email, "address": address})


async def _count(connection: AsyncConnection, table: str) -> int:
    return int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


@pytest.fixture
async def auth_rows(client: Client, world: World) -> dict[str, Any]:
    """A row in every authentication table: a login, a failed login, an invitation."""
    session = await login_session(client, "a_owner")
    await post(client, LOGIN_ERRORS, {"email": email_of("b_owner"), "password": "wrong"})
    owner = await login(client, "a_owner")
    invited = await gql(
        client, INVITE, {"org": world.org_gid("a")}, token=owner, tenant=world.org_gid("a")
    )
    return {
        "refresh_token": session["refreshToken"],
        "invitation_token": invited["data"]["inviteMember"]["invitationToken"],
    }


async def test_every_table_is_a_tenant_auth_shared_or_read_only_table(
    owner_engine: AsyncEngine,
) -> None:
    async with owner_engine.connect() as connection:
        untenanted = set(await connection.scalars(TABLES_WITHOUT_TENANT))
        flags = {
            row[0]: (row[1], row[2])
            for row in await connection.execute(
                RLS_FLAGS, {"tables": list(AUTH_TABLES | PERSONAL_TABLES)}
            )
        }
    unclassified = (
        untenanted - AUTH_TABLES - SHARED_TABLES - PERSONAL_TABLES - set(READ_ONLY_TABLES)
    )
    assert unclassified == set(), "classify the new table"
    assert flags == {
        table: (True, table not in OWNER_EXEMPT) for table in AUTH_TABLES | PERSONAL_TABLES
    }, "(enabled, forced)"


async def test_without_settings_the_app_role_reads_no_auth_row(
    runtime: Runtime, owner_engine: AsyncEngine, auth_rows: dict[str, Any]
) -> None:
    async with owner_engine.connect() as connection:
        owner_counts = {table: await _count(connection, table) for table in AUTH_TABLES}
    async with runtime.engine.connect() as connection:
        app_counts = {table: await _count(connection, table) for table in AUTH_TABLES}
    assert all(owner_counts.values()), owner_counts
    assert app_counts == dict.fromkeys(AUTH_TABLES, 0)


@pytest.mark.parametrize("user", [None, "a_owner"])
async def test_the_app_role_cannot_select_a_password_hash(
    runtime: Runtime, world: World, user: str | None
) -> None:
    for statement in ("SELECT password_hash FROM users", "SELECT * FROM users"):
        async with runtime.engine.begin() as connection:
            await set_context(
                connection,
                user_id=world.users[user].id if user else None,
                read=frozenset({world.orgs["a"].id}),
            )
            with pytest.raises(ProgrammingError, match="permission denied"):
                await connection.execute(text(statement))


async def test_a_user_sees_itself_and_the_members_it_reads_and_no_one_else(
    runtime: Runtime, world: World
) -> None:
    async with runtime.engine.begin() as connection:
        await set_context(connection, user_id=world.users["auditor"].id)
        alone = set(await connection.scalars(text("SELECT email FROM users")))
        await set_context(
            connection, user_id=world.users["auditor"].id, read=frozenset({world.orgs["a"].id})
        )
        reading_a = set(await connection.scalars(text("SELECT email FROM users")))
    assert alone == {email_of("auditor")}
    assert reading_a == {email_of(name) for name in ("auditor", "a_owner", "a_admin", "a_viewer")}


async def test_credentials_come_only_from_the_definer_function_for_one_address(
    runtime: Runtime, owner_engine: AsyncEngine, world: World
) -> None:
    async with runtime.engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT user_id, password_hash FROM auth_credentials(:email)"),
                {"email": "A_Owner@Example.test"},
            )
        ).all()
        nobody = (
            await connection.execute(text("SELECT * FROM auth_credentials('nobody@example.test')"))
        ).all()
    assert [row.user_id for row in rows] == [world.users["a_owner"].id]
    assert rows[0].password_hash.startswith("$argon2id$")
    assert nobody == []

    async with owner_engine.connect() as connection:
        function = (
            await connection.execute(
                text(
                    "SELECT p.prosecdef, p.proconfig, p.proowner = c.relowner AS owned,"
                    " EXISTS (SELECT 1 FROM aclexplode(p.proacl) WHERE grantee = 0) AS public"
                    " FROM pg_proc p, pg_class c WHERE p.proname = 'auth_credentials'"
                    " AND c.oid = 'public.users'::regclass"
                )
            )
        ).one()
    assert function.prosecdef is True
    assert function.proconfig == ["search_path=pg_catalog, pg_temp"]
    assert function.owned is True
    assert function.public is False  # executable by the app role only, not by PUBLIC


async def test_each_auth_row_is_reached_only_through_what_proves_it(
    runtime: Runtime, world: World, auth_rows: dict[str, Any]
) -> None:
    b_owner = email_of("b_owner")
    async with runtime.engine.begin() as connection:
        await _present(connection, token=auth_rows["refresh_token"])
        presented = await _count(connection, "refresh_tokens")
        wrong_token = await _count(connection, "invitations")
        await _present(connection, token=auth_rows["invitation_token"])
        invitation = await _count(connection, "invitations")
        await _present(connection, token=str(uuid.uuid4()))
        made_up = await _count(connection, "refresh_tokens") + await _count(
            connection, "invitations"
        )
        await _present(connection, email=b_owner, address="testclient")
        throttles = set(
            await connection.execute(text("SELECT email, client_address FROM login_throttles"))
        )
        await _present(connection, email="someone@example.test", address="testclient")
        other_email = set(
            await connection.execute(text("SELECT email, client_address FROM login_throttles"))
        )
    assert (presented, wrong_token, invitation, made_up) == (1, 0, 1, 0)
    assert throttles == {(b_owner, "testclient"), (b_owner, ""), ("", "testclient")}
    assert other_email == {("", "testclient")}  # the address's row, not b_owner's
