"""The demo's certification: Globex's ISO 14001 program was certified by Bureau Certifica
last year, one surveillance was held in time and the next is due; Acme's ISO 9001 program
has its stage 1 audit booked. `upcomingAudits` for Northwind's consultant shows both.

Written through the programs and certification services, so every rule applies (the
decision is refused unless stage 1 and stage 2 were held as step 7 asks). Dates are relative
to the organization's today. Skipped for an organization that already has a certification
audit.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select

from backend.certification.models import CertificationAudit
from backend.certification.rules import add_months
from backend.certification.service import (
    AuditFields,
    Decision,
    Outcome,
    plan_audit,
    record_decision,
    record_outcome,
)
from backend.core.access import Actor
from backend.core.calendar import today_sql
from backend.db.session import TenantSession
from backend.programs.models import Program
from backend.programs.service import StandardRef, start_program
from backend.runtime import Runtime
from tenants.roles import Role
from tenants.scope import TenantScope

BODY = "bureau-certifica"
ENVIRONMENT = StandardRef(code="ISO 14001", edition="2015")
LEAD = "Bruno Bureau"


async def seed_certification(
    runtime: Runtime,
    globex: tuple[uuid.UUID, uuid.UUID],
    acme: tuple[uuid.UUID, uuid.UUID],
) -> None:
    """`globex` and `acme` are each (organization id, owner id)."""
    async with runtime.sessions() as db:
        owner = await _acting(db, *globex)
        if owner is not None:
            await _certified_last_year(db, owner)
        owner = await _acting(db, *acme)
        if owner is not None:
            await _stage_1_booked(db, owner)


async def _acting(db: TenantSession, client_id: uuid.UUID, owner_id: uuid.UUID) -> Actor | None:
    """The owner acting in the client, or None when its certification is seeded already."""
    await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
    seeded = await db.scalar(
        select(CertificationAudit.id).where(CertificationAudit.tenant_id == client_id).limit(1)
    )
    return None if seeded else Actor(owner_id, client_id, Role.OWNER)


async def _today(db: TenantSession, owner: Actor) -> date:
    today: date = (await db.execute(select(today_sql(owner.tenant_id)))).scalar_one()
    return today


async def _held(
    db: TenantSession, owner: Actor, program: uuid.UUID, kind: str, *, last_day: date, outcome: str
) -> None:
    audit = await plan_audit(
        db,
        owner,
        AuditFields(
            program_ids=[program],
            kind=kind,
            planned_start=last_day - timedelta(days=1),
            planned_end=last_day,
            audit_days=None,
            lead_auditor_name=LEAD,
        ),
    )
    summary = "No nonconformity; the operational controls are well kept."
    await record_outcome(
        db, owner, audit.id, Outcome(outcome, last_day - timedelta(days=1), last_day, (), summary)
    )


async def _certified_last_year(db: TenantSession, owner: Actor) -> None:
    today = await _today(db, owner)
    decided = add_months(today, -14)
    program = await start_program(
        db,
        owner,
        ENVIRONMENT,
        scope_statement="Production and distribution of chilled foods at the Riverside site.",
        target_date=decided,
        certification_body_slug=BODY,
        owner_id=owner.user_id,
    )
    await _held(
        db, owner, program.id, "stage_1", last_day=decided - timedelta(days=70), outcome="ready"
    )
    await _held(
        db,
        owner,
        program.id,
        "stage_2",
        last_day=decided - timedelta(days=21),
        outcome="recommended",
    )
    await record_decision(
        db,
        owner,
        Decision(
            program_ids=[program.id],
            decided_on=decided,
            number=f"BC-14001-{decided.year}-117",
            scope="Production and distribution of chilled foods.",
            sites=["Riverside site"],
        ),
    )
    held_on = add_months(decided, 12) - timedelta(days=20)  # the first surveillance, in time
    await _held(db, owner, program.id, "surveillance", last_day=held_on, outcome="recommended")


async def _stage_1_booked(db: TenantSession, owner: Actor) -> None:
    quality = await db.scalar(
        select(Program)
        .where(Program.tenant_id == owner.tenant_id)
        .order_by(Program.created_at, Program.id)
    )
    if quality is None:
        return
    starts = await _today(db, owner) + timedelta(days=21)
    await plan_audit(
        db,
        owner,
        AuditFields(
            program_ids=[quality.id],
            kind="stage_1",
            planned_start=starts,
            planned_end=starts + timedelta(days=1),
            audit_days=None,
            lead_auditor_name=LEAD,
        ),
    )
