"""Below the service: the database itself refuses an auditor's writes to every findings table.

An auditor acting in a client reads its findings (row-level security admits the read set) but
has no write tenant, so its UPDATE and DELETE match nothing and its INSERT fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from sqlalchemy import CursorResult, Delete, Update, delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.findings import service
from backend.findings.models import (
    CorrectiveAction,
    EffectivenessReview,
    Finding,
    FindingEvidence,
    FindingRequirement,
    ReviewEvidence,
)
from backend.findings.service import Implementation, NewCorrectiveAction, Review
from backend.runtime import Runtime
from tenants.roles import Role
from tests.findings.helpers import TODAY, add_evidence, raise_nc
from tests.planning.helpers import Plan, acting

RLS_REFUSAL = "new row violates row-level security policy"
MODELS = [
    Finding,
    FindingRequirement,
    CorrectiveAction,
    EffectivenessReview,
    FindingEvidence,
    ReviewEvidence,
]
Model = (
    type[Finding]
    | type[FindingRequirement]
    | type[CorrectiveAction]
    | type[EffectivenessReview]
    | type[FindingEvidence]
    | type[ReviewEvidence]
)


@pytest.fixture
async def answered(session: TenantSession, plan: Plan, owner_engine: AsyncEngine) -> Finding:
    """A nonconformity of A with a row in every findings table, reviewed effective."""
    owner = await acting(session, plan, "a_owner", "a", Role.OWNER)
    evidence = await add_evidence(owner_engine, plan.orgs["a"], "Sample")
    finding = await raise_nc(session, owner, plan, evidence_ids=[evidence])
    await service.record_correction(session, owner, finding.id, "Contained.", TODAY)
    await service.record_root_cause(session, owner, finding.id, "other", "No owner.")
    _, action = await service.add_corrective_action(
        session, owner, finding.id, NewCorrectiveAction("Own it", plan.users["a_admin"], TODAY)
    )
    await session.execute(
        text("UPDATE actions SET status = 'done' WHERE id = :id"), {"id": action.id}
    )
    await service.record_implementation(
        session, owner, finding.id, Implementation(TODAY, TODAY, plan.users["a_admin"])
    )
    return await service.review_effectiveness(
        session, owner, finding.id, Review("effective", evidence_ids=[evidence])
    )


@pytest.fixture
async def auditor_session(
    runtime: Runtime, plan: Plan, answered: Finding
) -> AsyncIterator[TenantSession]:
    """The auditor's scope in A: read A, write nowhere."""
    async with runtime.sessions() as db:
        await acting(db, plan, "auditor", "a", Role.AUDITOR)
        yield db


async def _rows(owner_engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    async with owner_engine.connect() as connection:
        return {
            model.__tablename__: [
                tuple(row)
                for row in await connection.execute(
                    text(f"SELECT * FROM {model.__tablename__} ORDER BY id")
                )
            ]
            for model in MODELS
        }


@pytest.mark.parametrize("model", MODELS)
async def test_an_auditor_reads_every_findings_table_and_changes_none(
    auditor_session: TenantSession, owner_engine: AsyncEngine, model: Model
) -> None:
    before = await _rows(owner_engine)
    assert len((await auditor_session.scalars(select(model.id))).all()) == 1
    writes: list[Update | Delete] = [update(model).values(tenant_id=model.tenant_id)]
    if model is not EffectivenessReview:  # whose DELETE the app role lacks altogether
        writes.append(delete(model))
    for statement in writes:
        result = await auditor_session.execute(
            statement.execution_options(synchronize_session=False)
        )
        assert cast(CursorResult[Any], result).rowcount == 0
    await auditor_session.commit()
    assert await _rows(owner_engine) == before


async def test_an_auditor_cannot_insert_a_finding(
    auditor_session: TenantSession, owner_engine: AsyncEngine, plan: Plan
) -> None:
    before = await _rows(owner_engine)
    auditor_session.add(
        Finding(
            tenant_id=plan.orgs["a"],
            reference="NC-0000-999",
            type="observation",
            source="self_identified",
            statement="Planted.",
        )
    )
    with pytest.raises(DBAPIError, match=RLS_REFUSAL):
        await auditor_session.flush()
    await auditor_session.rollback()
    assert await _rows(owner_engine) == before


async def test_the_service_refuses_an_auditor_before_the_database_does(
    auditor_session: TenantSession, plan: Plan, answered: Finding
) -> None:
    auditor = await acting(auditor_session, plan, "auditor", "a", Role.AUDITOR)
    with pytest.raises(ServiceError) as caught:
        await service.close_finding(auditor_session, auditor, answered.id)
    assert caught.value.code is ErrorCode.FORBIDDEN


async def test_a_decided_review_never_changes_again(
    owner_engine: AsyncEngine, runtime: Runtime, plan: Plan, answered: Finding
) -> None:
    """The verdict is decided once: even a writer of A cannot rewrite or delete the review."""
    async with runtime.sessions() as db:
        await acting(db, plan, "a_owner", "a", Role.OWNER)
        with pytest.raises(DBAPIError, match="decided once"):
            await db.execute(
                update(EffectivenessReview)
                .where(EffectivenessReview.finding_id == answered.id)
                .values(verdict="not_effective")
            )
        await db.rollback()
        await acting(db, plan, "a_owner", "a", Role.OWNER)
        with pytest.raises(DBAPIError, match="permission denied"):
            await db.execute(delete(EffectivenessReview))
