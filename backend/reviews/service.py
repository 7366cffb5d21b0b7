"""Management reviews: planning, assembling inputs, holding, notes, outputs, signing.

Every change is one transaction in the acting tenant. Owners, admins, consultants and
managers run reviews (`RUN_REVIEWS`); viewers and certification-body auditors only read.
A review moves as `lifecycle` allows. Holding it assembles its inputs one last time and
freezes them with its attendees; signing (by the chair only) locks it, and every further
change is refused with LOCKED. Its outputs are planning actions: they keep moving there.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select

from backend.catalog.models import Standard
from backend.core.access import Actor, Permission, for_change, readable, require, require_acting_in
from backend.core.calendar import today_sql
from backend.core.changes import KEEP, Change
from backend.core.errors import ServiceError, forbidden, invalid
from backend.core.validation import TEXT_LIMIT, TITLE_LIMIT, choice, require_given, text_field
from backend.db.session import TenantSession
from backend.planning.models import Action, ActionStatus
from backend.programs.models import Program
from backend.programs.service import owner_member, writable_program
from backend.reviews import inputs
from backend.reviews.lifecycle import Step, advance
from backend.reviews.models import (
    ManagementReview,
    OutputKind,
    ReviewAttendee,
    ReviewInput,
    ReviewOutput,
    ReviewProgram,
    ReviewStatus,
)

MAX_PROGRAMS = 10  # programs one review serves: one per standard is the most a tenant runs
MAX_ATTENDEES = 30
MAX_OUTPUTS = 100  # actions one review decides; more is a sign the review is a plan
DEFAULT_PERIOD = timedelta(days=365)  # looked back on when no period start is given


@dataclass(frozen=True)
class Attendee:
    """A member of the organization (`user_id`) or a person named (`name`)."""

    user_id: uuid.UUID | None = None
    name: str = ""


@dataclass(frozen=True)
class ReviewFields:
    """A review's plan; KEEP leaves the stored value."""

    title: Change[str] = KEEP
    planned_on: Change[date] = KEEP
    period_start: Change[date | None] = KEEP  # None: a year before the planned day
    chair_id: Change[uuid.UUID] = KEEP
    program_ids: Change[Sequence[uuid.UUID]] = KEEP  # replaces the programs served
    attendees: Change[Sequence[Attendee]] = KEEP  # replaces the attendees


@dataclass(frozen=True)
class NewOutput:
    kind: str
    title: str
    owner_id: uuid.UUID
    due_date: date
    description: str = ""
    program_id: uuid.UUID | None = None  # of the review; its first program when None


# --- the plan --------------------------------------------------------------------------------


async def plan_review(db: TenantSession, actor: Actor, values: ReviewFields) -> ManagementReview:
    """A management review of the acting tenant serving one or more of its programs."""
    require_given(values, "title", "planned_on", "chair_id", "program_ids")
    require_acting_in(db, actor, actor.tenant_id, "Organization")
    require(actor, Permission.RUN_REVIEWS)
    review = ManagementReview(tenant_id=actor.tenant_id, status=ReviewStatus.PLANNED.value)
    db.add(review)
    if values.period_start is KEEP:  # a new review looks back a year unless told otherwise
        values = replace(values, period_start=None)
    await _write(db, actor, review, values)
    return await _save(db, review)


async def update_review(
    db: TenantSession, actor: Actor, review_id: uuid.UUID, values: ReviewFields
) -> ManagementReview:
    """Change the plan of a review not yet held."""
    review = await _for_change(db, actor, review_id)
    advance(review, Step.EDIT)
    await _write(db, actor, review, values)
    return await _save(db, review)


async def _write(
    db: TenantSession, actor: Actor, review: ManagementReview, values: ReviewFields
) -> None:
    if values.title is not KEEP:
        review.title = text_field(values.title, "title", TITLE_LIMIT)
    if values.planned_on is not KEEP:
        review.planned_on = values.planned_on
    if values.period_start is not KEEP:
        review.period_start = values.period_start or review.planned_on - DEFAULT_PERIOD
    if review.period_start > review.planned_on:
        raise invalid("The period reviewed cannot start after the review.", ["periodStart"])
    if values.chair_id is not KEEP:
        review.chair_id = await _member(db, review, values.chair_id, ["chairId"], "The chair")
    await db.flush()
    await _replace_programs(db, actor, review, values.program_ids)
    await _replace_attendees(db, review, values.attendees)


async def _member(
    db: TenantSession, review: ManagementReview, user_id: uuid.UUID, field: list[str], who: str
) -> uuid.UUID:
    """`user_id`, a member of the review's organization; the refusal says who must be one."""
    try:
        await owner_member(db, review.tenant_id, user_id, field[0])
    except ServiceError as error:
        raise invalid(f"{who} must be a member of the organization.", field) from error
    return user_id


async def _replace_programs(
    db: TenantSession,
    actor: Actor,
    review: ManagementReview,
    program_ids: Change[Sequence[uuid.UUID]],
) -> None:
    if program_ids is KEEP:
        return
    if not 1 <= len(program_ids) <= MAX_PROGRAMS:
        raise invalid(f"Name 1 to {MAX_PROGRAMS} programs.", ["programIds"])
    if len(set(program_ids)) != len(program_ids):
        raise invalid("Name each program once.", ["programIds"])
    for program_id in program_ids:
        await writable_program(db, actor, program_id)
    await db.execute(delete(ReviewProgram).where(ReviewProgram.review_id == review.id))
    db.add_all(
        ReviewProgram(
            tenant_id=review.tenant_id, review_id=review.id, program_id=program_id, position=n
        )
        for n, program_id in enumerate(program_ids)
    )
    await db.flush()


async def _replace_attendees(
    db: TenantSession, review: ManagementReview, attendees: Change[Sequence[Attendee]]
) -> None:
    if attendees is KEEP:
        return
    if len(attendees) > MAX_ATTENDEES:
        raise invalid(f"A review has at most {MAX_ATTENDEES} attendees.", ["attendees"])
    rows = [await _attendee(db, review, n, each) for n, each in enumerate(attendees)]
    await db.execute(delete(ReviewAttendee).where(ReviewAttendee.review_id == review.id))
    db.add_all(rows)
    await db.flush()


async def _attendee(
    db: TenantSession, review: ManagementReview, position: int, attendee: Attendee
) -> ReviewAttendee:
    field = ["attendees", str(position)]
    name = attendee.name.strip()
    if (attendee.user_id is None) == (not name):
        raise invalid("Name a member of the organization or an outside person, not both.", field)
    if len(name) > TITLE_LIMIT:
        raise invalid(f"A name has at most {TITLE_LIMIT} characters.", field)
    user_id = (
        await _member(db, review, attendee.user_id, field, "An attendee named by id")
        if attendee.user_id
        else None
    )
    return ReviewAttendee(
        tenant_id=review.tenant_id,
        review_id=review.id,
        user_id=user_id,
        external_name="" if user_id else name,
        position=position,
    )


# --- inputs ----------------------------------------------------------------------------------


async def prepare_review(db: TenantSession, actor: Actor, review_id: uuid.UUID) -> ManagementReview:
    """Assemble the inputs from today's data; notes already written stay with their input."""
    review = await _for_change(db, actor, review_id)
    advance(review, Step.PREPARE)
    await _assemble(db, review, await _today(db, review))
    return await _save(db, review)


async def hold_review(
    db: TenantSession, actor: Actor, review_id: uuid.UUID, held_on: date | None = None
) -> ManagementReview:
    """The review took place: its inputs are assembled a last time, as of the day it was
    held, and frozen with its attendees."""
    review = await _for_change(db, actor, review_id)
    status = advance(review, Step.HOLD)
    today = await _today(db, review)
    day = held_on or today
    if day > today:
        raise invalid("A review is held on a day that has come.", ["heldOn"])
    if day < review.period_start:
        raise invalid("A review is held after the start of the period it reviews.", ["heldOn"])
    await _assemble(db, review, day)
    review.held_on = day
    review.status = status.value
    return await _save(db, review)


async def _assemble(db: TenantSession, review: ManagementReview, until: date) -> None:
    """Write every input the review's programs ask for, as of `until`; an input no longer
    asked for (a program left the review) goes."""
    scope = (
        await db.execute(
            select(ReviewProgram.program_id, Standard.code)
            .join(Program, Program.id == ReviewProgram.program_id)
            .join(Standard, Standard.id == Program.standard_id)
            .where(ReviewProgram.review_id == review.id)
            .order_by(ReviewProgram.position)
        )
    ).all()
    window = inputs.Window(review.id, [row[0] for row in scope], review.period_start, until)
    existing = {
        row.kind: row
        for row in await db.scalars(select(ReviewInput).where(ReviewInput.review_id == review.id))
    }
    kept = set()
    for position, wanted in enumerate(inputs.wanted([row[1] for row in scope])):
        row = existing.get(wanted.kind.value) or ReviewInput(
            tenant_id=review.tenant_id, review_id=review.id, kind=wanted.kind.value, notes=""
        )
        assembler = inputs.ASSEMBLERS.get(wanted.kind)
        assembled = await assembler(db, window) if assembler else inputs.Assembled()
        row.position, row.standard = position, wanted.standard
        row.figures, row.links = assembled.figures, assembled.links
        db.add(row)
        kept.add(wanted.kind.value)
    for kind, row in existing.items():
        if kind not in kept:
            await db.delete(row)
    review.prepared_at = datetime.now(UTC)


async def record_input(
    db: TenantSession, actor: Actor, input_id: uuid.UUID, notes: str
) -> ReviewInput:
    """What was said about one input, until the review is signed."""
    row = await readable(db, ReviewInput, input_id, "Review input", "inputId")
    review = await _for_change(db, actor, row.review_id)
    advance(review, Step.NOTE)
    row = await for_change(
        db, actor, ReviewInput, input_id, permission=Permission.RUN_REVIEWS, what="Review input"
    )
    row.notes = text_field(notes, "notes", TEXT_LIMIT, blank=True)
    await db.commit()
    await db.refresh(row)
    return row


# --- outputs and signature -------------------------------------------------------------------


async def add_output(
    db: TenantSession, actor: Actor, review_id: uuid.UUID, values: NewOutput
) -> tuple[ManagementReview, Action]:
    """A decision of a held review, as a planning action with an owner and a due date."""
    review = await _for_change(db, actor, review_id)
    advance(review, Step.OUTPUT)
    kind = choice(OutputKind, values.kind, "kind")
    program_id = await _program_of_output(db, review, values.program_id)
    count = await db.scalar(select(func.count()).where(ReviewOutput.review_id == review.id))
    if (count or 0) >= MAX_OUTPUTS:
        raise invalid(f"{review.title} has {MAX_OUTPUTS} outputs already.", ["reviewId"])
    action = Action(
        tenant_id=review.tenant_id,
        program_id=program_id,
        title=text_field(values.title, "title"),
        description=text_field(values.description, "description", TEXT_LIMIT, blank=True),
        owner_id=await _member(db, review, values.owner_id, ["ownerId"], "The owner"),
        due_date=values.due_date,
        status=ActionStatus.OPEN.value,
    )
    db.add(action)
    await db.flush()
    db.add(
        ReviewOutput(
            tenant_id=review.tenant_id,
            review_id=review.id,
            kind=kind.value,
            action_id=action.id,
            position=count or 0,
        )
    )
    await db.commit()
    await db.refresh(action)
    await db.refresh(review)
    return review, action


async def _program_of_output(
    db: TenantSession, review: ManagementReview, program_id: uuid.UUID | None
) -> uuid.UUID:
    served = list(
        await db.scalars(
            select(ReviewProgram.program_id)
            .where(ReviewProgram.review_id == review.id)
            .order_by(ReviewProgram.position)
        )
    )
    if program_id is None:
        return served[0]
    if program_id not in served:
        raise invalid("The review does not serve this program.", ["programId"])
    return program_id


async def sign_review(db: TenantSession, actor: Actor, review_id: uuid.UUID) -> ManagementReview:
    """The chair signs the held review: it is locked; its actions keep moving."""
    review = await _for_change(db, actor, review_id)
    status = advance(review, Step.SIGN)
    if actor.user_id != review.chair_id:
        raise forbidden(f"Only the chair of {review.title} may sign it.")
    review.status = status.value
    review.signed_at = datetime.now(UTC)
    review.signed_by_id = actor.user_id
    return await _save(db, review)


# --- shared ----------------------------------------------------------------------------------


async def _for_change(db: TenantSession, actor: Actor, review_id: uuid.UUID) -> ManagementReview:
    return await for_change(
        db,
        actor,
        ManagementReview,
        review_id,
        permission=Permission.RUN_REVIEWS,
        what="Management review",
    )


async def _today(db: TenantSession, review: ManagementReview) -> date:
    today: date = (await db.execute(select(today_sql(review.tenant_id)))).scalar_one()
    return today


async def _save(db: TenantSession, review: ManagementReview) -> ManagementReview:
    db.add(review)
    await db.commit()
    await db.refresh(review)
    return review
