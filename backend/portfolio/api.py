"""GraphQL of the portfolio, the work queue and requirement assignments."""

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
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode
from backend.api.pagination import MAX_PAGE
from backend.api.tenants import Organization, User
from backend.catalog import service as catalog_service
from backend.catalog.api import Requirement
from backend.portfolio import models, queries, service
from backend.programs import service as program_service
from backend.programs.api import Program
from tenants.roles import Role

PortfolioSort = strawberry.enum(
    queries.Sort,
    name="PortfolioSort",
    description="READINESS: lowest score first. NEXT_DUE: soonest next audit (or target date)"
    " first. RISK: programs at risk of missing their next date first, then by NEXT_DUE.",
)
WorkKind = strawberry.enum(queries.WorkKind, name="WorkKind")

_MANAGING = frozenset({Role.CONSULTANT, Role.AUDITOR})
"""The roles through which an organization is someone else's client: engaged or granted."""


@strawberry.type(
    description="The next certification audit of a program: the one booked, or else the first"
    " its certificate's cycle expects (then `id` names an ExpectedCertificationAudit)."
)
class PortfolioAudit:
    id: relay.GlobalID
    kind: str = strawberry.field(description="stage_1, stage_2, surveillance, ...")
    starts_on: date = strawberry.field(
        description="The first day of its planned window (expected: the first day it counts)."
    )
    ends_on: date = strawberry.field(
        description="The last day of its planned window (expected: the day it is due)."
    )
    booked: bool = strawberry.field(description="False while only the cycle expects it.")
    rule: str | None = strawberry.field(description="For an expected audit: why it is due then.")

    @classmethod
    def from_audit(cls, audit: queries.NextAudit) -> PortfolioAudit:
        return cls(
            id=relay.GlobalID(audit.type_name, str(audit.id)),
            kind=audit.kind,
            starts_on=audit.starts_on,
            ends_on=audit.ends_on,
            booked=audit.rule is None,
            rule=audit.rule,
        )


@strawberry.type(description="One program of one client, as a consultant or auditor sees it.")
class PortfolioEntry:
    standard: str = strawberry.field(description='The standard and edition: "ISO 9001:2015".')
    status: str = strawberry.field(description="The program's status: preparing, certified, ...")
    current_step: int | None = strawberry.field(
        description="The number of the first step not completed; null when all are."
    )
    current_step_key: str | None
    readiness: float | None = strawberry.field(
        description="The score of the latest readiness snapshot; null before the first."
    )
    readiness_level: str | None
    readiness_trend: float | None = strawberry.field(
        description="Points gained (or lost) since the snapshot before the latest."
    )
    blockers: int = strawberry.field(
        description="Blockers the latest snapshot recorded (it keeps the first twenty)."
    )
    next_audit: PortfolioAudit | None
    next_due_on: date | None = strawberry.field(
        description="The next audit's first day, else the program's target date."
    )
    at_risk: bool = strawberry.field(
        description="The next due date is within 30 days (or past) and the readiness level is"
        " short of it: stage 1 needs ready_for_stage_1, anything else ready_for_stage_2."
    )
    overdue_actions: int
    overdue_findings: int = strawberry.field(
        description="Open findings past due that concern this program's requirements."
    )
    expiring_evidence: int = strawberry.field(
        description="Evidence linked to the program that goes stale within 30 days."
    )
    certificate_state: str | None = strawberry.field(
        description="The state of the latest certificate covering the program."
    )
    certificate_expires_on: date | None
    tenant_id: strawberry.Private[uuid.UUID]
    program_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_entry(cls, entry: queries.Entry) -> PortfolioEntry:
        return cls(
            standard=entry.standard,
            status=entry.status,
            current_step=entry.step_number,
            current_step_key=entry.step_key,
            readiness=entry.score,
            readiness_level=entry.level,
            readiness_trend=entry.trend,
            blockers=entry.blockers,
            next_audit=PortfolioAudit.from_audit(entry.next_audit) if entry.next_audit else None,
            next_due_on=entry.next_due,
            at_risk=entry.at_risk,
            overdue_actions=entry.overdue_actions,
            overdue_findings=entry.overdue_findings,
            expiring_evidence=entry.expiring_evidence,
            certificate_state=entry.certificate_state,
            certificate_expires_on=entry.certificate_expires_on,
            tenant_id=entry.tenant_id,
            program_id=entry.program_id,
        )

    @strawberry.field(description="The client.")
    async def organization(self, info: Info) -> Organization:
        return Organization.from_model(await info.context.loaders.organization.load(self.tenant_id))

    @strawberry.field
    async def program(self, info: Info) -> Program:
        loader = info.context.loaders.of(program_service.programs_by_id)
        return Program.from_model(await loader.load(self.program_id))


@strawberry.type(
    description="Something you answer for: an action, a finding, a requirement, a checklist line."
)
class WorkItem:
    kind: WorkKind  # type: ignore[valid-type]
    subject_id: relay.GlobalID = strawberry.field(
        description="The Action, Finding, Requirement or ChecklistLine, for node(id:)."
    )
    title: str
    due_on: date | None
    overdue: bool = strawberry.field(
        description="Past its due date on its organization's calendar."
    )
    tenant_id: strawberry.Private[uuid.UUID]
    program_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_item(cls, item: queries.WorkItem) -> WorkItem:
        return cls(
            kind=item.kind,
            subject_id=relay.GlobalID(_TYPE_NAMES[item.kind], str(item.object_id)),
            title=item.title,
            due_on=item.due_on,
            overdue=item.overdue,
            tenant_id=item.tenant_id,
            program_id=item.program_id,
        )

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        return Organization.from_model(await info.context.loaders.organization.load(self.tenant_id))

    @strawberry.field(description="The program; null for a finding, which may concern several.")
    async def program(self, info: Info) -> Program | None:
        if self.program_id is None:
            return None
        loader = info.context.loaders.of(program_service.programs_by_id)
        return Program.from_model(await loader.load(self.program_id))


_TYPE_NAMES = {
    queries.WorkKind.ACTION: "Action",
    queries.WorkKind.FINDING: "Finding",
    queries.WorkKind.REQUIREMENT: "Requirement",
    queries.WorkKind.CHECKLIST_LINE: "ChecklistLine",
}


@strawberry.type(description="The member who answers for a requirement of a program.")
class RequirementAssignment(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.assignments_by_id
    id: relay.NodeID[str]
    assigned_at: datetime
    program_id: strawberry.Private[uuid.UUID]
    clause_id: strawberry.Private[uuid.UUID]
    assignee_id: strawberry.Private[uuid.UUID]
    assigned_by_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, row: models.RequirementAssignment) -> RequirementAssignment:
        return cls(
            id=str(row.id),
            assigned_at=row.assigned_at,
            program_id=row.program_id,
            clause_id=row.clause_id,
            assignee_id=row.assignee_id,
            assigned_by_id=row.assigned_by_id,
        )

    @strawberry.field
    async def requirement(self, info: Info) -> Requirement:
        clause = await info.context.loaders.of(catalog_service.clauses_by_id).load(self.clause_id)
        return Requirement.from_model(clause)

    @strawberry.field
    async def program(self, info: Info) -> Program:
        loader = info.context.loaders.of(program_service.programs_by_id)
        return Program.from_model(await loader.load(self.program_id))

    @strawberry.field
    async def assignee(self, info: Info) -> User | None:
        return await User.load(info, self.assignee_id)

    @strawberry.field
    async def assigned_by(self, info: Info) -> User | None:
        return await User.load(info, self.assigned_by_id)


@strawberry.type(description="The member who works a line of an internal audit's checklist.")
class ChecklistLineAssignment(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.line_assignments_by_id
    id: relay.NodeID[str]
    line_id: relay.GlobalID = strawberry.field(description="The ChecklistLine.")
    assigned_at: datetime
    assignee_id: strawberry.Private[uuid.UUID]
    assigned_by_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, row: models.ChecklistLineAssignment) -> ChecklistLineAssignment:
        return cls(
            id=str(row.id),
            line_id=relay.GlobalID("ChecklistLine", str(row.line_id)),
            assigned_at=row.assigned_at,
            assignee_id=row.assignee_id,
            assigned_by_id=row.assigned_by_id,
        )

    @strawberry.field
    async def assignee(self, info: Info) -> User | None:
        return await User.load(info, self.assignee_id)

    @strawberry.field
    async def assigned_by(self, info: Info) -> User | None:
        return await User.load(info, self.assigned_by_id)


# --- queries -------------------------------------------------------------------------------


@strawberry.type
class PortfolioQuery:
    @strawberry.field(
        description="Every active program of the clients you manage as a consultant or audit"
        " through a grant, with the figures to judge them by.",
        metadata=at_most(MAX_PAGE),
    )
    async def portfolio(
        self,
        info: Info,
        sort: PortfolioSort = queries.Sort.RISK,  # type: ignore[valid-type]
        standard: Annotated[
            str | None, strawberry.argument(description='A standard\'s code: "ISO 9001".')
        ] = None,
        organization: OrganizationFilter = None,
        first: Annotated[int | None, strawberry.argument(description=slices.FIRST)] = None,
    ) -> list[PortfolioEntry]:
        roles = info.context.require_entitlements().roles
        clients = {tenant for tenant, role in roles.items() if role in _MANAGING}
        narrowed = organization_id(organization)
        if narrowed is not None:
            clients &= {narrowed}
        entries = await queries.portfolio(info.context.db, clients, standard=standard, sort=sort)
        return [PortfolioEntry.from_entry(entry) for entry in slices.first(entries, first)]

    @strawberry.field(
        description="Your open actions and findings and the requirements you answer for, in"
        " every organization you may read: overdue first, then by due date, undated last.",
        metadata=at_most(MAX_PAGE),
    )
    async def work_queue(
        self,
        info: Info,
        organization: OrganizationFilter = None,
        first: Annotated[int | None, strawberry.argument(description=slices.FIRST)] = None,
    ) -> list[WorkItem]:
        user_id = info.context.require_entitlements().user_id
        items = await queries.work_queue(info.context.db, user_id)
        narrowed = organization_id(organization)
        if narrowed is not None:
            items = [item for item in items if item.tenant_id == narrowed]
        return [WorkItem.from_item(item) for item in slices.first(items, first)]


# --- mutations -----------------------------------------------------------------------------


@strawberry.input
class AssignRequirementsInput:
    program_id: relay.GlobalID
    requirement_ids: list[relay.GlobalID] = strawberry.field(
        description=f"1 to {service.MAX_REQUIREMENTS} requirements of the program's standard."
    )
    assignee_id: relay.GlobalID = strawberry.field(
        description="A User who is a member here with a role that contributes."
    )


@strawberry.input
class UnassignRequirementsInput:
    program_id: relay.GlobalID
    requirement_ids: list[relay.GlobalID]


@strawberry.type
class AssignRequirementsPayload:
    assignments: list[RequirementAssignment] = strawberry.field(
        default_factory=list, metadata=at_most(service.MAX_REQUIREMENTS)
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UnassignRequirementsPayload:
    unassigned_requirement_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AssignChecklistLinesInput:
    line_ids: list[relay.GlobalID] = strawberry.field(
        description=f"1 to {service.MAX_REQUIREMENTS} lines of open internal audits."
    )
    assignee_id: relay.GlobalID = strawberry.field(
        description="A User who is a member here with a role that conducts audits."
    )


@strawberry.input
class UnassignChecklistLinesInput:
    line_ids: list[relay.GlobalID]


@strawberry.type
class AssignChecklistLinesPayload:
    assignments: list[ChecklistLineAssignment] = strawberry.field(
        default_factory=list, metadata=at_most(service.MAX_REQUIREMENTS)
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UnassignChecklistLinesPayload:
    unassigned_line_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


def _line_ids(ids: list[relay.GlobalID]) -> list[uuid.UUID]:
    return [node_uuid(value, "ChecklistLine", "lineIds") for value in ids]


def _requirement_ids(ids: list[relay.GlobalID]) -> list[uuid.UUID]:
    return [node_uuid(value, "Requirement", "requirementIds") for value in ids]


@strawberry.type
class PortfolioMutation:
    @mutation(
        description="Make a member answer for requirements of a program (owners, admins,"
        " consultants and managers); an assigned requirement is handed over."
    )
    async def assign_requirements(
        self, info: Info, input: AssignRequirementsInput
    ) -> AssignRequirementsPayload:
        rows = await service.assign_requirements(
            info.context.db,
            actor_of(info),
            node_uuid(input.program_id, "Program", "programId"),
            _requirement_ids(input.requirement_ids),
            node_uuid(input.assignee_id, "User", "assigneeId"),
        )
        return AssignRequirementsPayload(
            assignments=[RequirementAssignment.from_model(row) for row in rows]
        )

    @mutation(description="Nobody answers for these requirements any more.")
    async def unassign_requirements(
        self, info: Info, input: UnassignRequirementsInput
    ) -> UnassignRequirementsPayload:
        removed = await service.unassign_requirements(
            info.context.db,
            actor_of(info),
            node_uuid(input.program_id, "Program", "programId"),
            _requirement_ids(input.requirement_ids),
        )
        return UnassignRequirementsPayload(
            unassigned_requirement_ids=[
                relay.GlobalID("Requirement", str(clause_id)) for clause_id in removed
            ]
        )

    @mutation(
        description="Make a member work lines of an internal audit's checklist (those who run"
        " audits); an assigned line is handed over."
    )
    async def assign_checklist_lines(
        self, info: Info, input: AssignChecklistLinesInput
    ) -> AssignChecklistLinesPayload:
        rows = await service.assign_checklist_lines(
            info.context.db,
            actor_of(info),
            _line_ids(input.line_ids),
            node_uuid(input.assignee_id, "User", "assigneeId"),
        )
        return AssignChecklistLinesPayload(
            assignments=[ChecklistLineAssignment.from_model(row) for row in rows]
        )

    @mutation(description="Nobody works these checklist lines any more.")
    async def unassign_checklist_lines(
        self, info: Info, input: UnassignChecklistLinesInput
    ) -> UnassignChecklistLinesPayload:
        removed = await service.unassign_checklist_lines(
            info.context.db, actor_of(info), _line_ids(input.line_ids)
        )
        return UnassignChecklistLinesPayload(
            unassigned_line_ids=[relay.GlobalID("ChecklistLine", str(line)) for line in removed]
        )
