"""The demo's registers: Acme's security risks feed a consistent ISO/IEC 27001 SoA, with one
residual risk accepted; Globex keeps an aspects register and a legal register."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import ACME, GLOBEX, seed_demo
from backend.programs.models import Program
from backend.registers import queries
from backend.runtime import Runtime
from tenants.scope import TenantScope

ROWS = """
SELECT o.slug, e.kind::text, count(*), count(e.accepted_at), count(e.evaluated_on)
FROM register_entries e JOIN organizations o ON o.id = e.tenant_id
GROUP BY o.slug, e.kind ORDER BY o.slug, e.kind::text
"""


async def test_the_demo_has_registers_for_acme_and_globex(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    await seed_demo(runtime)  # seeding again changes nothing
    async with owner_engine.connect() as connection:
        rows = [tuple(row) for row in await connection.execute(text(ROWS))]
        [security] = (
            await connection.execute(
                text(
                    "SELECT p.id FROM programs p JOIN standards s ON s.id = p.standard_id"
                    " WHERE s.code = 'ISO/IEC 27001' AND p.tenant_id = :acme"
                ),
                {"acme": ACME.id},
            )
        ).all()
    assert rows == [
        ("acme", "improvement", 1, 0, 0),
        ("acme", "risk", 2, 0, 0),
        ("acme", "security_risk", 3, 1, 0),
        ("globex", "aspect", 3, 0, 0),
        ("globex", "obligation", 2, 0, 1),
    ]
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(read_tenants=frozenset({ACME.id, GLOBEX.id})))
        program = await db.get_one(Program, security[0])
        controls = await queries.soa_treatment(db, program)
    needed = [control for control in controls if control.needed_by]
    assert len(needed) == 3
    assert not any(control.inconsistent for control in controls)
    assert needed[0].reason == "Applicable because ISR-001 needs it."
