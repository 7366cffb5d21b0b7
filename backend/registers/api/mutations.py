"""GraphQL mutations of the registers: create and update per register, archive for all,
`evaluateObligation`, `acceptResidualRisk`, `recordIncident` and `raiseImprovement`.

Each register's input declares only its own fields; one conversion turns any of them into the
service's `EntryFields` (omitted keeps, null clears).
"""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import date
from typing import Any

import strawberry
from strawberry import relay

from backend.api.context import Info, actor_of
from backend.api.errors import UserError
from backend.api.inputs import clearable, clearable_id, given
from backend.api.mutations import mutation, node_uuid
from backend.core.changes import KEEP
from backend.core.errors import invalid
from backend.core.validation import camel
from backend.programs.api import requirement_ref
from backend.registers import rules, service
from backend.registers.api.types import (
    TYPES,
    Aspect,
    BenefitType,
    Condition,
    ControlLevel,
    EvaluationResult,
    Hazard,
    Improvement,
    ImprovementSource,
    ImprovementStatus,
    Incident,
    IncidentKind,
    Nature,
    Obligation,
    RegisterEntry,
    RegisterScales,
    Risk,
    SecurityRisk,
    Severity,
    Treatment,
    entry_of,
)
from backend.registers.models import EntryKind

UPDATES = "Omitted fields keep their value; null clears the optional ones; lists replace the set."
CLEARED = {"owner_id", "review_on", "likelihood", "impact", "treatment"}
CLEARED |= {"residual_likelihood", "residual_impact"}
IDS = {  # list field: the type its global ids name
    "objective_ids": "Objective",
    "action_ids": "Action",
    "related_ids": "",  # any register row
    "finding_ids": "Finding",
}


def entry_fields(input: Any) -> service.EntryFields:
    """The service's fields from any register input: what it declares, converted."""
    values: dict[str, Any] = {}
    for item in fields(service.EntryFields):
        value = getattr(input, item.name, strawberry.UNSET)
        if item.name == "owner_id":
            values[item.name] = clearable_id(value, "User", "ownerId")
        elif item.name in CLEARED:
            values[item.name] = clearable(value)
        elif item.name in IDS:
            values[item.name] = _ids(given(value), IDS[item.name], item.name)
        elif item.name == "control_refs":
            refs = given(value)
            values[item.name] = refs if refs is KEEP else [requirement_ref(r) for r in refs]
        elif item.name == "controls":
            values[item.name] = _hazard_controls(given(value))
        else:
            values[item.name] = given(value)
    return service.EntryFields(**values)


def _ids(value: Any, type_name: str, name: str) -> Any:
    if value is KEEP:
        return KEEP
    field = camel(name)
    if type_name:
        return [node_uuid(gid, type_name, field) for gid in value]
    return [_entry_uuid(gid, field) for gid in value]


def _entry_uuid(gid: relay.GlobalID, field: str) -> uuid.UUID:
    if gid.type_name not in {kind.__name__ for kind in TYPES.values()}:
        raise invalid("Expected the id of a register row.", [field])
    return node_uuid(gid, gid.type_name, field)


def _hazard_controls(value: Any) -> Any:
    if value is KEEP:
        return KEEP
    return [service.HazardControlFields(level=c.level, description=c.description) for c in value]


@strawberry.input
class CommonFields:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    owner_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="A member of the organization."
    )
    review_on: date | None = strawberry.UNSET
    objective_ids: list[relay.GlobalID] | None = strawberry.UNSET
    action_ids: list[relay.GlobalID] | None = strawberry.UNSET


@strawberry.input
class Scored:
    likelihood: int | None = strawberry.field(
        default=strawberry.UNSET, description="1 to the organization's likelihood scale."
    )
    impact: int | None = strawberry.field(
        default=strawberry.UNSET, description="1 to the organization's impact scale."
    )


@strawberry.input
class RiskFields(CommonFields, Scored):
    nature: Nature | None = strawberry.UNSET  # type: ignore[valid-type]
    context: str | None = strawberry.UNSET


@strawberry.input
class SecurityRiskFields(CommonFields, Scored):
    asset: str | None = strawberry.UNSET
    threat: str | None = strawberry.UNSET
    vulnerability: str | None = strawberry.UNSET
    treatment: Treatment | None = strawberry.UNSET  # type: ignore[valid-type]
    control_refs: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        name="controls",
        description='Annex controls the treatment selects: numbers ("A.8.24") or Requirement ids.',
    )
    residual_likelihood: int | None = strawberry.UNSET
    residual_impact: int | None = strawberry.UNSET


@strawberry.input
class AspectFields(CommonFields, Scored):
    activity: str | None = strawberry.UNSET
    consequence: str | None = strawberry.field(
        default=strawberry.UNSET, description="The environmental impact."
    )
    condition: Condition | None = strawberry.UNSET  # type: ignore[valid-type]
    related_ids: list[relay.GlobalID] | None = strawberry.field(
        default=strawberry.UNSET, name="obligationIds", description="Obligations it bears on."
    )


@strawberry.input
class HazardControlInput:
    level: ControlLevel  # type: ignore[valid-type]
    description: str


@strawberry.input
class HazardFields(CommonFields, Scored):
    activity: str | None = strawberry.UNSET
    consequence: str | None = strawberry.field(
        default=strawberry.UNSET, description="The harm it may cause."
    )
    exposed: str | None = strawberry.field(
        default=strawberry.UNSET, description="Who may be harmed."
    )
    controls: list[HazardControlInput] | None = strawberry.UNSET
    residual_likelihood: int | None = strawberry.UNSET
    residual_impact: int | None = strawberry.UNSET


@strawberry.input
class ObligationFields(CommonFields):
    source: str | None = strawberry.UNSET
    applicability: str | None = strawberry.UNSET
    evaluation_months: int | None = strawberry.field(
        default=strawberry.UNSET, description="Months between evaluations of compliance."
    )


@strawberry.input
class IncidentFields(CommonFields):
    occurred_on: date | None = strawberry.UNSET
    incident_kind: IncidentKind | None = strawberry.UNSET  # type: ignore[valid-type]
    severity: Severity | None = strawberry.UNSET  # type: ignore[valid-type]
    investigation: str | None = strawberry.UNSET
    related_ids: list[relay.GlobalID] | None = strawberry.field(
        default=strawberry.UNSET, description="Hazards and risks it concerns."
    )
    finding_ids: list[relay.GlobalID] | None = strawberry.field(
        default=strawberry.UNSET, description="The nonconformities it raised."
    )


@strawberry.input
class ImprovementFields(CommonFields):
    improvement_status: ImprovementStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, name="status"
    )
    benefit: BenefitType | None = strawberry.field(
        default=strawberry.UNSET, description="The benefit it pursues, as objectives do."
    )
    result: str | None = strawberry.UNSET


@strawberry.input
class CreateRiskInput(RiskFields):
    program_id: relay.GlobalID
    reference: str | None = None


@strawberry.input(description=UPDATES)
class UpdateRiskInput(RiskFields):
    id: relay.GlobalID


@strawberry.input
class CreateSecurityRiskInput(SecurityRiskFields):
    program_id: relay.GlobalID
    reference: str | None = None


@strawberry.input(description=UPDATES)
class UpdateSecurityRiskInput(SecurityRiskFields):
    id: relay.GlobalID


@strawberry.input
class CreateAspectInput(AspectFields):
    program_id: relay.GlobalID
    reference: str | None = None


@strawberry.input(description=UPDATES)
class UpdateAspectInput(AspectFields):
    id: relay.GlobalID


@strawberry.input
class CreateHazardInput(HazardFields):
    program_id: relay.GlobalID
    reference: str | None = None


@strawberry.input(description=UPDATES)
class UpdateHazardInput(HazardFields):
    id: relay.GlobalID


@strawberry.input
class CreateObligationInput(ObligationFields):
    program_id: relay.GlobalID
    reference: str | None = None


@strawberry.input(description=UPDATES)
class UpdateObligationInput(ObligationFields):
    id: relay.GlobalID


@strawberry.input
class RecordIncidentInput(IncidentFields):
    program_id: relay.GlobalID
    reference: str | None = None


@strawberry.input(description=UPDATES)
class UpdateIncidentInput(IncidentFields):
    id: relay.GlobalID


@strawberry.input(
    description="Exactly one of findingId (an observation or opportunity for improvement),"
    " reviewOutputId (a management review output, by its Action id) or programId (a"
    " complaint or suggestion)."
)
class RaiseImprovementInput(ImprovementFields):
    finding_id: relay.GlobalID | None = None
    review_output_action_id: relay.GlobalID | None = strawberry.field(
        default=None,
        name="reviewOutputId",
        description="The Action a management review output made.",
    )
    program_id: relay.GlobalID | None = None
    improvement_source: ImprovementSource | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        name="source",
        description="COMPLAINT or SUGGESTION with programId; set from the finding or output.",
    )


@strawberry.input(description=UPDATES)
class UpdateImprovementInput(ImprovementFields):
    id: relay.GlobalID


@strawberry.input
class ArchiveRegisterEntryInput:
    id: relay.GlobalID = strawberry.field(description="A row of any register.")


@strawberry.input
class EvaluateObligationInput:
    id: relay.GlobalID
    result: EvaluationResult  # type: ignore[valid-type]
    evidence: str = strawberry.field(description="What the evaluation rested on.")
    evaluated_on: date | None = strawberry.field(
        default=None, description="Today in the organization's time zone when not given."
    )


@strawberry.input
class AcceptResidualRiskInput:
    id: relay.GlobalID = strawberry.field(description="A SecurityRisk you own.")


@strawberry.input(description="Scores already given must stay on the new scales.")
class SetRegisterScalesInput:
    likelihood_levels: int = strawberry.field(description="2 to 10.")
    impact_levels: int = strawberry.field(description="2 to 10.")
    significance_threshold: int = strawberry.field(
        description="The likelihood x impact from which an aspect is significant."
    )


@strawberry.type
class RegisterScalesPayload:
    scales: RegisterScales | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RiskPayload:
    risk: Risk | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SecurityRiskPayload:
    security_risk: SecurityRisk | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AspectPayload:
    aspect: Aspect | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class HazardPayload:
    hazard: Hazard | None = None
    warnings: list[str] = strawberry.field(
        default_factory=list, description="Only lower levels of the hierarchy are used."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ObligationPayload:
    obligation: Obligation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class IncidentPayload:
    incident: Incident | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ImprovementPayload:
    improvement: Improvement | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RegisterEntryPayload:
    entry: RegisterEntry | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _create(info: Info, kind: EntryKind, input: Any) -> Any:
    row = await service.create_entry(
        info.context.db,
        actor_of(info),
        kind,
        node_uuid(input.program_id, "Program", "programId"),
        entry_fields(input),
        reference=input.reference,
    )
    return entry_of(row)


async def _update(info: Info, kind: EntryKind, type_name: str, input: Any) -> Any:
    row = await service.update_entry(
        info.context.db,
        actor_of(info),
        kind,
        node_uuid(input.id, type_name, "id"),
        entry_fields(input),
    )
    return entry_of(row)


async def _hazard_payload(info: Info, hazard: Hazard) -> HazardPayload:
    """The hazard and, from its stored controls, the hierarchy warning."""
    warning = await hazard.control_warning(info)
    return HazardPayload(hazard=hazard, warnings=[warning] if warning else [])


@strawberry.type
class RegisterMutation:
    @mutation(description="Add a risk or opportunity to a program's register.")
    async def create_risk(self, info: Info, input: CreateRiskInput) -> RiskPayload:
        return RiskPayload(risk=await _create(info, EntryKind.RISK, input))

    @mutation()
    async def update_risk(self, info: Info, input: UpdateRiskInput) -> RiskPayload:
        return RiskPayload(risk=await _update(info, EntryKind.RISK, "Risk", input))

    @mutation(description="Add an information security risk to an ISO/IEC 27001 program.")
    async def create_security_risk(
        self, info: Info, input: CreateSecurityRiskInput
    ) -> SecurityRiskPayload:
        row = await _create(info, EntryKind.SECURITY_RISK, input)
        return SecurityRiskPayload(security_risk=row)

    @mutation(description="Changing the treatment or residual level takes back its acceptance.")
    async def update_security_risk(
        self, info: Info, input: UpdateSecurityRiskInput
    ) -> SecurityRiskPayload:
        row = await _update(info, EntryKind.SECURITY_RISK, "SecurityRisk", input)
        return SecurityRiskPayload(security_risk=row)

    @mutation(description="The risk owner accepts the residual risk of a treated security risk.")
    async def accept_residual_risk(
        self, info: Info, input: AcceptResidualRiskInput
    ) -> SecurityRiskPayload:
        row = await service.accept_residual_risk(
            info.context.db, actor_of(info), node_uuid(input.id, "SecurityRisk", "id")
        )
        return SecurityRiskPayload(security_risk=SecurityRisk.from_model(row))

    @mutation(description="Add an environmental aspect to an ISO 14001 program.")
    async def create_aspect(self, info: Info, input: CreateAspectInput) -> AspectPayload:
        return AspectPayload(aspect=await _create(info, EntryKind.ASPECT, input))

    @mutation()
    async def update_aspect(self, info: Info, input: UpdateAspectInput) -> AspectPayload:
        return AspectPayload(aspect=await _update(info, EntryKind.ASPECT, "Aspect", input))

    @mutation(description="Add an OH&S hazard to an ISO 45001 program.")
    async def create_hazard(self, info: Info, input: CreateHazardInput) -> HazardPayload:
        return await _hazard_payload(info, await _create(info, EntryKind.HAZARD, input))

    @mutation()
    async def update_hazard(self, info: Info, input: UpdateHazardInput) -> HazardPayload:
        return await _hazard_payload(info, await _update(info, EntryKind.HAZARD, "Hazard", input))

    @mutation(description="Add a compliance obligation to the legal register.")
    async def create_obligation(
        self, info: Info, input: CreateObligationInput
    ) -> ObligationPayload:
        return ObligationPayload(obligation=await _create(info, EntryKind.OBLIGATION, input))

    @mutation()
    async def update_obligation(
        self, info: Info, input: UpdateObligationInput
    ) -> ObligationPayload:
        row = await _update(info, EntryKind.OBLIGATION, "Obligation", input)
        return ObligationPayload(obligation=row)

    @mutation(description="Record an evaluation of compliance with an obligation.")
    async def evaluate_obligation(
        self, info: Info, input: EvaluateObligationInput
    ) -> ObligationPayload:
        row = await service.evaluate_obligation(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "Obligation", "id"),
            result=input.result,
            evidence=input.evidence,
            evaluated_on=input.evaluated_on,
        )
        return ObligationPayload(obligation=Obligation.from_model(row))

    @mutation(description="Record an incident, with the hazards, risks and findings it concerns.")
    async def record_incident(self, info: Info, input: RecordIncidentInput) -> IncidentPayload:
        return IncidentPayload(incident=await _create(info, EntryKind.INCIDENT, input))

    @mutation()
    async def update_incident(self, info: Info, input: UpdateIncidentInput) -> IncidentPayload:
        row = await _update(info, EntryKind.INCIDENT, "Incident", input)
        return IncidentPayload(incident=row)

    @mutation(
        description="Turn an observation or opportunity for improvement, or a management review"
        " output, into an improvement in one step; or record a complaint's or suggestion's."
    )
    async def raise_improvement(
        self, info: Info, input: RaiseImprovementInput
    ) -> ImprovementPayload:
        origin = service.ImprovementOrigin(
            finding_id=node_uuid(input.finding_id, "Finding", "findingId")
            if input.finding_id
            else None,
            review_output_action_id=node_uuid(
                input.review_output_action_id, "Action", "reviewOutputId"
            )
            if input.review_output_action_id
            else None,
            program_id=node_uuid(input.program_id, "Program", "programId")
            if input.program_id
            else None,
        )
        row = await service.raise_improvement(
            info.context.db, actor_of(info), origin, entry_fields(input)
        )
        return ImprovementPayload(improvement=Improvement.from_model(row))

    @mutation()
    async def update_improvement(
        self, info: Info, input: UpdateImprovementInput
    ) -> ImprovementPayload:
        row = await _update(info, EntryKind.IMPROVEMENT, "Improvement", input)
        return ImprovementPayload(improvement=row)

    @mutation(description="Set the acting organization's scales and significance threshold.")
    async def set_register_scales(
        self, info: Info, input: SetRegisterScalesInput
    ) -> RegisterScalesPayload:
        scales = await service.set_scales(
            info.context.db,
            actor_of(info),
            rules.Scales(
                input.likelihood_levels, input.impact_levels, input.significance_threshold
            ),
        )
        return RegisterScalesPayload(scales=RegisterScales.from_scales(scales))

    @mutation(description="Archive a row of any register: it keeps its history and links.")
    async def archive_register_entry(
        self, info: Info, input: ArchiveRegisterEntryInput
    ) -> RegisterEntryPayload:
        row = await service.archive_entry(
            info.context.db, actor_of(info), _entry_uuid(input.id, "id")
        )
        return RegisterEntryPayload(entry=entry_of(row))
