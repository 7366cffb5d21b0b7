"""Findings and their answer: raising, editing, correction, root cause, corrective action,
implementation, effectiveness review and closure.

Every change is one transaction in the acting tenant by a role that may write; findings of
tenants the caller cannot read are not found, like ids that never existed. A lifecycle step
taken out of order is refused (`lifecycle`) and changes nothing. Raising a nonconformity, or
making a finding one, updates the gap analysis of its requirements in the same transaction
(`gap`).

Corrective actions are planning actions (docs/architecture.md, Findings): made here through
the planning models in the program of the finding's first requirement, linked to the
finding's requirements of that program, so the plan, its overdue list and the gap's action
count see them like any other action.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Integer, cast, delete, func, select, text

from backend.catalog.models import Clause
from backend.core.access import Actor, require_writer
from backend.core.calendar import today_sql
from backend.core.changes import KEEP, Change
from backend.core.errors import ErrorCode, ServiceError, invalid, not_found
from backend.core.validation import TEXT_LIMIT, choice, require_given, text_field
from backend.db.session import TenantSession
from backend.evidence.models import EvidenceItem
from backend.findings import gap
from backend.findings.lifecycle import Step, advance, is_nonconformity
from backend.findings.models import (
    CorrectiveAction,
    EffectivenessReview,
    EffectivenessVerdict,
    Finding,
    FindingEvidence,
    FindingRequirement,
    FindingSource,
    FindingStatus,
    FindingType,
    ReviewEvidence,
    RootCauseMethod,
)
from backend.planning.models import (
    FINISHED_ACTION_STATUSES,
    Action,
    ActionRequirement,
    ActionStatus,
)
from backend.programs.service import (
    MAX_LINKED_REQUIREMENTS,
    RequirementRef,
    owner_member,
    requirements_of,
    writable_program,
)

MAX_EVIDENCE = 25  # evidence items on one finding or one review
MAX_CORRECTIVE_ACTIONS = 20  # over every round of one finding
MAX_ROUNDS = 10  # of corrective action; past that, the finding needs rethinking as a new one
REFERENCE_LIMIT = 40
PREFIXES = {
    FindingType.MAJOR_NONCONFORMITY: "NC",
    FindingType.MINOR_NONCONFORMITY: "NC",
    FindingType.OBSERVATION: "OBS",
    FindingType.OPPORTUNITY_FOR_IMPROVEMENT: "OFI",
}


@dataclass(frozen=True)
class RequirementTarget:
    """A requirement of one program: its clause id or its number in the program's standard."""

    program_id: uuid.UUID
    requirement: RequirementRef


@dataclass(frozen=True)
class FindingFields:
    """A finding's editable fields; KEEP leaves the stored value, None clears an optional one."""

    type: Change[str] = KEEP
    statement: Change[str] = KEEP
    objective_evidence: Change[str] = KEEP
    owner_id: Change[uuid.UUID | None] = KEEP
    due_date: Change[date | None] = KEEP
    requirements: Change[Sequence[RequirementTarget]] = KEEP  # replaces the set; while open
    evidence_ids: Change[Sequence[uuid.UUID]] = KEEP  # replaces the set


@dataclass(frozen=True)
class NewCorrectiveAction:
    title: str
    owner_id: uuid.UUID
    due_date: date
    description: str = ""


@dataclass(frozen=True)
class Implementation:
    """The round's actions are done: when, and who reviews their effectiveness by when."""

    implemented_on: date
    review_due_date: date
    reviewer_id: uuid.UUID


@dataclass(frozen=True)
class Review:
    verdict: str
    notes: str = ""
    reviewed_on: date | None = None  # the tenant's today when not given
    evidence_ids: Sequence[uuid.UUID] = ()


# --- access -------------------------------------------------------------------------------


async def _finding_for_change(db: TenantSession, actor: Actor, finding_id: uuid.UUID) -> Finding:
    """The finding, locked for this transaction: first read as visible (so a reader is told it
    may not write, a stranger that nothing is there), then checked, then locked."""
    finding = await db.get(Finding, finding_id)
    if finding is None:
        raise not_found("Finding", ["findingId"])
    require_writer(db, actor, finding.tenant_id, "Finding")
    locked = await db.execute(
        select(Finding)
        .where(Finding.id == finding_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return locked.scalar_one()  # visible a statement ago, and findings are never deleted


async def _tenant_today(db: TenantSession, tenant_id: uuid.UUID) -> date:
    today: date = (await db.execute(select(today_sql(tenant_id)))).scalar_one()
    return today


# --- raising and editing --------------------------------------------------------------------


async def raise_finding(
    db: TenantSession,
    actor: Actor,
    source: str,
    values: FindingFields,
    reference: str | None = None,
) -> Finding:
    """Record a finding on requirements of the acting tenant's programs. A nonconformity
    makes conformant requirements partial (minor) or nonconformant (major), on record."""
    require_given(values, "type", "statement", "requirements")
    finding = Finding(
        tenant_id=actor.tenant_id,
        source=choice(FindingSource, source, "source").value,
        status=FindingStatus.OPEN.value,
        raised_by_id=actor.user_id,
        objective_evidence="",
        correction="",
        root_cause="",
        closure_note="",
        round=1,
    )
    requirements = await _requirements(db, actor, values.requirements)
    await _write(db, finding, values)
    finding.reference = await _reference(db, finding, reference)
    db.add(finding)
    await db.flush()
    await _relink_requirements(db, finding, requirements)
    await _relink_evidence(db, finding, values.evidence_ids)
    await gap.record_in_gap_analysis(db, actor, finding, requirements)
    return await _save(db, finding)


async def update_finding(
    db: TenantSession, actor: Actor, finding_id: uuid.UUID, values: FindingFields
) -> Finding:
    """Edit a finding that is not closed. What it is about (its requirements, and whether it
    is a nonconformity at all) may change only while nothing has been answered yet."""
    finding = await _finding_for_change(db, actor, finding_id)
    if finding.status == FindingStatus.CLOSED.value:
        raise invalid(f"{finding.reference} is closed and kept as it was.", ["findingId"])
    was_nonconformity = is_nonconformity(finding)
    await _write(db, finding, values)
    _check_answered_scope(finding, values, was_nonconformity)
    if values.requirements is not KEEP:
        await _relink_requirements(db, finding, await _requirements(db, actor, values.requirements))
    await _relink_evidence(db, finding, values.evidence_ids)
    if values.type is not KEEP or values.requirements is not KEEP:
        await gap.record_in_gap_analysis(db, actor, finding, await _requirement_pairs(db, finding))
    return await _save(db, finding)


def _check_answered_scope(finding: Finding, values: FindingFields, was_nonconformity: bool) -> None:
    if finding.status == FindingStatus.OPEN.value:
        return
    if values.requirements is not KEEP:
        raise invalid(
            f"{finding.reference} is being answered: its requirements can no longer change.",
            ["requirements"],
        )
    if is_nonconformity(finding) != was_nonconformity:
        raise invalid(
            f"{finding.reference} is being answered: it can change grade, but not become"
            " or stop being a nonconformity.",
            ["type"],
        )


async def _write(db: TenantSession, finding: Finding, values: FindingFields) -> None:
    if values.type is not KEEP:
        finding.type = choice(FindingType, values.type, "type").value
    if values.statement is not KEEP:
        finding.statement = text_field(values.statement, "statement", TEXT_LIMIT)
    if values.objective_evidence is not KEEP:
        finding.objective_evidence = text_field(
            values.objective_evidence, "objectiveEvidence", TEXT_LIMIT, blank=True
        )
    if is_nonconformity(finding) and not finding.objective_evidence:
        raise invalid(
            "A nonconformity states the objective evidence it rests on.", ["objectiveEvidence"]
        )
    if values.owner_id is not KEEP:
        finding.owner_id = await owner_member(db, finding.tenant_id, values.owner_id, "ownerId")
    if values.due_date is not KEEP:
        finding.due_date = values.due_date


async def _reference(db: TenantSession, finding: Finding, given: str | None) -> str:
    """The given reference, or the next free one of its kind and year ("NC-2026-007").
    References of the tenant are handed out one transaction at a time (an advisory lock held
    to commit), so two findings raised together cannot take the same one."""
    await db.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"findings.reference:{finding.tenant_id}"},
    )
    if given is not None:
        reference = text_field(given, "reference", REFERENCE_LIMIT)
        if await _reference_taken(db, finding.tenant_id, reference):
            raise ServiceError(
                ErrorCode.CONFLICT, f"{reference} names another finding already.", ["reference"]
            )
        return reference
    year = (await _tenant_today(db, finding.tenant_id)).year
    stem = f"{PREFIXES[FindingType(finding.type)]}-{year}-"
    return f"{stem}{await _last_number(db, finding.tenant_id, stem) + 1:03d}"


async def _reference_taken(db: TenantSession, tenant_id: uuid.UUID, reference: str) -> bool:
    found = await db.scalar(
        select(Finding.id).where(Finding.tenant_id == tenant_id, Finding.reference == reference)
    )
    return found is not None


async def _last_number(db: TenantSession, tenant_id: uuid.UUID, stem: str) -> int:
    suffix = func.substring(Finding.reference, len(stem) + 1)
    last = await db.scalar(
        select(func.max(cast(suffix, Integer))).where(
            Finding.tenant_id == tenant_id,
            Finding.reference.op("~")(f"^{stem}[0-9]{{1,9}}$"),
        )
    )
    return int(last or 0)


# --- requirements and evidence ----------------------------------------------------------------


async def _requirements(
    db: TenantSession, actor: Actor, targets: Change[Sequence[RequirementTarget]]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """The (program id, clause id) pairs `targets` name, each a requirement the gap analysis
    assesses in a program the actor may write to; one or more, none twice."""
    if targets is KEEP:
        return []
    if not 1 <= len(targets) <= MAX_LINKED_REQUIREMENTS:
        raise invalid(
            f"Name 1 to {MAX_LINKED_REQUIREMENTS} requirements the finding concerns.",
            ["requirements"],
        )
    by_program: dict[uuid.UUID, list[RequirementRef]] = defaultdict(list)
    for target in targets:
        by_program[target.program_id].append(target.requirement)
    pairs: list[tuple[uuid.UUID, uuid.UUID]] = []
    for program_id, refs in by_program.items():
        program = await writable_program(db, actor, program_id)
        for clause in await requirements_of(db, program, refs):
            _require_assessable(clause)
            pairs.append((program.id, clause.id))
    return pairs


def _require_assessable(clause: Clause) -> None:
    if not clause.assessable:
        raise invalid(
            f"{clause.number} is divided into sub-clauses: name the one the finding concerns.",
            ["requirements"],
        )


async def _relink_requirements(
    db: TenantSession, finding: Finding, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    if not pairs:
        return
    await db.execute(delete(FindingRequirement).where(FindingRequirement.finding_id == finding.id))
    db.add_all(
        FindingRequirement(
            tenant_id=finding.tenant_id,
            finding_id=finding.id,
            program_id=program_id,
            clause_id=clause_id,
        )
        for program_id, clause_id in dict.fromkeys(pairs)
    )
    await db.flush()


async def _requirement_pairs(
    db: TenantSession, finding: Finding
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    rows = await db.execute(
        select(FindingRequirement.program_id, FindingRequirement.clause_id).where(
            FindingRequirement.finding_id == finding.id
        )
    )
    return [(program_id, clause_id) for program_id, clause_id in rows]


async def _evidence(
    db: TenantSession, tenant_id: uuid.UUID, evidence_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Live evidence items of the finding's tenant, each named once; others are not found."""
    if len(evidence_ids) > MAX_EVIDENCE:
        raise invalid(f"Attach at most {MAX_EVIDENCE} evidence items.", ["evidenceIds"])
    wanted = list(dict.fromkeys(evidence_ids))
    found = set(
        (
            await db.scalars(
                select(EvidenceItem.id).where(
                    EvidenceItem.id.in_(wanted),
                    EvidenceItem.tenant_id == tenant_id,
                    EvidenceItem.deleted_at.is_(None),
                )
            )
        ).all()
    )
    for index, evidence_id in enumerate(evidence_ids):
        if evidence_id not in found:
            raise not_found("Evidence", ["evidenceIds", str(index)])
    return wanted


async def _relink_evidence(
    db: TenantSession, finding: Finding, evidence_ids: Change[Sequence[uuid.UUID]]
) -> None:
    if evidence_ids is KEEP:
        return
    wanted = await _evidence(db, finding.tenant_id, evidence_ids)
    await db.execute(delete(FindingEvidence).where(FindingEvidence.finding_id == finding.id))
    db.add_all(
        FindingEvidence(tenant_id=finding.tenant_id, finding_id=finding.id, evidence_id=item)
        for item in wanted
    )


# --- the answer to a nonconformity ------------------------------------------------------------


async def record_correction(
    db: TenantSession, actor: Actor, finding_id: uuid.UUID, correction: str, corrected_on: date
) -> Finding:
    """What was done at once to contain the nonconformity's effect, and when."""
    finding = await _finding_for_change(db, actor, finding_id)
    status = advance(finding, Step.CORRECTION)
    finding.correction = text_field(correction, "correction", TEXT_LIMIT)
    finding.corrected_on = await _not_future(db, finding, corrected_on, "correctedOn")
    finding.status = status.value
    return await _save(db, finding)


async def record_root_cause(
    db: TenantSession, actor: Actor, finding_id: uuid.UUID, method: str, cause: str
) -> Finding:
    """Why the nonconformity happened, and how that was worked out; it may be revised until
    the corrective action is planned, and again after a review finds it not effective."""
    finding = await _finding_for_change(db, actor, finding_id)
    status = advance(finding, Step.ROOT_CAUSE)
    finding.root_cause_method = choice(RootCauseMethod, method, "method").value
    finding.root_cause = text_field(cause, "cause", TEXT_LIMIT)
    finding.status = status.value
    return await _save(db, finding)


async def add_corrective_action(
    db: TenantSession, actor: Actor, finding_id: uuid.UUID, values: NewCorrectiveAction
) -> tuple[Finding, Action]:
    """A planning action against the cause, in the finding's current round."""
    finding = await _finding_for_change(db, actor, finding_id)
    status = advance(finding, Step.CORRECTIVE_ACTION)
    await _require_room_for_action(db, finding)
    pairs = await _requirement_pairs(db, finding)
    program_id = pairs[0][0]
    action = Action(
        tenant_id=finding.tenant_id,
        program_id=program_id,
        title=text_field(values.title, "title"),
        description=text_field(values.description, "description", TEXT_LIMIT, blank=True),
        owner_id=await owner_member(db, finding.tenant_id, values.owner_id, "ownerId"),
        due_date=values.due_date,
        status=ActionStatus.OPEN.value,
    )
    db.add(action)
    await db.flush()
    db.add_all(
        ActionRequirement(tenant_id=finding.tenant_id, action_id=action.id, clause_id=clause_id)
        for program, clause_id in dict.fromkeys(pairs)
        if program == program_id
    )
    db.add(
        CorrectiveAction(
            tenant_id=finding.tenant_id,
            finding_id=finding.id,
            action_id=action.id,
            round=finding.round,
        )
    )
    finding.status = status.value
    await db.commit()
    await db.refresh(action)
    await db.refresh(finding)
    return finding, action


async def _require_room_for_action(db: TenantSession, finding: Finding) -> None:
    count = await db.scalar(select(func.count()).where(CorrectiveAction.finding_id == finding.id))
    if (count or 0) >= MAX_CORRECTIVE_ACTIONS:
        raise invalid(
            f"{finding.reference} has {MAX_CORRECTIVE_ACTIONS} corrective actions already.",
            ["findingId"],
        )


async def record_implementation(
    db: TenantSession, actor: Actor, finding_id: uuid.UUID, values: Implementation
) -> Finding:
    """The round's corrective actions are done (each done or cancelled, at least one done);
    plan the review of their effectiveness."""
    finding = await _finding_for_change(db, actor, finding_id)
    status = advance(finding, Step.IMPLEMENTATION)
    await _require_round_done(db, finding)
    implemented_on = await _not_future(db, finding, values.implemented_on, "implementedOn")
    if values.review_due_date < implemented_on:
        raise invalid(
            "The effectiveness review cannot be due before the implementation.", ["reviewDueDate"]
        )
    reviewer = await owner_member(db, finding.tenant_id, values.reviewer_id, "reviewerId")
    finding.implemented_on = implemented_on
    finding.status = status.value
    db.add(
        EffectivenessReview(
            tenant_id=finding.tenant_id,
            finding_id=finding.id,
            round=finding.round,
            due_date=values.review_due_date,
            reviewer_id=reviewer,
            verdict=EffectivenessVerdict.PENDING.value,
            notes="",
        )
    )
    return await _save(db, finding)


async def _require_round_done(db: TenantSession, finding: Finding) -> None:
    rows = (
        await db.execute(
            select(Action.title, Action.status)
            .join(CorrectiveAction, CorrectiveAction.action_id == Action.id)
            .where(
                CorrectiveAction.finding_id == finding.id, CorrectiveAction.round == finding.round
            )
            .order_by(Action.created_at, Action.id)
        )
    ).all()
    unfinished = [title for title, status in rows if status not in FINISHED_ACTION_STATUSES]
    if unfinished:
        listed = ", ".join(f'"{title}"' for title in unfinished)
        raise invalid(
            f"{finding.reference} has corrective actions not done yet: {listed}.", ["findingId"]
        )
    if not any(status == ActionStatus.DONE.value for _, status in rows):
        raise invalid(
            f"Every corrective action of {finding.reference} is cancelled: add one and do it.",
            ["findingId"],
        )


async def review_effectiveness(
    db: TenantSession, actor: Actor, finding_id: uuid.UUID, values: Review
) -> Finding:
    """Decide whether the round removed the cause. Effective lets the nonconformity close;
    not effective reopens it for the next round, which needs a new corrective action."""
    finding = await _finding_for_change(db, actor, finding_id)
    advance(finding, Step.EFFECTIVENESS_REVIEW)
    verdict = choice(EffectivenessVerdict, values.verdict, "verdict")
    if verdict is EffectivenessVerdict.PENDING:
        raise invalid("Decide: effective or not effective.", ["verdict"])
    notes = text_field(values.notes, "notes", TEXT_LIMIT, blank=True)
    if verdict is EffectivenessVerdict.NOT_EFFECTIVE and not notes:
        raise invalid("Say what shows the action was not effective.", ["notes"])
    reviewed_on = await _reviewed_on(db, finding, values.reviewed_on)
    review = await _pending_review(db, finding)
    evidence = await _evidence(db, finding.tenant_id, values.evidence_ids)
    review.verdict, review.notes = verdict.value, notes
    review.reviewed_on, review.reviewed_by_id = reviewed_on, actor.user_id
    db.add_all(
        ReviewEvidence(tenant_id=finding.tenant_id, review_id=review.id, evidence_id=item)
        for item in evidence
    )
    if verdict is EffectivenessVerdict.EFFECTIVE:
        finding.status = FindingStatus.VERIFIED.value
    else:
        _reopen(finding)
    return await _save(db, finding)


def _reopen(finding: Finding) -> None:
    if finding.round >= MAX_ROUNDS:
        raise invalid(
            f"{finding.reference} has had {MAX_ROUNDS} rounds of corrective action: close what"
            " can be closed and raise the remaining problem as a new finding.",
            ["verdict"],
        )
    finding.status = FindingStatus.REOPENED.value
    finding.round += 1
    finding.implemented_on = None


async def _reviewed_on(db: TenantSession, finding: Finding, given: date | None) -> date:
    reviewed_on = await _not_future(
        db, finding, given or await _tenant_today(db, finding.tenant_id), "reviewedOn"
    )
    if finding.implemented_on is not None and reviewed_on < finding.implemented_on:
        raise invalid("The review cannot come before the implementation.", ["reviewedOn"])
    return reviewed_on


async def _pending_review(db: TenantSession, finding: Finding) -> EffectivenessReview:
    # Made with the implementation that this finding's status follows.
    pending = await db.execute(
        select(EffectivenessReview).where(
            EffectivenessReview.finding_id == finding.id,
            EffectivenessReview.round == finding.round,
            EffectivenessReview.verdict == EffectivenessVerdict.PENDING.value,
        )
    )
    return pending.scalar_one()


async def close_finding(
    db: TenantSession, actor: Actor, finding_id: uuid.UUID, note: str = ""
) -> Finding:
    """Close a nonconformity whose corrective action was reviewed effective, or an
    observation or opportunity for improvement with a note on what became of it."""
    finding = await _finding_for_change(db, actor, finding_id)
    status = advance(finding, Step.CLOSE)
    note = text_field(note, "note", TEXT_LIMIT, blank=True)
    if not note and not is_nonconformity(finding):
        raise invalid("Say what became of it in a note.", ["note"])
    finding.status = status.value
    finding.closure_note = note
    finding.closed_at = datetime.now(UTC)
    finding.closed_by_id = actor.user_id
    return await _save(db, finding)


async def _not_future(db: TenantSession, finding: Finding, day: date, field: str) -> date:
    if day > await _tenant_today(db, finding.tenant_id):
        raise invalid("This date has not come yet.", [field])
    return day


async def _save(db: TenantSession, finding: Finding) -> Finding:
    db.add(finding)
    await db.commit()
    await db.refresh(finding)
    return finding
