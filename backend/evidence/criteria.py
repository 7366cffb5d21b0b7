"""Exit criterion of the implementation step that evidence judges: the system produces records.

A requirement that asks for documented information shows it runs when fresh evidence (current
or expiring soon, never stale or missing) is linked to it in the program. Requirements the
gap analysis judged not applicable ask for nothing. One SQL statement for any number of
programs, whatever their size.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, Subquery, func, select, true

from backend.assessments.models import Assessment, Conformity
from backend.catalog.models import Clause
from backend.core.calendar import zoned_date_sql
from backend.db.session import TenantSession
from backend.evidence.freshness import Freshness, freshness_sql, last_confirmed_lateral
from backend.evidence.models import EvidenceItem, EvidenceLink
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
from backend.programs.models import StepKey
from tenants.models import Organization

FRESH = (Freshness.CURRENT.value, Freshness.EXPIRING_SOON.value)


@criterion(
    StepKey.IMPLEMENTATION,
    "records-produced",
    "Every requirement that asks for documented information has fresh evidence.",
)
async def records_produced(db: TenantSession, programs: Programs) -> Verdicts:
    rows = await db.execute(_records_statement(), asked(programs))
    found = {row[0]: (int(row[1]), int(row[2]), list(row[3] or [])) for row in rows}
    return {program.id: _verdict(*found.get(program.id, (0, 0, []))) for program in programs}


@functools.cache
def _records_statement() -> Select[uuid.UUID, int, int, list[str]]:
    """Per program: requirements asking for records, those without fresh evidence, and the
    first named. Built once, the asked programs bound at execution."""
    fresh = _fresh_links()
    missing = fresh.c.program_id.is_(None)
    return (
        select(
            Assessment.program_id,
            func.count(),
            func.count().filter(missing),
            first_named(Clause.number, Clause.position, where=missing),
        )
        .select_from(Clause)
        .join(Assessment, Assessment.clause_id == Clause.id)
        .outerjoin(
            fresh,
            (fresh.c.program_id == Assessment.program_id) & (fresh.c.clause_id == Clause.id),
        )
        .where(
            among_asked(Assessment.program_id),
            Assessment.status != Conformity.NOT_APPLICABLE.value,
            Clause.assessable,
            Clause.documented_information,
        )
        .group_by(Assessment.program_id)
    )


def _fresh_links() -> Subquery:
    """The (program, requirement) pairs of the asked programs that fresh evidence backs.

    Judged once per link, in the link's own tenant (joined, not looked up per row), with the
    item's last confirmation read once: a per-row EXISTS let the planner judge every link of
    every readable tenant, which grew with a consultant's clients.
    """
    last = last_confirmed_lateral()
    today = zoned_date_sql(func.now(), Organization.timezone)
    return (
        select(EvidenceLink.program_id, EvidenceLink.clause_id)
        .join(EvidenceItem, EvidenceItem.id == EvidenceLink.evidence_id)
        .join(Organization, Organization.id == EvidenceLink.tenant_id)
        .join(last, true())
        .where(
            among_asked(EvidenceLink.program_id),
            EvidenceItem.deleted_at.is_(None),
            freshness_sql(
                EvidenceItem.valid_until,
                EvidenceItem.review_interval_days,
                last.c.confirmed,
                today,
                Organization.timezone,
            ).in_(FRESH),
        )
        .distinct()
        .subquery("fresh")
    )


def _verdict(asking: int, missing: int, named: Sequence[str]) -> Verdict:
    if asking == 0:
        return Verdict(True, "No applicable requirement asks for documented information.")
    if missing == 0:
        subject = (
            "The one requirement that asks"
            if asking == 1
            else f"Each of the {asking} requirements that ask"
        )
        return Verdict(True, f"{subject} for records has fresh evidence.")
    subject = "1 requirement has" if missing == 1 else f"{missing} requirements have"
    return Verdict(
        False,
        f"{subject} no fresh evidence (current or expiring soon) yet: {listed(missing, named)}.",
    )
