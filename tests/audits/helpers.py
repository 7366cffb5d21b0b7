"""Helpers of the audits tests: a programme over A's two programs, audits planned in it,
and every audits row as the owner sees it (to prove a refused change changed nothing)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.audits import service
from backend.audits.models import Audit, AuditProgramme
from backend.audits.scope import ScopePart
from backend.core.access import Actor
from backend.db.session import TenantSession
from tests.findings.helpers import TODAY
from tests.planning.helpers import Plan

AUDIT_TABLES = (
    "audit_programmes",
    "audit_programme_requirements",
    "audits",
    "audit_team_members",
    "audit_checklist_lines",
    "audit_checklist_references",
    "audit_findings",
)
PERIOD = (TODAY - timedelta(days=100), TODAY + timedelta(days=200))


async def programme(db: TenantSession, actor: Actor, plan: Plan, **values: Any) -> AuditProgramme:
    """A programme over all of A's P and Q requirements for a period around today."""
    fields: dict[str, Any] = {
        "title": "Internal audits 2026",
        "period_start": PERIOD[0],
        "period_end": PERIOD[1],
        "scope": [ScopePart(plan.programs["a"]), ScopePart(plan.programs["a_q"])],
    }
    return await service.create_programme(db, actor, service.ProgrammeFields(**(fields | values)))


def audit_fields(plan: Plan, *scope: ScopePart, **values: Any) -> service.AuditFields:
    fields: dict[str, Any] = {
        "title": "Document control across the site",
        "planned_start": TODAY,
        "planned_end": TODAY + timedelta(days=1),
        "lead_auditor_id": plan.users["a_admin"],
        "scope": list(scope) or [ScopePart(plan.programs["a"], ["7.5"])],
    }
    return service.AuditFields(**(fields | values))


async def plan_audit(
    db: TenantSession,
    actor: Actor,
    plan: Plan,
    programme_row: AuditProgramme,
    *scope: ScopePart,
    reference: str = "IA-2026-01",
    **values: Any,
) -> Audit:
    planned = await service.plan_audit(
        db, actor, programme_row.id, reference, audit_fields(plan, *scope, **values)
    )
    assert planned.warnings == []
    return planned.audit


async def audit_rows(owner_engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    rows: dict[str, list[tuple[object, ...]]] = {}
    async with owner_engine.connect() as connection:
        for table in AUDIT_TABLES:
            found = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [tuple(row) for row in found]
    return rows
