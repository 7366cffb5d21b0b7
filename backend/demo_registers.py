"""The demo's registers: Acme's risk register feeding its ISO/IEC 27001 Statement of
Applicability (security risks treated with controls the SoA applies, one residual risk
accepted by its owner), its ISO 9001 risks and opportunities and an improvement raised from
the audit's observation; Globex's ISO 14001 program with an aspects register and a legal
register, one obligation evaluated.

Written through the registers' and programs' services, so every rule applies. Skipped for an
organization that has register rows already.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from backend.assessments.models import Assessment, Conformity
from backend.catalog.models import Clause, ClauseKind, Standard
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.findings.models import Finding, FindingType
from backend.programs.models import Program
from backend.programs.service import StandardRef, start_program
from backend.registers.models import EntryKind, RegisterEntry
from backend.registers.service import (
    EntryFields,
    ImprovementOrigin,
    accept_residual_risk,
    create_entry,
    evaluate_obligation,
    raise_improvement,
)
from backend.runtime import Runtime
from tenants.roles import Role
from tenants.scope import TenantScope

ENVIRONMENT = StandardRef(code="ISO 14001", edition="2015")
APPLIED = (Conformity.CONFORMANT.value, Conformity.PARTIAL.value, Conformity.NONCONFORMANT.value)


Owner = tuple[uuid.UUID, uuid.UUID]  # (organization id, its owner's id)


async def seed_registers(
    runtime: Runtime, *, acme: Owner | None = None, globex: Owner | None = None
) -> None:
    """Acme's and Globex's registers, each when named: Acme's come before its management
    review (which counts their risks), Globex's after its certified program exists."""
    for organization, seed in ((acme, _acme), (globex, _globex)):
        if organization is None:
            continue
        tenant_id, owner_id = organization
        async with runtime.sessions() as db:
            await db.set_scope(TenantScope(owner_id, frozenset({tenant_id}), tenant_id))
            if await db.scalar(
                select(RegisterEntry.id).where(RegisterEntry.tenant_id == tenant_id).limit(1)
            ):
                continue
            await seed(db, Actor(owner_id, tenant_id, Role.OWNER))


async def _program(db: TenantSession, tenant_id: uuid.UUID, number: str) -> Program | None:
    return await db.scalar(
        select(Program)
        .join(Standard, Standard.id == Program.standard_id)
        .where(Program.tenant_id == tenant_id, Standard.code.contains(number))
    )


async def _acme(db: TenantSession, owner: Actor) -> None:
    security = await _program(db, owner.tenant_id, "27001")
    quality = await _program(db, owner.tenant_id, "9001")
    if security is not None:
        await _security_risks(db, owner, security)
    if quality is not None:
        await _quality_risks(db, owner, quality)


async def _security_risks(db: TenantSession, owner: Actor, program: Program) -> None:
    """Three security risks, each treated with annex controls the SoA applies."""
    applied = list(
        await db.scalars(
            select(Clause.number)
            .join(Assessment, Assessment.clause_id == Clause.id)
            .where(
                Assessment.program_id == program.id,
                Clause.kind == ClauseKind.CONTROL.value,
                Assessment.status.in_(APPLIED),
            )
            .order_by(Clause.position)
            .limit(3)
        )
    )
    common: dict[str, Any] = {
        "owner_id": owner.user_id,
        "review_on": date.today() + timedelta(days=90),
    }
    await create_entry(
        db,
        owner,
        EntryKind.SECURITY_RISK,
        program.id,
        EntryFields(
            title="Break-in at the engineering office exposes drawings",
            asset="Engineering drawings and workstations",
            threat="Unauthorised physical entry",
            vulnerability="Side door without access control",
            likelihood=3,
            impact=4,
            treatment="modify",
            control_refs=applied[:2],
            residual_likelihood=1,
            residual_impact=4,
            **common,
        ),
    )
    await create_entry(
        db,
        owner,
        EntryKind.SECURITY_RISK,
        program.id,
        EntryFields(
            title="Power cut stops order handling",
            asset="Order handling server room",
            threat="Loss of mains power",
            vulnerability="No backup supply",
            likelihood=2,
            impact=3,
            treatment="modify",
            control_refs=applied[2:],
            residual_likelihood=1,
            residual_impact=2,
            **common,
        ),
    )
    retained = await create_entry(
        db,
        owner,
        EntryKind.SECURITY_RISK,
        program.id,
        EntryFields(
            title="Supplier portal outage delays purchase orders",
            asset="Supplier portal (hosted)",
            threat="Provider outage",
            vulnerability="Single provider",
            likelihood=2,
            impact=2,
            treatment="retain",
            residual_likelihood=2,
            residual_impact=2,
            **common,
        ),
    )
    await accept_residual_risk(db, owner, retained.id)


async def _quality_risks(db: TenantSession, owner: Actor, program: Program) -> None:
    for title, nature, context, likelihood, impact in (
        ("Single source for pump castings", "risk", "External issue: supplier base", 3, 4),
        ("Service contracts for installed pumps", "opportunity", "Customer requests", 3, 3),
    ):
        await create_entry(
            db,
            owner,
            EntryKind.RISK,
            program.id,
            EntryFields(
                title=title,
                nature=nature,
                context=context,
                likelihood=likelihood,
                impact=impact,
                owner_id=owner.user_id,
            ),
        )
    observation = await db.scalar(
        select(Finding.id).where(
            Finding.tenant_id == owner.tenant_id,
            Finding.type == FindingType.OBSERVATION.value,
        )
    )
    if observation is not None:
        await raise_improvement(
            db,
            owner,
            ImprovementOrigin(finding_id=observation),
            EntryFields(benefit="improved_efficiency", owner_id=owner.user_id),
        )


async def _globex(db: TenantSession, owner: Actor) -> None:
    program = await _program(db, owner.tenant_id, "14001")
    if program is None:
        program = await start_program(
            db,
            owner,
            ENVIRONMENT,
            scope_statement="Production of chilled ready meals at the Riverside site.",
            target_date=date.today() + timedelta(days=270),
            owner_id=owner.user_id,
        )
    permit = await create_entry(
        db,
        owner,
        EntryKind.OBLIGATION,
        program.id,
        EntryFields(
            title="Wastewater discharge permit",
            source="Discharge permit of the water authority",
            applicability="Washing water from the production hall",
            evaluation_months=6,
            owner_id=owner.user_id,
        ),
    )
    await create_entry(
        db,
        owner,
        EntryKind.OBLIGATION,
        program.id,
        EntryFields(
            title="Refrigerant leak checks",
            source="Regulation on fluorinated gases",
            applicability="Cold stores 1 to 3",
            evaluation_months=12,
            owner_id=owner.user_id,
        ),
    )
    await evaluate_obligation(
        db,
        owner,
        permit.id,
        result="compliant",
        evidence="Quarterly lab results within the permit's limits.",
        evaluated_on=date.today() - timedelta(days=20),
    )
    for title, activity, consequence, condition, likelihood, impact, related in (
        ("Organic load in wastewater", "Washing", "Water pollution", "normal", 4, 3, [permit.id]),
        ("Refrigerant leak", "Cold storage", "Climate impact", "abnormal", 2, 5, []),
        ("Food waste", "Production", "Waste to landfill", "normal", 3, 2, []),
    ):
        await create_entry(
            db,
            owner,
            EntryKind.ASPECT,
            program.id,
            EntryFields(
                title=title,
                activity=activity,
                consequence=consequence,
                condition=condition,
                likelihood=likelihood,
                impact=impact,
                related_ids=related,
                owner_id=owner.user_id,
            ),
        )
