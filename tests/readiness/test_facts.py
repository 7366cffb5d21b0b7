"""The facts read from the database, on the demo: what the score sees is what the other
areas recorded, and a major nonconformity raised there caps the score."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import ACME, seed_demo
from backend.readiness.facts import Loaded, load_facts
from backend.readiness.score import MAJOR_CAP, Level, score
from backend.readiness.service import active_program_ids
from backend.runtime import Runtime

REGRADE = "UPDATE findings SET type = 'major_nonconformity' WHERE type = 'minor_nonconformity'"


async def _quality(runtime: Runtime) -> Loaded:
    async with runtime.acting_in(ACME.id) as db:
        loaded = await load_facts(db, await active_program_ids(db))
    return loaded[0]  # ISO 9001, started first


async def test_the_demo_facts_are_what_the_areas_recorded(runtime: Runtime) -> None:
    await seed_demo(runtime)
    facts = (await _quality(runtime)).facts
    assert len(facts.requirements) == 65
    assert {r.status for r in facts.requirements} >= {"conformant", "partial", "nonconformant"}
    with_evidence = {r.number for r in facts.requirements if r.evidence}
    assert {"5.2.1", "7.1.5.2", "9.3.3"} <= with_evidence
    assert all(e.renewed_on == facts.today for r in facts.requirements for e in r.evidence)
    assert facts.mandatory
    assert any(item.documents for item in facts.mandatory)
    assert [s.status for s in facts.steps[:3]] == ["completed", "in_progress", "in_progress"]
    assert facts.actions
    assert [s.held for s in facts.sessions] == [True, False]
    assert [f.major for f in facts.open_findings] == [False]  # the minor one on 7.1.5.2
    assert facts.today <= date.today()


async def test_a_major_nonconformity_recorded_caps_the_score(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    async with owner_engine.begin() as connection:  # regraded, as an auditor's review might
        await connection.execute(text(REGRADE))
    loaded = await _quality(runtime)
    result = score(loaded.facts, loaded.weights)
    assert result.score <= MAJOR_CAP
    assert result.level is not Level.READY_FOR_STAGE_2
    top = result.blockers[0]
    assert (top.kind, top.caps, top.object_type) == ("finding", True, "Finding")
    assert top.message.startswith("Major nonconformity NC-")
