"""GraphQL types, queries and mutations of reports and spreadsheet exports."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import relay

from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.errors import MAX_USER_ERRORS, UserError
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode, node_of_type
from backend.api.pagination import Connection, paginate
from backend.api.tenants import User
from backend.core.errors import invalid
from backend.core.signing import Signer
from backend.db.batch import by_id
from backend.programs import service as program_service
from backend.programs.api import Program
from backend.reports import imports, models, service
from backend.reports.models import ReportFormat as ReportFormatValue
from backend.reports.models import ReportKind as ReportKindValue
from backend.reports.models import ReportStatus as ReportStatusValue

if TYPE_CHECKING:  # types of other areas, named lazily (areas import no other's API)
    from backend.audits.api import Audit
    from backend.reviews.api import ManagementReview

AuditType = Annotated["Audit", strawberry.lazy("backend.audits.api")]
ReviewType = Annotated["ManagementReview", strawberry.lazy("backend.reviews.api")]

ReportKind = strawberry.enum(
    ReportKindValue,
    name="ReportKind",
    description="GAP_ANALYSIS, STATEMENT_OF_APPLICABILITY, FINDINGS, ACTION_PLAN and REGISTERS"
    " are spreadsheets (exportSpreadsheet); READINESS, STATEMENT_OF_APPLICABILITY,"
    " INTERNAL_AUDIT (of an audit) and MANAGEMENT_REVIEW (its minutes) are PDF reports"
    " (generateReport).",
)
ReportFormat = strawberry.enum(ReportFormatValue, name="ReportFormat")
ReportStatus = strawberry.enum(
    ReportStatusValue,
    name="ReportStatus",
    description="PENDING while a job renders it, then READY (downloadable) or FAILED.",
)


@strawberry.type(description="A rendered report or export: an immutable file with its SHA-256.")
class Report(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = by_id(models.Report)
    id: relay.NodeID[str]
    kind: ReportKind  # type: ignore[valid-type]
    format: ReportFormat  # type: ignore[valid-type]
    status: ReportStatus  # type: ignore[valid-type]
    filename: str
    size_bytes: int | None = strawberry.field(description="Null until ready.")
    sha256: str | None = strawberry.field(description="Hex SHA-256 of the file; null until ready.")
    pages: int | None = strawberry.field(description="Pages of a PDF, sheets of a workbook.")
    render_ms: int | None = strawberry.field(description="How long rendering took.")
    failure: str = strawberry.field(description="Why rendering failed; empty otherwise.")
    created_at: datetime
    finished_at: datetime | None
    program_id: strawberry.Private[uuid.UUID]
    program_ids: strawberry.Private[list[uuid.UUID]]
    audit_id: strawberry.Private[uuid.UUID | None]
    review_id: strawberry.Private[uuid.UUID | None]
    requested_by_id: strawberry.Private[uuid.UUID | None]
    row: strawberry.Private[models.Report]

    @classmethod
    def from_model(cls, row: models.Report) -> Report:
        return cls(
            id=str(row.id),
            kind=ReportKindValue(row.kind),
            format=ReportFormatValue(row.format),
            status=ReportStatusValue(row.status),
            filename=row.filename,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            pages=row.pages,
            render_ms=row.render_ms,
            failure=row.failure,
            created_at=row.created_at,
            finished_at=row.finished_at,
            program_id=row.program_id,
            program_ids=list(row.program_ids),
            audit_id=row.audit_id,
            review_id=row.review_id,
            requested_by_id=row.requested_by_id,
            row=row,
        )

    @strawberry.field(description="A short-lived signed GET of the file; null until ready.")
    def download_url(self, info: Info) -> str | None:
        settings = info.context.runtime.settings
        signer = Signer(settings.evidence_signing_secret.get_secret_value())
        ttl = settings.evidence_url_ttl_seconds
        return service.download_url(signer, settings.public_url, self.row, ttl)

    @strawberry.field(description="Its program: the first, when it covers several.")
    async def program(self, info: Info) -> Program:
        row = await info.context.loaders.of(program_service.programs_by_id).load(self.program_id)
        return Program.from_model(row)

    @strawberry.field(
        description="Every program it covers: several for an integrated readiness report.",
        metadata=at_most(service.MAX_PROGRAMS),
    )
    async def programs(self, info: Info) -> list[Program]:
        loader = info.context.loaders.of(program_service.programs_by_id)
        rows = await loader.load_many(self.program_ids)
        return [Program.from_model(row) for row in rows if row is not None]

    @strawberry.field(description="The internal audit an INTERNAL_AUDIT report is of.")
    async def audit(self, info: Info) -> AuditType | None:
        if self.audit_id is None:
            return None
        audit: AuditType | None = await node_of_type(info, "Audit", self.audit_id)
        return audit

    @strawberry.field(description="The management review a MANAGEMENT_REVIEW report is of.")
    async def review(self, info: Info) -> ReviewType | None:
        if self.review_id is None:
            return None
        review: ReviewType | None = await node_of_type(info, "ManagementReview", self.review_id)
        return review

    @strawberry.field
    async def requested_by(self, info: Info) -> User | None:
        return await User.load(info, self.requested_by_id)


# --- queries -------------------------------------------------------------------------------


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description="Reports of the organizations you read, newest first; with programId,"
        " those covering the program (integrated readiness reports too)."
    )
    async def reports(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID | None = None,
        kind: ReportKind | None = None,  # type: ignore[valid-type]
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Report]:
        info.context.require_entitlements()
        program = None if program_id is None else node_uuid(program_id, "Program", "programId")
        statement = service.reports_statement(program, kind, organization_id(organization))
        keys = (models.Report.created_at, models.Report.id)
        page = await paginate(info.context.db, statement, keys, first, after, descending=True)
        return Connection[Report].from_page(page, Report.from_model)

    @strawberry.field(description="One report; null when it is not yours to read.")
    async def report(self, info: Info, id: relay.GlobalID) -> Report | None:
        info.context.require_entitlements()
        if id.type_name != "Report":
            return None
        [found] = await Report.resolve_nodes(info=info, node_ids=[id.node_id])
        report: Report | None = found
        return report


# --- mutations -----------------------------------------------------------------------------


@strawberry.input(description="Which workbook of which program.")
class ExportSpreadsheetInput:
    kind: ReportKind  # type: ignore[valid-type]
    program_id: relay.GlobalID


@strawberry.type
class ReportPayload:
    report: Report | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(
    description="Which PDF report of what: exactly one subject, one its kind is of"
    " (INTERNAL_AUDIT an audit, MANAGEMENT_REVIEW a review, READINESS a program or the"
    " programs of an integrated system, STATEMENT_OF_APPLICABILITY a program)."
)
class GenerateReportInput:
    kind: ReportKind  # type: ignore[valid-type]
    program_id: relay.GlobalID | None = None
    program_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None,
        description="READINESS of an integrated management system: 1 to 10 programs of the"
        " organization, a chapter each, in this order.",
    )
    audit_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The internal audit of an INTERNAL_AUDIT report."
    )
    review_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The management review of a MANAGEMENT_REVIEW report."
    )

    def subject(self) -> service.Subject:
        return service.Subject(
            program_id=_optional(self.program_id, "Program", "programId"),
            program_ids=None
            if self.program_ids is None
            else [node_uuid(value, "Program", "programIds") for value in self.program_ids],
            audit_id=_optional(self.audit_id, "Audit", "auditId"),
            review_id=_optional(self.review_id, "ManagementReview", "reviewId"),
        )


def _optional(value: relay.GlobalID | None, type_name: str, field: str) -> uuid.UUID | None:
    return None if value is None else node_uuid(value, type_name, field)


@strawberry.input(description="A gap analysis sheet, as exportSpreadsheet wrote it, edited.")
class ImportGapAnalysisInput:
    program_id: relay.GlobalID
    workbook: str = strawberry.field(description="The .xlsx file, base64-encoded (at most 5 MiB).")


@strawberry.type(description="A problem of one cell of an imported sheet.")
class ImportProblem:
    row: int = strawberry.field(description="The row number the spreadsheet shows.")
    column: str = strawberry.field(description="The header of the column.")
    message: str


@strawberry.type
class ImportGapAnalysisPayload:
    program: Program | None = None
    rows: int | None = strawberry.field(default=None, description="Rows applied.")
    errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.field(
        description="The errors that concern one cell, by row and column.",
        metadata=at_most(MAX_USER_ERRORS),
    )
    def problems(self) -> list[ImportProblem]:
        return [
            ImportProblem(row=int(error.field[1]), column=error.field[2], message=error.message)
            for error in self.errors
            if len(error.field) == 3 and error.field[0] == "rows"
        ]


def _decoded(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("The workbook is not valid base64.", ["workbook"]) from None


@strawberry.type
class ReportMutation:
    @mutation(
        description="Render a program's workbook now (one sheet per kind of row, typed cells,"
        " frozen and filtered header) and store it as a ready report to download."
    )
    async def export_spreadsheet(self, info: Info, input: ExportSpreadsheetInput) -> ReportPayload:
        program_id = node_uuid(input.program_id, "Program", "programId")
        row = await service.export_spreadsheet(
            info.context.db, actor_of(info), ReportKindValue(input.kind), program_id
        )
        return ReportPayload(report=Report.from_model(row))

    @mutation(
        description="Queue a PDF report of a program, an integrated system, an internal audit or"
        " a management review; a job renders it (seconds). Follow it with report(id):"
        " PENDING, then READY with its download URL."
    )
    async def generate_report(self, info: Info, input: GenerateReportInput) -> ReportPayload:
        row = await service.generate_report(
            info.context.db, actor_of(info), ReportKindValue(input.kind), input.subject()
        )
        return ReportPayload(report=Report.from_model(row))

    @mutation(
        description="Assess a program's requirements from its edited gap analysis sheet: every"
        " row is checked and nothing is applied while any row has a problem."
    )
    async def import_gap_analysis(
        self, info: Info, input: ImportGapAnalysisInput
    ) -> ImportGapAnalysisPayload:
        program_id = node_uuid(input.program_id, "Program", "programId")
        content = _decoded(input.workbook)
        db = info.context.db
        recorded = await imports.import_gap_analysis(db, actor_of(info), program_id, content)
        program = await program_service.readable_program(db, program_id)
        return ImportGapAnalysisPayload(program=Program.from_model(program), rows=len(recorded))
