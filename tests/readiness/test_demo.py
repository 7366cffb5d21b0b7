"""The demo a newcomer sees after `make run`: Acme part-way through two programs."""

from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import ACME, seed_demo
from backend.demo_history import PHASES
from backend.readiness.service import active_program_ids, assess
from backend.runtime import Runtime

STEPS = """
SELECT s.code, st.key, st.status FROM program_steps st
JOIN programs p ON p.id = st.program_id JOIN standards s ON s.id = p.standard_id
WHERE st.status <> 'not_started' ORDER BY s.code, st.number
"""
COUNTS = """
SELECT s.code,
       count(*) FILTER (WHERE a.status <> 'not_assessed'),
       count(*) FILTER (WHERE a.status = 'not_applicable')
FROM assessments a JOIN programs p ON p.id = a.program_id JOIN standards s ON s.id = p.standard_id
GROUP BY s.code ORDER BY s.code
"""


async def test_demo_shows_two_programs_part_way(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    await seed_demo(runtime)  # seeding again changes nothing
    async with owner_engine.connect() as connection:
        steps = (await connection.execute(text(STEPS))).all()
        counts = (await connection.execute(text(COUNTS))).all()
        programs = await connection.scalar(text("SELECT count(*) FROM programs"))
    assert programs == 3  # Acme's two, and Globex's ISO 14001 program that keeps its registers
    assert [tuple(row) for row in steps] == [
        ("ISO 9001", "gap_analysis", "completed"),
        ("ISO 9001", "planning", "in_progress"),
        ("ISO 9001", "training", "in_progress"),
        ("ISO/IEC 27001", "gap_analysis", "in_progress"),
    ]
    by_code = {code: (assessed, excluded) for code, assessed, excluded in counts}
    assert by_code["ISO 9001"] == (65, 0)
    assessed, excluded = by_code["ISO/IEC 27001"]
    assert 0 < assessed < 123
    assert excluded > 0  # the Statement of Applicability shows justified exclusions


async def test_demo_has_downloadable_evidence_documents_and_training(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    async with owner_engine.connect() as connection:
        versions = (
            await connection.execute(text("SELECT status, storage_key FROM evidence_versions"))
        ).all()
        documents = await connection.scalar(
            text("SELECT string_agg(status::text, ',' ORDER BY code) FROM controlled_documents")
        )
        sessions = await connection.scalar(
            text("SELECT string_agg(status::text, ',' ORDER BY held_on) FROM training_sessions")
        )
    assert {status for status, _ in versions} == {"available"}
    for _, key in versions:  # the bytes are really in the store, as checked at confirmation
        assert await runtime.evidence.inspect(key) is not None
    assert documents == "approved,in_review,draft"
    assert sessions == "held,planned"


HISTORY = """
SELECT s.code, r.score, r.level, r.computed_at FROM readiness_snapshots r
JOIN programs p ON p.id = r.program_id JOIN standards s ON s.id = p.standard_id
ORDER BY s.code, r.computed_at
"""


async def test_demo_has_a_readiness_history_scored_phase_by_phase(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    await seed_demo(runtime)  # seeding again records nothing more
    async with owner_engine.connect() as connection:
        rows = (await connection.execute(text(HISTORY))).all()
    series: dict[str, list[float]] = {}
    for code, score, _, _ in rows:
        series.setdefault(code, []).append(score)
    assert {code: len(scores) for code, scores in series.items()} == {
        "ISO 9001": PHASES,
        "ISO/IEC 27001": PHASES,
    }
    quality = series["ISO 9001"]
    assert quality[0] < quality[1] < quality[2]  # started, assessed, planned
    dates = sorted({at.date() for *_, at in rows})
    assert [(b - a).days for a, b in itertools.pairwise(dates)] == [7] * (PHASES - 1)
    async with runtime.acting_in(ACME.id) as db:
        now = await assess(db, await active_program_ids(db))
    first = now[0]  # ISO 9001, started first
    assert first.readiness.score == quality[-1]  # nothing changed since the last phase
    assert first.forecast.likely is not None
    assert first.forecast.likely > date.today()
    assert all(item.readiness.blockers for item in now)
