"""GraphQL types, queries and mutations of the gap analysis and the Statement of Applicability."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

import strawberry
from sqlalchemy import Row
from strawberry import relay

from backend.api import slices
from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.eager import asks_for, now_or_later
from backend.api.errors import UserError
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode, node_of_type
from backend.api.pagination import Connection, paginate
from backend.api.tenants import User
from backend.assessments import models, service, soa
from backend.assessments.models import ChangeSource, Conformity
from backend.assessments.models import Implementation as ImplementationValue
from backend.assessments.models import Priority as PriorityValue
from backend.catalog import service as catalog_service
from backend.catalog.api import Requirement
from backend.catalog.loader import MAX_NODES
from backend.catalog.models import Clause
from backend.core.errors import CombinedServiceError, ErrorCode, ServiceError
from backend.programs import judgements
from backend.programs import service as program_service
from backend.programs.api import Program

if TYPE_CHECKING:  # a type of the findings area, named lazily (areas import no other's API)
    from backend.findings.api import Finding

# A whole program fits in one page (ISO/IEC 27001 has the most: 123), so a dashboard can
# show every requirement with a single request.
REQUIREMENTS_PAGE = 500

AssessmentStatus = strawberry.enum(
    Conformity,
    name="AssessmentStatus",
    description="How far the organization meets a requirement today.",
)
Priority = strawberry.enum(
    PriorityValue, name="Priority", description="How urgently a gap should be closed."
)
Result = TypeVar("Result")

ImplementationStatus = strawberry.enum(
    ImplementationValue,
    name="ImplementationStatus",
    description="How far an applicable annex control is implemented.",
)
AssessmentChangeSource = strawberry.enum(
    ChangeSource,
    name="AssessmentChangeSource",
    description="Who or what changed an assessment: a person, the catalog, a finding.",
)
Applicability = strawberry.enum(
    soa.Applicability,
    name="Applicability",
    description="Whether an annex control applies to a program, as its assessment says.",
)


@strawberry.type(description="The assessed fields of an assessment at one moment.")
class AssessmentState:
    status: AssessmentStatus  # type: ignore[valid-type]
    current_practice: str
    gap_description: str
    justification: str
    priority: Priority | None  # type: ignore[valid-type]
    implementation: ImplementationStatus | None  # type: ignore[valid-type]

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> AssessmentState:
        return cls(
            status=Conformity(snapshot["status"]),
            current_practice=snapshot["current_practice"],
            gap_description=snapshot["gap_description"],
            justification=snapshot["justification"],
            priority=PriorityValue(snapshot["priority"]) if snapshot["priority"] else None,
            implementation=ImplementationValue(snapshot["implementation"])
            if snapshot["implementation"]
            else None,
        )


@strawberry.type(description="One change to an assessment: who made it, when, before and after.")
class AssessmentChange:
    changed_at: datetime
    before: AssessmentState
    after: AssessmentState
    source: AssessmentChangeSource  # type: ignore[valid-type]
    changed_by_id: strawberry.Private[uuid.UUID | None]
    finding_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, change: models.AssessmentChange) -> AssessmentChange:
        finding = change.after.get("finding_id")
        return cls(
            changed_at=change.changed_at,
            before=AssessmentState.from_snapshot(change.before),
            after=AssessmentState.from_snapshot(change.after),
            source=ChangeSource(change.after.get("source", ChangeSource.PERSON.value)),
            changed_by_id=change.changed_by_id,
            finding_id=uuid.UUID(finding) if finding else None,
        )

    @strawberry.field(description="Null when that person's account is gone or not visible.")
    async def changed_by(self, info: Info) -> User | None:
        return await User.load(info, self.changed_by_id)

    @strawberry.field(description="The nonconformity that made the change, when one did.")
    async def finding(
        self, info: Info
    ) -> Annotated[Finding, strawberry.lazy("backend.findings.api")] | None:
        if self.finding_id is None:
            return None
        finding: Finding | None = await node_of_type(info, "Finding", self.finding_id)
        return finding


@strawberry.type(description="How a program meets one requirement: a finding of the gap analysis.")
class Assessment(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.assessments_by_id
    id: relay.NodeID[str]
    status: AssessmentStatus  # type: ignore[valid-type]
    current_practice: str = strawberry.field(description="How the organization works today.")
    gap_description: str = strawberry.field(description="What keeps it from conforming.")
    justification: str = strawberry.field(
        description="Why the requirement does not apply, or (annex controls) why it is included."
    )
    priority: Priority | None  # type: ignore[valid-type]
    implementation: ImplementationStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="Annex controls only."
    )
    assessed_at: datetime | None
    program_id: strawberry.Private[uuid.UUID]
    clause_id: strawberry.Private[uuid.UUID]
    assessed_by_id: strawberry.Private[uuid.UUID | None]
    # Known when a list built the node (see backend/api/eager.py).
    clause: strawberry.Private[Clause | Row[Any] | None] = None
    known_action_count: strawberry.Private[int | None] = None

    @classmethod
    def from_model(cls, assessment: models.Assessment | Row[Any]) -> Assessment:
        """From the entity, or from a row of its fields (`fields_of`) a hot list reads."""
        return cls(
            id=str(assessment.id),
            status=Conformity(assessment.status),
            current_practice=assessment.current_practice,
            gap_description=assessment.gap_description,
            justification=assessment.justification,
            priority=PriorityValue(assessment.priority) if assessment.priority else None,
            implementation=ImplementationValue(assessment.implementation)
            if assessment.implementation
            else None,
            assessed_at=assessment.assessed_at,
            program_id=assessment.program_id,
            clause_id=assessment.clause_id,
            assessed_by_id=assessment.assessed_by_id,
        )

    @strawberry.field(
        description="The requirement (clause or annex control) assessed.", graphql_type=Requirement
    )
    def requirement(self, info: Info) -> Requirement | Awaitable[Requirement]:
        if self.clause is not None:
            return Requirement.from_model(self.clause)
        return self._load_requirement(info)

    async def _load_requirement(self, info: Info) -> Requirement:
        clause = await info.context.loaders.of(catalog_service.clauses_by_id).load(self.clause_id)
        return Requirement.from_model(clause)

    @strawberry.field
    async def program(self, info: Info) -> Program:
        loader = info.context.loaders.of(program_service.programs_by_id)
        return Program.from_model(await loader.load(self.program_id))

    @strawberry.field(description="Who made the latest change; null while not assessed.")
    async def assessed_by(self, info: Info) -> User | None:
        return await User.load(info, self.assessed_by_id)

    @strawberry.field(description="The latest changes, oldest first.")
    async def history(
        self,
        info: Info,
        last: Annotated[int | None, strawberry.argument(description=slices.LAST)] = None,
    ) -> list[AssessmentChange]:
        rows = await info.context.loaders.of(service.histories).load(uuid.UUID(self.id))
        return [AssessmentChange.from_model(row) for row in slices.last(rows, last)]

    @strawberry.field(
        description="How many of the program's actions, cancelled ones aside, address it.",
        graphql_type=int,
    )
    def action_count(self, info: Info) -> int | Awaitable[int]:
        loader = info.context.loaders.of(service.action_counts)
        return now_or_later(
            self.known_action_count, lambda: loader.load((self.program_id, self.clause_id))
        )


async def _answer(
    info: Info, rows: Sequence[tuple[models.Assessment | Row[Any], Clause | Row[Any]]]
) -> list[Assessment]:
    """Assessments as nodes that know their requirement, and their action count when the
    query asks for it (one statement for the list), so their rows complete synchronously."""
    nodes = [Assessment.from_model(assessment) for assessment, _ in rows]
    for node, (_, clause) in zip(nodes, rows, strict=True):
        node.clause = clause
    if nodes and asks_for(info, "actionCount"):
        keys = [(node.program_id, node.clause_id) for node in nodes]
        counts = await service.action_counts(info.context.db, keys)
        for node, count in zip(nodes, counts, strict=True):
            node.known_action_count = count
    return nodes


# --- Statement of Applicability ------------------------------------------------------------


@strawberry.type(description="One annex control in a Statement of Applicability.")
class StatementOfApplicabilityRow:
    control: str
    title: str
    theme: str | None
    applicability: Applicability = strawberry.field(  # type: ignore[valid-type]
        description="NOT_ASSESSED until the control is assessed, never APPLICABLE by default."
    )
    applicable: bool | None = strawberry.field(
        description="Null while not yet assessed; false when assessed as not applicable.",
        deprecation_reason="Use applicability.",
    )
    justification: str = strawberry.field(description="Why it is included or excluded.")
    implementation: ImplementationStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="How far it is implemented; null when excluded or not stated yet."
    )
    status: AssessmentStatus = strawberry.field(  # type: ignore[valid-type]
        description="The status of the control's assessment."
    )

    @classmethod
    def from_row(cls, row: soa.Row) -> StatementOfApplicabilityRow:
        return cls(
            control=row.control,
            title=row.title,
            theme=row.theme,
            applicability=row.applicability,
            applicable=row.applicable,
            justification=row.justification,
            implementation=row.implementation,
            status=row.status,
        )


CSV_DESCRIPTION = (
    "The statement as CSV (RFC 4180, UTF-8, header row; cells that a spreadsheet would run"
    " as formulas start with a quote). A download URL arrives with the evidence store."
)


@strawberry.type(
    description="Which annex controls apply to a program, why, and how far each is implemented."
)
class StatementOfApplicability:
    standard: str
    filename: str
    rows: list[StatementOfApplicabilityRow] = strawberry.field(metadata=at_most(MAX_NODES))
    csv: str = strawberry.field(description=CSV_DESCRIPTION)

    @classmethod
    def from_statement(cls, statement: soa.Statement) -> StatementOfApplicability:
        return cls(
            standard=statement.standard,
            filename=statement.filename,
            rows=[StatementOfApplicabilityRow.from_row(row) for row in statement.rows],
            csv=statement.csv(),
        )


# --- queries -----------------------------------------------------------------------------

ProgramId = Annotated[relay.GlobalID, strawberry.argument(description="A Program id.")]


@strawberry.type
class AssessmentQuery:
    @strawberry.field(
        description="A program's assessments in the standard's order; empty when the program"
        " is not yours.",
        metadata=at_most(REQUIREMENTS_PAGE),
    )
    async def assessments(
        self,
        info: Info,
        *,
        program_id: ProgramId,
        status: AssessmentStatus | None = None,  # type: ignore[valid-type]
        clause: Annotated[
            str | None,
            strawberry.argument(description='A clause number and all below it: "8.5", "A.5".'),
        ] = None,
        component: Annotated[
            str | None, strawberry.argument(description="A key of the standard's components.")
        ] = None,
        priority: Priority | None = None,  # type: ignore[valid-type]
        assigned_to_me: Annotated[
            bool, strawberry.argument(description="Only the requirements you answer for.")
        ] = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Assessment]:
        user_id = info.context.require_entitlements().user_id
        program = node_uuid(program_id, "Program", "programId")
        assignee = user_id if assigned_to_me else None
        filters = service.Filters(status, clause, component, priority, assignee)
        statement = service.requirements_of(program, filters)
        keys = (Clause.position, Clause.id)
        page = await paginate(
            info.context.db, statement, keys, first, after, limit=REQUIREMENTS_PAGE
        )
        found = await service.assessments_of_clauses(
            info.context.db, program, [row.id for row in page.rows]
        )
        nodes = await _answer(info, [(found[row.id], row) for row in page.rows])
        by_clause = {node.clause_id: node for node in nodes}
        return Connection[Assessment].from_page(page, lambda row: by_clause[row.id])

    @strawberry.field(
        description="A program's partial and nonconformant requirements: high priority first,"
        " then in the standard's order. Empty when the program is not yours.",
        metadata=at_most(MAX_NODES),
    )
    async def gaps(self, info: Info, program_id: ProgramId) -> list[Assessment]:
        info.context.require_entitlements()
        program = node_uuid(program_id, "Program", "programId")
        return await _answer(info, await service.gaps(info.context.db, program))

    @strawberry.field(
        description="The Statement of Applicability of a program whose standard has annex"
        " controls (ISO/IEC 27001); null when the program is not yours."
    )
    async def statement_of_applicability(
        self, info: Info, program_id: ProgramId
    ) -> StatementOfApplicability | None:
        info.context.require_entitlements()
        program = node_uuid(program_id, "Program", "programId")
        try:
            statement = await soa.statement_of_applicability(info.context.db, program)
        except ServiceError as error:
            if error.code is ErrorCode.NOT_FOUND:
                return None
            raise
        return StatementOfApplicability.from_statement(statement)


# --- mutations ---------------------------------------------------------------------------


@strawberry.input(description="The judgement of one requirement; it replaces the previous one.")
class RequirementAssessmentInput:
    requirement_id: relay.GlobalID
    status: AssessmentStatus  # type: ignore[valid-type]
    current_practice: str = ""
    gap_description: str = strawberry.field(
        default="", description="Required when partial or nonconformant."
    )
    justification: str = strawberry.field(default="", description="Required when not applicable.")
    priority: Priority | None = None  # type: ignore[valid-type]
    implementation: ImplementationStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Applicable annex controls only."
    )

    def judgement(self) -> judgements.Judgement:
        return judgements.Judgement(
            clause_id=node_uuid(self.requirement_id, "Requirement", "requirementId"),
            status=self.status,
            current_practice=self.current_practice,
            gap_description=self.gap_description,
            justification=self.justification,
            priority=self.priority,
            implementation=self.implementation,
        )


@strawberry.input
class AssessRequirementInput(RequirementAssessmentInput):
    program_id: relay.GlobalID


@strawberry.input
class AssessRequirementsInput:
    program_id: relay.GlobalID
    items: list[RequirementAssessmentInput] = strawberry.field(
        description=f"1 to {judgements.MAX_ITEMS} requirements, each at most once."
    )


@strawberry.input
class ApplyAssessmentToSiblingsInput:
    assessment_id: relay.GlobalID
    program_ids: list[relay.GlobalID] = strawberry.field(
        description="Other programs of the same organization, each with a requirement of the"
        " same harmonized clause; every one is named explicitly."
    )


@strawberry.input
class ExportStatementOfApplicabilityInput:
    program_id: relay.GlobalID


@strawberry.type
class AssessmentPayload:
    assessment: Assessment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AssessmentsPayload:
    assessments: list[Assessment] | None = strawberry.field(
        default=None, metadata=at_most(judgements.MAX_ITEMS)
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ExportStatementOfApplicabilityPayload:
    filename: str | None = None
    csv: str | None = strawberry.field(default=None, description=CSV_DESCRIPTION)
    errors: list[UserError] = strawberry.field(default_factory=list)


def _gathered(conversions: Iterable[tuple[list[str], Callable[[], Result]]]) -> list[Result]:
    """Run every conversion of a list input; report each failure under its prefix, all at once."""
    results, errors = [], []
    for prefix, convert in conversions:
        try:
            results.append(convert())
        except ServiceError as error:
            errors.append(ServiceError(error.code, error.message, [*prefix, *error.field]))
    if errors:
        raise CombinedServiceError(errors)
    return results


def _judgements(items: Sequence[RequirementAssessmentInput]) -> list[judgements.Judgement]:
    return _gathered((["items", str(index)], item.judgement) for index, item in enumerate(items))


def _program_ids(ids: Sequence[relay.GlobalID]) -> list[uuid.UUID]:
    return _gathered(
        (["programIds"], partial(node_uuid, global_id, "Program", str(index)))
        for index, global_id in enumerate(ids)
    )


@strawberry.type
class AssessmentMutation:
    @mutation(description="Assess one requirement of a program; history keeps the old.")
    async def assess_requirement(
        self, info: Info, input: AssessRequirementInput
    ) -> AssessmentPayload:
        judgement = input.judgement()
        row = await service.assess_requirement(
            info.context.db,
            actor_of(info),
            node_uuid(input.program_id, "Program", "programId"),
            judgement.clause_id,
            status=judgement.status,
            current_practice=judgement.current_practice,
            gap_description=judgement.gap_description,
            justification=judgement.justification,
            priority=judgement.priority,
            implementation=judgement.implementation,
        )
        return AssessmentPayload(assessment=Assessment.from_model(row))

    @mutation(
        description="Assess many requirements at once: all are saved, or none and every"
        " problem is reported with the index of its item."
    )
    async def assess_requirements(
        self, info: Info, input: AssessRequirementsInput
    ) -> AssessmentsPayload:
        rows = await service.assess_requirements(
            info.context.db,
            actor_of(info),
            node_uuid(input.program_id, "Program", "programId"),
            _judgements(input.items),
        )
        return AssessmentsPayload(assessments=[Assessment.from_model(row) for row in rows])

    @mutation(
        description="Copy an assessment of a harmonized clause (status, practice, gap,"
        " justification, priority) to the same clause of the named sibling programs."
    )
    async def apply_assessment_to_siblings(
        self, info: Info, input: ApplyAssessmentToSiblingsInput
    ) -> AssessmentsPayload:
        rows = await service.apply_to_siblings(
            info.context.db,
            actor_of(info),
            node_uuid(input.assessment_id, "Assessment", "assessmentId"),
            _program_ids(input.program_ids),
        )
        return AssessmentsPayload(assessments=[Assessment.from_model(row) for row in rows])

    @mutation(
        description="The Statement of Applicability as a CSV file. It only reads, so anyone"
        " who may read the program (auditors too) may export it."
    )
    async def export_statement_of_applicability(
        self, info: Info, input: ExportStatementOfApplicabilityInput
    ) -> ExportStatementOfApplicabilityPayload:
        info.context.require_entitlements()
        program = node_uuid(input.program_id, "Program", "programId")
        statement = await soa.statement_of_applicability(info.context.db, program)
        return ExportStatementOfApplicabilityPayload(
            filename=statement.filename, csv=statement.csv()
        )
