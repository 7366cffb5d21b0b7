"""The demo's findings: Acme's ISO 9001 internal audit found a minor nonconformity (being
corrected), an observation and an opportunity; steps 5 and 6 say honestly what is unmet."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import ACME, ACME_OWNER, seed_demo
from backend.programs.criteria import evaluate_step
from backend.programs.models import Program, StepKey
from backend.runtime import Runtime
from tenants.scope import TenantScope

FINDINGS = """
SELECT f.type, f.status, a.status AS action_status, c.number, asm.status AS assessed
FROM findings f
JOIN finding_requirements r ON r.finding_id = f.id
JOIN clauses c ON c.id = r.clause_id
JOIN assessments asm ON asm.program_id = r.program_id AND asm.clause_id = r.clause_id
LEFT JOIN corrective_actions ca ON ca.finding_id = f.id
LEFT JOIN actions a ON a.id = ca.action_id
ORDER BY f.reference
"""


async def test_the_demo_answers_a_nonconformity_and_keeps_two_observations_open(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    await seed_demo(runtime)  # seeding again changes nothing
    async with owner_engine.connect() as connection:
        rows = [tuple(row) for row in await connection.execute(text(FINDINGS))]
        owner_id = await connection.scalar(
            text("SELECT id FROM users WHERE email = :email"), {"email": ACME_OWNER}
        )
    assert rows == [
        ("minor_nonconformity", "action_planned", "in_progress", "7.1.5.2", "partial"),
        ("observation", "open", None, "7.5.3.2", "conformant"),
        ("opportunity_for_improvement", "open", None, "10.3", "partial"),  # a gap already
    ]
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({ACME.id}), None))
        quality = await db.scalar(select(Program).order_by(Program.created_at).limit(1))
        assert quality is not None
        implementation = await evaluate_step(db, quality, StepKey.IMPLEMENTATION)
        internal_audit = await evaluate_step(db, quality, StepKey.INTERNAL_AUDIT)
    unmet = {result.key for result in implementation if not result.met}
    assert {"plan-actions-finished", "operation-period-elapsed"} <= unmet
    audit = {result.key: result.met for result in internal_audit}
    assert audit["no-major-nonconformity-open"] is True
    assert audit["minor-nonconformities-acted-on"] is True
