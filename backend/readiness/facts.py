"""The facts the score reads, for many programs at once, in a fixed number of statements.

One statement per kind of fact (programs, requirements, evidence, mandatory documents,
steps, actions, training, findings), each answering every program asked for, so loading
one program or a thousand costs the same eight statements. Other areas' tables are read
through their models only; the rules that judge the facts are in `score.py`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select

from backend.assessments.models import Assessment
from backend.audits.models import Audit, AuditStatus, ChecklistLine, ChecklistResult
from backend.catalog.models import Clause, Standard
from backend.core.calendar import local_date_sql, today_sql
from backend.db.session import TenantSession
from backend.documents.models import ControlledDocument, DocumentRequirement, DocumentStatus
from backend.evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion, VersionStatus
from backend.findings.models import Finding, FindingRequirement, FindingStatus, FindingType
from backend.planning.models import Action, ActionStatus
from backend.programs.models import Program, ProgramStep, StepKey
from backend.programs.steps import BY_KEY
from backend.readiness.models import ReadinessWeights
from backend.readiness.score import (
    AUDIT_RECENCY_DAYS,
    ActionFact,
    DocumentFact,
    EvidenceFact,
    Facts,
    FindingFact,
    MandatoryItem,
    RequirementFact,
    SessionFact,
    StepFact,
)
from backend.readiness.weights import Weights, weights_for
from backend.training.models import Attendance, SessionStatus, TrainingSession

# Evidence of each (program, requirement); a link's requirement is optional in its table.
Linked = dict[tuple[uuid.UUID, uuid.UUID | None], tuple[EvidenceFact, ...]]


@dataclass(frozen=True)
class Loaded:
    """A program's facts with the weights that apply to it."""

    program: Program
    facts: Facts
    weights: Weights


async def load_facts(db: TenantSession, program_ids: Sequence[uuid.UUID]) -> list[Loaded]:
    """The facts of every readable program among `program_ids`, in the order asked; ids the
    caller may not read are left out (row-level security hides them)."""
    heads = await _programs(db, program_ids)
    if not heads:
        return []
    ids = [head.program.id for head in heads]
    evidence = await _evidence(db, ids)
    requirements = await _requirements(db, ids, evidence)
    mandatory = await _mandatory(db, ids)
    steps = await _steps(db, ids)
    actions = await _actions(db, ids)
    sessions = await _sessions(db, ids)
    findings = await _findings(db, ids)
    return [
        Loaded(
            head.program,
            Facts(
                program_id=head.program.id,
                today=head.today,
                program_status=head.program.status,
                requirements=requirements[head.program.id],
                mandatory=mandatory[head.program.id],
                steps=steps[head.program.id],
                actions=actions[head.program.id],
                sessions=sessions[head.program.id],
                open_findings=findings[head.program.id],
            ),
            head.weights,
        )
        for head in heads
    ]


@dataclass(frozen=True)
class _Head:
    program: Program
    today: date
    weights: Weights


def _grouped(rows: Iterable[tuple[uuid.UUID, Any]]) -> defaultdict[uuid.UUID, tuple[Any, ...]]:
    found: defaultdict[uuid.UUID, list[Any]] = defaultdict(list)
    for program_id, fact in rows:
        found[program_id].append(fact)
    return defaultdict(tuple, {key: tuple(value) for key, value in found.items()})


async def _programs(db: TenantSession, program_ids: Sequence[uuid.UUID]) -> list[_Head]:
    rows = (
        await db.execute(
            select(Program, Standard.code, today_sql(Program.tenant_id), ReadinessWeights.weights)
            .join(Standard, Standard.id == Program.standard_id)
            .outerjoin(
                ReadinessWeights,
                (ReadinessWeights.tenant_id == Program.tenant_id)
                & (ReadinessWeights.standard_id == Program.standard_id),
            )
            .where(Program.id.in_(program_ids))
        )
    ).all()
    order = {program_id: position for position, program_id in enumerate(program_ids)}
    heads = [
        _Head(program, today, weights_for(code, override))
        for program, code, today, override in rows
    ]
    return sorted(heads, key=lambda head: order[head.program.id])


async def _requirements(
    db: TenantSession,
    ids: list[uuid.UUID],
    evidence: Linked,
) -> defaultdict[uuid.UUID, tuple[Any, ...]]:
    rows = await db.execute(
        select(
            Assessment.program_id,
            Clause.id,
            Clause.number,
            Assessment.status,
            Clause.documented_information,
            _audited(),
        )
        .join(Clause, Clause.id == Assessment.clause_id)
        .where(Assessment.program_id.in_(ids), Clause.assessable)
        .order_by(Assessment.program_id, Clause.position)
    )
    return _grouped(
        (
            program_id,
            RequirementFact(
                clause_id,
                number,
                status,
                needs_records,
                evidence.get((program_id, clause_id), ()),
                audited,
            ),
        )
        for program_id, clause_id, number, status, needs_records, audited in rows
    )


def _audited() -> ColumnElement[bool]:
    """Whether a checklist line of the assessment's program and clause has a result (not
    "not sampled") in an audit not cancelled whose day lies within AUDIT_RECENCY_DAYS."""
    day = func.coalesce(Audit.actual_start, Audit.planned_start)
    return (
        exists()
        .where(
            ChecklistLine.program_id == Assessment.program_id,
            ChecklistLine.clause_id == Clause.id,
            ChecklistLine.result.is_not(None),
            ChecklistLine.result != ChecklistResult.NOT_SAMPLED.value,
            Audit.id == ChecklistLine.audit_id,
            Audit.status != AuditStatus.CANCELLED.value,
            day > today_sql(Audit.tenant_id) - AUDIT_RECENCY_DAYS,
        )
        .label("audited")
    )


async def _evidence(db: TenantSession, ids: list[uuid.UUID]) -> Linked:
    """Evidence linked to each requirement, with the tenant's day of its last renewal."""
    confirmed = (
        select(func.max(EvidenceVersion.confirmed_at))
        .where(
            EvidenceVersion.evidence_id == EvidenceItem.id,
            EvidenceVersion.status == VersionStatus.AVAILABLE.value,
        )
        .scalar_subquery()
    )
    rows = await db.execute(
        select(
            EvidenceLink.program_id,
            EvidenceLink.clause_id,
            EvidenceItem.id,
            EvidenceItem.valid_until,
            EvidenceItem.review_interval_days,
            local_date_sql(confirmed, EvidenceItem.tenant_id),
        )
        .join(EvidenceItem, EvidenceItem.id == EvidenceLink.evidence_id)
        .where(
            EvidenceLink.program_id.in_(ids),
            EvidenceLink.clause_id.is_not(None),
            EvidenceItem.deleted_at.is_(None),
        )
        .order_by(EvidenceItem.created_at, EvidenceItem.id)
    )
    found: defaultdict[tuple[uuid.UUID, uuid.UUID | None], list[EvidenceFact]] = defaultdict(list)
    for program_id, clause_id, item_id, valid_until, interval, renewed in rows:
        found[(program_id, clause_id)].append(EvidenceFact(item_id, valid_until, interval, renewed))
    return {key: tuple(value) for key, value in found.items()}


async def _mandatory(
    db: TenantSession, ids: list[uuid.UUID]
) -> defaultdict[uuid.UUID, tuple[Any, ...]]:
    """Every item of documented information each program's standard asks for, with the
    documents linked to it there and the day each approved one falls due for review (the
    documents area's rule: the tenant's date of the approval plus the review interval)."""
    in_force = ControlledDocument.approved_at.is_not(None) & (
        ControlledDocument.status != DocumentStatus.OBSOLETE.value
    )
    approved_on = local_date_sql(ControlledDocument.approved_at, ControlledDocument.tenant_id)
    review_due = approved_on + ControlledDocument.review_interval_days
    rows = await db.execute(
        select(
            Program.id,
            Clause.id,
            Clause.number,
            ControlledDocument.id,
            ControlledDocument.code,
            review_due,
            in_force,
        )
        .join(Clause, (Clause.standard_id == Program.standard_id) & Clause.documented_information)
        .outerjoin(
            DocumentRequirement,
            (DocumentRequirement.program_id == Program.id)
            & (DocumentRequirement.clause_id == Clause.id),
        )
        .outerjoin(ControlledDocument, ControlledDocument.id == DocumentRequirement.document_id)
        .where(Program.id.in_(ids))
        .order_by(Program.id, Clause.position, ControlledDocument.code)
    )
    items: dict[tuple[uuid.UUID, uuid.UUID], MandatoryItem] = {}
    for program_id, clause_id, number, document_id, code, due, forced in rows:
        item = items.setdefault((program_id, clause_id), MandatoryItem(clause_id, number))
        if document_id is not None:
            document = DocumentFact(document_id, code, due if forced else None)
            items[(program_id, clause_id)] = replace(item, documents=(*item.documents, document))
    return _grouped((program_id, item) for (program_id, _), item in items.items())


async def _steps(
    db: TenantSession, ids: list[uuid.UUID]
) -> defaultdict[uuid.UUID, tuple[Any, ...]]:
    rows = await db.execute(
        select(
            ProgramStep.program_id,
            ProgramStep.id,
            ProgramStep.number,
            ProgramStep.key,
            ProgramStep.status,
        )
        .where(ProgramStep.program_id.in_(ids))
        .order_by(ProgramStep.program_id, ProgramStep.number)
    )
    return _grouped(
        (program_id, StepFact(step_id, number, BY_KEY[StepKey(key)].title, status))
        for program_id, step_id, number, key, status in rows
    )


async def _actions(
    db: TenantSession, ids: list[uuid.UUID]
) -> defaultdict[uuid.UUID, tuple[Any, ...]]:
    rows = await db.execute(
        select(Action.program_id, Action.id, Action.title, Action.status, Action.due_date)
        .where(Action.program_id.in_(ids), Action.status != ActionStatus.CANCELLED.value)
        .order_by(Action.program_id, Action.due_date.nulls_last(), Action.id)
    )
    return _grouped(
        (program_id, ActionFact(action_id, title, status == ActionStatus.DONE.value, due))
        for program_id, action_id, title, status, due in rows
    )


async def _sessions(
    db: TenantSession, ids: list[uuid.UUID]
) -> defaultdict[uuid.UUID, tuple[Any, ...]]:
    rows = await db.execute(
        select(
            TrainingSession.program_id,
            TrainingSession.id,
            TrainingSession.topic,
            TrainingSession.status,
            func.count(Attendance.id),
            func.count(Attendance.id).filter(Attendance.attended),
        )
        .outerjoin(Attendance, Attendance.session_id == TrainingSession.id)
        .where(
            TrainingSession.program_id.in_(ids),
            TrainingSession.status != SessionStatus.CANCELLED.value,
        )
        .group_by(TrainingSession.id)
        .order_by(TrainingSession.program_id, TrainingSession.held_on, TrainingSession.id)
    )
    return _grouped(
        (
            program_id,
            SessionFact(session_id, topic, status == SessionStatus.HELD.value, invited, attended),
        )
        for program_id, session_id, topic, status, invited, attended in rows
    )


async def _findings(
    db: TenantSession, ids: list[uuid.UUID]
) -> defaultdict[uuid.UUID, tuple[Any, ...]]:
    """Open nonconformities on each program's requirements (one row per finding and program,
    however many of its requirements the finding names)."""
    kinds = (FindingType.MAJOR_NONCONFORMITY.value, FindingType.MINOR_NONCONFORMITY.value)
    rows = await db.execute(
        select(FindingRequirement.program_id, Finding.id, Finding.reference, Finding.type)
        .join(Finding, Finding.id == FindingRequirement.finding_id)
        .where(
            FindingRequirement.program_id.in_(ids),
            Finding.type.in_(kinds),
            Finding.status != FindingStatus.CLOSED.value,
        )
        .distinct()
        .order_by(FindingRequirement.program_id, Finding.reference, Finding.id, Finding.type)
    )
    return _grouped(
        (
            program_id,
            FindingFact(finding_id, reference, kind == FindingType.MAJOR_NONCONFORMITY.value),
        )
        for program_id, finding_id, reference, kind in rows
    )
