"""The inputs a management review considers, assembled from the other areas' tables.

Each assembled input is one statement over those areas' models, whatever the amount of data:
its figures are counted in the statement (window aggregates over every matching row) and at
most `MAX_LINKS` rows come back as links. The period is the review's: from its
`period_start` to the day the inputs are assembled (the day it is held, at the last
assembly). What is not modelled yet is an input written by people; the programs' standards
decide which of those the review asks for.

- Previous actions: outputs of earlier held or signed reviews sharing a program, while not
  finished (so an open one is carried into every next review until done), and those finished
  in the period.
- Nonconformities: major and minor findings on a program in scope, open now or closed in the
  period, and their corrective actions still open.
- Audit results: audits with a checklist line on a program in scope, signed (closed) in the
  period, and what their lines on those programs found.
- Objectives: the programs' objectives (cancelled ones aside) by status.
- Improvement opportunities: observations and opportunities for improvement still open.
- From the registers (backend/registers' models): risks and opportunities (every review);
  compliance obligations and significant aspects (ISO 14001); incidents and legal
  compliance (ISO 45001); risk assessment and treatment (ISO/IEC 27001). Archived rows do
  not count; an aspect is significant from the tenant's threshold (its register settings,
  or the registers' default).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, select, true
from sqlalchemy.orm import aliased

from backend.audits.models import Audit, AuditStatus, ChecklistLine, ChecklistResult
from backend.core.calendar import local_date_sql
from backend.db.session import TenantSession
from backend.findings.models import (
    NONCONFORMITIES,
    CorrectiveAction,
    Finding,
    FindingRequirement,
    FindingStatus,
    FindingType,
)
from backend.planning.models import FINISHED_ACTION_STATUSES, Action, Objective, ObjectiveStatus
from backend.registers.models import (
    EntryFinding,
    EntryKind,
    EvaluationResult,
    RegisterEntry,
    RegisterSettings,
)
from backend.reviews.models import InputKind, ManagementReview, ReviewOutput, ReviewProgram
from backend.reviews.models import ReviewStatus as Status

MAX_LINKS = 50  # rows linked from one input; its figures count every row
MAX_FIGURES = 5  # figures of one input (the most any assembler below counts)

# Inputs every review asks for, in order (assembled when an assembler exists, otherwise
# written by people), then those the standards in scope ask for (by the number of the
# standard: "ISO 9001", "ISO/IEC 27001").
EVERY_REVIEW = (
    InputKind.PREVIOUS_ACTIONS,
    InputKind.NONCONFORMITIES,
    InputKind.AUDIT_RESULTS,
    InputKind.OBJECTIVES,
    InputKind.IMPROVEMENT_OPPORTUNITIES,
    InputKind.ISSUES,
    InputKind.INTERESTED_PARTIES,
    InputKind.RESOURCES,
    InputKind.RISKS_AND_OPPORTUNITIES,
)
SIGNIFICANCE_DEFAULT = 8  # the registers' default threshold, while a tenant set none
BY_STANDARD: dict[str, tuple[InputKind, ...]] = {
    "9001": (InputKind.CUSTOMER_SATISFACTION, InputKind.EXTERNAL_PROVIDERS),
    "14001": (
        InputKind.COMPLIANCE_OBLIGATIONS,
        InputKind.SIGNIFICANT_ASPECTS,
        InputKind.COMMUNICATIONS,
    ),
    "45001": (
        InputKind.INCIDENTS,
        InputKind.WORKER_CONSULTATION,
        InputKind.LEGAL_COMPLIANCE,
    ),
    "27001": (InputKind.RISK_TREATMENT, InputKind.SECURITY_FEEDBACK),
}


@dataclass(frozen=True)
class Window:
    """What an assembly looks at: the review, its programs, and the period."""

    review_id: uuid.UUID
    program_ids: Sequence[uuid.UUID]
    start: date
    until: date


@dataclass(frozen=True)
class Assembled:
    figures: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Wanted:
    kind: InputKind
    standard: str = ""  # the standard that asks for it, when only one does


def wanted(standard_codes: Sequence[str]) -> list[Wanted]:
    """The inputs a review of programs on these standards considers, in order."""
    kinds = [Wanted(kind) for kind in EVERY_REVIEW]
    for code in dict.fromkeys(standard_codes):
        kinds += [Wanted(kind, code) for kind in BY_STANDARD.get(code.split()[-1], ())]
    return kinds


def _figures(labels: Sequence[str], row: Sequence[Any] | None) -> list[dict[str, Any]]:
    """Figures from the window counts at the end of the first row (zeros when none)."""
    counts = row[-len(labels) :] if row is not None else [0] * len(labels)
    return [
        {"label": label, "value": int(value)} for label, value in zip(labels, counts, strict=True)
    ]


def _link(type_name: str, row_id: uuid.UUID, label: str) -> dict[str, Any]:
    return {"type": type_name, "id": str(row_id), "label": label}


async def _rows(db: TenantSession, statement: Any) -> list[Any]:
    """The first `MAX_LINKS` rows of a select (typed loosely: its columns vary per input)."""
    return list((await db.execute(statement.limit(MAX_LINKS))).all())


def _counted(*conditions: ColumnElement[bool]) -> list[Any]:
    """One window count per condition, over every row the statement matches."""
    return [func.count().filter(condition).over() for condition in conditions]


async def previous_actions(db: TenantSession, window: Window) -> Assembled:
    earlier = aliased(ManagementReview)
    unfinished = Action.status.not_in(FINISHED_ACTION_STATUSES)
    finished_in_period = and_(
        ~unfinished,
        local_date_sql(Action.completed_at.expression, Action.tenant_id) >= window.start,
    )
    overdue = and_(unfinished, Action.due_date < window.until)
    rows = await _rows(
        db,
        select(
            Action.id,
            Action.title,
            Action.status,
            earlier.title,
            *_counted(unfinished, overdue, ~unfinished),
        )
        .join(ReviewOutput, ReviewOutput.action_id == Action.id)
        .join(earlier, earlier.id == ReviewOutput.review_id)
        .where(
            earlier.id != window.review_id,
            earlier.status.in_([Status.HELD.value, Status.SIGNED.value]),
            exists().where(
                ReviewProgram.review_id == earlier.id,
                ReviewProgram.program_id.in_(window.program_ids),
            ),
            unfinished | finished_in_period,
        )
        .order_by(~unfinished, earlier.held_on, ReviewOutput.position, Action.id),
    )
    labels = ("Still open", "Overdue", "Finished in the period")
    return Assembled(
        _figures(labels, rows[0] if rows else None),
        [_link("Action", row[0], f"{row[1]} ({row[2]}, from {row[3]})") for row in rows],
    )


def _finding_in_scope(window: Window) -> ColumnElement[bool]:
    return exists().where(
        FindingRequirement.finding_id == Finding.id,
        FindingRequirement.program_id.in_(window.program_ids),
    )


async def nonconformities(db: TenantSession, window: Window) -> Assembled:
    is_open = Finding.status != FindingStatus.CLOSED.value
    closed_in_period = and_(
        ~is_open,
        local_date_sql(Finding.closed_at.expression, Finding.tenant_id).between(
            window.start, window.until
        ),
    )
    major = Finding.type == FindingType.MAJOR_NONCONFORMITY.value
    open_actions = (
        select(func.count())
        .select_from(CorrectiveAction)
        .join(Action, Action.id == CorrectiveAction.action_id)
        .where(
            CorrectiveAction.finding_id == Finding.id,
            Action.status.not_in(FINISHED_ACTION_STATUSES),
        )
        .scalar_subquery()
    )
    rows = await _rows(
        db,
        select(
            Finding.id,
            Finding.reference,
            Finding.status,
            *_counted(major & is_open, ~major & is_open, major & ~is_open, ~major & ~is_open),
            func.sum(open_actions).over(),
        )
        .where(
            Finding.type.in_([kind.value for kind in NONCONFORMITIES]),
            _finding_in_scope(window),
            is_open | closed_in_period,
        )
        .order_by(~is_open, Finding.reference),
    )
    labels = (
        "Major nonconformities open",
        "Minor nonconformities open",
        "Major nonconformities closed in the period",
        "Minor nonconformities closed in the period",
        "Corrective actions not finished",
    )
    return Assembled(
        _figures(labels, rows[0] if rows else None),
        [_link("Finding", row[0], f"{row[1]} ({row[2]})") for row in rows],
    )


async def audit_results(db: TenantSession, window: Window) -> Assembled:
    closed_on = local_date_sql(Audit.signed_at.expression, Audit.tenant_id)
    result = ChecklistLine.result
    audited = result.is_not(None) & (result != ChecklistResult.NOT_SAMPLED.value)
    per_audit = [
        func.count().filter(audited),
        func.count().filter(result == ChecklistResult.NONCONFORMITY.value),
        func.count().filter(result == ChecklistResult.OBSERVATION.value),
        func.count().filter(result == ChecklistResult.OPPORTUNITY_FOR_IMPROVEMENT.value),
    ]
    rows = await _rows(
        db,
        select(
            Audit.id,
            Audit.reference,
            closed_on,
            func.count().over(),
            *(func.sum(each).over() for each in per_audit),
        )
        .join(ChecklistLine, ChecklistLine.audit_id == Audit.id)
        .where(
            ChecklistLine.program_id.in_(window.program_ids),
            Audit.status == AuditStatus.CLOSED.value,
            closed_on.between(window.start, window.until),
        )
        .group_by(Audit.id)
        .order_by(closed_on, Audit.reference),
    )
    labels = (
        "Audits closed in the period",
        "Requirements audited",
        "Nonconformities found",
        "Observations",
        "Opportunities for improvement",
    )
    return Assembled(
        _figures(labels, rows[0] if rows else None),
        [_link("Audit", row[0], f"{row[1]} (closed on {row[2].isoformat()})") for row in rows],
    )


async def objectives(db: TenantSession, window: Window) -> Assembled:
    status = Objective.status
    achieved = status == ObjectiveStatus.ACHIEVED.value
    rows = await _rows(
        db,
        select(
            Objective.id,
            Objective.statement,
            Objective.status,
            *_counted(
                achieved,
                status == ObjectiveStatus.ON_TRACK.value,
                status == ObjectiveStatus.AT_RISK.value,
                status == ObjectiveStatus.OPEN.value,
                ~achieved & (Objective.due_date < window.until),
            ),
        )
        .where(
            Objective.program_id.in_(window.program_ids),
            status != ObjectiveStatus.CANCELLED.value,
        )
        .order_by(achieved, Objective.due_date.nulls_last(), Objective.id),
    )
    labels = ("Achieved", "On track", "At risk", "Open", "Past due, not achieved")
    return Assembled(
        _figures(labels, rows[0] if rows else None),
        [_link("Objective", row[0], f"{_short(row[1])} ({row[2]})") for row in rows],
    )


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


async def improvement_opportunities(db: TenantSession, window: Window) -> Assembled:
    is_ofi = Finding.type == FindingType.OPPORTUNITY_FOR_IMPROVEMENT.value
    rows = await _rows(
        db,
        select(Finding.id, Finding.reference, Finding.type, *_counted(is_ofi, ~is_ofi))
        .where(
            Finding.type.in_(
                [FindingType.OPPORTUNITY_FOR_IMPROVEMENT.value, FindingType.OBSERVATION.value]
            ),
            Finding.status != FindingStatus.CLOSED.value,
            _finding_in_scope(window),
        )
        .order_by(Finding.reference),
    )
    labels = ("Opportunities for improvement open", "Observations open")
    return Assembled(
        _figures(labels, rows[0] if rows else None),
        [_link("Finding", row[0], f"{row[1]} ({row[2].replace('_', ' ')})") for row in rows],
    )


# --- from the registers ----------------------------------------------------------------------


def _entries(window: Window, kind: EntryKind) -> ColumnElement[bool]:
    return and_(
        RegisterEntry.program_id.in_(window.program_ids),
        RegisterEntry.kind == kind.value,
        RegisterEntry.archived_at.is_(None),
    )


def _scored() -> ColumnElement[bool]:
    return RegisterEntry.likelihood.is_not(None) & RegisterEntry.impact.is_not(None)


def _entry_links(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [_link(row[1], row[0], f"{row[2]} {_short(row[3])}") for row in rows]


_TYPE_NAMES = {
    EntryKind.RISK: "Risk",
    EntryKind.SECURITY_RISK: "SecurityRisk",
    EntryKind.ASPECT: "Aspect",
    EntryKind.INCIDENT: "Incident",
    EntryKind.OBLIGATION: "Obligation",
}


def _listing(kind: EntryKind, *counts: ColumnElement[bool]) -> Any:
    return select(
        RegisterEntry.id,
        literal(_TYPE_NAMES[kind]),
        RegisterEntry.reference,
        RegisterEntry.title,
        *_counted(true(), *counts),
    ).order_by(RegisterEntry.reference)


async def risks_and_opportunities(db: TenantSession, window: Window) -> Assembled:
    kind = EntryKind.RISK
    review_due = RegisterEntry.review_on <= window.until
    rows = await _rows(
        db, _listing(kind, _scored(), ~_scored(), review_due).where(_entries(window, kind))
    )
    labels = ("Listed", "Assessed", "Not yet assessed", "Review due")
    return Assembled(_figures(labels, rows[0] if rows else None), _entry_links(rows))


async def _obligations(db: TenantSession, window: Window) -> Assembled:
    kind = EntryKind.OBLIGATION
    result = RegisterEntry.evaluation_result
    rows = await _rows(
        db,
        _listing(
            kind,
            RegisterEntry.evaluated_on.between(window.start, window.until),
            result == EvaluationResult.COMPLIANT.value,
            result.in_(
                [EvaluationResult.PARTIALLY_COMPLIANT.value, EvaluationResult.NOT_COMPLIANT.value]
            ),
            RegisterEntry.evaluated_on.is_(None),
        ).where(_entries(window, kind)),
    )
    labels = (
        "Listed",
        "Evaluated in the period",
        "Last evaluation: compliant",
        "Last evaluation: not fully compliant",
        "Never evaluated",
    )
    return Assembled(_figures(labels, rows[0] if rows else None), _entry_links(rows))


async def significant_aspects(db: TenantSession, window: Window) -> Assembled:
    kind = EntryKind.ASPECT
    threshold = func.coalesce(
        select(RegisterSettings.significance_threshold)
        .where(RegisterSettings.tenant_id == RegisterEntry.tenant_id)
        .scalar_subquery(),
        SIGNIFICANCE_DEFAULT,
    )
    significant = _scored() & (RegisterEntry.likelihood * RegisterEntry.impact >= threshold)
    rows = await _rows(
        db,
        _listing(kind, _scored(), significant, ~_scored())
        .where(_entries(window, kind))
        .order_by(None)
        .order_by(~significant, RegisterEntry.reference),
    )
    labels = ("Listed", "Scored", "Significant", "Not yet scored")
    return Assembled(_figures(labels, rows[0] if rows else None), _entry_links(rows))


async def incidents(db: TenantSession, window: Window) -> Assembled:
    kind = EntryKind.INCIDENT
    raised = exists().where(EntryFinding.entry_id == RegisterEntry.id)
    in_period = RegisterEntry.occurred_on.between(window.start, window.until)
    rows = await _rows(
        db,
        _listing(kind, in_period, in_period & raised).where(_entries(window, kind)),
    )
    labels = ("Recorded", "In the period", "In the period, with a nonconformity raised")
    return Assembled(_figures(labels, rows[0] if rows else None), _entry_links(rows))


async def risk_treatment(db: TenantSession, window: Window) -> Assembled:
    kind = EntryKind.SECURITY_RISK
    treated = _scored() & RegisterEntry.treatment.is_not(None)
    rows = await _rows(
        db,
        _listing(kind, treated, ~treated, RegisterEntry.accepted_at.is_not(None)).where(
            _entries(window, kind)
        ),
    )
    labels = ("Listed", "Assessed and treated", "Not yet treated", "Residual risk accepted")
    return Assembled(_figures(labels, rows[0] if rows else None), _entry_links(rows))


ASSEMBLERS: dict[InputKind, Callable[[TenantSession, Window], Awaitable[Assembled]]] = {
    InputKind.PREVIOUS_ACTIONS: previous_actions,
    InputKind.NONCONFORMITIES: nonconformities,
    InputKind.AUDIT_RESULTS: audit_results,
    InputKind.OBJECTIVES: objectives,
    InputKind.IMPROVEMENT_OPPORTUNITIES: improvement_opportunities,
    InputKind.RISKS_AND_OPPORTUNITIES: risks_and_opportunities,
    InputKind.COMPLIANCE_OBLIGATIONS: _obligations,
    InputKind.SIGNIFICANT_ASPECTS: significant_aspects,
    InputKind.INCIDENTS: incidents,
    InputKind.LEGAL_COMPLIANCE: _obligations,
    InputKind.RISK_TREATMENT: risk_treatment,
}
