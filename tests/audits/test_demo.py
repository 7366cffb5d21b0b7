"""The demo's audits: Acme's ISO 9001 programme with one internal audit signed (its findings
linked to the lines they came from) and the next one planned; step 6 says honestly what is
unmet, and that management reviewed the signed audit (the reviews demo)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import ACME, ACME_OWNER, seed_demo
from backend.programs.criteria import evaluate_step
from backend.programs.models import Program, StepKey
from backend.runtime import Runtime
from tenants.scope import TenantScope

AUDITS = """
SELECT a.reference, a.status, a.planned_start, count(l.id) AS lines,
       count(l.id) FILTER (WHERE l.result IS NOT NULL) AS recorded,
       (SELECT string_agg(f.type::text || ':' || c.number, ',' ORDER BY c.position)
        FROM audit_findings af JOIN findings f ON f.id = af.finding_id
        JOIN audit_checklist_lines fl ON fl.id = af.line_id JOIN clauses c ON c.id = fl.clause_id
        WHERE af.audit_id = a.id) AS findings
FROM audits a LEFT JOIN audit_checklist_lines l ON l.audit_id = a.id
GROUP BY a.id ORDER BY a.planned_start
"""


async def test_the_demo_has_a_signed_audit_a_planned_one_and_honest_step_6(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    await seed_demo(runtime)  # seeding again changes nothing
    async with owner_engine.connect() as connection:
        rows = [tuple(row) for row in await connection.execute(text(AUDITS))]
        owner_id = await connection.scalar(
            text("SELECT id FROM users WHERE email = :email"), {"email": ACME_OWNER}
        )
    today = date.today()
    held, next_month = today - timedelta(days=20), today + timedelta(days=30)
    assert [row[:2] for row in rows] == [
        (f"IA-{held.year}-01", "closed"),
        (f"IA-{next_month.year}-02", "planned"),
    ]
    closed, planned = rows
    assert closed[3] == closed[4] == 7  # 7.1.5.x, 7.5.x and 10.3, every line recorded
    assert closed[5] == (
        "minor_nonconformity:7.1.5.2,observation:7.5.3.2,opportunity_for_improvement:10.3"
    )
    assert (planned[2], planned[4], planned[5]) == (next_month, 0, None)

    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({ACME.id}), None))
        quality = await db.scalar(select(Program).order_by(Program.created_at).limit(1))
        assert quality is not None
        step = {r.key: r for r in await evaluate_step(db, quality, StepKey.INTERNAL_AUDIT)}
    for key in ("programme-covers-scope", "audits-closed", "management-review-held"):
        assert step[key].met is (key == "management-review-held"), key
        print(f"{key}: {step[key].reason}")
    assert step["programme-covers-scope"].reason.endswith(" more.")
    assert step["audits-closed"].reason == (f"1 audit is not closed yet: IA-{next_month.year}-02.")
    assert step["management-review-held"].reason == (
        f"Management review held on {today}, after internal audit IA-{held.year}-01 closed on"
        f" {today}."
    )
