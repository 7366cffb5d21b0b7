"""Register rules: listing, changing, archiving, evaluating, accepting and raising rows.

Every change is one transaction in the acting tenant by a role that may write, and writes a
history entry with the row's fields before and after. Rows of tenants the caller cannot read
are not found, like ids that never existed. Rows are archived, never deleted: an archived row
keeps its history and links and no longer changes.

Improvements are register rows of their own kind; `raise_improvement` turns a finding (an
observation or an opportunity for improvement) or a management review output into one, read
through those areas' models.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, text

from backend.catalog.models import Clause, ClauseKind, Standard
from backend.core.access import Actor, Permission, for_change, readable, require_writer
from backend.core.calendar import local_date, today_sql
from backend.core.changes import KEEP, Change
from backend.core.errors import ErrorCode, ServiceError, conflict, forbidden, invalid, not_found
from backend.core.validation import TEXT_LIMIT, camel, choice, require_given, text_field
from backend.db.session import TenantSession
from backend.findings.models import Finding, FindingRequirement, FindingType
from backend.planning.models import Action, ActionStatus, Benefit, Objective
from backend.programs.models import Program
from backend.programs.service import RequirementRef, owner_member, requirements_of, writable_program
from backend.registers import rules
from backend.registers.models import (
    Condition,
    ControlLevel,
    EntryChange,
    EntryFinding,
    EntryKind,
    EntryLink,
    EntryRelation,
    EvaluationResult,
    HazardControl,
    ImprovementSource,
    ImprovementStatus,
    IncidentKind,
    Nature,
    RegisterEntry,
    RegisterSettings,
    RiskControl,
    Severity,
    Treatment,
)
from backend.reviews.models import ReviewOutput
from tenants.models import Organization

REFERENCE_LIMIT = 40


@dataclass(frozen=True)
class HazardControlFields:
    level: str
    description: str


@dataclass(frozen=True)
class EntryFields:
    """A register row's fields; KEEP leaves the stored value, None clears an optional one.
    Which fields a kind takes is `rules.OWN_FIELDS`; lists replace the whole set."""

    title: Change[str] = KEEP
    description: Change[str] = KEEP
    owner_id: Change[uuid.UUID | None] = KEEP
    review_on: Change[date | None] = KEEP
    objective_ids: Change[Sequence[uuid.UUID]] = KEEP
    action_ids: Change[Sequence[uuid.UUID]] = KEEP
    likelihood: Change[int | None] = KEEP
    impact: Change[int | None] = KEEP
    nature: Change[str] = KEEP
    context: Change[str] = KEEP
    asset: Change[str] = KEEP
    threat: Change[str] = KEEP
    vulnerability: Change[str] = KEEP
    treatment: Change[str | None] = KEEP
    control_refs: Change[Sequence[RequirementRef]] = KEEP
    residual_likelihood: Change[int | None] = KEEP
    residual_impact: Change[int | None] = KEEP
    activity: Change[str] = KEEP
    consequence: Change[str] = KEEP
    condition: Change[str] = KEEP
    exposed: Change[str] = KEEP
    controls: Change[Sequence[HazardControlFields]] = KEEP
    related_ids: Change[Sequence[uuid.UUID]] = KEEP
    source: Change[str] = KEEP
    applicability: Change[str] = KEEP
    evaluation_months: Change[int] = KEEP
    occurred_on: Change[date] = KEEP
    incident_kind: Change[str] = KEEP
    severity: Change[str] = KEEP
    investigation: Change[str] = KEEP
    finding_ids: Change[Sequence[uuid.UUID]] = KEEP
    improvement_source: Change[str] = KEEP
    improvement_status: Change[str] = KEEP
    benefit: Change[str] = KEEP
    result: Change[str] = KEEP
    review_output_id: Change[uuid.UUID] = KEEP  # set by raising from an output, never by input


TEXTS = {  # field: (limit, may be blank)
    "title": (300, False),
    "description": (TEXT_LIMIT, True),
    "context": (TEXT_LIMIT, True),
    "asset": (300, False),
    "threat": (300, False),
    "vulnerability": (300, True),
    "activity": (300, False),
    "consequence": (TEXT_LIMIT, True),
    "exposed": (300, True),
    "source": (300, False),
    "applicability": (TEXT_LIMIT, True),
    "investigation": (TEXT_LIMIT, True),
    "result": (TEXT_LIMIT, True),
}
CHOICES = {
    "nature": Nature,
    "treatment": Treatment,
    "condition": Condition,
    "incident_kind": IncidentKind,
    "severity": Severity,
    "improvement_source": ImprovementSource,
    "improvement_status": ImprovementStatus,
    "benefit": Benefit,
}
# Changing one of these takes back the owner's acceptance of the residual risk.
ACCEPTANCE_BASIS = frozenset({"treatment", "residual_likelihood", "residual_impact"})
LINK_FIELDS = frozenset(
    {"objective_ids", "action_ids", "control_refs", "controls", "related_ids", "finding_ids"}
)
# Columns the history keeps beyond the editable fields: what the kind's own steps write.
RECORDED = {
    EntryKind.OBLIGATION: {"evaluated_on", "evaluation_result", "evaluation_evidence"},
}
RELATED_KINDS = {
    EntryKind.INCIDENT: frozenset({EntryKind.HAZARD, EntryKind.RISK, EntryKind.SECURITY_RISK}),
    EntryKind.ASPECT: frozenset({EntryKind.OBLIGATION}),
}


# --- creating and changing ------------------------------------------------------------------


async def create_entry(
    db: TenantSession,
    actor: Actor,
    kind: EntryKind,
    program_id: uuid.UUID,
    values: EntryFields,
    *,
    reference: str | None = None,
) -> RegisterEntry:
    """A new row of `kind` in a program whose standard keeps that register."""
    program = await writable_program(db, actor, program_id)
    await _require_serves(db, kind, program)
    _only_own_fields(kind, values)
    require_given(values, *rules.REQUIRED[kind])
    entry = RegisterEntry(tenant_id=program.tenant_id, program_id=program.id, kind=kind.value)
    if kind is EntryKind.IMPROVEMENT:
        entry.improvement_status = ImprovementStatus.PROPOSED.value
    await _write(db, entry, program, values)
    entry.reference = await _reference(db, entry, reference)
    db.add(entry)
    await db.flush()
    await _relink(db, entry, program, values)
    await _record(db, actor, entry, "created", ({}, await _state(db, entry)))
    return await _save(db, entry)


async def update_entry(
    db: TenantSession, actor: Actor, kind: EntryKind, entry_id: uuid.UUID, values: EntryFields
) -> RegisterEntry:
    entry = await _entry_for_change(db, actor, kind, entry_id)
    _only_own_fields(kind, values)
    program = await db.get_one(Program, entry.program_id)
    before = await _state(db, entry)
    await _write(db, entry, program, values)
    if any(getattr(values, name) is not KEEP for name in ACCEPTANCE_BASIS):
        entry.accepted_by_id, entry.accepted_at = None, None
    await _relink(db, entry, program, values)
    await _record(db, actor, entry, "updated", (before, await _state(db, entry)))
    return await _save(db, entry)


async def archive_entry(db: TenantSession, actor: Actor, entry_id: uuid.UUID) -> RegisterEntry:
    """Archived instead of deleted: history and links stay, the row leaves the lists."""
    entry = await _entry_for_change(db, actor, None, entry_id)
    before = {"archived": False}
    entry.archived_at, entry.archived_by_id = datetime.now(UTC), actor.user_id
    await _record(db, actor, entry, "archived", (before, {"archived": True}))
    return await _save(db, entry)


async def evaluate_obligation(
    db: TenantSession,
    actor: Actor,
    entry_id: uuid.UUID,
    *,
    result: str,
    evidence: str,
    evaluated_on: date | None = None,
) -> RegisterEntry:
    """Record an evaluation of compliance; the next one falls due by the obligation's
    frequency on the tenant's calendar."""
    entry = await _entry_for_change(db, actor, EntryKind.OBLIGATION, entry_id)
    today = await _today(db, entry.tenant_id)
    day = evaluated_on or today
    if day > today:
        raise invalid("evaluatedOn must not be in the future.", ["evaluatedOn"])
    before = await _state(db, entry)
    entry.evaluated_on = day
    entry.evaluation_result = choice(EvaluationResult, result, "result").value
    entry.evaluation_evidence = text_field(evidence, "evidence", TEXT_LIMIT)
    await _record(db, actor, entry, "evaluated", (before, await _state(db, entry)))
    return await _save(db, entry)


async def accept_residual_risk(
    db: TenantSession, actor: Actor, entry_id: uuid.UUID
) -> RegisterEntry:
    """The risk owner accepts the residual risk of a treated security risk."""
    entry = await _entry_for_change(db, actor, EntryKind.SECURITY_RISK, entry_id)
    if entry.owner_id != actor.user_id:
        raise forbidden(f"Only the owner of {entry.reference} may accept its residual risk.")
    if (
        entry.treatment is None
        or rules.level(entry.residual_likelihood, entry.residual_impact) is None
    ):
        raise invalid(
            f"{entry.reference} needs a treatment and a residual likelihood and impact first.",
            ["id"],
        )
    before = await _state(db, entry)
    entry.accepted_by_id, entry.accepted_at = actor.user_id, datetime.now(UTC)
    await _record(db, actor, entry, "accepted", (before, await _state(db, entry)))
    return await _save(db, entry)


@dataclass(frozen=True)
class ImprovementOrigin:
    """Where an improvement comes from: a finding, a review output, or neither (a complaint or
    a suggestion, in the program given)."""

    finding_id: uuid.UUID | None = None
    review_output_action_id: uuid.UUID | None = None  # an output is known by its action
    program_id: uuid.UUID | None = None


async def raise_improvement(
    db: TenantSession, actor: Actor, origin: ImprovementOrigin, values: EntryFields
) -> RegisterEntry:
    """An improvement in one step: from an observation or opportunity for improvement found
    (its program, source audit, statement as title), from a management review's output (its
    action's program, source review), or from a complaint or suggestion."""
    given = [v for v in (origin.finding_id, origin.review_output_action_id, origin.program_id) if v]
    if len(given) != 1:
        raise invalid("Name exactly one of findingId, reviewOutputId or programId.", ["findingId"])
    program_id = origin.program_id
    if origin.finding_id is not None:
        program_id, values = await _from_finding(db, origin.finding_id, values)
    elif origin.review_output_action_id is not None:
        program_id, values = await _from_output(db, origin.review_output_action_id, values)
    elif values.improvement_source in (ImprovementSource.AUDIT, ImprovementSource.REVIEW):
        raise invalid(
            "Raise an audit or review improvement from its finding or output.",
            ["improvementSource"],
        )
    return await create_entry(db, actor, EntryKind.IMPROVEMENT, program_id or given[0], values)


async def _from_finding(
    db: TenantSession, finding_id: uuid.UUID, values: EntryFields
) -> tuple[uuid.UUID, EntryFields]:
    finding = await readable(db, Finding, finding_id, "Finding", "findingId")
    if FindingType(finding.type).is_nonconformity:
        raise invalid(
            f"{finding.reference} is a nonconformity: corrective action answers it, not the"
            " improvement register.",
            ["findingId"],
        )
    taken = await db.scalar(
        select(EntryFinding.id)
        .join(RegisterEntry, RegisterEntry.id == EntryFinding.entry_id)
        .where(
            EntryFinding.finding_id == finding.id,
            RegisterEntry.kind == EntryKind.IMPROVEMENT.value,
        )
    )
    if taken is not None:
        raise conflict(f"{finding.reference} is an improvement already.", ["findingId"])
    program_id = await db.scalar(
        select(FindingRequirement.program_id)
        .where(FindingRequirement.finding_id == finding.id)
        .order_by(FindingRequirement.id)
        .limit(1)
    )
    if program_id is None:
        raise invalid(f"{finding.reference} concerns no program.", ["findingId"])
    return program_id, _defaults(
        values, title=finding.statement[:300], source=ImprovementSource.AUDIT, finding=finding.id
    )


async def _from_output(
    db: TenantSession, action_id: uuid.UUID, values: EntryFields
) -> tuple[uuid.UUID, EntryFields]:
    output = await db.scalar(select(ReviewOutput).where(ReviewOutput.action_id == action_id))
    if output is None:
        raise not_found("Review output", ["reviewOutputId"])
    taken = await db.scalar(
        select(RegisterEntry.id).where(RegisterEntry.review_output_id == output.id)
    )
    if taken is not None:
        raise conflict("This review output is an improvement already.", ["reviewOutputId"])
    action = await db.get_one(Action, output.action_id)
    values = _defaults(values, title=action.title, source=ImprovementSource.REVIEW)
    return action.program_id, _with(values, review_output_id=output.id)


def _defaults(
    values: EntryFields, *, title: str, source: ImprovementSource, finding: uuid.UUID | None = None
) -> EntryFields:
    chosen: dict[str, Any] = {"improvement_source": source.value}
    if values.title is KEEP:
        chosen["title"] = title
    if finding is not None:
        chosen["finding_ids"] = [finding]
    return _with(values, **chosen)


def _with(values: EntryFields, **changes: Any) -> EntryFields:
    return replace(values, **changes)


# --- reminders -------------------------------------------------------------------------------


async def remind_due(db: TenantSession) -> list[Action]:
    """In the scope's one tenant (a job's system scope): a planning action for the owner of
    every active row whose review date has come, or whose next evaluation of compliance is
    due, unless one was made for that day already. The action is linked to the row and
    appears in the plan and its overdue list like any other. The caller commits."""
    tenant_id = db.scope.write_tenant
    if tenant_id is None:
        return []
    day = await _today(db, tenant_id)
    timezone = await db.scalar(select(Organization.timezone).where(Organization.id == tenant_id))
    rows = await db.scalars(
        select(RegisterEntry).where(
            RegisterEntry.tenant_id == tenant_id,
            RegisterEntry.archived_at.is_(None),
            or_(RegisterEntry.review_on <= day, RegisterEntry.kind == EntryKind.OBLIGATION.value),
        )
    )
    made = []
    for entry in rows:
        due, what = _due(entry, local_date(entry.created_at, timezone or "UTC"))
        if due is not None and due <= day and entry.reminded_for != due:
            made.append(await _reminder(db, entry, due, what))
    return made


def _due(entry: RegisterEntry, listed_on: date) -> tuple[date | None, str]:
    """The earliest day something is due on the row, and what."""
    candidates = []
    if entry.review_on is not None:
        candidates.append((entry.review_on, "Review"))
    evaluation = rules.next_evaluation(entry.evaluated_on, entry.evaluation_months, listed_on)
    if entry.kind == EntryKind.OBLIGATION.value and evaluation is not None:
        candidates.append((evaluation, "Evaluate compliance with"))
    return min(candidates) if candidates else (None, "")


async def _reminder(db: TenantSession, entry: RegisterEntry, due: date, what: str) -> Action:
    action = Action(
        tenant_id=entry.tenant_id,
        program_id=entry.program_id,
        title=f"{what} {entry.reference}: {entry.title}"[:300],
        description="A reminder of the registers: the row's date has come.",
        owner_id=entry.owner_id,
        due_date=due,
        status=ActionStatus.OPEN.value,
    )
    db.add(action)
    await db.flush()
    db.add(EntryLink(tenant_id=entry.tenant_id, entry_id=entry.id, action_id=action.id))
    entry.reminded_for = due
    return action


# --- access and validation --------------------------------------------------------------------


async def _entry_for_change(
    db: TenantSession, actor: Actor, kind: EntryKind | None, entry_id: uuid.UUID
) -> RegisterEntry:
    """The row, checked and locked; a row of another kind is not found, an archived one is
    locked."""
    what = "Register entry" if kind is None else _what(kind)
    found = await readable(db, RegisterEntry, entry_id, what)
    if kind is not None and found.kind != kind.value:
        raise not_found(what, ["id"])
    entry = await for_change(
        db, actor, RegisterEntry, entry_id, permission=Permission.CONTRIBUTE, what=what
    )
    if entry.archived_at is not None:
        raise ServiceError(ErrorCode.LOCKED, f"{entry.reference} is archived.", ["id"])
    return entry


def _what(kind: EntryKind) -> str:
    return kind.value.replace("_", " ").capitalize()


async def _require_serves(db: TenantSession, kind: EntryKind, program: Program) -> None:
    code = await db.scalar(select(Standard.code).where(Standard.id == program.standard_id))
    if not rules.kind_serves(kind, code or ""):
        numbers = " or ".join(f"ISO {n}" for n in sorted(rules.STANDARDS[kind]))
        raise invalid(f"{_what(kind)} registers belong to {numbers} programs.", ["programId"])


def _only_own_fields(kind: EntryKind, values: EntryFields) -> None:
    allowed = rules.COMMON | rules.OWN_FIELDS[kind]
    for item in fields(EntryFields):
        if item.name not in allowed and getattr(values, item.name) is not KEEP:
            name = _what(kind).lower()
            article = "An" if name[0] in "aeiou" else "A"
            raise invalid(f"{article} {name} has no {camel(item.name)}.", [camel(item.name)])


async def _write(
    db: TenantSession, entry: RegisterEntry, program: Program, values: EntryFields
) -> None:
    scales = await scales_of(db, entry.tenant_id)
    for name, (limit, blank) in TEXTS.items():
        value = getattr(values, name)
        if value is not KEEP:
            setattr(entry, name, text_field(value, camel(name), limit, blank=blank))
    for name, kind in CHOICES.items():
        value = getattr(values, name)
        if value is not KEEP:
            setattr(entry, name, None if value is None else choice(kind, value, camel(name)).value)
    for name, top in (
        ("likelihood", scales.likelihood_levels),
        ("impact", scales.impact_levels),
        ("residual_likelihood", scales.likelihood_levels),
        ("residual_impact", scales.impact_levels),
    ):
        value = getattr(values, name)
        if value is not KEEP:
            setattr(entry, name, _on_scale(value, top, camel(name)))
    _write_dates(entry, values)
    if values.evaluation_months is not KEEP:
        entry.evaluation_months = _months(values.evaluation_months)
    if values.owner_id is not KEEP:
        entry.owner_id = await owner_member(db, program.tenant_id, values.owner_id, "ownerId")
    if values.review_output_id is not KEEP:
        entry.review_output_id = values.review_output_id


def _write_dates(entry: RegisterEntry, values: EntryFields) -> None:
    if values.review_on is not KEEP:
        entry.review_on = values.review_on
    if values.occurred_on is not KEEP:
        entry.occurred_on = values.occurred_on


def _on_scale(value: int | None, top: int, field: str) -> int | None:
    if value is not None and not 1 <= value <= top:
        raise invalid(f"{field} must be between 1 and {top} on this organization's scale.", [field])
    return value


def _months(value: int) -> int:
    if not 1 <= value <= rules.MAX_EVALUATION_MONTHS:
        raise invalid(
            f"evaluationMonths must be between 1 and {rules.MAX_EVALUATION_MONTHS}.",
            ["evaluationMonths"],
        )
    return value


async def set_scales(db: TenantSession, actor: Actor, scales: rules.Scales) -> rules.Scales:
    """The acting organization's scales and threshold. A scale may not shrink below a score
    an active row has, so no row is left off its scale."""
    require_writer(db, actor, actor.tenant_id, "Organization", Permission.MANAGE_ORGANIZATION)
    for field, value in (
        ("likelihoodLevels", scales.likelihood_levels),
        ("impactLevels", scales.impact_levels),
    ):
        if not rules.MIN_LEVELS <= value <= rules.MAX_LEVELS:
            raise invalid(
                f"{field} must be between {rules.MIN_LEVELS} and {rules.MAX_LEVELS}.", [field]
            )
    top = scales.likelihood_levels * scales.impact_levels
    if not 1 <= scales.significance_threshold <= top:
        raise invalid(
            f"significanceThreshold must be between 1 and {top}.", ["significanceThreshold"]
        )
    await _require_on_scale(db, actor.tenant_id, scales)
    row = await db.scalar(
        select(RegisterSettings).where(RegisterSettings.tenant_id == actor.tenant_id)
    )
    row = row or RegisterSettings(tenant_id=actor.tenant_id)
    row.likelihood_levels = scales.likelihood_levels
    row.impact_levels = scales.impact_levels
    row.significance_threshold = scales.significance_threshold
    db.add(row)
    await db.commit()
    return scales


async def _require_on_scale(db: TenantSession, tenant_id: uuid.UUID, scales: rules.Scales) -> None:
    off = await db.scalars(
        select(RegisterEntry.reference)
        .where(
            RegisterEntry.tenant_id == tenant_id,
            RegisterEntry.archived_at.is_(None),
            or_(
                func.greatest(RegisterEntry.likelihood, RegisterEntry.residual_likelihood)
                > scales.likelihood_levels,
                func.greatest(RegisterEntry.impact, RegisterEntry.residual_impact)
                > scales.impact_levels,
            ),
        )
        .order_by(RegisterEntry.reference)
        .limit(5)
    )
    if named := list(off):
        raise invalid(
            f"Scored above the new scale: {', '.join(named)}. Rescore them first.",
            ["likelihoodLevels"],
        )


async def scales_of(db: TenantSession, tenant_id: uuid.UUID) -> rules.Scales:
    row = await db.scalar(select(RegisterSettings).where(RegisterSettings.tenant_id == tenant_id))
    if row is None:
        return rules.Scales()
    return rules.Scales(row.likelihood_levels, row.impact_levels, row.significance_threshold)


# --- links ------------------------------------------------------------------------------------


async def _relink(
    db: TenantSession, entry: RegisterEntry, program: Program, values: EntryFields
) -> None:
    """Replace each set of links the change names (objectives, actions, controls, hazard
    controls, related rows, findings)."""
    if values.objective_ids is not KEEP:
        ids = await _owned(db, Objective, entry.tenant_id, values.objective_ids, "objectiveIds")
        await _replace_links(db, entry, EntryLink.objective_id, ids)
    if values.action_ids is not KEEP:
        ids = await _owned(db, Action, entry.tenant_id, values.action_ids, "actionIds")
        await _replace_links(db, entry, EntryLink.action_id, ids)
    if values.control_refs is not KEEP:
        await _replace_controls(db, entry, program, values.control_refs)
    if values.controls is not KEEP:
        await _replace_hazard_controls(db, entry, values.controls)
    if values.related_ids is not KEEP:
        await _replace_related(db, entry, values.related_ids)
    if values.finding_ids is not KEEP:
        ids = await _owned(db, Finding, entry.tenant_id, values.finding_ids, "findingIds")
        await db.execute(delete(EntryFinding).where(EntryFinding.entry_id == entry.id))
        db.add_all(
            EntryFinding(tenant_id=entry.tenant_id, entry_id=entry.id, finding_id=i) for i in ids
        )


async def _owned(
    db: TenantSession,
    model: type[Objective | Action | Finding | RegisterEntry],
    tenant_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    field: str,
) -> list[uuid.UUID]:
    """The ids, each of a row of `model` in the tenant; unknown ones are refused by name."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > rules.MAX_LINKS:
        raise invalid(f"{field} names at most {rules.MAX_LINKS}.", [field])
    found = set(
        (
            await db.scalars(
                select(model.id).where(model.id.in_(wanted), model.tenant_id == tenant_id)
            )
        ).all()
    )
    if missing := [i for i in wanted if i not in found]:
        raise invalid(f"{field}: {len(missing)} not found in this organization.", [field])
    return wanted


async def _replace_links(
    db: TenantSession, entry: RegisterEntry, column: Any, ids: Sequence[uuid.UUID]
) -> None:
    await db.execute(delete(EntryLink).where(EntryLink.entry_id == entry.id, column.is_not(None)))
    db.add_all(
        EntryLink(tenant_id=entry.tenant_id, entry_id=entry.id, **{column.key: target})
        for target in ids
    )


async def _replace_controls(
    db: TenantSession, entry: RegisterEntry, program: Program, refs: Sequence[RequirementRef]
) -> None:
    clauses = await requirements_of(db, program, refs) if refs else []
    if not_controls := [c.number for c in clauses if c.kind != ClauseKind.CONTROL.value]:
        raise invalid(f"Not annex controls: {', '.join(not_controls)}.", ["controls"])
    await db.execute(delete(RiskControl).where(RiskControl.entry_id == entry.id))
    db.add_all(
        RiskControl(tenant_id=entry.tenant_id, entry_id=entry.id, clause_id=clause.id)
        for clause in clauses
    )


async def _replace_hazard_controls(
    db: TenantSession, entry: RegisterEntry, controls: Sequence[HazardControlFields]
) -> None:
    if len(controls) > rules.MAX_LINKS:
        raise invalid(f"A hazard takes at most {rules.MAX_LINKS} controls.", ["controls"])
    rows = [
        HazardControl(
            tenant_id=entry.tenant_id,
            entry_id=entry.id,
            level=choice(ControlLevel, control.level, "controls.level").value,
            description=text_field(control.description, "controls.description"),
            position=position,
        )
        for position, control in enumerate(controls)
    ]
    await db.execute(delete(HazardControl).where(HazardControl.entry_id == entry.id))
    db.add_all(rows)


async def _replace_related(
    db: TenantSession, entry: RegisterEntry, ids: Sequence[uuid.UUID]
) -> None:
    kinds = RELATED_KINDS[EntryKind(entry.kind)]
    wanted = await _owned(db, RegisterEntry, entry.tenant_id, ids, "relatedIds")
    found = await db.scalars(select(RegisterEntry.kind).where(RegisterEntry.id.in_(wanted)))
    if any(EntryKind(kind) not in kinds for kind in found) or entry.id in wanted:
        names = ", ".join(sorted(_what(kind).lower() for kind in kinds))
        raise invalid(f"relatedIds may name only: {names}.", ["relatedIds"])
    await db.execute(delete(EntryRelation).where(EntryRelation.entry_id == entry.id))
    db.add_all(
        EntryRelation(tenant_id=entry.tenant_id, entry_id=entry.id, related_id=i) for i in wanted
    )


# --- history and persistence --------------------------------------------------------------------


async def _state(db: TenantSession, entry: RegisterEntry) -> dict[str, Any]:
    """The row's fields as the history keeps them (JSON values), with its control numbers."""
    kind = EntryKind(entry.kind)
    names = (rules.COMMON | rules.OWN_FIELDS[kind] | RECORDED.get(kind, set())) - LINK_FIELDS
    state = {camel(name): _json(getattr(entry, name)) for name in sorted(names)}
    if kind is EntryKind.SECURITY_RISK:
        await db.flush()
        numbers = await db.scalars(
            select(Clause.number)
            .join(RiskControl, RiskControl.clause_id == Clause.id)
            .where(RiskControl.entry_id == entry.id)
            .order_by(Clause.position)
        )
        state["controls"] = list(numbers)
        state["accepted"] = entry.accepted_at is not None
    return state


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if isinstance(value, uuid.UUID) else value


async def _record(
    db: TenantSession,
    actor: Actor,
    entry: RegisterEntry,
    action: str,
    states: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """A history entry with only the fields that changed between the two states."""
    before, after = states
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    db.add(
        EntryChange(
            tenant_id=entry.tenant_id,
            entry_id=entry.id,
            changed_by_id=actor.user_id,
            action=action,
            before={key: before[key] for key in changed if key in before},
            after={key: after[key] for key in changed if key in after},
        )
    )


async def _reference(db: TenantSession, entry: RegisterEntry, given: str | None) -> str:
    """The given reference, or the next free one of its kind ("R-012"), handed out under a
    transaction-scoped lock so parallel creations never collide."""
    await db.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"registers.reference:{entry.tenant_id}"},
    )
    if given is not None:
        reference = text_field(given, "reference", REFERENCE_LIMIT)
        taken = select(RegisterEntry.id).where(
            RegisterEntry.tenant_id == entry.tenant_id, RegisterEntry.reference == reference
        )
        if await db.scalar(taken):
            raise conflict(f"{reference} names another register entry already.", ["reference"])
        return reference
    stem = f"{rules.PREFIXES[EntryKind(entry.kind)]}-"
    numbers = await db.scalars(
        select(func.substr(RegisterEntry.reference, len(stem) + 1)).where(
            RegisterEntry.tenant_id == entry.tenant_id, RegisterEntry.reference.like(f"{stem}%")
        )
    )
    last = max((int(n) for n in numbers if n.isdigit()), default=0)
    return f"{stem}{last + 1:03d}"


async def _today(db: TenantSession, tenant_id: uuid.UUID) -> date:
    today: date = (await db.execute(select(today_sql(tenant_id)))).scalar_one()
    return today


async def _save(db: TenantSession, entry: RegisterEntry) -> RegisterEntry:
    db.add(entry)
    await db.commit()
    await db.refresh(entry)
    return entry
