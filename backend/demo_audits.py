"""Demo audits for Acme's ISO 9001 program: an audit programme over a rolling year, one
internal audit done and signed, and the next one planned for next month.

Written through the audits service, so every rule applies: the checklist comes from the
audit's scope, the internal auditor (a contributor who owns none of the audited work) leads
and signs, and the demo findings on audited requirements are linked to the lines they were
raised from. Step 6 then shows honestly what is unmet: most clauses still to audit, the
planned audit open, and no management review. Skipped when Acme already has a programme.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from backend.audits.models import AuditProgramme, ChecklistLine, ChecklistResult
from backend.audits.scope import ScopePart
from backend.audits.service import (
    AuditFields,
    LineFields,
    ProgrammeFields,
    TeamMember,
    create_programme,
    finish_fieldwork,
    plan_audit,
    record_checklist_result,
    sign_audit,
    start_audit,
)
from backend.catalog.models import Clause
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.findings.models import Finding, FindingRequirement, FindingType
from backend.programs.models import Program
from backend.runtime import Runtime
from tenants.roles import Role
from tenants.scope import TenantScope

# What an audit line found, by the kind of finding raised on its requirement.
RESULTS = {
    FindingType.MINOR_NONCONFORMITY.value: ChecklistResult.NONCONFORMITY,
    FindingType.MAJOR_NONCONFORMITY.value: ChecklistResult.NONCONFORMITY,
    FindingType.OBSERVATION.value: ChecklistResult.OBSERVATION,
    FindingType.OPPORTUNITY_FOR_IMPROVEMENT.value: ChecklistResult.OPPORTUNITY_FOR_IMPROVEMENT,
}


@dataclass(frozen=True)
class People:
    owner: Actor
    auditor: Actor


async def seed_audits(
    runtime: Runtime, client_id: uuid.UUID, owner_id: uuid.UUID, auditor_id: uuid.UUID
) -> None:
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
        if await db.scalar(
            select(AuditProgramme.id).where(AuditProgramme.tenant_id == client_id).limit(1)
        ):
            return
        program = await db.scalar(
            select(Program).where(Program.tenant_id == client_id).order_by(Program.created_at)
        )
        if program is None:
            return
        people = People(
            Actor(owner_id, client_id, Role.OWNER), Actor(auditor_id, client_id, Role.CONTRIBUTOR)
        )
        today = date.today()
        programme = await create_programme(
            db,
            people.owner,
            ProgrammeFields(
                title="Quality audits, rolling year",
                period_start=today - timedelta(days=150),
                period_end=today + timedelta(days=215),
                objectives="Every clause of ISO 9001 audited before the certification audit.",
                scope=[ScopePart(program.id)],
            ),
        )
        await _closed_audit(db, people, programme.id, program.id, today)
        await _planned_audit(db, people, programme.id, program.id, today)


async def _closed_audit(
    db: TenantSession, people: People, programme_id: uuid.UUID, program_id: uuid.UUID, today: date
) -> None:
    held = today - timedelta(days=20)
    planned = await plan_audit(
        db,
        people.owner,
        programme_id,
        f"IA-{held.year}-01",
        AuditFields(
            title="Measuring equipment, documents and improvement on lines 2 and 3",
            criteria="Quality manual QM-01 and the calibration procedure",
            objectives="Check that gauges, work instructions and ideas are kept under control.",
            processes=["Production", "Calibration", "Document control"],
            sites=["Main plant, lines 2 and 3"],
            auditee_contacts=["Production manager", "Line 3 leader"],
            planned_start=held,
            planned_end=held + timedelta(days=1),
            lead_auditor_id=people.auditor.user_id,
            team=[TeamMember(name="Sam Rivera (external auditor)")],
            scope=[ScopePart(program_id, ["7.1.5", "7.5", "10.3"])],
        ),
    )
    audit_id = planned.audit.id
    await start_audit(db, people.owner, audit_id, held)
    for line_id, values in await _results(db, audit_id, program_id):
        await record_checklist_result(db, people.auditor, line_id, values)
    await finish_fieldwork(db, people.auditor, audit_id, held + timedelta(days=1))
    await sign_audit(
        db,
        people.auditor,
        audit_id,
        "Documents and improvement are under control on both lines; calibration of moved"
        " gauges is not, which the nonconformity raised addresses.",
    )


async def _results(
    db: TenantSession, audit_id: uuid.UUID, program_id: uuid.UUID
) -> list[tuple[uuid.UUID, LineFields]]:
    """Each line's result: the findings raised on its requirement decide it, the other lines
    were seen conformant."""
    lines = (
        await db.execute(
            select(ChecklistLine.id, Clause.number, ChecklistLine.clause_id)
            .join(Clause, Clause.id == ChecklistLine.clause_id)
            .where(ChecklistLine.audit_id == audit_id)
            .order_by(ChecklistLine.position)
        )
    ).all()
    found = (
        await db.execute(
            select(FindingRequirement.clause_id, Finding.id, Finding.type)
            .join(Finding, Finding.id == FindingRequirement.finding_id)
            .where(FindingRequirement.program_id == program_id)
        )
    ).all()
    results = []
    for line_id, number, clause_id in lines:
        raised = [(finding, kind) for clause, finding, kind in found if clause == clause_id]
        result = RESULTS[raised[0][1]] if raised else ChecklistResult.CONFORMANT
        results.append(
            (
                line_id,
                LineFields(
                    result=result.value,
                    notes=f"Sampled on both lines against {number}.",
                    sampled_records="Records of the last three months",
                    finding_ids=[finding for finding, _ in raised],
                ),
            )
        )
    return results


async def _planned_audit(
    db: TenantSession, people: People, programme_id: uuid.UUID, program_id: uuid.UUID, today: date
) -> None:
    month = today + timedelta(days=30)
    await plan_audit(
        db,
        people.owner,
        programme_id,
        f"IA-{month.year}-02",
        AuditFields(
            title="Context, leadership and planning",
            criteria="Quality manual QM-01",
            planned_start=month,
            planned_end=month,
            lead_auditor_id=people.auditor.user_id,
            auditee_contacts=["Managing director"],
            scope=[ScopePart(program_id, ["4", "5", "6"])],
        ),
    )
