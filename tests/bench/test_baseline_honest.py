"""The benchmark's hand-written dashboard answers exactly what the GraphQL dashboard answers.

`make bench` divides certready's dashboard throughput by the baseline's; the ratio means
something only while both produce the same JSON for the same program. Both run in-process
here, against the test database, on a program with every kind of criterion verdict.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from backend.settings import Settings
from tests.bench.baselines import PLAIN_ANSWER, dashboard_app, plain_app
from tests.bench.scenarios import DASHBOARD, LARGE, SMALL, body, gql, headers, start_program
from tests.support import Client, World, global_id, login

_IDS = """
query Ids($id: ID!) { assessments(programId: $id, first: 500) {
  edges { node { requirement { id number } } } } }
"""
_ASSESS = """
mutation Assess($input: AssessRequirementsInput!) {
  assessRequirements(input: $input) { errors { code message } }
}
"""
_ACTION = """
mutation Action($input: CreateActionInput!) {
  createAction(input: $input) { errors { code message } }
}
"""
_OBJECTIVE = """
mutation Objective($input: CreateObjectiveInput!) {
  createObjective(input: $input) { errors { code message } }
}
"""
_SESSION = """
mutation Session($input: CreateTrainingSessionInput!) {
  createTrainingSession(input: $input) { trainingSession { id } errors { code message } }
}
"""
_ATTENDANCE = """
mutation Attend($input: RecordAttendanceInput!) {
  recordAttendance(input: $input) { errors { code message } }
}
"""


async def _varied(client: Client, world: World, token: str, tenant: str, program: str) -> None:
    """Assessments of every status, an action for one gap, an objective, training."""
    data = await gql(client, _IDS, {"id": program}, token=token, tenant=tenant)
    requirements = [edge["node"]["requirement"] for edge in data["assessments"]["edges"]]
    statuses = [
        {"status": "CONFORMANT", "currentPractice": "Done."},
        {"status": "PARTIAL", "gapDescription": "Half done.", "priority": "MEDIUM"},
        {"status": "NONCONFORMANT", "gapDescription": "Not done.", "priority": "HIGH"},
        {"status": "NONCONFORMANT", "gapDescription": "Not done either.", "priority": "LOW"},
    ]
    items = [
        {"requirementId": requirement["id"], **statuses[index % len(statuses)]}
        for index, requirement in enumerate(requirements[:20])
    ]
    items.append(
        {"requirementId": requirements[-1]["id"], "status": "NOT_APPLICABLE", "justification": "-"}
    )
    await gql(
        client,
        _ASSESS,
        {"input": {"programId": program, "items": items}},
        token=token,
        tenant=tenant,
    )
    owner = global_id("User", world.users["a_owner"].id)
    due = (date.today() + timedelta(days=30)).isoformat()
    action = {"programId": program, "title": "Close the gap", "ownerId": owner, "dueDate": due}
    for numbers in (
        [requirements[1]["number"]],
        [requirements[1]["number"], requirements[2]["number"]],
    ):
        variables = {"input": action | {"requirements": numbers}}
        await gql(client, _ACTION, variables, token=token, tenant=tenant)
    objective = {
        "programId": program,
        "statement": "Fewer incidents.",
        "indicator": "Incidents per quarter",
        "target": "At most 2",
        "benefit": "RISK_MANAGEMENT",
    }
    await gql(client, _OBJECTIVE, {"input": objective}, token=token, tenant=tenant)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    for topic, status in (("Awareness", "HELD"), ("Risk owners", "PLANNED")):
        session = {
            "programId": program,
            "type": "WORKSHOP",
            "topic": topic,
            "heldOn": yesterday if status == "HELD" else due,
            "durationMinutes": 60,
            "status": status,
        }
        made = await gql(client, _SESSION, {"input": session}, token=token, tenant=tenant)
        if status == "HELD":
            session_id = made["createTrainingSession"]["trainingSession"]["id"]
            for name, attended in (("Ann", True), ("Bob", False)):
                attendance = {
                    "sessionId": session_id,
                    "personName": name,
                    "jobRole": "operator",
                    "attended": attended,
                }
                await gql(client, _ATTENDANCE, {"input": attendance}, token=token, tenant=tenant)


async def _both(
    client: Client, baseline: Client, token: str, tenant: str, program: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    api = await gql(client, DASHBOARD, {"id": program}, token=token, tenant=tenant)
    response = await baseline.post(
        "/graphql", json=body(DASHBOARD, {"id": program}), headers=headers(token, tenant)
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return api, answer["data"]


async def test_the_dashboard_baseline_answers_what_the_api_answers(
    client: Client, world: World, migrated: Settings
) -> None:
    token = await login(client, "a_owner")
    tenant = world.org_gid("a")
    large = await start_program(client, token, tenant, LARGE)
    small = await start_program(client, token, tenant, SMALL)
    await _varied(client, world, token, tenant, large)
    async with AsyncTestClient(dashboard_app(migrated)) as baseline:
        api, handmade = await _both(client, baseline, token, tenant, large)
        assert api["assessments"]["totalCount"] == 123
        assert {edge["node"]["status"] for edge in api["assessments"]["edges"]} == {
            "CONFORMANT",
            "PARTIAL",
            "NONCONFORMANT",
            "NOT_APPLICABLE",
            "NOT_ASSESSED",
        }
        assert handmade == api
        api, handmade = await _both(client, baseline, token, tenant, small)
        assert handmade == api
        # Without the tenant header (reading every entitled tenant) and for another tenant's
        # program, too.
        api, handmade = await _both(client, baseline, token, "", large)
        assert handmade == api
        b_token = await login(client, "b_owner")
        api, handmade = await _both(client, baseline, b_token, world.org_gid("b"), large)
        assert api == handmade == {"program": None, "assessments": {"totalCount": 0, "edges": []}}
        refused = await baseline.post(
            "/graphql", json=body(DASHBOARD, {"id": large}), headers=headers(b_token, tenant)
        )
        assert refused.status_code == 404


async def test_the_plain_baseline_answers_like_typename() -> None:
    async with AsyncTestClient(plain_app()) as plain:
        response = await plain.post("/graphql", json=body("{ __typename }"))
    assert response.status_code == 200
    assert response.json() == PLAIN_ANSWER
