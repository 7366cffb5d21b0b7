"""What the management review minutes show, read through the reviews models: the programs
served, who attended, every input with the figures stored on it when it was assembled (the
minutes print the snapshot, never figures computed again) and what was said, the decisions
and actions with their owners and due dates, and the chair's signature."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from backend.catalog.models import Standard
from backend.db.session import TenantSession
from backend.planning.models import Action
from backend.programs.models import Program
from backend.reports.people import names, words
from backend.reviews.models import (
    ManagementReview,
    ReviewAttendee,
    ReviewInput,
    ReviewOutput,
    ReviewProgram,
)


@dataclass(frozen=True)
class Figure:
    label: str
    value: str


@dataclass(frozen=True)
class Input:
    kind: str  # "audit results"
    standard: str  # "ISO 9001" when only that standard asks for it
    figures: list[Figure]
    notes: str


@dataclass(frozen=True)
class Output:
    kind: str  # "decision", "improvement", ...
    title: str
    owner: str
    due: date | None
    status: str


@dataclass(frozen=True)
class ReviewFacts:
    title: str
    status: str
    standards: list[str]
    period: tuple[date, date]  # looked back on: from the period start to the day held
    held_on: date | None
    chair: str
    attendees: list[str]
    inputs: list[Input]
    outputs: list[Output]
    signed_at: datetime | None
    signed_by: str


async def review_facts(db: TenantSession, review: ManagementReview) -> ReviewFacts:
    attendees = (
        await db.scalars(
            select(ReviewAttendee)
            .where(ReviewAttendee.review_id == review.id)
            .order_by(ReviewAttendee.position)
        )
    ).all()
    outputs = (
        await db.execute(
            select(ReviewOutput.kind, Action)
            .join(Action, Action.id == ReviewOutput.action_id)
            .where(ReviewOutput.review_id == review.id)
            .order_by(ReviewOutput.position)
        )
    ).all()
    people = [row.user_id for row in attendees] + [action.owner_id for _, action in outputs]
    known = await names(db, [review.chair_id, review.signed_by_id, *people])
    return ReviewFacts(
        title=review.title,
        status=words(review.status),
        standards=await _standards(db, review.id),
        period=(review.period_start, review.held_on or review.planned_on),
        held_on=review.held_on,
        chair=known.of(review.chair_id),
        attendees=[row.external_name or known.of(row.user_id) for row in attendees],
        inputs=await _inputs(db, review.id),
        outputs=[
            Output(
                words(kind),
                action.title,
                known.of(action.owner_id),
                action.due_date,
                words(action.status),
            )
            for kind, action in outputs
        ],
        signed_at=review.signed_at,
        signed_by=known.of(review.signed_by_id),
    )


async def _standards(db: TenantSession, review_id: uuid.UUID) -> list[str]:
    rows = await db.execute(
        select(Standard.code, Standard.edition)
        .join(Program, Program.standard_id == Standard.id)
        .join(ReviewProgram, ReviewProgram.program_id == Program.id)
        .where(ReviewProgram.review_id == review_id)
        .order_by(ReviewProgram.position)
    )
    return [f"{code}:{edition}" for code, edition in rows]


async def _inputs(db: TenantSession, review_id: uuid.UUID) -> list[Input]:
    rows = await db.scalars(
        select(ReviewInput).where(ReviewInput.review_id == review_id).order_by(ReviewInput.position)
    )
    return [
        Input(
            words(row.kind),
            row.standard,
            [Figure(str(item["label"]), str(item["value"])) for item in row.figures],
            row.notes,
        )
        for row in rows
    ]
