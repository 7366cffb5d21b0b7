"""Helpers of the certification tests: findings the body raised and their answers, audits
held on a given day, a program certified on a given day, and every certification row as the
owner sees it (to prove a refused change changed nothing)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.certification import service
from backend.certification.models import Certificate, CertificationAudit
from backend.certification.rules import add_months
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.findings import service as findings
from backend.findings.models import Finding
from backend.findings.service import Implementation, NewCorrectiveAction, Review
from tests.findings.helpers import TODAY, nonconformity
from tests.planning.helpers import Plan

TABLES = (
    "certification_audits",
    "certification_audit_programs",
    "certification_audit_findings",
    "certificates",
    "certificate_programs",
    "certificate_events",
    "certification_body_rules",
    "programs",
)


def months_ago(months: int) -> date:
    return add_months(TODAY, -months)


async def raised(
    db: TenantSession, owner: Actor, plan: Plan, kind: str, number: str = "7.5.1"
) -> Finding:
    """A finding the body raised on A's P program: a major or minor nonconformity, or an
    observation."""
    values = nonconformity(plan, number, type=kind)
    return await findings.raise_finding(db, owner, "certification_audit", values)


async def planned(db: TenantSession, owner: Actor, finding: Finding, plan: Plan) -> Finding:
    """The finding's corrective action is recorded: the body accepts the plan."""
    await findings.record_correction(db, owner, finding.id, "Contained.", TODAY)
    await findings.record_root_cause(db, owner, finding.id, "other", "No owner for the records.")
    await findings.add_corrective_action(
        db, owner, finding.id, NewCorrectiveAction("Own the records", plan.users["a_admin"], TODAY)
    )
    return finding


async def verified(db: TenantSession, owner: Actor, finding: Finding, plan: Plan) -> Finding:
    """The finding is answered and its correction found effective today."""
    await planned(db, owner, finding, plan)
    await db.execute(
        text(
            "UPDATE actions SET status = 'done' WHERE id IN"
            " (SELECT action_id FROM corrective_actions WHERE finding_id = :id)"
        ),
        {"id": finding.id},
    )
    await findings.record_implementation(
        db, owner, finding.id, Implementation(TODAY, TODAY, plan.users["a_admin"])
    )
    return await findings.review_effectiveness(db, owner, finding.id, Review("effective"))


async def held(
    db: TenantSession,
    owner: Actor,
    programs: Sequence[uuid.UUID],
    kind: str,
    last_day: date,
    *,
    outcome: str = "recommended",
    finding_ids: Sequence[uuid.UUID] = (),
) -> CertificationAudit:
    """An audit of `kind` over `programs`, held on the two days up to `last_day`."""
    audit = await service.plan_audit(
        db,
        owner,
        service.AuditFields(
            program_ids=programs,
            kind=kind,
            planned_start=last_day - timedelta(days=1),
            planned_end=last_day,
            audit_days=None,
            lead_auditor_name="Rita Lead",
        ),
    )
    return await service.record_outcome(
        db,
        owner,
        audit.id,
        service.Outcome(outcome, last_day - timedelta(days=1), last_day, finding_ids),
    )


async def certified(
    db: TenantSession, owner: Actor, programs: Sequence[uuid.UUID], decided_on: date
) -> Certificate:
    """Stage 1 and stage 2 held without findings before `decided_on`, and the decision."""
    await held(db, owner, programs, "stage_1", decided_on - timedelta(days=60), outcome="ready")
    await held(db, owner, programs, "stage_2", decided_on - timedelta(days=10))
    return await service.record_decision(db, owner, decision(programs, decided_on))


def decision(programs: Sequence[uuid.UUID], decided_on: date) -> service.Decision:
    return service.Decision(
        program_ids=programs,
        decided_on=decided_on,
        number="CERT-0042",
        scope="Design and manufacture of gauges",
        sites=["Main plant"],
    )


async def rows(owner_engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    found: dict[str, list[tuple[object, ...]]] = {}
    async with owner_engine.connect() as connection:
        for table in TABLES:
            result = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            found[table] = [tuple(row) for row in result]
    return found
