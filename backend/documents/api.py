"""GraphQL types, queries and mutations for controlled documents and the mandatory-documents
checklist."""

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
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.inputs import clearable_id, given
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode
from backend.api.pagination import Connection, paginate
from backend.api.tenants import User
from backend.catalog.api import Requirement
from backend.catalog.loader import MAX_NODES
from backend.documents import models, review, service
from backend.documents.models import DocumentStatus as DocumentStatusValue
from backend.documents.models import DocumentType as DocumentTypeValue
from backend.programs.api import Program, program_of, requirement_ref
from backend.programs.service import RequirementRef, programs_by_id

DocumentType = strawberry.enum(DocumentTypeValue, name="DocumentType")
DocumentStatus = strawberry.enum(
    DocumentStatusValue,
    name="DocumentStatus",
    description="DRAFT -> IN_REVIEW -> APPROVED -> OBSOLETE; IN_REVIEW -> DRAFT when changes"
    " are requested; a new version puts an APPROVED document back in DRAFT.",
)
Coverage = strawberry.enum(
    service.Coverage,
    name="DocumentCoverage",
    description="Whether a mandatory item is covered by an approved, in-date document, or why not.",
)


@strawberry.type(description="One version of a controlled document: its file and its approval.")
class DocumentVersion(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.versions_by_id
    id: relay.NodeID[str]
    number: int
    change_summary: str
    approved_at: datetime | None
    created_at: datetime
    file: relay.GlobalID | None = strawberry.field(
        description="The evidence version holding the file (an EvidenceVersion id)."
    )
    author_id: strawberry.Private[uuid.UUID | None]
    approver_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, version: models.DocumentVersion) -> DocumentVersion:
        evidence = version.evidence_version_id
        return cls(
            id=str(version.id),
            number=version.number,
            change_summary=version.change_summary,
            approved_at=version.approved_at,
            created_at=version.created_at,
            file=relay.GlobalID("EvidenceVersion", str(evidence)) if evidence else None,
            author_id=version.author_id,
            approver_id=version.approver_id,
        )

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        return await User.load(info, self.author_id)

    @strawberry.field
    async def approver(self, info: Info) -> User | None:
        return await User.load(info, self.approver_id)


@strawberry.type(description="A requirement of a program that a document serves.")
class DocumentRequirement:
    requirement: Requirement
    program_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def program(self, info: Info) -> Program | None:
        row = await info.context.loaders.of(programs_by_id).load(self.program_id)
        return Program.from_model(row) if row else None


@strawberry.type(description="Documented information under change control.")
class ControlledDocument(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.documents_by_id
    id: relay.NodeID[str]
    type: DocumentType  # type: ignore[valid-type]
    code: str = strawberry.field(description="The organization's own reference, unique in it.")
    title: str
    status: DocumentStatus  # type: ignore[valid-type]
    review_interval_days: int
    approved_at: datetime | None = strawberry.field(
        description="When the version in force was approved; the review clock starts here."
    )
    created_at: datetime
    updated_at: datetime
    owner_id: strawberry.Private[uuid.UUID | None]
    tenant_id: strawberry.Private[uuid.UUID]
    model: strawberry.Private[models.ControlledDocument]

    @classmethod
    def from_model(cls, document: models.ControlledDocument) -> ControlledDocument:
        return cls(
            id=str(document.id),
            type=DocumentTypeValue(document.type),
            code=document.code,
            title=document.title,
            status=DocumentStatusValue(document.status),
            review_interval_days=document.review_interval_days,
            approved_at=document.approved_at,
            created_at=document.created_at,
            updated_at=document.updated_at,
            owner_id=document.owner_id,
            tenant_id=document.tenant_id,
            model=document,
        )

    @strawberry.field(
        description="The day the version in force must be reviewed by: the interval counted"
        " from the organization's date of the approval."
    )
    async def next_review_on(self, info: Info) -> date | None:
        return review.next_review_on(
            self.model, await info.context.loaders.tenant_day(self.tenant_id)
        )

    @strawberry.field(description="The version in force is past its review.")
    async def review_due(self, info: Info) -> bool:
        return review.is_review_due(
            self.model, await info.context.loaders.tenant_day(self.tenant_id)
        )

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await User.load(info, self.owner_id)

    @strawberry.field(description="The newest versions first.")
    async def versions(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=slices.FIRST)] = None,
    ) -> list[DocumentVersion]:
        rows = slices.first(await self._versions(info), first)
        return [DocumentVersion.from_model(row) for row in rows]

    @strawberry.field(description="The latest approved version: the one in force.")
    async def current_version(self, info: Info) -> DocumentVersion | None:
        if self.status == DocumentStatusValue.OBSOLETE:
            return None
        approved = [row for row in await self._versions(info) if row.approved_at is not None]
        return DocumentVersion.from_model(approved[0]) if approved else None

    @strawberry.field(
        description="The program requirements it serves.",
        metadata=at_most(service.MAX_REQUIREMENTS),
    )
    async def requirements(self, info: Info) -> list[DocumentRequirement]:
        loader = info.context.loaders.of(service.requirements_of_documents)
        return [
            DocumentRequirement(requirement=Requirement.from_model(clause), program_id=program_id)
            for program_id, clause in await loader.load(uuid.UUID(self.id))
        ]

    async def _versions(self, info: Info) -> list[models.DocumentVersion]:
        loader = info.context.loaders.of(service.versions_of_documents)
        versions: list[models.DocumentVersion] = await loader.load(uuid.UUID(self.id))
        return versions


@strawberry.type(description="A clause that asks for documented information, and what covers it.")
class MandatoryDocument:
    requirement: Requirement
    coverage: Coverage  # type: ignore[valid-type]
    linked: strawberry.Private[list[ControlledDocument]]

    @strawberry.field(description="The documents linked to it in this program.")
    def documents(
        self,
        first: Annotated[
            int, strawberry.argument(description=slices.NESTED_FIRST)
        ] = slices.NESTED_PAGE,
    ) -> list[ControlledDocument]:
        return slices.first(self.linked, first)

    @strawberry.field(description="An approved document covers it and is not past its review.")
    def covered(self) -> bool:
        return self.coverage == service.Coverage.COVERED


# --- queries -------------------------------------------------------------------------------


@strawberry.type
class DocumentQuery:
    @strawberry.field(description="The controlled documents you may read, by code.")
    async def documents(
        self,
        info: Info,
        *,
        status: DocumentStatus | None = None,  # type: ignore[valid-type]
        type: DocumentType | None = None,  # type: ignore[valid-type]
        review_due: bool | None = None,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ControlledDocument]:
        info.context.require_entitlements()
        where = service.DocumentFilter(
            status=status,
            type=type,
            review_due=review_due,
            organization=organization_id(organization),
        )
        statement = service.documents_statement(where)
        keys = (models.ControlledDocument.code, models.ControlledDocument.id)
        page = await paginate(info.context.db, statement, keys, first, after)
        return Connection[ControlledDocument].from_page(page, ControlledDocument.from_model)

    @strawberry.field(
        description="The checklist of documented information the program's standard asks for.",
        metadata=at_most(MAX_NODES),
    )
    async def mandatory_documents(
        self, info: Info, program_id: relay.GlobalID
    ) -> list[MandatoryDocument]:
        program = await program_of(info, program_id)
        day = await info.context.loaders.tenant_day(program.tenant_id)
        items = await service.mandatory_documents(info.context.db, program, day)
        return [
            MandatoryDocument(
                requirement=Requirement.from_model(item.clause),
                linked=[ControlledDocument.from_model(row) for row in item.documents],
                coverage=item.coverage,
            )
            for item in items
        ]


# --- mutations -----------------------------------------------------------------------------


@strawberry.input
class CreateDocumentInput:
    type: DocumentType  # type: ignore[valid-type]
    code: str
    title: str
    owner_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A member of the organization."
    )
    review_interval_days: int = strawberry.field(
        default=service.DEFAULT_REVIEW_DAYS, description="1 to 3650 days."
    )


@strawberry.input(description="Omitted fields keep their value; a null owner clears it.")
class UpdateDocumentInput:
    id: relay.GlobalID
    type: DocumentType | None = strawberry.UNSET  # type: ignore[valid-type]
    code: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    owner_id: relay.GlobalID | None = strawberry.UNSET
    review_interval_days: int | None = strawberry.UNSET


@strawberry.input
class AddDocumentVersionInput:
    document_id: relay.GlobalID
    change_summary: str = ""
    evidence_version_id: relay.GlobalID | None = strawberry.field(
        default=None, description="An available evidence version of the same organization."
    )


@strawberry.input(description="The document to move along its lifecycle.")
class DocumentLifecycleInput:
    id: relay.GlobalID


@strawberry.input
class DocumentRequirementInput:
    document_id: relay.GlobalID
    program_id: relay.GlobalID = strawberry.field(description="A program of the same organization.")
    requirement: str = strawberry.field(
        description='A requirement of the program\'s standard: its number ("7.5.1") or id.'
    )


@strawberry.type
class DocumentPayload:
    document: ControlledDocument | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DocumentVersionPayload:
    document: ControlledDocument | None = None
    version: DocumentVersion | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _fields(input: UpdateDocumentInput) -> service.DocumentFields:
    return service.DocumentFields(
        type=given(input.type),
        code=given(input.code),
        title=given(input.title),
        owner_id=clearable_id(input.owner_id, "User", "ownerId"),
        review_interval_days=given(input.review_interval_days),
    )


def _answer(document: models.ControlledDocument) -> DocumentPayload:
    return DocumentPayload(document=ControlledDocument.from_model(document))


def _id(value: relay.GlobalID, field: str = "id") -> uuid.UUID:
    return node_uuid(value, "ControlledDocument", field)


@strawberry.type
class DocumentMutation:
    @mutation(description="Start a controlled document, as a draft without versions.")
    async def create_document(self, info: Info, input: CreateDocumentInput) -> DocumentPayload:
        fields = service.DocumentFields(
            type=DocumentTypeValue(input.type),
            code=input.code,
            title=input.title,
            owner_id=node_uuid(input.owner_id, "User", "ownerId") if input.owner_id else None,
            review_interval_days=input.review_interval_days,
        )
        return _answer(await service.create_document(info.context.db, actor_of(info), fields))

    @mutation()
    async def update_document(self, info: Info, input: UpdateDocumentInput) -> DocumentPayload:
        row = await service.update_document(
            info.context.db, actor_of(info), _id(input.id), _fields(input)
        )
        return _answer(row)

    @mutation(
        description="Add the next version, written by you. On an APPROVED document this starts a"
        " revision: the document returns to DRAFT and the approved version stays in force."
    )
    async def add_document_version(
        self, info: Info, input: AddDocumentVersionInput
    ) -> DocumentVersionPayload:
        evidence = input.evidence_version_id
        document, version = await service.add_version(
            info.context.db,
            actor_of(info),
            _id(input.document_id, "documentId"),
            input.change_summary,
            node_uuid(evidence, "EvidenceVersion", "evidenceVersionId") if evidence else None,
        )
        return DocumentVersionPayload(
            document=ControlledDocument.from_model(document),
            version=DocumentVersion.from_model(version),
        )

    @mutation(description="DRAFT -> IN_REVIEW: put the latest version up for approval.")
    async def submit_document_for_review(
        self, info: Info, input: DocumentLifecycleInput
    ) -> DocumentPayload:
        row = await service.submit_for_review(info.context.db, actor_of(info), _id(input.id))
        return _answer(row)

    @mutation(
        description="IN_REVIEW -> APPROVED, by a manager or above who did not write the version."
    )
    async def approve_document(self, info: Info, input: DocumentLifecycleInput) -> DocumentPayload:
        row = await service.approve(info.context.db, actor_of(info), _id(input.id))
        return _answer(row)

    @mutation(description="IN_REVIEW -> DRAFT, by a manager or above.")
    async def request_document_changes(
        self, info: Info, input: DocumentLifecycleInput
    ) -> DocumentPayload:
        row = await service.request_changes(info.context.db, actor_of(info), _id(input.id))
        return _answer(row)

    @mutation(description="Withdraw a document for good, by a manager or above.")
    async def obsolete_document(self, info: Info, input: DocumentLifecycleInput) -> DocumentPayload:
        row = await service.make_obsolete(info.context.db, actor_of(info), _id(input.id))
        return _answer(row)

    @mutation(description="The document serves a requirement of a program.")
    async def link_document_requirement(
        self, info: Info, input: DocumentRequirementInput
    ) -> DocumentPayload:
        row = await service.link_requirement(info.context.db, actor_of(info), *_link(input))
        return _answer(row)

    @mutation()
    async def unlink_document_requirement(
        self, info: Info, input: DocumentRequirementInput
    ) -> DocumentPayload:
        row = await service.unlink_requirement(info.context.db, actor_of(info), *_link(input))
        return _answer(row)


def _link(input: DocumentRequirementInput) -> tuple[uuid.UUID, uuid.UUID, RequirementRef]:
    return (
        _id(input.document_id, "documentId"),
        node_uuid(input.program_id, "Program", "programId"),
        requirement_ref(input.requirement),
    )
