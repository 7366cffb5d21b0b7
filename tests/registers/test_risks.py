"""Risks and security risks over HTTP: creating and changing them with their history, bad input
refused with nothing changed, the treatment's annex controls against the Statement of
Applicability, and the owner's acceptance of the residual risk."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.findings.helpers import days_ago
from tests.planning.helpers import Plan
from tests.registers.helpers import CONTROLS, call, codes, iso_program, ok, read, register_rows
from tests.support import Client, login

SECURITY_RISK = """
id reference title asset threat likelihood impact level treatment residualLevel acceptedAt
acceptedBy { name } owner { name } controls { requirement { number } applicability inconsistent }
history { action before after changedBy { name } }
"""
SOA = """
query($programId: ID!) {
  soaTreatment(programId: $programId) {
    consistent controls { requirement { number } applicability neededBy reason }
    inconsistencies { requirement { number } reason }
  }
}
"""


async def _security_risk(client: Client, plan: Plan, token: str, **values: Any) -> dict[str, Any]:
    input = {
        "programId": plan.program_gid("a_27001"),
        "title": "Laptop theft exposes customer data",
        "asset": "Field laptops",
        "threat": "Theft",
        "vulnerability": "Unencrypted disks",
        "likelihood": 3,
        "impact": 4,
        "ownerId": plan.user_gid("a_owner"),
    } | values
    payload = await ok(
        client,
        "createSecurityRisk",
        "CreateSecurityRiskInput",
        f"securityRisk {{ {SECURITY_RISK} }}",
        input,
        token=token,
        tenant=plan.org_gid("a"),
    )
    risk: dict[str, Any] = payload["securityRisk"]
    return risk


async def test_a_security_risk_is_scored_treated_and_its_history_kept(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "27001", controls=CONTROLS)
    owner = await login(client, "a_owner")
    risk = await _security_risk(client, plan, owner)
    assert (risk["reference"], risk["level"], risk["treatment"]) == ("ISR-001", 12, None)
    assert risk["history"][0]["action"] == "created"

    updated = await ok(
        client,
        "updateSecurityRisk",
        "UpdateSecurityRiskInput",
        f"securityRisk {{ {SECURITY_RISK} }}",
        {
            "id": risk["id"],
            "treatment": "MODIFY",
            "controls": ["A.5.1"],
            "residualLikelihood": 1,
            "residualImpact": 4,
        },
        token=owner,
        tenant=plan.org_gid("a"),
    )
    changed = updated["securityRisk"]
    assert (changed["treatment"], changed["residualLevel"]) == ("MODIFY", 4)
    assert changed["controls"] == [
        {"requirement": {"number": "A.5.1"}, "applicability": "applicable", "inconsistent": False}
    ]
    last = changed["history"][-1]
    assert last["action"] == "updated"
    assert last["before"] == {
        "treatment": None,
        "controls": [],
        "residualLikelihood": None,
        "residualImpact": None,
    }
    assert last["after"] == {
        "treatment": "modify",
        "controls": ["A.5.1"],
        "residualLikelihood": 1,
        "residualImpact": 4,
    }
    assert last["changedBy"] == {"name": "A Owner"}


async def test_the_soa_says_why_a_control_applies_and_where_it_contradicts_a_treatment(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "27001", controls=CONTROLS)
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    program = plan.program_gid("a_27001")
    await _security_risk(client, plan, owner, treatment="MODIFY", controls=["A.5.1"])
    clean = (await read(client, SOA, programId=program, token=owner, tenant=tenant))["soaTreatment"]
    assert clean["consistent"] is True
    assert clean["controls"][0] == {
        "requirement": {"number": "A.5.1"},
        "applicability": "applicable",
        "neededBy": ["ISR-001"],
        "reason": "Applicable because ISR-001 needs it.",
    }

    risk = await _security_risk(client, plan, owner, treatment="MODIFY", controls=["A.8.24"])
    assert risk["controls"] == [
        {
            "requirement": {"number": "A.8.24"},
            "applicability": "not_applicable",
            "inconsistent": True,
        }
    ]
    seen = (await read(client, SOA, programId=program, token=owner, tenant=tenant))["soaTreatment"]
    assert seen["consistent"] is False
    assert seen["inconsistencies"] == [
        {
            "requirement": {"number": "A.8.24"},
            "reason": "Marked not applicable, yet the treatment of ISR-002 selects it.",
        }
    ]
    # Archived risks no longer count.
    await ok(
        client,
        "archiveRegisterEntry",
        "ArchiveRegisterEntryInput",
        "entry { reference }",
        {"id": risk["id"]},
        token=owner,
        tenant=tenant,
    )
    after = (await read(client, SOA, programId=program, token=owner, tenant=tenant))["soaTreatment"]
    assert after["consistent"] is True


async def test_only_the_owner_accepts_a_treated_residual_risk_and_a_new_treatment_takes_it_back(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "27001", controls=CONTROLS)
    owner, admin, tenant = (
        await login(client, "a_owner"),
        await login(client, "a_admin"),
        plan.org_gid("a"),
    )
    risk = await _security_risk(client, plan, owner)
    accept = (
        "acceptResidualRisk",
        "AcceptResidualRiskInput",
        f"securityRisk {{ {SECURITY_RISK} }}",
    )
    untreated = await call(client, *accept, {"id": risk["id"]}, token=owner, tenant=tenant)
    assert codes(untreated) == ["INVALID"]
    update = ("updateSecurityRisk", "UpdateSecurityRiskInput", "securityRisk { acceptedAt }")
    treated = {
        "id": risk["id"],
        "treatment": "RETAIN",
        "residualLikelihood": 2,
        "residualImpact": 2,
    }
    await ok(client, *update, treated, token=owner, tenant=tenant)
    not_owner = await call(client, *accept, {"id": risk["id"]}, token=admin, tenant=tenant)
    assert codes(not_owner) == ["FORBIDDEN"]

    accepted = (await ok(client, *accept, {"id": risk["id"]}, token=owner, tenant=tenant))[
        "securityRisk"
    ]
    assert accepted["acceptedBy"] == {"name": "A Owner"}
    assert accepted["acceptedAt"]
    assert accepted["history"][-1]["after"] == {"accepted": True}

    again = await ok(
        client, *update, {"id": risk["id"], "residualImpact": 3}, token=owner, tenant=tenant
    )
    assert again["securityRisk"]["acceptedAt"] is None


async def test_bad_input_is_refused_with_the_field_named_and_nothing_changed(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "27001", controls=CONTROLS)
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    risk = await _security_risk(client, plan, owner)
    before = await register_rows(owner_engine)
    create = ("createSecurityRisk", "CreateSecurityRiskInput", "securityRisk { id }")
    base = {"programId": plan.program_gid("a_27001"), "title": "T", "asset": "A", "threat": "T"}
    for input, field in (
        (base | {"likelihood": 6}, "likelihood"),
        (base | {"impact": 0}, "impact"),
        (base | {"title": "  "}, "title"),
        ({k: v for k, v in base.items() if k != "asset"}, "asset"),
        (base | {"controls": ["6.1"]}, "controls"),
        (base | {"controls": ["A.9.99"]}, "requirements"),
        (base | {"ownerId": plan.user_gid("b_owner")}, "ownerId"),
        (base | {"programId": plan.program_gid("a")}, "programId"),
        (base | {"reference": risk["reference"]}, "reference"),
        (base | {"objectiveIds": [plan.program_gid("a")]}, "objectiveIds"),
    ):
        refused = await call(client, *create, input, token=owner, tenant=tenant)
        assert refused["errors"][0]["field"] == [field], (input, refused)
        assert refused["securityRisk"] is None
    wrong_kind = await call(
        client,
        "updateRisk",
        "UpdateRiskInput",
        "risk { id }",
        {"id": risk["id"], "title": "x"},
        token=owner,
        tenant=tenant,
    )
    assert codes(wrong_kind) == ["INVALID"]  # a SecurityRisk id is not a Risk id
    assert await register_rows(owner_engine) == before


async def test_risks_and_opportunities_serve_every_standard(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "9001")
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    create = (
        "createRisk",
        "CreateRiskInput",
        "risk { reference nature level context program { id } }",
    )
    for program in ("a_9001", "a"):
        made = await ok(
            client,
            *create,
            {
                "programId": plan.program_gid(program),
                "title": "Key supplier fails",
                "nature": "RISK",
                "context": "One supplier for castings",
                "likelihood": 2,
                "impact": 5,
            },
            token=owner,
            tenant=tenant,
        )
        assert made["risk"]["level"] == 10
    no_nature = await call(
        client,
        *create,
        {"programId": plan.program_gid("a"), "title": "x"},
        token=owner,
        tenant=tenant,
    )
    assert no_nature["errors"][0] == {
        "field": ["nature"],
        "code": "INVALID",
        "message": "Required: nature.",
    }


FILTERED = """
query($owner: ID, $reviewDue: Boolean, $standard: String, $minLevel: Int, $organization: ID,
      $programId: ID) {
  risks(owner: $owner, reviewDue: $reviewDue, standard: $standard, minLevel: $minLevel,
        organization: $organization, programId: $programId) {
    totalCount edges { node { title reviewDue } }
  }
}
"""


async def test_the_lists_filter_by_owner_review_due_standard_level_and_organization(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "9001")
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    create = ("createRisk", "CreateRiskInput", "risk { id }")
    for title, program, likelihood, review_on, who in (
        ("Low, due", "a", 1, days_ago(1), "a_owner"),
        ("High, not due", "a_9001", 5, days_ago(-3), "a_admin"),
        ("Unscored", "a_9001", None, None, "a_admin"),
    ):
        await ok(
            client,
            *create,
            {
                "programId": plan.program_gid(program),
                "title": title,
                "nature": "RISK",
                "likelihood": likelihood,
                "impact": 4 if likelihood else None,
                "reviewOn": review_on.isoformat() if review_on else None,
                "ownerId": plan.user_gid(who),
            },
            token=owner,
            tenant=tenant,
        )

    async def titles(**variables: Any) -> list[str]:
        data = await read(client, FILTERED, token=owner, tenant=tenant, **variables)
        return [edge["node"]["title"] for edge in data["risks"]["edges"]]

    assert await titles() == ["Low, due", "High, not due", "Unscored"]
    assert await titles(owner=plan.user_gid("a_admin")) == ["High, not due", "Unscored"]
    assert await titles(reviewDue=True) == ["Low, due"]
    assert await titles(reviewDue=False) == ["High, not due", "Unscored"]
    assert await titles(standard="ISO 9001") == ["High, not due", "Unscored"]
    assert await titles(minLevel=10) == ["High, not due"]
    assert await titles(programId=plan.program_gid("a")) == ["Low, due"]
    assert await titles(organization=plan.org_gid("a")) == await titles()
    assert await titles(organization=plan.org_gid("b")) == []
