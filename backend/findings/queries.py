"""Reading findings: the filtered list, and the batch loads behind their fields.

Every batch function answers many findings in one statement, so a list of findings costs the
same number of statements at any length. Similar nonconformities are found through the
harmonized-structure key of each requirement (`clauses.hs_key`, or that of the nearest
keyed clause above it), so a finding on 7.5.1 of ISO 9001 meets one on 7.5.2 of ISO 14001
when both implement harmonized clause 7.5.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import aliased

from backend.catalog.harmonized import harmonized_key
from backend.catalog.models import Clause
from backend.core.calendar import today_sql
from backend.db.batch import by_id, grouped
from backend.db.session import TenantSession
from backend.evidence.models import EvidenceItem
from backend.findings.models import (
    NONCONFORMITIES,
    CorrectiveAction,
    EffectivenessReview,
    Finding,
    FindingEvidence,
    FindingRequirement,
    FindingStatus,
    ReviewEvidence,
)
from backend.planning.models import Action
from backend.programs.service import RequirementRef

MAX_SIMILAR = 10  # similar nonconformities listed on one finding
RECENT = timedelta(days=365)  # closed findings count as recent for a year: one audit cycle
Value = TypeVar("Value")


@dataclass(frozen=True)
class FindingFilter:
    type: str | None = None
    status: str | None = None
    source: str | None = None
    program_id: uuid.UUID | None = None
    requirement: RequirementRef | None = None
    overdue: bool | None = None
    open: bool | None = None  # not closed
    organization: uuid.UUID | None = None


def is_overdue_sql() -> ColumnElement[bool]:
    """Past its due date in its tenant's calendar, and not closed."""
    return (
        Finding.due_date.is_not(None)
        & (Finding.due_date < today_sql(Finding.tenant_id))
        & (Finding.status != FindingStatus.CLOSED.value)
    )


def findings_statement(where: FindingFilter) -> Select[Finding]:
    """Every finding the caller may read (row-level security decides), filtered."""
    statement = select(Finding)
    for column, value in (
        (Finding.tenant_id, where.organization),
        (Finding.type, where.type),
        (Finding.status, where.status),
        (Finding.source, where.source),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if where.open is not None:
        is_open = Finding.status != FindingStatus.CLOSED.value
        statement = statement.where(is_open if where.open else ~is_open)
    if where.overdue is not None:
        statement = statement.where(is_overdue_sql() if where.overdue else ~is_overdue_sql())
    if where.program_id is not None or where.requirement is not None:
        statement = statement.where(_concerning(where.program_id, where.requirement))
    return statement


def _concerning(
    program_id: uuid.UUID | None, requirement: RequirementRef | None
) -> ColumnElement[bool]:
    concerned = exists().where(FindingRequirement.finding_id == Finding.id)
    if program_id is not None:
        concerned = concerned.where(FindingRequirement.program_id == program_id)
    if isinstance(requirement, uuid.UUID):
        concerned = concerned.where(FindingRequirement.clause_id == requirement)
    elif requirement is not None:
        concerned = concerned.where(
            Clause.id == FindingRequirement.clause_id, Clause.number == requirement.strip()
        )
    return concerned


# --- batch loads (one statement per batch, for the request's DataLoaders) -----------------


findings_by_id = by_id(Finding)


@dataclass(frozen=True)
class ConcernedRequirement:
    program_id: uuid.UUID
    clause: Clause


async def requirements_of_findings(
    db: TenantSession, finding_ids: Sequence[uuid.UUID]
) -> list[list[ConcernedRequirement]]:
    """Each finding's requirements, program by program in the standard's order."""
    rows = await db.execute(
        select(FindingRequirement.finding_id, FindingRequirement.program_id, Clause)
        .join(Clause, Clause.id == FindingRequirement.clause_id)
        .where(FindingRequirement.finding_id.in_(finding_ids))
        .order_by(FindingRequirement.program_id, Clause.position)
    )
    return grouped(
        finding_ids,
        [
            (finding_id, ConcernedRequirement(program_id, clause))
            for finding_id, program_id, clause in rows
        ],
    )


@dataclass(frozen=True)
class RoundAction:
    round: int
    action: Action


async def corrective_actions_of_findings(
    db: TenantSession, finding_ids: Sequence[uuid.UUID]
) -> list[list[RoundAction]]:
    rows = await db.execute(
        select(CorrectiveAction.finding_id, CorrectiveAction.round, Action)
        .join(Action, Action.id == CorrectiveAction.action_id)
        .where(CorrectiveAction.finding_id.in_(finding_ids))
        .order_by(CorrectiveAction.round, Action.created_at, Action.id)
    )
    return grouped(
        finding_ids,
        [(finding_id, RoundAction(round_, action)) for finding_id, round_, action in rows],
    )


async def reviews_of_findings(
    db: TenantSession, finding_ids: Sequence[uuid.UUID]
) -> list[list[EffectivenessReview]]:
    rows = await db.scalars(
        select(EffectivenessReview)
        .where(EffectivenessReview.finding_id.in_(finding_ids))
        .order_by(EffectivenessReview.round)
    )
    return grouped(finding_ids, [(review.finding_id, review) for review in rows])


async def evidence_of_findings(
    db: TenantSession, finding_ids: Sequence[uuid.UUID]
) -> list[list[EvidenceItem]]:
    """Each finding's live evidence items, oldest first (a deleted item is no longer shown)."""
    rows = await db.execute(
        select(FindingEvidence.finding_id, EvidenceItem)
        .join(EvidenceItem, EvidenceItem.id == FindingEvidence.evidence_id)
        .where(FindingEvidence.finding_id.in_(finding_ids), EvidenceItem.deleted_at.is_(None))
        .order_by(EvidenceItem.created_at, EvidenceItem.id)
    )
    return grouped(finding_ids, [(key, value) for key, value in rows])


async def evidence_of_reviews(
    db: TenantSession, review_ids: Sequence[uuid.UUID]
) -> list[list[EvidenceItem]]:
    rows = await db.execute(
        select(ReviewEvidence.review_id, EvidenceItem)
        .join(EvidenceItem, EvidenceItem.id == ReviewEvidence.evidence_id)
        .where(ReviewEvidence.review_id.in_(review_ids), EvidenceItem.deleted_at.is_(None))
        .order_by(EvidenceItem.created_at, EvidenceItem.id)
    )
    return grouped(review_ids, [(key, value) for key, value in rows])


def _keyed_requirements(
    *conditions: ColumnElement[bool],
) -> Select[uuid.UUID, uuid.UUID, uuid.UUID, str | None]:
    """Requirements of findings (matching `conditions`) with their harmonized key."""
    return (
        select(
            FindingRequirement.finding_id,
            FindingRequirement.program_id,
            Finding.tenant_id,
            harmonized_key(Clause).label("hs_key"),
        )
        .join(Finding, Finding.id == FindingRequirement.finding_id)
        .join(Clause, Clause.id == FindingRequirement.clause_id)
        .where(*conditions)
    )


async def similar_findings(
    db: TenantSession, finding_ids: Sequence[uuid.UUID]
) -> list[list[Finding]]:
    """For each finding, open or recently closed nonconformities of its own tenant on the same
    harmonized clause in another program, newest first, at most MAX_SIMILAR."""
    mine = _keyed_requirements(FindingRequirement.finding_id.in_(finding_ids)).cte("mine")
    candidates = _keyed_requirements(
        Finding.type.in_([kind.value for kind in NONCONFORMITIES]),
        or_(
            Finding.status != FindingStatus.CLOSED.value,
            Finding.closed_at > func.now() - RECENT,
        ),
    ).cte("candidates")
    pairs = (
        select(mine.c.finding_id, candidates.c.finding_id.label("similar_id"))
        .join(
            candidates,
            (candidates.c.hs_key == mine.c.hs_key)
            & (candidates.c.tenant_id == mine.c.tenant_id)
            & (candidates.c.program_id != mine.c.program_id)
            & (candidates.c.finding_id != mine.c.finding_id),
        )
        .distinct()
        .subquery()
    )
    rank = func.row_number().over(
        partition_by=pairs.c.finding_id, order_by=(Finding.created_at.desc(), Finding.id)
    )
    ranked = (
        select(pairs.c.finding_id, Finding, rank.label("rank"))
        .join(Finding, Finding.id == pairs.c.similar_id)
        .subquery()
    )
    similar = aliased(Finding, ranked)
    rows = await db.execute(
        select(ranked.c.finding_id, similar)
        .where(ranked.c.rank <= MAX_SIMILAR)
        .order_by(ranked.c.rank)
    )
    return grouped(finding_ids, [(key, value) for key, value in rows])
