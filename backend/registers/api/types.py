"""GraphQL types of the registers: one interface for what every register row shares, one type
per register with its own fields."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

import strawberry
from strawberry import relay

from backend.api.context import Info
from backend.api.cost import at_most
from backend.api.loaders import Batch
from backend.api.nodes import LoadedNode, as_type
from backend.api.tenants import User
from backend.assessments.models import Conformity
from backend.catalog.api import Requirement
from backend.core.calendar import local_date, local_today
from backend.planning.models import Benefit
from backend.programs import service as program_service
from backend.programs.api import Program
from backend.registers import models, queries, rules
from backend.registers.models import EntryKind

if TYPE_CHECKING:  # types of other areas, named lazily (areas import no other's API)
    from backend.findings.api import Finding
    from backend.planning.api import Action, Benefit, Objective

ObjectiveType = Annotated["Objective", strawberry.lazy("backend.planning.api")]
ActionType = Annotated["Action", strawberry.lazy("backend.planning.api")]
BenefitType = Annotated["Benefit", strawberry.lazy("backend.planning.api")]
FindingType = Annotated["Finding", strawberry.lazy("backend.findings.api")]

Nature = strawberry.enum(models.Nature, name="RiskNature")
Treatment = strawberry.enum(models.Treatment, name="RiskTreatment")
Condition = strawberry.enum(models.Condition, name="AspectCondition")
ControlLevel = strawberry.enum(
    models.ControlLevel, name="ControlLevel", description="The hierarchy of controls, best first."
)
EvaluationResult = strawberry.enum(models.EvaluationResult, name="EvaluationResult")
IncidentKind = strawberry.enum(models.IncidentKind, name="IncidentKind")
Severity = strawberry.enum(models.Severity, name="IncidentSeverity")
ImprovementSource = strawberry.enum(models.ImprovementSource, name="ImprovementSource")
ImprovementStatus = strawberry.enum(models.ImprovementStatus, name="ImprovementStatus")
Register = strawberry.enum(EntryKind, name="Register", description="Which register a row is in.")
MAX_LINKED = rules.MAX_LINKS
MAX_HISTORY = 200  # entries of one row's history counted by the query cost
MAX_CONTROLS = 200  # annex controls of one standard (ISO/IEC 27001 has 93)


@strawberry.type(description="One change of a register row: its fields before and after.")
class RegisterChange:
    action: str = strawberry.field(description="created, updated, evaluated, accepted, archived.")
    changed_at: datetime
    before: strawberry.scalars.JSON
    after: strawberry.scalars.JSON
    changed_by_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def changed_by(self, info: Info) -> User | None:
        return await User.load(info, self.changed_by_id)


@strawberry.interface(
    description="What every register row has: a reference, an owner, a review date, the program"
    " it serves, links to objectives and actions, and its history. Rows are archived, never"
    " deleted."
)
class RegisterEntry:
    id: relay.NodeID[str]
    reference: str
    title: str
    description: str
    review_on: date | None = strawberry.field(description="When the row is next reviewed.")
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
    tenant_id: strawberry.Private[uuid.UUID]
    program_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID | None]

    @staticmethod
    def common(row: models.RegisterEntry) -> dict[str, Any]:
        return {
            "id": str(row.id),
            "reference": row.reference,
            "title": row.title,
            "description": row.description,
            "review_on": row.review_on,
            "archived_at": row.archived_at,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
            "tenant_id": row.tenant_id,
            "program_id": row.program_id,
            "owner_id": row.owner_id,
        }

    @strawberry.field(description="Its review date has come (the organization's calendar).")
    async def review_due(self, info: Info) -> bool:
        return self.review_on is not None and self.review_on <= await _today(info, self.tenant_id)

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await User.load(info, self.owner_id)

    @strawberry.field(description="The program (and so the standard) the row serves.")
    async def program(self, info: Info) -> Program:
        row = await info.context.loaders.of(program_service.programs_by_id).load(self.program_id)
        return Program.from_model(row)

    @strawberry.field(description="Planning objectives it leads to.", metadata=at_most(MAX_LINKED))
    async def objectives(self, info: Info) -> list[ObjectiveType]:
        rows = await info.context.loaders.of(queries.objectives_of_entries).load(_id(self))
        return as_type(info, "Objective", rows)

    @strawberry.field(
        description="Planning actions that treat or answer it.", metadata=at_most(MAX_LINKED)
    )
    async def actions(self, info: Info) -> list[ActionType]:
        rows = await info.context.loaders.of(queries.actions_of_entries).load(_id(self))
        return as_type(info, "Action", rows)

    @strawberry.field(description="Every change, oldest first.", metadata=at_most(MAX_HISTORY))
    async def history(self, info: Info) -> list[RegisterChange]:
        rows = await info.context.loaders.of(queries.changes_of_entries).load(_id(self))
        return [
            RegisterChange(
                action=row.action,
                changed_at=row.changed_at,
                before=row.before,
                after=row.after,
                changed_by_id=row.changed_by_id,
            )
            for row in rows
        ]


Coded = TypeVar("Coded", bound=enum.StrEnum)


def _coded(kind: type[Coded], value: str | None) -> Coded:
    """A column its register always fills (the service requires it), as its enum."""
    return kind(str(value))


def _id(entry: RegisterEntry) -> uuid.UUID:
    return uuid.UUID(entry.id)


async def _today(info: Info, tenant_id: uuid.UUID) -> date:
    organization = await info.context.loaders.organization.load(tenant_id)
    return local_today(organization.timezone)


async def _relating(info: Info, entry: RegisterEntry) -> list[Any]:
    """The first MAX_LINKED active rows that name this one (by reference)."""
    rows = await info.context.loaders.of(queries.relating_to_entries).load(_id(entry))
    return [entry_of(row) for row in rows[:MAX_LINKED]]


class KindNode(LoadedNode):
    """Node lookups of one register: an id of another register's row resolves to null."""

    loader: ClassVar[Batch] = queries.entries_by_id
    kind: ClassVar[EntryKind]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Any, required: bool = False) -> list[Any]:
        found = await super().resolve_nodes(info=info, node_ids=node_ids, required=required)
        return [
            node if node is not None and node.kind_value is cls.kind else None for node in found
        ]


@strawberry.type(description="A risk or opportunity the organization plans for (6.1).")
class Risk(KindNode, RegisterEntry, relay.Node):
    kind: ClassVar[EntryKind] = EntryKind.RISK
    nature: Nature  # type: ignore[valid-type]
    context: str = strawberry.field(description="The issue or need it arises from.")
    likelihood: int | None
    impact: int | None
    level: int | None = strawberry.field(description="Likelihood x impact.")
    kind_value: strawberry.Private[EntryKind]

    @classmethod
    def from_model(cls, row: models.RegisterEntry) -> Risk:
        return cls(
            **RegisterEntry.common(row),
            nature=_coded(models.Nature, row.nature),
            context=row.context,
            likelihood=row.likelihood,
            impact=row.impact,
            level=rules.level(row.likelihood, row.impact),
            kind_value=EntryKind(row.kind),
        )

    @strawberry.field(
        description=f"Incidents that concern it: the first {MAX_LINKED} active ones.",
        metadata=at_most(MAX_LINKED),
    )
    async def incidents(self, info: Info) -> list[Incident]:
        return await _relating(info, self)


@strawberry.type(description="An annex control a security risk's treatment selects.")
class SelectedControl:
    requirement: Requirement
    applicability: str = strawberry.field(
        description="What the Statement of Applicability says: applicable, not_applicable or"
        " not_assessed."
    )
    inconsistent: bool = strawberry.field(
        description="The SoA excludes a control this treatment selects."
    )

    @classmethod
    def from_control(cls, control: queries.SelectedControl) -> SelectedControl:
        return cls(
            requirement=Requirement.from_model(control.clause),
            applicability=_applicability(control.status),
            inconsistent=control.inconsistent,
        )


def _applicability(status: Conformity | None) -> str:
    if status is None or status is Conformity.NOT_ASSESSED:
        return "not_assessed"
    return "not_applicable" if status is Conformity.NOT_APPLICABLE else "applicable"


@strawberry.type(
    description="An information security risk (ISO/IEC 27001 6.1.2, 6.1.3): asset, threat,"
    " vulnerability, its level, treatment, the annex controls chosen, residual level and the"
    " owner's acceptance of it."
)
class SecurityRisk(KindNode, RegisterEntry, relay.Node):
    kind: ClassVar[EntryKind] = EntryKind.SECURITY_RISK
    asset: str
    threat: str
    vulnerability: str
    likelihood: int | None
    impact: int | None
    level: int | None = strawberry.field(description="Likelihood x impact.")
    treatment: Treatment | None  # type: ignore[valid-type]
    residual_likelihood: int | None
    residual_impact: int | None
    residual_level: int | None
    accepted_at: datetime | None = strawberry.field(
        description="When the owner accepted the residual risk."
    )
    kind_value: strawberry.Private[EntryKind]
    accepted_by_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, row: models.RegisterEntry) -> SecurityRisk:
        return cls(
            **RegisterEntry.common(row),
            asset=row.asset,
            threat=row.threat,
            vulnerability=row.vulnerability,
            likelihood=row.likelihood,
            impact=row.impact,
            level=rules.level(row.likelihood, row.impact),
            treatment=models.Treatment(row.treatment) if row.treatment else None,
            residual_likelihood=row.residual_likelihood,
            residual_impact=row.residual_impact,
            residual_level=rules.level(row.residual_likelihood, row.residual_impact),
            accepted_at=row.accepted_at,
            kind_value=EntryKind(row.kind),
            accepted_by_id=row.accepted_by_id,
        )

    @strawberry.field(description="Who accepted the residual risk.")
    async def accepted_by(self, info: Info) -> User | None:
        return await User.load(info, self.accepted_by_id)

    @strawberry.field(
        description="The annex controls its treatment selects, with the SoA's word on each.",
        metadata=at_most(MAX_LINKED),
    )
    async def controls(self, info: Info) -> list[SelectedControl]:
        rows = await info.context.loaders.of(queries.controls_of_entries).load(_id(self))
        return [SelectedControl.from_control(row) for row in rows]

    @strawberry.field(
        description=f"Incidents that concern it: the first {MAX_LINKED} active ones.",
        metadata=at_most(MAX_LINKED),
    )
    async def incidents(self, info: Info) -> list[Incident]:
        return await _relating(info, self)


@strawberry.type(description="An environmental aspect of an activity (ISO 14001 6.1.2).")
class Aspect(KindNode, RegisterEntry, relay.Node):
    kind: ClassVar[EntryKind] = EntryKind.ASPECT
    activity: str
    consequence: str = strawberry.field(description="The environmental impact.")
    condition: Condition  # type: ignore[valid-type]
    likelihood: int | None
    impact: int | None
    significance: int | None = strawberry.field(description="Likelihood x impact.")
    kind_value: strawberry.Private[EntryKind]

    @classmethod
    def from_model(cls, row: models.RegisterEntry) -> Aspect:
        return cls(
            **RegisterEntry.common(row),
            activity=row.activity,
            consequence=row.consequence,
            condition=_coded(models.Condition, row.condition),
            likelihood=row.likelihood,
            impact=row.impact,
            significance=rules.level(row.likelihood, row.impact),
            kind_value=EntryKind(row.kind),
        )

    @strawberry.field(
        description="Its significance reaches the organization's threshold; null while unscored."
    )
    async def significant(self, info: Info) -> bool | None:
        if self.significance is None:
            return None
        loader = info.context.loaders.of(queries.scales_of_tenants)
        scales: rules.Scales = await loader.load(self.tenant_id)
        return self.significance >= scales.significance_threshold

    @strawberry.field(
        description="Compliance obligations it bears on.", metadata=at_most(MAX_LINKED)
    )
    async def obligations(self, info: Info) -> list[Obligation]:
        rows = await info.context.loaders.of(queries.related_of_entries).load(_id(self))
        return [Obligation.from_model(row) for row in rows]


@strawberry.type(description="A control of a hazard at its level of the hierarchy.")
class HazardControl:
    level: ControlLevel  # type: ignore[valid-type]
    description: str


@strawberry.type(
    description="An OH&S hazard (ISO 45001 6.1.2): who may be harmed, risk before and after its"
    " controls, and the controls by the hierarchy."
)
class Hazard(KindNode, RegisterEntry, relay.Node):
    kind: ClassVar[EntryKind] = EntryKind.HAZARD
    activity: str
    consequence: str = strawberry.field(description="The harm it may cause.")
    exposed: str = strawberry.field(description="Who may be harmed.")
    likelihood: int | None
    impact: int | None
    level: int | None = strawberry.field(description="Risk before controls.")
    residual_likelihood: int | None
    residual_impact: int | None
    residual_level: int | None = strawberry.field(description="Risk with its controls.")
    kind_value: strawberry.Private[EntryKind]

    @classmethod
    def from_model(cls, row: models.RegisterEntry) -> Hazard:
        return cls(
            **RegisterEntry.common(row),
            activity=row.activity,
            consequence=row.consequence,
            exposed=row.exposed,
            likelihood=row.likelihood,
            impact=row.impact,
            level=rules.level(row.likelihood, row.impact),
            residual_likelihood=row.residual_likelihood,
            residual_impact=row.residual_impact,
            residual_level=rules.level(row.residual_likelihood, row.residual_impact),
            kind_value=EntryKind(row.kind),
        )

    @strawberry.field(metadata=at_most(MAX_LINKED))
    async def controls(self, info: Info) -> list[HazardControl]:
        rows = await info.context.loaders.of(queries.hazard_controls_of_entries).load(_id(self))
        return [
            HazardControl(level=models.ControlLevel(row.level), description=row.description)
            for row in rows
        ]

    @strawberry.field(
        description="Set when only administrative controls and PPE are used: a higher level of"
        " the hierarchy is preferred."
    )
    async def control_warning(self, info: Info) -> str | None:
        rows = await info.context.loaders.of(queries.hazard_controls_of_entries).load(_id(self))
        return rules.hierarchy_warning([models.ControlLevel(row.level) for row in rows])

    @strawberry.field(
        description=f"Incidents that concern it: the first {MAX_LINKED} active ones.",
        metadata=at_most(MAX_LINKED),
    )
    async def incidents(self, info: Info) -> list[Incident]:
        return await _relating(info, self)


@strawberry.type(
    description="A compliance obligation (ISO 14001 / ISO 45001 6.1.3): its source, what it asks"
    " in our words, how often compliance is evaluated and the last evaluation."
)
class Obligation(KindNode, RegisterEntry, relay.Node):
    kind: ClassVar[EntryKind] = EntryKind.OBLIGATION
    source: str = strawberry.field(description="The law, permit, contract or code it comes from.")
    applicability: str
    evaluation_months: int = strawberry.field(description="Months between evaluations.")
    evaluated_on: date | None
    evaluation_result: EvaluationResult | None  # type: ignore[valid-type]
    evaluation_evidence: str
    kind_value: strawberry.Private[EntryKind]

    @classmethod
    def from_model(cls, row: models.RegisterEntry) -> Obligation:
        return cls(
            **RegisterEntry.common(row),
            source=row.source,
            applicability=row.applicability,
            evaluation_months=row.evaluation_months or 0,
            evaluated_on=row.evaluated_on,
            evaluation_result=models.EvaluationResult(row.evaluation_result)
            if row.evaluation_result
            else None,
            evaluation_evidence=row.evaluation_evidence,
            kind_value=EntryKind(row.kind),
        )

    @strawberry.field(
        description="When the next evaluation is due: the frequency after the last one on the"
        " organization's calendar; the day it was listed while never evaluated."
    )
    async def next_evaluation_due(self, info: Info) -> date | None:
        organization = await info.context.loaders.organization.load(self.tenant_id)
        listed = local_date(self.created_at, organization.timezone)
        return rules.next_evaluation(self.evaluated_on, self.evaluation_months, listed)

    @strawberry.field(
        description=f"Environmental aspects it bears on: the first {MAX_LINKED} active ones.",
        metadata=at_most(MAX_LINKED),
    )
    async def aspects(self, info: Info) -> list[Aspect]:
        return await _relating(info, self)


@strawberry.type(
    description="An incident (ISO 45001 10.2, or a security incident): what happened, how it"
    " was investigated, the hazards and risks it concerns, the nonconformity it raised."
)
class Incident(KindNode, RegisterEntry, relay.Node):
    kind: ClassVar[EntryKind] = EntryKind.INCIDENT
    occurred_on: date | None
    incident_kind: IncidentKind  # type: ignore[valid-type]
    severity: Severity  # type: ignore[valid-type]
    investigation: str
    kind_value: strawberry.Private[EntryKind]

    @classmethod
    def from_model(cls, row: models.RegisterEntry) -> Incident:
        return cls(
            **RegisterEntry.common(row),
            occurred_on=row.occurred_on,
            incident_kind=_coded(models.IncidentKind, row.incident_kind),
            severity=_coded(models.Severity, row.severity),
            investigation=row.investigation,
            kind_value=EntryKind(row.kind),
        )

    @strawberry.field(
        description="The hazards and risks it concerns.", metadata=at_most(MAX_LINKED)
    )
    async def related(self, info: Info) -> list[RegisterEntry]:
        rows = await info.context.loaders.of(queries.related_of_entries).load(_id(self))
        return [entry_of(row) for row in rows]

    @strawberry.field(description="The nonconformities it raised.", metadata=at_most(MAX_LINKED))
    async def findings(self, info: Info) -> list[FindingType]:
        rows = await info.context.loaders.of(queries.findings_of_entries).load(_id(self))
        return as_type(info, "Finding", rows)


@strawberry.type(
    description="An improvement: from an audit's observation or opportunity, a management"
    " review, a complaint or a suggestion; its status, benefit and result."
)
class Improvement(KindNode, RegisterEntry, relay.Node):
    kind: ClassVar[EntryKind] = EntryKind.IMPROVEMENT
    source: ImprovementSource  # type: ignore[valid-type]
    status: ImprovementStatus  # type: ignore[valid-type]
    benefit: BenefitType
    result: str = strawberry.field(description="What the improvement achieved.")
    kind_value: strawberry.Private[EntryKind]

    @classmethod
    def from_model(cls, row: models.RegisterEntry) -> Improvement:
        benefit: Any = _coded(Benefit, row.benefit)
        return cls(
            **RegisterEntry.common(row),
            source=_coded(models.ImprovementSource, row.improvement_source),
            status=_coded(models.ImprovementStatus, row.improvement_status),
            benefit=benefit,
            result=row.result,
            kind_value=EntryKind(row.kind),
        )

    @strawberry.field(
        description="The observation or opportunity for improvement it was raised from.",
        metadata=at_most(MAX_LINKED),
    )
    async def findings(self, info: Info) -> list[FindingType]:
        rows = await info.context.loaders.of(queries.findings_of_entries).load(_id(self))
        return as_type(info, "Finding", rows)


TYPES: dict[EntryKind, Any] = {
    EntryKind.RISK: Risk,
    EntryKind.SECURITY_RISK: SecurityRisk,
    EntryKind.ASPECT: Aspect,
    EntryKind.HAZARD: Hazard,
    EntryKind.OBLIGATION: Obligation,
    EntryKind.INCIDENT: Incident,
    EntryKind.IMPROVEMENT: Improvement,
}


def entry_of(row: models.RegisterEntry) -> Any:
    """A row as the GraphQL type of its register."""
    return TYPES[EntryKind(row.kind)].from_model(row)


@strawberry.type(
    description="An organization's scales for likelihood and impact (levels 1 to n) and the"
    " score from which an environmental aspect is significant."
)
class RegisterScales:
    likelihood_levels: int
    impact_levels: int
    significance_threshold: int

    @classmethod
    def from_scales(cls, scales: rules.Scales) -> RegisterScales:
        return cls(
            likelihood_levels=scales.likelihood_levels,
            impact_levels=scales.impact_levels,
            significance_threshold=scales.significance_threshold,
        )


@strawberry.type(description="An annex control of a program as the risk treatments see it.")
class ControlTreatment:
    requirement: Requirement
    applicability: str = strawberry.field(
        description="applicable, not_applicable or not_assessed, as the SoA says."
    )
    needed_by: list[str] = strawberry.field(
        description="References of the security risks whose treatment selects it."
    )
    inconsistent: bool = strawberry.field(
        description="Marked not applicable while a treatment selects it."
    )
    reason: str = strawberry.field(
        description='"Applicable because ISR-012 needs it.", or what is inconsistent.'
    )

    @classmethod
    def from_treatment(cls, row: queries.ControlTreatment) -> ControlTreatment:
        return cls(
            requirement=Requirement.from_model(row.clause),
            applicability=_applicability(row.status),
            needed_by=row.needed_by,
            inconsistent=row.inconsistent,
            reason=row.reason,
        )


@strawberry.type(
    description="A program's Statement of Applicability checked against its risk treatments."
)
class SoaTreatment:
    consistent: bool = strawberry.field(description="No excluded control is selected by a risk.")
    controls: list[ControlTreatment] = strawberry.field(metadata=at_most(MAX_CONTROLS))

    @strawberry.field(
        description="The controls that make it inconsistent.", metadata=at_most(MAX_CONTROLS)
    )
    def inconsistencies(self) -> list[ControlTreatment]:
        return [control for control in self.controls if control.inconsistent]
