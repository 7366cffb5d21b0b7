"""GraphQL types, queries and mutations of certification audits, cycles and certificates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import relay

from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.errors import UserError
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.inputs import clearable, given
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode, as_type, node_of_type
from backend.api.pagination import Connection, paginate
from backend.api.tenants import Organization, User
from backend.certification import models, queries, rules, service
from backend.certification.models import AuditKind as AuditKindValue
from backend.certification.models import AuditOutcome as AuditOutcomeValue
from backend.certification.models import AuditStatus as AuditStatusValue
from backend.certification.models import CertificateState as CertificateStateValue
from backend.certification.rules import ExpectedKind as ExpectedKindValue
from backend.certification.rules import ExpectedStatus as ExpectedStatusValue
from backend.core.changes import KEEP, Change
from backend.programs.api import Program

if TYPE_CHECKING:  # types of other areas, named lazily (areas import no other's API)
    from backend.evidence.api import EvidenceItem
    from backend.findings.api import Finding

FindingType = Annotated["Finding", strawberry.lazy("backend.findings.api")]
EvidenceItemType = Annotated["EvidenceItem", strawberry.lazy("backend.evidence.api")]

AuditKind = strawberry.enum(AuditKindValue, name="CertificationAuditKind")
AuditStatus = strawberry.enum(
    AuditStatusValue,
    name="CertificationAuditStatus",
    description="PLANNED, then HELD once its outcome is recorded, or CANCELLED.",
)
AuditOutcome = strawberry.enum(
    AuditOutcomeValue,
    name="CertificationAuditOutcome",
    description="Stage 1: READY or NOT_READY for stage 2; any other audit: RECOMMENDED or"
    " NOT_RECOMMENDED (certification, or its continuation).",
)
CertificateState = strawberry.enum(CertificateStateValue, name="CertificateState")
ExpectedKind = strawberry.enum(ExpectedKindValue, name="ExpectedAuditKind")
ExpectedStatus = strawberry.enum(ExpectedStatusValue, name="ExpectedAuditStatus")


async def _organization(info: Info, tenant_id: uuid.UUID) -> Organization:
    return Organization.from_model(await info.context.loaders.organization.load(tenant_id))


async def _body(info: Info, body_id: uuid.UUID) -> Organization | None:
    body = await info.context.loaders.certification_body.load(body_id)
    return Organization.from_model(body) if body else None


@strawberry.type(description="An audit by the certification body of one or more programs.")
class CertificationAudit(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = queries.audits_by_id
    id: relay.NodeID[str]
    kind: AuditKind  # type: ignore[valid-type]
    status: AuditStatus  # type: ignore[valid-type]
    planned_start: date
    planned_end: date
    actual_start: date | None
    actual_end: date | None
    audit_days: float | None = strawberry.field(description="Auditor days, as the body quotes.")
    lead_auditor_name: str = strawberry.field(description="The body's lead auditor.")
    outcome: AuditOutcome | None  # type: ignore[valid-type]
    summary: str
    created_at: datetime
    tenant_id: strawberry.Private[uuid.UUID]
    body_id: strawberry.Private[uuid.UUID]
    report_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, row: models.CertificationAudit) -> CertificationAudit:
        return cls(
            id=str(row.id),
            kind=AuditKindValue(row.kind),
            status=AuditStatusValue(row.status),
            planned_start=row.planned_start,
            planned_end=row.planned_end,
            actual_start=row.actual_start,
            actual_end=row.actual_end,
            audit_days=None if row.audit_days is None else float(row.audit_days),
            lead_auditor_name=row.lead_auditor_name,
            outcome=None if row.outcome is None else AuditOutcomeValue(row.outcome),
            summary=row.summary,
            created_at=row.created_at,
            tenant_id=row.tenant_id,
            body_id=row.certification_body_id,
            report_id=row.report_evidence_id,
        )

    @strawberry.field(description="The organization audited.")
    async def organization(self, info: Info) -> Organization:
        return await _organization(info, self.tenant_id)

    @strawberry.field(description="The body that audits.")
    async def certification_body(self, info: Info) -> Organization | None:
        return await _body(info, self.body_id)

    @strawberry.field(description="The programs it covers.", metadata=at_most(service.MAX_PROGRAMS))
    async def programs(self, info: Info) -> list[Program]:
        loader = info.context.loaders.of(queries.programs_of_audits)
        return [Program.from_model(row) for row in await loader.load(uuid.UUID(self.id))]

    @strawberry.field(
        description="What the body found (stage 1: areas of concern), as findings.",
        metadata=at_most(service.MAX_FINDINGS),
    )
    async def findings(self, info: Info) -> list[FindingType]:
        rows = await info.context.loaders.of(queries.findings_of_audits).load(uuid.UUID(self.id))
        return as_type(info, "Finding", rows)

    @strawberry.field(description="The body's report, as evidence.")
    async def report(self, info: Info) -> EvidenceItemType | None:
        if self.report_id is None:
            return None
        item: EvidenceItemType | None = await node_of_type(info, "EvidenceItem", self.report_id)
        return item


@strawberry.type(description="A date and the rule that produced it.")
class DueDate:
    date: date
    rule: str

    @classmethod
    def of(cls, due: rules.Due) -> DueDate:
        return cls(date=due.day, rule=due.rule)


@strawberry.type(description="An audit the cycle expects, its window and whether it was held.")
class ExpectedAudit:
    kind: ExpectedKind  # type: ignore[valid-type]
    number: int
    opens_on: date = strawberry.field(description="The first day an audit counts for it.")
    due_by: date
    rule: str = strawberry.field(description="Why it is due by then.")
    held_on: date | None
    status: ExpectedStatus  # type: ignore[valid-type]

    @classmethod
    def of(cls, item: rules.ExpectedAudit) -> ExpectedAudit:
        return cls(
            kind=item.kind,
            number=item.number,
            opens_on=item.opens,
            due_by=item.due.day,
            rule=item.due.rule,
            held_on=item.held_on,
            status=item.status,
        )


@strawberry.type(description="A state the certificate entered.")
class CertificateEvent:
    state: CertificateState  # type: ignore[valid-type]
    on: date
    reason: str
    by_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def by(self, info: Info) -> User | None:
        return await User.load(info, self.by_id)


@strawberry.type(description="The certificate of one three-year cycle.")
class Certificate(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = queries.certificates_by_id
    id: relay.NodeID[str]
    number: str
    cycle_number: int = strawberry.field(description="1 for the initial certification.")
    scope: str
    sites: list[str] = strawberry.field(metadata=at_most(service.MAX_SITES))
    decision_on: date
    issued_on: date
    expires_on: date
    suspended_on: date | None
    tenant_id: strawberry.Private[uuid.UUID]
    body_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: models.Certificate) -> Certificate:
        return cls(
            id=str(row.id),
            number=row.number,
            cycle_number=row.cycle_number,
            scope=row.scope,
            sites=list(row.sites),
            decision_on=row.decision_on,
            issued_on=row.issued_on,
            expires_on=row.expires_on,
            suspended_on=row.suspended_on,
            tenant_id=row.tenant_id,
            body_id=row.certification_body_id,
        )

    async def facts(self, info: Info) -> queries.CycleFacts:
        """Its cycle's facts, through the request's loader (not a GraphQL field)."""
        loader = info.context.loaders.of(queries.cycles_by_certificate)
        facts: queries.CycleFacts = await loader.load(uuid.UUID(self.id))
        return facts

    @strawberry.field(description="Its state today: an active one past its expiry is EXPIRED.")
    async def state(self, info: Info) -> CertificateState:  # type: ignore[valid-type]
        return queries.state_of(await self.facts(info))

    @strawberry.field(description="False once a later cycle renewed or restored it.")
    async def current(self, info: Info) -> bool:
        return not (await self.facts(info)).renewed

    @strawberry.field(
        description="The expected audits as the scheduling job last wrote them: what reminders"
        " and calendar events link to.",
        metadata=at_most(10),
    )
    async def scheduled_audits(self, info: Info) -> list[ExpectedCertificationAudit]:
        rows = await info.context.loaders.of(queries.scheduled_by_certificate).load(
            uuid.UUID(self.id)
        )
        return [ExpectedCertificationAudit.from_model(row) for row in rows]

    @strawberry.field(description="Its cycle: the audits expected and the rule behind each.")
    async def cycle(self, info: Info) -> CertificationCycle:
        return CertificationCycle.of(await self.facts(info), self)

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        return await _organization(info, self.tenant_id)

    @strawberry.field
    async def certification_body(self, info: Info) -> Organization | None:
        return await _body(info, self.body_id)

    @strawberry.field(
        description="The programs (standards) it covers.", metadata=at_most(service.MAX_PROGRAMS)
    )
    async def programs(self, info: Info) -> list[Program]:
        loader = info.context.loaders.of(queries.programs_of_certificates)
        return [Program.from_model(row) for row in await loader.load(uuid.UUID(self.id))]

    @strawberry.field(description="Its states, oldest first.", metadata=at_most(100))
    async def history(self, info: Info) -> list[CertificateEvent]:
        loader = info.context.loaders.of(queries.events_of_certificates)
        return [
            CertificateEvent(
                state=CertificateStateValue(row.state),
                on=row.on,
                reason=row.reason,
                by_id=row.by_id,
            )
            for row in await loader.load(uuid.UUID(self.id))
        ]


@strawberry.type(
    description="An audit a live certificate's cycle expects, as the scheduling job keeps it:"
    " what reminders and calendar events link to."
)
class ExpectedCertificationAudit(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = queries.expected_by_id
    id: relay.NodeID[str]
    kind: str = strawberry.field(description="surveillance or recertification.")
    number: int
    opens_on: date
    due_on: date
    rule: str = strawberry.field(description="Why it is due then, in words.")
    status: str = strawberry.field(description="held, held_late, due or overdue.")
    held_on: date | None
    certificate_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: models.ExpectedAudit) -> ExpectedCertificationAudit:
        return cls(
            id=str(row.id),
            kind=row.kind,
            number=row.number,
            opens_on=row.opens_on,
            due_on=row.due_on,
            rule=row.rule,
            status=row.status,
            held_on=row.held_on,
            certificate_id=row.certificate_id,
        )

    @strawberry.field
    async def certificate(self, info: Info) -> Certificate | None:
        row = await info.context.loaders.of(queries.certificates_by_id).load(self.certificate_id)
        return Certificate.from_model(row) if row is not None else None


@strawberry.type(description="A certification cycle: its certificate and the audits it expects.")
class CertificationCycle:
    number: int
    decision_on: date
    expires: DueDate
    state: CertificateState  # type: ignore[valid-type]
    certificate: Certificate
    expected_audits: list[ExpectedAudit] = strawberry.field(metadata=at_most(10))
    restore_until: DueDate = strawberry.field(
        description="After expiry, the last day it may be restored; then stage 2 again."
    )
    withdrawal_due: DueDate | None = strawberry.field(
        description="While suspended: when it is withdrawn if not resolved."
    )
    suspendable_because: list[str] = strawberry.field(
        description="Why the body may suspend it now (empty: no reason from the cycle).",
        metadata=at_most(10),
    )

    @classmethod
    def of(cls, facts: queries.CycleFacts, certificate: Certificate) -> CertificationCycle:
        row, cycle = facts.certificate, facts.cycle()
        previous = (
            None
            if row.previous_id is None
            else rules.add_months(row.expires_on, -12 * facts.body.cycle_years)
        )
        expires = rules.expiry(row.decision_on, previous, facts.body)
        suspended = row.suspended_on
        state = queries.state_of(facts)
        return cls(
            number=row.cycle_number,
            decision_on=row.decision_on,
            expires=DueDate.of(expires),
            state=state,
            certificate=certificate,
            expected_audits=[ExpectedAudit.of(item) for item in cycle.expected],
            restore_until=DueDate.of(cycle.restore_until),
            withdrawal_due=None
            if suspended is None
            else DueDate.of(rules.withdrawal_due(suspended, facts.body)),
            suspendable_because=rules.suspension_reasons(cycle.expected)
            if state is CertificateStateValue.ACTIVE
            else [],
        )


@strawberry.type(description="An audit coming up in an organization you read.")
class UpcomingAudit:
    kind: str = strawberry.field(description="surveillance, recertification, stage_1, ...")
    date: date = strawberry.field(description="Due by (expected) or starting (booked).")
    rule: str
    status: str = strawberry.field(description="due, overdue, or planned (booked).")
    tenant_id: strawberry.Private[uuid.UUID]
    certificate_row: strawberry.Private[models.Certificate | None]
    audit_row: strawberry.Private[models.CertificationAudit | None]

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        return await _organization(info, self.tenant_id)

    @strawberry.field(description="The certificate whose cycle expects it.")
    def certificate(self) -> Certificate | None:
        row = self.certificate_row
        return None if row is None else Certificate.from_model(row)

    @strawberry.field(description="The audit booked.")
    def audit(self) -> CertificationAudit | None:
        row = self.audit_row
        return None if row is None else CertificationAudit.from_model(row)


# --- queries -------------------------------------------------------------------------------


MAX_UPCOMING = 200
RULE_NAMES = tuple(item.name for item in fields(rules.BodyRules))


@strawberry.type
class CertificationQuery:
    @strawberry.field(description="Certification audits of the organizations you read.")
    async def certification_audits(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID | None = None,
        kind: AuditKind | None = None,  # type: ignore[valid-type]
        status: AuditStatus | None = None,  # type: ignore[valid-type]
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CertificationAudit]:
        info.context.require_entitlements()
        where = queries.AuditFilter(
            program_id=None if program_id is None else _program(program_id),
            kind=kind,
            status=status,
            organization=organization_id(organization),
        )
        keys = (models.CertificationAudit.planned_start, models.CertificationAudit.id)
        page = await paginate(info.context.db, queries.audits_statement(where), keys, first, after)
        return Connection[CertificationAudit].from_page(page, CertificationAudit.from_model)

    @strawberry.field(description="Certificates of the organizations you read, by decision.")
    async def certificates(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID | None = None,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Certificate]:
        info.context.require_entitlements()
        statement = queries.certificates_statement(
            None if program_id is None else _program(program_id), organization_id(organization)
        )
        keys = (models.Certificate.decision_on, models.Certificate.id)
        page = await paginate(info.context.db, statement, keys, first, after)
        return Connection[Certificate].from_page(page, Certificate.from_model)

    @strawberry.field(description="The program's current cycle; null before its decision.")
    async def certification_cycle(
        self, info: Info, program_id: relay.GlobalID
    ) -> CertificationCycle | None:
        info.context.require_entitlements()
        program = _program(program_id)
        found = await queries.current_certificates(info.context.db, [program])
        row = found.get(program)
        if row is None:
            return None
        certificate = Certificate.from_model(row)
        return CertificationCycle.of(await certificate.facts(info), certificate)

    @strawberry.field(
        description="Audits coming up in every organization you read (a consultant's or a"
        " body's whole portfolio), by date: those cycles expect and those booked.",
        metadata=at_most(MAX_UPCOMING),
    )
    async def upcoming_audits(
        self, info: Info, organization: OrganizationFilter = None, first: int = 50
    ) -> list[UpcomingAudit]:
        info.context.require_entitlements()
        limit = max(1, min(first, MAX_UPCOMING))
        items = await queries.upcoming(info.context.db, organization_id(organization), limit)
        return [
            UpcomingAudit(
                kind=item.kind,
                date=item.day,
                rule=item.rule,
                status=item.status,
                tenant_id=item.tenant_id,
                certificate_row=item.certificate,
                audit_row=item.audit,
            )
            for item in items
        ]


def _program(value: relay.GlobalID, field: str = "programId") -> uuid.UUID:
    return node_uuid(value, "Program", field)


# --- mutations -----------------------------------------------------------------------------


@strawberry.input(description="Book an audit with the programs' certification body.")
class PlanCertificationAuditInput:
    program_ids: list[relay.GlobalID] = strawberry.field(
        description="1 to 10 programs naming the same certification body (an integrated audit)."
    )
    kind: AuditKind  # type: ignore[valid-type]
    planned_start: date
    planned_end: date
    audit_days: Decimal | None = None
    lead_auditor_name: str = ""


@strawberry.input(description="Omitted fields keep their value; only a planned audit changes.")
class UpdateCertificationAuditInput:
    id: relay.GlobalID
    program_ids: list[relay.GlobalID] | None = strawberry.UNSET
    kind: AuditKind | None = strawberry.UNSET  # type: ignore[valid-type]
    planned_start: date | None = strawberry.UNSET
    planned_end: date | None = strawberry.UNSET
    audit_days: Decimal | None = strawberry.UNSET
    lead_auditor_name: str | None = strawberry.UNSET
    cancel: bool = strawberry.field(default=False, description="Cancel the audit.")


@strawberry.input(
    description="The audit was held. Findings are raised with raiseFinding (source"
    " CERTIFICATION_AUDIT) and tied here; recording again adds findings."
)
class RecordCertificationAuditOutcomeInput:
    id: relay.GlobalID
    outcome: AuditOutcome  # type: ignore[valid-type]
    actual_start: date
    actual_end: date
    finding_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)
    summary: str = ""
    report_evidence_id: relay.GlobalID | None = None


@strawberry.input(
    description="The body's certification decision (or renewal) and the certificate it issued."
)
class RecordCertificationDecisionInput:
    program_ids: list[relay.GlobalID] = strawberry.field(
        description="The programs certified together: one certificate may cover several standards."
    )
    decided_on: date
    number: str
    scope: str
    sites: list[str] = strawberry.field(default_factory=list)
    issued_on: date | None = None


@strawberry.input(description="A change of the certificate's state, and why.")
class CertificateStateInput:
    id: relay.GlobalID
    reason: str


@strawberry.input(description="Restore an expired certificate: a new cycle on the old dates.")
class RestoreCertificateInput:
    id: relay.GlobalID
    decided_on: date


@strawberry.input(
    description="A certification body's own numbers for your organization; null keeps the"
    " default (shown in CertificationBodyRules)."
)
class SetCertificationBodyRulesInput:
    certification_body_slug: str
    cycle_years: int | None = None
    first_surveillance_months: int | None = None
    major_deadline_days: int | None = None
    stage2_repeat_months: int | None = None
    restore_months: int | None = None
    suspension_months: int | None = None
    recertification_window_months: int | None = None


@strawberry.type(description="The numbers every due date of a body's cycles follows.")
class CertificationBodyRules:
    cycle_years: int
    first_surveillance_months: int
    major_deadline_days: int
    stage2_repeat_months: int
    restore_months: int
    suspension_months: int
    recertification_window_months: int
    body_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def certification_body(self, info: Info) -> Organization | None:
        return await _body(info, self.body_id)


@strawberry.type
class CertificationBodyRulesPayload:
    rules: CertificationBodyRules | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CertificationAuditPayload:
    audit: CertificationAudit | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CertificatePayload:
    certificate: Certificate | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _programs(values: Sequence[relay.GlobalID] | None) -> Change[Sequence[uuid.UUID]]:
    if values is None or values is strawberry.UNSET:
        return KEEP
    return [_program(value, "programIds") for value in values]


def _fields(
    input: PlanCertificationAuditInput | UpdateCertificationAuditInput,
) -> service.AuditFields:
    kind = given(input.kind)
    return service.AuditFields(
        program_ids=_programs(input.program_ids),
        kind=kind if kind is KEEP else kind.value,
        planned_start=given(input.planned_start),
        planned_end=given(input.planned_end),
        audit_days=clearable(input.audit_days),
        lead_auditor_name=given(input.lead_auditor_name),
    )


def _audit_id(value: relay.GlobalID) -> uuid.UUID:
    return node_uuid(value, "CertificationAudit", "id")


def _certificate_id(value: relay.GlobalID) -> uuid.UUID:
    return node_uuid(value, "Certificate", "id")


def _audit(row: models.CertificationAudit) -> CertificationAuditPayload:
    return CertificationAuditPayload(audit=CertificationAudit.from_model(row))


def _certificate(row: models.Certificate) -> CertificatePayload:
    return CertificatePayload(certificate=Certificate.from_model(row))


@strawberry.type
class CertificationMutation:
    @mutation(description="Book an audit with the certification body.")
    async def plan_certification_audit(
        self, info: Info, input: PlanCertificationAuditInput
    ) -> CertificationAuditPayload:
        row = await service.plan_audit(info.context.db, actor_of(info), _fields(input))
        return _audit(row)

    @mutation(description="Change or cancel a planned audit.")
    async def update_certification_audit(
        self, info: Info, input: UpdateCertificationAuditInput
    ) -> CertificationAuditPayload:
        row = await service.update_audit(
            info.context.db, actor_of(info), _audit_id(input.id), _fields(input), input.cancel
        )
        return _audit(row)

    @mutation(description="Record what the body found and concluded.")
    async def record_certification_audit_outcome(
        self, info: Info, input: RecordCertificationAuditOutcomeInput
    ) -> CertificationAuditPayload:
        report = input.report_evidence_id
        values = service.Outcome(
            outcome=AuditOutcomeValue(input.outcome).value,
            actual_start=input.actual_start,
            actual_end=input.actual_end,
            finding_ids=[node_uuid(f, "Finding", "findingIds") for f in input.finding_ids],
            summary=input.summary,
            report_evidence_id=None
            if report is None
            else node_uuid(report, "EvidenceItem", "reportEvidenceId"),
        )
        row = await service.record_outcome(
            info.context.db, actor_of(info), _audit_id(input.id), values
        )
        return _audit(row)

    @mutation(description="Record the certification (or renewal) decision and its certificate.")
    async def record_certification_decision(
        self, info: Info, input: RecordCertificationDecisionInput
    ) -> CertificatePayload:
        values = service.Decision(
            program_ids=[_program(value, "programIds") for value in input.program_ids],
            decided_on=input.decided_on,
            number=input.number,
            scope=input.scope,
            sites=input.sites,
            issued_on=input.issued_on,
        )
        return _certificate(await service.record_decision(info.context.db, actor_of(info), values))

    @mutation(description="The body suspended the certificate; its programs are suspended.")
    async def suspend_certificate(
        self, info: Info, input: CertificateStateInput
    ) -> CertificatePayload:
        row = await service.suspend_certificate(
            info.context.db, actor_of(info), _certificate_id(input.id), input.reason
        )
        return _certificate(row)

    @mutation(description="The suspension is resolved; the certificate and programs resume.")
    async def reinstate_certificate(
        self, info: Info, input: CertificateStateInput
    ) -> CertificatePayload:
        row = await service.reinstate_certificate(
            info.context.db, actor_of(info), _certificate_id(input.id), input.reason
        )
        return _certificate(row)

    @mutation(description="The body withdrew the certificate; its programs' certification ends.")
    async def withdraw_certificate(
        self, info: Info, input: CertificateStateInput
    ) -> CertificatePayload:
        row = await service.withdraw_certificate(
            info.context.db, actor_of(info), _certificate_id(input.id), input.reason
        )
        return _certificate(row)

    @mutation(description="Set a certification body's numbers for your organization.")
    async def set_certification_body_rules(
        self, info: Info, input: SetCertificationBodyRulesInput
    ) -> CertificationBodyRulesPayload:
        given_rules = {
            name: value for name in RULE_NAMES if (value := getattr(input, name)) is not None
        }
        body_id, numbers = await service.set_body_rules(
            info.context.db, actor_of(info), input.certification_body_slug, given_rules
        )
        values = {name: getattr(numbers, name) for name in RULE_NAMES}
        return CertificationBodyRulesPayload(
            rules=CertificationBodyRules(body_id=body_id, **values)
        )

    @mutation(description="Restore an expired certificate within the body's months.")
    async def restore_certificate(
        self, info: Info, input: RestoreCertificateInput
    ) -> CertificatePayload:
        row = await service.restore_certificate(
            info.context.db, actor_of(info), _certificate_id(input.id), input.decided_on
        )
        return _certificate(row)
