"""GraphQL documents and request helpers shared by the planning API tests."""

from __future__ import annotations

from typing import Any

from tests.planning.helpers import Plan
from tests.support import Client, gql

ERRORS = "errors { field code message }"
OBJECTIVE = "id statement indicator target benefit status dueDate isMeasurable owner { name }"
ACTION = (
    "id title description status dueDate effortHours completedAt isOverdue"
    " owner { name } objective { statement } requirements { id number }"
)
MILESTONE = "id title dueDate isReached isOverdue reachedAt"
MUTATIONS = {
    "createObjective": ("CreateObjectiveInput", f"objective {{ {OBJECTIVE} }}"),
    "updateObjective": ("UpdateObjectiveInput", f"objective {{ {OBJECTIVE} }}"),
    "createAction": ("CreateActionInput", f"action {{ {ACTION} }}"),
    "updateAction": ("UpdateActionInput", f"action {{ {ACTION} }}"),
    "createMilestone": ("CreateMilestoneInput", f"milestone {{ {MILESTONE} }}"),
    "updateMilestone": ("UpdateMilestoneInput", f"milestone {{ {MILESTONE} }}"),
}
OBJECTIVES = f"""
query($programId: ID!, $status: ObjectiveStatus) {{
  objectives(programId: $programId, status: $status) {{
    totalCount edges {{ node {{ {OBJECTIVE} }} }}
  }}
}}
"""
ACTIONS = f"""
query(
  $programId: ID!, $status: ActionStatus, $overdue: Boolean, $owner: ID, $requirement: String,
  $first: Int
) {{
  actions(
    programId: $programId, status: $status, overdue: $overdue, owner: $owner,
    requirement: $requirement, first: $first
  ) {{ totalCount edges {{ node {{ {ACTION} }} }} }}
}}
"""
MILESTONES = f"query($programId: ID!) {{ milestones(programId: $programId) {{ {MILESTONE} }} }}"
NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename
    ... on Objective { statement }
    ... on Action { title }
    ... on Milestone { title }
  }
}
"""


def mutation_document(name: str) -> str:
    input_type, result = MUTATIONS[name]
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {result} {ERRORS} }} }}"


async def mutate(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    body = await gql(client, mutation_document(name), {"input": input}, token=token, tenant=tenant)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


async def created(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    """The object a create or update mutation returns; it must succeed."""
    payload = await mutate(client, name, input, token=token, tenant=tenant)
    assert payload["errors"] == [], payload
    [result] = [value for key, value in payload.items() if key != "errors"]
    assert isinstance(result, dict)
    return result


async def read(client: Client, document: str, token: str, tenant: str, **variables: Any) -> Any:
    body = await gql(client, document, variables, token=token, tenant=tenant)
    assert "errors" not in body, body
    return body["data"]


def objective_input(plan: Plan, **overrides: Any) -> dict[str, Any]:
    return {
        "programId": plan.program_gid("a"),
        "statement": "Ship on time",
        "indicator": "Orders shipped by the promised date",
        "target": "98 %",
        "benefit": "CUSTOMER_SATISFACTION",
        **overrides,
    }


def titles(data: dict[str, Any], field: str = "actions") -> list[str]:
    return [edge["node"]["title"] for edge in data[field]["edges"]]
