"""Reading reviews: the filtered list and the batch loads behind their fields (one
statement per batch, so a review with many inputs and outputs costs what a small one does)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, exists, select

from backend.db.batch import by_id
from backend.db.session import TenantSession
from backend.planning.models import Action
from backend.programs.models import Program
from backend.reviews.models import (
    ManagementReview,
    ReviewAttendee,
    ReviewInput,
    ReviewOutput,
    ReviewProgram,
    ReviewStatus,
)

Value = TypeVar("Value")


@dataclass(frozen=True)
class ReviewFilter:
    program_id: uuid.UUID | None = None
    status: ReviewStatus | None = None
    organization: uuid.UUID | None = None


def reviews_statement(where: ReviewFilter) -> Select[Any]:
    statement = select(ManagementReview)
    if where.status is not None:
        statement = statement.where(ManagementReview.status == where.status.value)
    if where.organization is not None:
        statement = statement.where(ManagementReview.tenant_id == where.organization)
    if where.program_id is not None:
        statement = statement.where(
            exists().where(
                ReviewProgram.review_id == ManagementReview.id,
                ReviewProgram.program_id == where.program_id,
            )
        )
    return statement


reviews_by_id = by_id(ManagementReview)
inputs_by_id = by_id(ReviewInput)


def _grouped(
    keys: Sequence[uuid.UUID], pairs: Iterable[tuple[uuid.UUID, Value]]
) -> list[list[Value]]:
    """The values paired with each key, in key order (an empty list for a key with none)."""
    grouped: dict[uuid.UUID, list[Value]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return [grouped[key] for key in keys]


async def programs_of_reviews(
    db: TenantSession, review_ids: Sequence[uuid.UUID]
) -> list[list[Program]]:
    rows = await db.execute(
        select(ReviewProgram.review_id, Program)
        .join(Program, Program.id == ReviewProgram.program_id)
        .where(ReviewProgram.review_id.in_(review_ids))
        .order_by(ReviewProgram.position)
    )
    return _grouped(review_ids, [(key, value) for key, value in rows])


async def attendees_of_reviews(
    db: TenantSession, review_ids: Sequence[uuid.UUID]
) -> list[list[ReviewAttendee]]:
    rows = await db.scalars(
        select(ReviewAttendee)
        .where(ReviewAttendee.review_id.in_(review_ids))
        .order_by(ReviewAttendee.position)
    )
    return _grouped(review_ids, [(row.review_id, row) for row in rows])


async def inputs_of_reviews(
    db: TenantSession, review_ids: Sequence[uuid.UUID]
) -> list[list[ReviewInput]]:
    rows = await db.scalars(
        select(ReviewInput)
        .where(ReviewInput.review_id.in_(review_ids))
        .order_by(ReviewInput.position)
    )
    return _grouped(review_ids, [(row.review_id, row) for row in rows])


async def outputs_of_reviews(
    db: TenantSession, review_ids: Sequence[uuid.UUID]
) -> list[list[tuple[ReviewOutput, Action]]]:
    rows = await db.execute(
        select(ReviewOutput, Action)
        .join(Action, Action.id == ReviewOutput.action_id)
        .where(ReviewOutput.review_id.in_(review_ids))
        .order_by(ReviewOutput.position)
    )
    return _grouped(review_ids, [(output.review_id, (output, action)) for output, action in rows])
