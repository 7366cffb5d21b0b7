"""GraphQL types, queries and mutations for training sessions, attendance and competences."""

from __future__ import annotations

import uuid
from datetime import date, datetime
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
from backend.core.changes import KEEP
from backend.programs.api import REQUIREMENTS, program_of, requirement_ref
from backend.programs.service import MAX_LINKED_REQUIREMENTS
from backend.training import models, service
from backend.training.models import SessionStatus as SessionStatusValue
from backend.training.models import TrainingType as TrainingTypeValue

TrainingType = strawberry.enum(TrainingTypeValue, name="TrainingType")
TrainingSessionStatus = strawberry.enum(
    SessionStatusValue,
    name="TrainingSessionStatus",
    description="Planned, then held (not before its date) or cancelled.",
)
EVIDENCE = "EvidenceItem"  # the GraphQL type of evidence items, for their global ids


@strawberry.type(
    description="People in scope and how far they are: attended a held session, passed where a"
    " pass mark applies. Each person counts once per session they are in scope of; cancelled"
    " sessions do not count, planned ones count as not yet trained."
)
class TrainingCompletion:
    job_role: str | None = strawberry.field(description="Null for the total over every role.")
    in_scope: int
    attended: int
    passed: int
    rate: float | None = strawberry.field(
        description="The share trained (attended, and passed where marked); null when nobody"
        " is in scope."
    )

    @classmethod
    def from_counts(cls, counts: service.Completion, job_role: str | None) -> TrainingCompletion:
        return cls(
            job_role=job_role,
            in_scope=counts.in_scope,
            attended=counts.attended,
            passed=counts.passed,
            rate=counts.rate,
        )


@strawberry.type(description="A program's training completion, in total and per job role.")
class ProgramTrainingCompletion:
    overall: TrainingCompletion
    roles: strawberry.Private[list[TrainingCompletion]]

    @strawberry.field(description="Per job role, by name.")
    def by_job_role(
        self, first: Annotated[int | None, strawberry.argument(description=slices.FIRST)] = None
    ) -> list[TrainingCompletion]:
        return slices.first(self.roles, first)


@strawberry.type(description="One person in scope of a training session.")
class Attendance(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.attendance_by_id
    id: relay.NodeID[str]
    person_name: str | None = strawberry.field(description="Someone without an account.")
    job_role: str
    attended: bool
    passed: bool | None = strawberry.field(description="Null where no pass mark applies.")
    certificate_evidence_id: relay.GlobalID | None
    user_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, row: models.Attendance) -> Attendance:
        certificate = row.certificate_evidence_id
        return cls(
            id=str(row.id),
            person_name=row.person_name,
            job_role=row.job_role,
            attended=row.attended,
            passed=row.passed,
            certificate_evidence_id=relay.GlobalID(EVIDENCE, str(certificate))
            if certificate
            else None,
            user_id=row.user_id,
        )

    @strawberry.field(description="The member in scope, when it is one.")
    async def member(self, info: Info) -> User | None:
        user = await info.context.loaders.user.load(self.user_id) if self.user_id else None
        return User.from_model(user) if user else None


@strawberry.type(description="A training session of a program and the people in its scope.")
class TrainingSession(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.sessions_by_id
    id: relay.NodeID[str]
    type: TrainingType  # type: ignore[valid-type]
    topic: str
    held_on: date
    duration_minutes: int
    trainer: str
    status: TrainingSessionStatus  # type: ignore[valid-type]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row: models.TrainingSession) -> TrainingSession:
        return cls(
            id=str(row.id),
            type=TrainingTypeValue(row.type),
            topic=row.topic,
            held_on=row.held_on,
            duration_minutes=row.duration_minutes,
            trainer=row.trainer,
            status=SessionStatusValue(row.status),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(
        description="The requirements it teaches.", metadata=at_most(MAX_LINKED_REQUIREMENTS)
    )
    async def requirements(self, info: Info) -> list[Requirement]:
        loader = info.context.loaders.of(service.requirements_of_sessions)
        return [Requirement.from_model(clause) for clause in await loader.load(uuid.UUID(self.id))]

    @strawberry.field(description="The people in scope, in the order they were added.")
    async def attendance(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=slices.FIRST)] = None,
    ) -> list[Attendance]:
        loader = info.context.loaders.of(service.attendance_of_sessions)
        rows = slices.first(await loader.load(uuid.UUID(self.id)), first)
        return [Attendance.from_model(row) for row in rows]

    @strawberry.field
    async def completion(self, info: Info) -> TrainingCompletion:
        loader = info.context.loaders.of(service.completion_of_sessions)
        return TrainingCompletion.from_counts(await loader.load(uuid.UUID(self.id)), None)


@strawberry.type(description="What people in a job role must be able to do, for a program.")
class CompetenceRequirement(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.competences_by_id
    id: relay.NodeID[str]
    job_role: str
    competence: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row: models.CompetenceRequirement) -> CompetenceRequirement:
        return cls(
            id=str(row.id),
            job_role=row.job_role,
            competence=row.competence,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


# --- queries -------------------------------------------------------------------------------


@strawberry.type
class TrainingQuery:
    @strawberry.field(description="A program's training sessions, oldest first.")
    async def training_sessions(
        self,
        info: Info,
        program_id: relay.GlobalID,
        status: TrainingSessionStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[TrainingSession]:
        program = await program_of(info, program_id)
        statement = service.sessions_statement(program, status)
        keys = (models.TrainingSession.created_at, models.TrainingSession.id)
        page = await paginate(info.context.db, statement, keys, first, after)
        return Connection[TrainingSession].from_page(page, TrainingSession.from_model)

    @strawberry.field(description="How many people in scope are trained, in total and per role.")
    async def training_completion(
        self, info: Info, program_id: relay.GlobalID
    ) -> ProgramTrainingCompletion:
        program = await program_of(info, program_id)
        completion = await service.program_completion(info.context.db, program)
        return ProgramTrainingCompletion(
            overall=TrainingCompletion.from_counts(completion.overall, None),
            roles=[
                TrainingCompletion.from_counts(counts, role)
                for role, counts in completion.by_job_role.items()
            ],
        )

    @strawberry.field(description="A program's competence requirements, by job role.")
    async def competence_requirements(
        self,
        info: Info,
        program_id: relay.GlobalID,
        first: Annotated[int | None, strawberry.argument(description=slices.FIRST)] = None,
    ) -> list[CompetenceRequirement]:
        program = await program_of(info, program_id)
        rows = (await info.context.db.scalars(service.competences_statement(program))).all()
        return [CompetenceRequirement.from_model(row) for row in slices.first(rows, first)]


# --- inputs --------------------------------------------------------------------------------

UPDATES = "Omitted fields keep their value."


@strawberry.input
class CreateTrainingSessionInput:
    program_id: relay.GlobalID
    type: TrainingType  # type: ignore[valid-type]
    topic: str
    held_on: date
    duration_minutes: int = strawberry.field(description="1 to 1440.")
    trainer: str | None = strawberry.UNSET
    status: TrainingSessionStatus | None = strawberry.UNSET  # type: ignore[valid-type]
    requirements: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=REQUIREMENTS
    )


@strawberry.input(description=UPDATES)
class UpdateTrainingSessionInput:
    id: relay.GlobalID
    type: TrainingType | None = strawberry.UNSET  # type: ignore[valid-type]
    topic: str | None = strawberry.UNSET
    held_on: date | None = strawberry.UNSET
    duration_minutes: int | None = strawberry.UNSET
    trainer: str | None = strawberry.UNSET
    status: TrainingSessionStatus | None = strawberry.UNSET  # type: ignore[valid-type]
    requirements: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=REQUIREMENTS
    )


def _session_fields(
    input: CreateTrainingSessionInput | UpdateTrainingSessionInput,
) -> service.SessionFields:
    requirements = given(input.requirements)
    return service.SessionFields(
        type=given(input.type),
        topic=given(input.topic),
        held_on=given(input.held_on),
        duration_minutes=given(input.duration_minutes),
        trainer=given(input.trainer),
        status=given(input.status),
        requirements=(
            requirements
            if requirements is KEEP
            else [requirement_ref(value) for value in requirements]
        ),
    )


@strawberry.input(
    description="Add one person to a session's scope, or change what is recorded about them:"
    " a member (userId) or someone without an account (personName, with a jobRole)."
    " Omitted fields keep their value; null clears passed and the certificate."
)
class RecordAttendanceInput:
    session_id: relay.GlobalID
    user_id: relay.GlobalID | None = None
    person_name: str | None = None
    job_role: str | None = strawberry.UNSET
    attended: bool | None = strawberry.UNSET
    passed: bool | None = strawberry.UNSET
    certificate_evidence_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="An evidence item of the same organization."
    )


def _person(input: RecordAttendanceInput) -> service.Person:
    user_id = node_uuid(input.user_id, "User", "userId") if input.user_id else None
    return service.Person(user_id=user_id, name=input.person_name)


def _attendance_fields(input: RecordAttendanceInput) -> service.AttendanceFields:
    return service.AttendanceFields(
        job_role=given(input.job_role),
        attended=given(input.attended),
        passed=clearable(input.passed),
        certificate_evidence_id=clearable_id(
            input.certificate_evidence_id, EVIDENCE, "certificateEvidenceId"
        ),
    )


@strawberry.input
class RemoveAttendanceInput:
    id: relay.GlobalID


@strawberry.input
class CreateCompetenceRequirementInput:
    program_id: relay.GlobalID
    job_role: str
    competence: str


@strawberry.input(description=UPDATES)
class UpdateCompetenceRequirementInput:
    id: relay.GlobalID
    job_role: str | None = strawberry.UNSET
    competence: str | None = strawberry.UNSET


@strawberry.input
class DeleteCompetenceRequirementInput:
    id: relay.GlobalID


def _competence_fields(
    input: CreateCompetenceRequirementInput | UpdateCompetenceRequirementInput,
) -> service.CompetenceFields:
    return service.CompetenceFields(
        job_role=given(input.job_role), competence=given(input.competence)
    )


# --- payloads ------------------------------------------------------------------------------


@strawberry.type
class TrainingSessionPayload:
    training_session: TrainingSession | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AttendancePayload:
    attendance: Attendance | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoveAttendancePayload:
    removed_attendance_id: relay.GlobalID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CompetenceRequirementPayload:
    competence_requirement: CompetenceRequirement | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteCompetenceRequirementPayload:
    deleted_competence_requirement_id: relay.GlobalID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


# --- mutations -----------------------------------------------------------------------------


@strawberry.type
class TrainingMutation:
    @mutation(description="Plan (or record) a training session of a program.")
    async def create_training_session(
        self, info: Info, input: CreateTrainingSessionInput
    ) -> TrainingSessionPayload:
        row = await service.create_session(
            info.context.db,
            actor_of(info),
            node_uuid(input.program_id, "Program", "programId"),
            _session_fields(input),
        )
        return TrainingSessionPayload(training_session=TrainingSession.from_model(row))

    @mutation(description="Change a session; planned may become held or cancelled.")
    async def update_training_session(
        self, info: Info, input: UpdateTrainingSessionInput
    ) -> TrainingSessionPayload:
        row = await service.update_session(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "TrainingSession", "id"),
            _session_fields(input),
        )
        return TrainingSessionPayload(training_session=TrainingSession.from_model(row))

    @mutation(description="Add or update one person in scope of a session.")
    async def record_attendance(
        self, info: Info, input: RecordAttendanceInput
    ) -> AttendancePayload:
        row = await service.record_attendance(
            info.context.db,
            actor_of(info),
            node_uuid(input.session_id, "TrainingSession", "sessionId"),
            _person(input),
            _attendance_fields(input),
        )
        return AttendancePayload(attendance=Attendance.from_model(row))

    @mutation(description="Take a person out of a session's scope.")
    async def remove_attendance(
        self, info: Info, input: RemoveAttendanceInput
    ) -> RemoveAttendancePayload:
        removed = await service.remove_attendance(
            info.context.db, actor_of(info), node_uuid(input.id, "Attendance", "id")
        )
        return RemoveAttendancePayload(
            removed_attendance_id=relay.GlobalID("Attendance", str(removed))
        )

    @mutation(description="Say what people in a job role must be able to do.")
    async def create_competence_requirement(
        self, info: Info, input: CreateCompetenceRequirementInput
    ) -> CompetenceRequirementPayload:
        row = await service.create_competence(
            info.context.db,
            actor_of(info),
            node_uuid(input.program_id, "Program", "programId"),
            _competence_fields(input),
        )
        return CompetenceRequirementPayload(
            competence_requirement=CompetenceRequirement.from_model(row)
        )

    @mutation()
    async def update_competence_requirement(
        self, info: Info, input: UpdateCompetenceRequirementInput
    ) -> CompetenceRequirementPayload:
        row = await service.update_competence(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "CompetenceRequirement", "id"),
            _competence_fields(input),
        )
        return CompetenceRequirementPayload(
            competence_requirement=CompetenceRequirement.from_model(row)
        )

    @mutation()
    async def delete_competence_requirement(
        self, info: Info, input: DeleteCompetenceRequirementInput
    ) -> DeleteCompetenceRequirementPayload:
        deleted = await service.delete_competence(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "CompetenceRequirement", "id"),
        )
        return DeleteCompetenceRequirementPayload(
            deleted_competence_requirement_id=relay.GlobalID("CompetenceRequirement", str(deleted))
        )
