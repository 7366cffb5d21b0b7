"""The demo's management review: Acme's ISO 9001 program reviewed after its signed audit,
inputs assembled (ISO 9001's own among them), two outputs with one in progress, signed."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import seed_demo
from backend.runtime import Runtime

REVIEW = """
SELECT r.status, r.chair_id = r.signed_by_id AS signed_by_chair,
       (SELECT count(*) FROM management_review_attendees a WHERE a.review_id = r.id),
       (SELECT array_agg(i.kind::text ORDER BY i.position)
        FROM management_review_inputs i WHERE i.review_id = r.id),
       (SELECT count(*) FROM management_review_inputs i WHERE i.review_id = r.id
          AND i.notes <> ''),
       (SELECT array_agg(o.kind::text || ':' || x.status::text ORDER BY o.position)
        FROM management_review_outputs o JOIN actions x ON x.id = o.action_id
        WHERE o.review_id = r.id)
FROM management_reviews r
"""


async def test_the_demo_has_a_signed_review_with_inputs_and_outputs(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    await seed_demo(runtime)  # seeding again changes nothing
    async with owner_engine.connect() as connection:
        rows = [tuple(row) for row in await connection.execute(text(REVIEW))]
    [(status, by_chair, attendees, kinds, noted, outputs)] = rows
    assert (status, by_chair, attendees) == ("signed", True, 2)
    assert kinds[:5] == [
        "previous_actions",
        "nonconformities",
        "audit_results",
        "objectives",
        "improvement_opportunities",
    ]
    assert kinds[-2:] == ["customer_satisfaction", "external_providers"]
    assert noted == 4
    assert outputs == ["resources:in_progress", "decision:open"]


async def test_the_demo_review_counts_the_risks_its_registers_hold(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    """Acme's registers are seeded before its review assembles its inputs: the review lists
    the risks of its program's register, as many as counted here by hand."""
    await seed_demo(runtime)
    async with owner_engine.connect() as connection:
        figures = await connection.scalar(
            text(
                "SELECT i.figures FROM management_review_inputs i"
                " WHERE i.kind = 'risks_and_opportunities'"
            )
        )
        risks = await connection.scalar(
            text(
                "SELECT count(*) FROM register_entries e"
                " JOIN management_review_programs p ON p.program_id = e.program_id"
                " WHERE e.kind = 'risk' AND e.archived_at IS NULL"
            )
        )
    listed = {figure["label"]: figure["value"] for figure in figures}["Listed"]
    assert listed == risks > 0, figures
