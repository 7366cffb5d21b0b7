"""GraphQL types, queries and mutations for evidence: signed uploads and downloads, links,
freshness, and the per-requirement view auditors ask for."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import relay

from backend.api import slices
from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.errors import UserError
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode, node_of_type
from backend.api.pagination import Connection, paginate
from backend.api.tenants import User
from backend.catalog import service as catalog_service
from backend.catalog.api import Requirement
from backend.catalog.loader import MAX_NODES
from backend.core.errors import ErrorCode, ServiceError, invalid
from backend.evidence import models, service
from backend.evidence.freshness import Freshness as FreshnessValue
from backend.evidence.freshness import freshness, renewed_on
from backend.evidence.models import EvidenceKind as EvidenceKindValue
from backend.evidence.models import VersionStatus
from backend.evidence.store import EvidenceStore
from backend.programs import service as program_service
from backend.programs.api import Program, ProgramStep, program_of, requirement_ref

if TYPE_CHECKING:  # a type of the planning area, named lazily (areas import no other's API)
    from backend.planning.api import Action

MAX_UPLOAD_HEADERS = 12  # what a store's signed PUT names; S3 names at most nine
EvidenceKind = strawberry.enum(EvidenceKindValue, name="EvidenceKind")
EvidenceVersionStatus = strawberry.enum(
    VersionStatus,
    name="EvidenceVersionStatus",
    description="Pending until the server has checked the stored file; then available or"
    " rejected, for good.",
)
EvidenceFreshness = strawberry.enum(
    FreshnessValue,
    name="EvidenceFreshness",
    description="Derived on every read: stale once valid-until or the review date has passed,"
    " expiring soon within 30 days of either, missing without an available file.",
)


def _store(info: Info) -> EvidenceStore:
    return info.context.runtime.evidence


def _limits(info: Info) -> service.Limits:
    return service.Limits.of(info.context.runtime.settings)


@strawberry.type(description="One immutable file of an evidence item.")
class EvidenceVersion(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.versions_by_id
    id: relay.NodeID[str]
    filename: str
    content_type: str
    size_bytes: int
    sha256: str = strawberry.field(description="Hex SHA-256, checked against the stored file.")
    status: EvidenceVersionStatus  # type: ignore[valid-type]
    rejection_reason: str | None
    created_at: datetime
    upload_expires_at: datetime
    confirmed_at: datetime | None
    evidence_id: strawberry.Private[uuid.UUID]
    uploaded_by_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, version: models.EvidenceVersion) -> EvidenceVersion:
        return cls(
            id=str(version.id),
            filename=version.filename,
            content_type=version.content_type,
            size_bytes=version.size_bytes,
            sha256=version.sha256,
            status=VersionStatus(version.status),
            rejection_reason=version.rejection_reason,
            created_at=version.created_at,
            upload_expires_at=version.upload_expires_at,
            confirmed_at=version.confirmed_at,
            evidence_id=version.evidence_id,
            uploaded_by_id=version.uploaded_by_id,
        )

    @strawberry.field(description="Who requested the upload.")
    async def uploaded_by(self, info: Info) -> User | None:
        return await User.load(info, self.uploaded_by_id)

    @strawberry.field(description="The evidence item it is a file of.")
    async def evidence(self, info: Info) -> EvidenceItem:
        row = await info.context.loaders.of(service.items_by_id).load(self.evidence_id)
        return EvidenceItem.from_model(row)


@strawberry.type(description="A piece of evidence: what it is, the period it covers, its files.")
class EvidenceItem(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.items_by_id
    id: relay.NodeID[str]
    title: str
    description: str
    kind: EvidenceKind  # type: ignore[valid-type]
    period_from: date | None
    period_to: date | None
    collected_at: datetime | None
    valid_until: date | None
    review_interval_days: int | None
    created_at: datetime
    deleted_at: datetime | None = strawberry.field(description="Set once deleted; kept on record.")
    tenant_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, item: models.EvidenceItem) -> EvidenceItem:
        return cls(
            id=str(item.id),
            title=item.title,
            description=item.description,
            kind=EvidenceKindValue(item.kind),
            period_from=item.period_from,
            period_to=item.period_to,
            collected_at=item.collected_at,
            valid_until=item.valid_until,
            review_interval_days=item.review_interval_days,
            created_at=item.created_at,
            deleted_at=item.deleted_at,
            tenant_id=item.tenant_id,
            owner_id=item.owner_id,
        )

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await User.load(info, self.owner_id)

    @strawberry.field(description="The newest versions first, rejected ones included.")
    async def versions(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=slices.FIRST)] = None,
    ) -> list[EvidenceVersion]:
        rows = await info.context.loaders.of(service.versions_of_items).load(uuid.UUID(self.id))
        return [EvidenceVersion.from_model(row) for row in slices.first(rows, first)]

    @strawberry.field(description="The newest available version: the file that counts.")
    async def current_version(self, info: Info) -> EvidenceVersion | None:
        row = await info.context.loaders.of(service.current_versions).load(uuid.UUID(self.id))
        return EvidenceVersion.from_model(row) if row else None

    @strawberry.field(description="What it proves: requirements, steps and actions.")
    async def links(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=slices.FIRST)] = None,
    ) -> list[EvidenceLink]:
        rows = await info.context.loaders.of(service.links_of_items).load(uuid.UUID(self.id))
        return [EvidenceLink.from_model(row) for row in slices.first(rows, first)]

    @strawberry.field
    async def freshness(self, info: Info) -> EvidenceFreshness:  # type: ignore[valid-type]
        current = await info.context.loaders.of(service.current_versions).load(uuid.UUID(self.id))
        day = await info.context.loaders.tenant_day(self.tenant_id)
        renewed = renewed_on(current.confirmed_at, day) if current else None
        return freshness(self.valid_until, self.review_interval_days, renewed, day.today)


@strawberry.type(description="Evidence tied to one requirement, step or action of a program.")
class EvidenceLink(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.links_by_id
    id: relay.NodeID[str]
    evidence_id: strawberry.Private[uuid.UUID]
    program_id: strawberry.Private[uuid.UUID]
    clause_id: strawberry.Private[uuid.UUID | None]
    step_id: strawberry.Private[uuid.UUID | None]
    action_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, link: models.EvidenceLink) -> EvidenceLink:
        return cls(
            id=str(link.id),
            evidence_id=link.evidence_id,
            program_id=link.program_id,
            clause_id=link.clause_id,
            step_id=link.step_id,
            action_id=link.action_id,
        )

    @strawberry.field
    async def evidence(self, info: Info) -> EvidenceItem:
        row = await info.context.loaders.of(service.items_by_id).load(self.evidence_id)
        return EvidenceItem.from_model(row)

    @strawberry.field
    async def program(self, info: Info) -> Program:
        row = await info.context.loaders.of(program_service.programs_by_id).load(self.program_id)
        return Program.from_model(row)

    @strawberry.field
    async def requirement(self, info: Info) -> Requirement | None:
        if self.clause_id is None:
            return None
        row = await info.context.loaders.of(catalog_service.clauses_by_id).load(self.clause_id)
        return Requirement.from_model(row) if row else None

    @strawberry.field
    async def step(self, info: Info) -> ProgramStep | None:
        if self.step_id is None:
            return None
        row = await info.context.loaders.of(program_service.steps_by_id).load(self.step_id)
        return ProgramStep.from_model(row) if row else None

    @strawberry.field
    async def action(
        self, info: Info
    ) -> Annotated[Action, strawberry.lazy("backend.planning.api")] | None:
        if self.action_id is None:
            return None
        action: Action | None = await node_of_type(info, "Action", self.action_id)
        return action


@strawberry.type(description="Evidence behind a requirement, with the file that counts.")
class CurrentEvidence:
    evidence: EvidenceItem
    version: EvidenceVersion = strawberry.field(description="Its checksum, uploader and times.")
    freshness: EvidenceFreshness  # type: ignore[valid-type]


@strawberry.type(description="One requirement of a program and the evidence that proves it.")
class RequirementEvidence:
    requirement: Requirement
    number: str
    title: str
    expects_evidence: bool = strawberry.field(
        description="The standard demands documented information for it."
    )
    freshness: EvidenceFreshness  # type: ignore[valid-type]
    flagged: bool = strawberry.field(
        description="It expects evidence and none is current (expiring soon still counts)."
    )
    current: strawberry.Private[list[CurrentEvidence]]

    @strawberry.field(description="Its current evidence.")
    def evidence(
        self,
        first: Annotated[
            int, strawberry.argument(description=slices.NESTED_FIRST)
        ] = slices.NESTED_PAGE,
    ) -> list[CurrentEvidence]:
        return slices.first(self.current, first)

    @classmethod
    def from_result(cls, result: service.RequirementEvidence) -> RequirementEvidence:
        return cls(
            requirement=Requirement.from_model(result.clause),
            number=result.clause.number,
            title=result.clause.title,
            expects_evidence=result.expects_evidence,
            freshness=result.freshness,
            flagged=result.flagged,
            current=[
                CurrentEvidence(
                    evidence=EvidenceItem.from_model(entry.item),
                    version=EvidenceVersion.from_model(entry.version),
                    freshness=entry.freshness,
                )
                for entry in result.evidence
            ],
        )


# --- queries -------------------------------------------------------------------------------


@strawberry.type
class EvidenceQuery:
    @strawberry.field(description="Live evidence linked to a program, oldest first.")
    async def evidence(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID,
        requirement: Annotated[
            str | None,
            strawberry.argument(
                description='Only evidence of this requirement: its number ("7.2") or id.'
            ),
        ] = None,
        kind: EvidenceKind | None = None,  # type: ignore[valid-type]
        freshness: EvidenceFreshness | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[EvidenceItem]:
        program = await program_of(info, program_id)
        where = service.EvidenceFilter(
            requirement=requirement_ref(requirement) if requirement is not None else None,
            kind=kind.value if kind is not None else None,
            freshness=freshness,
        )
        day = await info.context.loaders.tenant_day(program.tenant_id)
        statement = service.evidence_statement(program, where, day.today)
        keys = (models.EvidenceItem.created_at, models.EvidenceItem.id)
        page = await paginate(info.context.db, statement, keys, first, after)
        return Connection[EvidenceItem].from_page(page, EvidenceItem.from_model)

    @strawberry.field(
        description="Every requirement of a program with its current evidence: version,"
        " checksum, who uploaded it and when.",
        metadata=at_most(MAX_NODES),
    )
    async def requirement_evidence(
        self, info: Info, program_id: relay.GlobalID
    ) -> list[RequirementEvidence]:
        program = await program_of(info, program_id)
        day = await info.context.loaders.tenant_day(program.tenant_id)
        results = await service.requirement_evidence(info.context.db, program, day)
        return [RequirementEvidence.from_result(result) for result in results]


# --- mutations -----------------------------------------------------------------------------


@strawberry.input(description="The fields of a new evidence item.")
class NewEvidenceInput:
    title: str
    kind: EvidenceKind  # type: ignore[valid-type]
    description: str = ""
    owner_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A member of the organization."
    )
    period_from: date | None = None
    period_to: date | None = None
    collected_at: datetime | None = None
    valid_until: date | None = None
    review_interval_days: int | None = None

    def fields(self) -> service.NewItem:
        return service.NewItem(
            title=self.title,
            kind=EvidenceKindValue(self.kind).value,
            description=self.description,
            owner_id=node_uuid(self.owner_id, "User", "ownerId") if self.owner_id else None,
            period_from=self.period_from,
            period_to=self.period_to,
            collected_at=self.collected_at,
            valid_until=self.valid_until,
            review_interval_days=self.review_interval_days,
        )


@strawberry.input(
    description="A new version of existing evidence (evidenceId) or new evidence (newEvidence)."
)
class RequestEvidenceUploadInput:
    filename: str
    content_type: str
    size: int = strawberry.field(description="Exact length in bytes.")
    sha256: str = strawberry.field(description="Hex SHA-256 of the exact bytes.")
    evidence_id: relay.GlobalID | None = None
    new_evidence: NewEvidenceInput | None = None

    def target(self) -> uuid.UUID | service.NewItem:
        if self.evidence_id is not None and self.new_evidence is None:
            return node_uuid(self.evidence_id, "EvidenceItem", "evidenceId")
        if self.new_evidence is not None and self.evidence_id is None:
            return self.new_evidence.fields()
        raise invalid("Give either evidenceId or newEvidence.", ["evidenceId"])


@strawberry.type(description="How to send the bytes: one request with exactly these headers.")
class HttpHeader:
    name: str
    value: str


@strawberry.type
class UploadTicket:
    url: str
    method: str
    headers: list[HttpHeader] = strawberry.field(metadata=at_most(MAX_UPLOAD_HEADERS))
    expires_at: datetime


@strawberry.type
class RequestEvidenceUploadPayload:
    version: EvidenceVersion | None = None
    ticket: UploadTicket | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ConfirmEvidenceUploadInput:
    version_id: relay.GlobalID

    def version(self) -> uuid.UUID:
        return node_uuid(self.version_id, "EvidenceVersion", "versionId")


@strawberry.type(
    description="On a rejection, `version` shows it (status and reason) next to the error."
)
class EvidenceVersionPayload:
    version: EvidenceVersion | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class EvidenceDownloadUrlInput:
    version_id: relay.GlobalID


@strawberry.type(description="A short-lived signed link; the download is recorded.")
class EvidenceDownloadPayload:
    url: str | None = None
    expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Name exactly one of requirement, stepId or actionId.")
class LinkEvidenceInput:
    evidence_id: relay.GlobalID
    program_id: relay.GlobalID
    requirement: str | None = strawberry.field(
        default=None, description='A requirement of the program\'s standard: number ("7.2") or id.'
    )
    step_id: relay.GlobalID | None = None
    action_id: relay.GlobalID | None = None

    def target(self) -> service.LinkTarget:
        return service.LinkTarget(
            program_id=node_uuid(self.program_id, "Program", "programId"),
            requirement=requirement_ref(self.requirement) if self.requirement else None,
            step_id=node_uuid(self.step_id, "ProgramStep", "stepId") if self.step_id else None,
            action_id=node_uuid(self.action_id, "Action", "actionId") if self.action_id else None,
        )


@strawberry.type
class EvidenceLinkPayload:
    link: EvidenceLink | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UnlinkEvidenceInput:
    link_id: relay.GlobalID


@strawberry.type
class UnlinkEvidencePayload:
    unlinked_id: relay.GlobalID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteEvidenceInput:
    id: relay.GlobalID


@strawberry.type
class EvidenceItemPayload:
    evidence: EvidenceItem | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _ticket(requested: service.RequestedUpload) -> UploadTicket:
    return UploadTicket(
        url=requested.ticket.url,
        method=requested.ticket.method,
        headers=[HttpHeader(name=k, value=v) for k, v in requested.ticket.headers.items()],
        expires_at=requested.version.upload_expires_at,
    )


@strawberry.type
class EvidenceMutation:
    @mutation(
        description="Get a signed upload for a file; the bytes go to the URL, not through here."
    )
    async def request_evidence_upload(
        self, info: Info, input: RequestEvidenceUploadInput
    ) -> RequestEvidenceUploadPayload:
        declared = service.FileDeclaration(
            input.filename, input.content_type, input.size, input.sha256
        )
        requested = await service.request_upload(
            info.context.db,
            _store(info),
            _limits(info),
            actor_of(info),
            target=input.target(),
            declared=declared,
        )
        return RequestEvidenceUploadPayload(
            version=EvidenceVersion.from_model(requested.version), ticket=_ticket(requested)
        )

    @mutation(description="After uploading: the server checks the stored file's size and SHA-256.")
    async def confirm_evidence_upload(
        self, info: Info, input: ConfirmEvidenceUploadInput
    ) -> EvidenceVersionPayload:
        try:
            row = await service.confirm_upload(
                info.context.db, _store(info), actor_of(info), input.version()
            )
        except ServiceError as error:
            if error.code != ErrorCode.UPLOAD_REJECTED:
                raise
            # The rejection is committed: show it next to the error.
            rejected = await info.context.loaders.of(service.versions_by_id).load(input.version())
            return EvidenceVersionPayload(
                version=EvidenceVersion.from_model(rejected) if rejected else None,
                errors=[UserError.from_service(error)],
            )
        return EvidenceVersionPayload(version=EvidenceVersion.from_model(row))

    @mutation(description="A signed download link for an available version; auditors may ask too.")
    async def evidence_download_url(
        self, info: Info, input: EvidenceDownloadUrlInput
    ) -> EvidenceDownloadPayload:
        signed = await service.download_url(
            info.context.db,
            _store(info),
            _limits(info),
            info.context.user_id,
            node_uuid(input.version_id, "EvidenceVersion", "versionId"),
        )
        return EvidenceDownloadPayload(url=signed.url, expires_at=signed.expires_at)

    @mutation(description="Tie evidence to a requirement, step or action it proves.")
    async def link_evidence(self, info: Info, input: LinkEvidenceInput) -> EvidenceLinkPayload:
        row = await service.link_evidence(
            info.context.db,
            actor_of(info),
            node_uuid(input.evidence_id, "EvidenceItem", "evidenceId"),
            input.target(),
        )
        return EvidenceLinkPayload(link=EvidenceLink.from_model(row))

    @mutation()
    async def unlink_evidence(
        self, info: Info, input: UnlinkEvidenceInput
    ) -> UnlinkEvidencePayload:
        link_id = node_uuid(input.link_id, "EvidenceLink", "linkId")
        await service.unlink_evidence(info.context.db, actor_of(info), link_id)
        return UnlinkEvidencePayload(unlinked_id=input.link_id)

    @mutation(description="Hide evidence from lists; its files stay on record.")
    async def delete_evidence(self, info: Info, input: DeleteEvidenceInput) -> EvidenceItemPayload:
        row = await service.delete_evidence(
            info.context.db, actor_of(info), node_uuid(input.id, "EvidenceItem", "id")
        )
        return EvidenceItemPayload(evidence=EvidenceItem.from_model(row))
