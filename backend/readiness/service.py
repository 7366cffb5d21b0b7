"""Readiness of programs: computed live from their facts, kept as snapshots for history.

The live score is always honest (it reads today's facts); snapshots record what the score was
when it was computed, for the history and the forecast. `recompute` is what the job worker and
`certready readiness recompute` call, under the system scope of one tenant; it costs the same
statements for one program as for many.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import delete, func, select

from backend.core.access import Actor, Permission, require_writer
from backend.core.errors import invalid
from backend.core.forecast import RECENT, Forecast, Point, forecast
from backend.core.metrics import READINESS_SECONDS
from backend.db.session import TenantSession
from backend.programs.models import ENDED_STATUSES, Program
from backend.programs.service import readable_program
from backend.readiness.facts import load_facts
from backend.readiness.models import ReadinessSnapshot, ReadinessWeights
from backend.readiness.score import Readiness, score
from backend.readiness.weights import parse_weights

SNAPSHOT_BLOCKERS = 20  # blockers a snapshot keeps
MAX_HISTORY_DAYS = 3 * 366
RECOMPUTE_BATCH = 500  # programs scored per batch of statements
MAX_OVERVIEW = 200
MAX_HISTORY = 366  # snapshots a history returns (a year of nightly ones): the latest of the span


@dataclass(frozen=True)
class Assessed:
    """A program's readiness now, with the forecast from its snapshots and this score."""

    program: Program
    readiness: Readiness
    forecast: Forecast
    computed_at: datetime


async def assess(db: TenantSession, program_ids: Sequence[uuid.UUID]) -> list[Assessed]:
    """Live readiness of the readable programs among `program_ids`: nine statements, however
    many programs (eight for the facts, one for their recent snapshots)."""
    loaded = await load_facts(db, program_ids)
    now = datetime.now(UTC)
    recent = await _recent_points(db, [item.program.id for item in loaded])
    assessed = []
    for item in loaded:
        result = score(item.facts, item.weights)
        points = [*recent[item.program.id], Point(now, result.score)]
        assessed.append(Assessed(item.program, result, forecast(points), now))
    return assessed


async def overview(db: TenantSession, first: int = 50) -> list[Assessed]:
    """Every active program the caller reads (a consultant's or auditor's portfolio), oldest
    first, at most `first` of them."""
    if not 1 <= first <= MAX_OVERVIEW:
        raise invalid(f"first must be from 1 to {MAX_OVERVIEW}.", ["first"])
    return await assess(db, await active_program_ids(db, first))


async def active_program_ids(db: TenantSession, limit: int | None = None) -> list[uuid.UUID]:
    """The programs the scope reads that are not withdrawn or expired, oldest first."""
    ids = await db.scalars(
        select(Program.id)
        .where(Program.status.not_in([status.value for status in ENDED_STATUSES]))
        .order_by(Program.created_at, Program.id)
        .limit(limit)
    )
    return list(ids)


async def recompute(
    db: TenantSession, program_ids: Sequence[uuid.UUID], computed_at: datetime | None = None
) -> list[ReadinessSnapshot]:
    """Score the programs and store one snapshot each (in the caller's transaction). The
    demo's replay passes `computed_at` to date the snapshots of its past steps; otherwise
    the database's clock dates them."""
    with READINESS_SECONDS.time():
        loaded = await load_facts(db, program_ids)
        snapshots = [
            _snapshot(item.program, score(item.facts, item.weights), computed_at) for item in loaded
        ]
        db.add_all(snapshots)
        await db.flush()
    return snapshots


async def recompute_active(db: TenantSession) -> int:
    """Snapshots of every active program the scope reads (a job's or an admin's tenant), in
    batches of RECOMPUTE_BATCH programs per set of statements; how many were stored."""
    ids = await active_program_ids(db)
    for start in range(0, len(ids), RECOMPUTE_BATCH):
        await recompute(db, ids[start : start + RECOMPUTE_BATCH])
    return len(ids)


def _snapshot(program: Program, result: Readiness, at: datetime | None) -> ReadinessSnapshot:
    snapshot = ReadinessSnapshot(
        tenant_id=program.tenant_id,
        program_id=program.id,
        score=result.score,
        level=result.level.value,
        breakdown=breakdown(result),
    )
    if at is not None:
        snapshot.computed_at = at
    return snapshot


def breakdown(result: Readiness) -> dict[str, Any]:
    """What a snapshot keeps of a score besides its number and level, as JSON."""
    return {
        "components": [
            {**asdict(item), "component": item.component.value} for item in result.components
        ],
        "groups": [asdict(group) for group in result.groups],
        "blockers": [
            {**asdict(blocker), "object_id": str(blocker.object_id)}
            for blocker in result.blockers[:SNAPSHOT_BLOCKERS]
        ],
    }


async def set_weights(
    db: TenantSession, actor: Actor, program_id: uuid.UUID, weights: Mapping[str, float]
) -> Program:
    """The organization's own weights for the standard of a program (every program of that
    standard uses them); no weights at all returns the standard to its defaults. Those who
    manage the organization decide, in the tenant they act in."""
    program = await readable_program(db, program_id)
    require_writer(db, actor, program.tenant_id, "Program", Permission.MANAGE_ORGANIZATION)
    parsed = parse_weights(weights)
    if parsed and not any(parsed.values()):
        raise invalid("At least one weight must be above 0.", ["weights"])
    await db.execute(
        delete(ReadinessWeights).where(
            ReadinessWeights.tenant_id == program.tenant_id,
            ReadinessWeights.standard_id == program.standard_id,
        )
    )
    if parsed:
        stored = {component.value: value for component, value in parsed.items()}
        db.add(
            ReadinessWeights(
                tenant_id=program.tenant_id, standard_id=program.standard_id, weights=stored
            )
        )
    await db.commit()
    return program


async def history(
    db: TenantSession, program_id: uuid.UUID, since: date, until: date
) -> list[ReadinessSnapshot]:
    """The program's snapshots from `since` to `until` (whole days, UTC), oldest first; the
    latest MAX_HISTORY of them when there are more."""
    if since > until:
        raise invalid("from must not be after to.", ["from"])
    if (until - since).days > MAX_HISTORY_DAYS:
        raise invalid(f"A history spans at most {MAX_HISTORY_DAYS} days.", ["to"])
    start = datetime.combine(since, time.min, UTC)
    end = datetime.combine(until, time.max, UTC)
    rows = await db.scalars(
        select(ReadinessSnapshot)
        .where(
            ReadinessSnapshot.program_id == program_id,
            ReadinessSnapshot.computed_at >= start,
            ReadinessSnapshot.computed_at <= end,
        )
        .order_by(ReadinessSnapshot.computed_at.desc(), ReadinessSnapshot.id.desc())
        .limit(MAX_HISTORY)
    )
    return list(reversed(list(rows)))


async def _recent_points(
    db: TenantSession, program_ids: list[uuid.UUID]
) -> defaultdict[uuid.UUID, list[Point]]:
    """The last RECENT snapshots of each program, in one statement."""
    found: defaultdict[uuid.UUID, list[Point]] = defaultdict(list)
    if not program_ids:
        return found
    rank = (
        func.row_number()
        .over(
            partition_by=ReadinessSnapshot.program_id,
            order_by=ReadinessSnapshot.computed_at.desc(),
        )
        .label("rank")
    )
    ranked = (
        select(
            ReadinessSnapshot.program_id,
            ReadinessSnapshot.computed_at,
            ReadinessSnapshot.score,
            rank,
        )
        .where(ReadinessSnapshot.program_id.in_(program_ids))
        .subquery()
    )
    rows = await db.execute(
        select(ranked.c.program_id, ranked.c.computed_at, ranked.c.score).where(
            ranked.c.rank < RECENT
        )
    )
    for program_id, at, value in rows:
        found[program_id].append(Point(at, value))
    return found
