"""The improvement register over HTTP: raising an improvement from an observation or an
opportunity for improvement, or from a management review's output, in one mutation; from a
complaint or suggestion in a program; what may not become one."""

from __future__ import annotations

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.findings import service as findings
from backend.findings.models import Finding
from backend.findings.service import FindingFields
from backend.reviews import service as reviews
from tests.findings.helpers import days_ago, on, raise_nc
from tests.planning.helpers import Plan
from tests.registers.helpers import call, codes, ok, read
from tests.reviews.helpers import plan_review
from tests.support import Client, global_id, login

IMPROVEMENT = (
    "improvement { id reference title source status benefit result program { id }"
    " findings { reference } owner { name } history { action after } }"
)
RAISE = ("raiseImprovement", "RaiseImprovementInput", IMPROVEMENT)


async def _opportunity(db: TenantSession, owner: Actor, plan: Plan, type: str) -> Finding:
    return await findings.raise_finding(
        db,
        owner,
        "internal_audit",
        FindingFields(
            type=type,
            statement="Calibration records could be kept on line.",
            requirements=on(plan, "a", "10.2"),
        ),
    )


async def test_an_opportunity_found_becomes_an_improvement_in_one_step_and_only_once(
    client: Client, plan: Plan, session: TenantSession, owner_a: Actor
) -> None:
    finding = await _opportunity(session, owner_a, plan, "opportunity_for_improvement")
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    input = {
        "findingId": global_id("Finding", finding.id),
        "benefit": "IMPROVED_EFFICIENCY",
        "ownerId": plan.user_gid("a_owner"),
    }
    raised = (await ok(client, *RAISE, input, token=owner, tenant=tenant))["improvement"]
    assert raised == {
        "id": raised["id"],
        "reference": "IMP-001",
        "title": "Calibration records could be kept on line.",
        "source": "AUDIT",
        "status": "PROPOSED",
        "benefit": "IMPROVED_EFFICIENCY",
        "result": "",
        "program": {"id": plan.program_gid("a")},
        "findings": [{"reference": finding.reference}],
        "owner": {"name": "A Owner"},
        "history": [raised["history"][0]],
    }
    assert raised["history"][0]["action"] == "created"
    again = await call(client, *RAISE, input, token=owner, tenant=tenant)
    assert codes(again) == ["CONFLICT"]

    done = await ok(
        client,
        "updateImprovement",
        "UpdateImprovementInput",
        "improvement { status result }",
        {"id": raised["id"], "status": "DONE", "result": "Records on line since May."},
        token=owner,
        tenant=tenant,
    )
    assert done["improvement"] == {"status": "DONE", "result": "Records on line since May."}


async def test_observations_become_improvements_nonconformities_do_not(
    client: Client, plan: Plan, session: TenantSession, owner_a: Actor
) -> None:
    observation = await _opportunity(session, owner_a, plan, "observation")
    nonconformity = await raise_nc(session, owner_a, plan, "7.5.1")
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    made = await ok(
        client,
        *RAISE,
        {"findingId": global_id("Finding", observation.id), "benefit": "RISK_MANAGEMENT"},
        token=owner,
        tenant=tenant,
    )
    assert made["improvement"]["source"] == "AUDIT"
    refused = await call(
        client,
        *RAISE,
        {"findingId": global_id("Finding", nonconformity.id), "benefit": "RISK_MANAGEMENT"},
        token=owner,
        tenant=tenant,
    )
    assert refused["errors"][0]["field"] == ["findingId"]
    assert "corrective action" in refused["errors"][0]["message"]


async def test_a_review_output_becomes_an_improvement_of_its_actions_program(
    client: Client, plan: Plan, session: TenantSession, owner_a: Actor
) -> None:
    review = await plan_review(session, owner_a, plan, planned_on=days_ago(1))
    await reviews.hold_review(session, owner_a, review.id)
    _, action = await reviews.add_output(
        session,
        owner_a,
        review.id,
        reviews.NewOutput(
            kind="improvement",
            title="Shorten the quotation cycle",
            owner_id=plan.users["a_manager"],
            due_date=days_ago(-60),
        ),
    )
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    input = {"reviewOutputId": global_id("Action", action.id), "benefit": "CUSTOMER_SATISFACTION"}
    made = (await ok(client, *RAISE, input, token=owner, tenant=tenant))["improvement"]
    assert (made["title"], made["source"]) == ("Shorten the quotation cycle", "REVIEW")
    assert made["program"] == {"id": global_id("Program", action.program_id)}
    assert codes(await call(client, *RAISE, input, token=owner, tenant=tenant)) == ["CONFLICT"]


async def test_complaints_and_suggestions_name_their_program_and_exactly_one_origin(
    client: Client, plan: Plan
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    base = {"title": "Customers ask for delivery tracking", "benefit": "CUSTOMER_SATISFACTION"}
    made = await ok(
        client,
        *RAISE,
        base | {"programId": plan.program_gid("a"), "source": "COMPLAINT"},
        token=owner,
        tenant=tenant,
    )
    assert made["improvement"]["source"] == "COMPLAINT"
    for input, field in (
        (base, "findingId"),
        (base | {"programId": plan.program_gid("a"), "source": "AUDIT"}, "improvementSource"),
        (base | {"programId": plan.program_gid("a")}, "improvementSource"),
        (
            base | {"programId": plan.program_gid("a"), "source": "SUGGESTION", "benefit": None},
            "benefit",
        ),
    ):
        refused = await call(client, *RAISE, input, token=owner, tenant=tenant)
        assert refused["errors"][0]["field"] == [field], (input, refused)


async def test_the_improvement_register_filters_by_status_and_source(
    client: Client, plan: Plan
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    for title, source in (("Tracking", "COMPLAINT"), ("Canteen", "SUGGESTION")):
        await ok(
            client,
            *RAISE,
            {
                "programId": plan.program_gid("a"),
                "title": title,
                "source": source,
                "benefit": "CUSTOMER_SATISFACTION",
            },
            token=owner,
            tenant=tenant,
        )
    listed = """
    query($status: ImprovementStatus, $source: ImprovementSource) {
      improvements(status: $status, source: $source) { edges { node { title } } }
    }
    """

    async def titles(**variables: str) -> list[str]:
        data = await read(client, listed, token=owner, tenant=tenant, **variables)
        return [edge["node"]["title"] for edge in data["improvements"]["edges"]]

    assert await titles() == ["Tracking", "Canteen"]
    assert await titles(source="SUGGESTION") == ["Canteen"]
    assert await titles(status="PROPOSED") == ["Tracking", "Canteen"]
    assert await titles(status="DONE") == []
