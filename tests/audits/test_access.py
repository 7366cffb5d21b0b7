"""Below the service: the database itself refuses an auditor's writes to every audits table.

An auditor of a certification body with a grant reads the client's audits (row-level security
admits the read set) but has no write tenant, so its UPDATE and DELETE match nothing and its
INSERT fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.audits import service
from backend.audits.models import (
    Audit,
    AuditFinding,
    AuditProgramme,
    AuditTeamMember,
    ChecklistLine,
    ChecklistReference,
    ProgrammeRequirement,
)
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.runtime import Runtime
from tenants.roles import Role
from tests.audits.helpers import audit_rows, plan_audit, programme
from tests.findings.helpers import TODAY, add_evidence, raise_nc
from tests.planning.helpers import Plan, acting

RLS_REFUSAL = "new row violates row-level security policy"
MODELS = [
    AuditProgramme,
    ProgrammeRequirement,
    Audit,
    AuditTeamMember,
    ChecklistLine,
    ChecklistReference,
    AuditFinding,
]


@pytest.fixture
async def recorded(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    """An audit of A with a row in every audits table."""
    row = await programme(session, owner_a, plan)
    audit = await plan_audit(
        session, owner_a, plan, row, team=[service.TeamMember(name="Dana External")]
    )
    audit_id = audit.id
    await service.start_audit(session, owner_a, audit_id)
    finding = await raise_nc(session, owner_a, plan, "7.5.1")
    evidence = await add_evidence(owner_engine, plan.orgs["a"], "Index")
    async with owner_engine.connect() as connection:
        found = await connection.exec_driver_sql(
            "SELECT id FROM evidence_versions WHERE evidence_id = $1", (evidence,)
        )
        version_id = found.scalar_one()
    line = await session.scalar(select(ChecklistLine.id).where(ChecklistLine.audit_id == audit_id))
    assert line is not None
    await service.record_checklist_result(
        session,
        owner_a,
        line,
        service.LineFields(
            result="nonconformity", evidence_version_ids=[version_id], finding_ids=[finding.id]
        ),
    )


@pytest.fixture
async def auditor_session(
    runtime: Runtime, plan: Plan, recorded: None
) -> AsyncIterator[TenantSession]:
    """The auditor's scope in A: read A, write nowhere."""
    async with runtime.sessions() as db:
        await acting(db, plan, "auditor", "a", Role.AUDITOR)
        yield db


@pytest.mark.parametrize("model", MODELS)
async def test_an_auditor_reads_every_audits_table_and_changes_none(
    auditor_session: TenantSession, owner_engine: AsyncEngine, model: Any
) -> None:
    before = await audit_rows(owner_engine)
    assert len((await auditor_session.scalars(select(model.id))).all()) >= 1
    for statement in (update(model).values(tenant_id=model.tenant_id), delete(model)):
        result = await auditor_session.execute(
            statement.execution_options(synchronize_session=False)
        )
        assert cast(CursorResult[Any], result).rowcount == 0
    await auditor_session.commit()
    assert await audit_rows(owner_engine) == before


async def test_an_auditor_cannot_insert_an_audit(
    auditor_session: TenantSession, owner_engine: AsyncEngine, plan: Plan
) -> None:
    before = await audit_rows(owner_engine)
    programme_id = await auditor_session.scalar(select(AuditProgramme.id))
    auditor_session.add(
        Audit(
            tenant_id=plan.orgs["a"],
            programme_id=programme_id,
            reference="IA-PLANTED",
            title="Planted",
            planned_start=TODAY,
            planned_end=TODAY,
        )
    )
    with pytest.raises(DBAPIError, match=RLS_REFUSAL):
        await auditor_session.flush()
    await auditor_session.rollback()
    assert await audit_rows(owner_engine) == before
