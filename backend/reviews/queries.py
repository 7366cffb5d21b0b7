"""Reading reviews: the filtered list and the batch loads behind their fields (one
statement per batch, so a review with many inputs and outputs costs what a small one does)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, exists, select

from backend.db.batch import by_id, grouped
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


async def programs_of_reviews(
    db: TenantSession, review_ids: Sequence[uuid.UUID]
) -> list[list[Program]]:
    rows = await db.execute(
        select(ReviewProgram.review_id, Program)
        .join(Program, Program.id == ReviewProgram.program_id)
        .where(ReviewProgram.review_id.in_(review_ids))
        .order_by(ReviewProgram.position)
    )
    return grouped(review_ids, [(key, value) for key, value in rows])


async def attendees_of_reviews(
    db: TenantSession, review_ids: Sequence[uuid.UUID]
) -> list[list[ReviewAttendee]]:
    rows = await db.scalars(
        select(ReviewAttendee)
        .where(ReviewAttendee.review_id.in_(review_ids))
        .order_by(ReviewAttendee.position)
    )
    return grouped(review_ids, [(row.review_id, row) for row in rows])


async def inputs_of_reviews(
    db: TenantSession, review_ids: Sequence[uuid.UUID]
) -> list[list[ReviewInput]]:
    rows = await db.scalars(
        select(ReviewInput)
        .where(ReviewInput.review_id.in_(review_ids))
        .order_by(ReviewInput.position)
    )
    return grouped(review_ids, [(row.review_id, row) for row in rows])


async def outputs_of_reviews(
    db: TenantSession, review_ids: Sequence[uuid.UUID]
) -> list[list[tuple[ReviewOutput, Action]]]:
    rows = await db.execute(
        select(ReviewOutput, Action)
        .join(Action, Action.id == ReviewOutput.action_id)
        .where(ReviewOutput.review_id.in_(review_ids))
        .order_by(ReviewOutput.position)
    )
    return grouped(review_ids, [(output.review_id, (output, action)) for output, action in rows])
