"""A record's course as a table: in which status each step may be taken, and where it leads.

Audits and management reviews each declare their table; the rules that read it (refusing a
step with what the record awaits instead, the statuses a client may offer, whether the
record is locked) are the same for both and live here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from backend.core.errors import ErrorCode, ServiceError

StatusT = TypeVar("StatusT", bound=enum.Enum)
StepT = TypeVar("StepT", bound=enum.Enum)


@dataclass(frozen=True)
class Course(Generic[StatusT, StepT]):
    steps: Mapping[StepT, Mapping[StatusT, StatusT | None]]
    """Per step, the statuses it may be taken in and the status it leaves (None: unchanged);
    a step's value is the words an error uses for it ("sign it")."""
    awaits: Mapping[StatusT, str]
    """What a record in each status waits for: the second half of a refusal."""
    locked: frozenset[StatusT]

    def advance(self, status: StatusT, step: StepT, name: str) -> StatusT:
        """The status after `step`, or a refusal naming the record and what it awaits."""
        allowed = self.steps[step]
        if status not in allowed:
            code = ErrorCode.LOCKED if status in self.locked else ErrorCode.INVALID
            message = f"Cannot {step.value} now: {name} {self.awaits[status]}."
            raise ServiceError(code, message, ["id"])
        return allowed[status] or status

    def next_statuses(self, status: StatusT) -> list[StatusT]:
        """Where a record may go from `status`, for clients to offer only those."""
        reachable = (allowed.get(status) for allowed in self.steps.values())
        return list(dict.fromkeys(after for after in reachable if after not in (None, status)))

    def is_locked(self, status: StatusT) -> bool:
        return status in self.locked
