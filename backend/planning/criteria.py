"""Exit criteria that planning judges: the plan covers every gap and aims at something
measurable (planning step), and every action of it is finished (implementation step).

Each criterion is one SQL statement, whatever the size of the program.
"""

from __future__ import annotations

from sqlalchemy import String, exists, func, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from backend.assessments.models import Assessment, Conformity
from backend.catalog.models import Clause
from backend.db.session import TenantSession
from backend.findings.models import CorrectiveAction
from backend.planning.models import (
    FINISHED_ACTION_STATUSES,
    Action,
    ActionRequirement,
    ActionStatus,
    Objective,
    ObjectiveStatus,
)
from backend.programs.criteria import Verdict, criterion
from backend.programs.models import Program, StepKey

GAP_STATUSES = (Conformity.PARTIAL.value, Conformity.NONCONFORMANT.value)
NAMED_GAPS = 5  # how many uncovered requirements a reason names
NAMED_ACTIONS = 5  # how many unfinished actions a reason names


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@criterion(
    StepKey.PLANNING,
    "every-gap-has-an-action",
    "Every partial or nonconformant requirement has an action with an owner and a due date.",
)
async def every_gap_has_an_action(db: TenantSession, program: Program) -> Verdict:
    covered = exists().where(
        ActionRequirement.clause_id == Assessment.clause_id,
        Action.id == ActionRequirement.action_id,
        Action.program_id == program.id,
        Action.status != ActionStatus.CANCELLED.value,
        Action.owner_id.is_not(None),
        Action.due_date.is_not(None),
    )
    uncovered = ~covered
    numbers = func.array_agg(aggregate_order_by(Clause.number, Clause.position)).filter(uncovered)
    row = (
        await db.execute(
            select(
                func.count(),
                func.count().filter(uncovered),
                type_coerce(numbers, ARRAY(String))[1:NAMED_GAPS],
            )
            .select_from(Assessment)
            .join(Clause, Clause.id == Assessment.clause_id)
            .where(
                Assessment.program_id == program.id,
                Assessment.status.in_(GAP_STATUSES),
                Clause.assessable,
            )
        )
    ).one()
    gaps, missing, named = int(row[0]), int(row[1]), list(row[2] or [])
    return _gap_verdict(gaps, missing, named)


def _gap_verdict(gaps: int, missing: int, named: list[str]) -> Verdict:
    if gaps == 0:
        return Verdict(True, "No partial or nonconformant requirements are recorded.")
    if missing == 0:
        return Verdict(
            True, f"Each of the {_plural(gaps, 'gap', 'gaps')} has an owned, dated action."
        )
    more = f" and {missing - len(named)} more" if missing > len(named) else ""
    return Verdict(
        False,
        f"{_plural(missing, 'gap lacks', 'gaps lack')} an action with an owner and a due date:"
        f" {', '.join(named)}{more}.",
    )


@criterion(
    StepKey.PLANNING,
    "measurable-objective",
    "At least one objective names an indicator and a target.",
)
async def measurable_objective_exists(db: TenantSession, program: Program) -> Verdict:
    count = await db.scalar(
        select(func.count()).where(
            Objective.program_id == program.id,
            Objective.status != ObjectiveStatus.CANCELLED.value,
            func.trim(Objective.indicator) != "",
            func.trim(Objective.target) != "",
        )
    )
    if not count:
        return Verdict(False, "No objective has both an indicator and a target yet.")
    return Verdict(True, f"{_plural(count, 'measurable objective', 'measurable objectives')}.")


@criterion(
    StepKey.IMPLEMENTATION,
    "plan-actions-finished",
    "Every action of the plan is done or cancelled.",
)
async def plan_actions_finished(db: TenantSession, program: Program) -> Verdict:
    """The plan is the program's actions less the corrective actions of findings: those answer
    the internal audit, and its own criteria judge them."""
    rows = (
        await db.execute(
            select(Action.title, func.count().over())
            .where(
                Action.program_id == program.id,
                Action.status.not_in(FINISHED_ACTION_STATUSES),
                ~exists().where(CorrectiveAction.action_id == Action.id),
            )
            .order_by(Action.due_date.asc().nulls_last(), Action.created_at, Action.id)
            .limit(NAMED_ACTIONS)
        )
    ).all()
    if not rows:
        return Verdict(True, "Every action of the plan is done or cancelled.")
    count = int(rows[0][1])
    named = ", ".join(f'"{title}"' for title, _ in rows)
    more = f" and {count - len(rows)} more" if count > len(rows) else ""
    subject = _plural(count, "action of the plan is", "actions of the plan are")
    return Verdict(False, f"{subject} not done yet: {named}{more}.")
