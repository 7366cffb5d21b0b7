"""Demo programs: Acme Manufacturing part-way through ISO 9001 and ISO/IEC 27001.

Written through the same services a client uses, acting as Acme's owner, so the demo shows
exactly what the rules allow: ISO 9001 has its gap analysis done and its plan under way
(two gaps still lack an action, so Planning shows an unmet criterion); ISO/IEC 27001 is
early in its gap analysis. Seeding is skipped when Acme already has a program. The demo's
readiness history is recorded after each phase (`backend/demo_history.py`).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select

from backend.assessments.models import Conformity, Implementation, Priority
from backend.assessments.service import assess_requirements
from backend.catalog.models import Clause, ClauseKind
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.demo_history import DemoHistory
from backend.planning.models import Benefit, ObjectiveStatus
from backend.planning.service import (
    ActionFields,
    MilestoneFields,
    ObjectiveFields,
    create_action,
    create_milestone,
    create_objective,
)
from backend.programs.judgements import Judgement
from backend.programs.models import Program, ProgramStep, StepKey, StepStatus
from backend.programs.service import StandardRef, complete_step, start_program, update_step
from backend.runtime import Runtime
from tenants.roles import Role
from tenants.scope import TenantScope

QUALITY = StandardRef(code="ISO 9001", edition="2015")
SECURITY = StandardRef(code="ISO/IEC 27001", edition="2022")
# Every fifth requirement is a gap, alternating partial and nonconformant; the rest conform.
GAP_EVERY = 5
GAPS_LEFT_WITHOUT_ACTION = 2
SECURITY_ASSESSED = 40


async def seed_programs(
    runtime: Runtime, client_id: uuid.UUID, owner_id: uuid.UUID, history: DemoHistory
) -> None:
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
        if await db.scalar(select(Program.id).where(Program.tenant_id == client_id).limit(1)):
            return
        actor = Actor(owner_id, client_id, Role.OWNER)
        body = "bureau-certifica"
        quality = await start_program(
            db,
            actor,
            QUALITY,
            scope_statement="Design and manufacture of industrial pumps at the Springfield plant.",
            target_date=date.today() + timedelta(days=180),
            certification_body_slug=body,
            owner_id=owner_id,
        )
        security = await start_program(
            db,
            actor,
            SECURITY,
            scope_statement="Information systems supporting order handling and engineering.",
            target_date=date.today() + timedelta(days=300),
            certification_body_slug=body,
            owner_id=owner_id,
        )
        await history.record(db)
        await _quality_gap_analysis(db, actor, quality)
        await _security_program(db, actor, security)
        await history.record(db)
        await _quality_plan(db, actor, quality)
        await history.record(db)


async def _requirements(db: TenantSession, program: Program) -> list[Clause]:
    rows = await db.scalars(
        select(Clause)
        .where(Clause.standard_id == program.standard_id, Clause.assessable)
        .order_by(Clause.position)
    )
    return list(rows)


def _judgement(index: int, clause: Clause) -> Judgement:
    if index % GAP_EVERY != GAP_EVERY - 1:
        return Judgement(
            clause.id,
            Conformity.CONFORMANT,
            current_practice="Practised across the plant and described in the quality manual.",
        )
    partial = (index // GAP_EVERY) % 2 == 0
    return Judgement(
        clause.id,
        Conformity.PARTIAL if partial else Conformity.NONCONFORMANT,
        current_practice="Done informally by the team leads; nothing written down.",
        gap_description="No documented, repeatable way of doing this yet.",
        priority=Priority.MEDIUM if partial else Priority.HIGH,
    )


async def _step(db: TenantSession, program: Program, key: StepKey) -> ProgramStep:
    step = await db.scalar(
        select(ProgramStep).where(ProgramStep.program_id == program.id, ProgramStep.key == key)
    )
    assert step is not None  # noqa: S101 - start_program creates all seven
    return step


def _quality_judgements(requirements: list[Clause]) -> list[Judgement]:
    return [_judgement(i, clause) for i, clause in enumerate(requirements)]


async def _quality_gap_analysis(db: TenantSession, actor: Actor, program: Program) -> None:
    judgements = _quality_judgements(await _requirements(db, program))
    await assess_requirements(db, actor, program.id, judgements)
    gap_analysis = await _step(db, program, StepKey.GAP_ANALYSIS)
    await update_step(db, actor, gap_analysis.id, status=StepStatus.IN_PROGRESS)
    await complete_step(db, actor, gap_analysis.id)


async def _quality_plan(db: TenantSession, actor: Actor, program: Program) -> None:
    requirements = await _requirements(db, program)
    judgements = _quality_judgements(requirements)
    planning = await _step(db, program, StepKey.PLANNING)
    await update_step(
        db, actor, planning.id, status=StepStatus.IN_PROGRESS, checklist={"set-objectives": True}
    )
    objective = await create_objective(
        db,
        actor,
        program.id,
        ObjectiveFields(
            statement="Fewer customer complaints about late or wrong deliveries.",
            indicator="Complaints per 1,000 orders shipped",
            target="2 or fewer by the end of the year",
            benefit=Benefit.CUSTOMER_SATISFACTION.value,
            status=ObjectiveStatus.ON_TRACK.value,
            due_date=program.target_date,
            owner_id=actor.user_id,
        ),
    )
    gaps = [j for j in judgements if j.status is not Conformity.CONFORMANT]
    numbers = {clause.id: clause.number for clause in requirements}
    for offset, gap in enumerate(gaps[:-GAPS_LEFT_WITHOUT_ACTION]):
        await create_action(
            db,
            actor,
            program.id,
            ActionFields(
                title=f"Write and roll out the procedure for {numbers[gap.clause_id]}",
                description="Agree the steps with the team leads, write them down, train.",
                owner_id=actor.user_id,
                due_date=date.today() + timedelta(days=14 * (offset + 1) - 30),
                objective_id=objective.id,
                requirements=[gap.clause_id],
            ),
        )
    await create_milestone(
        db,
        actor,
        program.id,
        MilestoneFields(title="Stage 1 audit", due_date=date.today() + timedelta(days=150)),
    )
    training = await _step(db, program, StepKey.TRAINING)
    await update_step(db, actor, training.id, status=StepStatus.IN_PROGRESS)


async def _security_program(db: TenantSession, actor: Actor, program: Program) -> None:
    requirements = await _requirements(db, program)
    judgements = [
        _security_judgement(i, clause) for i, clause in enumerate(requirements[:SECURITY_ASSESSED])
    ]
    judgements += [
        _security_judgement(i, clause)
        for i, clause in enumerate(requirements)
        if clause.kind == ClauseKind.CONTROL and clause.theme == "physical"
    ]
    await assess_requirements(db, actor, program.id, _unique(judgements))
    gap_analysis = await _step(db, program, StepKey.GAP_ANALYSIS)
    await update_step(
        db, actor, gap_analysis.id, status=StepStatus.IN_PROGRESS, notes="Physical controls first."
    )


def _security_judgement(index: int, clause: Clause) -> Judgement:
    if clause.kind == ClauseKind.CONTROL and clause.number.startswith("A.7.") and index % 7 == 0:
        return Judgement(
            clause.id,
            Conformity.NOT_APPLICABLE,
            justification="No premises of our own: offices are rented with shared facilities.",
        )
    judgement = _judgement(index, clause)
    if clause.kind != ClauseKind.CONTROL:
        return judgement
    implemented = judgement.status is Conformity.CONFORMANT
    return Judgement(
        judgement.clause_id,
        judgement.status,
        judgement.current_practice,
        judgement.gap_description,
        priority=judgement.priority,
        implementation=Implementation.IMPLEMENTED if implemented else Implementation.PLANNED,
    )


def _unique(judgements: list[Judgement]) -> list[Judgement]:
    seen: dict[uuid.UUID, Judgement] = {}
    for judgement in judgements:
        seen.setdefault(judgement.clause_id, judgement)
    return list(seen.values())
