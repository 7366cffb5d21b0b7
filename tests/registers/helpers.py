"""Helpers of the registers tests: programs of A and B on throw-away standards numbered like
ISO ones ("TEST-1a2b 27001"), so each register finds the standard it belongs to, with annex
controls whose Statement of Applicability the test chooses; and every registers row as the
owner sees it (to prove a refused change changed nothing)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.assessments.models import Assessment
from backend.catalog.models import Clause, ClauseKind, Standard
from backend.programs.models import Program, ProgramStep, StepKey
from tests.planning.helpers import Plan
from tests.support import Client, gql

REGISTER_TABLES = (
    "register_entries",
    "register_entry_changes",
    "register_entry_links",
    "register_entry_relations",
    "register_entry_findings",
    "register_hazard_controls",
    "register_risk_controls",
    "register_settings",
)
# The SoA of A's 27001 program: A.5.1 applies, A.8.24 is excluded, A.8.12 not yet assessed.
CONTROLS = {"A.5.1": "conformant", "A.8.24": "not_applicable", "A.8.12": "not_assessed"}
ERRORS = "errors { field code message }"


async def iso_program(
    owner_engine: AsyncEngine,
    plan: Plan,
    number: str,
    org: str = "a",
    controls: Mapping[str, str] | None = None,
) -> uuid.UUID:
    """A program of `org` on a throw-away standard numbered `number` with clause 6.1 and, when
    given, annex controls assessed as `controls` says; removed with the plan."""
    standard = Standard(
        id=uuid.uuid4(),
        code=f"TEST-{uuid.uuid4().hex[:8]} {number}",
        edition="1",
        title=f"A registers test standard numbered {number}",
        purpose="Registers finding their standard.",
        components=[],
        source_digest="0" * 64,
    )
    clauses = [("6.1", ClauseKind.CLAUSE)] + [(n, ClauseKind.CONTROL) for n in controls or {}]
    standard.clauses = [
        Clause(
            id=uuid.uuid4(),
            number=n,
            title=f"Requirement {n}",
            kind=kind.value,
            assessable=True,
            position=position,
        )
        for position, (n, kind) in enumerate(clauses)
    ]
    program = Program(
        id=uuid.uuid4(), tenant_id=plan.orgs[org], standard_id=standard.id, scope_statement="All"
    )
    async with AsyncSession(owner_engine, expire_on_commit=False) as db:
        db.add(standard)
        await db.flush()
        db.add(program)
        await db.flush()
        db.add_all(
            ProgramStep(tenant_id=program.tenant_id, program_id=program.id, number=n, key=key)
            for n, key in enumerate(StepKey, start=1)
        )
        db.add_all(
            Assessment(
                tenant_id=program.tenant_id,
                program_id=program.id,
                clause_id=clause.id,
                status=(controls or {}).get(clause.number, "not_assessed"),
            )
            for clause in standard.clauses
        )
        await db.commit()
    key = f"{org}_{number}"
    plan.standards[key] = standard.id
    plan.programs[key] = program.id
    plan.clauses.update({(key, clause.number): clause.id for clause in standard.clauses})
    return program.id


async def register_rows(owner_engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    rows: dict[str, list[tuple[object, ...]]] = {}
    async with owner_engine.connect() as connection:
        for table in REGISTER_TABLES:
            found = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [tuple(row) for row in found]
    return rows


async def call(
    client: Client, name: str, kind: str, fields: str, input: dict[str, Any], **auth: Any
) -> dict[str, Any]:
    """Run mutation `name` with its `kind` of input; the payload (errors included)."""
    document = f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {fields} {ERRORS} }} }}"
    body = await gql(client, document, {"input": input}, **auth)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


async def ok(
    client: Client, name: str, kind: str, fields: str, input: dict[str, Any], **auth: Any
) -> dict[str, Any]:
    payload = await call(client, name, kind, fields, input, **auth)
    assert payload["errors"] == [], payload
    return payload


async def read(client: Client, document: str, **variables: Any) -> Any:
    auth = {key: variables.pop(key) for key in ("token", "tenant")}
    body = await gql(client, document, variables, **auth)
    assert "errors" not in body, body
    return body["data"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]
