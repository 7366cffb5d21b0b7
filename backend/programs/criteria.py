"""Exit criteria: whether a step of a program may be completed, judged from data.

Each feature registers the criteria it owns (`@criterion(StepKey.TRAINING, "...")` in its
own module, named in backend/features.py), so new features add criteria without editing
this one. A criterion answers
met or unmet with a reason a person can act on. Every criterion costs a bounded number of
statements, whatever the size of the program.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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


MAX_CRITERIA = 12
"""Exit criteria per step; the GraphQL cost limit counts a step's criteria at this many."""


class CriteriaNotLoadedError(RuntimeError):
    """Criteria were asked for before the feature registry loaded them."""


class Registry:
    """The criteria of every step. Features register theirs as their modules are imported;
    the feature registry then seals it, fixing the order, and only a sealed registry
    answers, so no step is judged on a partial list."""

    def __init__(self) -> None:
        self._steps: dict[StepKey, list[Criterion]] = {key: [] for key in StepKey}
        self._sealed = False

    def add(self, item: Criterion) -> None:
        if self._sealed:
            raise ValueError(f"criterion {item.key!r} arrived after the registry was sealed")
        listed = self._steps[item.step]
        if any(existing.key == item.key for existing in listed):
            raise ValueError(f"criterion {item.key!r} is already registered for {item.step.value}")
        if len(listed) == MAX_CRITERIA:
            raise ValueError(f"{item.step.value} already has {MAX_CRITERIA} exit criteria")
        listed.append(item)

    def seal(self, modules: Sequence[str]) -> None:
        """Order each step's criteria as `modules` (the features' order) and start answering.
        A criterion from a module the registry does not name would judge steps unseen."""
        rank = {module: position for position, module in enumerate(modules)}
        for step, listed in self._steps.items():
            strays = sorted({item.check.__module__ for item in listed} - rank.keys())
            if strays:
                raise ValueError(f"{step.value} has criteria from unregistered {strays}")
            listed.sort(key=lambda item: rank[item.check.__module__])
        self._sealed = True

    def of(self, step: StepKey) -> tuple[Criterion, ...]:
        if not self._sealed:
            raise CriteriaNotLoadedError(
                "exit criteria are not loaded: import backend.features before judging steps"
            )
        return tuple(self._steps[step])


_REGISTRY = Registry()


def criterion(step: StepKey, key: str, description: str) -> Callable[[Check], Check]:
    """Register `check` as an exit criterion of `step`; keys are unique per step."""

    def register(check: Check) -> Check:
        _REGISTRY.add(Criterion(step, key, description, check))
        return check

    return register


def seal(modules: Sequence[str]) -> None:
    _REGISTRY.seal(modules)


def criteria_of(step: StepKey) -> tuple[Criterion, ...]:
    return _REGISTRY.of(step)


async def evaluate(db: TenantSession, program: Program, step: StepKey) -> list[CriterionResult]:
    results = []
    for item in criteria_of(step):
        verdict = await item.check(db, program)
        results.append(CriterionResult(item.key, item.description, verdict.met, verdict.reason))
    return results
