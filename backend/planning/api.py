"""GraphQL types, queries and mutations for objectives, actions and milestones."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar

import strawberry
from strawberry import relay

from backend.api import slices
from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.errors import UserError
from backend.api.inputs import clearable, clearable_id, given
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode
from backend.api.pagination import Connection, paginate
from backend.api.tenants import User
from backend.catalog.api import Requirement
from backend.core.calendar import is_overdue
from backend.core.changes import KEEP
from backend.planning import models, service
from backend.planning.models import ActionStatus as ActionStatusValue
from backend.planning.models import Benefit as BenefitValue
from backend.planning.models import ObjectiveStatus as ObjectiveStatusValue
from backend.programs.api import REQUIREMENTS, program_of, requirement_ref
from backend.programs.service import MAX_LINKED_REQUIREMENTS

Benefit = strawberry.enum(
    BenefitValue, name="Benefit", description="Why an objective exists: the benefit it pursues."
)
ObjectiveStatus = strawberry.enum(ObjectiveStatusValue, name="ObjectiveStatus")
ActionStatus = strawberry.enum(ActionStatusValue, name="ActionStatus")


async def _owner(info: Info, user_id: uuid.UUID | None) -> User | None:
    user = await info.context.loaders.user.load(user_id) if user_id else None
    return User.from_model(user) if user else None


@strawberry.type(description="A measurable objective of a program, and the benefit it pursues.")
class Objective(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.objectives_by_id
    id: relay.NodeID[str]
    statement: str
    indicator: str = strawberry.field(description="What is measured.")
    target: str = strawberry.field(description="The value that counts as achieved.")
    benefit: Benefit  # type: ignore[valid-type]
    status: ObjectiveStatus  # type: ignore[valid-type]
    due_date: date | None
    is_measurable: bool = strawberry.field(description="It names an indicator and a target.")
    created_at: datetime
    updated_at: datetime
    owner_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, objective: models.Objective) -> Objective:
        return cls(
            id=str(objective.id),
            statement=objective.statement,
            indicator=objective.indicator,
            target=objective.target,
            benefit=BenefitValue(objective.benefit),
            status=ObjectiveStatusValue(objective.status),
            due_date=objective.due_date,
            is_measurable=service.is_measurable(objective),
            created_at=objective.created_at,
            updated_at=objective.updated_at,
            owner_id=objective.owner_id,
        )

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await _owner(info, self.owner_id)


@strawberry.type(
    description="Work that closes gaps: the requirements it addresses, owner, due date."
)
class Action(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.actions_by_id
    id: relay.NodeID[str]
    title: str
    description: str
    status: ActionStatus  # type: ignore[valid-type]
    due_date: date | None
    effort_hours: float | None = strawberry.field(description="Estimated effort in hours.")
    completed_at: datetime | None = strawberry.field(description="When it was marked done.")
    created_at: datetime
    updated_at: datetime
    tenant_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID | None]
    objective_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, action: models.Action) -> Action:
        return cls(
            id=str(action.id),
            title=action.title,
            description=action.description,
            status=ActionStatusValue(action.status),
            due_date=action.due_date,
            effort_hours=float(action.effort_hours) if action.effort_hours is not None else None,
            completed_at=action.completed_at,
            created_at=action.created_at,
            updated_at=action.updated_at,
            tenant_id=action.tenant_id,
            owner_id=action.owner_id,
            objective_id=action.objective_id,
        )

    @strawberry.field(
        description="The requirements (and so the gaps) it addresses.",
        metadata=at_most(MAX_LINKED_REQUIREMENTS),
    )
    async def requirements(self, info: Info) -> list[Requirement]:
        loader = info.context.loaders.of(service.requirements_of_actions)
        return [Requirement.from_model(clause) for clause in await loader.load(uuid.UUID(self.id))]

    @strawberry.field(
        description="Past its due date (in the organization's time zone) and neither done"
        " nor cancelled."
    )
    async def is_overdue(self, info: Info) -> bool:
        finished = self.status in models.FINISHED_ACTION_STATUSES
        return is_overdue(
            self.due_date, finished, (await info.context.loaders.tenant_day(self.tenant_id)).today
        )

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await _owner(info, self.owner_id)

    @strawberry.field(description="The objective it contributes to.")
    async def objective(self, info: Info) -> Objective | None:
        if self.objective_id is None:
            return None
        row = await info.context.loaders.of(service.objectives_by_id).load(self.objective_id)
        return Objective.from_model(row) if row else None


@strawberry.type(description="A date on the program's timeline.")
class Milestone(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.milestones_by_id
    id: relay.NodeID[str]
    title: str
    due_date: date
    reached_at: datetime | None
    tenant_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, milestone: models.Milestone) -> Milestone:
        return cls(
            id=str(milestone.id),
            title=milestone.title,
            due_date=milestone.due_date,
            reached_at=milestone.reached_at,
            tenant_id=milestone.tenant_id,
        )

    @strawberry.field
    def is_reached(self) -> bool:
        return self.reached_at is not None

    @strawberry.field(description="Past its due date (in the organization's time zone), unreached.")
    async def is_overdue(self, info: Info) -> bool:
        reached = self.reached_at is not None
        return is_overdue(
            self.due_date, reached, (await info.context.loaders.tenant_day(self.tenant_id)).today
        )


# --- queries -------------------------------------------------------------------------------


@strawberry.type
class PlanningQuery:
    @strawberry.field(description="A program's objectives, oldest first.")
    async def objectives(
        self,
        info: Info,
        program_id: relay.GlobalID,
        status: ObjectiveStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Objective]:
        program = await program_of(info, program_id)
        statement = service.objectives_statement(program, status)
        keys = (models.Objective.created_at, models.Objective.id)
        page = await paginate(info.context.db, statement, keys, first, after)
        return Connection[Objective].from_page(page, Objective.from_model)

    @strawberry.field(description="A program's actions, oldest first.")
    async def actions(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID,
        status: ActionStatus | None = None,  # type: ignore[valid-type]
        overdue: bool | None = None,
        owner: relay.GlobalID | None = None,
        requirement: Annotated[
            str | None,
            strawberry.argument(
                description='Only actions addressing this requirement: its number ("8.5.1") or id.'
            ),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Action]:
        program = await program_of(info, program_id)
        where = service.ActionFilter(
            status=status,
            overdue=overdue,
            owner_id=node_uuid(owner, "User", "owner") if owner else None,
            requirement=requirement_ref(requirement) if requirement is not None else None,
        )
        today = (await info.context.loaders.tenant_day(program.tenant_id)).today
        statement = service.actions_statement(program, where, today)
        keys = (models.Action.created_at, models.Action.id)
        page = await paginate(info.context.db, statement, keys, first, after)
        return Connection[Action].from_page(page, Action.from_model)

    @strawberry.field(description="A program's milestones in date order.")
    async def milestones(
        self,
        info: Info,
        program_id: relay.GlobalID,
        first: Annotated[int | None, strawberry.argument(description=slices.FIRST)] = None,
    ) -> list[Milestone]:
        program = await program_of(info, program_id)
        rows = (await info.context.db.scalars(service.milestones_statement(program))).all()
        return [Milestone.from_model(row) for row in slices.first(rows, first)]


# --- mutations -----------------------------------------------------------------------------

UPDATES = "Omitted fields keep their value; null clears the optional ones (due date, owner, ...)."


@strawberry.input
class CreateObjectiveInput:
    program_id: relay.GlobalID
    statement: str
    indicator: str = strawberry.field(description="What is measured.")
    target: str = strawberry.field(description="The value that counts as achieved.")
    benefit: Benefit  # type: ignore[valid-type]
    status: ObjectiveStatus | None = strawberry.UNSET  # type: ignore[valid-type]
    due_date: date | None = strawberry.UNSET
    owner_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="A member of the organization."
    )


@strawberry.input(description=UPDATES)
class UpdateObjectiveInput:
    id: relay.GlobalID
    statement: str | None = strawberry.UNSET
    indicator: str | None = strawberry.UNSET
    target: str | None = strawberry.UNSET
    benefit: Benefit | None = strawberry.UNSET  # type: ignore[valid-type]
    status: ObjectiveStatus | None = strawberry.UNSET  # type: ignore[valid-type]
    due_date: date | None = strawberry.UNSET
    owner_id: relay.GlobalID | None = strawberry.UNSET


def _objective_fields(
    input: CreateObjectiveInput | UpdateObjectiveInput,
) -> service.ObjectiveFields:
    return service.ObjectiveFields(
        statement=given(input.statement),
        indicator=given(input.indicator),
        target=given(input.target),
        benefit=given(input.benefit),
        status=given(input.status),
        due_date=clearable(input.due_date),
        owner_id=clearable_id(input.owner_id, "User", "ownerId"),
    )


@strawberry.input
class CreateActionInput:
    program_id: relay.GlobalID
    title: str
    description: str | None = strawberry.UNSET
    status: ActionStatus | None = strawberry.UNSET  # type: ignore[valid-type]
    due_date: date | None = strawberry.UNSET
    owner_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="A member of the organization."
    )
    effort_hours: float | None = strawberry.UNSET
    objective_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="An objective of the same program."
    )
    requirements: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=REQUIREMENTS
    )


@strawberry.input(description=UPDATES)
class UpdateActionInput:
    id: relay.GlobalID
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    status: ActionStatus | None = strawberry.UNSET  # type: ignore[valid-type]
    due_date: date | None = strawberry.UNSET
    owner_id: relay.GlobalID | None = strawberry.UNSET
    effort_hours: float | None = strawberry.UNSET
    objective_id: relay.GlobalID | None = strawberry.UNSET
    requirements: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=REQUIREMENTS
    )


def _action_fields(input: CreateActionInput | UpdateActionInput) -> service.ActionFields:
    effort = clearable(input.effort_hours)
    requirements = given(input.requirements)
    return service.ActionFields(
        title=given(input.title),
        description=given(input.description),
        status=given(input.status),
        due_date=clearable(input.due_date),
        owner_id=clearable_id(input.owner_id, "User", "ownerId"),
        effort_hours=Decimal(str(effort)) if isinstance(effort, float | int) else effort,
        objective_id=clearable_id(input.objective_id, "Objective", "objectiveId"),
        requirements=(
            requirements
            if requirements is KEEP
            else [requirement_ref(value) for value in requirements]
        ),
    )


@strawberry.input
class CreateMilestoneInput:
    program_id: relay.GlobalID
    title: str
    due_date: date
    reached: bool | None = strawberry.UNSET


@strawberry.input(description=UPDATES)
class UpdateMilestoneInput:
    id: relay.GlobalID
    title: str | None = strawberry.UNSET
    due_date: date | None = strawberry.UNSET
    reached: bool | None = strawberry.UNSET


def _milestone_fields(
    input: CreateMilestoneInput | UpdateMilestoneInput,
) -> service.MilestoneFields:
    return service.MilestoneFields(
        title=given(input.title), due_date=given(input.due_date), reached=given(input.reached)
    )


@strawberry.type
class ObjectivePayload:
    objective: Objective | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ActionPayload:
    action: Action | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MilestonePayload:
    milestone: Milestone | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PlanningMutation:
    @mutation(description="Set a measurable objective for a program.")
    async def create_objective(self, info: Info, input: CreateObjectiveInput) -> ObjectivePayload:
        row = await service.create_objective(
            info.context.db,
            actor_of(info),
            node_uuid(input.program_id, "Program", "programId"),
            _objective_fields(input),
        )
        return ObjectivePayload(objective=Objective.from_model(row))

    @mutation()
    async def update_objective(self, info: Info, input: UpdateObjectiveInput) -> ObjectivePayload:
        row = await service.update_objective(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "Objective", "id"),
            _objective_fields(input),
        )
        return ObjectivePayload(objective=Objective.from_model(row))

    @mutation(description="Plan an action that closes gaps of a program.")
    async def create_action(self, info: Info, input: CreateActionInput) -> ActionPayload:
        row = await service.create_action(
            info.context.db,
            actor_of(info),
            node_uuid(input.program_id, "Program", "programId"),
            _action_fields(input),
        )
        return ActionPayload(action=Action.from_model(row))

    @mutation()
    async def update_action(self, info: Info, input: UpdateActionInput) -> ActionPayload:
        row = await service.update_action(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "Action", "id"),
            _action_fields(input),
        )
        return ActionPayload(action=Action.from_model(row))

    @mutation(description="Put a milestone on a program's timeline.")
    async def create_milestone(self, info: Info, input: CreateMilestoneInput) -> MilestonePayload:
        row = await service.create_milestone(
            info.context.db,
            actor_of(info),
            node_uuid(input.program_id, "Program", "programId"),
            _milestone_fields(input),
        )
        return MilestonePayload(milestone=Milestone.from_model(row))

    @mutation()
    async def update_milestone(self, info: Info, input: UpdateMilestoneInput) -> MilestonePayload:
        row = await service.update_milestone(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "Milestone", "id"),
            _milestone_fields(input),
        )
        return MilestonePayload(milestone=Milestone.from_model(row))
