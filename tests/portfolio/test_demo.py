"""The demo's portfolio: Quinn answers for Acme's first gaps, Globex's engagement with
Northwind has an end date, and Northwind's consultant sees both clients."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import seed_demo
from backend.demo_portfolio import ASSIGNED_GAPS
from backend.runtime import Runtime
from tests.portfolio.helpers import PORTFOLIO
from tests.support import LOGIN, Client, gql

ASSIGNED = """
SELECT u.email, count(*) FROM requirement_assignments a JOIN users u ON u.id = a.assignee_id
GROUP BY u.email
"""
ENDS = """
SELECT o.slug, e.ended_at, e.role::text FROM consultancy_engagements e
JOIN organizations o ON o.id = e.tenant_id ORDER BY o.slug
"""


async def test_the_demo_assigns_gaps_and_limits_an_engagement(
    runtime: Runtime, owner_engine: AsyncEngine, client: Client
) -> None:
    await seed_demo(runtime)
    await seed_demo(runtime)  # seeding again changes nothing
    async with owner_engine.connect() as connection:
        assigned = [tuple(row) for row in await connection.execute(text(ASSIGNED))]
        engagements = [tuple(row) for row in await connection.execute(text(ENDS))]
    assert assigned == [("quality@acme.example", ASSIGNED_GAPS)]
    [(acme, acme_end, _), (globex, globex_end, role)] = engagements
    assert (acme, acme_end) == ("acme", None)
    assert globex == "globex"
    assert role == "consultant"
    assert globex_end is not None
    assert globex_end > datetime.now(UTC)

    password = runtime.settings.demo_password.get_secret_value()
    body = await gql(client, LOGIN, {"email": "consultant@northwind.example", "password": password})
    token = body["data"]["login"]["accessToken"]
    entries = (await gql(client, PORTFOLIO, token=token))["data"]["portfolio"]
    assert {entry["organization"]["name"] for entry in entries} == {
        "Acme Manufacturing",
        "Globex Foods",
    }
    acme_scores = [e["readiness"] for e in entries if e["organization"]["name"].startswith("Acme")]
    assert acme_scores
    assert None not in acme_scores
