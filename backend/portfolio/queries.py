"""The portfolio and the work queue: reads across every client the caller may see.

Each figure comes from one statement over all the clients at once (other areas' rows read
through their models), so the cost is the same for one client as for fifty. Readiness is
read from the latest snapshots, never recomputed: scoring belongs to the readiness area.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Select, Uuid, cast, func, null, select
from sqlalchemy.dialects.postgresql import distinct_on

from backend.audits.models import Audit, ChecklistLine
from backend.audits.models import AuditStatus as InternalAuditStatus
from backend.catalog.models import Clause, Standard
from backend.certification.models import (
    AuditKind,
    AuditStatus,
    Certificate,
    CertificateProgram,
    CertificationAudit,
    CertificationAuditProgram,
    ExpectedAudit,
)
from backend.core.calendar import TenantDay, local_today, today_sql
from backend.core.freshness import Freshness, freshness, renewed_on
from backend.db.session import TenantSession
from backend.evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion, VersionStatus
from backend.findings.models import Finding, FindingRequirement, FindingStatus
from backend.planning.models import FINISHED_ACTION_STATUSES, Action
from backend.portfolio.models import ChecklistLineAssignment, RequirementAssignment
from backend.programs.models import ENDED_STATUSES, Program, ProgramStep, StepStatus
from backend.readiness.models import ReadinessSnapshot
from tenants.models import Organization

RISK_WINDOW = timedelta(days=30)
"""A date this close (or past) with readiness short of what it needs puts a program at risk."""

# Readiness levels (as snapshots store them) that are enough for an audit: stage 1 asks for
# the stage 1 level or better, every other audit (and a target date) for the stage 2 level.
_ENOUGH_FOR_STAGE_1 = frozenset({"ready_for_stage_1", "ready_for_stage_2", "certified_maintenance"})
_ENOUGH_OTHERWISE = frozenset({"ready_for_stage_2", "certified_maintenance"})


class Sort(enum.StrEnum):
    READINESS = "readiness"  # lowest score first: who needs the most work
    NEXT_DUE = "next_due"  # soonest date first, programs without one last
    RISK = "risk"  # at risk first, then by next date, then lowest score


@dataclass(frozen=True)
class NextAudit:
    id: uuid.UUID
    kind: str
    starts_on: date
    ends_on: date
    type_name: str = "CertificationAudit"
    rule: str | None = None  # for an expected audit: why it is due then


@dataclass(frozen=True)
class Entry:
    """One program of one client, with the figures a consultant looks at first."""

    tenant_id: uuid.UUID
    program_id: uuid.UUID
    standard: str
    status: str
    target_date: date | None
    day: TenantDay
    step_number: int | None = None
    step_key: str | None = None
    score: float | None = None
    level: str | None = None
    trend: float | None = None
    blockers: int = 0
    next_audit: NextAudit | None = None
    overdue_actions: int = 0
    overdue_findings: int = 0
    expiring_evidence: int = 0
    certificate_state: str | None = None
    certificate_expires_on: date | None = None

    @property
    def next_due(self) -> date | None:
        """The next date the client must be ready by: its next certification audit, else the
        program's target date."""
        return self.next_audit.starts_on if self.next_audit else self.target_date

    @property
    def at_risk(self) -> bool:
        """The next date is within RISK_WINDOW (or past) and the latest readiness level is
        short of what that date needs (no snapshot counts as short)."""
        due = self.next_due
        if due is None or due > self.day.today + RISK_WINDOW:
            return False
        stage_1 = self.next_audit is not None and self.next_audit.kind == AuditKind.STAGE_1.value
        return self.level not in (_ENOUGH_FOR_STAGE_1 if stage_1 else _ENOUGH_OTHERWISE)


@dataclass(frozen=True)
class Scores:
    score: float
    level: str
    trend: float | None
    blockers: int


async def portfolio(
    db: TenantSession,
    clients: Collection[uuid.UUID],
    *,
    standard: str | None = None,
    sort: Sort = Sort.RISK,
) -> list[Entry]:
    """Every active program of `clients` (those the caller manages or audits), sorted."""
    entries = await _programs(db, clients, standard)
    if not entries:
        return []
    ids = list(entries)
    figures = _Figures(
        steps=await _current_steps(db, ids),
        scores=await _scores(db, ids),
        audits=await _next_audits(db, ids),
        actions=await _overdue_actions(db, ids),
        findings=await _overdue_findings(db, ids),
        expiring=await _expiring_evidence(db, ids, {e.tenant_id: e.day for e in entries.values()}),
        certificates=await _certificates(db, ids),
    )
    found = [_complete(entry, figures) for entry in entries.values()]
    return sorted(found, key=_SORT_KEYS[sort])


@dataclass(frozen=True)
class _Figures:
    """Each figure of every program, keyed by program id; a program missing has none."""

    steps: dict[uuid.UUID, tuple[int, str]]
    scores: dict[uuid.UUID, Scores]
    audits: dict[uuid.UUID, NextAudit]
    actions: dict[uuid.UUID, int]
    findings: dict[uuid.UUID, int]
    expiring: dict[uuid.UUID, int]
    certificates: dict[uuid.UUID, tuple[str, date]]


def _complete(entry: Entry, figures: _Figures) -> Entry:
    key = entry.program_id
    step, score = figures.steps.get(key), figures.scores.get(key)
    certificate = figures.certificates.get(key)
    return replace(
        entry,
        step_number=step[0] if step else None,
        step_key=step[1] if step else None,
        score=score.score if score else None,
        level=score.level if score else None,
        trend=score.trend if score else None,
        blockers=score.blockers if score else 0,
        next_audit=figures.audits.get(key),
        overdue_actions=figures.actions.get(key, 0),
        overdue_findings=figures.findings.get(key, 0),
        expiring_evidence=figures.expiring.get(key, 0),
        certificate_state=certificate[0] if certificate else None,
        certificate_expires_on=certificate[1] if certificate else None,
    )


def _by_readiness(entry: Entry) -> tuple[Any, ...]:
    return (entry.score if entry.score is not None else -1.0, entry.program_id)


def _by_next_due(entry: Entry) -> tuple[Any, ...]:
    return (entry.next_due is None, entry.next_due or date.max, *_by_readiness(entry))


def _by_risk(entry: Entry) -> tuple[Any, ...]:
    return (not entry.at_risk, *_by_next_due(entry))


_SORT_KEYS = {Sort.READINESS: _by_readiness, Sort.NEXT_DUE: _by_next_due, Sort.RISK: _by_risk}


async def _programs(
    db: TenantSession, clients: Collection[uuid.UUID], standard: str | None
) -> dict[uuid.UUID, Entry]:
    statement = (
        select(
            Program.id,
            Program.tenant_id,
            Program.status,
            Program.target_date,
            Standard.code,
            Standard.edition,
            Organization.timezone,
        )
        .join(Standard, Standard.id == Program.standard_id)
        .join(Organization, Organization.id == Program.tenant_id)
        .where(
            Program.tenant_id.in_(list(clients)),
            Program.status.not_in([status.value for status in ENDED_STATUSES]),
        )
    )
    if standard is not None:
        statement = statement.where(func.lower(Standard.code) == standard.strip().lower())
    rows = await db.execute(statement)
    return {
        row.id: Entry(
            tenant_id=row.tenant_id,
            program_id=row.id,
            standard=f"{row.code}:{row.edition}",
            status=row.status,
            target_date=row.target_date,
            day=TenantDay.now(row.timezone),
        )
        for row in rows
    }


async def _current_steps(
    db: TenantSession, program_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, str]]:
    """The first step not completed of each program: where its work stands."""
    rows = await db.execute(
        select(ProgramStep.program_id, ProgramStep.number, ProgramStep.key)
        .ext(distinct_on(ProgramStep.program_id))
        .where(
            ProgramStep.program_id.in_(program_ids),
            ProgramStep.status != StepStatus.COMPLETED.value,
        )
        .order_by(ProgramStep.program_id, ProgramStep.number)
    )
    return {row.program_id: (row.number, row.key) for row in rows}


async def _scores(db: TenantSession, program_ids: list[uuid.UUID]) -> dict[uuid.UUID, Scores]:
    """The latest snapshot of each program, its trend against the one before it, and the
    blockers it recorded (a snapshot keeps the first twenty)."""
    rank = (
        func.row_number()
        .over(
            partition_by=ReadinessSnapshot.program_id,
            order_by=(ReadinessSnapshot.computed_at.desc(), ReadinessSnapshot.id.desc()),
        )
        .label("rank")
    )
    ranked = select(
        ReadinessSnapshot.program_id,
        ReadinessSnapshot.score,
        ReadinessSnapshot.level,
        func.jsonb_array_length(ReadinessSnapshot.breakdown["blockers"]).label("blockers"),
        rank,
    ).where(ReadinessSnapshot.program_id.in_(program_ids))
    recent = ranked.subquery()
    rows = await db.execute(
        select(recent).where(recent.c.rank <= 2).order_by(recent.c.program_id, recent.c.rank)
    )
    points: defaultdict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        points[row.program_id].append(row)
    return {program_id: _scored(found) for program_id, found in points.items()}


def _scored(points: Sequence[Any]) -> Scores:
    latest = points[0]
    trend = round(latest.score - points[1].score, 1) if len(points) > 1 else None
    return Scores(latest.score, latest.level, trend, latest.blockers or 0)


async def _next_audits(
    db: TenantSession, program_ids: list[uuid.UUID]
) -> dict[uuid.UUID, NextAudit]:
    """The next planned certification audit covering each program, not yet over; for a
    program with none booked, the first audit its certificate's cycle expects and nobody has
    held (its window from the day it counts to the day it is due): two statements."""
    rows = await db.execute(
        select(
            CertificationAuditProgram.program_id,
            CertificationAudit.id,
            CertificationAudit.kind,
            CertificationAudit.planned_start,
            CertificationAudit.planned_end,
        )
        .join(CertificationAudit, CertificationAudit.id == CertificationAuditProgram.audit_id)
        .ext(distinct_on(CertificationAuditProgram.program_id))
        .where(
            CertificationAuditProgram.program_id.in_(program_ids),
            CertificationAudit.status == AuditStatus.PLANNED.value,
            CertificationAudit.planned_end >= today_sql(CertificationAudit.tenant_id),
        )
        .order_by(CertificationAuditProgram.program_id, CertificationAudit.planned_start)
    )
    booked = {
        row.program_id: NextAudit(row.id, row.kind, row.planned_start, row.planned_end)
        for row in rows
    }
    return {**await _expected_audits(db, program_ids), **booked}


async def _expected_audits(
    db: TenantSession, program_ids: list[uuid.UUID]
) -> dict[uuid.UUID, NextAudit]:
    rows = await db.execute(
        select(
            CertificateProgram.program_id,
            ExpectedAudit.id,
            ExpectedAudit.kind,
            ExpectedAudit.opens_on,
            ExpectedAudit.due_on,
            ExpectedAudit.rule,
        )
        .join(ExpectedAudit, ExpectedAudit.certificate_id == CertificateProgram.certificate_id)
        .ext(distinct_on(CertificateProgram.program_id))
        .where(CertificateProgram.program_id.in_(program_ids), ExpectedAudit.held_on.is_(None))
        .order_by(CertificateProgram.program_id, ExpectedAudit.due_on)
    )
    return {
        row.program_id: NextAudit(
            row.id, row.kind, row.opens_on, row.due_on, "ExpectedCertificationAudit", row.rule
        )
        for row in rows
    }


async def _overdue_actions(db: TenantSession, program_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = await db.execute(
        select(Action.program_id, func.count().label("overdue"))
        .where(
            Action.program_id.in_(program_ids),
            Action.status.not_in(FINISHED_ACTION_STATUSES),
            Action.due_date < today_sql(Action.tenant_id),
        )
        .group_by(Action.program_id)
    )
    return {row.program_id: row.overdue for row in rows}


async def _overdue_findings(
    db: TenantSession, program_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Open findings past their due date, per program whose requirements they concern."""
    rows = await db.execute(
        select(
            FindingRequirement.program_id, func.count(func.distinct(Finding.id)).label("overdue")
        )
        .join(Finding, Finding.id == FindingRequirement.finding_id)
        .where(
            FindingRequirement.program_id.in_(program_ids),
            Finding.status != FindingStatus.CLOSED.value,
            Finding.due_date < today_sql(Finding.tenant_id),
        )
        .group_by(FindingRequirement.program_id)
    )
    return {row.program_id: row.overdue for row in rows}


async def _expiring_evidence(
    db: TenantSession, program_ids: list[uuid.UUID], days: dict[uuid.UUID, TenantDay]
) -> dict[uuid.UUID, int]:
    """Evidence linked to each program that goes stale within the next 30 days, judged by
    the shared freshness rule on the client's calendar."""
    confirmed = (
        select(
            EvidenceVersion.evidence_id, func.max(EvidenceVersion.confirmed_at).label("confirmed")
        )
        .where(EvidenceVersion.status == VersionStatus.AVAILABLE.value)
        .group_by(EvidenceVersion.evidence_id)
        .subquery()
    )
    rows = await db.execute(
        select(
            EvidenceLink.program_id,
            EvidenceItem.id,
            EvidenceItem.tenant_id,
            EvidenceItem.valid_until,
            EvidenceItem.review_interval_days,
            confirmed.c.confirmed,
        )
        .distinct()  # an item linked to several requirements of a program counts once
        .join(EvidenceItem, EvidenceItem.id == EvidenceLink.evidence_id)
        .join(confirmed, confirmed.c.evidence_id == EvidenceItem.id)
        .where(EvidenceLink.program_id.in_(program_ids), EvidenceItem.deleted_at.is_(None))
    )
    counts: defaultdict[uuid.UUID, int] = defaultdict(int)
    for row in rows:
        if _expiring(row, days[row.tenant_id]):
            counts[row.program_id] += 1
    return counts


def _expiring(row: Any, day: TenantDay) -> bool:
    renewed = renewed_on(row.confirmed, day)
    verdict = freshness(row.valid_until, row.review_interval_days, renewed, day.today)
    return verdict is Freshness.EXPIRING_SOON


async def _certificates(
    db: TenantSession, program_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, date]]:
    """The state and expiry of each program's latest certificate."""
    rows = await db.execute(
        select(CertificateProgram.program_id, Certificate.state, Certificate.expires_on)
        .join(Certificate, Certificate.id == CertificateProgram.certificate_id)
        .ext(distinct_on(CertificateProgram.program_id))
        .where(CertificateProgram.program_id.in_(program_ids))
        .order_by(CertificateProgram.program_id, Certificate.decision_on.desc())
    )
    return {row.program_id: (row.state, row.expires_on) for row in rows}


# --- the work queue ------------------------------------------------------------------------


class WorkKind(enum.StrEnum):
    ACTION = "action"
    FINDING = "finding"
    REQUIREMENT = "requirement"
    CHECKLIST_LINE = "checklist_line"


@dataclass(frozen=True)
class WorkItem:
    """Something the caller answers for, in one of the organizations it may read."""

    kind: WorkKind
    object_id: uuid.UUID  # the action, finding, assessed requirement (a clause) or line
    tenant_id: uuid.UUID
    program_id: uuid.UUID | None
    title: str
    due_on: date | None
    today: date

    @property
    def overdue(self) -> bool:
        return self.due_on is not None and self.due_on < self.today


async def work_queue(db: TenantSession, user_id: uuid.UUID) -> list[WorkItem]:
    """The caller's open actions and findings, its assigned requirements and the checklist
    lines it still has to work, across every organization it reads: overdue first, then by
    due date, undated last."""
    items = [
        *await _items(db, _my_actions(user_id), WorkKind.ACTION),
        *await _items(db, _my_findings(user_id), WorkKind.FINDING),
        *await _items(db, _my_requirements(user_id), WorkKind.REQUIREMENT),
        *await _items(db, _my_lines(user_id), WorkKind.CHECKLIST_LINE),
    ]
    return sorted(
        items, key=lambda item: (item.due_on is None, item.due_on or date.max, item.title)
    )


_Rows = Select[Any, Any, Any, Any, Any]
"""Work rows: (id, tenant, program, title, due date)."""


def _my_actions(user_id: uuid.UUID) -> _Rows:
    return select(
        Action.id, Action.tenant_id, Action.program_id, Action.title, Action.due_date
    ).where(Action.owner_id == user_id, Action.status.not_in(FINISHED_ACTION_STATUSES))


def _my_findings(user_id: uuid.UUID) -> _Rows:
    return select(
        Finding.id,
        Finding.tenant_id,
        cast(null(), Uuid).label("program_id"),  # a finding may concern several programs
        (Finding.reference + ": " + Finding.statement).label("title"),
        Finding.due_date,
    ).where(Finding.owner_id == user_id, Finding.status != FindingStatus.CLOSED.value)


def _my_requirements(user_id: uuid.UUID) -> _Rows:
    return (
        select(
            RequirementAssignment.clause_id,
            RequirementAssignment.tenant_id,
            RequirementAssignment.program_id,
            (Clause.number + " " + Clause.title).label("title"),
            cast(null(), Date).label("due_date"),
        )
        .join(Clause, Clause.id == RequirementAssignment.clause_id)
        .where(RequirementAssignment.assignee_id == user_id)
    )


def _my_lines(user_id: uuid.UUID) -> _Rows:
    """Lines without a result yet, of audits still open: due by the audit's planned end."""
    return (
        select(
            ChecklistLine.id,
            ChecklistLine.tenant_id,
            ChecklistLine.program_id,
            (Audit.reference + ": " + ChecklistLine.question).label("title"),
            Audit.planned_end,
        )
        .join(ChecklistLineAssignment, ChecklistLineAssignment.line_id == ChecklistLine.id)
        .join(Audit, Audit.id == ChecklistLine.audit_id)
        .where(
            ChecklistLineAssignment.assignee_id == user_id,
            ChecklistLine.result.is_(None),
            Audit.status.not_in(
                [InternalAuditStatus.CLOSED.value, InternalAuditStatus.CANCELLED.value]
            ),
        )
    )


async def _items(db: TenantSession, statement: _Rows, kind: WorkKind) -> list[WorkItem]:
    """The rows as work items, each dated on its tenant's calendar."""
    zoned = statement.add_columns(Organization.timezone).join(
        Organization, Organization.id == statement.selected_columns[1]
    )
    rows = await db.execute(zoned)
    return [
        WorkItem(kind, row[0], row[1], row[2], row[3], row[4], local_today(row.timezone))
        for row in rows
    ]
