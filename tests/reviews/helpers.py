"""Helpers of the reviews tests: a closed internal audit of A's P program with findings and
objectives around it, a review of A's two programs, and every reviews row as the owner sees
it (to prove a refused change changed nothing)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.audits import service as audits
from backend.audits.models import Audit, ChecklistLine
from backend.audits.scope import ScopePart
from backend.catalog.models import Clause, ClauseKind, Standard
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.findings import service as findings
from backend.findings.service import FindingFields
from backend.planning import service as planning
from backend.programs.models import Program, ProgramStep, StepKey
from backend.reviews import service
from backend.reviews.models import ManagementReview
from tenants.roles import Role
from tests.audits.helpers import plan_audit, programme
from tests.findings.helpers import TODAY, days_ago, on, raise_nc
from tests.planning.helpers import Plan, acting

REVIEW_TABLES = (
    "management_reviews",
    "management_review_programs",
    "management_review_attendees",
    "management_review_inputs",
    "management_review_outputs",
)


async def closed_audit(db: TenantSession, owner: Actor, plan: Plan) -> Audit:
    """IA-2026-01 over P's 7.5 (7.5.1 nonconformant, 7.5.2 conformant), signed today by its
    lead, A's admin; the owner acts again afterwards."""
    row = await programme(db, owner, plan)
    audit = await plan_audit(db, owner, plan, row, ScopePart(plan.programs["a"], ["7.5"]))
    await audits.start_audit(db, owner, audit.id)
    lines = await db.execute(
        select(ChecklistLine.id).where(ChecklistLine.audit_id == audit.id).order_by("position")
    )
    for (line_id,), result in zip(lines.all(), ("nonconformity", "conformant"), strict=True):
        await audits.record_checklist_result(db, owner, line_id, audits.LineFields(result=result))
    await audits.finish_fieldwork(db, owner, audit.id)
    lead = await acting(db, plan, "a_admin", "a", Role.ADMIN)
    signed = await audits.sign_audit(db, lead, audit.id, "Records need work.")
    await acting(db, plan, "a_owner", "a", Role.OWNER)
    return signed


async def findings_and_objectives(db: TenantSession, owner: Actor, plan: Plan) -> None:
    """A minor (NC-1) and a major (NC-2) nonconformity open, an opportunity for improvement
    open, one objective achieved and one at risk."""
    await raise_nc(db, owner, plan, "7.5.1")
    await raise_nc(db, owner, plan, "8.5.1", major=True)
    await findings.raise_finding(
        db,
        owner,
        "internal_audit",
        FindingFields(
            type="opportunity_for_improvement",
            statement="The gauge register could be kept on line.",
            requirements=on(plan, "a", "10.2"),
        ),
    )
    for status in ("achieved", "at_risk"):
        await planning.create_objective(
            db,
            owner,
            plan.programs["a"],
            planning.ObjectiveFields(
                statement=f"An objective {status}",
                indicator="Late deliveries",
                target="Under 2%",
                benefit="customer_satisfaction",
                status=status,
                due_date=days_ago(-30),
            ),
        )


async def plan_review(
    db: TenantSession, owner: Actor, plan: Plan, **values: Any
) -> ManagementReview:
    """A review of A's P and Q programs, chaired by A's owner, planned for today."""
    fields: dict[str, Any] = {
        "title": "Management review 2026",
        "planned_on": TODAY,
        "chair_id": plan.users["a_owner"],
        "program_ids": [plan.programs["a"], plan.programs["a_q"]],
        "attendees": [
            service.Attendee(user_id=plan.users["a_manager"]),
            service.Attendee(name="Dana External"),
        ],
    }
    return await service.plan_review(db, owner, service.ReviewFields(**(fields | values)))


async def program_on(owner_engine: AsyncEngine, plan: Plan, number: str) -> uuid.UUID:
    """A program of A on a throw-away standard numbered like an ISO one ("45001"), so a
    review of it asks for that standard's own inputs; removed with the plan."""
    standard = Standard(
        id=uuid.uuid4(),
        code=f"TEST-{uuid.uuid4().hex[:8]} {number}",
        edition="1",
        title=f"A test standard numbered {number}",
        purpose="Reviews asking for their standard's inputs.",
        components=[],
        source_digest="0" * 64,
    )
    standard.clauses = [
        Clause(
            number="4.1", title="Context", kind=ClauseKind.CLAUSE.value, assessable=True, position=0
        )
    ]
    program = Program(
        id=uuid.uuid4(), tenant_id=plan.orgs["a"], standard_id=standard.id, scope_statement="All"
    )
    async with AsyncSession(owner_engine, expire_on_commit=False) as db:
        db.add(standard)
        await db.flush()
        db.add(program)
        await db.flush()
        db.add_all(
            ProgramStep(tenant_id=plan.orgs["a"], program_id=program.id, number=n, key=key)
            for n, key in enumerate(StepKey, start=1)
        )
        await db.commit()
    plan.standards[standard.code] = standard.id
    plan.programs[standard.code] = program.id
    return program.id


async def review_rows(owner_engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    rows: dict[str, list[tuple[object, ...]]] = {}
    async with owner_engine.connect() as connection:
        for table in REVIEW_TABLES:
            found = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [tuple(row) for row in found]
    return rows
