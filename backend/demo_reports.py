"""The demo's reports: a readiness report of Acme's ISO 9001 program and the internal audit
report of its signed audit, made last so they show what the other demo modules left (its
snapshots, findings, audits and their corrective actions).

Queued through the reports service as a person would queue them and rendered at once with
the job's own function (the demo does not wait for a worker; the queued job, when a worker
runs it, finds the report ready and leaves it). Seeding again makes no second report.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.audits.models import Audit, AuditStatus
from backend.catalog.models import Standard
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.programs.models import Program
from backend.reports.models import Report, ReportKind
from backend.reports.service import Subject, generate_report, render_pending
from backend.runtime import Runtime
from tenants.roles import Role
from tenants.scope import TenantScope

STANDARD = "ISO 9001"


async def seed_reports(runtime: Runtime, client_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    owner = Actor(owner_id, client_id, Role.OWNER)
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
        queued = [
            await generate_report(db, owner, kind, subject)
            for kind, subject in await _missing(db, client_id)
        ]
    for report in queued:
        async with runtime.acting_in(client_id) as db:
            await render_pending(db, report.id)
            await db.commit()


async def _missing(db: TenantSession, client_id: uuid.UUID) -> list[tuple[ReportKind, Subject]]:
    """The demo's reports not made yet: of the ISO 9001 program, of its signed audit."""
    program_id = await db.scalar(
        select(Program.id)
        .join(Standard, Standard.id == Program.standard_id)
        .where(Program.tenant_id == client_id, Standard.code == STANDARD)
    )
    audit_id = await db.scalar(
        select(Audit.id).where(
            Audit.tenant_id == client_id, Audit.status == AuditStatus.CLOSED.value
        )
    )
    made = set(await db.scalars(select(Report.kind).where(Report.tenant_id == client_id)))
    wanted = [
        (ReportKind.READINESS, Subject(program_id=program_id), program_id),
        (ReportKind.INTERNAL_AUDIT, Subject(audit_id=audit_id), audit_id),
    ]
    return [
        (kind, subject)
        for kind, subject, subject_id in wanted
        if subject_id is not None and kind.value not in made
    ]
