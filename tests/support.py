"""Test helpers: a seeded world of tenants, and a small GraphQL client over real HTTP."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.auth.passwords import hash_password
from backend.db.models import Base
from backend.db.session import TenantSession
from backend.programs.criteria import Check, Verdict
from backend.programs.models import Program
from backend.settings import Settings
from tenants.models import (
    AuditorGrant,
    ConsultancyEngagement,
    Membership,
    Organization,
    OrganizationKind,
    User,
)

CATALOG_TABLES = {"standards", "clauses"}  # loaded once by the migration and shared
PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)

Client = AsyncTestClient[Litestar]


def tenant_tables() -> list[str]:
    """Every table a test may fill, dependents first."""
    return [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in CATALOG_TABLES]


def global_id(type_name: str, value: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


@dataclass
class World:
    """Two clients (A, B), a consultancy managing A, a certification body granted A.

    `orgs` and `users` are keyed by short names; `memberships` by (user, org).
    """

    orgs: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    memberships: dict[tuple[str, str], Membership] = field(default_factory=dict)
    grant: AuditorGrant | None = None
    engagement: ConsultancyEngagement | None = None

    def org_gid(self, name: str) -> str:
        return global_id("Organization", self.orgs[name].id)

    def membership_gid(self, user: str, org: str) -> str:
        return global_id("Membership", self.memberships[(user, org)].id)


ORGS = {
    "a": ("Alpha Industries", OrganizationKind.CLIENT),
    "b": ("Beta Logistics", OrganizationKind.CLIENT),
    "consultancy": ("Counsel & Co", OrganizationKind.CONSULTANCY),
    "body": ("Cert Body Ltd", OrganizationKind.CERTIFICATION_BODY),
}
MEMBERS = {
    # user: (org, role)
    "a_owner": ("a", "owner"),
    "a_admin": ("a", "admin"),
    "a_viewer": ("a", "viewer"),
    "b_owner": ("b", "owner"),
    "consultant": ("consultancy", "owner"),
    "auditor": ("body", "admin"),
}


async def seed_world(owner: AsyncEngine) -> World:
    world = World()
    async with AsyncSession(owner, expire_on_commit=False) as db:
        for key, (name, kind) in ORGS.items():
            world.orgs[key] = Organization(
                id=uuid.uuid4(), kind=kind.value, name=name, slug=f"{key}-org", timezone="UTC"
            )
        for key in MEMBERS:
            world.users[key] = User(
                id=uuid.uuid4(),
                email=f"{key}@example.test",
                name=key.replace("_", " ").title(),
                password_hash=_PASSWORD_HASH,
            )
        db.add_all([*world.orgs.values(), *world.users.values()])
        await db.flush()
        for user, (org, role) in MEMBERS.items():
            world.memberships[(user, org)] = Membership(
                tenant_id=world.orgs[org].id, user_id=world.users[user].id, role=role
            )
        now = datetime.now(UTC)
        world.engagement = ConsultancyEngagement(
            tenant_id=world.orgs["a"].id, consultancy_id=world.orgs["consultancy"].id
        )
        world.grant = AuditorGrant(
            tenant_id=world.orgs["a"].id,
            certification_body_id=world.orgs["body"].id,
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=30),
        )
        db.add_all([*world.memberships.values(), world.engagement, world.grant])
        await db.commit()
    return world


async def gql(
    client: Client,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    tenant: str | None = None,
    expect_status: int = 200,
) -> dict[str, Any]:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if tenant:
        headers["X-Tenant-ID"] = tenant
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == expect_status, response.text
    body: dict[str, Any] = response.json()
    return body


LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) {
    accessToken refreshToken user { id email } errors { code message field }
  }
}
"""


async def login(client: Client, user: str, password: str = PASSWORD) -> str:
    """Log in a world user by short name and return its access token."""
    body = await gql(client, LOGIN, {"email": f"{user}@example.test", "password": password})
    payload = body["data"]["login"]
    assert payload["errors"] == [], payload
    token: str = payload["accessToken"]
    return token


async def judge(check: Check, db: TenantSession, program: Program) -> Verdict:
    """One program's verdict from an exit criterion's check, which judges many at once."""
    return (await check(db, [program]))[program.id]


def certready(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `certready` command against the test database, as an admin would."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATABASE_")}
    env |= {
        "DATABASE_URL": settings.owner_url.render_as_string(hide_password=False),
        "DATABASE_APP_PASSWORD": settings.database_app_password.get_secret_value(),
        "CERTREADY_ENV": "test",
        "DATA_DIR": str(settings.data_dir),
        "LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("certready")), *args]
    return subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=120
    )
