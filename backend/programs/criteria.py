"""Exit criteria: whether a step of a program may be completed, judged from data.

Each feature registers the criteria it owns in its own `criteria.py` (named in
backend/features.py), so new features add criteria without editing this one. A criterion
answers met or unmet with a reason a person can act on.

A check judges many programs at once, so a list of fifty programs costs what one does:

    @criterion(StepKey.TRAINING, "sessions-held", "Every planned session has been held.")
    async def sessions_held(db: TenantSession, programs: Programs) -> Verdicts:
        rows = await db.execute(_unheld(), asked(programs))
        found = {program_id: (count, named) for program_id, count, named in rows}
        return {p.id: _verdict(*found.get(p.id, (0, []))) for p in programs}

    @functools.cache
    def _unheld() -> Select[uuid.UUID, int, list[str]]:
        return (
            select(TrainingSession.program_id, func.count(), first_named(TrainingSession.topic))
            .where(among_asked(TrainingSession.program_id), <unmet>)
            .group_by(TrainingSession.program_id)
        )

One statement for all the programs, grouped or correlated by program id, and a verdict for
every program given (one the statement found no row for included). The statement is built
once and bound to the asked programs on each call; whatever else varies per call is a bind
parameter too, never a Python value baked into the cached statement. `evaluate` runs each
check once per request for every program whose steps are asked about, one check after
another on the request's session.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, String, any_, bindparam, func, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.orm import QueryableAttribute

from backend.db.base import UUID_ARRAY
from backend.db.session import TenantSession
from backend.programs.models import Program, StepKey


@dataclass(frozen=True)
class Verdict:
    met: bool
    reason: str


class CriterionResult(NamedTuple):
    """A criterion's verdict on one step of one program. A tuple: a list of fifty programs
    makes a thousand of them, and a frozen dataclass took three times as long to build."""

    key: str
    description: str
    met: bool
    reason: str


Programs = Sequence[Program]
Verdicts = Mapping[uuid.UUID, Verdict]
Check = Callable[[TenantSession, Programs], Awaitable[Verdicts]]
"""Verdicts by program id for every program given, from one SQL statement."""

NAMED = 5
"""How many items (requirements, findings, sessions) a reason names."""


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
        self._sealed: dict[StepKey, tuple[Criterion, ...]] | None = None

    def add(self, item: Criterion) -> None:
        if self._sealed is not None:
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
        self._sealed = {step: tuple(listed) for step, listed in self._steps.items()}

    def of(self, step: StepKey) -> tuple[Criterion, ...]:
        if self._sealed is None:
            raise CriteriaNotLoadedError(
                "exit criteria are not loaded: import backend.features before judging steps"
            )
        return self._sealed[step]


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


def ids_of(programs: Programs) -> list[uuid.UUID]:
    return [program.id for program in programs]


ASKED = "asked_program_ids"


def among_asked(
    program_id: ColumnElement[uuid.UUID] | QueryableAttribute[uuid.UUID],
) -> ColumnElement[bool]:
    """`program_id` is one of the asked programs', bound at execution with `asked(programs)`.

    A criterion's statement can then be built once (`functools.cache`) instead of on every
    call: building a statement of a subquery or two costs about half a millisecond of
    Python, and a dashboard asks some twenty criteria. The ids travel as one array, so the
    SQL text stays the same however many programs are asked.
    """
    return program_id == any_(bindparam(ASKED, type_=UUID_ARRAY))


def asked(programs: Programs) -> dict[str, list[uuid.UUID]]:
    """The parameters of a statement built with `among_asked`."""
    return {ASKED: ids_of(programs)}


Facts = TypeVar("Facts")
_FACTS_READ: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("facts_read", default=None)


def shared_facts(
    read: Callable[[TenantSession, Programs], Awaitable[Facts]],
) -> Callable[[TenantSession, Programs], Awaitable[Facts]]:
    """`read` gives facts that several criteria judge (step 7's four stage criteria judge one
    statement's stage facts): within one `evaluate` it runs once for the same programs, and
    the criteria after the first reuse its answer. Outside `evaluate` it simply runs.

    Safe because `evaluate` only reads: nothing it runs changes what a fact says.
    """

    @functools.wraps(read)
    async def once(db: TenantSession, programs: Programs) -> Facts:
        read_before = _FACTS_READ.get()
        if read_before is None:
            return await read(db, programs)
        key = (read, *ids_of(programs))
        if key not in read_before:
            read_before[key] = await read(db, programs)
        facts: Facts = read_before[key]
        return facts

    return once


def first_named(
    value: Any, *order: Any, where: ColumnElement[bool] | None = None
) -> ColumnElement[list[str]]:
    """An aggregate: the first NAMED values of a group's rows (those meeting `where`), in
    `order` (`value`'s own order when none is given)."""
    aggregate = func.array_agg(aggregate_order_by(value, *(order or (value,))))
    values: ColumnElement[Any] = aggregate if where is None else aggregate.filter(where)
    return type_coerce(values, ARRAY(String))[1:NAMED]


def listed(count: int, named: Sequence[str]) -> str:
    """'4.1, 4.2 and 3 more': the named items, and how many more there are."""
    more = f" and {count - len(named)} more" if count > len(named) else ""
    return f"{', '.join(named)}{more}"


async def evaluate(
    db: TenantSession, asked: Sequence[tuple[Program, StepKey]]
) -> list[list[CriterionResult]]:
    """The criteria of each (program, step) asked, in order: every check runs once, for all
    the programs whose asked steps it judges."""
    programs: dict[Check, dict[uuid.UUID, Program]] = {}
    for program, step in asked:
        for item in criteria_of(step):
            programs.setdefault(item.check, {})[program.id] = program
    reading = _FACTS_READ.set({})
    try:
        verdicts = {check: await check(db, list(of.values())) for check, of in programs.items()}
    finally:
        _FACTS_READ.reset(reading)
    return [
        [_result(item, verdicts[item.check][program.id]) for item in criteria_of(step)]
        for program, step in asked
    ]


def _result(item: Criterion, verdict: Verdict) -> CriterionResult:
    return CriterionResult(item.key, item.description, verdict.met, verdict.reason)


async def evaluate_programs(
    db: TenantSession, programs: Sequence[Program]
) -> list[dict[StepKey, list[CriterionResult]]]:
    """The criteria of every step of each program, by step: one DataLoader key per program
    for a list of programs, rather than one per step."""
    judged = iter(await evaluate(db, [(program, step) for program in programs for step in StepKey]))
    return [{step: next(judged) for step in StepKey} for _ in programs]


async def evaluate_step(
    db: TenantSession, program: Program, step: StepKey
) -> list[CriterionResult]:
    """The criteria of one step of one program."""
    (results,) = await evaluate(db, [(program, step)])
    return results
