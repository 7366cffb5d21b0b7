"""The management review API over HTTP: a review from plan to signature, the list and its
filters, what auditors, viewers and other tenants may do, bad input, and what a review costs
to read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.runtime import Runtime
from tenants.scope import TenantScope
from tests.api.helpers import count_statements
from tests.findings.helpers import TODAY
from tests.planning.helpers import Plan
from tests.reviews.helpers import program_on, review_rows
from tests.support import Client, global_id, gql, login

ERRORS = "errors { field code message }"
REVIEW = """
id title status allowedTransitions locked periodStart plannedOn heldOn preparedAt signedAt
chair { name } signedBy { name } programs { id } attendees { name user { name } }
inputs { id kind standard assembled figures { label value } links { typeName id label } notes }
outputs { kind action { title status dueDate owner { name } } }
"""
REVIEW_BY_ID = f"query($id: ID!) {{ managementReview(id: $id) {{ {REVIEW} }} }}"
NODE = "query($id: ID!) { node(id: $id) { __typename ... on ManagementReview { title } } }"
REVIEWS = """
query($programId: ID, $status: ManagementReviewStatus, $organization: ID) {
  managementReviews(programId: $programId, status: $status, organization: $organization) {
    totalCount edges { node { title status } }
  }
}
"""
PAYLOADS = {
    "planManagementReview": ("PlanManagementReviewInput", f"review {{ {REVIEW} }}"),
    "updateManagementReview": ("UpdateManagementReviewInput", "review { title }"),
    "prepareManagementReview": ("PrepareManagementReviewInput", f"review {{ {REVIEW} }}"),
    "holdManagementReview": ("HoldManagementReviewInput", "review { status heldOn }"),
    "recordReviewInput": ("RecordReviewInputInput", "input { kind notes }"),
    "addReviewOutput": ("AddReviewOutputInput", "review { title } action { title status }"),
    "signManagementReview": ("SignManagementReviewInput", "review { status locked }"),
}


async def mutate(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    kind, fields = PAYLOADS[name]
    document = f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {fields} {ERRORS} }} }}"
    body = await gql(client, document, {"input": input}, token=token, tenant=tenant)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


async def done(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    payload = await mutate(client, name, input, token=token, tenant=tenant)
    assert payload["errors"] == [], payload
    return payload


async def read(client: Client, document: str, token: str, tenant: str, **variables: Any) -> Any:
    body = await gql(client, document, variables, token=token, tenant=tenant)
    assert "errors" not in body, body
    return body["data"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


def review_input(plan: Plan, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "Management review 2026",
        "plannedOn": str(TODAY),
        "chairId": plan.user_gid("a_owner"),
        "programIds": [plan.program_gid("a"), plan.program_gid("a_q")],
        "attendees": [{"userId": plan.user_gid("a_manager")}, {"name": "Dana External"}],
        **overrides,
    }


def output_input(plan: Plan, review_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "reviewId": review_id,
        "kind": "RESOURCES",
        "title": "Buy a calibration rig",
        "ownerId": plan.user_gid("a_manager"),
        "dueDate": str(TODAY + timedelta(days=60)),
        **overrides,
    }


async def _planned(client: Client, plan: Plan, token: str, **overrides: Any) -> dict[str, Any]:
    payload = await done(
        client,
        "planManagementReview",
        review_input(plan, **overrides),
        token=token,
        tenant=plan.org_gid("a"),
    )
    review: dict[str, Any] = payload["review"]
    return review


async def test_a_review_from_plan_to_signature(client: Client, plan: Plan) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    review = await _planned(client, plan, owner)
    assert (review["status"], review["allowedTransitions"], review["inputs"]) == (
        "PLANNED",
        ["HELD"],
        [],
    )
    assert [a["name"] for a in review["attendees"]] == ["A Manager", "Dana External"]
    assert review["periodStart"] == str(TODAY - timedelta(days=365))
    prepared = (
        await done(
            client, "prepareManagementReview", {"id": review["id"]}, token=owner, tenant=tenant
        )
    )["review"]
    assert len(prepared["inputs"]) == 9
    first = prepared["inputs"][0]
    assert (first["kind"], first["assembled"]) == ("PREVIOUS_ACTIONS", True)
    noted = await done(
        client,
        "recordReviewInput",
        {"inputId": first["id"], "notes": "Nothing carried over."},
        token=owner,
        tenant=tenant,
    )
    assert noted["input"] == {"kind": "PREVIOUS_ACTIONS", "notes": "Nothing carried over."}
    held = await done(
        client, "holdManagementReview", {"id": review["id"]}, token=owner, tenant=tenant
    )
    assert held["review"] == {"status": "HELD", "heldOn": str(TODAY)}
    added = await done(
        client, "addReviewOutput", output_input(plan, review["id"]), token=owner, tenant=tenant
    )
    assert added["action"] == {"title": "Buy a calibration rig", "status": "OPEN"}
    signed = await done(
        client, "signManagementReview", {"id": review["id"]}, token=owner, tenant=tenant
    )
    assert signed["review"] == {"status": "SIGNED", "locked": True}
    locked = await mutate(
        client,
        "recordReviewInput",
        {"inputId": first["id"], "notes": "Later."},
        token=owner,
        tenant=tenant,
    )
    assert codes(locked) == ["LOCKED"]
    seen = (await read(client, REVIEW_BY_ID, owner, tenant, id=review["id"]))["managementReview"]
    assert seen["signedBy"] == {"name": "A Owner"}
    assert seen["outputs"] == [
        {
            "kind": "RESOURCES",
            "action": {
                "title": "Buy a calibration rig",
                "status": "OPEN",
                "dueDate": str(TODAY + timedelta(days=60)),
                "owner": {"name": "A Manager"},
            },
        }
    ]
    listed = await read(client, REVIEWS, owner, tenant, programId=plan.program_gid("a_q"))
    assert listed["managementReviews"]["totalCount"] == 1
    for status, count in (("SIGNED", 1), ("PLANNED", 0)):
        found = await read(client, REVIEWS, owner, tenant, status=status)
        assert found["managementReviews"]["totalCount"] == count
    other = await read(client, REVIEWS, owner, tenant, organization=plan.org_gid("b"))
    assert other["managementReviews"]["totalCount"] == 0


async def test_bad_input_is_a_user_error_and_changes_nothing(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    review = await _planned(client, plan, owner)
    before = await review_rows(owner_engine)
    for name, input, field in (
        ("planManagementReview", review_input(plan, programIds=[]), ["programIds"]),
        ("planManagementReview", review_input(plan, chairId=plan.user_gid("b_owner")), ["chairId"]),
        ("planManagementReview", review_input(plan, chairId=plan.program_gid("a")), ["chairId"]),
        (
            "planManagementReview",
            review_input(plan, attendees=[{"name": "Dana", "userId": plan.user_gid("a_owner")}]),
            ["attendees", "0"],
        ),
        (
            "holdManagementReview",
            {"id": review["id"], "heldOn": str(TODAY + timedelta(days=1))},
            ["heldOn"],
        ),
        ("addReviewOutput", output_input(plan, review["id"]), ["id"]),
        ("signManagementReview", {"id": review["id"]}, ["id"]),
    ):
        refused = await mutate(client, name, input, token=owner, tenant=tenant)
        assert codes(refused) == ["INVALID"], (name, refused)
        assert refused["errors"][0]["field"] == field, (name, refused)
    assert await review_rows(owner_engine) == before


async def test_auditors_read_and_change_nothing_viewers_are_forbidden_others_see_nothing(
    client: Client, plan: Plan, owner_engine: AsyncEngine, runtime: Runtime
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    review = await _planned(client, plan, owner)
    await done(client, "prepareManagementReview", {"id": review["id"]}, token=owner, tenant=tenant)
    before = await review_rows(owner_engine)
    for user in ("auditor", "a_viewer"):
        token = await login(client, user)
        seen = (await read(client, REVIEW_BY_ID, token, tenant, id=review["id"]))[
            "managementReview"
        ]
        assert (seen["title"], len(seen["inputs"])) == ("Management review 2026", 9)
        for name, input in (
            ("planManagementReview", review_input(plan)),
            ("updateManagementReview", {"id": review["id"], "title": "Mine"}),
            ("prepareManagementReview", {"id": review["id"]}),
            ("holdManagementReview", {"id": review["id"]}),
            ("recordReviewInput", {"inputId": seen["inputs"][0]["id"], "notes": "x"}),
            ("signManagementReview", {"id": review["id"]}),
        ):
            refused = await mutate(client, name, input, token=token, tenant=tenant)
            assert codes(refused) == ["FORBIDDEN"], (user, name, refused)
    assert await review_rows(owner_engine) == before

    # The database itself refuses a reader: no write tenant, so nothing is touched.
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(plan.users["auditor"], frozenset({plan.orgs["a"]}), None))
        changed = await db.execute(text("UPDATE management_reviews SET title = 'Mine'"))
        assert changed.rowcount == 0  # type: ignore[attr-defined]
        await db.rollback()

    stranger, b_tenant = await login(client, "b_owner"), plan.org_gid("b")
    assert (await read(client, REVIEWS, stranger, b_tenant))["managementReviews"]["totalCount"] == 0
    assert (await read(client, NODE, stranger, b_tenant, id=review["id"]))["node"] is None
    hidden = await mutate(
        client, "holdManagementReview", {"id": review["id"]}, token=stranger, tenant=b_tenant
    )
    assert codes(hidden) == ["NOT_FOUND"]


async def test_a_review_with_many_inputs_and_outputs_costs_what_a_small_one_costs(
    client: Client, plan: Plan, app: Litestar, owner_engine: AsyncEngine
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    iso = [
        global_id("Program", await program_on(owner_engine, plan, number))
        for number in ("9001", "14001", "45001", "27001")
    ]

    async def review_with(outputs: int, **overrides: Any) -> str:
        review = await _planned(client, plan, owner, **overrides)
        await done(client, "holdManagementReview", {"id": review["id"]}, token=owner, tenant=tenant)
        for number in range(outputs):
            await done(
                client,
                "addReviewOutput",
                output_input(plan, review["id"], title=f"Output {number}"),
                token=owner,
                tenant=tenant,
            )
        review_id: str = review["id"]
        return review_id

    small = await review_with(1, programIds=[plan.program_gid("a")], attendees=[])
    large = await review_with(12, programIds=[plan.program_gid("a"), *iso])

    async def cost(review_id: str) -> tuple[int, int, int, int]:
        await read(client, REVIEW_BY_ID, owner, tenant, id=review_id)  # warm up
        with count_statements(app.state.runtime.engine) as sent:
            data = (await read(client, REVIEW_BY_ID, owner, tenant, id=review_id))[
                "managementReview"
            ]
        return len(sent), len(data["outputs"]), len(data["inputs"]), len(data["attendees"])

    small_cost, *small_size = await cost(small)
    large_cost, *large_size = await cost(large)
    assert (small_size, large_size) == ([1, 9, 0], [12, 19, 2])  # every standard's inputs
    assert 0 < small_cost == large_cost
    print(
        f"statements to read a review: {small_cost} for 9 inputs and 1 output,"
        f" {large_cost} for 19 inputs and 12 outputs"
    )
