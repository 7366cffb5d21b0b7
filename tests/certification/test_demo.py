"""The demo's certification: Globex certified last year with one surveillance held and the
next due, Acme's stage 1 booked; Northwind's consultant sees both coming up."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import NORTHWIND_CONSULTANT, seed_demo
from backend.runtime import Runtime
from tests.support import LOGIN, Client, gql

AUDITS = """
SELECT o.slug, a.kind::text, a.status::text, a.outcome::text FROM certification_audits a
JOIN organizations o ON o.id = a.tenant_id ORDER BY o.slug, a.planned_start
"""
CERTIFICATES = """
SELECT o.slug, c.state::text, c.cycle_number, p.status::text FROM certificates c
JOIN organizations o ON o.id = c.tenant_id
JOIN certificate_programs cp ON cp.certificate_id = c.id JOIN programs p ON p.id = cp.program_id
"""
UPCOMING = "{ upcomingAudits { kind status rule organization { slug } } }"


async def test_the_demo_has_a_certified_globex_and_acme_stage_1_booked(
    runtime: Runtime, owner_engine: AsyncEngine, client: Client
) -> None:
    await seed_demo(runtime)
    await seed_demo(runtime)  # seeding again changes nothing
    async with owner_engine.connect() as connection:
        audits = [tuple(row) for row in await connection.execute(text(AUDITS))]
        certificates = [tuple(row) for row in await connection.execute(text(CERTIFICATES))]
    assert audits == [
        ("acme", "stage_1", "planned", None),
        ("globex", "stage_1", "held", "ready"),
        ("globex", "stage_2", "held", "recommended"),
        ("globex", "surveillance", "held", "recommended"),
    ]
    assert certificates == [("globex", "active", 1, "surveillance_1")]

    password = runtime.settings.demo_password.get_secret_value()
    login = await gql(client, LOGIN, {"email": NORTHWIND_CONSULTANT, "password": password})
    token = login["data"]["login"]["accessToken"]
    upcoming = (await gql(client, UPCOMING, token=token))["data"]["upcomingAudits"]
    assert [(item["organization"]["slug"], item["kind"], item["status"]) for item in upcoming] == [
        ("acme", "stage_1", "planned"),
        ("globex", "surveillance", "due"),
        ("globex", "recertification", "due"),
    ]
    assert upcoming[1]["rule"].startswith("second surveillance due by")
