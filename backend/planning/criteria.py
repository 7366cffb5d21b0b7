"""Exit criteria that planning judges: the plan covers every gap and aims at something
measurable (planning step), and every action of it is finished (implementation step).

Each criterion is one SQL statement for any number of programs, whatever their size.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, exists, func, select

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

GAP_STATUSES = (Conformity.PARTIAL.value, Conformity.NONCONFORMANT.value)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@criterion(
    StepKey.PLANNING,
    "every-gap-has-an-action",
    "Every partial or nonconformant requirement has an action with an owner and a due date.",
)
async def every_gap_has_an_action(db: TenantSession, programs: Programs) -> Verdicts:
    rows = await db.execute(_gaps(), asked(programs))
    found = {row[0]: (int(row[1]), int(row[2]), list(row[3] or [])) for row in rows}
    return {program.id: _gap_verdict(*found.get(program.id, (0, 0, []))) for program in programs}


@functools.cache
def _gaps() -> Select[uuid.UUID, int, int, list[str]]:
    """Per asked program, its gaps and those no owned, dated action covers (named): built
    once, as a dashboard asks it on every load."""
    covered = exists().where(
        ActionRequirement.clause_id == Assessment.clause_id,
        Action.id == ActionRequirement.action_id,
        Action.program_id == Assessment.program_id,
        Action.status != ActionStatus.CANCELLED.value,
        Action.owner_id.is_not(None),
        Action.due_date.is_not(None),
    )
    uncovered = ~covered
    return (
        select(
            Assessment.program_id,
            func.count(),
            func.count().filter(uncovered),
            first_named(Clause.number, Clause.position, where=uncovered),
        )
        .join(Clause, Clause.id == Assessment.clause_id)
        .where(
            among_asked(Assessment.program_id),
            Assessment.status.in_(GAP_STATUSES),
            Clause.assessable,
        )
        .group_by(Assessment.program_id)
    )


def _gap_verdict(gaps: int, missing: int, named: Sequence[str]) -> Verdict:
    if gaps == 0:
        return Verdict(True, "No partial or nonconformant requirements are recorded.")
    if missing == 0:
        return Verdict(
            True, f"Each of the {_plural(gaps, 'gap', 'gaps')} has an owned, dated action."
        )
    return Verdict(
        False,
        f"{_plural(missing, 'gap lacks', 'gaps lack')} an action with an owner and a due date:"
        f" {listed(missing, named)}.",
    )


@criterion(
    StepKey.PLANNING,
    "measurable-objective",
    "At least one objective names an indicator and a target.",
)
async def measurable_objective_exists(db: TenantSession, programs: Programs) -> Verdicts:
    rows = await db.execute(_measurable(), asked(programs))
    counts = {program_id: int(count) for program_id, count in rows}
    return {program.id: _objective_verdict(counts.get(program.id, 0)) for program in programs}


@functools.cache
def _measurable() -> Select[uuid.UUID, int]:
    """Per asked program, its live objectives with an indicator and a target: built once, as
    a dashboard asks it on every load."""
    return (
        select(Objective.program_id, func.count())
        .where(
            among_asked(Objective.program_id),
            Objective.status != ObjectiveStatus.CANCELLED.value,
            func.trim(Objective.indicator) != "",
            func.trim(Objective.target) != "",
        )
        .group_by(Objective.program_id)
    )


def _objective_verdict(count: int) -> Verdict:
    if not count:
        return Verdict(False, "No objective has both an indicator and a target yet.")
    return Verdict(True, f"{_plural(count, 'measurable objective', 'measurable objectives')}.")


@criterion(
    StepKey.IMPLEMENTATION,
    "plan-actions-finished",
    "Every action of the plan is done or cancelled.",
)
async def plan_actions_finished(db: TenantSession, programs: Programs) -> Verdicts:
    """The plan is the program's actions less the corrective actions of findings: those answer
    the internal audit, and its own criteria judge them."""
    rows = await db.execute(_unfinished(), asked(programs))
    found = {program_id: (int(count), named) for program_id, count, named in rows}
    return {program.id: _plan_verdict(*found.get(program.id, (0, []))) for program in programs}


@functools.cache
def _unfinished() -> Select[uuid.UUID, int, list[str]]:
    """Per asked program, its plan's actions not yet finished (named, soonest due first):
    built once, as a dashboard asks it on every load."""
    title = '"' + Action.title + '"'
    order = (Action.due_date.asc().nulls_last(), Action.created_at, Action.id)
    return (
        select(Action.program_id, func.count(), first_named(title, *order))
        .where(
            among_asked(Action.program_id),
            Action.status.not_in(FINISHED_ACTION_STATUSES),
            ~exists().where(CorrectiveAction.action_id == Action.id),
        )
        .group_by(Action.program_id)
    )


def _plan_verdict(count: int, named: Sequence[str]) -> Verdict:
    if count == 0:
        return Verdict(True, "Every action of the plan is done or cancelled.")
    subject = _plural(count, "action of the plan is", "actions of the plan are")
    return Verdict(False, f"{subject} not done yet: {listed(count, named)}.")
