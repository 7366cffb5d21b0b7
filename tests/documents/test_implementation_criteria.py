"""Exit criteria of the implementation step that documents judge: the required documents are
still approved and in date, and the system has run on them for the organization's period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.session import TenantSession
from backend.documents import criteria
from backend.programs.criteria import criteria_of
from backend.programs.models import Program, StepKey
from tenants.roles import Role
from tests.api.helpers import count_statements
from tests.documents.helpers import Setup, acting
from tests.support import Client, gql, judge, login
from tests.tenants.helpers import owner_execute


async def _verdict(db: TenantSession, setup: Setup) -> tuple[bool, str]:
    await acting(db, setup, "a_owner", "a", Role.OWNER)
    program = await db.get(Program, setup.programs["a"])
    assert program is not None
    verdict = await judge(criteria.operation_period_elapsed, db, program)
    return verdict.met, verdict.reason


async def _documentation_completed(owner_engine: AsyncEngine, setup: Setup, days_ago: int) -> str:
    completed_at = datetime.now(UTC) - timedelta(days=days_ago)
    await owner_execute(
        owner_engine,
        "UPDATE program_steps SET status = 'completed', completed_at = :at"
        " WHERE program_id = :program AND key = 'documentation'",
        at=completed_at,
        program=setup.programs["a"],
    )
    return completed_at.date().isoformat()


def test_the_required_documents_are_judged_again_at_implementation() -> None:
    checks = {item.key: item.check for item in criteria_of(StepKey.IMPLEMENTATION)}
    assert checks["required-documents-approved"] is criteria.mandatory_documents_covered
    assert "operation-period-elapsed" in checks


async def test_the_period_of_operation_counts_from_the_completed_documentation(
    session: TenantSession, setup: Setup, owner_engine: AsyncEngine
) -> None:
    assert await _verdict(session, setup) == (
        False,
        "Documentation is not completed yet; the 90 days of operation count from its completion.",
    )
    completed_on = await _documentation_completed(owner_engine, setup, 30)
    until = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    assert await _verdict(session, setup) == (
        False,
        f"30 of 90 days of operation have passed since documentation was completed on"
        f" {completed_on}; 60 to go (until {until}).",
    )
    await owner_execute(
        owner_engine,
        "UPDATE organizations SET operation_period_days = 21 WHERE id = :id",
        id=setup.orgs["a"],
    )
    assert await _verdict(session, setup) == (
        True,
        f"The system has run 30 days since documentation was completed on {completed_on}"
        " (21 asked).",
    )
    program = await session.get(Program, setup.programs["a"])
    assert program is not None
    with count_statements() as sent:
        await judge(criteria.operation_period_elapsed, session, program)
    assert len(sent) == 1


UPDATE = """
mutation($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) {
    organization { operationPeriodDays } errors { field code }
  }
}
"""


async def test_the_organization_chooses_its_period_of_operation(
    client: Client, setup: Setup
) -> None:
    token, tenant = await login(client, "a_owner"), setup.org_gid("a")

    async def update(days: int) -> dict[str, Any]:
        input = {"id": tenant, "operationPeriodDays": days}
        body = await gql(client, UPDATE, {"input": input}, token=token, tenant=tenant)
        payload: dict[str, Any] = body["data"]["updateOrganization"]
        return payload

    assert (await update(120))["organization"] == {"operationPeriodDays": 120}
    refused = await update(-1)
    assert refused["errors"] == [{"field": ["operationPeriodDays"], "code": "INVALID"}]
