"""The demo's management review: Acme's ISO 9001 program reviewed after its signed internal
audit, with the inputs assembled from the demo's findings, audit and objectives, two
outputs (one of them in progress) and the chair's signature, so step 6 shows the management
review criterion met.

Written through the reviews and planning services, so every rule applies. Skipped when Acme
already has a review, or no closed audit to review.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select

from backend.audits.models import AuditProgramme
from backend.core.access import Actor
from backend.core.calendar import today_sql
from backend.db.session import TenantSession
from backend.planning.service import ActionFields, update_action
from backend.programs.models import Program
from backend.reviews.models import InputKind, ManagementReview, ReviewInput
from backend.reviews.service import (
    Attendee,
    NewOutput,
    ReviewFields,
    add_output,
    hold_review,
    plan_review,
    prepare_review,
    record_input,
    sign_review,
)
from backend.runtime import Runtime
from tenants.roles import Role
from tenants.scope import TenantScope

NOTES = {
    InputKind.NONCONFORMITIES: "The gauge calibration nonconformity is the one that matters:"
    " moved gauges are not re-checked. Corrective action agreed, see outputs.",
    InputKind.AUDIT_RESULTS: "IA-01 found documents and improvement under control.",
    InputKind.CUSTOMER_SATISFACTION: "Survey score 8.1 of 10; two late-delivery complaints.",
    InputKind.RESOURCES: "One calibration rig for two lines is not enough.",
}


async def seed_reviews(
    runtime: Runtime, client_id: uuid.UUID, owner_id: uuid.UUID, auditor_id: uuid.UUID
) -> None:
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
        if await db.scalar(
            select(ManagementReview.id).where(ManagementReview.tenant_id == client_id).limit(1)
        ):
            return
        program = await db.scalar(
            select(Program).where(Program.tenant_id == client_id).order_by(Program.created_at)
        )
        programme = await db.scalar(
            select(AuditProgramme).where(AuditProgramme.tenant_id == client_id)
        )
        if program is None or programme is None:
            return
        owner = Actor(owner_id, client_id, Role.OWNER)
        await _review(db, owner, program, programme.period_start, auditor_id)


async def _review(
    db: TenantSession, owner: Actor, program: Program, since: date, auditor_id: uuid.UUID
) -> None:
    today: date = (await db.execute(select(today_sql(owner.tenant_id)))).scalar_one()
    review = await plan_review(
        db,
        owner,
        ReviewFields(
            title=f"Quality management review {today.year}",
            planned_on=today,
            period_start=since,
            chair_id=owner.user_id,
            program_ids=[program.id],
            attendees=[Attendee(user_id=auditor_id), Attendee(name="Plant manager")],
        ),
    )
    await prepare_review(db, owner, review.id)
    inputs = await db.scalars(select(ReviewInput).where(ReviewInput.review_id == review.id))
    for row in list(inputs):
        if InputKind(row.kind) in NOTES:
            await record_input(db, owner, row.id, NOTES[InputKind(row.kind)])
    await hold_review(db, owner, review.id, today)
    _, rig = await add_output(
        db,
        owner,
        review.id,
        NewOutput(
            kind="resources",
            title="Buy a second calibration rig",
            owner_id=owner.user_id,
            due_date=today + timedelta(days=45),
            description="So each line re-checks moved gauges the same day.",
        ),
    )
    await add_output(
        db,
        owner,
        review.id,
        NewOutput(
            kind="decision",
            title="Add customer complaints to the monthly quality meeting",
            owner_id=auditor_id,
            due_date=today + timedelta(days=30),
        ),
    )
    await update_action(db, owner, rig.id, ActionFields(status="in_progress"))
    await sign_review(db, owner, review.id)
