"""The demo's portfolio: Acme's owner makes its internal auditor answer for the first gaps of
the ISO 9001 gap analysis, and Globex sets an end date on Northwind's engagement, so
Northwind's portfolio, Quinn's work queue and the engagements history show something.

Written through the portfolio and tenants services, so every rule applies. Skipped for the
parts that exist already (assignments in Acme, an end date on Globex's engagement).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.assessments.service import gaps
from backend.core.access import Actor
from backend.portfolio.models import RequirementAssignment
from backend.portfolio.service import assign_requirements
from backend.programs.models import Program
from backend.runtime import Runtime
from tenants.models import ConsultancyEngagement
from tenants.roles import Role
from tenants.scope import TenantScope
from tenants.service import update_engagement

ASSIGNED_GAPS = 4
ENGAGEMENT_DAYS = 365


async def seed_portfolio(
    runtime: Runtime,
    acme: tuple[uuid.UUID, uuid.UUID],
    globex: tuple[uuid.UUID, uuid.UUID],
    assignee_id: uuid.UUID,
) -> None:
    """`acme` and `globex` are (organization id, owner id)."""
    await _assign_gaps(runtime, *acme, assignee_id)
    await _limit_engagement(runtime, *globex)


async def _assign_gaps(
    runtime: Runtime, client_id: uuid.UUID, owner_id: uuid.UUID, assignee_id: uuid.UUID
) -> None:
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
        if await db.scalar(select(RequirementAssignment.id).limit(1)):
            return
        program = await db.scalar(
            select(Program.id).where(Program.tenant_id == client_id).order_by(Program.created_at)
        )
        if program is None:
            return
        found = [clause.id for _, clause in await gaps(db, program)][:ASSIGNED_GAPS]
        if found:
            actor = Actor(owner_id, client_id, Role.OWNER)
            await assign_requirements(db, actor, program, found, assignee_id)


async def _limit_engagement(runtime: Runtime, client_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
        engagement = await db.scalar(
            select(ConsultancyEngagement).where(
                ConsultancyEngagement.tenant_id == client_id,
                ConsultancyEngagement.ended_at.is_(None),
            )
        )
        if engagement is None:
            return
        ends_on = datetime.now(UTC).date() + timedelta(days=ENGAGEMENT_DAYS)
        actor = Actor(owner_id, client_id, Role.OWNER)
        await update_engagement(db, actor, engagement.id, ends_on=ends_on)
