"""Exit criteria of the gap analysis step, judged from the program's assessments.

Importing this module registers them with `programs.criteria`.
"""

from __future__ import annotations

from sqlalchemy import func, select

from backend.assessments.models import Assessment, Conformity
from backend.catalog.models import Clause
from backend.db.session import TenantSession
from backend.programs.criteria import Verdict, criterion
from backend.programs.models import Program, StepKey

NAMED = 5  # how many unassessed requirements a reason names


@criterion(
    StepKey.GAP_ANALYSIS,
    "all-assessed",
    "Every applicable requirement is assessed (not applicable is a judgement too).",
)
async def every_requirement_assessed(db: TenantSession, program: Program) -> Verdict:
    """Met when no requirement of the program is still not assessed; one statement."""
    remaining = func.count().over().label("remaining")
    rows = (
        await db.execute(
            select(Clause.number, remaining)
            .join(Assessment, Assessment.clause_id == Clause.id)
            .where(
                Assessment.program_id == program.id,
                Assessment.status == Conformity.NOT_ASSESSED.value,
                Clause.assessable,
            )
            .order_by(Clause.position)
            .limit(NAMED)
        )
    ).all()
    if not rows:
        return Verdict(True, "Every requirement has been assessed.")
    return Verdict(False, _reason(rows[0].remaining, [row.number for row in rows]))


def _reason(remaining: int, numbers: list[str]) -> str:
    """'3 requirements are not assessed yet: 4.1, 4.2, 5.3.' with at most NAMED numbers."""
    listed = ", ".join(numbers)
    if remaining > len(numbers):
        listed += f" and {remaining - len(numbers)} more"
    if remaining == 1:
        return f"1 requirement is not assessed yet: {listed}."
    return f"{remaining} requirements are not assessed yet: {listed}."
