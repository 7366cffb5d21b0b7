"""GraphQL types, queries and mutations of auditor evidence packages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import relay

from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.errors import UserError
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.inputs import clearable_id, given
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode, node_of_type
from backend.api.pagination import Connection, paginate
from backend.api.tenants import AuditorGrant
from backend.core.changes import KEEP, Change
from backend.core.signing import Signer
from backend.packages import models, queries, service
from backend.packages.models import Include as IncludeValue
from backend.packages.models import ItemKind as ItemKindValue
from backend.packages.models import PackageStatus as PackageStatusValue
from backend.programs.api import Program

if TYPE_CHECKING:  # a type of another area, named lazily (areas import no other's API)
    from backend.certification.api import CertificationAudit

CertificationAuditType = Annotated[
    "CertificationAudit", strawberry.lazy("backend.certification.api")
]

PackageStatus = strawberry.enum(
    PackageStatusValue,
    name="EvidencePackageStatus",
    description="DRAFT while its scope is chosen; FROZEN: immutable, its evidence cannot be"
    " deleted; RELEASED after the audit: still immutable, its evidence deletable again.",
)
PackageInclude = strawberry.enum(
    IncludeValue, name="EvidencePackageInclude", description="A part a package may hold."
)
PackageItemKind = strawberry.enum(ItemKindValue, name="EvidencePackageItemKind")


LISTED_ITEMS = 200  # entries one answer lists (the query cost budget); a package may hold more


@strawberry.type(description="One entry of a frozen package, as its manifest lists it.")
class EvidencePackageItem:
    path: str = strawberry.field(description="Its name inside the ZIP.")
    kind: PackageItemKind  # type: ignore[valid-type]
    record_type: str = strawberry.field(description="What it is: EvidenceVersion, Audit, ...")
    size_bytes: int
    sha256: str

    @classmethod
    def from_model(cls, row: models.PackageItem) -> EvidencePackageItem:
        return cls(
            path=row.path,
            kind=ItemKindValue(row.kind),
            record_type=row.record_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
        )


@strawberry.type(description="What a client gives its auditors: frozen, hashed, downloadable.")
class EvidencePackage(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = queries.packages_by_id
    id: relay.NodeID[str]
    title: str
    status: PackageStatus  # type: ignore[valid-type]
    includes: list[PackageInclude]  # type: ignore[valid-type]
    frozen_at: datetime | None
    released_at: datetime | None
    manifest_sha256: str | None = strawberry.field(
        description="SHA-256 of manifest.json in the ZIP: compare it with the ZIP's own."
    )
    created_at: datetime
    certification_audit_id: strawberry.Private[uuid.UUID | None]
    grant_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, row: models.EvidencePackage) -> EvidencePackage:
        return cls(
            id=str(row.id),
            title=row.title,
            status=PackageStatusValue(row.status),
            includes=[IncludeValue(value) for value in row.includes],
            frozen_at=row.frozen_at,
            released_at=row.released_at,
            manifest_sha256=row.manifest_sha256,
            created_at=row.created_at,
            certification_audit_id=row.certification_audit_id,
            grant_id=row.grant_id,
        )

    @strawberry.field(description="The programs in its scope.", metadata=at_most(10))
    async def programs(self, info: Info) -> list[Program]:
        loader = info.context.loaders.of(queries.programs_of_packages)
        return [Program.from_model(row) for row in await loader.load(uuid.UUID(self.id))]

    @strawberry.field(
        description=f"Its first {LISTED_ITEMS} entries (itemCount says how many it holds; the"
        " manifest in its ZIP lists every one); a draft holds only the reports added to it.",
        metadata=at_most(LISTED_ITEMS),
    )
    async def items(self, info: Info) -> list[EvidencePackageItem]:
        rows = await info.context.loaders.of(queries.items_of_packages).load(uuid.UUID(self.id))
        return [EvidencePackageItem.from_model(row) for row in rows[:LISTED_ITEMS]]

    @strawberry.field(description="How many entries it holds (a draft: its reports).")
    async def item_count(self, info: Info) -> int:
        sizes = info.context.loaders.of(queries.sizes_of_packages)
        count: int = (await sizes.load(uuid.UUID(self.id)))[0]
        return count

    @strawberry.field(description="The bytes of its entries, the ZIP's size give or take headers.")
    async def total_bytes(self, info: Info) -> int:
        sizes = info.context.loaders.of(queries.sizes_of_packages)
        size: int = (await sizes.load(uuid.UUID(self.id)))[1]
        return size

    @strawberry.field(description="The certification audit it is for, if any.")
    async def certification_audit(self, info: Info) -> CertificationAuditType | None:
        if self.certification_audit_id is None:
            return None
        audit: CertificationAuditType | None = await node_of_type(
            info, "CertificationAudit", self.certification_audit_id
        )
        return audit

    @strawberry.field(description="The auditor grant whose auditors it is given to, if any.")
    async def grant(self, info: Info) -> AuditorGrant | None:
        if self.grant_id is None:
            return None
        [found] = await AuditorGrant.resolve_nodes(info=info, node_ids=[str(self.grant_id)])
        grant: AuditorGrant | None = found
        return grant


# --- queries -------------------------------------------------------------------------------


@strawberry.type
class PackageQuery:
    @strawberry.field(
        description="Evidence packages you may read: all of your organizations'; as an"
        " auditor, the frozen ones given to your body's valid grants."
    )
    async def evidence_packages(
        self,
        info: Info,
        *,
        status: PackageStatus | None = None,  # type: ignore[valid-type]
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[EvidencePackage]:
        info.context.require_entitlements()
        where = queries.PackageFilter(status=status, organization=organization_id(organization))
        statement = queries.packages_statement(info.context.db, where)
        keys = (models.EvidencePackage.created_at, models.EvidencePackage.id)
        page = await paginate(info.context.db, statement, keys, first, after)
        return Connection[EvidencePackage].from_page(page, EvidencePackage.from_model)

    @strawberry.field(description="One package; null when it is not yours to read.")
    async def evidence_package(self, info: Info, id: relay.GlobalID) -> EvidencePackage | None:
        info.context.require_entitlements()
        if id.type_name != "EvidencePackage":
            return None
        [found] = await EvidencePackage.resolve_nodes(info=info, node_ids=[id.node_id])
        package: EvidencePackage | None = found
        return package


# --- mutations -----------------------------------------------------------------------------


@strawberry.input
class CreateEvidencePackageInput:
    title: str
    program_ids: list[relay.GlobalID] = strawberry.field(
        description="1 to 10 programs of the organization."
    )
    certification_audit_id: relay.GlobalID | None = None
    grant_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The auditor grant whose auditors may read the package."
    )


@strawberry.input(description="A draft's scope; omitted fields keep their value.")
class UpdateEvidencePackageInput:
    id: relay.GlobalID
    title: str | None = strawberry.UNSET
    program_ids: list[relay.GlobalID] | None = strawberry.UNSET
    requirement_ids: list[relay.GlobalID] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Narrow the programs to these requirements; an empty list: all of them.",
    )
    includes: list[PackageInclude] | None = strawberry.UNSET  # type: ignore[valid-type]
    certification_audit_id: relay.GlobalID | None = strawberry.UNSET
    grant_id: relay.GlobalID | None = strawberry.UNSET


@strawberry.input
class EvidencePackageIdInput:
    id: relay.GlobalID


@strawberry.input(description="A ready report to hand the package's auditors with the rest.")
class AddReportToPackageInput:
    package_id: relay.GlobalID = strawberry.field(description="A draft package.")
    report_id: relay.GlobalID = strawberry.field(
        description="A ready report (PDF or workbook) of the package's organization."
    )


@strawberry.type
class EvidencePackagePayload:
    package: EvidencePackage | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="A short-lived signed link to the package's ZIP.")
class PackageDownloadPayload:
    url: str | None = None
    expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _ids(
    values: list[relay.GlobalID] | None, type_name: str, field: str
) -> Change[Sequence[uuid.UUID]]:
    if values is None or values is strawberry.UNSET:
        return KEEP
    return [node_uuid(value, type_name, field) for value in values]


def _fields(
    input: CreateEvidencePackageInput | UpdateEvidencePackageInput,
) -> service.PackageFields:
    requirements = getattr(input, "requirement_ids", strawberry.UNSET)
    includes = getattr(input, "includes", strawberry.UNSET)
    return service.PackageFields(
        title=given(input.title),
        program_ids=_ids(input.program_ids, "Program", "programIds"),
        requirement_ids=_ids(requirements, "Requirement", "requirementIds"),
        includes=KEEP if includes in (None, strawberry.UNSET) else list(includes),
        certification_audit_id=clearable_id(
            input.certification_audit_id, "CertificationAudit", "certificationAuditId"
        ),
        grant_id=clearable_id(input.grant_id, "AuditorGrant", "grantId"),
    )


def _package_id(value: relay.GlobalID) -> uuid.UUID:
    return node_uuid(value, "EvidencePackage", "id")


def _package(row: models.EvidencePackage) -> EvidencePackagePayload:
    return EvidencePackagePayload(package=EvidencePackage.from_model(row))


@strawberry.type
class PackageMutation:
    @mutation(description="Start a draft evidence package for one or more programs.")
    async def create_evidence_package(
        self, info: Info, input: CreateEvidencePackageInput
    ) -> EvidencePackagePayload:
        row = await service.create_package(info.context.db, actor_of(info), _fields(input))
        return _package(row)

    @mutation(description="Change a draft's scope: programs, requirements, what it includes.")
    async def update_evidence_package(
        self, info: Info, input: UpdateEvidencePackageInput
    ) -> EvidencePackagePayload:
        row = await service.update_package(
            info.context.db, actor_of(info), _package_id(input.id), _fields(input)
        )
        return _package(row)

    @mutation(
        description="Add a ready report to a draft package now, as a file item with the"
        " report's size and SHA-256; the manifest lists it when the package is frozen. A"
        " frozen or released package refuses (LOCKED), a pending report too, and a report"
        " is added once."
    )
    async def add_report_to_package(
        self, info: Info, input: AddReportToPackageInput
    ) -> EvidencePackagePayload:
        row = await service.add_report(
            info.context.db,
            actor_of(info),
            node_uuid(input.package_id, "EvidencePackage", "packageId"),
            node_uuid(input.report_id, "Report", "reportId"),
        )
        return _package(row)

    @mutation(description="Collect the content and fix it: items, manifest and its SHA-256.")
    async def freeze_package(
        self, info: Info, input: EvidencePackageIdInput
    ) -> EvidencePackagePayload:
        row = await service.freeze_package(info.context.db, actor_of(info), _package_id(input.id))
        return _package(row)

    @mutation(description="The audit is over: its evidence may be deleted again.")
    async def release_package(
        self, info: Info, input: EvidencePackageIdInput
    ) -> EvidencePackagePayload:
        row = await service.release_package(info.context.db, actor_of(info), _package_id(input.id))
        return _package(row)

    @mutation(description="A signed link to the frozen package's ZIP; auditors may ask too.")
    async def package_download_url(
        self, info: Info, input: EvidencePackageIdInput
    ) -> PackageDownloadPayload:
        info.context.require_entitlements()
        settings = info.context.runtime.settings
        signed = await service.download_url(
            info.context.db,
            Signer(settings.evidence_signing_secret.get_secret_value()),
            settings.public_url,
            settings.evidence_url_ttl_seconds,
            _package_id(input.id),
        )
        return PackageDownloadPayload(url=signed.url, expires_at=signed.expires_at)
