"""Risks and security risks over HTTP: creating and changing them with their history, bad input
refused with nothing changed, the treatment's annex controls against the Statement of
Applicability, and the owner's acceptance of the residual risk."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

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
