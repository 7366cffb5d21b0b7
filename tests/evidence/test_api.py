"""The evidence API over HTTP, with the app's own local store: upload, confirm, link, list,
download, and what other tenants and auditors may not do."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import count_statements
from tests.evidence.helpers import EXPECTS_EVIDENCE, count_rows
from tests.planning.helpers import Plan
from tests.support import Client, World, global_id, gql, login

ERRORS = "errors { field code message }"
VERSION = (
    "id evidence { id } filename contentType sizeBytes sha256 status rejectionReason"
    " confirmedAt uploadedBy { name }"
)
REQUEST = f"""
mutation($input: RequestEvidenceUploadInput!) {{
  requestEvidenceUpload(input: $input) {{
    version {{ {VERSION} }} ticket {{ url method expiresAt headers {{ name value }} }} {ERRORS}
  }}
}}
"""
CONFIRM = f"""
mutation($id: ID!) {{
  confirmEvidenceUpload(input: {{versionId: $id}}) {{ version {{ {VERSION} }} {ERRORS} }}
}}
"""
DOWNLOAD = f"""
mutation($id: ID!) {{
  evidenceDownloadUrl(input: {{versionId: $id}}) {{ url expiresAt {ERRORS} }}
}}
"""
LINK = f"""
mutation($input: LinkEvidenceInput!) {{
  linkEvidence(input: $input) {{ link {{ id requirement {{ number }} }} {ERRORS} }}
}}
"""
DELETE = f"""
mutation($id: ID!) {{
  deleteEvidence(input: {{id: $id}}) {{ evidence {{ id deletedAt }} {ERRORS} }}
}}
"""
LIST = """
query($programId: ID!, $freshness: EvidenceFreshness, $requirement: String) {
  evidence(programId: $programId, freshness: $freshness, requirement: $requirement) {
    totalCount
    edges { node {
      id title kind freshness owner { name }
      currentVersion { sha256 uploadedBy { name } }
      versions { status }
      links { requirement { number } program { id } step { number } action { title } }
    } }
  }
}
"""
BY_REQUIREMENT = """
query($programId: ID!) {
  requirementEvidence(programId: $programId) {
    number title expectsEvidence freshness flagged
    evidence { freshness evidence { title } version { sha256 confirmedAt uploadedBy { name } } }
  }
}
"""
DATA = b"%PDF-1.7 internal audit report, signed"
BROWSER_ORIGIN = "https://app.example"  # allowed by the test settings (tests/conftest.py)


def _declared(data: bytes = DATA) -> dict[str, Any]:
    return {
        "filename": "reports/audit.pdf",
        "contentType": "application/pdf",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


async def _request(client: Client, token: str, tenant: str, **input: Any) -> dict[str, Any]:
    body = await gql(client, REQUEST, {"input": input}, token=token, tenant=tenant)
    payload: dict[str, Any] = body["data"]["requestEvidenceUpload"]
    return payload


async def _put(client: Client, ticket: dict[str, Any], data: bytes) -> int:
    """Send the bytes where the ticket says, as a browser would (the app serves the URL)."""
    url = urlsplit(ticket["url"])
    headers = {header["name"]: header["value"] for header in ticket["headers"]}
    response = await client.request(ticket["method"], url.path, content=data, headers=headers)
    return response.status_code


async def _uploaded_evidence(
    client: Client, token: str, tenant: str, title: str = "Audit report"
) -> dict[str, Any]:
    """New evidence with a confirmed version: the confirmed version's payload."""
    requested = await _request(
        client, token, tenant, newEvidence={"title": title, "kind": "RECORD"}, **_declared()
    )
    assert requested["errors"] == [], requested
    assert await _put(client, requested["ticket"], DATA) == 200
    body = await gql(
        client, CONFIRM, {"id": requested["version"]["id"]}, token=token, tenant=tenant
    )
    confirmed: dict[str, Any] = body["data"]["confirmEvidenceUpload"]
    assert confirmed["errors"] == [], confirmed
    version: dict[str, Any] = confirmed["version"]
    return version


async def test_upload_link_list_and_download_through_the_local_store(
    client: Client, world: World, plan: Plan, owner_engine: AsyncEngine
) -> None:
    owner = await login(client, "a_owner")
    tenant = str(world.orgs["a"].id)
    version = await _uploaded_evidence(client, owner, tenant)
    assert version["status"] == "AVAILABLE"
    assert version["filename"] == "audit.pdf"
    assert version["uploadedBy"] == {"name": "A Owner"}
    link = {"evidenceId": version["evidence"]["id"], "programId": plan.program_gid("a")}
    for number in ("4.1", EXPECTS_EVIDENCE):
        body = await gql(
            client, LINK, {"input": {**link, "requirement": number}}, token=owner, tenant=tenant
        )
        assert body["data"]["linkEvidence"]["link"]["requirement"] == {"number": number}

    listed = await gql(
        client, LIST, {"programId": plan.program_gid("a"), "requirement": "4.1"}, token=owner
    )
    [node] = [edge["node"] for edge in listed["data"]["evidence"]["edges"]]
    assert node["freshness"] == "CURRENT"
    assert node["currentVersion"]["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert sorted(link["requirement"]["number"] for link in node["links"]) == [
        "4.1",
        EXPECTS_EVIDENCE,
    ]

    auditor = await login(client, "auditor")
    view = await gql(client, BY_REQUIREMENT, {"programId": plan.program_gid("a")}, token=auditor)
    rows = {row["number"]: row for row in view["data"]["requirementEvidence"]}
    assert rows[EXPECTS_EVIDENCE]["expectsEvidence"] is True
    assert rows[EXPECTS_EVIDENCE]["flagged"] is False
    assert rows[EXPECTS_EVIDENCE]["evidence"][0]["version"]["uploadedBy"] == {"name": "A Owner"}

    body = await gql(client, DOWNLOAD, {"id": version["id"]}, token=auditor, tenant=tenant)
    signed = body["data"]["evidenceDownloadUrl"]
    assert signed["errors"] == []
    fetched = await client.get(urlsplit(signed["url"]).path)
    assert fetched.content == DATA
    assert "audit.pdf" in fetched.headers["content-disposition"]
    assert await count_rows(owner_engine, "evidence_downloads") == 1


async def test_a_browser_on_an_allowed_origin_uploads_to_the_local_store(
    client: Client, world: World, plan: Plan
) -> None:
    """The preflight a browser sends before the PUT, with exactly the ticket's headers."""
    owner = await login(client, "a_owner")
    requested = await _request(
        client,
        owner,
        str(world.orgs["a"].id),
        newEvidence={"title": "Audit report", "kind": "RECORD"},
        **_declared(),
    )
    ticket = requested["ticket"]
    path = urlsplit(ticket["url"]).path
    names = sorted(header["name"].lower() for header in ticket["headers"])
    preflight = await client.options(
        path,
        headers={
            "Origin": BROWSER_ORIGIN,
            "Access-Control-Request-Method": ticket["method"],
            "Access-Control-Request-Headers": ",".join(names),
        },
    )
    assert preflight.status_code == 204, preflight.text
    assert preflight.headers["access-control-allow-origin"] == BROWSER_ORIGIN
    assert ticket["method"] in _listed(preflight.headers["access-control-allow-methods"])
    assert set(names) <= _listed(preflight.headers["access-control-allow-headers"].lower())
    headers = {header["name"]: header["value"] for header in ticket["headers"]}
    put = await client.put(path, content=DATA, headers={**headers, "Origin": BROWSER_ORIGIN})
    assert put.status_code == 200, put.text
    assert put.headers["access-control-allow-origin"] == BROWSER_ORIGIN


def _listed(value: str) -> set[str]:
    return {item.strip() for item in value.split(",")}


async def test_a_rejected_confirmation_reports_why_and_shows_the_version(
    client: Client, world: World, plan: Plan
) -> None:
    owner = await login(client, "a_owner")
    tenant = str(world.orgs["a"].id)
    requested = await _request(
        client,
        owner,
        tenant,
        newEvidence={"title": "Log export", "kind": "LOG_EXPORT"},
        **_declared(),
    )
    body = await gql(
        client, CONFIRM, {"id": requested["version"]["id"]}, token=owner, tenant=tenant
    )
    payload = body["data"]["confirmEvidenceUpload"]
    assert [error["code"] for error in payload["errors"]] == ["UPLOAD_REJECTED"]
    assert payload["version"]["status"] == "REJECTED"
    assert payload["version"]["rejectionReason"] == payload["errors"][0]["message"]


async def test_bad_declarations_are_answered_as_user_errors(
    client: Client, world: World, plan: Plan
) -> None:
    owner = await login(client, "a_owner")
    tenant = str(world.orgs["a"].id)
    new = {"title": "Photo", "kind": "PHOTO"}
    answers = {
        "contentType": await _request(
            client, owner, tenant, newEvidence=new, **{**_declared(), "contentType": "text/html"}
        ),
        "size": await _request(
            client, owner, tenant, newEvidence=new, **{**_declared(), "size": 0}
        ),
        "sha256": await _request(
            client, owner, tenant, newEvidence=new, **{**_declared(), "sha256": "abc"}
        ),
        "evidenceId": await _request(client, owner, tenant, **_declared()),
    }
    for field, payload in answers.items():
        assert payload["ticket"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", [field])]


async def test_another_tenant_gets_no_url_for_a_foreign_object(
    client: Client, world: World, plan: Plan
) -> None:
    version = await _uploaded_evidence(
        client, await login(client, "a_owner"), str(world.orgs["a"].id)
    )
    b_owner = await login(client, "b_owner")
    b_tenant = str(world.orgs["b"].id)
    random_version = global_id("EvidenceVersion", uuid.uuid4())
    answers = []
    for version_id in (version["id"], random_version):
        body = await gql(client, DOWNLOAD, {"id": version_id}, token=b_owner, tenant=b_tenant)
        answers.append(body["data"]["evidenceDownloadUrl"])
    assert answers[0] == answers[1]
    assert answers[0]["errors"][0]["code"] == "NOT_FOUND"
    uploads = []
    for evidence_id in (version["evidence"]["id"], global_id("EvidenceItem", uuid.uuid4())):
        uploads.append(
            await _request(client, b_owner, b_tenant, evidenceId=evidence_id, **_declared())
        )
    assert uploads[0] == uploads[1]
    assert uploads[0]["errors"][0]["code"] == "NOT_FOUND"
    seen = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": version["id"]}, token=b_owner
    )
    assert seen["data"]["node"] is None


async def test_auditors_cannot_upload_link_or_delete(
    client: Client, world: World, plan: Plan, owner_engine: AsyncEngine
) -> None:
    version = await _uploaded_evidence(
        client, await login(client, "a_owner"), str(world.orgs["a"].id)
    )
    auditor = await login(client, "auditor")
    tenant = str(world.orgs["a"].id)
    evidence_id = version["evidence"]["id"]
    refused = [
        (await _request(client, auditor, tenant, evidenceId=evidence_id, **_declared()))["errors"],
        (
            await gql(
                client,
                LINK,
                {
                    "input": {
                        "evidenceId": evidence_id,
                        "programId": plan.program_gid("a"),
                        "requirement": "4.1",
                    }
                },
                token=auditor,
                tenant=tenant,
            )
        )["data"]["linkEvidence"]["errors"],
        (await gql(client, DELETE, {"id": evidence_id}, token=auditor, tenant=tenant))["data"][
            "deleteEvidence"
        ]["errors"],
    ]
    assert [errors[0]["code"] for errors in refused] == ["FORBIDDEN"] * 3
    assert await count_rows(owner_engine, "evidence_versions") == 1
    assert await count_rows(owner_engine, "evidence_links") == 0


async def test_deleted_evidence_leaves_the_list(client: Client, world: World, plan: Plan) -> None:
    owner = await login(client, "a_owner")
    tenant = str(world.orgs["a"].id)
    version = await _uploaded_evidence(client, owner, tenant)
    evidence_id = version["evidence"]["id"]
    link = {"evidenceId": evidence_id, "programId": plan.program_gid("a"), "requirement": "4.1"}
    await gql(client, LINK, {"input": link}, token=owner, tenant=tenant)
    body = await gql(client, DELETE, {"id": evidence_id}, token=owner, tenant=tenant)
    assert body["data"]["deleteEvidence"]["evidence"]["deletedAt"] is not None
    listed = await gql(client, LIST, {"programId": plan.program_gid("a")}, token=owner)
    assert listed["data"]["evidence"]["totalCount"] == 0


async def test_the_evidence_list_costs_the_same_statements_for_more_items(
    client: Client, world: World, plan: Plan
) -> None:
    owner = await login(client, "a_owner")
    tenant = str(world.orgs["a"].id)

    async def add(count: int) -> None:
        for n in range(count):
            version = await _uploaded_evidence(client, owner, tenant, f"Record {n}")
            link = {
                "evidenceId": version["evidence"]["id"],
                "programId": plan.program_gid("a"),
                "requirement": "4.1",
            }
            await gql(client, LINK, {"input": link}, token=owner, tenant=tenant)

    async def statements() -> int:
        with count_statements() as sent:
            body = await gql(client, LIST, {"programId": plan.program_gid("a")}, token=owner)
        assert "errors" not in body, body
        return len(sent)

    await add(2)
    few = await statements()
    await add(4)
    assert await statements() == few
