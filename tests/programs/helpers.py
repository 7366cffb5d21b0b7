"""Helpers for the program tests: GraphQL documents, mutation runners and owner-side reads."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.auth.passwords import hash_password
from tenants.models import Membership, User
from tests.support import PASSWORD, Client, global_id, gql

_PASSWORD_HASH = hash_password(PASSWORD)

ERRORS = "errors { field code message }"
STEP_FIELDS = """
id number key title objective status dueDate startedAt completedAt notes
owner { email }
checklist { key text done }
"""
PROGRAM_FIELDS = f"""
id status allowedTransitions scopeStatement targetDate createdAt standard {{ code edition }}
organization {{ slug }} certificationBody {{ slug }} owner {{ email }}
steps {{ {STEP_FIELDS} }}
"""
PAYLOADS = {
    "startProgram": f"program {{ {PROGRAM_FIELDS} }} {ERRORS}",
    "updateProgram": f"program {{ {PROGRAM_FIELDS} }} {ERRORS}",
    "changeProgramStatus": f"program {{ id status allowedTransitions }} {ERRORS}",
    "updateStep": f"step {{ {STEP_FIELDS} }} {ERRORS}",
    "completeStep": (
        f"step {{ {STEP_FIELDS} canComplete criteria {{ key met reason }} }} {ERRORS}"
    ),
}
PROGRAM = f"query($id: ID!) {{ program(id: $id) {{ {PROGRAM_FIELDS} }} }}"
PROGRAMS = """
query($standard: String, $status: ProgramStatus, $organization: ID) {
  programs(first: 100, standard: $standard, status: $status, organization: $organization) {
    totalCount edges { node { id status standard { code edition } organization { slug } } }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
STEP_CRITERIA = """
query($id: ID!) {
  node(id: $id) {
    ... on ProgramStep { status canComplete criteria { key description met reason } }
  }
}
"""
PROGRAM_TABLES = ("programs", "program_steps", "assessments")

Snapshot = dict[str, list[tuple[Any, ...]]]


async def mutate(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str | None
) -> dict[str, Any]:
    """Run mutation `name` and return its payload (the request itself must succeed)."""
    input_type = f"{name[0].upper()}{name[1:]}Input"
    document = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {PAYLOADS[name]} }} }}"
    body = await gql(client, document, {"input": input}, token=token, tenant=tenant)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


async def read(
    client: Client, document: str, *, token: str, tenant: str | None = None, **variables: Any
) -> Any:
    body = await gql(client, document, variables, token=token, tenant=tenant)
    assert "errors" not in body, body
    return body["data"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


def step_of(program: dict[str, Any], key: str) -> dict[str, Any]:
    step: dict[str, Any] = next(step for step in program["steps"] if step["key"] == key)
    return step


async def add_person(owner: AsyncEngine, tenant_id: uuid.UUID, name: str, role: str) -> User:
    """A new person `name@example.test` (password PASSWORD) with `role` in `tenant_id`."""
    async with AsyncSession(owner, expire_on_commit=False) as db:
        user = User(
            id=uuid.uuid4(),
            email=f"{name}@example.test",
            name=name.replace("_", " ").title(),
            password_hash=_PASSWORD_HASH,
        )
        db.add(user)
        await db.flush()
        db.add(Membership(tenant_id=tenant_id, user_id=user.id, role=role))
        await db.commit()
    return user


def user_gid(user: User) -> str:
    return global_id("User", user.id)


async def snapshot(owner: AsyncEngine) -> Snapshot:
    """Every row of the program tables as the owner sees them (row-level security bypassed)."""
    rows: Snapshot = {}
    async with owner.connect() as connection:
        for table in PROGRAM_TABLES:
            result = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [tuple(row) for row in result]
    return rows


async def owner_rows(owner: AsyncEngine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with owner.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(sql), params)]


async def set_status(owner: AsyncEngine, program_gid: str, status: str) -> None:
    """Put a program in `status` behind the application's back (to test from any state)."""
    async with owner.begin() as connection:
        await connection.execute(
            text("UPDATE programs SET status = :status WHERE id = :id"),
            {"status": status, "id": uuid_of(program_gid)},
        )


def uuid_of(gid: str) -> uuid.UUID:
    return uuid.UUID(base64.b64decode(gid).decode().partition(":")[2])
