"""The portfolio: figures equal to what was seeded, sorting, filtering, who sees what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.portfolio.helpers import PORTFOLIO, Figures, add_client, seed_program
from tests.support import Client, World, global_id, gql, login


async def _portfolio(client: Client, token: str, **variables: Any) -> list[dict[str, Any]]:
    body = await gql(client, PORTFOLIO, variables, token=token)
    assert "errors" not in body, body
    entries: list[dict[str, Any]] = body["data"]["portfolio"]
    return entries


async def test_the_figures_are_those_seeded(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    body_id = world.orgs["body"].id
    program = await seed_program(owner_engine, world.orgs["a"].id, body_id)
    await seed_program(owner_engine, world.orgs["b"].id, body_id)  # B is nobody's client here
    today = datetime.now(UTC).date()

    [entry] = await _portfolio(client, await login(client, "consultant"))

    assert entry["organization"]["name"] == "Alpha Industries"
    assert entry["program"]["id"] == global_id("Program", program)
    assert entry["standard"] == "ISO 9001:2015"
    assert (entry["currentStep"], entry["currentStepKey"]) == (3, "training")
    assert (entry["readiness"], entry["readinessTrend"]) == (62.5, 12.5)
    assert entry["readinessLevel"] == "ready_for_stage_1"
    assert entry["blockers"] == 3
    assert entry["overdueActions"] == 2
    assert entry["overdueFindings"] == 1
    assert entry["expiringEvidence"] == 2
    assert entry["nextAudit"]["kind"] == "stage_1"
    assert entry["nextAudit"]["startsOn"] == str(today + timedelta(days=20))
    assert entry["nextAudit"]["endsOn"] == str(today + timedelta(days=21))
    assert (entry["nextAudit"]["booked"], entry["nextAudit"]["rule"]) == (True, None)
    assert entry["nextDueOn"] == str(today + timedelta(days=20))
    assert entry["atRisk"] is False  # stage 1 in 20 days, and ready for it
    assert entry["certificateState"] is None


async def test_the_certification_body_sees_its_granted_client_and_owners_see_none(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    figures = Figures(certificate_state="active", audit_kind="surveillance")
    await seed_program(owner_engine, world.orgs["a"].id, world.orgs["body"].id, figures)

    [entry] = await _portfolio(client, await login(client, "auditor"))
    assert entry["certificateState"] == "active"
    assert entry["atRisk"] is True  # surveillance in 20 days needs the stage 2 level

    # A client's own people manage it themselves: it is not someone else's client to them.
    assert await _portfolio(client, await login(client, "a_owner")) == []
    assert await _portfolio(client, await login(client, "b_owner")) == []


async def test_sorting_and_filtering(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    body_id, consultancy = world.orgs["body"].id, world.orgs["consultancy"].id
    a = world.orgs["a"].id
    await seed_program(owner_engine, a, body_id, Figures(scores=(70.0,), audit_in_days=50))
    risky = await add_client(owner_engine, consultancy, "Gamma Foods")
    await seed_program(
        owner_engine,
        risky,
        body_id,
        Figures(scores=(40.0,), level="in_progress", audit_in_days=10, audit_kind="stage_2"),
    )
    undated = await add_client(owner_engine, consultancy, "Delta Works")
    await seed_program(owner_engine, undated, body_id, Figures(scores=(20.0,), audit_in_days=None))
    await seed_program(
        owner_engine, a, body_id, Figures(scores=(90.0,), audit_in_days=5), standard="ISO 14001"
    )
    token = await login(client, "consultant")

    def names(entries: list[dict[str, Any]]) -> list[tuple[str, float]]:
        return [(entry["organization"]["name"], entry["readiness"]) for entry in entries]

    by_readiness = await _portfolio(client, token, sort="READINESS")
    assert names(by_readiness) == [
        ("Delta Works", 20.0),
        ("Gamma Foods", 40.0),
        ("Alpha Industries", 70.0),
        ("Alpha Industries", 90.0),
    ]
    by_due = await _portfolio(client, token, sort="NEXT_DUE")
    assert [item[1] for item in names(by_due)] == [90.0, 40.0, 70.0, 20.0]
    by_risk = await _portfolio(client, token, sort="RISK")
    assert [(entry["readiness"], entry["atRisk"]) for entry in by_risk] == [
        (40.0, True),
        (90.0, False),
        (70.0, False),
        (20.0, False),
    ]
    environment = await _portfolio(client, token, standard="iso 14001")
    assert [entry["standard"] for entry in environment] == ["ISO 14001:2015"]
    narrowed = await _portfolio(client, token, organization=world.org_gid("a"))
    assert {entry["organization"]["name"] for entry in narrowed} == {"Alpha Industries"}
    assert await _portfolio(client, token, organization=world.org_gid("b")) == []


async def test_with_nothing_booked_the_next_audit_is_the_one_the_cycle_expects(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    figures = Figures(certificate_state="active", audit_in_days=None)
    await seed_program(owner_engine, world.orgs["a"].id, world.orgs["body"].id, figures)
    today = datetime.now(UTC).date()
    expected_id = uuid.uuid4()
    rule = "first surveillance due by ...: 12 months after the certification decision"
    async with owner_engine.begin() as connection:
        certificate = await connection.scalar(text("SELECT id FROM certificates"))
        for number, (held, due) in enumerate(((today - timedelta(days=9), 30), (None, 300))):
            await connection.execute(
                text(
                    "INSERT INTO certification_expected_audits (id, tenant_id, certificate_id,"
                    " kind, number, opens_on, due_on, rule, status, held_on) VALUES (:id, :t,"
                    " :c, 'surveillance', :n, :opens, :due, :rule, 'due', :held)"
                ),
                {
                    "id": expected_id if held is None else uuid.uuid4(),
                    "t": world.orgs["a"].id,
                    "c": certificate,
                    "n": number + 1,
                    "opens": today - timedelta(days=10),
                    "due": today + timedelta(days=due),
                    "rule": rule,
                    "held": held,
                },
            )
    [entry] = await _portfolio(client, await login(client, "consultant"))
    assert entry["nextAudit"] == {
        "id": global_id("ExpectedCertificationAudit", expected_id),
        "kind": "surveillance",
        "startsOn": str(today - timedelta(days=10)),
        "endsOn": str(today + timedelta(days=300)),
        "booked": False,
        "rule": rule,
    }
