"""GraphQL types, queries and mutations of management reviews."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry
from strawberry import relay

from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.errors import UserError
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.inputs import clearable, given
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode, as_type
from backend.api.pagination import Connection, paginate
from backend.api.people import Participant
from backend.api.tenants import User
from backend.core.changes import KEEP, Change
from backend.programs.api import Program
from backend.reviews import inputs, lifecycle, models, queries, service
from backend.reviews.models import InputKind as InputKindValue
from backend.reviews.models import OutputKind as OutputKindValue
from backend.reviews.models import ReviewStatus as ReviewStatusValue

if TYPE_CHECKING:  # a type of another area, named lazily (areas import no other's API)
    from backend.planning.api import Action

ActionType = Annotated["Action", strawberry.lazy("backend.planning.api")]

ReviewStatus = strawberry.enum(
    ReviewStatusValue,
    name="ManagementReviewStatus",
    description="PLANNED, then HELD (attendees and inputs frozen), then SIGNED by the chair:"
    " locked.",
)
ReviewInputKind = strawberry.enum(
    InputKindValue,
    name="ReviewInputKind",
    description="PREVIOUS_ACTIONS, NONCONFORMITIES, AUDIT_RESULTS, OBJECTIVES and"
    " IMPROVEMENT_OPPORTUNITIES are assembled from data; the others are written by people.",
)
ReviewOutputKind = strawberry.enum(OutputKindValue, name="ReviewOutputKind")


@strawberry.type(description="A number an input was assembled with.")
class ReviewFigure:
    label: str
    value: int


@strawberry.type(description="A row an input was assembled from, as it stood then.")
class ReviewLink:
    type_name: str = strawberry.field(description="The GraphQL type of the row: Finding, ...")
    id: strawberry.ID = strawberry.field(description="Its global id, for node(id:).")
    label: str


@strawberry.type(description="One input of a review: a snapshot of figures and links, notes.")
class ReviewInput(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = queries.inputs_by_id
    id: relay.NodeID[str]
    kind: ReviewInputKind  # type: ignore[valid-type]
    standard: str | None = strawberry.field(description="The standard that asks for it.")
    assembled: bool = strawberry.field(description="Assembled from data, not written.")
    figures: list[ReviewFigure] = strawberry.field(metadata=at_most(inputs.MAX_FIGURES))
    links: list[ReviewLink] = strawberry.field(metadata=at_most(inputs.MAX_LINKS))
    notes: str

    @classmethod
    def from_model(cls, row: models.ReviewInput) -> ReviewInput:
        kind = InputKindValue(row.kind)
        return cls(
            id=str(row.id),
            kind=kind,
            standard=row.standard or None,
            assembled=kind in inputs.ASSEMBLERS,
            figures=[ReviewFigure(label=f["label"], value=f["value"]) for f in row.figures],
            links=[_link(link) for link in row.links],
            notes=row.notes,
        )


def _link(link: dict[str, Any]) -> ReviewLink:
    global_id = relay.to_base64(link["type"], link["id"])
    return ReviewLink(type_name=link["type"], id=strawberry.ID(global_id), label=link["label"])


@strawberry.type(description="What the review decided: a planning action, moving there.")
class ReviewOutput:
    kind: ReviewOutputKind  # type: ignore[valid-type]
    action: ActionType


@strawberry.type(description="A management review of one or more programs.")
class ManagementReview(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = queries.reviews_by_id
    id: relay.NodeID[str]
    title: str
    status: ReviewStatus  # type: ignore[valid-type]
    allowed_transitions: list[ReviewStatus] = strawberry.field(  # type: ignore[valid-type]
        description="Where the review may go from here."
    )
    locked: bool = strawberry.field(description="Signed: nothing of it changes again.")
    period_start: date = strawberry.field(description="The first day its inputs look back to.")
    planned_on: date
    held_on: date | None
    prepared_at: datetime | None = strawberry.field(
        description="When its inputs were last assembled."
    )
    signed_at: datetime | None
    created_at: datetime
    chair_id: strawberry.Private[uuid.UUID | None]
    signed_by_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, row: models.ManagementReview) -> ManagementReview:
        return cls(
            id=str(row.id),
            title=row.title,
            status=ReviewStatusValue(row.status),
            allowed_transitions=lifecycle.next_statuses(row),
            locked=lifecycle.is_locked(row),
            period_start=row.period_start,
            planned_on=row.planned_on,
            held_on=row.held_on,
            prepared_at=row.prepared_at,
            signed_at=row.signed_at,
            created_at=row.created_at,
            chair_id=row.chair_id,
            signed_by_id=row.signed_by_id,
        )

    @strawberry.field
    async def chair(self, info: Info) -> User | None:
        return await User.load(info, self.chair_id)

    @strawberry.field
    async def signed_by(self, info: Info) -> User | None:
        return await User.load(info, self.signed_by_id)

    @strawberry.field(description="The programs it serves.", metadata=at_most(service.MAX_PROGRAMS))
    async def programs(self, info: Info) -> list[Program]:
        loader = info.context.loaders.of(queries.programs_of_reviews)
        return [Program.from_model(row) for row in await loader.load(uuid.UUID(self.id))]

    @strawberry.field(description="Who attended.", metadata=at_most(service.MAX_ATTENDEES))
    async def attendees(self, info: Info) -> list[Participant]:
        rows = await info.context.loaders.of(queries.attendees_of_reviews).load(uuid.UUID(self.id))
        return await Participant.of_rows(info, rows)

    @strawberry.field(
        description="Its inputs, in order; empty until first assembled.",
        metadata=at_most(len(models.InputKind)),
    )
    async def inputs(self, info: Info) -> list[ReviewInput]:
        rows = await info.context.loaders.of(queries.inputs_of_reviews).load(uuid.UUID(self.id))
        return [ReviewInput.from_model(row) for row in rows]

    @strawberry.field(
        description="What it decided, in order.", metadata=at_most(service.MAX_OUTPUTS)
    )
    async def outputs(self, info: Info) -> list[ReviewOutput]:
        rows = await info.context.loaders.of(queries.outputs_of_reviews).load(uuid.UUID(self.id))
        actions = as_type(info, "Action", [action for _, action in rows])
        return [
            ReviewOutput(kind=OutputKindValue(output.kind), action=action)
            for (output, _), action in zip(rows, actions, strict=True)
        ]


# --- queries -------------------------------------------------------------------------------


@strawberry.type
class ReviewQuery:
    @strawberry.field(description="Management reviews of the organizations you read, by date.")
    async def management_reviews(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID | None = None,
        status: ReviewStatus | None = None,  # type: ignore[valid-type]
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ManagementReview]:
        info.context.require_entitlements()
        where = queries.ReviewFilter(
            program_id=None
            if program_id is None
            else node_uuid(program_id, "Program", "programId"),
            status=status,
            organization=organization_id(organization),
        )
        keys = (models.ManagementReview.planned_on, models.ManagementReview.id)
        statement = queries.reviews_statement(where)
        page = await paginate(info.context.db, statement, keys, first, after)
        return Connection[ManagementReview].from_page(page, ManagementReview.from_model)

    @strawberry.field(description="One review; null when it is not yours to read.")
    async def management_review(self, info: Info, id: relay.GlobalID) -> ManagementReview | None:
        info.context.require_entitlements()
        if id.type_name != "ManagementReview":
            return None
        [found] = await ManagementReview.resolve_nodes(info=info, node_ids=[id.node_id])
        review: ManagementReview | None = found
        return review


# --- mutations -----------------------------------------------------------------------------


@strawberry.input(description="A member of the organization (userId) or a person (name).")
class AttendeeInput:
    user_id: relay.GlobalID | None = None
    name: str = ""


@strawberry.input
class PlanManagementReviewInput:
    title: str
    planned_on: date
    chair_id: relay.GlobalID = strawberry.field(description="A member of the organization.")
    program_ids: list[relay.GlobalID] = strawberry.field(
        description="1 to 10 programs of the organization: an integrated system may share one."
    )
    period_start: date | None = strawberry.field(
        default=None, description="The first day reviewed; a year before the review if omitted."
    )
    attendees: list[AttendeeInput] = strawberry.field(default_factory=list)


@strawberry.input(description="Omitted fields keep their value; lists replace their set.")
class UpdateManagementReviewInput:
    id: relay.GlobalID
    title: str | None = strawberry.UNSET
    planned_on: date | None = strawberry.UNSET
    chair_id: relay.GlobalID | None = strawberry.UNSET
    program_ids: list[relay.GlobalID] | None = strawberry.UNSET
    period_start: date | None = strawberry.UNSET
    attendees: list[AttendeeInput] | None = strawberry.UNSET


@strawberry.input(description="Assemble the inputs from today's data; notes stay.")
class PrepareManagementReviewInput:
    id: relay.GlobalID


@strawberry.input(
    description="The review took place (the organization's today if no day is given): its"
    " inputs are assembled as of that day and frozen with its attendees."
)
class HoldManagementReviewInput:
    id: relay.GlobalID
    held_on: date | None = None


@strawberry.input(description="What was said about one input; until the review is signed.")
class RecordReviewInputInput:
    input_id: relay.GlobalID
    notes: str


@strawberry.input(description="A decision of a held review, as an action with owner and date.")
class AddReviewOutputInput:
    review_id: relay.GlobalID
    kind: ReviewOutputKind  # type: ignore[valid-type]
    title: str
    owner_id: relay.GlobalID
    due_date: date
    description: str = ""
    program_id: relay.GlobalID | None = strawberry.field(
        default=None, description="One of the review's programs; its first when omitted."
    )


@strawberry.input(description="The chair signs the held review; it is then locked.")
class SignManagementReviewInput:
    id: relay.GlobalID


@strawberry.type
class ManagementReviewPayload:
    review: ManagementReview | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReviewInputPayload:
    input: ReviewInput | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReviewOutputPayload:
    review: ManagementReview | None = None
    action: ActionType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _attendees(values: list[AttendeeInput] | None) -> Change[Sequence[service.Attendee]]:
    if values is None or values is strawberry.UNSET:
        return KEEP
    return [
        service.Attendee(
            user_id=node_uuid(value.user_id, "User", "attendees") if value.user_id else None,
            name=value.name,
        )
        for value in values
    ]


def _programs(values: list[relay.GlobalID] | None) -> Change[Sequence[uuid.UUID]]:
    if values is None or values is strawberry.UNSET:
        return KEEP
    return [node_uuid(value, "Program", "programIds") for value in values]


def _fields(
    input: PlanManagementReviewInput | UpdateManagementReviewInput,
) -> service.ReviewFields:
    chair = input.chair_id
    return service.ReviewFields(
        title=given(input.title),
        planned_on=given(input.planned_on),
        period_start=clearable(input.period_start),
        chair_id=KEEP
        if chair is None or chair is strawberry.UNSET
        else node_uuid(chair, "User", "chairId"),
        program_ids=_programs(input.program_ids),
        attendees=_attendees(input.attendees),
    )


def _review_id(value: relay.GlobalID, field: str = "id") -> uuid.UUID:
    return node_uuid(value, "ManagementReview", field)


def _review(row: models.ManagementReview) -> ManagementReviewPayload:
    return ManagementReviewPayload(review=ManagementReview.from_model(row))


@strawberry.type
class ReviewMutation:
    @mutation(description="Plan a management review of one or more programs.")
    async def plan_management_review(
        self, info: Info, input: PlanManagementReviewInput
    ) -> ManagementReviewPayload:
        row = await service.plan_review(info.context.db, actor_of(info), _fields(input))
        return _review(row)

    @mutation(description="Change the plan of a review not yet held.")
    async def update_management_review(
        self, info: Info, input: UpdateManagementReviewInput
    ) -> ManagementReviewPayload:
        row = await service.update_review(
            info.context.db, actor_of(info), _review_id(input.id), _fields(input)
        )
        return _review(row)

    @mutation(description="Assemble a planned review's inputs from today's data.")
    async def prepare_management_review(
        self, info: Info, input: PrepareManagementReviewInput
    ) -> ManagementReviewPayload:
        row = await service.prepare_review(info.context.db, actor_of(info), _review_id(input.id))
        return _review(row)

    @mutation(description="Record that the review was held; its inputs are frozen.")
    async def hold_management_review(
        self, info: Info, input: HoldManagementReviewInput
    ) -> ManagementReviewPayload:
        row = await service.hold_review(
            info.context.db, actor_of(info), _review_id(input.id), input.held_on
        )
        return _review(row)

    @mutation(description="Record the discussion of one input.")
    async def record_review_input(
        self, info: Info, input: RecordReviewInputInput
    ) -> ReviewInputPayload:
        row = await service.record_input(
            info.context.db,
            actor_of(info),
            node_uuid(input.input_id, "ReviewInput", "inputId"),
            input.notes,
        )
        return ReviewInputPayload(input=ReviewInput.from_model(row))

    @mutation(description="Add a decision of a held review, as a planning action.")
    async def add_review_output(
        self, info: Info, input: AddReviewOutputInput
    ) -> ReviewOutputPayload:
        program = input.program_id
        review, action = await service.add_output(
            info.context.db,
            actor_of(info),
            _review_id(input.review_id, "reviewId"),
            service.NewOutput(
                kind=input.kind,
                title=input.title,
                owner_id=node_uuid(input.owner_id, "User", "ownerId"),
                due_date=input.due_date,
                description=input.description,
                program_id=node_uuid(program, "Program", "programId") if program else None,
            ),
        )
        [loaded] = as_type(info, "Action", [action])
        return ReviewOutputPayload(review=ManagementReview.from_model(review), action=loaded)

    @mutation(description="The chair signs the held review: it is locked, its actions move on.")
    async def sign_management_review(
        self, info: Info, input: SignManagementReviewInput
    ) -> ManagementReviewPayload:
        row = await service.sign_review(info.context.db, actor_of(info), _review_id(input.id))
        return _review(row)
