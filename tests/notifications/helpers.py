"""Helpers of the notifications tests: something falling due in every area, owned or not,
with the reminders a run must write for it counted by hand; and the jobs run the way a
worker runs them (an outbox row, then a delivery)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend import features
from backend.audits.models import Audit, AuditProgramme
from backend.documents.models import ControlledDocument
from backend.evidence.models import EvidenceItem, EvidenceVersion
from backend.findings.models import Finding
from backend.jobs.outbox import enqueue
from backend.jobs.worker import Executor
from backend.planning.models import Action
from backend.runtime import Runtime
from backend.settings import Settings
from backend.training.models import TrainingSession
from tests.planning.helpers import Plan

TODAY = datetime.now(UTC).date()  # the world's organizations keep UTC
FALLBACK = ("a_owner", "a_admin")  # A's owners and admins, for what has no owner

Expected = set[tuple[str, str, str, int]]
"""(person, subject title, kind, lead days) of every reminder a run writes."""


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def _action(plan: Plan, title: str, due: int, owner: str | None, status: str = "open") -> Action:
    return Action(
        tenant_id=plan.orgs["a"],
        program_id=plan.programs["a"],
        title=title,
        due_date=day(due),
        owner_id=plan.users[owner] if owner else None,
        status=status,
    )


def _evidence(plan: Plan, title: str, valid_until: int, confirmed: bool) -> list[Any]:
    item = EvidenceItem(
        id=uuid.uuid4(),
        tenant_id=plan.orgs["a"],
        title=title,
        kind="record",
        owner_id=plan.users["a_manager"],
        valid_until=day(valid_until),
    )
    version = EvidenceVersion(
        tenant_id=plan.orgs["a"],
        evidence_id=item.id,
        storage_key=f"tenants/{plan.orgs['a']}/evidence/{item.id}/{uuid.uuid4()}",
        filename="record.pdf",
        content_type="application/pdf",
        size_bytes=10,
        sha256="0" * 64,
        status="available" if confirmed else "pending",
        upload_expires_at=datetime.now(UTC),
        confirmed_at=datetime.now(UTC) - timedelta(days=5) if confirmed else None,
    )
    return [item, version]


async def seed_due(owner_engine: AsyncEngine, plan: Plan) -> Expected:
    """Twelve objects in A (and one in B) and the eleven reminders A's run must write."""
    programme = AuditProgramme(
        id=uuid.uuid4(),
        tenant_id=plan.orgs["a"],
        title="Programme",
        period_start=day(-30),
        period_end=day(300),
    )
    rows: list[Any] = [
        _action(plan, "Week ahead", 7, "a_manager"),  # lead 7
        _action(plan, "Tomorrow, nobody's", 1, None),  # lead 1, owners and admins
        _action(plan, "Done already", 1, "a_manager", status="done"),  # finished: none
        _action(plan, "Far away", 20, "a_manager"),  # not yet: none
        _action(plan, "Yesterday", -1, "a_contributor"),  # overdue
        _action(plan, "In ten days", 10, "a_contributor"),  # lead 14 reached, 7 not yet
        Finding(
            tenant_id=plan.orgs["a"],
            reference="NC-2026-001",
            type="minor_nonconformity",
            source="internal_audit",
            statement="Records missing.",
            owner_id=plan.users["a_manager"],
            due_date=day(14),
        ),  # lead 14
        Finding(
            tenant_id=plan.orgs["a"],
            reference="NC-2026-002",
            type="minor_nonconformity",
            source="internal_audit",
            statement="Closed.",
            owner_id=plan.users["a_manager"],
            due_date=day(0),
            status="closed",
        ),  # closed: none
        ControlledDocument(
            tenant_id=plan.orgs["a"],
            type="procedure",
            code="QP-01",
            title="Control of records",
            owner_id=plan.users["a_admin"],
            review_interval_days=365,
            status="approved",
            approved_at=datetime.combine(day(-362), datetime.min.time(), UTC),
        ),  # review due in 3 days: lead 7
        *_evidence(plan, "Calibration certificate", 10, confirmed=True),  # lead 14
        *_evidence(plan, "Never uploaded", 1, confirmed=False),  # missing: no renewal
        TrainingSession(
            tenant_id=plan.orgs["a"],
            program_id=plan.programs["a"],
            type="workshop",
            topic="Document control",
            held_on=day(1),
            duration_minutes=60,
            trainer="Pat Trainer",
        ),  # lead 1, owners and admins
        programme,
        Audit(
            tenant_id=plan.orgs["a"],
            programme_id=programme.id,
            reference="IA-2026-01",
            title="Records",
            planned_start=day(7),
            planned_end=day(8),
            lead_auditor_id=plan.users["a_admin"],
        ),  # lead 7
        Action(
            tenant_id=plan.orgs["b"],
            program_id=plan.programs["b"],
            title="B's tomorrow",
            due_date=day(1),
            owner_id=plan.users["b_owner"],
        ),
    ]
    async with AsyncSession(owner_engine) as db:
        db.add(programme)
        await db.flush()
        for row in rows:
            db.add(row)
            await db.flush()
        await db.commit()
    return {
        ("a_manager", "Week ahead", "action_due", 7),
        *(("fallback", "Tomorrow, nobody's", "action_due", 1),),
        ("a_contributor", "Yesterday", "action_due", -1),
        ("a_contributor", "In ten days", "action_due", 14),
        ("a_manager", "NC-2026-001", "finding_due", 14),
        ("a_admin", "QP-01 Control of records", "document_review_due", 7),
        ("a_manager", "Calibration certificate", "evidence_renewal_due", 14),
        ("fallback", "Document control", "training_session", 1),
        ("a_admin", "IA-2026-01 Records", "audit", 7),
    }


def expand(expected: Expected) -> Expected:
    """Reminders of "fallback" go to each of A's owners and admins."""
    return {
        (person, title, kind, lead)
        for who, title, kind, lead in expected
        for person in (FALLBACK if who == "fallback" else (who,))
    }


async def written(owner_engine: AsyncEngine, plan: Plan, tenant: str = "a") -> Expected:
    names = {user_id: name for name, user_id in plan.users.items()}
    async with owner_engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT user_id, title, kind::text, lead_days FROM notifications"
                " WHERE tenant_id = :tenant"
            ),
            {"tenant": plan.orgs[tenant]},
        )
        return {(names[row[0]], row[1], row[2], row[3]) for row in rows}


async def all_rows(owner_engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with owner_engine.connect() as connection:
        found = await connection.execute(text("SELECT * FROM notifications ORDER BY id"))
        return [tuple(row) for row in found]


async def run_job(settings: Settings, job: str, tenant_id: uuid.UUID, times: int = 1) -> uuid.UUID:
    """Queue `job` for the tenant and deliver it `times` times, as a worker does (a broker
    may deliver a message more than once); the outbox id."""
    runtime = Runtime.build(settings)
    executor = Executor(settings, {each.name: each for each in features.jobs()})
    try:
        async with runtime.acting_in(tenant_id) as db:
            row = await enqueue(db, job, tenant_id)
            await db.commit()
        for _ in range(times):
            await executor.run(row.id, tenant_id)
        return row.id
    finally:
        await executor.close()
        await runtime.close()


async def outbox(owner_engine: AsyncEngine, job: str) -> list[tuple[Any, ...]]:
    async with owner_engine.connect() as connection:
        found = await connection.execute(
            text("SELECT tenant_id, status::text FROM job_outbox WHERE job = :job"), {"job": job}
        )
        return [tuple(row) for row in found]
