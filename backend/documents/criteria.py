"""Exit criteria that documents judge: the documented information the standard asks for
exists, is approved and is reviewed in time (documentation step, and again at implementation,
since a document can lapse meanwhile), and the system has run on it long enough
(implementation step).

Each criterion is one SQL statement, whatever the size of the program.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Select, Subquery, func, select
from sqlalchemy.orm import aliased

from backend.catalog.models import Clause
from backend.core.calendar import local_date, today_sql, zoned_date_sql
from backend.db.session import TenantSession
from backend.documents.models import ControlledDocument, DocumentRequirement
from backend.documents.review import covers_sql
from backend.programs.criteria import (
    Programs,
    Verdict,
    Verdicts,
    among_asked,
    asked,
    criterion,
    first_named,
    listed,
)
from backend.programs.models import Program, ProgramStep, StepKey, StepStatus
from tenants.models import Organization


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
async def mandatory_documents_covered(db: TenantSession, programs: Programs) -> Verdicts:
    rows = await db.execute(_covered_statement(), asked(programs))
    found = {row[0]: (int(row[1]), int(row[2]), list(row[3] or [])) for row in rows}
    return {program.id: _verdict(*found.get(program.id, (0, 0, []))) for program in programs}


@functools.cache
def _covered_statement() -> Select[uuid.UUID, int, int, list[str]]:
    """Per program: mandatory items, those uncovered, and the first named. Built once, the
    asked programs bound at execution."""
    covered = _covered_items()
    uncovered = covered.c.program_id.is_(None)
    return (
        select(
            Program.id,
            func.count(),
            func.count().filter(uncovered),
            first_named(Clause.number, Clause.position, where=uncovered),
        )
        .join(Clause, Clause.standard_id == Program.standard_id)
        .outerjoin(
            covered, (covered.c.program_id == Program.id) & (covered.c.clause_id == Clause.id)
        )
        .where(among_asked(Program.id), Clause.documented_information)
        .group_by(Program.id)
    )


def _covered_items() -> Subquery:
    """The (program, mandatory item) pairs of the asked programs an approved, in-date document
    covers, judged once per link on the tenant's calendar (its organization joined, not
    looked up per row); a per-row EXISTS let the planner judge the links of every readable
    tenant."""
    return (
        select(DocumentRequirement.program_id, DocumentRequirement.clause_id)
        .join(ControlledDocument, ControlledDocument.id == DocumentRequirement.document_id)
        .join(Organization, Organization.id == DocumentRequirement.tenant_id)
        .where(
            among_asked(DocumentRequirement.program_id),
            covers_sql(zoned_date_sql(func.now(), Organization.timezone), Organization.timezone),
        )
        .distinct()
        .subquery("covered")
    )


def _verdict(items: int, missing: int, named: Sequence[str]) -> Verdict:
    if items == 0:
        return Verdict(True, "The standard asks for no documented information.")
    if missing == 0:
        return Verdict(
            True, f"All {items} mandatory items are covered by an approved, in-date document."
        )
    subject = "1 mandatory item is" if missing == 1 else f"{missing} mandatory items are"
    return Verdict(
        False,
        f"{subject} not covered by an approved, in-date document: {listed(missing, named)}.",
    )


@criterion(
    StepKey.IMPLEMENTATION,
    "operation-period-elapsed",
    "The system has run on its completed documentation for the organization's chosen period.",
)
async def operation_period_elapsed(db: TenantSession, programs: Programs) -> Verdicts:
    """Records need time to accumulate: the period (an organization setting, 90 days unless
    changed) counts from the day, in the organization's calendar, the documentation step was
    completed."""
    rows = await db.execute(_operation_statement(), asked(programs))
    found: dict[uuid.UUID, Verdict] = {row[0]: _operation(*row[1:]) for row in rows}
    return {program.id: found[program.id] for program in programs}


@functools.cache
def _operation_statement() -> Select[uuid.UUID, datetime | None, int, str, date]:
    """Per program: when documentation was completed, the period and the tenant's today.
    Built once, the asked programs bound at execution."""
    tenant = aliased(Organization)  # today_sql reads Organization in a subquery of its own
    return (
        select(
            Program.id,
            ProgramStep.completed_at,
            tenant.operation_period_days,
            tenant.timezone,
            today_sql(Program.tenant_id),
        )
        .join(tenant, tenant.id == Program.tenant_id)
        .outerjoin(
            ProgramStep,
            (ProgramStep.program_id == Program.id)
            & (ProgramStep.key == StepKey.DOCUMENTATION.value)
            & (ProgramStep.status == StepStatus.COMPLETED.value),
        )
        .where(among_asked(Program.id))
    )


def _operation(completed_at: datetime | None, period: int, timezone: str, today: date) -> Verdict:
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
