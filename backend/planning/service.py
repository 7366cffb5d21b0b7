"""Planning rules: objectives, the actions that close gaps, and milestones on the timeline.

Each change is one transaction inside one program of the acting tenant, made by a role that
may write. Programs, objectives, actions and milestones of tenants the caller cannot read are
not found, exactly like ids that never existed. Whether something is overdue is derived from
its due date and the tenant's calendar (its time zone), never stored, so it cannot go stale.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, delete, not_, select

from backend.catalog.models import Clause
from backend.core.access import Actor, require_writer
from backend.core.changes import KEEP, Change
from backend.core.errors import invalid, not_found
from backend.core.validation import TEXT_LIMIT, choice, require_given, text_field
from backend.db.batch import by_id
from backend.db.session import TenantSession
from backend.planning.models import (
    FINISHED_ACTION_STATUSES,
    Action,
    ActionRequirement,
    ActionStatus,
    Benefit,
    Milestone,
    Objective,
    ObjectiveStatus,
)
from backend.programs.models import Program
from backend.programs.service import (
    RequirementRef,
    readable_program,
    requirements_of,
    writable_program,
)
from tenants.models import Membership


@dataclass(frozen=True)
class ObjectiveFields:
    """An objective's fields; KEEP leaves the stored value, None clears an optional one."""

    statement: Change[str] = KEEP
    indicator: Change[str] = KEEP  # what is measured
    target: Change[str] = KEEP  # the value that counts as achieved
    benefit: Change[str] = KEEP
    status: Change[str] = KEEP
    due_date: Change[date | None] = KEEP
    owner_id: Change[uuid.UUID | None] = KEEP


@dataclass(frozen=True)
class ActionFields:
    title: Change[str] = KEEP
    description: Change[str] = KEEP
    status: Change[str] = KEEP
    due_date: Change[date | None] = KEEP
    owner_id: Change[uuid.UUID | None] = KEEP
    effort_hours: Change[Decimal | None] = KEEP
    objective_id: Change[uuid.UUID | None] = KEEP
    requirements: Change[Sequence[RequirementRef]] = KEEP  # replaces the whole set


@dataclass(frozen=True)
class MilestoneFields:
    title: Change[str] = KEEP
    due_date: Change[date] = KEEP
    reached: Change[bool] = KEEP


MAX_EFFORT = Decimal("999999.9")  # what the column holds: seven digits, one after the point


def _effort(hours: Decimal | None) -> Decimal | None:
    """Hours to a tenth; bounded before rounding, so rounding cannot leave the column's range."""
    if hours is None:
        return None
    if not hours.is_finite() or not Decimal(0) <= hours <= MAX_EFFORT:
        raise invalid(f"effortHours must be between 0 and {MAX_EFFORT}.", ["effortHours"])
    return hours.quantize(Decimal("0.1"))


async def _member(
    db: TenantSession, tenant_id: uuid.UUID, user_id: uuid.UUID | None
) -> uuid.UUID | None:
    """An owner is a member of the organization; anyone else reads as unknown."""
    if user_id is None:
        return None
    membership = await db.scalar(
        select(Membership.id).where(
            Membership.tenant_id == tenant_id, Membership.user_id == user_id
        )
    )
    if membership is None:
        raise invalid("The owner must be a member of the organization.", ["ownerId"])
    return user_id


# --- access -------------------------------------------------------------------------------


Row = TypeVar("Row", Objective, Action, Milestone)


async def _row_for_change(
    db: TenantSession, actor: Actor, model: type[Row], row_id: uuid.UUID
) -> tuple[Program, Row]:
    row = await db.get(model, row_id)
    if row is None:
        raise not_found(model.__name__, ["id"])
    require_writer(db, actor, row.tenant_id, model.__name__)
    return await readable_program(db, row.program_id), row


# --- objectives ---------------------------------------------------------------------------


async def create_objective(
    db: TenantSession, actor: Actor, program_id: uuid.UUID, values: ObjectiveFields
) -> Objective:
    """A measurable objective: what is measured (indicator), the value to reach (target), and
    the benefit it serves, so management sees why it exists."""
    program = await writable_program(db, actor, program_id)
    require_given(values, "statement", "indicator", "target", "benefit")
    objective = Objective(
        tenant_id=program.tenant_id, program_id=program.id, status=ObjectiveStatus.OPEN.value
    )
    await _write_objective(db, program, objective, values)
    return await _save(db, objective)


async def update_objective(
    db: TenantSession, actor: Actor, objective_id: uuid.UUID, values: ObjectiveFields
) -> Objective:
    program, objective = await _row_for_change(db, actor, Objective, objective_id)
    await _write_objective(db, program, objective, values)
    return await _save(db, objective)


async def _write_objective(
    db: TenantSession, program: Program, objective: Objective, values: ObjectiveFields
) -> None:
    if values.statement is not KEEP:
        objective.statement = text_field(values.statement, "statement", TEXT_LIMIT)
    if values.indicator is not KEEP:
        objective.indicator = text_field(values.indicator, "indicator")
    if values.target is not KEEP:
        objective.target = text_field(values.target, "target")
    if values.benefit is not KEEP:
        objective.benefit = choice(Benefit, values.benefit, "benefit").value
    if values.status is not KEEP:
        objective.status = choice(ObjectiveStatus, values.status, "status").value
    if values.due_date is not KEEP:
        objective.due_date = values.due_date
    if values.owner_id is not KEEP:
        objective.owner_id = await _member(db, program.tenant_id, values.owner_id)


def is_measurable(objective: Objective) -> bool:
    return bool(objective.indicator.strip() and objective.target.strip())


# --- actions ------------------------------------------------------------------------------


async def create_action(
    db: TenantSession, actor: Actor, program_id: uuid.UUID, values: ActionFields
) -> Action:
    """Work that closes gaps: linked to the requirements it addresses, owned, dated."""
    program = await writable_program(db, actor, program_id)
    require_given(values, "title")
    action = Action(
        tenant_id=program.tenant_id,
        program_id=program.id,
        description="",
        status=ActionStatus.OPEN.value,
    )
    await _write_action(db, program, action, values)
    db.add(action)
    await _relink(db, program, action, values.requirements)
    return await _save(db, action)


async def update_action(
    db: TenantSession, actor: Actor, action_id: uuid.UUID, values: ActionFields
) -> Action:
    program, action = await _row_for_change(db, actor, Action, action_id)
    await _write_action(db, program, action, values)
    await _relink(db, program, action, values.requirements)
    return await _save(db, action)


async def _write_action(
    db: TenantSession, program: Program, action: Action, values: ActionFields
) -> None:
    if values.title is not KEEP:
        action.title = text_field(values.title, "title")
    if values.description is not KEEP:
        action.description = text_field(values.description, "description", TEXT_LIMIT, blank=True)
    if values.status is not KEEP:
        _set_status(action, choice(ActionStatus, values.status, "status"))
    if values.due_date is not KEEP:
        action.due_date = values.due_date
    if values.effort_hours is not KEEP:
        action.effort_hours = _effort(values.effort_hours)
    if values.owner_id is not KEEP:
        action.owner_id = await _member(db, program.tenant_id, values.owner_id)
    if values.objective_id is not KEEP:
        action.objective_id = await _objective_of(db, program, values.objective_id)


def _set_status(action: Action, status: ActionStatus) -> None:
    """`completed_at` records when the action was done, and only while it is done."""
    if status is ActionStatus.DONE and action.status != ActionStatus.DONE.value:
        action.completed_at = datetime.now(UTC)
    elif status is not ActionStatus.DONE:
        action.completed_at = None
    action.status = status.value


async def _objective_of(
    db: TenantSession, program: Program, objective_id: uuid.UUID | None
) -> uuid.UUID | None:
    if objective_id is None:
        return None
    objective = await db.get(Objective, objective_id)
    if objective is None:
        raise not_found("Objective", ["objectiveId"])
    if objective.program_id != program.id:
        raise invalid("The objective belongs to another program.", ["objectiveId"])
    return objective_id


async def _relink(
    db: TenantSession, program: Program, action: Action, refs: Change[Sequence[RequirementRef]]
) -> None:
    """Make the action's requirement links exactly the ones `refs` names (the action is in the
    session, so it is stored before its links)."""
    if refs is KEEP:
        return
    wanted = {clause.id for clause in await requirements_of(db, program, refs)}
    await db.flush()
    linked = set(
        (
            await db.scalars(
                select(ActionRequirement.clause_id).where(ActionRequirement.action_id == action.id)
            )
        ).all()
    )
    if linked - wanted:
        await db.execute(
            delete(ActionRequirement).where(
                ActionRequirement.action_id == action.id,
                ActionRequirement.clause_id.in_(linked - wanted),
            )
        )
    db.add_all(
        ActionRequirement(tenant_id=action.tenant_id, action_id=action.id, clause_id=clause_id)
        for clause_id in wanted - linked
    )


# --- milestones ---------------------------------------------------------------------------


async def create_milestone(
    db: TenantSession, actor: Actor, program_id: uuid.UUID, values: MilestoneFields
) -> Milestone:
    program = await writable_program(db, actor, program_id)
    require_given(values, "title", "due_date")
    milestone = Milestone(tenant_id=program.tenant_id, program_id=program.id)
    _write_milestone(milestone, values)
    return await _save(db, milestone)


async def update_milestone(
    db: TenantSession, actor: Actor, milestone_id: uuid.UUID, values: MilestoneFields
) -> Milestone:
    _, milestone = await _row_for_change(db, actor, Milestone, milestone_id)
    _write_milestone(milestone, values)
    return await _save(db, milestone)


def _write_milestone(milestone: Milestone, values: MilestoneFields) -> None:
    if values.title is not KEEP:
        milestone.title = text_field(values.title, "title")
    if values.due_date is not KEEP:
        milestone.due_date = values.due_date
    if values.reached is not KEEP and values.reached != (milestone.reached_at is not None):
        milestone.reached_at = datetime.now(UTC) if values.reached else None


# --- persistence --------------------------------------------------------------------------


async def _save(db: TenantSession, row: Row) -> Row:
    db.add(row)
    await db.commit()
    await db.refresh(row)
    return row


# --- reads --------------------------------------------------------------------------------


def objectives_statement(program: Program, status: str | None = None) -> Select[Objective]:
    statement = select(Objective).where(Objective.program_id == program.id)
    if status is not None:
        statement = statement.where(Objective.status == status)
    return statement


@dataclass(frozen=True)
class ActionFilter:
    status: str | None = None
    overdue: bool | None = None
    owner_id: uuid.UUID | None = None
    requirement: RequirementRef | None = None


def actions_statement(program: Program, where: ActionFilter, today: date) -> Select[Action]:
    statement = select(Action).where(Action.program_id == program.id)
    if where.status is not None:
        statement = statement.where(Action.status == where.status)
    if where.overdue is not None:
        overdue = _overdue(today)
        statement = statement.where(overdue if where.overdue else not_(overdue))
    if where.owner_id is not None:
        statement = statement.where(Action.owner_id == where.owner_id)
    if where.requirement is not None:
        statement = statement.where(Action.id.in_(_actions_linked_to(program, where.requirement)))
    return statement


def _overdue(today: date) -> ColumnElement[bool]:
    """The SQL twin of `is_overdue` for actions."""
    return (
        Action.due_date.is_not(None)
        & (Action.due_date < today)
        & Action.status.not_in(FINISHED_ACTION_STATUSES)
    )


def _actions_linked_to(program: Program, requirement: RequirementRef) -> Select[uuid.UUID]:
    linked = select(ActionRequirement.action_id).join(
        Clause, Clause.id == ActionRequirement.clause_id
    )
    if isinstance(requirement, uuid.UUID):
        return linked.where(Clause.id == requirement)
    return linked.where(
        Clause.standard_id == program.standard_id, Clause.number == requirement.strip()
    )


def milestones_statement(program: Program) -> Select[Milestone]:
    return (
        select(Milestone)
        .where(Milestone.program_id == program.id)
        .order_by(Milestone.due_date, Milestone.id)
    )


# --- batch loads (one statement per batch, for the request's DataLoaders) -----------------


objectives_by_id = by_id(Objective)
actions_by_id = by_id(Action)
milestones_by_id = by_id(Milestone)


async def requirements_of_actions(
    db: TenantSession, action_ids: Sequence[uuid.UUID]
) -> list[list[Clause]]:
    """Each action's linked requirements, in the standard's order."""
    rows = await db.execute(
        select(ActionRequirement.action_id, Clause)
        .join(Clause, Clause.id == ActionRequirement.clause_id)
        .where(ActionRequirement.action_id.in_(action_ids))
        .order_by(Clause.position)
    )
    by_action: dict[uuid.UUID, list[Clause]] = defaultdict(list)
    for action_id, clause in rows:
        by_action[action_id].append(clause)
    return [by_action[i] for i in action_ids]
