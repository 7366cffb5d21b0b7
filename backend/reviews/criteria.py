"""The exit criterion of the internal audit step that management reviews judge.

Rule. A program's last closed audit is, of the audits with a checklist line on the program
that were signed (closed) and whose day (actual start, else planned start, as the audits
area counts it) lies in their programme's period, the one signed last; it closed on the
organization's date of its signature. The criterion is met when a review serving the
program was held (or held and signed) on or after that day: the review then had the audit's
results before it. One statement, whatever the number of audits and reviews.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from backend.audits.models import Audit, AuditProgramme, AuditStatus, ChecklistLine
from backend.core.calendar import local_date_sql
from backend.db.session import TenantSession
from backend.programs.criteria import Verdict, criterion
from backend.programs.models import Program, StepKey
from backend.reviews.models import ManagementReview, ReviewProgram, ReviewStatus

NO_AUDIT = (
    "No internal audit of this program has closed yet: the management review comes after one."
)


@criterion(
    StepKey.INTERNAL_AUDIT,
    "management-review-held",
    "Top management has reviewed the management system since the last internal audit closed.",
)
async def management_review_held(db: TenantSession, program: Program) -> Verdict:
    """A review held on or after the day the program's last audit closed (module rule)."""
    closed_on = local_date_sql(Audit.signed_at.expression, Audit.tenant_id)
    day = func.coalesce(Audit.actual_start, Audit.planned_start)
    last = (
        select(Audit.reference.label("reference"), closed_on.label("closed_on"))
        .join(AuditProgramme, AuditProgramme.id == Audit.programme_id)
        .where(
            Audit.status == AuditStatus.CLOSED.value,
            day.between(AuditProgramme.period_start, AuditProgramme.period_end),
            select(ChecklistLine.id)
            .where(ChecklistLine.audit_id == Audit.id, ChecklistLine.program_id == program.id)
            .exists(),
        )
        .order_by(Audit.signed_at.desc(), Audit.reference.desc())
        .limit(1)
        .subquery()
    )
    held = (
        select(func.max(ManagementReview.held_on))
        .join(ReviewProgram, ReviewProgram.review_id == ManagementReview.id)
        .where(
            ReviewProgram.program_id == program.id,
            ManagementReview.status.in_([ReviewStatus.HELD.value, ReviewStatus.SIGNED.value]),
        )
        .scalar_subquery()
    )
    row = (await db.execute(select(last.c.reference, last.c.closed_on, held))).first()
    if row is None:
        return Verdict(False, NO_AUDIT)
    return _verdict(row[0], row[1], row[2])


def _verdict(reference: str, closed_on: date, held_on: date | None) -> Verdict:
    since = f"internal audit {reference} closed on {closed_on.isoformat()}"
    if held_on is None or held_on < closed_on:
        return Verdict(False, f"No management review held since {since}.")
    return Verdict(True, f"Management review held on {held_on.isoformat()}, after {since}.")
