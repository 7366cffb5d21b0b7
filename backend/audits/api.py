"""GraphQL types, queries and mutations for the audit programme, audits and checklists."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from sqlalchemy import select
from strawberry import relay

from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.errors import UserError
from backend.api.inputs import clearable, given
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode, as_type
from backend.api.pagination import Connection, paginate
from backend.api.people import Participant
from backend.api.tenants import User
from backend.audits import lifecycle, models, queries, service
from backend.audits.models import AuditStatus as AuditStatusValue
from backend.audits.models import ChecklistResult as ChecklistResultValue
from backend.audits.models import Independence as IndependenceValue
from backend.audits.scope import MAX_PROGRAMS, ScopePart
from backend.catalog import service as catalog_service
from backend.catalog.api import Requirement
from backend.core.changes import KEEP, Change
from backend.programs import service as program_service
from backend.programs.api import Program

if TYPE_CHECKING:  # types of other areas, named lazily (areas import no other's API)
    from backend.documents.api import ControlledDocument
    from backend.evidence.api import EvidenceVersion
    from backend.findings.api import Finding

AuditStatus = strawberry.enum(
    AuditStatusValue,
    name="AuditStatus",
    description="PLANNED, then IN_PROGRESS (fieldwork), REPORTING and CLOSED once the lead"
    " auditor signs; any audit not closed may be CANCELLED. CLOSED and CANCELLED are locked.",
)
ChecklistResult = strawberry.enum(ChecklistResultValue, name="ChecklistResult")
Independence = strawberry.enum(
    IndependenceValue,
    name="AuditorIndependence",
    description="When an auditor would audit a requirement whose action, document or evidence"
    " they own: REFUSE the change, or WARN and make it.",
)

FindingType = Annotated["Finding", strawberry.lazy("backend.findings.api")]
EvidenceVersionType = Annotated["EvidenceVersion", strawberry.lazy("backend.evidence.api")]
DocumentType = Annotated["ControlledDocument", strawberry.lazy("backend.documents.api")]


async def _program(info: Info, program_id: uuid.UUID) -> Program:
    row = await info.context.loaders.of(program_service.programs_by_id).load(program_id)
    return Program.from_model(row)


@strawberry.type(
    description="The internal audits of one or more programs over a period: what they must"
    " cover, how often, and whether auditors may audit their own work."
)
class AuditProgramme(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = queries.programmes_by_id
    id: relay.NodeID[str]
    title: str
    period_start: date
    period_end: date
    objectives: str
    audits_per_period: int = strawberry.field(
        description="How often each requirement is audited in the period; a requirement whose"
        " area has an open nonconformity is due once more."
    )
    independence: Independence  # type: ignore[valid-type]
    created_at: datetime

    @classmethod
    def from_model(cls, row: models.AuditProgramme) -> AuditProgramme:
        return cls(
            id=str(row.id),
            title=row.title,
            period_start=row.period_start,
            period_end=row.period_end,
            objectives=row.objectives,
            audits_per_period=row.audits_per_period,
            independence=IndependenceValue(row.independence),
            created_at=row.created_at,
        )

    @strawberry.field(
        description="The programs it covers (one, or an integrated system).",
        metadata=at_most(MAX_PROGRAMS),
    )
    async def programs(self, info: Info) -> list[Program]:
        loader = info.context.loaders.of(queries.programs_of_programmes)
        return [Program.from_model(row) for row in await loader.load(uuid.UUID(self.id))]


@strawberry.type(description="One requirement of an audit's scope: what is asked, and found.")
class ChecklistLine(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = queries.lines_by_id
    id: relay.NodeID[str]
    position: int
    question: str = strawberry.field(description="Written from the requirement's title.")
    notes: str
    sampled_records: str = strawberry.field(description="Which records were looked at.")
    result: ChecklistResult | None = strawberry.field(  # type: ignore[valid-type]
        description="Null until recorded."
    )
    clause_id: strawberry.Private[uuid.UUID]
    program_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: models.ChecklistLine) -> ChecklistLine:
        return cls(
            id=str(row.id),
            position=row.position,
            question=row.question,
            notes=row.notes,
            sampled_records=row.sampled_records,
            result=ChecklistResultValue(row.result) if row.result else None,
            clause_id=row.clause_id,
            program_id=row.program_id,
        )

    @strawberry.field
    async def requirement(self, info: Info) -> Requirement:
        row = await info.context.loaders.of(catalog_service.clauses_by_id).load(self.clause_id)
        return Requirement.from_model(row)

    @strawberry.field
    async def program(self, info: Info) -> Program:
        return await _program(info, self.program_id)

    @strawberry.field(
        description="Evidence versions the line relied on.",
        metadata=at_most(service.MAX_REFERENCES),
    )
    async def evidence(self, info: Info) -> list[EvidenceVersionType]:
        rows = await info.context.loaders.of(queries.evidence_of_lines).load(uuid.UUID(self.id))
        return as_type(info, "EvidenceVersion", rows)

    @strawberry.field(
        description="Controlled documents the line relied on.",
        metadata=at_most(service.MAX_REFERENCES),
    )
    async def documents(self, info: Info) -> list[DocumentType]:
        rows = await info.context.loaders.of(queries.documents_of_lines).load(uuid.UUID(self.id))
        return as_type(info, "ControlledDocument", rows)

    @strawberry.field(
        description="Findings raised from this line.", metadata=at_most(service.MAX_LINE_FINDINGS)
    )
    async def findings(self, info: Info) -> list[FindingType]:
        rows = await info.context.loaders.of(queries.findings_of_lines).load(uuid.UUID(self.id))
        return as_type(info, "Finding", rows)


@strawberry.type(description="An internal audit of the programme, and its checklist.")
class Audit(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = queries.audits_by_id
    id: relay.NodeID[str]
    reference: str = strawberry.field(description='Unique in the organization, "IA-2026-03".')
    title: str
    status: AuditStatus  # type: ignore[valid-type]
    allowed_transitions: list[AuditStatus] = strawberry.field(  # type: ignore[valid-type]
        description="Where the audit may go from here."
    )
    locked: bool = strawberry.field(description="Signed or cancelled: nothing changes again.")
    criteria: str = strawberry.field(description="What the audit measures against.")
    objectives: str
    processes: list[str]
    sites: list[str]
    auditee_contacts: list[str]
    planned_start: date
    planned_end: date
    actual_start: date | None
    actual_end: date | None
    conclusion: str
    signed_at: datetime | None
    cancellation_reason: str
    created_at: datetime
    programme_id: strawberry.Private[uuid.UUID]
    lead_auditor_id: strawberry.Private[uuid.UUID | None]
    signed_by_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, row: models.Audit) -> Audit:
        return cls(
            id=str(row.id),
            reference=row.reference,
            title=row.title,
            status=AuditStatusValue(row.status),
            allowed_transitions=lifecycle.next_statuses(row),
            locked=lifecycle.is_locked(row),
            criteria=row.criteria,
            objectives=row.objectives,
            processes=list(row.processes),
            sites=list(row.sites),
            auditee_contacts=list(row.auditee_contacts),
            planned_start=row.planned_start,
            planned_end=row.planned_end,
            actual_start=row.actual_start,
            actual_end=row.actual_end,
            conclusion=row.conclusion,
            signed_at=row.signed_at,
            cancellation_reason=row.cancellation_reason,
            created_at=row.created_at,
            programme_id=row.programme_id,
            lead_auditor_id=row.lead_auditor_id,
            signed_by_id=row.signed_by_id,
        )

    @strawberry.field
    async def programme(self, info: Info) -> AuditProgramme:
        row = await info.context.loaders.of(queries.programmes_by_id).load(self.programme_id)
        return AuditProgramme.from_model(row)

    @strawberry.field
    async def lead_auditor(self, info: Info) -> User | None:
        return await User.load(info, self.lead_auditor_id)

    @strawberry.field
    async def signed_by(self, info: Info) -> User | None:
        return await User.load(info, self.signed_by_id)

    @strawberry.field(
        description="The team besides the lead auditor.", metadata=at_most(service.MAX_TEAM)
    )
    async def team(self, info: Info) -> list[Participant]:
        rows = await info.context.loaders.of(queries.teams).load(uuid.UUID(self.id))
        return await Participant.of_rows(info, rows)

    @strawberry.field(
        description="One line per requirement in scope, in order: the scope itself.",
        metadata=at_most(service.MAX_CHECKLIST),
    )
    async def checklist(self, info: Info) -> list[ChecklistLine]:
        rows = await info.context.loaders.of(queries.checklists).load(uuid.UUID(self.id))
        return [ChecklistLine.from_model(row) for row in rows]

    @strawberry.field(
        description="Findings raised in this audit.",
        metadata=at_most(service.MAX_AUDIT_FINDINGS),
    )
    async def findings(self, info: Info) -> list[FindingType]:
        rows = await info.context.loaders.of(queries.findings_of_audits).load(uuid.UUID(self.id))
        return as_type(info, "Finding", rows)


@strawberry.type(description="How often one requirement is due in the period, and audited.")
class CoverageItem:
    requirement: Requirement
    due: int = strawberry.field(description="Audits the period asks for.")
    audited: int = strawberry.field(
        description="Audits of the period with a result other than not sampled on it, or on a"
        " requirement of another program implementing the same harmonized clause."
    )
    at_risk: bool = strawberry.field(description="Its area has an open nonconformity.")
    covered: bool
    program_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def program(self, info: Info) -> Program:
        return await _program(info, self.program_id)


@strawberry.type(description="Which requirements of the programme are audited, which due.")
class AuditCoverage:
    programme: AuditProgramme
    requirements: list[CoverageItem] = strawberry.field(
        description="Program by program, in document order.",
        metadata=at_most(service.MAX_COVERED),
    )
    covered_count: int
    due_count: int = strawberry.field(description="Requirements not yet audited as often as due.")


# --- queries -------------------------------------------------------------------------------


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Audit programmes of the organizations you read, oldest first.")
    async def audit_programmes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AuditProgramme]:
        info.context.require_entitlements()
        keys = (models.AuditProgramme.created_at, models.AuditProgramme.id)
        statement = select(models.AuditProgramme)
        page = await paginate(info.context.db, statement, keys, first, after)
        return Connection[AuditProgramme].from_page(page, AuditProgramme.from_model)

    @strawberry.field(description="Audits of the organizations you read, in date order.")
    async def audits(
        self,
        info: Info,
        *,
        programme_id: relay.GlobalID | None = None,
        status: AuditStatus | None = None,  # type: ignore[valid-type]
        standard_id: relay.GlobalID | None = None,
        period_start: Annotated[
            date | None, strawberry.argument(description="Audits on or after this day.")
        ] = None,
        period_end: Annotated[
            date | None, strawberry.argument(description="Audits on or before this day.")
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Audit]:
        info.context.require_entitlements()
        where = queries.AuditFilter(
            programme_id=_id(programme_id, "AuditProgramme", "programmeId"),
            status=status,
            standard_id=_id(standard_id, "Standard", "standardId"),
            period_start=period_start,
            period_end=period_end,
        )
        keys = (models.Audit.planned_start, models.Audit.id)
        page = await paginate(info.context.db, queries.audits_statement(where), keys, first, after)
        return Connection[Audit].from_page(page, Audit.from_model)

    @strawberry.field(description="One audit; null when it is not yours to read.")
    async def audit(self, info: Info, id: relay.GlobalID) -> Audit | None:
        info.context.require_entitlements()
        if id.type_name != "Audit":
            return None
        [found] = await Audit.resolve_nodes(info=info, node_ids=[id.node_id])
        audit: Audit | None = found
        return audit

    @strawberry.field(description="What the programme has covered; null when not yours to read.")
    async def audit_coverage(
        self, info: Info, programme_id: relay.GlobalID
    ) -> AuditCoverage | None:
        info.context.require_entitlements()
        if programme_id.type_name != "AuditProgramme":
            return None
        [programme] = await AuditProgramme.resolve_nodes(info=info, node_ids=[programme_id.node_id])
        if programme is None:
            return None
        rows = await queries.coverage(info.context.db, uuid.UUID(programme.id))
        items = [
            CoverageItem(
                requirement=Requirement.from_model(row.clause),
                due=row.due,
                audited=row.audited,
                at_risk=row.at_risk,
                covered=row.covered,
                program_id=row.program_id,
            )
            for row in rows
        ]
        covered = sum(item.covered for item in items)
        return AuditCoverage(
            programme=programme,
            requirements=items,
            covered_count=covered,
            due_count=len(items) - covered,
        )


def _id(value: relay.GlobalID | None, type_name: str, field: str) -> uuid.UUID | None:
    return node_uuid(value, type_name, field) if value is not None else None


# --- mutations -----------------------------------------------------------------------------

SCOPE = (
    'For each program, clause numbers of its standard ("7.5" takes every requirement under'
    " 7.5); no numbers take every requirement."
)


@strawberry.input(description=SCOPE)
class ScopeInput:
    program_id: relay.GlobalID
    requirements: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="A member of the organization (userId) or an outsider (name).")
class TeamMemberInput:
    user_id: relay.GlobalID | None = None
    name: str = ""


@strawberry.input
class CreateAuditProgrammeInput:
    title: str
    period_start: date
    period_end: date
    scope: list[ScopeInput] = strawberry.field(description=SCOPE)
    objectives: str = ""
    audits_per_period: int = 1
    independence: Independence = IndependenceValue.REFUSE  # type: ignore[valid-type]


@strawberry.input(description="Omitted fields keep their value; scope replaces what is covered.")
class UpdateAuditProgrammeInput:
    id: relay.GlobalID
    title: str | None = strawberry.UNSET
    period_start: date | None = strawberry.UNSET
    period_end: date | None = strawberry.UNSET
    scope: list[ScopeInput] | None = strawberry.UNSET
    objectives: str | None = strawberry.UNSET
    audits_per_period: int | None = strawberry.UNSET
    independence: Independence | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input(description="The checklist is generated from the scope, one line each.")
class PlanAuditInput:
    programme_id: relay.GlobalID
    reference: str = strawberry.field(description='Unique in the organization: "IA-2026-03".')
    title: str
    planned_start: date = strawberry.field(description="Within the programme's period.")
    planned_end: date
    lead_auditor_id: relay.GlobalID = strawberry.field(description="A member of the organization.")
    scope: list[ScopeInput] = strawberry.field(description=SCOPE)
    team: list[TeamMemberInput] = strawberry.field(default_factory=list)
    criteria: str = ""
    objectives: str = ""
    processes: list[str] = strawberry.field(default_factory=list)
    sites: list[str] = strawberry.field(default_factory=list)
    auditee_contacts: list[str] = strawberry.field(default_factory=list)


@strawberry.input(
    description="Omitted fields keep their value; null clears an actual date. The scope (and"
    " so the checklist) changes only while PLANNED; lines still in scope keep their notes."
)
class UpdateAuditInput:
    id: relay.GlobalID
    title: str | None = strawberry.UNSET
    planned_start: date | None = strawberry.UNSET
    planned_end: date | None = strawberry.UNSET
    actual_start: date | None = strawberry.UNSET
    actual_end: date | None = strawberry.UNSET
    lead_auditor_id: relay.GlobalID | None = strawberry.UNSET
    scope: list[ScopeInput] | None = strawberry.UNSET
    team: list[TeamMemberInput] | None = strawberry.UNSET
    criteria: str | None = strawberry.UNSET
    objectives: str | None = strawberry.UNSET
    processes: list[str] | None = strawberry.UNSET
    sites: list[str] | None = strawberry.UNSET
    auditee_contacts: list[str] | None = strawberry.UNSET


@strawberry.input(description="Fieldwork begins; the organization's today when no day is given.")
class StartAuditInput:
    id: relay.GlobalID
    started_on: date | None = None


@strawberry.input(description="Fieldwork is done; every checklist line needs a result first.")
class FinishFieldworkInput:
    id: relay.GlobalID
    ended_on: date | None = None


@strawberry.input(
    description="Omitted fields keep their value; lists replace their set. Findings are raised"
    " with raiseFinding (source INTERNAL_AUDIT) and linked here."
)
class RecordChecklistResultInput:
    line_id: relay.GlobalID
    result: ChecklistResult | None = strawberry.UNSET  # type: ignore[valid-type]
    notes: str | None = strawberry.UNSET
    sampled_records: str | None = strawberry.UNSET
    evidence_version_ids: list[relay.GlobalID] | None = strawberry.UNSET
    document_ids: list[relay.GlobalID] | None = strawberry.UNSET
    finding_ids: list[relay.GlobalID] | None = strawberry.UNSET


@strawberry.input(description="The lead auditor's conclusion; the audit is then locked.")
class SignAuditInput:
    id: relay.GlobalID
    conclusion: str


@strawberry.input
class CancelAuditInput:
    id: relay.GlobalID
    reason: str


@strawberry.type
class AuditProgrammePayload:
    programme: AuditProgramme | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AuditPayload:
    audit: Audit | None = None
    warnings: list[str] = strawberry.field(
        default_factory=list,
        description="Auditor independence conflicts let through (programme set to WARN).",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ChecklistLinePayload:
    line: ChecklistLine | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _scope(values: list[ScopeInput] | None) -> Change[Sequence[ScopePart]]:
    if values is None or values is strawberry.UNSET:
        return KEEP
    return [
        ScopePart(node_uuid(value.program_id, "Program", "programId"), value.requirements)
        for value in values
    ]


def _team(values: list[TeamMemberInput] | None) -> Change[Sequence[service.TeamMember]]:
    if values is None or values is strawberry.UNSET:
        return KEEP
    return [
        service.TeamMember(
            user_id=node_uuid(value.user_id, "User", "team") if value.user_id else None,
            name=value.name,
        )
        for value in values
    ]


def _ids(
    values: list[relay.GlobalID] | None, type_name: str, field: str
) -> Change[list[uuid.UUID]]:
    if values is None or values is strawberry.UNSET:
        return KEEP
    return [node_uuid(value, type_name, field) for value in values]


def _programme_fields(
    input: CreateAuditProgrammeInput | UpdateAuditProgrammeInput,
) -> service.ProgrammeFields:
    return service.ProgrammeFields(
        title=given(input.title),
        period_start=given(input.period_start),
        period_end=given(input.period_end),
        objectives=given(input.objectives),
        audits_per_period=given(input.audits_per_period),
        independence=given(input.independence),
        scope=_scope(input.scope),
    )


def _audit_fields(input: PlanAuditInput | UpdateAuditInput) -> service.AuditFields:
    lead = input.lead_auditor_id
    return service.AuditFields(
        title=given(input.title),
        criteria=given(input.criteria),
        objectives=given(input.objectives),
        processes=given(input.processes),
        sites=given(input.sites),
        auditee_contacts=given(input.auditee_contacts),
        planned_start=given(input.planned_start),
        planned_end=given(input.planned_end),
        lead_auditor_id=KEEP
        if lead is None or lead is strawberry.UNSET
        else node_uuid(lead, "User", "leadAuditorId"),
        team=_team(input.team),
        scope=_scope(input.scope),
    )


def _audit_id(value: relay.GlobalID) -> uuid.UUID:
    return node_uuid(value, "Audit", "id")


def _planned(planned: service.Planned) -> AuditPayload:
    return AuditPayload(audit=Audit.from_model(planned.audit), warnings=planned.warnings)


def _audit(row: models.Audit) -> AuditPayload:
    return AuditPayload(audit=Audit.from_model(row))


@strawberry.type
class AuditMutation:
    @mutation(description="An audit programme over one or more of the organization's programs.")
    async def create_audit_programme(
        self, info: Info, input: CreateAuditProgrammeInput
    ) -> AuditProgrammePayload:
        row = await service.create_programme(
            info.context.db, actor_of(info), _programme_fields(input)
        )
        return AuditProgrammePayload(programme=AuditProgramme.from_model(row))

    @mutation()
    async def update_audit_programme(
        self, info: Info, input: UpdateAuditProgrammeInput
    ) -> AuditProgrammePayload:
        row = await service.update_programme(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "AuditProgramme", "id"),
            _programme_fields(input),
        )
        return AuditProgrammePayload(programme=AuditProgramme.from_model(row))

    @mutation(description="Plan an audit of the programme; its checklist comes from its scope.")
    async def plan_audit(self, info: Info, input: PlanAuditInput) -> AuditPayload:
        planned = await service.plan_audit(
            info.context.db,
            actor_of(info),
            node_uuid(input.programme_id, "AuditProgramme", "programmeId"),
            input.reference,
            _audit_fields(input),
        )
        return _planned(planned)

    @mutation()
    async def update_audit(self, info: Info, input: UpdateAuditInput) -> AuditPayload:
        values = replace(
            _audit_fields(input),
            actual_start=clearable(input.actual_start),
            actual_end=clearable(input.actual_end),
        )
        planned = await service.update_audit(
            info.context.db, actor_of(info), _audit_id(input.id), values
        )
        return _planned(planned)

    @mutation(description="Start the fieldwork of a planned audit.")
    async def start_audit(self, info: Info, input: StartAuditInput) -> AuditPayload:
        planned = await service.start_audit(
            info.context.db, actor_of(info), _audit_id(input.id), input.started_on
        )
        return _planned(planned)

    @mutation(description="Record what was found on one checklist line.")
    async def record_checklist_result(
        self, info: Info, input: RecordChecklistResultInput
    ) -> ChecklistLinePayload:
        row = await service.record_checklist_result(
            info.context.db,
            actor_of(info),
            node_uuid(input.line_id, "ChecklistLine", "lineId"),
            service.LineFields(
                result=given(input.result),
                notes=given(input.notes),
                sampled_records=given(input.sampled_records),
                evidence_version_ids=_ids(
                    input.evidence_version_ids, "EvidenceVersion", "evidenceVersionIds"
                ),
                document_ids=_ids(input.document_ids, "ControlledDocument", "documentIds"),
                finding_ids=_ids(input.finding_ids, "Finding", "findingIds"),
            ),
        )
        return ChecklistLinePayload(line=ChecklistLine.from_model(row))

    @mutation(description="End the fieldwork: the audit goes to REPORTING.")
    async def finish_fieldwork(self, info: Info, input: FinishFieldworkInput) -> AuditPayload:
        row = await service.finish_fieldwork(
            info.context.db, actor_of(info), _audit_id(input.id), input.ended_on
        )
        return _audit(row)

    @mutation(description="The lead auditor signs with a conclusion: the audit closes, locked.")
    async def sign_audit(self, info: Info, input: SignAuditInput) -> AuditPayload:
        row = await service.sign_audit(
            info.context.db, actor_of(info), _audit_id(input.id), input.conclusion
        )
        return _audit(row)

    @mutation(description="Cancel an audit that is not closed; it is then locked.")
    async def cancel_audit(self, info: Info, input: CancelAuditInput) -> AuditPayload:
        row = await service.cancel_audit(
            info.context.db, actor_of(info), _audit_id(input.id), input.reason
        )
        return _audit(row)
