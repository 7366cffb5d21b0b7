"""The findings API over HTTP: raising and answering a nonconformity, the list and its
filters, what auditors and other tenants see, and what the list costs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import count_statements
from tests.findings.helpers import TODAY, add_evidence, days_ago
from tests.planning.helpers import Plan
from tests.support import Client, global_id, gql, login

ERRORS = "errors { field code message }"
FINDING = """
id reference type source status statement objectiveEvidence dueDate isOverdue round
owner { name } raisedBy { name }
correction { text correctedOn } rootCause { method cause } implementedOn closureNote
requirements { requirement { number } program { id } }
correctiveActions { round action { title status owner { name } requirements { number } } }
effectivenessReviews { round dueDate verdict reviewedOn notes reviewer { name }
  evidence { title } }
evidence { title }
similar { reference }
"""
FINDINGS = f"""
query(
  $type: FindingType, $status: FindingStatus, $source: FindingSource, $programId: ID,
  $requirement: String, $overdue: Boolean, $open: Boolean, $first: Int
) {{
  findings(
    type: $type, status: $status, source: $source, programId: $programId,
    requirement: $requirement, overdue: $overdue, open: $open, first: $first
  ) {{ totalCount edges {{ node {{ {FINDING} }} }} }}
}}
"""
FINDING_BY_ID = f"query($id: ID!) {{ finding(id: $id) {{ {FINDING} }} }}"
NODE = "query($id: ID!) { node(id: $id) { __typename ... on Finding { reference } } }"
INPUTS = {
    "raiseFinding": "RaiseFindingInput",
    "updateFinding": "UpdateFindingInput",
    "recordCorrection": "RecordCorrectionInput",
    "recordRootCause": "RecordRootCauseInput",
    "addCorrectiveAction": "AddCorrectiveActionInput",
    "recordImplementation": "RecordImplementationInput",
    "reviewEffectiveness": "ReviewEffectivenessInput",
    "closeFinding": "CloseFindingInput",
}


async def mutate(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    document = (
        f"mutation($input: {INPUTS[name]}!) {{ {name}(input: $input) {{"
        f" finding {{ {FINDING} }} {ERRORS} }} }}"
    )
    body = await gql(client, document, {"input": input}, token=token, tenant=tenant)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


async def done(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    payload = await mutate(client, name, input, token=token, tenant=tenant)
    assert payload["errors"] == [], payload
    finding: dict[str, Any] = payload["finding"]
    return finding


def raise_input(plan: Plan, number: str = "7.5.1", **overrides: Any) -> dict[str, Any]:
    return {
        "type": "MINOR_NONCONFORMITY",
        "source": "INTERNAL_AUDIT",
        "statement": "Calibration records are missing for two gauges.",
        "objectiveEvidence": "Gauges G-12 and G-17 had no record for 2026.",
        "requirements": [{"programId": plan.program_gid("a"), "requirement": number}],
        "ownerId": plan.user_gid("a_manager"),
        **overrides,
    }


async def read(client: Client, document: str, token: str, tenant: str, **variables: Any) -> Any:
    body = await gql(client, document, variables, token=token, tenant=tenant)
    assert "errors" not in body, body
    return body["data"]


async def test_a_nonconformity_answered_through_the_api(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    sample = await add_evidence(owner_engine, plan.orgs["a"], "May sample")
    finding = await done(client, "raiseFinding", raise_input(plan), token=token, tenant=tenant)
    assert (finding["reference"], finding["status"]) == (f"NC-{TODAY.year}-001", "OPEN")
    assert finding["requirements"] == [
        {"requirement": {"number": "7.5.1"}, "program": {"id": plan.program_gid("a")}}
    ]
    assert (finding["owner"], finding["raisedBy"]) == ({"name": "A Manager"}, {"name": "A Owner"})
    steps: list[tuple[str, dict[str, Any]]] = [
        ("recordCorrection", {"correction": "Gauges quarantined.", "correctedOn": str(TODAY)}),
        ("recordRootCause", {"method": "FIVE_WHYS", "cause": "Nobody owned the plan."}),
    ]
    for name, values in steps:
        finding = await done(
            client, name, {"findingId": finding["id"], **values}, token=token, tenant=tenant
        )
    assert finding["rootCause"] == {"method": "FIVE_WHYS", "cause": "Nobody owned the plan."}

    added = await gql(
        client,
        "mutation($input: AddCorrectiveActionInput!) { addCorrectiveAction(input: $input) {"
        f" finding {{ status }} action {{ id title }} {ERRORS} }} }}",
        {
            "input": {
                "findingId": finding["id"],
                "title": "Own the calibration plan",
                "ownerId": plan.user_gid("a_manager"),
                "dueDate": str(TODAY + timedelta(days=30)),
            }
        },
        token=token,
        tenant=tenant,
    )
    payload = added["data"]["addCorrectiveAction"]
    assert (payload["errors"], payload["finding"]) == ([], {"status": "ACTION_PLANNED"})
    await gql(
        client,
        "mutation($id: ID!) { updateAction(input: {id: $id, status: DONE}) { errors { code } } }",
        {"id": payload["action"]["id"]},
        token=token,
        tenant=tenant,
    )
    implemented = {
        "implementedOn": str(TODAY),
        "reviewDueDate": str(TODAY + timedelta(days=60)),
        "reviewerId": plan.user_gid("a_admin"),
    }
    review = {"verdict": "EFFECTIVE", "evidenceIds": [global_id("EvidenceItem", sample)]}
    for name, values in (("recordImplementation", implemented), ("reviewEffectiveness", review)):
        finding = await done(
            client, name, {"findingId": finding["id"], **values}, token=token, tenant=tenant
        )
    [reviewed] = finding["effectivenessReviews"]
    assert (reviewed["verdict"], reviewed["reviewer"], reviewed["evidence"]) == (
        "EFFECTIVE",
        {"name": "A Admin"},
        [{"title": "May sample"}],
    )
    [corrective] = finding["correctiveActions"]
    assert corrective["action"]["requirements"] == [{"number": "7.5.1"}]
    closed = await done(
        client, "closeFinding", {"findingId": finding["id"]}, token=token, tenant=tenant
    )
    assert closed["status"] == "CLOSED"


async def test_a_step_out_of_order_is_a_user_error(client: Client, plan: Plan) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    finding = await done(client, "raiseFinding", raise_input(plan), token=token, tenant=tenant)
    payload = await mutate(
        client,
        "closeFinding",
        {"findingId": finding["id"], "note": "Done."},
        token=token,
        tenant=tenant,
    )
    assert payload["finding"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["findingId"])
    assert "has no correction yet" in error["message"]


async def test_the_list_filters_by_what_clients_ask(client: Client, plan: Plan) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    await done(client, "raiseFinding", raise_input(plan), token=token, tenant=tenant)
    major = raise_input(plan, "8.5.1", type="MAJOR_NONCONFORMITY", dueDate=str(days_ago(3)))
    await done(client, "raiseFinding", major, token=token, tenant=tenant)
    on_q = raise_input(
        plan,
        type="OBSERVATION",
        source="SELF_IDENTIFIED",
        requirements=[{"programId": plan.program_gid("a_q"), "requirement": "7.5"}],
    )
    await done(client, "raiseFinding", on_q, token=token, tenant=tenant)

    async def references(**variables: Any) -> list[str]:
        data = await read(client, FINDINGS, token, tenant, **variables)
        return [edge["node"]["reference"] for edge in data["findings"]["edges"]]

    year = TODAY.year
    nc1, nc2, obs = f"NC-{year}-001", f"NC-{year}-002", f"OBS-{year}-001"
    assert await references() == [nc1, nc2, obs]
    assert await references(type="MAJOR_NONCONFORMITY") == [nc2]
    assert await references(source="SELF_IDENTIFIED") == [obs]
    assert await references(programId=plan.program_gid("a")) == [nc1, nc2]
    assert await references(programId=plan.program_gid("a"), requirement="8.5.1") == [nc2]
    requirement_id = global_id("Requirement", plan.clauses[("Q", "7.5")])
    assert await references(requirement=requirement_id) == [obs]
    assert await references(overdue=True) == [nc2]
    assert await references(open=False) == []
    assert await references(status="OPEN", overdue=False) == [nc1, obs]
    data = await read(client, FINDINGS, token, tenant, type="MINOR_NONCONFORMITY")
    [node] = [edge["node"] for edge in data["findings"]["edges"]]
    assert node["similar"] == []  # the observation on Q's 7.5 is not a nonconformity


async def test_similar_nonconformities_reach_the_client(client: Client, plan: Plan) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    first = await done(client, "raiseFinding", raise_input(plan), token=token, tenant=tenant)
    on_q = raise_input(
        plan, requirements=[{"programId": plan.program_gid("a_q"), "requirement": "7.5"}]
    )
    second = await done(client, "raiseFinding", on_q, token=token, tenant=tenant)
    assert second["similar"] == [{"reference": first["reference"]}]


async def test_auditors_read_findings_and_change_nothing_and_others_see_nothing(
    client: Client, plan: Plan
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    finding = await done(client, "raiseFinding", raise_input(plan), token=owner, tenant=tenant)

    auditor = await login(client, "auditor")
    data = await read(client, FINDING_BY_ID, auditor, tenant, id=finding["id"])
    assert data["finding"]["reference"] == finding["reference"]
    refused = await mutate(
        client,
        "recordCorrection",
        {"findingId": finding["id"], "correction": "x", "correctedOn": str(TODAY)},
        token=auditor,
        tenant=tenant,
    )
    assert [error["code"] for error in refused["errors"]] == ["FORBIDDEN"]
    raised = await mutate(client, "raiseFinding", raise_input(plan), token=auditor, tenant=tenant)
    assert [error["code"] for error in raised["errors"]] == ["FORBIDDEN"]

    stranger, b_tenant = await login(client, "b_owner"), plan.org_gid("b")
    assert (await read(client, FINDINGS, stranger, b_tenant))["findings"]["totalCount"] == 0
    assert (await read(client, NODE, stranger, b_tenant, id=finding["id"]))["node"] is None
    assert (await read(client, FINDING_BY_ID, stranger, b_tenant, id=finding["id"]))[
        "finding"
    ] is None
    hidden = await mutate(
        client, "closeFinding", {"findingId": finding["id"]}, token=stranger, tenant=b_tenant
    )
    assert [error["code"] for error in hidden["errors"]] == ["NOT_FOUND"]
    still = await read(client, FINDING_BY_ID, owner, tenant, id=finding["id"])
    assert (still["finding"]["status"], still["finding"]["correction"]) == ("OPEN", None)


async def _raise_answered(client: Client, plan: Plan, token: str, count: int) -> None:
    """`count` nonconformities, each with a correction, a root cause and a corrective action."""
    tenant = plan.org_gid("a")
    for index in range(count):
        number = ("7.5.1", "7.5.2", "8.5.1")[index % 3]
        program = "a" if index % 2 else "a_q"
        requirement = number if program == "a" else "7.5"
        finding = await done(
            client,
            "raiseFinding",
            raise_input(
                plan,
                requirements=[{"programId": plan.program_gid(program), "requirement": requirement}],
            ),
            token=token,
            tenant=tenant,
        )
        await done(
            client,
            "recordCorrection",
            {"findingId": finding["id"], "correction": "Contained.", "correctedOn": str(TODAY)},
            token=token,
            tenant=tenant,
        )
        await done(
            client,
            "recordRootCause",
            {"findingId": finding["id"], "method": "OTHER", "cause": "No owner."},
            token=token,
            tenant=tenant,
        )
        await gql(
            client,
            "mutation($input: AddCorrectiveActionInput!) {"
            " addCorrectiveAction(input: $input) { errors { code } } }",
            {
                "input": {
                    "findingId": finding["id"],
                    "title": f"Fix {index}",
                    "ownerId": plan.user_gid("a_manager"),
                    "dueDate": str(TODAY),
                }
            },
            token=token,
            tenant=tenant,
        )


async def test_the_list_costs_the_same_for_3_and_12_findings(
    client: Client, plan: Plan, app: Litestar
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")

    async def statements() -> tuple[int, int]:
        with count_statements(app.state.runtime.engine) as sent:
            data = await read(client, FINDINGS, token, tenant, first=20)
        return len(sent), data["findings"]["totalCount"]

    await _raise_answered(client, plan, token, 3)
    await statements()  # warm up: connection set-up is not the query's cost
    with_three, listed = await statements()
    assert listed == 3
    await _raise_answered(client, plan, token, 9)
    with_twelve, listed = await statements()
    assert listed == 12
    assert 0 < with_three == with_twelve


HISTORY = """
query($programId: ID!) {
  assessments(programId: $programId, clause: "7.5.1") {
    edges { node { status history { source before { status } after { status }
      changedBy { name } finding { reference } } } }
  }
}
"""


async def test_the_gap_analysis_history_names_the_finding_as_its_source(
    client: Client, plan: Plan
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    finding = await done(client, "raiseFinding", raise_input(plan), token=token, tenant=tenant)
    data = await read(client, HISTORY, token, tenant, programId=plan.program_gid("a"))
    [edge] = data["assessments"]["edges"]
    assert edge["node"]["status"] == "PARTIAL"
    assert edge["node"]["history"] == [
        {
            "source": "FINDING",
            "before": {"status": "CONFORMANT"},
            "after": {"status": "PARTIAL"},
            "changedBy": {"name": "A Owner"},
            "finding": {"reference": finding["reference"]},
        }
    ]
