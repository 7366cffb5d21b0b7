"""Who may do what with the registers, for every operation: auditors (through their grant)
and viewers read and change nothing, other tenants see nothing and are told nothing exists;
the database itself refuses a reader's writes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.findings import service as findings
from backend.findings.service import FindingFields
from backend.runtime import Runtime
from tenants.scope import TenantScope
from tests.findings.helpers import TODAY, on
from tests.planning.helpers import Plan
from tests.registers.helpers import CONTROLS, call, codes, iso_program, ok, read, register_rows
from tests.support import Client, global_id, login

LISTS = ("risks", "securityRisks", "aspects", "hazards", "obligations", "incidents", "improvements")
COUNTS = "query { " + " ".join(f"{name} {{ totalCount }}" for name in LISTS) + " }"
NODE = "query($id: ID!) { node(id: $id) { id } }"


async def _one_of_each(
    client: Client, plan: Plan, owner_engine: AsyncEngine, session: TenantSession, owner_a: Actor
) -> dict[str, str]:
    """A row of every register in A, by GraphQL type name; the owner's ids."""
    for number in ("27001", "14001", "45001"):
        await iso_program(
            owner_engine, plan, number, controls=CONTROLS if number == "27001" else None
        )
    finding = await findings.raise_finding(
        session,
        owner_a,
        "internal_audit",
        FindingFields(
            type="observation", statement="Labels fade.", requirements=on(plan, "a", "10.2")
        ),
    )
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    made: dict[str, str] = {"Finding": global_id("Finding", finding.id)}
    for name, kind, payload, input in (
        (
            "createRisk",
            "CreateRiskInput",
            "risk",
            {"programId": plan.program_gid("a"), "nature": "OPPORTUNITY"},
        ),
        (
            "createSecurityRisk",
            "CreateSecurityRiskInput",
            "securityRisk",
            {
                "programId": plan.program_gid("a_27001"),
                "asset": "CRM",
                "threat": "Phishing",
                "ownerId": plan.user_gid("a_owner"),
                "treatment": "MODIFY",
                "residualLikelihood": 1,
                "residualImpact": 1,
                "controls": ["A.5.1"],
            },
        ),
        (
            "createAspect",
            "CreateAspectInput",
            "aspect",
            {
                "programId": plan.program_gid("a_14001"),
                "activity": "Painting",
                "condition": "NORMAL",
            },
        ),
        (
            "createHazard",
            "CreateHazardInput",
            "hazard",
            {"programId": plan.program_gid("a_45001"), "activity": "Pressing"},
        ),
        (
            "createObligation",
            "CreateObligationInput",
            "obligation",
            {
                "programId": plan.program_gid("a_45001"),
                "source": "Noise rules",
                "evaluationMonths": 12,
            },
        ),
        (
            "recordIncident",
            "RecordIncidentInput",
            "incident",
            {
                "programId": plan.program_gid("a_45001"),
                "occurredOn": TODAY.isoformat(),
                "incidentKind": "NEAR_MISS",
                "severity": "LOW",
            },
        ),
        (
            "raiseImprovement",
            "RaiseImprovementInput",
            "improvement",
            {
                "programId": plan.program_gid("a"),
                "source": "SUGGESTION",
                "benefit": "MARKET_ACCESS",
            },
        ),
    ):
        done = await ok(
            client,
            name,
            kind,
            f"{payload} {{ id __typename }}",
            {"title": f"A {payload}"} | input,
            token=owner,
            tenant=tenant,
        )
        made[done[payload]["__typename"]] = done[payload]["id"]
    return made


def _operations(plan: Plan, ids: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every register mutation, with an input that A's owner could run."""
    a, iso27, iso14, iso45 = (plan.program_gid(p) for p in ("a", "a_27001", "a_14001", "a_45001"))
    return [
        ("createRisk", "CreateRiskInput", {"programId": a, "title": "x", "nature": "RISK"}),
        ("updateRisk", "UpdateRiskInput", {"id": ids["Risk"], "title": "Mine"}),
        (
            "createSecurityRisk",
            "CreateSecurityRiskInput",
            {"programId": iso27, "title": "x", "asset": "y", "threat": "z"},
        ),
        (
            "updateSecurityRisk",
            "UpdateSecurityRiskInput",
            {"id": ids["SecurityRisk"], "title": "Mine"},
        ),
        ("acceptResidualRisk", "AcceptResidualRiskInput", {"id": ids["SecurityRisk"]}),
        (
            "createAspect",
            "CreateAspectInput",
            {"programId": iso14, "title": "x", "activity": "y", "condition": "NORMAL"},
        ),
        ("updateAspect", "UpdateAspectInput", {"id": ids["Aspect"], "title": "Mine"}),
        ("createHazard", "CreateHazardInput", {"programId": iso45, "title": "x", "activity": "y"}),
        ("updateHazard", "UpdateHazardInput", {"id": ids["Hazard"], "title": "Mine"}),
        (
            "createObligation",
            "CreateObligationInput",
            {"programId": iso45, "title": "x", "source": "y", "evaluationMonths": 1},
        ),
        ("updateObligation", "UpdateObligationInput", {"id": ids["Obligation"], "title": "Mine"}),
        (
            "evaluateObligation",
            "EvaluateObligationInput",
            {"id": ids["Obligation"], "result": "COMPLIANT", "evidence": "Walk-through"},
        ),
        (
            "recordIncident",
            "RecordIncidentInput",
            {
                "programId": iso45,
                "title": "x",
                "occurredOn": TODAY.isoformat(),
                "incidentKind": "INJURY",
                "severity": "LOW",
            },
        ),
        ("updateIncident", "UpdateIncidentInput", {"id": ids["Incident"], "title": "Mine"}),
        (
            "raiseImprovement",
            "RaiseImprovementInput",
            {"findingId": ids["Finding"], "benefit": "MARKET_ACCESS"},
        ),
        (
            "updateImprovement",
            "UpdateImprovementInput",
            {"id": ids["Improvement"], "title": "Mine"},
        ),
        ("archiveRegisterEntry", "ArchiveRegisterEntryInput", {"id": ids["Risk"]}),
    ]


async def test_auditors_and_viewers_read_every_register_and_change_nothing(
    *,
    client: Client,
    plan: Plan,
    owner_engine: AsyncEngine,
    session: TenantSession,
    owner_a: Actor,
    runtime: Runtime,
) -> None:
    ids = await _one_of_each(client, plan, owner_engine, session, owner_a)
    tenant = plan.org_gid("a")
    before = await register_rows(owner_engine)
    for user in ("auditor", "a_viewer"):
        token = await login(client, user)
        counts = await read(client, COUNTS, token=token, tenant=tenant)
        assert {name: counts[name]["totalCount"] for name in LISTS} == dict.fromkeys(LISTS, 1)
        for type_name, node_id in ids.items():
            if type_name != "Finding":
                assert (await read(client, NODE, id=node_id, token=token, tenant=tenant))["node"]
        for name, kind, input in _operations(plan, ids):
            refused = await call(
                client, name, kind, "__typename", input, token=token, tenant=tenant
            )
            assert codes(refused) == ["FORBIDDEN"], (user, name, refused)
    assert await register_rows(owner_engine) == before

    # The database itself refuses a reader: no write tenant, so nothing is touched.
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(plan.users["auditor"], frozenset({plan.orgs["a"]}), None))
        for table in ("register_entries", "register_entry_changes", "register_risk_controls"):
            changed = await db.execute(text(f"DELETE FROM {table}"))
            assert changed.rowcount == 0  # type: ignore[attr-defined]
        await db.rollback()


async def test_other_tenants_see_no_register_row_and_are_told_none_exists(
    client: Client, plan: Plan, owner_engine: AsyncEngine, session: TenantSession, owner_a: Actor
) -> None:
    ids = await _one_of_each(client, plan, owner_engine, session, owner_a)
    before = await register_rows(owner_engine)
    stranger, tenant = await login(client, "b_owner"), plan.org_gid("b")
    counts = await read(client, COUNTS, token=stranger, tenant=tenant)
    assert {name: counts[name]["totalCount"] for name in LISTS} == dict.fromkeys(LISTS, 0)
    for _type_name, node_id in ids.items():
        assert (await read(client, NODE, id=node_id, token=stranger, tenant=tenant))["node"] is None
    for name, kind, input in _operations(plan, ids):
        hidden = await call(client, name, kind, "__typename", input, token=stranger, tenant=tenant)
        assert codes(hidden) == ["NOT_FOUND"], (name, hidden)
    soa = "query($p: ID!) { soaTreatment(programId: $p) { consistent } }"
    body = await client.post(
        "/graphql",
        json={"query": soa, "variables": {"p": plan.program_gid("a_27001")}},
        headers={"Authorization": f"Bearer {stranger}", "X-Tenant-ID": tenant},
    )
    assert body.json()["data"] is None  # the program is not found
    assert await register_rows(owner_engine) == before
