"""Demo findings for Acme's ISO 9001 program, raised in its internal audit.

Written through the findings service as Acme's owner, so each rule applies: a minor
nonconformity on calibration (which flips that conformant requirement to partial, on record)
with its correction, root cause and a corrective action in progress; an observation on the
control of documents; an opportunity for improvement. Steps 5 and 6 then show what is honestly
unmet. Skipped when Acme already has findings.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.findings.models import Finding, FindingSource, FindingType
from backend.findings.service import (
    FindingFields,
    NewCorrectiveAction,
    RequirementTarget,
    add_corrective_action,
    raise_finding,
    record_correction,
    record_root_cause,
)
from backend.planning.models import ActionStatus
from backend.planning.service import ActionFields, update_action
from backend.programs.models import Program
from backend.runtime import Runtime
from tenants.roles import Role
from tenants.scope import TenantScope


@dataclass(frozen=True)
class DemoFinding:
    type: FindingType
    requirement: str
    statement: str
    objective_evidence: str


NONCONFORMITY = DemoFinding(
    FindingType.MINOR_NONCONFORMITY,
    "7.1.5.2",
    "Two pressure gauges in use on line 3 were past their calibration date.",
    "Gauges PG-117 and PG-118 carried labels due 2026-03-01; no later record was found.",
)
OBSERVATIONS = (
    DemoFinding(
        FindingType.OBSERVATION,
        "7.5.3.2",
        "Printed copies of work instructions on line 2 carry no revision mark.",
        "",
    ),
    DemoFinding(
        FindingType.OPPORTUNITY_FOR_IMPROVEMENT,
        "10.3",
        "Line leaders' improvement ideas are collected on a whiteboard and lost each week.",
        "",
    ),
)


async def seed_findings(runtime: Runtime, client_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
        if await db.scalar(select(Finding.id).where(Finding.tenant_id == client_id).limit(1)):
            return
        program = await db.scalar(
            select(Program).where(Program.tenant_id == client_id).order_by(Program.created_at)
        )
        if program is None:
            return
        owner = Actor(owner_id, client_id, Role.OWNER)
        await _nonconformity(db, owner, program)
        for demo in OBSERVATIONS:
            await _raise(db, owner, program, demo)


async def _raise(db: TenantSession, owner: Actor, program: Program, demo: DemoFinding) -> Finding:
    return await raise_finding(
        db,
        owner,
        FindingSource.INTERNAL_AUDIT.value,
        FindingFields(
            type=demo.type.value,
            statement=demo.statement,
            objective_evidence=demo.objective_evidence,
            owner_id=owner.user_id,
            due_date=date.today() + timedelta(days=45),
            requirements=[RequirementTarget(program.id, demo.requirement)],
        ),
    )


async def _nonconformity(db: TenantSession, owner: Actor, program: Program) -> None:
    finding = await _raise(db, owner, program, NONCONFORMITY)
    await record_correction(
        db,
        owner,
        finding.id,
        "Both gauges taken out of use and replaced from stores; last week's readings rechecked.",
        date.today() - timedelta(days=2),
    )
    await record_root_cause(
        db,
        owner,
        finding.id,
        "five_whys",
        "The calibration plan lists gauges by line, and gauges moved between lines drop off it.",
    )
    _, action = await add_corrective_action(
        db,
        owner,
        finding.id,
        NewCorrectiveAction(
            title="Keep the calibration plan by gauge serial number, not by line",
            owner_id=owner.user_id,
            due_date=date.today() + timedelta(days=30),
        ),
    )
    await update_action(db, owner, action.id, ActionFields(status=ActionStatus.IN_PROGRESS.value))
