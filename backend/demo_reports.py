"""The demo's report: one readiness report of Acme's ISO 9001 program, made last so it shows
what the other demo modules left (its snapshots, findings and audits).

Queued through the reports service as a person would queue it and rendered at once with
the job's own function (the demo does not wait for a worker; the queued job, when a worker
runs it, finds the report ready and leaves it). Seeding again makes no second report.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.catalog.models import Standard
from backend.core.access import Actor
from backend.programs.models import Program
from backend.reports.models import Report, ReportKind
from backend.reports.service import generate_report, render_pending
from backend.runtime import Runtime
from tenants.roles import Role
from tenants.scope import TenantScope

STANDARD = "ISO 9001"


async def seed_reports(runtime: Runtime, client_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    owner = Actor(owner_id, client_id, Role.OWNER)
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
        program_id = await db.scalar(
            select(Program.id)
            .join(Standard, Standard.id == Program.standard_id)
            .where(Program.tenant_id == client_id, Standard.code == STANDARD)
        )
        made = await db.scalar(
            select(Report.id).where(
                Report.program_id == program_id, Report.kind == ReportKind.READINESS.value
            )
        )
        if program_id is None or made is not None:
            return
        report = await generate_report(db, owner, ReportKind.READINESS, program_id)
    async with runtime.acting_in(client_id) as db:
        await render_pending(db, report.id)
        await db.commit()
