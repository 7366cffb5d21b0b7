"""GraphQL types, queries and mutations for findings and their corrective action."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import relay

from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.errors import UserError
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.inputs import clearable, clearable_id, given
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode, as_type
from backend.api.pagination import Connection, paginate
from backend.api.tenants import User
from backend.catalog.api import Requirement
from backend.core.calendar import is_overdue
from backend.core.changes import KEEP, Change
from backend.findings import models, queries, service
from backend.findings.models import EffectivenessVerdict as EffectivenessVerdictValue
from backend.findings.models import FindingSource as FindingSourceValue
from backend.findings.models import FindingStatus as FindingStatusValue
from backend.findings.models import FindingType as FindingTypeValue
from backend.findings.models import RootCauseMethod as RootCauseMethodValue
from backend.programs import service as program_service
from backend.programs.api import Program, requirement_ref
from backend.programs.service import MAX_LINKED_REQUIREMENTS

if TYPE_CHECKING:  # types of other areas, named lazily (areas import no other's API)
    from backend.evidence.api import EvidenceItem
    from backend.planning.api import Action

FindingType = strawberry.enum(FindingTypeValue, name="FindingType")
FindingSource = strawberry.enum(FindingSourceValue, name="FindingSource")
FindingStatus = strawberry.enum(
    FindingStatusValue,
    name="FindingStatus",
    description="Observations and opportunities go from OPEN to CLOSED; a nonconformity passes"
    " CORRECTED, ANALYSED, ACTION_PLANNED, IMPLEMENTED and VERIFIED (or REOPENED, when a review"
    " finds its action not effective) before it may close.",
)
RootCauseMethod = strawberry.enum(RootCauseMethodValue, name="RootCauseMethod")
EffectivenessVerdict = strawberry.enum(EffectivenessVerdictValue, name="EffectivenessVerdict")

ActionType = Annotated["Action", strawberry.lazy("backend.planning.api")]
EvidenceItemType = Annotated["EvidenceItem", strawberry.lazy("backend.evidence.api")]


@strawberry.type(description="A requirement of one program that a finding concerns.")
class FindingRequirement:
    requirement: Requirement
    program_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def program(self, info: Info) -> Program:
        row = await info.context.loaders.of(program_service.programs_by_id).load(self.program_id)
        return Program.from_model(row)


@strawberry.type(description="What was done at once to contain a nonconformity's effect.")
class Correction:
    text: str
    corrected_on: date


@strawberry.type(description="Why a nonconformity happened, and how that was worked out.")
class RootCause:
    method: RootCauseMethod  # type: ignore[valid-type]
    cause: str


@strawberry.type(description="A planning action that answers a nonconformity, in its round.")
class CorrectiveAction:
    round: int = strawberry.field(
        description="1 at first; each review that finds the action not effective starts another."
    )
    action: ActionType


@strawberry.type(description="Whether a round of corrective action removed the cause.")
class EffectivenessReview:
    round: int
    due_date: date
    verdict: EffectivenessVerdict  # type: ignore[valid-type]
    reviewed_on: date | None
    notes: str
    id: strawberry.Private[uuid.UUID]
    reviewer_id: strawberry.Private[uuid.UUID | None]
    reviewed_by_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, review: models.EffectivenessReview) -> EffectivenessReview:
        return cls(
            round=review.round,
            due_date=review.due_date,
            verdict=EffectivenessVerdictValue(review.verdict),
            reviewed_on=review.reviewed_on,
            notes=review.notes,
            id=review.id,
            reviewer_id=review.reviewer_id,
            reviewed_by_id=review.reviewed_by_id,
        )

    @strawberry.field(description="Who was asked to review it.")
    async def reviewer(self, info: Info) -> User | None:
        return await User.load(info, self.reviewer_id)

    @strawberry.field(description="Who recorded the verdict.")
    async def reviewed_by(self, info: Info) -> User | None:
        return await User.load(info, self.reviewed_by_id)

    @strawberry.field(
        description="The evidence the review relied on.", metadata=at_most(service.MAX_EVIDENCE)
    )
    async def evidence(self, info: Info) -> list[EvidenceItemType]:
        rows = await info.context.loaders.of(queries.evidence_of_reviews).load(self.id)
        return as_type(info, "EvidenceItem", rows)


@strawberry.type(
    description="A finding of an audit, a review or everyday work, and its answer: correction,"
    " root cause, corrective action and effectiveness review."
)
class Finding(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = queries.findings_by_id
    id: relay.NodeID[str]
    reference: str = strawberry.field(description='Unique in the organization, "NC-2026-007".')
    type: FindingType  # type: ignore[valid-type]
    source: FindingSource  # type: ignore[valid-type]
    statement: str
    objective_evidence: str = strawberry.field(description="What was seen, heard or read.")
    due_date: date | None
    status: FindingStatus  # type: ignore[valid-type]
    correction: Correction | None
    root_cause: RootCause | None
    round: int = strawberry.field(description="The current round of corrective action.")
    implemented_on: date | None = strawberry.field(
        description="When the current round's corrective actions were implemented."
    )
    closed_at: datetime | None
    closure_note: str
    created_at: datetime
    updated_at: datetime
    tenant_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID | None]
    raised_by_id: strawberry.Private[uuid.UUID | None]
    closed_by_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, finding: models.Finding) -> Finding:
        return cls(
            id=str(finding.id),
            reference=finding.reference,
            type=FindingTypeValue(finding.type),
            source=FindingSourceValue(finding.source),
            statement=finding.statement,
            objective_evidence=finding.objective_evidence,
            due_date=finding.due_date,
            status=FindingStatusValue(finding.status),
            correction=Correction(text=finding.correction, corrected_on=finding.corrected_on)
            if finding.corrected_on is not None
            else None,
            root_cause=RootCause(
                method=RootCauseMethodValue(finding.root_cause_method), cause=finding.root_cause
            )
            if finding.root_cause_method is not None
            else None,
            round=finding.round,
            implemented_on=finding.implemented_on,
            closed_at=finding.closed_at,
            closure_note=finding.closure_note,
            created_at=finding.created_at,
            updated_at=finding.updated_at,
            tenant_id=finding.tenant_id,
            owner_id=finding.owner_id,
            raised_by_id=finding.raised_by_id,
            closed_by_id=finding.closed_by_id,
        )

    @strawberry.field(description="Past its due date (in the organization's time zone), open.")
    async def is_overdue(self, info: Info) -> bool:
        day = await info.context.loaders.tenant_day(self.tenant_id)
        return is_overdue(self.due_date, self.status is FindingStatusValue.CLOSED, day.today)

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await User.load(info, self.owner_id)

    @strawberry.field
    async def raised_by(self, info: Info) -> User | None:
        return await User.load(info, self.raised_by_id)

    @strawberry.field
    async def closed_by(self, info: Info) -> User | None:
        return await User.load(info, self.closed_by_id)

    @strawberry.field(
        description="The requirements it concerns, each of one program.",
        metadata=at_most(MAX_LINKED_REQUIREMENTS),
    )
    async def requirements(self, info: Info) -> list[FindingRequirement]:
        loader = info.context.loaders.of(queries.requirements_of_findings)
        return [
            FindingRequirement(
                requirement=Requirement.from_model(row.clause), program_id=row.program_id
            )
            for row in await loader.load(uuid.UUID(self.id))
        ]

    @strawberry.field(
        description="Every round's corrective actions, oldest round first.",
        metadata=at_most(service.MAX_CORRECTIVE_ACTIONS),
    )
    async def corrective_actions(self, info: Info) -> list[CorrectiveAction]:
        loader = info.context.loaders.of(queries.corrective_actions_of_findings)
        rows = await loader.load(uuid.UUID(self.id))
        actions = as_type(info, "Action", [row.action for row in rows])
        return [
            CorrectiveAction(round=row.round, action=action)
            for row, action in zip(rows, actions, strict=True)
        ]

    @strawberry.field(
        description="One per round of corrective action, oldest first.",
        metadata=at_most(service.MAX_ROUNDS),
    )
    async def effectiveness_reviews(self, info: Info) -> list[EffectivenessReview]:
        loader = info.context.loaders.of(queries.reviews_of_findings)
        return [
            EffectivenessReview.from_model(row) for row in await loader.load(uuid.UUID(self.id))
        ]

    @strawberry.field(
        description="Evidence attached to it.", metadata=at_most(service.MAX_EVIDENCE)
    )
    async def evidence(self, info: Info) -> list[EvidenceItemType]:
        rows = await info.context.loaders.of(queries.evidence_of_findings).load(uuid.UUID(self.id))
        return as_type(info, "EvidenceItem", rows)

    @strawberry.field(
        description="Open or recently closed nonconformities of the organization on the same"
        " harmonized clause in other programs, newest first: a pattern worth one root cause.",
        metadata=at_most(queries.MAX_SIMILAR),
    )
    async def similar(self, info: Info) -> list[Finding]:
        rows = await info.context.loaders.of(queries.similar_findings).load(uuid.UUID(self.id))
        return [Finding.from_model(row) for row in rows]


# --- queries -------------------------------------------------------------------------------


@strawberry.type
class FindingQuery:
    @strawberry.field(description="Findings of the organizations you read, oldest first.")
    async def findings(
        self,
        info: Info,
        *,
        type: FindingType | None = None,  # type: ignore[valid-type]
        status: FindingStatus | None = None,  # type: ignore[valid-type]
        source: FindingSource | None = None,  # type: ignore[valid-type]
        program_id: relay.GlobalID | None = None,
        requirement: Annotated[
            str | None,
            strawberry.argument(
                description='Only findings on this requirement: its id, or its number ("8.5.1")'
                " (with programId, in that program's standard)."
            ),
        ] = None,
        overdue: bool | None = None,
        open: Annotated[
            bool | None, strawberry.argument(description="Only findings not closed (or closed).")
        ] = None,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Finding]:
        info.context.require_entitlements()
        where = queries.FindingFilter(
            type=type,
            status=status,
            source=source,
            program_id=node_uuid(program_id, "Program", "programId") if program_id else None,
            requirement=requirement_ref(requirement) if requirement is not None else None,
            overdue=overdue,
            open=open,
            organization=organization_id(organization),
        )
        keys = (models.Finding.created_at, models.Finding.id)
        page = await paginate(
            info.context.db, queries.findings_statement(where), keys, first, after
        )
        return Connection[Finding].from_page(page, Finding.from_model)

    @strawberry.field(description="One finding; null when it is not yours to read.")
    async def finding(self, info: Info, id: relay.GlobalID) -> Finding | None:
        info.context.require_entitlements()
        if id.type_name != "Finding":
            return None
        [found] = await Finding.resolve_nodes(info=info, node_ids=[id.node_id])
        found_finding: Finding | None = found
        return found_finding


# --- mutations -----------------------------------------------------------------------------

REQUIREMENTS = (
    f"The requirements it concerns, 1 to {MAX_LINKED_REQUIREMENTS}: each a program and a"
    ' requirement of its standard (a number, "8.5.1", or a Requirement id).'
)
EVIDENCE = f"Evidence items of the organization, at most {service.MAX_EVIDENCE}; replaces the set."


@strawberry.input(description="A requirement of one program.")
class FindingRequirementInput:
    program_id: relay.GlobalID
    requirement: str


@strawberry.input
class RaiseFindingInput:
    type: FindingType  # type: ignore[valid-type]
    source: FindingSource  # type: ignore[valid-type]
    statement: str
    requirements: list[FindingRequirementInput] = strawberry.field(description=REQUIREMENTS)
    objective_evidence: str | None = strawberry.field(
        default=strawberry.UNSET, description="Required for a nonconformity."
    )
    owner_id: relay.GlobalID | None = strawberry.UNSET
    due_date: date | None = strawberry.UNSET
    reference: str | None = strawberry.field(
        default=None, description='Given, or the next free one: "NC-2026-008", "OBS-2026-002".'
    )
    evidence_ids: list[relay.GlobalID] | None = strawberry.field(
        default=strawberry.UNSET, description=EVIDENCE
    )


@strawberry.input(
    description="Omitted fields keep their value; null clears the owner or due date."
    " Requirements, and whether it is a nonconformity, change only while it is OPEN."
)
class UpdateFindingInput:
    id: relay.GlobalID
    type: FindingType | None = strawberry.UNSET  # type: ignore[valid-type]
    statement: str | None = strawberry.UNSET
    objective_evidence: str | None = strawberry.UNSET
    owner_id: relay.GlobalID | None = strawberry.UNSET
    due_date: date | None = strawberry.UNSET
    requirements: list[FindingRequirementInput] | None = strawberry.field(
        default=strawberry.UNSET, description=REQUIREMENTS
    )
    evidence_ids: list[relay.GlobalID] | None = strawberry.field(
        default=strawberry.UNSET, description=EVIDENCE
    )


def _targets(
    values: list[FindingRequirementInput] | None,
) -> Change[Sequence[service.RequirementTarget]]:
    if values is None or values is strawberry.UNSET:
        return KEEP
    return [
        service.RequirementTarget(
            program_id=node_uuid(value.program_id, "Program", "programId"),
            requirement=requirement_ref(value.requirement),
        )
        for value in values
    ]


def _evidence_ids(values: list[relay.GlobalID] | None) -> Change[Sequence[uuid.UUID]]:
    if values is None or values is strawberry.UNSET:
        return KEEP
    return [node_uuid(value, "EvidenceItem", "evidenceIds") for value in values]


def _fields(input: RaiseFindingInput | UpdateFindingInput) -> service.FindingFields:
    return service.FindingFields(
        type=given(input.type),
        statement=given(input.statement),
        objective_evidence=given(input.objective_evidence),
        owner_id=clearable_id(input.owner_id, "User", "ownerId"),
        due_date=clearable(input.due_date),
        requirements=_targets(input.requirements),
        evidence_ids=_evidence_ids(input.evidence_ids),
    )


@strawberry.input(description="Containment: what was done at once about the effect, and when.")
class RecordCorrectionInput:
    finding_id: relay.GlobalID
    correction: str
    corrected_on: date


@strawberry.input(description="Why it happened; may be revised until an action is planned.")
class RecordRootCauseInput:
    finding_id: relay.GlobalID
    method: RootCauseMethod  # type: ignore[valid-type]
    cause: str


@strawberry.input(description="A planning action against the cause, owned and dated.")
class AddCorrectiveActionInput:
    finding_id: relay.GlobalID
    title: str
    owner_id: relay.GlobalID = strawberry.field(description="A member of the organization.")
    due_date: date
    description: str = ""


@strawberry.input(
    description="The current round's corrective actions are done: when, and who reviews their"
    " effectiveness by when."
)
class RecordImplementationInput:
    finding_id: relay.GlobalID
    implemented_on: date
    review_due_date: date
    reviewer_id: relay.GlobalID = strawberry.field(description="A member of the organization.")


@strawberry.input(
    description="EFFECTIVE lets the nonconformity close; NOT_EFFECTIVE reopens it for a new"
    " corrective action (say why in notes)."
)
class ReviewEffectivenessInput:
    finding_id: relay.GlobalID
    verdict: EffectivenessVerdict  # type: ignore[valid-type]
    notes: str = ""
    reviewed_on: date | None = strawberry.field(
        default=None, description="Today in the organization's time zone when not given."
    )
    evidence_ids: list[relay.GlobalID] = strawberry.field(
        default_factory=list, description=f"At most {service.MAX_EVIDENCE} evidence items."
    )


@strawberry.input(
    description="A nonconformity closes once reviewed effective; an observation or opportunity"
    " for improvement closes with a note on what became of it."
)
class CloseFindingInput:
    finding_id: relay.GlobalID
    note: str = ""


@strawberry.type
class FindingPayload:
    finding: Finding | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AddCorrectiveActionPayload:
    finding: Finding | None = None
    action: ActionType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _finding_id(value: relay.GlobalID) -> uuid.UUID:
    return node_uuid(value, "Finding", "findingId")


def _answer(finding: models.Finding) -> FindingPayload:
    return FindingPayload(finding=Finding.from_model(finding))


@strawberry.type
class FindingMutation:
    @mutation(
        description="Record a finding. A nonconformity makes each conformant requirement it"
        " concerns partial (minor) or nonconformant (major), in the assessment history."
    )
    async def raise_finding(self, info: Info, input: RaiseFindingInput) -> FindingPayload:
        row = await service.raise_finding(
            info.context.db, actor_of(info), input.source, _fields(input), input.reference
        )
        return _answer(row)

    @mutation()
    async def update_finding(self, info: Info, input: UpdateFindingInput) -> FindingPayload:
        row = await service.update_finding(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "Finding", "id"),
            _fields(input),
        )
        return _answer(row)

    @mutation(description="Record the correction (containment) of a nonconformity.")
    async def record_correction(self, info: Info, input: RecordCorrectionInput) -> FindingPayload:
        row = await service.record_correction(
            info.context.db,
            actor_of(info),
            _finding_id(input.finding_id),
            input.correction,
            input.corrected_on,
        )
        return _answer(row)

    @mutation(description="Record the root cause of a corrected nonconformity.")
    async def record_root_cause(self, info: Info, input: RecordRootCauseInput) -> FindingPayload:
        row = await service.record_root_cause(
            info.context.db,
            actor_of(info),
            _finding_id(input.finding_id),
            input.method,
            input.cause,
        )
        return _answer(row)

    @mutation(
        description="Add a corrective action (a planning action in the program of the finding's"
        " first requirement) once the root cause is known."
    )
    async def add_corrective_action(
        self, info: Info, input: AddCorrectiveActionInput
    ) -> AddCorrectiveActionPayload:
        finding, added = await service.add_corrective_action(
            info.context.db,
            actor_of(info),
            _finding_id(input.finding_id),
            service.NewCorrectiveAction(
                title=input.title,
                owner_id=node_uuid(input.owner_id, "User", "ownerId"),
                due_date=input.due_date,
                description=input.description,
            ),
        )
        [as_action] = as_type(info, "Action", [added])
        return AddCorrectiveActionPayload(finding=Finding.from_model(finding), action=as_action)

    @mutation(
        description="Record that the current round's corrective actions are implemented and"
        " plan their effectiveness review."
    )
    async def record_implementation(
        self, info: Info, input: RecordImplementationInput
    ) -> FindingPayload:
        row = await service.record_implementation(
            info.context.db,
            actor_of(info),
            _finding_id(input.finding_id),
            service.Implementation(
                implemented_on=input.implemented_on,
                review_due_date=input.review_due_date,
                reviewer_id=node_uuid(input.reviewer_id, "User", "reviewerId"),
            ),
        )
        return _answer(row)

    @mutation(description="Decide whether the corrective action was effective.")
    async def review_effectiveness(
        self, info: Info, input: ReviewEffectivenessInput
    ) -> FindingPayload:
        row = await service.review_effectiveness(
            info.context.db,
            actor_of(info),
            _finding_id(input.finding_id),
            service.Review(
                verdict=input.verdict,
                notes=input.notes,
                reviewed_on=input.reviewed_on,
                evidence_ids=[
                    node_uuid(value, "EvidenceItem", "evidenceIds") for value in input.evidence_ids
                ],
            ),
        )
        return _answer(row)

    @mutation()
    async def close_finding(self, info: Info, input: CloseFindingInput) -> FindingPayload:
        row = await service.close_finding(
            info.context.db, actor_of(info), _finding_id(input.finding_id), input.note
        )
        return _answer(row)
