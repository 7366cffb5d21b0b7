"""The exit criterion of the internal audit step that management reviews judge.

Rule. A program's last closed audit is, of the audits with a checklist line on the program
that were signed (closed) and whose day (actual start, else planned start, as the audits
area counts it) lies in their programme's period, the one signed last; it closed on the
organization's date of its signature. The criterion is met when a review serving the
program was held (or held and signed) on or after that day: the review then had the audit's
results before it. One statement for any number of programs, audits and reviews.
"""

from __future__ import annotations

import functools
import uuid
from datetime import date

from sqlalchemy import Select, Subquery, func, select
from sqlalchemy.dialects.postgresql import distinct_on

from backend.audits.models import Audit, AuditProgramme, AuditStatus, ChecklistLine
from backend.core.calendar import local_date_sql
from backend.db.session import TenantSession
from backend.programs.criteria import Programs, Verdict, Verdicts, among_asked, asked, criterion
from backend.programs.models import StepKey
from backend.reviews.models import ManagementReview, ReviewProgram, ReviewStatus

NO_AUDIT = Verdict(
    False,
    "No internal audit of this program has closed yet: the management review comes after one.",
)


@criterion(
    StepKey.INTERNAL_AUDIT,
    "management-review-held",
    "Top management has reviewed the management system since the last internal audit closed.",
)
async def management_review_held(db: TenantSession, programs: Programs) -> Verdicts:
    """A review held on or after the day each program's last audit closed (module rule)."""
    rows = await db.execute(_statement(), asked(programs))
    found = {row[0]: _verdict(row[1], row[2], row[3]) for row in rows}
    return {program.id: found.get(program.id, NO_AUDIT) for program in programs}


@functools.cache
def _statement() -> Select[uuid.UUID, str, date, date | None]:
    """Per asked program: its last closed audit, the day it closed and the last review held.
    Built once, the asked programs bound at execution."""
    last, held = _last_closed_audits(), _last_held_reviews()
    return select(last.c.program_id, last.c.reference, last.c.closed_on, held.c.held_on).outerjoin(
        held, held.c.program_id == last.c.program_id
    )


def _last_closed_audits() -> Subquery:
    """Each asked program's last closed audit in its programme's period (module rule)."""
    closed_on = local_date_sql(Audit.signed_at.expression, Audit.tenant_id)
    day = func.coalesce(Audit.actual_start, Audit.planned_start)
    return (
        select(
            ChecklistLine.program_id.label("program_id"),
            Audit.reference.label("reference"),
            closed_on.label("closed_on"),
        )
        .join(Audit, Audit.id == ChecklistLine.audit_id)
        .join(AuditProgramme, AuditProgramme.id == Audit.programme_id)
        .where(
            among_asked(ChecklistLine.program_id),
            Audit.status == AuditStatus.CLOSED.value,
            day.between(AuditProgramme.period_start, AuditProgramme.period_end),
        )
        .ext(distinct_on(ChecklistLine.program_id))
        .order_by(ChecklistLine.program_id, Audit.signed_at.desc(), Audit.reference.desc())
        .subquery()
    )


def _last_held_reviews() -> Subquery:
    """The day of the last review held (or held and signed) serving each asked program."""
    return (
        select(ReviewProgram.program_id, func.max(ManagementReview.held_on).label("held_on"))
        .join(ManagementReview, ManagementReview.id == ReviewProgram.review_id)
        .where(
            among_asked(ReviewProgram.program_id),
            ManagementReview.status.in_([ReviewStatus.HELD.value, ReviewStatus.SIGNED.value]),
        )
        .group_by(ReviewProgram.program_id)
        .subquery()
    )


def _verdict(reference: str, closed_on: date, held_on: date | None) -> Verdict:
    since = f"internal audit {reference} closed on {closed_on.isoformat()}"
    if held_on is None or held_on < closed_on:
        return Verdict(False, f"No management review held since {since}.")
    return Verdict(True, f"Management review held on {held_on.isoformat()}, after {since}.")
