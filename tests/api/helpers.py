"""Helpers for the API tests: raw GraphQL requests, a production-mode app and SQL counting."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.auth.keys import generate_key
from backend.auth.passwords import hash_password
from backend.settings import Environment, Settings
from tenants.models import ConsultancyEngagement, Membership, Organization, OrganizationKind, User
from tests.support import PASSWORD, Client

ALLOWED_ORIGIN = "https://app.example"
_PASSWORD_HASH = hash_password(PASSWORD)


def headers(token: str | None = None, tenant: str | None = None) -> dict[str, str]:
    values: dict[str, str] = {}
    if token:
        values["Authorization"] = f"Bearer {token}"
    if tenant:
        values["X-Tenant-ID"] = tenant
    return values


async def post(
    client: Client,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    tenant: str | None = None,
) -> httpx.Response:
    """POST a GraphQL operation and return the raw response, whatever its status."""
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return await client.post("/graphql", json=body, headers=headers(token, tenant))


async def post_raw(
    client: Client, content: bytes, content_type: str = "application/json"
) -> httpx.Response:
    return await client.post("/graphql", content=content, headers={"content-type": content_type})


def messages(response: httpx.Response) -> list[str]:
    """The GraphQL error messages of a 200 response (never a server error)."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return [error["message"] for error in body.get("errors") or []]


def one_error(response: httpx.Response) -> str:
    found = messages(response)
    assert len(found) == 1, found
    return found[0]


def production_settings(settings: Settings) -> Settings:
    """The test settings switched to production, with everything production insists on."""
    return Settings(
        _env_file=None,
        certready_env=Environment.PRODUCTION,
        database_url=settings.database_url,
        # The app role keeps the password the migration gave it; naming the URL is allowed.
        app_database_url=settings.app_url.render_as_string(hide_password=False),
        database_app_password=SecretStr(f"not-the-default-{uuid.uuid4().hex}"),
        evidence_signing_secret=SecretStr(f"not-the-default-{uuid.uuid4().hex}"),
        auth_signing_keys=SecretStr(json.dumps({"keys": [generate_key()]})),
        graphql_introspection=None,
        data_dir=settings.data_dir,
        cors_allow_origins=[ALLOWED_ORIGIN],
        log_level="WARNING",
        log_format=settings.log_format,
    )


@contextmanager
def count_statements(engine: AsyncEngine | None = None) -> Iterator[list[str]]:
    """Collect every SQL statement sent while the block runs: by `engine`, or by any engine.

    Any engine is the safe default for HTTP tests: the test client's app owns a runtime (and
    engine) of its own. A block that sends nothing fails, so a count on the wrong engine
    cannot pass unnoticed.
    """
    statements: list[str] = []
    target: Any = engine.sync_engine if engine is not None else Engine

    def record(*args: Any) -> None:
        statements.append(args[2])  # (connection, cursor, statement, parameters, context, many)

    event.listen(target, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", record)
    assert statements, "no statement was counted: is this the engine that did the work?"


async def add_members(
    owner: AsyncEngine, tenant_id: uuid.UUID, count: int, role: str = "viewer"
) -> None:
    """`count` new people, each a member of `tenant_id`."""
    async with AsyncSession(owner) as db:
        for _ in range(count):
            user = User(
                id=uuid.uuid4(),
                email=f"extra-{uuid.uuid4().hex[:10]}@example.test",
                name="Extra Person",
                password_hash=_PASSWORD_HASH,
            )
            db.add(user)
            await db.flush()
            db.add(Membership(tenant_id=tenant_id, user_id=user.id, role=role))
        await db.commit()


async def add_membership(
    owner: AsyncEngine, tenant_id: uuid.UUID, user_id: uuid.UUID, role: str = "viewer"
) -> None:
    async with AsyncSession(owner) as db:
        db.add(Membership(tenant_id=tenant_id, user_id=user_id, role=role))
        await db.commit()


async def add_managed_clients(
    owner: AsyncEngine, consultancy_id: uuid.UUID, count: int, members_each: int = 0
) -> list[Organization]:
    """`count` new client organizations managed by `consultancy_id`, with a few members each."""
    clients = []
    async with AsyncSession(owner, expire_on_commit=False) as db:
        for _ in range(count):
            suffix = uuid.uuid4().hex[:8]
            client = Organization(
                id=uuid.uuid4(),
                kind=OrganizationKind.CLIENT.value,
                name=f"Managed Client {suffix}",
                slug=f"managed-{suffix}",
                timezone="UTC",
            )
            db.add(client)
            await db.flush()
            db.add(ConsultancyEngagement(tenant_id=client.id, consultancy_id=consultancy_id))
            clients.append(client)
        await db.commit()
    for client in clients:
        await add_members(owner, client.id, members_each)
    return clients
