"""The documents API over HTTP: the lifecycle, versions with files, lists and their cost."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import count_statements
from tests.documents.helpers import DOCUMENTS, Setup, codes, done, mutate
from tests.support import Client, global_id, gql, login
from tests.tenants.helpers import owner_execute

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename
    ... on ControlledDocument { code }
    ... on DocumentVersion { number }
  }
}
"""


async def test_a_document_from_draft_to_approval(client: Client, setup: Setup) -> None:
    tenant = setup.org_gid("a")
    author = await login(client, "a_contributor")
    document = await done(
        client,
        "createDocument",
        {
            "type": "PROCEDURE",
            "code": "QP-04",
            "title": "Control of documented information",
            "ownerId": setup.user_gid("a_manager"),
            "reviewIntervalDays": 180,
        },
        token=author,
        tenant=tenant,
    )
    assert (document["status"], document["owner"], document["reviewIntervalDays"]) == (
        "DRAFT",
        {"name": "A Manager"},
        180,
    )
    assert (document["versions"], document["currentVersion"], document["reviewDue"]) == (
        [],
        None,
        False,
    )
    linked = await done(
        client,
        "linkDocumentRequirement",
        {"documentId": document["id"], "programId": setup.program_gid("a"), "requirement": "7.5.1"},
        token=author,
        tenant=tenant,
    )
    assert linked["requirements"] == [
        {"requirement": {"number": "7.5.1"}, "program": {"id": setup.program_gid("a")}}
    ]
    payload = await mutate(
        client,
        "addDocumentVersion",
        {
            "documentId": document["id"],
            "changeSummary": "First issue",
            "evidenceVersionId": setup.file_gid("a"),
        },
        token=author,
        tenant=tenant,
    )
    assert payload["errors"] == []
    assert payload["version"]["file"] == setup.file_gid("a")
    assert payload["version"]["author"] == {"name": "A Contributor"}
    await done(
        client, "submitDocumentForReview", {"id": document["id"]}, token=author, tenant=tenant
    )

    refused = await mutate(
        client, "approveDocument", {"id": document["id"]}, token=author, tenant=tenant
    )
    assert codes(refused) == ["FORBIDDEN"]
    manager = await login(client, "a_manager")
    approved = await done(
        client, "approveDocument", {"id": document["id"]}, token=manager, tenant=tenant
    )
    assert approved["status"] == "APPROVED"
    assert approved["currentVersion"] == {"number": 1}
    [version] = approved["versions"]
    assert version["approver"] == {"name": "A Manager"}
    assert version["approvedAt"] == approved["approvedAt"]
    assert approved["nextReviewOn"] is not None

    revised = await mutate(
        client,
        "addDocumentVersion",
        {"documentId": document["id"], "changeSummary": "Revision"},
        token=author,
        tenant=tenant,
    )
    assert revised["version"]["number"] == 2
    assert revised["document"]["status"] == "DRAFT"
    assert revised["document"]["currentVersion"] == {"number": 1}  # still in force

    node = await gql(client, NODE, {"id": document["id"]}, token=author, tenant=tenant)
    assert node["data"]["node"] == {"__typename": "ControlledDocument", "code": "QP-04"}
    node = await gql(client, NODE, {"id": revised["version"]["id"]}, token=author, tenant=tenant)
    assert node["data"]["node"] == {"__typename": "DocumentVersion", "number": 2}
    b_token = await login(client, "b_owner")
    hidden = await gql(client, NODE, {"id": document["id"]}, token=b_token)
    assert hidden["data"]["node"] is None


async def test_update_keeps_what_is_not_given_and_a_taken_code_conflicts(
    client: Client, setup: Setup
) -> None:
    token, tenant = await login(client, "a_owner"), setup.org_gid("a")
    first = {"type": "POLICY", "code": "QP-01", "title": "Quality policy"}
    document = await done(
        client,
        "createDocument",
        {**first, "ownerId": setup.user_gid("a_admin")},
        token=token,
        tenant=tenant,
    )
    updated = await done(
        client,
        "updateDocument",
        {"id": document["id"], "title": "Policy", "ownerId": None},
        token=token,
        tenant=tenant,
    )
    assert (updated["title"], updated["code"], updated["owner"]) == ("Policy", "QP-01", None)
    again = await mutate(client, "createDocument", first, token=token, tenant=tenant)
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("CONFLICT", ["code"])]


async def test_a_file_of_another_tenant_is_refused_like_a_random_id(
    client: Client, setup: Setup
) -> None:
    token, tenant = await login(client, "a_owner"), setup.org_gid("a")
    document = await done(
        client,
        "createDocument",
        {"type": "FORM", "code": "F-1", "title": "Form"},
        token=token,
        tenant=tenant,
    )
    answers = []
    for file in (setup.file_gid("b"), global_id("EvidenceVersion", uuid.uuid4())):
        payload = await mutate(
            client,
            "addDocumentVersion",
            {"documentId": document["id"], "evidenceVersionId": file},
            token=token,
            tenant=tenant,
        )
        assert payload["version"] is None
        answers.append(payload["errors"])
    assert answers[0] == answers[1]
    assert [(e["code"], e["field"]) for e in answers[0]] == [("NOT_FOUND", ["evidenceVersionId"])]


async def test_documents_filters(client: Client, setup: Setup, owner_engine: AsyncEngine) -> None:
    token, tenant = await login(client, "a_owner"), setup.org_gid("a")
    for code, kind in (("A-1", "POLICY"), ("A-2", "FORM"), ("A-3", "FORM")):
        await done(
            client,
            "createDocument",
            {"type": kind, "code": code, "title": code},
            token=token,
            tenant=tenant,
        )
    await owner_execute(
        owner_engine,
        "UPDATE controlled_documents SET status = 'approved', review_interval_days = 10,"
        " approved_at = now() - interval '20 days' WHERE code = 'A-2'",
    )

    async def listed(**variables: object) -> list[str]:
        body = await gql(client, DOCUMENTS, variables, token=token, tenant=tenant)
        return [edge["node"]["code"] for edge in body["data"]["documents"]["edges"]]

    assert await listed() == ["A-1", "A-2", "A-3"]
    assert await listed(type="FORM") == ["A-2", "A-3"]
    assert await listed(status="APPROVED") == ["A-2"]
    assert await listed(reviewDue=True) == ["A-2"]
    assert await listed(reviewDue=False) == ["A-1", "A-3"]
    assert await listed(first=1) == ["A-1"]


async def test_the_documents_list_costs_the_same_for_more_documents(
    client: Client, setup: Setup
) -> None:
    token, tenant = await login(client, "a_owner"), setup.org_gid("a")

    async def add(count: int, start: int) -> None:
        for number in range(start, start + count):
            document = await done(
                client,
                "createDocument",
                {"type": "FORM", "code": f"F-{number:02}", "title": "Form"},
                token=token,
                tenant=tenant,
            )
            await done(
                client,
                "linkDocumentRequirement",
                {
                    "documentId": document["id"],
                    "programId": setup.program_gid("a"),
                    "requirement": "7.5.1",
                },
                token=token,
                tenant=tenant,
            )
            await mutate(
                client,
                "addDocumentVersion",
                {"documentId": document["id"], "changeSummary": "v1"},
                token=token,
                tenant=tenant,
            )

    async def cost() -> int:
        with count_statements() as statements:
            body = await gql(client, DOCUMENTS, token=token, tenant=tenant)
        assert "errors" not in body
        return len(statements)

    await add(2, 0)
    few = await cost()
    await add(6, 2)
    assert await cost() == few
    # scope, count, page, then one per list field (the tenants' calendars included): never per row
    assert few <= 10, few
