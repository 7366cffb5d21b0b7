"""The order in which a finding is answered, as a table: which stage each step may follow.

A nonconformity is contained (correction), understood (root cause), acted on (corrective
actions with owners and due dates), implemented, and then reviewed for effectiveness; only an
effective review lets it close, and a "not effective" one sends it back for a new action.
Observations and opportunities for improvement take none of that: they close with a note.
A step asked for at the wrong time is refused with what the finding awaits instead.
"""

from __future__ import annotations

import enum

from backend.core.errors import ServiceError, invalid
from backend.findings.models import Finding, FindingStatus, FindingType

Status = FindingStatus


class Step(enum.Enum):
    """A step of the answer, with the words an error uses for it."""

    CORRECTION = "record a correction"
    ROOT_CAUSE = "record a root cause"
    CORRECTIVE_ACTION = "add a corrective action"
    IMPLEMENTATION = "record the implementation"
    EFFECTIVENESS_REVIEW = "review effectiveness"
    CLOSE = "close it"


# Where each step of a nonconformity may be taken, and the status it leaves (None: unchanged).
NONCONFORMITY_STEPS: dict[Step, dict[Status, Status | None]] = {
    Step.CORRECTION: {Status.OPEN: Status.CORRECTED, Status.CORRECTED: None},
    Step.ROOT_CAUSE: {
        Status.CORRECTED: Status.ANALYSED,
        Status.ANALYSED: None,
        Status.REOPENED: None,
    },
    Step.CORRECTIVE_ACTION: {
        Status.ANALYSED: Status.ACTION_PLANNED,
        Status.ACTION_PLANNED: None,
        Status.REOPENED: Status.ACTION_PLANNED,
    },
    Step.IMPLEMENTATION: {Status.ACTION_PLANNED: Status.IMPLEMENTED},
    # The verdict decides: VERIFIED or REOPENED.
    Step.EFFECTIVENESS_REVIEW: {Status.IMPLEMENTED: None},
    Step.CLOSE: {Status.VERIFIED: Status.CLOSED},
}

# What a nonconformity in each status waits for: the error's second half.
AWAITS = {
    Status.OPEN: "has no correction yet: record its correction (containment) first",
    Status.CORRECTED: "has no root cause yet: record its root cause first",
    Status.ANALYSED: "has no corrective action yet: add one with an owner and a due date",
    Status.ACTION_PLANNED: "awaits its corrective actions: record their implementation when"
    " they are done",
    Status.IMPLEMENTED: "awaits the review of its corrective actions' effectiveness",
    Status.REOPENED: "was found not effective: add a new corrective action",
    Status.VERIFIED: "is verified effective: close it",
    Status.CLOSED: "is closed",
}


def is_nonconformity(finding: Finding) -> bool:
    return FindingType(finding.type).is_nonconformity


def advance(finding: Finding, step: Step) -> Status:
    """The status `finding` has after `step`, or a refusal saying what it awaits instead."""
    status = Status(finding.status)
    if not is_nonconformity(finding):
        return _other_finding(finding, step, status)
    allowed = NONCONFORMITY_STEPS[step]
    if status not in allowed:
        raise out_of_order(finding, step, AWAITS[status])
    return allowed[status] or status


def _other_finding(finding: Finding, step: Step, status: Status) -> Status:
    if step is not Step.CLOSE:
        raise out_of_order(
            finding,
            step,
            "is not a nonconformity: it takes no corrective action; close it with a note",
        )
    if status is Status.CLOSED:
        raise out_of_order(finding, step, AWAITS[status])
    return Status.CLOSED


def out_of_order(finding: Finding, step: Step, awaits: str) -> ServiceError:
    return invalid(f"Cannot {step.value} now: {finding.reference} {awaits}.", ["findingId"])
