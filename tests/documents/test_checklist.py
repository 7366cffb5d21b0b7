"""The mandatory-documents checklist on the real ISO 9001 catalog, and the documentation
step's exit criterion judged from it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.calendar import TenantDay
from backend.db.session import TenantSession
from backend.documents import criteria, service
from backend.documents.models import DocumentType
from backend.documents.service import Coverage, DocumentFields
from backend.programs.criteria import criteria_of, evaluate_step
from backend.programs.models import Program, StepKey
from backend.runtime import Runtime
from tenants.roles import Role
from tests.api.helpers import count_statements
from tests.documents.helpers import CHECKLIST, Setup, acting
from tests.support import Client, gql, judge, login
from tests.tenants.helpers import owner_execute, owner_scalar

FIRST_MANDATORY = ("4.3", "4.4", "4.4.2", "5.2", "5.2.2")  # in the standard's order


async def program_a(db: TenantSession, setup: Setup) -> Program:
    program = await db.get(Program, setup.programs["a"])
    assert program is not None
    return program


async def mandatory_count(owner_engine: AsyncEngine, setup: Setup) -> int:
    count: int = await owner_scalar(
        owner_engine,
        "SELECT count(*) FROM clauses WHERE standard_id = :id AND documented_information",
        id=setup.standard_id,
    )
    return count


async def approved_document(
    db: TenantSession, setup: Setup, code: str, *requirements: str
) -> uuid.UUID:
    """A document of A, written by A's owner, linked to `requirements`, approved by A's admin."""
    author = await acting(db, setup, "a_owner", "a", Role.OWNER)
    document = await service.create_document(
        db, author, DocumentFields(type=DocumentType.PROCEDURE, code=code, title=code)
    )
    for number in requirements:
        await service.link_requirement(db, author, document.id, setup.programs["a"], number)
    await service.add_version(db, author, document.id, "First issue")
    await service.submit_for_review(db, author, document.id)
    admin = await acting(db, setup, "a_admin", "a", Role.ADMIN)
    await service.approve(db, admin, document.id)
    await acting(db, setup, "a_owner", "a", Role.OWNER)
    return document.id


async def coverage(db: TenantSession, setup: Setup) -> dict[str, Coverage]:
    items = await service.mandatory_documents(db, await program_a(db, setup), TenantDay.now("UTC"))
    return {item.clause.number: item.coverage for item in items}


def test_the_criterion_is_registered_for_documentation() -> None:
    keys = [item.key for item in criteria_of(StepKey.DOCUMENTATION)]
    assert "mandatory-documents-covered" in keys


async def test_every_flagged_clause_is_on_the_checklist(
    session: TenantSession, setup: Setup, owner_engine: AsyncEngine
) -> None:
    await acting(session, setup, "a_owner", "a", Role.OWNER)
    found = await coverage(session, setup)
    assert len(found) == await mandatory_count(owner_engine, setup) > 20
    assert tuple(found)[:5] == FIRST_MANDATORY
    assert set(found.values()) == {Coverage.MISSING}


async def test_coverage_says_why_an_item_is_not_covered(
    session: TenantSession, setup: Setup, owner_engine: AsyncEngine
) -> None:
    owner = await acting(session, setup, "a_owner", "a", Role.OWNER)
    drafted = await service.create_document(
        session, owner, DocumentFields(type=DocumentType.RECORD, code="DRAFT", title="Draft")
    )
    await service.link_requirement(session, owner, drafted.id, setup.programs["a"], "4.4")
    await approved_document(session, setup, "SCOPE", "4.3")
    overdue = await approved_document(session, setup, "POLICY", "5.2")
    await owner_execute(
        owner_engine,
        "UPDATE controlled_documents SET approved_at = now() - interval '400 days' WHERE id = :id",
        id=overdue,
    )
    withdrawn = await approved_document(session, setup, "OLD", "6.2")
    await service.make_obsolete(session, owner, withdrawn)

    found = await coverage(session, setup)
    assert found["4.3"] is Coverage.COVERED
    assert found["4.4"] is Coverage.NOT_APPROVED
    assert found["5.2"] is Coverage.REVIEW_OVERDUE
    assert found["6.2"] is Coverage.NOT_APPROVED
    assert found["5.2.2"] is Coverage.MISSING

    # A fresh approval next to the overdue one covers the item again.
    await approved_document(session, setup, "POLICY-2", "5.2")
    assert (await coverage(session, setup))["5.2"] is Coverage.COVERED


async def test_links_of_another_program_do_not_count(session: TenantSession, setup: Setup) -> None:
    await approved_document(session, setup, "SCOPE", "4.3")
    await acting(session, setup, "b_owner", "b", Role.OWNER)
    program_b = await session.get(Program, setup.programs["b"])
    assert program_b is not None
    items = await service.mandatory_documents(session, program_b, TenantDay.now("UTC"))
    assert {item.coverage for item in items} == {Coverage.MISSING}


async def test_the_criterion_unmet_names_up_to_five_items(
    session: TenantSession, setup: Setup, owner_engine: AsyncEngine
) -> None:
    total = await mandatory_count(owner_engine, setup)
    await approved_document(session, setup, "SCOPE", "4.3")
    verdict = await judge(
        criteria.mandatory_documents_covered, session, await program_a(session, setup)
    )
    assert not verdict.met
    assert verdict.reason == (
        f"{total - 1} mandatory items are not covered by an approved, in-date document:"
        f" 4.4, 4.4.2, 5.2, 5.2.2, 6.2 and {total - 6} more."
    )


async def test_the_criterion_is_met_when_every_item_is_covered(
    session: TenantSession, setup: Setup, owner_engine: AsyncEngine, runtime: Runtime
) -> None:
    document = await approved_document(session, setup, "QMS", "4.3")
    await owner_execute(
        owner_engine,
        "INSERT INTO document_requirements (id, tenant_id, document_id, program_id, clause_id)"
        " SELECT gen_random_uuid(), :tenant, :document, :program, id FROM clauses"
        " WHERE standard_id = :standard AND documented_information AND number <> '4.3'",
        tenant=setup.orgs["a"],
        document=document,
        program=setup.programs["a"],
        standard=setup.standard_id,
    )
    program = await program_a(session, setup)
    with count_statements(runtime.engine) as statements:
        verdict = await judge(criteria.mandatory_documents_covered, session, program)
    assert len(statements) == 1, statements
    total = await mandatory_count(owner_engine, setup)
    assert (verdict.met, verdict.reason) == (
        True,
        f"All {total} mandatory items are covered by an approved, in-date document.",
    )
    await owner_execute(
        owner_engine,
        "UPDATE controlled_documents SET approved_at = now() - interval '366 days'",
    )
    results = await evaluate_step(session, program, StepKey.DOCUMENTATION)
    [result] = [item for item in results if item.key == "mandatory-documents-covered"]
    assert not result.met
    assert result.reason.startswith(f"{total} mandatory items are not covered")


async def test_the_checklist_over_the_api(client: Client, setup: Setup) -> None:
    token = await login(client, "auditor")  # read-only, but entitled to read A
    body = await gql(
        client, CHECKLIST, {"programId": setup.program_gid("a")}, token=token, tenant=None
    )
    items = body["data"]["mandatoryDocuments"]
    assert items[0] == {
        "requirement": {"number": "4.3"},
        "coverage": "MISSING",
        "covered": False,
        "documents": [],
    }
    outsider = await login(client, "b_owner")
    body = await gql(client, CHECKLIST, {"programId": setup.program_gid("a")}, token=outsider)
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Program not found."
