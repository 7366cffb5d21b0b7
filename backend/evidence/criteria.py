"""Exit criterion of the implementation step that evidence judges: the system produces records.

A requirement that asks for documented information shows it runs when fresh evidence (current
or expiring soon, never stale or missing) is linked to it in the program. Requirements the
gap analysis judged not applicable ask for nothing. One SQL statement, whatever the size of
the program.
"""

from __future__ import annotations

from sqlalchemy import String, exists, func, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from backend.assessments.models import Assessment, Conformity
from backend.catalog.models import Clause
from backend.core.calendar import today_sql
from backend.db.session import TenantSession
from backend.evidence.freshness import Freshness, freshness_sql, last_confirmed_sql
from backend.evidence.models import EvidenceItem, EvidenceLink
from backend.programs.criteria import Verdict, criterion
from backend.programs.models import Program, StepKey

NAMED = 5  # how many requirements without fresh evidence a reason names
FRESH = (Freshness.CURRENT.value, Freshness.EXPIRING_SOON.value)


@criterion(
    StepKey.IMPLEMENTATION,
    "records-produced",
    "Every requirement that asks for documented information has fresh evidence.",
)
async def records_produced(db: TenantSession, program: Program) -> Verdict:
    fresh = exists().where(
        EvidenceLink.program_id == program.id,
        EvidenceLink.clause_id == Clause.id,
        EvidenceItem.id == EvidenceLink.evidence_id,
        EvidenceItem.deleted_at.is_(None),
        freshness_sql(
            EvidenceItem.valid_until,
            EvidenceItem.review_interval_days,
            last_confirmed_sql(),
            today_sql(program.tenant_id),
        ).in_(FRESH),
    )
    missing = ~fresh
    numbers = func.array_agg(aggregate_order_by(Clause.number, Clause.position)).filter(missing)
    row = (
        await db.execute(
            select(
                func.count(),
                func.count().filter(missing),
                type_coerce(numbers, ARRAY(String))[1:NAMED],
            )
            .select_from(Clause)
            .join(Assessment, Assessment.clause_id == Clause.id)
            .where(
                Assessment.program_id == program.id,
                Assessment.status != Conformity.NOT_APPLICABLE.value,
                Clause.assessable,
                Clause.documented_information,
            )
        )
    ).one()
    return _verdict(int(row[0]), int(row[1]), list(row[2] or []))


def _verdict(asking: int, missing: int, named: list[str]) -> Verdict:
    if asking == 0:
        return Verdict(True, "No applicable requirement asks for documented information.")
    if missing == 0:
        subject = (
            "The one requirement that asks"
            if asking == 1
            else f"Each of the {asking} requirements that ask"
        )
        return Verdict(True, f"{subject} for records has fresh evidence.")
    more = f" and {missing - len(named)} more" if missing > len(named) else ""
    subject = "1 requirement has" if missing == 1 else f"{missing} requirements have"
    return Verdict(
        False,
        f"{subject} no fresh evidence (current or expiring soon) yet: {', '.join(named)}{more}.",
    )
