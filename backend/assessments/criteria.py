"""Exit criteria of the gap analysis step, judged from the program's assessments.

Importing this module registers them with `programs.criteria`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, select

from backend.assessments.models import Assessment, Conformity
from backend.catalog.models import Clause
from backend.db.session import TenantSession
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


@criterion(
    StepKey.GAP_ANALYSIS,
    "all-assessed",
    "Every applicable requirement is assessed (not applicable is a judgement too).",
)
async def every_requirement_assessed(db: TenantSession, programs: Programs) -> Verdicts:
    """Met when no requirement of the program is still not assessed."""
    rows = await db.execute(_not_assessed(), asked(programs))
    remaining = {program_id: (count, named) for program_id, count, named in rows}
    return {program.id: _verdict(*remaining.get(program.id, (0, []))) for program in programs}


@functools.cache
def _not_assessed() -> Select[uuid.UUID, int, list[str]]:
    """Per asked program, its assessable requirements not yet assessed: built once, as a
    dashboard asks it on every load."""
    return (
        select(Assessment.program_id, func.count(), first_named(Clause.number, Clause.position))
        .join(Clause, Clause.id == Assessment.clause_id)
        .where(
            among_asked(Assessment.program_id),
            Assessment.status == Conformity.NOT_ASSESSED.value,
            Clause.assessable,
        )
        .group_by(Assessment.program_id)
    )


def _verdict(remaining: int, numbers: Sequence[str]) -> Verdict:
    """'3 requirements are not assessed yet: 4.1, 4.2, 5.3.' with at most NAMED numbers."""
    if remaining == 0:
        return Verdict(True, "Every requirement has been assessed.")
    if remaining == 1:
        return Verdict(False, f"1 requirement is not assessed yet: {listed(1, numbers)}.")
    return Verdict(
        False, f"{remaining} requirements are not assessed yet: {listed(remaining, numbers)}."
    )
