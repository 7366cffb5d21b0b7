"""What the register lists cost: the same statements for one row as for many, with every
nested field asked (owner, program, links, controls, history...)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.findings import service as findings
from backend.findings.service import FindingFields
from backend.planning import service as planning
from backend.registers import service
from backend.registers.models import EntryKind
from backend.registers.service import EntryFields, HazardControlFields, ImprovementOrigin
from tests.api.helpers import count_statements
from tests.findings.helpers import TODAY, on
from tests.planning.helpers import Plan
from tests.registers.helpers import CONTROLS, iso_program, read
from tests.support import Client, login

COMMON = (
    "reference reviewDue owner { name } program { id } objectives { statement }"
    " actions { title } history { action changedBy { name } }"
)
LISTS = {
    "risks": "level nature",
    "securityRisks": "level residualLevel acceptedBy { name }"
    " controls { requirement { number } applicability }",
    "aspects": "significance significant obligations { title }",
    "hazards": "level controls { level } controlWarning incidents { reference }",
    "obligations": "nextEvaluationDue evaluationResult aspects { reference }",
    "incidents": "severity related { reference } findings { reference }",
    "improvements": "status benefit findings { reference }",
}


async def _seed(db: TenantSession, owner: Actor, plan: Plan, number: int) -> None:
    """One row of every register, linked to an objective and an action, and then some."""
    objective = await planning.create_objective(
        db,
        owner,
        plan.programs["a"],
        planning.ObjectiveFields(
            statement=f"Objective {number}", indicator="i", target="t", benefit="risk_management"
        ),
    )
    action = await planning.create_action(
        db, owner, plan.programs["a"], planning.ActionFields(title=f"Action {number}")
    )
    common: dict[str, Any] = {
        "title": f"Row {number}",
        "owner_id": plan.users["a_owner"],
        "review_on": TODAY,
        "objective_ids": [objective.id],
        "action_ids": [action.id],
    }
    await service.create_entry(
        db,
        owner,
        EntryKind.OBLIGATION,
        plan.programs["a_45001"],
        EntryFields(**common, source="Rules", evaluation_months=12),
    )
    await service.create_entry(
        db,
        owner,
        EntryKind.OBLIGATION,
        plan.programs["a_14001"],
        EntryFields(title=f"Permit {number}", source="Permit", evaluation_months=6),
    )
    await service.create_entry(
        db,
        owner,
        EntryKind.RISK,
        plan.programs["a"],
        EntryFields(**common, nature="risk", likelihood=2, impact=3),
    )
    await service.create_entry(
        db,
        owner,
        EntryKind.SECURITY_RISK,
        plan.programs["a_27001"],
        EntryFields(
            **common,
            asset="a",
            threat="t",
            likelihood=2,
            impact=2,
            treatment="modify",
            control_refs=["A.5.1", "A.8.24"],
        ),
    )
    law = await service.create_entry(
        db,
        owner,
        EntryKind.OBLIGATION,
        plan.programs["a_14001"],
        EntryFields(title=f"Law {number}", source="Law", evaluation_months=12),
    )
    await service.create_entry(
        db,
        owner,
        EntryKind.ASPECT,
        plan.programs["a_14001"],
        EntryFields(
            **common, activity="a", condition="normal", likelihood=3, impact=3, related_ids=[law.id]
        ),
    )
    hazard = await service.create_entry(
        db,
        owner,
        EntryKind.HAZARD,
        plan.programs["a_45001"],
        EntryFields(**common, activity="a", controls=[HazardControlFields("ppe", "Gloves")]),
    )
    finding = await findings.raise_finding(
        db,
        owner,
        "internal_audit",
        FindingFields(
            type="opportunity_for_improvement",
            statement=f"Idea {number}",
            requirements=on(plan, "a", "10.2"),
        ),
    )
    await service.create_entry(
        db,
        owner,
        EntryKind.INCIDENT,
        plan.programs["a_45001"],
        EntryFields(
            **common,
            occurred_on=TODAY,
            incident_kind="injury",
            severity="high",
            related_ids=[hazard.id],
            finding_ids=[finding.id],
        ),
    )
    await service.raise_improvement(
        db,
        owner,
        ImprovementOrigin(finding_id=finding.id),
        EntryFields(benefit="improved_efficiency", owner_id=plan.users["a_owner"]),
    )


async def test_every_register_list_costs_the_same_for_one_row_as_for_many(
    *,
    client: Client,
    plan: Plan,
    app: Litestar,
    owner_engine: AsyncEngine,
    session: TenantSession,
    owner_a: Actor,
) -> None:
    for standard in ("27001", "14001", "45001"):
        await iso_program(
            owner_engine, plan, standard, controls=CONTROLS if standard == "27001" else None
        )
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")

    async def costs() -> dict[str, tuple[int, int]]:
        measured = {}
        for name, own in LISTS.items():
            document = f"query {{ {name} {{ totalCount edges {{ node {{ {COMMON} {own} }} }} }} }}"
            await read(client, document, token=token, tenant=tenant)  # warm up
            with count_statements(app.state.runtime.engine) as sent:
                data = await read(client, document, token=token, tenant=tenant)
            measured[name] = (len(sent), len(data[name]["edges"]))
        return measured

    await _seed(session, owner_a, plan, 1)
    small = await costs()
    for number in range(2, 6):
        await _seed(session, owner_a, plan, number)
    large = await costs()
    for name in LISTS:
        per_seed = 3 if name == "obligations" else 1
        assert (small[name][1], large[name][1]) == (per_seed, 5 * per_seed), name
        assert small[name][0] == large[name][0], (name, small[name], large[name])
    print("statements per register list (1 row / 5 rows):", {n: small[n][0] for n in LISTS})


SOA = "query($p: ID!) { soaTreatment(programId: $p) { consistent controls { reason } } }"
CSV = "query($p: ID!) { registerCsv(register: SECURITY_RISK, programId: $p) }"


async def test_the_soa_treatment_and_the_csv_cost_the_same_for_one_risk_as_for_many(
    *,
    client: Client,
    plan: Plan,
    app: Litestar,
    owner_engine: AsyncEngine,
    session: TenantSession,
    owner_a: Actor,
) -> None:
    await iso_program(owner_engine, plan, "27001", controls=CONTROLS)
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    program = plan.program_gid("a_27001")

    async def add(count: int) -> None:
        for number in range(count):
            await service.create_entry(
                session,
                owner_a,
                EntryKind.SECURITY_RISK,
                plan.programs["a_27001"],
                EntryFields(
                    title=f"Risk {number}",
                    asset="a",
                    threat="t",
                    treatment="modify",
                    control_refs=["A.5.1", "A.8.12"][: 1 + number % 2],
                ),
            )

    async def cost(document: str) -> int:
        await read(client, document, p=program, token=token, tenant=tenant)
        with count_statements(app.state.runtime.engine) as sent:
            await read(client, document, p=program, token=token, tenant=tenant)
        return len(sent)

    await add(1)
    small = (await cost(SOA), await cost(CSV))
    await add(6)
    large = (await cost(SOA), await cost(CSV))
    assert small == large
    print(f"statements: soaTreatment {small[0]}, registerCsv {small[1]} (1 risk and 7 risks)")
