"""Exit criteria: whether a step of a program may be completed, judged from data.

Each feature registers the criteria it owns (`@criterion(StepKey.TRAINING, "...")` in its
own module), so new features add criteria without editing this one. A criterion answers
met or unmet with a reason a person can act on. Every criterion costs a bounded number of
statements, whatever the size of the program.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from backend.db.session import TenantSession
from backend.programs.models import Program, StepKey


@dataclass(frozen=True)
class Verdict:
    met: bool
    reason: str


@dataclass(frozen=True)
class CriterionResult:
    key: str
    description: str
    met: bool
    reason: str


Check = Callable[[TenantSession, Program], Awaitable[Verdict]]


@dataclass(frozen=True)
class Criterion:
    step: StepKey
    key: str
    description: str
    check: Check


_REGISTRY: dict[StepKey, list[Criterion]] = {key: [] for key in StepKey}
MAX_CRITERIA = 12
"""Exit criteria per step; the GraphQL cost limit counts a step's criteria at this many."""


def criterion(step: StepKey, key: str, description: str) -> Callable[[Check], Check]:
    """Register `check` as an exit criterion of `step`; keys are unique per step."""

    def register(check: Check) -> Check:
        if any(existing.key == key for existing in _REGISTRY[step]):
            raise ValueError(f"criterion {key!r} is already registered for {step.value}")
        if len(_REGISTRY[step]) == MAX_CRITERIA:
            raise ValueError(f"{step.value} already has {MAX_CRITERIA} exit criteria")
        _REGISTRY[step].append(Criterion(step, key, description, check))
        return check

    return register


def criteria_of(step: StepKey) -> tuple[Criterion, ...]:
    return tuple(_REGISTRY[step])


async def evaluate(db: TenantSession, program: Program, step: StepKey) -> list[CriterionResult]:
    results = []
    for item in _REGISTRY[step]:
        verdict = await item.check(db, program)
        results.append(CriterionResult(item.key, item.description, verdict.met, verdict.reason))
    return results
