"""A management review's course, as a table: which step may follow which status.

Planned (the inputs may be assembled again and again), then held (attendees and inputs
frozen: the meeting took place with what it saw; notes and outputs are still recorded),
then signed by the chair, which locks it. The actions it decided keep moving in planning.
"""

from __future__ import annotations

import enum

from backend.core.course import Course
from backend.reviews.models import ManagementReview, ReviewStatus

Status = ReviewStatus
LOCKED = frozenset({Status.SIGNED})


class Step(enum.Enum):
    """A step of the review, with the words an error uses for it."""

    EDIT = "change its plan"
    PREPARE = "assemble its inputs"
    HOLD = "hold it"
    NOTE = "record notes on its inputs"
    OUTPUT = "add outputs"
    SIGN = "sign it"


# Where each step may be taken, and the status it leaves (None: unchanged).
STEPS: dict[Step, dict[Status, Status | None]] = {
    Step.EDIT: {Status.PLANNED: None},
    Step.PREPARE: {Status.PLANNED: None},
    Step.HOLD: {Status.PLANNED: Status.HELD},
    Step.NOTE: {Status.PLANNED: None, Status.HELD: None},
    Step.OUTPUT: {Status.HELD: None},
    Step.SIGN: {Status.HELD: Status.SIGNED},
}

# What a review in each status waits for: the error's second half.
AWAITS = {
    Status.PLANNED: "is planned: hold it first",
    Status.HELD: "was held: its attendees and inputs are frozen; the chair signs it",
    Status.SIGNED: "is signed and locked",
}


COURSE = Course(STEPS, AWAITS, LOCKED)


def advance(review: ManagementReview, step: Step) -> Status:
    """The status `review` has after `step`, or a refusal saying what it awaits instead."""
    return COURSE.advance(Status(review.status), step, review.title)


def next_statuses(review: ManagementReview) -> list[Status]:
    return COURSE.next_statuses(Status(review.status))


def is_locked(review: ManagementReview) -> bool:
    return COURSE.is_locked(Status(review.status))
