"""GraphQL types, queries and mutations for certification programs and their seven steps."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any, ClassVar, TypeVar

import strawberry
from sqlalchemy import Row
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError
from strawberry.types.unset import UNSET

from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.eager import asks_for
from backend.api.errors import UserError
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode
from backend.api.pagination import Connection, paginate
from backend.api.tenants import Organization, User
from backend.catalog import service as catalog_service
from backend.catalog.api import Standard
from backend.core.changes import KEEP, Change
from backend.programs import models, service
from backend.programs.criteria import MAX_CRITERIA, CriterionResult, evaluate, evaluate_programs
from backend.programs.models import ProgramStatus as ProgramStatusValue
from backend.programs.models import StepKey as StepKeyValue
from backend.programs.models import StepStatus as StepStatusValue
from backend.programs.steps import BY_KEY, STEPS

ProgramStatus = strawberry.enum(
    ProgramStatusValue, name="ProgramStatus", description="Where a program stands in its lifecycle."
)
StepKey = strawberry.enum(StepKeyValue, name="StepKey", description="The seven steps, in order.")
StepStatus = strawberry.enum(StepStatusValue, name="StepStatus")

Value = TypeVar("Value")
Converted = TypeVar("Converted")


@strawberry.type(description="An action the implementation guide suggests for a step.")
class ChecklistItem:
    key: str
    text: str
    done: bool


@strawberry.type(description="A condition, judged from data, that a step needs before completion.")
class ExitCriterion:
    key: str
    description: str
    met: bool
    reason: str = strawberry.field(
        description="Why it is met or not, in words a person can act on."
    )

    @classmethod
    def from_result(cls, result: CriterionResult) -> ExitCriterion:
        return cls(
            key=result.key, description=result.description, met=result.met, reason=result.reason
        )


@strawberry.type(description="One of the seven implementation steps of a program.")
class ProgramStep(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.steps_by_id
    id: relay.NodeID[str]
    number: int
    key: StepKey  # type: ignore[valid-type]
    title: str
    objective: str
    status: StepStatus  # type: ignore[valid-type]
    due_date: date | None
    started_at: datetime | None
    completed_at: datetime | None
    notes: str
    ticked: strawberry.Private[dict[str, bool]]
    program_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID | None]
    # Known when `Program.steps` built the node (see backend/api/eager.py).
    known_criteria: strawberry.Private[list[CriterionResult] | None] = None

    @classmethod
    def from_model(cls, step: models.ProgramStep | Row[Any]) -> ProgramStep:
        """From the entity, or from a row of its fields (`fields_of`) a program's steps are."""
        definition = BY_KEY[StepKeyValue(step.key)]
        return cls(
            id=str(step.id),
            number=step.number,
            key=definition.key,
            title=definition.title,
            objective=definition.objective,
            status=StepStatusValue(step.status),
            due_date=step.due_date,
            started_at=step.started_at,
            completed_at=step.completed_at,
            notes=step.notes,
            ticked=dict(step.checklist),
            program_id=step.program_id,
            owner_id=step.owner_id,
        )

    @strawberry.field(metadata=at_most(max(len(step.checklist) for step in STEPS)))
    def checklist(self) -> list[ChecklistItem]:
        # Made when asked: a consultant's list of fifty programs shows no checklist, and
        # building 350 steps' items ahead cost a tenth of its answer.
        return [
            ChecklistItem(key=item.key, text=item.text, done=self.ticked.get(item.key, False))
            for item in BY_KEY[self.key].checklist
        ]

    @strawberry.field
    async def program(self, info: Info) -> Program:
        row = await info.context.loaders.of(service.programs_by_id).load(self.program_id)
        return Program.from_model(row)

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await User.load(info, self.owner_id)

    async def _criteria(self, info: Info) -> list[CriterionResult]:
        """Evaluated once per request for every step asked, whether `criteria`, `canComplete`
        or both; the program comes from the request's loader, which has read it already."""
        program = await info.context.loaders.of(service.programs_by_id).load(self.program_id)
        results: list[CriterionResult] = await info.context.loaders.of(evaluate).load(
            (program, self.key)
        )
        return results

    @strawberry.field(
        description="The exit criteria and whether each is met now.",
        metadata=at_most(MAX_CRITERIA),
        graphql_type=list[ExitCriterion],
    )
    def criteria(self, info: Info) -> list[ExitCriterion] | Awaitable[list[ExitCriterion]]:
        if self.known_criteria is not None:
            return _exit_criteria(self.known_criteria)
        return self._loaded_criteria(info)

    async def _loaded_criteria(self, info: Info) -> list[ExitCriterion]:
        return _exit_criteria(await self._criteria(info))

    @strawberry.field(
        description="Whether completeStep would complete it now: not completed yet, and every"
        " exit criterion met.",
        graphql_type=bool,
    )
    def can_complete(self, info: Info) -> bool | Awaitable[bool]:
        if self.status is StepStatusValue.COMPLETED:
            return False
        if self.known_criteria is not None:
            return _all_met(self.known_criteria)
        return self._loaded_can_complete(info)

    async def _loaded_can_complete(self, info: Info) -> bool:
        return _all_met(await self._criteria(info))


def _exit_criteria(results: list[CriterionResult]) -> list[ExitCriterion]:
    return [ExitCriterion.from_result(result) for result in results]


def _all_met(results: list[CriterionResult]) -> bool:
    return all(result.met for result in results)


@strawberry.type(description="An organization's way to certification against one standard edition.")
class Program(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.programs_by_id
    id: relay.NodeID[str]
    scope_statement: str
    target_date: date | None
    status: ProgramStatus  # type: ignore[valid-type]
    allowed_transitions: list[ProgramStatus] = strawberry.field(  # type: ignore[valid-type]
        description="The statuses changeProgramStatus accepts from here."
    )
    created_at: datetime
    tenant_id: strawberry.Private[uuid.UUID]
    standard_id: strawberry.Private[uuid.UUID]
    certification_body_id: strawberry.Private[uuid.UUID | None]
    owner_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, program: models.Program) -> Program:
        return cls(
            id=str(program.id),
            scope_statement=program.scope_statement,
            target_date=program.target_date,
            status=ProgramStatusValue(program.status),
            allowed_transitions=list(service.next_statuses(program)),
            created_at=program.created_at,
            tenant_id=program.tenant_id,
            standard_id=program.standard_id,
            certification_body_id=program.certification_body_id,
            owner_id=program.owner_id,
        )

    @strawberry.field(description="The standard edition the program certifies against.")
    async def standard(self, info: Info) -> Standard:
        row = await info.context.loaders.of(catalog_service.standards_by_id).load(self.standard_id)
        return Standard.from_model(row)

    @strawberry.field(description="The organization the program belongs to.")
    async def organization(self, info: Info) -> Organization:
        return Organization.from_model(await info.context.loaders.organization.load(self.tenant_id))

    @strawberry.field(description="The certification body chosen for the audits, if any.")
    async def certification_body(self, info: Info) -> Organization | None:
        if self.certification_body_id is None:
            return None
        body = await info.context.loaders.certification_body.load(self.certification_body_id)
        return Organization.from_model(body) if body else None

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await User.load(info, self.owner_id)

    @strawberry.field(description="All seven steps, in order.", metadata=at_most(len(STEPS)))
    async def steps(self, info: Info) -> list[ProgramStep]:
        """When the query asks for criteria, they are judged here for every program of the
        request at once (the loaders batch the programs' calls), so the seven steps of each
        answer `criteria` and `canComplete` synchronously."""
        program_id = uuid.UUID(self.id)
        loader = info.context.loaders.of(service.steps_of_programs)
        steps = [ProgramStep.from_model(row) for row in await loader.load(program_id)]
        if steps and (asks_for(info, "criteria") or asks_for(info, "canComplete")):
            program = await info.context.loaders.of(service.programs_by_id).load(program_id)
            judged = await info.context.loaders.of(evaluate_programs).load(program)
            for step in steps:
                step.known_criteria = judged[step.key]
        return steps


# --- queries -----------------------------------------------------------------------------


@strawberry.type
class ProgramQuery:
    @strawberry.field(description="Certification programs of every organization you may read.")
    async def programs(
        self,
        info: Info,
        *,
        first: int | None = None,
        after: str | None = None,
        standard: Annotated[
            str | None,
            strawberry.argument(
                description='A code ("ISO 9001") or a code and edition ("ISO 9001:2015").'
            ),
        ] = None,
        status: ProgramStatus | None = None,  # type: ignore[valid-type]
        organization: OrganizationFilter = None,
    ) -> Connection[Program]:
        info.context.require_entitlements()
        statement = service.programs_statement(standard, status, organization_id(organization))
        keys = (models.Program.created_at, models.Program.id)
        page = await paginate(info.context.db, statement, keys, first, after)
        # The steps' criteria judge each program: they find it here rather than read it again.
        by_id = info.context.loaders.of(service.programs_by_id)
        by_id.prime_many({program.id: program for program in page.rows})
        return Connection[Program].from_page(page, Program.from_model)

    @strawberry.field(description="One program you may read; null when it is not yours.")
    async def program(self, info: Info, id: relay.GlobalID) -> Program | None:
        info.context.require_entitlements()
        if id.type_name != "Program":
            return None
        found: list[Program | None] = await Program.resolve_nodes(info=info, node_ids=[id.node_id])
        return found[0]


# --- mutations ---------------------------------------------------------------------------

KEEP_OR_CLEAR = "Omit to keep the current value; null clears it."


@strawberry.input
class StartProgramInput:
    scope_statement: str = strawberry.field(
        description="What the management system covers: sites, activities, products."
    )
    target_date: date = strawberry.field(description="When certification should be reached.")
    standard_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The standard; or name it by standardCode and standardEdition."
    )
    standard_code: str | None = None
    standard_edition: str | None = None
    certification_body_slug: str | None = None
    owner_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A member of the organization who answers for the program."
    )


@strawberry.input
class UpdateProgramInput:
    id: relay.GlobalID
    scope_statement: str | None = None
    target_date: date | None = None
    owner_id: relay.GlobalID | None = strawberry.field(default=UNSET, description=KEEP_OR_CLEAR)
    certification_body_slug: str | None = strawberry.field(default=UNSET, description=KEEP_OR_CLEAR)


@strawberry.input
class ChangeProgramStatusInput:
    id: relay.GlobalID
    status: ProgramStatus  # type: ignore[valid-type]


@strawberry.input(description="Tick or untick one checklist item of a step.")
class ChecklistTickInput:
    key: str
    done: bool


@strawberry.input
class UpdateStepInput:
    id: relay.GlobalID
    status: StepStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="NOT_STARTED or IN_PROGRESS; completeStep completes. Managers may reopen"
        " a completed step as IN_PROGRESS.",
    )
    owner_id: relay.GlobalID | None = strawberry.field(default=UNSET, description=KEEP_OR_CLEAR)
    due_date: date | None = strawberry.field(default=UNSET, description=KEEP_OR_CLEAR)
    notes: str | None = None
    checklist: list[ChecklistTickInput] | None = None


@strawberry.input
class CompleteStepInput:
    id: relay.GlobalID


@strawberry.type
class ProgramPayload:
    program: Program | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ProgramStepPayload:
    step: ProgramStep | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _change(value: Value | None, convert: Callable[[Value], Converted]) -> Change[Converted | None]:
    """An optional input as a service change: omitted keeps, null clears, a value converts."""
    if value is UNSET:
        return KEEP
    return None if value is None else convert(value)


def _as_is(value: Value) -> Value:
    return value


_owner_uuid = partial(node_uuid, type_name="User", field="ownerId")


def _standard(input: StartProgramInput) -> service.StandardRef:
    if input.standard_id is not None:
        return service.StandardRef(id=node_uuid(input.standard_id, "Standard", "standardId"))
    return service.StandardRef(code=input.standard_code, edition=input.standard_edition)


@strawberry.type
class ProgramMutation:
    @mutation(description="Start a program on a standard edition in the organization you act in.")
    async def start_program(self, info: Info, input: StartProgramInput) -> ProgramPayload:
        row = await service.start_program(
            info.context.db,
            actor_of(info),
            _standard(input),
            scope_statement=input.scope_statement,
            target_date=input.target_date,
            certification_body_slug=input.certification_body_slug,
            owner_id=_owner_uuid(input.owner_id) if input.owner_id is not None else None,
        )
        return ProgramPayload(program=Program.from_model(row))

    @mutation()
    async def update_program(self, info: Info, input: UpdateProgramInput) -> ProgramPayload:
        row = await service.update_program(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "Program", "id"),
            scope_statement=input.scope_statement,
            target_date=input.target_date,
            owner_id=_change(input.owner_id, _owner_uuid),
            certification_body_slug=_change(input.certification_body_slug, _as_is),
        )
        return ProgramPayload(program=Program.from_model(row))

    @mutation(description="Move a program along its lifecycle (see allowedTransitions).")
    async def change_program_status(
        self, info: Info, input: ChangeProgramStatusInput
    ) -> ProgramPayload:
        row = await service.change_program_status(
            info.context.db, actor_of(info), node_uuid(input.id, "Program", "id"), input.status
        )
        return ProgramPayload(program=Program.from_model(row))

    @mutation(description="Start a step, assign it, date it, take notes, tick its list.")
    async def update_step(self, info: Info, input: UpdateStepInput) -> ProgramStepPayload:
        row = await service.update_step(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "ProgramStep", "id"),
            status=input.status,
            owner_id=_change(input.owner_id, _owner_uuid),
            due_date=_change(input.due_date, _as_is),
            notes=input.notes,
            checklist=(
                {tick.key: tick.done for tick in input.checklist}
                if input.checklist is not None
                else None
            ),
        )
        return ProgramStepPayload(step=ProgramStep.from_model(row))

    @mutation(
        description="Complete a step. Refused with every unmet exit criterion while any is unmet."
    )
    async def complete_step(self, info: Info, input: CompleteStepInput) -> ProgramStepPayload:
        row = await service.complete_step(
            info.context.db, actor_of(info), node_uuid(input.id, "ProgramStep", "id")
        )
        return ProgramStepPayload(step=ProgramStep.from_model(row))


async def program_of(info: Info, program_id: relay.GlobalID) -> models.Program:
    info.context.require_entitlements()
    return await service.readable_program(
        info.context.db, node_uuid(program_id, "Program", "programId")
    )


def requirement_ref(value: str) -> service.RequirementRef:
    """A Requirement's global id names its clause; anything else is a requirement number."""
    try:
        global_id = relay.GlobalID.from_id(value)
    except GlobalIDValueError:
        return value
    if global_id.type_name != "Requirement":
        return value
    try:
        return uuid.UUID(global_id.node_id)
    except ValueError:
        return value


REQUIREMENTS = (
    'Requirement numbers ("8.5.1", "A.5.1") or ids of the program\'s standard, at most'
    f" {service.MAX_LINKED_REQUIREMENTS}; replaces the linked set."
)
