"""Who may touch documents: writers of the acting tenant. Readers read, strangers find nothing.

Every refused change leaves the document tables exactly as they were, and an id of another
tenant answers exactly like an id that never existed. Row-level security holds below GraphQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.session import TenantSession
from backend.documents import service
from backend.documents.models import (
    ControlledDocument,
    DocumentRequirement,
    DocumentType,
    DocumentVersion,
)
from backend.documents.service import DocumentFields
from backend.runtime import Runtime
from tenants.roles import Role
from tests.documents.helpers import DOCUMENTS, Setup, acting, codes, document_rows, mutate
from tests.support import Client, global_id, gql, login
from tests.tenants.helpers import random_gid

RLS_REFUSAL = "new row violates row-level security policy"
Ids = dict[str, str]


@pytest.fixture
async def ids(session: TenantSession, setup: Setup) -> Ids:
    """In A, by A's owner: a draft with a version linked to 4.3, and a document in review."""
    owner = await acting(session, setup, "a_owner", "a", Role.OWNER)
    made = {}
    for code in ("DRAFT", "REVIEW"):
        document = await service.create_document(
            session, owner, DocumentFields(type=DocumentType.FORM, code=code, title=code)
        )
        await service.add_version(session, owner, document.id, "First issue")
        made[code] = document.id
    await service.link_requirement(session, owner, made["DRAFT"], setup.programs["a"], "4.3")
    await service.submit_for_review(session, owner, made["REVIEW"])
    return {code: global_id("ControlledDocument", value) for code, value in made.items()}


def changes(setup: Setup, ids: Ids) -> dict[str, dict[str, Any]]:
    """A valid input for every document mutation on A's documents."""
    link = {"documentId": ids["DRAFT"], "programId": setup.program_gid("a")}
    return {
        "createDocument": {"type": "POLICY", "code": "NEW", "title": "New"},
        "updateDocument": {"id": ids["DRAFT"], "title": "Changed"},
        "addDocumentVersion": {"documentId": ids["DRAFT"], "changeSummary": "More"},
        "submitDocumentForReview": {"id": ids["DRAFT"]},
        "approveDocument": {"id": ids["REVIEW"]},
        "requestDocumentChanges": {"id": ids["REVIEW"]},
        "obsoleteDocument": {"id": ids["DRAFT"]},
        "linkDocumentRequirement": {**link, "requirement": "7.5.1"},
        "unlinkDocumentRequirement": {**link, "requirement": "4.3"},
    }


def with_unknown_document(input: dict[str, Any]) -> dict[str, Any]:
    key = "id" if "id" in input else "documentId"
    return {**input, key: random_gid("ControlledDocument")}


@pytest.mark.parametrize("user", ["auditor", "a_viewer"])
async def test_readers_read_documents_and_every_write_is_refused(
    client: Client, setup: Setup, ids: Ids, owner_engine: AsyncEngine, user: str
) -> None:
    token, tenant = await login(client, user), setup.org_gid("a")
    listed = await gql(client, DOCUMENTS, token=token, tenant=tenant)
    assert listed["data"]["documents"]["totalCount"] == 2
    before = await document_rows(owner_engine)
    for name, input in changes(setup, ids).items():
        payload = await mutate(client, name, input, token=token, tenant=tenant)
        assert payload["document"] is None, name
        assert codes(payload) == ["FORBIDDEN"], (name, payload)
    assert await document_rows(owner_engine) == before


async def test_another_tenants_documents_answer_like_random_ids(
    client: Client, setup: Setup, ids: Ids, owner_engine: AsyncEngine
) -> None:
    token, tenant = await login(client, "b_owner"), setup.org_gid("b")
    before = await document_rows(owner_engine)
    for name, input in changes(setup, ids).items():
        if name == "createDocument":
            continue  # creates in the acting tenant (B): nothing of A to aim at
        theirs = await mutate(client, name, input, token=token, tenant=tenant)
        unknown = await mutate(
            client, name, with_unknown_document(input), token=token, tenant=tenant
        )
        assert theirs["errors"] == unknown["errors"], name
        assert codes(theirs) == ["NOT_FOUND"], name
    assert await document_rows(owner_engine) == before
    listed = await gql(client, DOCUMENTS, token=token, tenant=tenant)
    assert listed["data"]["documents"]["totalCount"] == 0


async def test_a_document_links_only_to_programs_of_its_own_tenant(
    client: Client, setup: Setup, ids: Ids, owner_engine: AsyncEngine
) -> None:
    token, tenant = await login(client, "a_owner"), setup.org_gid("a")
    before = await document_rows(owner_engine)
    foreign = {"documentId": ids["DRAFT"], "programId": setup.program_gid("b")}
    unknown = {"documentId": ids["DRAFT"], "programId": random_gid("Program")}
    for input in (foreign, unknown):
        payload = await mutate(
            client,
            "linkDocumentRequirement",
            {**input, "requirement": "7.5.1"},
            token=token,
            tenant=tenant,
        )
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("NOT_FOUND", ["programId"])
        ]
    not_a_requirement = {"documentId": ids["DRAFT"], "programId": setup.program_gid("a")}
    payload = await mutate(
        client,
        "linkDocumentRequirement",
        {**not_a_requirement, "requirement": "99.9"},
        token=token,
        tenant=tenant,
    )
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", ["requirement"])]
    assert await document_rows(owner_engine) == before


async def test_a_consultant_writes_in_the_client_it_acts_in(
    client: Client, setup: Setup, ids: Ids
) -> None:
    token = await login(client, "consultant")
    payload = await mutate(
        client, "approveDocument", {"id": ids["REVIEW"]}, token=token, tenant=setup.org_gid("a")
    )
    assert payload["errors"] == []
    assert payload["document"]["status"] == "APPROVED"
    assert payload["document"]["currentVersion"] == {"number": 1}


# --- below GraphQL: row-level security --------------------------------------------------


@pytest.fixture
async def auditor_session(runtime: Runtime, setup: Setup, ids: Ids) -> AsyncIterator[TenantSession]:
    async with runtime.sessions() as db:
        await acting(db, setup, "auditor", "a", Role.AUDITOR)
        yield db


DOCUMENT_MODELS = [ControlledDocument, DocumentVersion, DocumentRequirement]
DocumentModel = type[ControlledDocument] | type[DocumentVersion] | type[DocumentRequirement]


@pytest.mark.parametrize("model", DOCUMENT_MODELS)
async def test_a_reader_sees_rows_but_cannot_update_or_delete_them(
    auditor_session: TenantSession, owner_engine: AsyncEngine, model: DocumentModel
) -> None:
    before = await document_rows(owner_engine)
    assert (await auditor_session.scalars(select(model.id))).all()
    for statement in (update(model).values(tenant_id=model.tenant_id), delete(model)):
        result = await auditor_session.execute(
            statement.execution_options(synchronize_session=False)
        )
        assert cast(CursorResult[Any], result).rowcount == 0
    await auditor_session.commit()
    assert await document_rows(owner_engine) == before


async def test_a_reader_cannot_insert_a_document(
    auditor_session: TenantSession, owner_engine: AsyncEngine, setup: Setup
) -> None:
    before = await document_rows(owner_engine)
    auditor_session.add(
        ControlledDocument(tenant_id=setup.orgs["a"], type="form", code="X", title="X")
    )
    with pytest.raises(DBAPIError, match=RLS_REFUSAL):
        await auditor_session.flush()
    await auditor_session.rollback()
    assert await document_rows(owner_engine) == before
