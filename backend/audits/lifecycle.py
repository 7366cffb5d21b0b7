"""An audit's course, as a table: which step may follow which status.

Planned, then fieldwork (in progress), then reporting, then closed when the lead auditor
signs. Any audit not yet closed may be cancelled. Closed and cancelled audits are locked:
nothing of them changes again (the findings they raised keep moving in the findings area).
"""

from __future__ import annotations

import enum

from backend.audits.models import Audit, AuditStatus
from backend.core.course import Course

Status = AuditStatus
LOCKED = frozenset({Status.CLOSED, Status.CANCELLED})


class Step(enum.Enum):
    """A step of the audit, with the words an error uses for it."""

    EDIT = "edit it"
    START = "start it"
    RECORD = "record checklist results"
    REPORT = "finish its fieldwork"
    SIGN = "sign it"
    CANCEL = "cancel it"


# Where each step may be taken, and the status it leaves (None: unchanged).
STEPS: dict[Step, dict[Status, Status | None]] = {
    Step.EDIT: {Status.PLANNED: None, Status.IN_PROGRESS: None, Status.REPORTING: None},
    Step.START: {Status.PLANNED: Status.IN_PROGRESS},
    Step.RECORD: {Status.IN_PROGRESS: None, Status.REPORTING: None},
    Step.REPORT: {Status.IN_PROGRESS: Status.REPORTING},
    Step.SIGN: {Status.REPORTING: Status.CLOSED},
    Step.CANCEL: {
        Status.PLANNED: Status.CANCELLED,
        Status.IN_PROGRESS: Status.CANCELLED,
        Status.REPORTING: Status.CANCELLED,
    },
}

# What an audit in each status waits for: the error's second half.
AWAITS = {
    Status.PLANNED: "is planned: start it first",
    Status.IN_PROGRESS: "is in fieldwork: record its checklist, then finish the fieldwork",
    Status.REPORTING: "is being reported: the lead auditor signs it with a conclusion",
    Status.CLOSED: "is signed and locked",
    Status.CANCELLED: "is cancelled and locked",
}


COURSE = Course(STEPS, AWAITS, LOCKED)


def advance(audit: Audit, step: Step) -> Status:
    """The status `audit` has after `step`, or a refusal saying what it awaits instead."""
    return COURSE.advance(Status(audit.status), step, audit.reference)


def next_statuses(audit: Audit) -> list[Status]:
    return COURSE.next_statuses(Status(audit.status))


def is_locked(audit: Audit) -> bool:
    return COURSE.is_locked(Status(audit.status))
