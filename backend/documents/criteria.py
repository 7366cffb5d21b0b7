"""Exit criteria that documents judge: the documented information the standard asks for
exists, is approved and is reviewed in time (documentation step, and again at implementation,
since a document can lapse meanwhile), and the system has run on it long enough
(implementation step).

Each criterion is one SQL statement, whatever the size of the program.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import String, exists, func, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from backend.catalog.models import Clause
from backend.core.calendar import local_date, today_sql
from backend.db.session import TenantSession
from backend.documents.models import ControlledDocument, DocumentRequirement
from backend.documents.review import covers_sql
from backend.programs.criteria import Verdict, criterion
from backend.programs.models import Program, ProgramStep, StepKey, StepStatus
from tenants.models import Organization

NAMED_ITEMS = 5  # how many uncovered mandatory items a reason names


@criterion(
    StepKey.IMPLEMENTATION,
    "required-documents-approved",
    "Every document the standard requires is approved and in date.",
)
@criterion(
    StepKey.DOCUMENTATION,
    "mandatory-documents-covered",
    "Every mandatory item is covered by an approved, in-date document.",
)
async def mandatory_documents_covered(db: TenantSession, program: Program) -> Verdict:
    covered = exists().where(
        DocumentRequirement.program_id == program.id,
        DocumentRequirement.clause_id == Clause.id,
        ControlledDocument.id == DocumentRequirement.document_id,
        covers_sql(today_sql(program.tenant_id)),
    )
    uncovered = ~covered
    numbers = func.array_agg(aggregate_order_by(Clause.number, Clause.position)).filter(uncovered)
    row = (
        await db.execute(
            select(
                func.count(),
                func.count().filter(uncovered),
                type_coerce(numbers, ARRAY(String))[1:NAMED_ITEMS],
            ).where(Clause.standard_id == program.standard_id, Clause.documented_information)
        )
    ).one()
    return _verdict(int(row[0]), int(row[1]), list(row[2] or []))


def _verdict(items: int, missing: int, named: list[str]) -> Verdict:
    if items == 0:
        return Verdict(True, "The standard asks for no documented information.")
    if missing == 0:
        return Verdict(
            True, f"All {items} mandatory items are covered by an approved, in-date document."
        )
    more = f" and {missing - len(named)} more" if missing > len(named) else ""
    subject = "1 mandatory item is" if missing == 1 else f"{missing} mandatory items are"
    return Verdict(
        False,
        f"{subject} not covered by an approved, in-date document: {', '.join(named)}{more}.",
    )


@criterion(
    StepKey.IMPLEMENTATION,
    "operation-period-elapsed",
    "The system has run on its completed documentation for the organization's chosen period.",
)
async def operation_period_elapsed(db: TenantSession, program: Program) -> Verdict:
    """Records need time to accumulate: the period (an organization setting, 90 days unless
    changed) counts from the day, in the organization's calendar, the documentation step was
    completed."""
    row = (
        await db.execute(
            select(
                ProgramStep.completed_at,
                Organization.operation_period_days,
                Organization.timezone,
                today_sql(program.tenant_id),
            )
            .select_from(Organization)
            .outerjoin(
                ProgramStep,
                (ProgramStep.program_id == program.id)
                & (ProgramStep.key == StepKey.DOCUMENTATION.value)
                & (ProgramStep.status == StepStatus.COMPLETED.value),
            )
            .where(Organization.id == program.tenant_id)
        )
    ).one()
    completed_at, period, timezone, today = row
    if completed_at is None:
        return Verdict(
            False,
            f"Documentation is not completed yet; the {period} days of operation count from"
            " its completion.",
        )
    return _operation_verdict(local_date(completed_at, timezone), today, period)


def _operation_verdict(completed_on: date, today: date, period: int) -> Verdict:
    run = (today - completed_on).days
    since = f"since documentation was completed on {completed_on.isoformat()}"
    if run >= period:
        return Verdict(True, f"The system has run {run} days {since} ({period} asked).")
    until = (completed_on + timedelta(days=period)).isoformat()
    return Verdict(
        False,
        f"{run} of {period} days of operation have passed {since}; {period - run} to go"
        f" (until {until}).",
    )
