"""Aspects, hazards, obligations and incidents over HTTP: significance on the tenant's
threshold, the hierarchy-of-controls warning, an obligation's next evaluation on the tenant's
calendar, incidents with their hazards and nonconformities, archive instead of delete."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.planning import service as planning
from backend.registers import rules
from backend.registers.models import ControlLevel
from tenants.roles import Role
from tests.findings.helpers import TODAY, days_ago, raise_nc
from tests.planning.helpers import Plan, acting
from tests.registers.helpers import call, codes, iso_program, ok, read, register_rows
from tests.support import Client, global_id, login

HAZARD = (
    "hazard { id reference level residualLevel controlWarning controls { level description } }"
    " warnings"
)
OBLIGATION = (
    "obligation { reference evaluatedOn evaluationResult evaluationEvidence nextEvaluationDue"
    " history { action after } }"
)


async def test_an_aspect_is_significant_from_the_threshold_and_names_its_obligations(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "14001")
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    program = plan.program_gid("a_14001")
    obligation = await ok(
        client,
        "createObligation",
        "CreateObligationInput",
        "obligation { id }",
        {
            "programId": program,
            "title": "Discharge permit",
            "source": "Permit 12/2024",
            "evaluationMonths": 12,
        },
        token=owner,
        tenant=tenant,
    )
    fields = (
        "aspect { reference significance significant condition obligations { title aspects"
        " { reference } } }"
    )
    made = []
    for score in ((2, 4), (1, 3)):
        made.append(
            await ok(
                client,
                "createAspect",
                "CreateAspectInput",
                fields,
                {
                    "programId": program,
                    "title": "Solvent emissions",
                    "activity": "Painting",
                    "consequence": "Air pollution",
                    "condition": "NORMAL",
                    "likelihood": score[0],
                    "impact": score[1],
                    "obligationIds": [obligation["obligation"]["id"]],
                },
                token=owner,
                tenant=tenant,
            )
        )
    assert [m["aspect"]["significant"] for m in made] == [True, False]  # threshold 8
    assert made[0]["aspect"]["obligations"] == [
        {"title": "Discharge permit", "aspects": [{"reference": "ASP-001"}]}
    ]
    wrong = await call(
        client,
        "createAspect",
        "CreateAspectInput",
        "aspect { id }",
        {"programId": plan.program_gid("a"), "title": "x", "activity": "y", "condition": "NORMAL"},
        token=owner,
        tenant=tenant,
    )
    assert wrong["errors"][0]["message"] == "Aspect registers belong to ISO 14001 programs."


async def test_a_hazard_controlled_only_by_lower_levels_is_warned_about(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "45001")
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    input: dict[str, Any] = {
        "programId": plan.program_gid("a_45001"),
        "title": "Noise at the press",
        "activity": "Pressing",
        "exposed": "Press operators",
        "likelihood": 4,
        "impact": 3,
        "residualLikelihood": 2,
        "residualImpact": 3,
        "controls": [
            {"level": "PPE", "description": "Ear defenders"},
            {"level": "ADMINISTRATIVE", "description": "Job rotation"},
        ],
    }
    low = await ok(
        client, "createHazard", "CreateHazardInput", HAZARD, input, token=owner, tenant=tenant
    )
    assert low["warnings"] == [rules.WARNING]
    assert low["hazard"]["controlWarning"] == rules.WARNING
    assert (low["hazard"]["level"], low["hazard"]["residualLevel"]) == (12, 6)
    renamed = await ok(
        client,
        "updateHazard",
        "UpdateHazardInput",
        HAZARD,
        {"id": low["hazard"]["id"], "title": "Noise at press 2"},
        token=owner,
        tenant=tenant,
    )
    assert renamed["warnings"] == [rules.WARNING]  # read from the stored controls
    better = input["controls"] + [{"level": "ENGINEERING", "description": "Acoustic enclosure"}]
    fixed = await ok(
        client,
        "updateHazard",
        "UpdateHazardInput",
        HAZARD,
        {"id": low["hazard"]["id"], "controls": better},
        token=owner,
        tenant=tenant,
    )
    assert fixed["warnings"] == []
    assert fixed["hazard"]["controlWarning"] is None
    assert [c["level"] for c in fixed["hazard"]["controls"]] == [
        "PPE",
        "ADMINISTRATIVE",
        "ENGINEERING",
    ]


@pytest.mark.parametrize(
    ("levels", "warned"),
    [
        ((), False),
        ((ControlLevel.PPE,), True),
        ((ControlLevel.ADMINISTRATIVE, ControlLevel.PPE), True),
        ((ControlLevel.ELIMINATION, ControlLevel.PPE), False),
        ((ControlLevel.SUBSTITUTION,), False),
    ],
)
def test_the_warning_needs_a_control_and_none_above_administrative(
    levels: tuple[ControlLevel, ...], warned: bool
) -> None:
    assert (rules.hierarchy_warning(levels) is not None) is warned


@pytest.mark.parametrize(
    ("evaluated", "months", "due"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 3, 15), 12, date(2027, 3, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (None, 6, date(2026, 5, 1)),  # never evaluated: due from the day it was listed
    ],
)
def test_the_next_evaluation_falls_due_by_the_frequency(
    evaluated: date | None, months: int, due: date
) -> None:
    assert rules.next_evaluation(evaluated, months, date(2026, 5, 1)) == due


async def test_evaluating_an_obligation_records_it_and_moves_its_next_due_date(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "45001")
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    made = await ok(
        client,
        "createObligation",
        "CreateObligationInput",
        f"id: obligation {{ id }} {OBLIGATION}",
        {
            "programId": plan.program_gid("a_45001"),
            "title": "Noise at work regulations",
            "source": "National noise regulations",
            "applicability": "Press shop",
            "evaluationMonths": 6,
        },
        token=owner,
        tenant=tenant,
    )
    assert made["obligation"]["nextEvaluationDue"] == TODAY.isoformat()  # due at once
    obligation_id = made["id"]["id"]
    evaluate = ("evaluateObligation", "EvaluateObligationInput", OBLIGATION)
    evaluated_on = days_ago(10)
    done = await ok(
        client,
        *evaluate,
        {
            "id": obligation_id,
            "result": "PARTIALLY_COMPLIANT",
            "evidence": "Survey of 2026",
            "evaluatedOn": evaluated_on.isoformat(),
        },
        token=owner,
        tenant=tenant,
    )
    seen = done["obligation"]
    assert (seen["evaluatedOn"], seen["evaluationResult"]) == (
        evaluated_on.isoformat(),
        "PARTIALLY_COMPLIANT",
    )
    assert seen["nextEvaluationDue"] == rules.add_months(evaluated_on, 6).isoformat()
    assert seen["history"][-1] == {
        "action": "evaluated",
        "after": {
            "evaluatedOn": evaluated_on.isoformat(),
            "evaluationResult": "partially_compliant",
            "evaluationEvidence": "Survey of 2026",
        },
    }
    before = await register_rows(owner_engine)
    for input, field in (
        ({"evaluatedOn": days_ago(-1).isoformat()}, "evaluatedOn"),
        ({"evidence": " "}, "evidence"),
    ):
        refused = await call(
            client,
            *evaluate,
            {"id": obligation_id, "result": "COMPLIANT", "evidence": "Walk-through"} | input,
            token=owner,
            tenant=tenant,
        )
        assert refused["errors"][0]["field"] == [field]
    months = await call(
        client,
        "updateObligation",
        "UpdateObligationInput",
        "obligation { id }",
        {"id": obligation_id, "evaluationMonths": 61},
        token=owner,
        tenant=tenant,
    )
    assert months["errors"][0]["field"] == ["evaluationMonths"]
    assert await register_rows(owner_engine) == before


async def test_an_incident_names_its_hazards_and_the_nonconformity_it_raised(
    client: Client, plan: Plan, owner_engine: AsyncEngine, session: TenantSession, owner_a: Actor
) -> None:
    await iso_program(owner_engine, plan, "45001")
    finding = await raise_nc(session, owner_a, plan, "7.5.1")
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    program = plan.program_gid("a_45001")
    hazard = await ok(
        client,
        "createHazard",
        "CreateHazardInput",
        "hazard { id }",
        {"programId": program, "title": "Forklift traffic", "activity": "Loading"},
        token=owner,
        tenant=tenant,
    )
    fields = (
        "incident { reference occurredOn severity related { reference } findings { reference } }"
    )
    recorded = await ok(
        client,
        "recordIncident",
        "RecordIncidentInput",
        fields,
        {
            "programId": program,
            "title": "Near miss at dock 2",
            "occurredOn": days_ago(1).isoformat(),
            "incidentKind": "NEAR_MISS",
            "severity": "MEDIUM",
            "investigation": "Blind corner",
            "relatedIds": [hazard["hazard"]["id"]],
            "findingIds": [global_id("Finding", finding.id)],
        },
        token=owner,
        tenant=tenant,
    )
    incident = recorded["incident"]
    assert (incident["reference"], incident["severity"]) == ("INC-001", "MEDIUM")
    assert incident["related"] == [{"reference": "HAZ-001"}]
    assert incident["findings"] == [{"reference": finding.reference}]
    seen = await read(
        client,
        "query($id: ID!) { node(id: $id) { ... on Hazard { incidents { reference } } } }",
        id=hazard["hazard"]["id"],
        token=owner,
        tenant=tenant,
    )
    assert seen["node"]["incidents"] == [{"reference": "INC-001"}]
    refused = await call(
        client,
        "recordIncident",
        "RecordIncidentInput",
        "incident { id }",
        {
            "programId": program,
            "title": "x",
            "occurredOn": TODAY.isoformat(),
            "incidentKind": "INJURY",
            "severity": "LOW",
            "relatedIds": [global_id("Obligation", finding.id)],
        },
        token=owner,
        tenant=tenant,
    )
    assert refused["errors"][0]["field"] == ["relatedIds"]


async def test_an_archived_row_leaves_its_list_keeps_its_history_and_no_longer_changes(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    made = await ok(
        client,
        "createRisk",
        "CreateRiskInput",
        "risk { id }",
        {"programId": plan.program_gid("a"), "title": "Key person leaves", "nature": "RISK"},
        token=owner,
        tenant=tenant,
    )
    risk_id = made["risk"]["id"]
    archive = (
        "archiveRegisterEntry",
        "ArchiveRegisterEntryInput",
        "entry { reference archivedAt history { action } }",
    )
    archived = (await ok(client, *archive, {"id": risk_id}, token=owner, tenant=tenant))["entry"]
    assert archived["archivedAt"]
    assert [h["action"] for h in archived["history"]] == [
        "created",
        "archived",
    ]
    listed = "query($archived: Boolean!) { risks(archived: $archived) { totalCount } }"
    assert (await read(client, listed, archived=False, token=owner, tenant=tenant))["risks"][
        "totalCount"
    ] == 0
    assert (await read(client, listed, archived=True, token=owner, tenant=tenant))["risks"][
        "totalCount"
    ] == 1
    for name, kind, input in (
        ("updateRisk", "UpdateRiskInput", {"id": risk_id, "title": "Changed"}),
        ("archiveRegisterEntry", "ArchiveRegisterEntryInput", {"id": risk_id}),
    ):
        refused = await call(client, name, kind, "__typename", input, token=owner, tenant=tenant)
        assert codes(refused) == ["LOCKED"]


async def test_a_row_links_objectives_and_actions_of_its_organization_only(
    client: Client, plan: Plan, session: TenantSession, owner_a: Actor
) -> None:
    objective = await planning.create_objective(
        session,
        owner_a,
        plan.programs["a"],
        planning.ObjectiveFields(
            statement="Fewer stoppages",
            indicator="Stops",
            target="< 2",
            benefit="improved_efficiency",
        ),
    )
    action = await planning.create_action(
        session, owner_a, plan.programs["a"], planning.ActionFields(title="Second supplier")
    )
    b_owner = await acting(session, plan, "b_owner", "b", Role.OWNER)
    foreign = await planning.create_action(
        session, b_owner, plan.programs["b"], planning.ActionFields(title="B's own")
    )
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    fields = "risk { id objectives { statement } actions { title } history { after } }"
    made = await ok(
        client,
        "createRisk",
        "CreateRiskInput",
        fields,
        {
            "programId": plan.program_gid("a"),
            "title": "Single supplier",
            "nature": "RISK",
            "objectiveIds": [global_id("Objective", objective.id)],
            "actionIds": [global_id("Action", action.id)],
        },
        token=owner,
        tenant=tenant,
    )
    assert made["risk"]["objectives"] == [{"statement": "Fewer stoppages"}]
    assert made["risk"]["actions"] == [{"title": "Second supplier"}]
    refused = await call(
        client,
        "updateRisk",
        "UpdateRiskInput",
        "risk { id }",
        {"id": made["risk"]["id"], "actionIds": [global_id("Action", foreign.id)]},
        token=owner,
        tenant=tenant,
    )
    assert refused["errors"][0] == {
        "field": ["actionIds"],
        "code": "INVALID",
        "message": "actionIds: 1 not found in this organization.",
    }
    cleared = await ok(
        client,
        "updateRisk",
        "UpdateRiskInput",
        fields,
        {"id": made["risk"]["id"], "actionIds": []},
        token=owner,
        tenant=tenant,
    )
    assert cleared["risk"]["actions"] == []
    assert cleared["risk"]["objectives"] == [{"statement": "Fewer stoppages"}]
