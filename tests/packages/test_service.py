"""Evidence packages below the API, on the real database and local store: drafting,
freezing (content, manifest, digests), immutability, release, and the evidence that
cannot be deleted while a frozen package holds it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.certification import service as certification
from backend.core.access import Actor
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.documents import service as documents
from backend.documents.models import DocumentType
from backend.evidence import service as evidence
from backend.evidence.service import NewItem
from backend.packages import manifest, service
from backend.packages.models import Include, PackageItem
from backend.runtime import Runtime
from tenants.roles import Role
from tests.packages.helpers import draft, linked_evidence, package_rows, stored_version
from tests.planning.helpers import Plan, acting
from tests.reviews.helpers import closed_audit
from tests.support import World


async def _items(db: TenantSession, package_id: object) -> list[tuple[str, str, int, str]]:
    rows = await db.scalars(
        select(PackageItem).where(PackageItem.package_id == package_id).order_by("position")
    )
    return [(row.path, row.record_type, row.size_bytes, row.sha256) for row in rows]


async def test_a_package_from_draft_to_release(
    session: TenantSession, owner_a: Actor, plan: Plan, runtime: Runtime
) -> None:
    kept = await linked_evidence(session, runtime, owner_a, plan, number="7.5.1", data=b"%PDF kept")
    left = await linked_evidence(
        session, runtime, owner_a, plan, number="8.5.1", data=b"%PDF left out"
    )
    audit = await closed_audit(session, owner_a, plan)
    package = await draft(session, owner_a, plan, "a", "a_q")
    assert (package.status, package.manifest, package.manifest_sha256) == ("draft", None, None)

    package = await service.update_package(
        session,
        owner_a,
        package.id,
        service.PackageFields(
            title="Stage 2, P and Q",
            requirement_ids=[plan.clauses[("P", "7.5.1")], plan.clauses[("P", "7.5.2")]],
            includes=[Include.EVIDENCE, Include.AUDITS],
        ),
    )
    frozen = await service.freeze_package(session, owner_a, package.id)
    assert (frozen.status, frozen.frozen_by_id) == ("frozen", owner_a.user_id)
    assert frozen.manifest is not None
    assert frozen.manifest_sha256 == manifest.sha256(manifest.canonical(frozen.manifest))

    items = await _items(session, package.id)
    types = [record_type for _, record_type, _, _ in items]
    assert types == ["Program", "Program", "EvidenceItem", "EvidenceVersion", "Audit"]
    [file] = [item for item in items if item[1] == "EvidenceVersion"]
    assert file[0] == f"files/evidence/{kept.evidence_id}/{kept.id}-record.pdf"
    assert (file[2], file[3]) == (kept.size_bytes, kept.sha256)  # the digest stored at upload
    assert left.evidence_id.hex not in str(items)  # 8.5.1 is outside the narrowed scope
    program_record = frozen.manifest["records"][0]
    assert frozen.manifest["files"] == [
        {"path": file[0], "type": "EvidenceVersion", "id": str(kept.id)}
        | {"size": kept.size_bytes, "sha256": kept.sha256}
    ]
    assert [r["type"] for r in frozen.manifest["records"]] == [
        "Program",
        "Program",
        "EvidenceItem",
        "Audit",
    ]
    assert frozen.manifest["records"][3]["id"] == str(audit.id)
    stored = await session.scalar(
        select(PackageItem.record).where(PackageItem.path == program_record["path"])
    )
    assert stored is not None
    assert manifest.sha256(manifest.canonical(stored)) == program_record["sha256"]
    assert [r["number"] for r in stored["requirements"]] == ["7.5.1", "7.5.2"]

    released = await service.release_package(session, owner_a, package.id)
    assert (released.status, released.manifest) == ("released", frozen.manifest)
    assert released.released_at is not None


async def test_a_frozen_package_never_changes(
    session: TenantSession, owner_a: Actor, plan: Plan, runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    version = await linked_evidence(
        session, runtime, owner_a, plan, number="7.5.1", data=b"%PDF first"
    )
    package_id = (await draft(session, owner_a, plan)).id
    await service.freeze_package(session, owner_a, package_id)
    before = await package_rows(owner_engine)

    # Later changes in the client's data: a new evidence version, a judgement changed.
    await stored_version(session, runtime, owner_a, b"%PDF second", target=version.evidence_id)
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE assessments SET status = 'nonconformant' WHERE program_id = :p"),
            {"p": plan.programs["a"]},
        )
    for change in (
        service.update_package(session, owner_a, package_id, service.PackageFields(title="New")),
        service.freeze_package(session, owner_a, package_id),
    ):
        with pytest.raises(ServiceError) as refused:
            await change
        assert refused.value.code is ErrorCode.LOCKED
        await session.rollback()
    assert await package_rows(owner_engine) == before

    # Not even the application role may rewrite an item: the database refuses.
    with pytest.raises(DBAPIError, match="permission denied"):
        await session.execute(text("UPDATE evidence_package_items SET sha256 = 'x'"))
    await session.rollback()


async def test_evidence_in_a_frozen_package_cannot_be_deleted_until_it_is_released(
    session: TenantSession, owner_a: Actor, plan: Plan, runtime: Runtime
) -> None:
    version = await linked_evidence(
        session, runtime, owner_a, plan, number="7.5.1", data=b"%PDF held"
    )
    evidence_id = version.evidence_id
    package_id = (await draft(session, owner_a, plan, title="Surveillance 2026")).id
    await service.freeze_package(session, owner_a, package_id)

    with pytest.raises(ServiceError) as refused:
        await evidence.delete_evidence(session, owner_a, evidence_id)
    assert refused.value.code is ErrorCode.LOCKED
    assert "frozen evidence package 'Surveillance 2026'" in refused.value.message
    assert "released" in refused.value.message
    await session.rollback()

    await service.release_package(session, owner_a, package_id)
    deleted = await evidence.delete_evidence(session, owner_a, evidence_id)
    assert deleted.deleted_at is not None


async def test_bad_scope_is_refused_and_changes_nothing(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    package_id = (await draft(session, owner_a, plan)).id
    before = await package_rows(owner_engine)
    for fields, code in (
        (service.PackageFields(program_ids=[]), ErrorCode.INVALID),
        (service.PackageFields(program_ids=[plan.programs["b"]]), ErrorCode.NOT_FOUND),
        (service.PackageFields(title=" "), ErrorCode.INVALID),
        (service.PackageFields(requirement_ids=[plan.clauses[("Q", "9.2")]]), ErrorCode.INVALID),
        (service.PackageFields(grant_id=plan.programs["a"]), ErrorCode.NOT_FOUND),
    ):
        with pytest.raises(ServiceError) as refused:
            await service.update_package(session, owner_a, package_id, fields)
        assert refused.value.code is code, fields
        await session.rollback()
    assert await package_rows(owner_engine) == before


async def test_documents_in_force_and_the_statement_of_applicability_are_packaged(
    session: TenantSession, owner_a: Actor, plan: Plan, runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    async with owner_engine.begin() as connection:  # P's 7.5.2 read as an annex control
        await connection.execute(
            text("UPDATE clauses SET kind = 'control', theme = 'people' WHERE id = :id"),
            {"id": plan.clauses[("P", "7.5.2")]},
        )
    file = await stored_version(
        session, runtime, owner_a, b"%PDF procedure v1", target=NewItem("QP-04 v1", "document")
    )
    document = await documents.create_document(
        session,
        owner_a,
        documents.DocumentFields(type=DocumentType.PROCEDURE, code="QP-04", title="Control"),
    )
    document_id = document.id
    await documents.add_version(session, owner_a, document_id, "First issue", file.id)
    await documents.submit_for_review(session, owner_a, document_id)
    admin = await acting(session, plan, "a_admin", "a", Role.ADMIN)
    await documents.approve(session, admin, document_id)
    owner = await acting(session, plan, "a_owner", "a", Role.OWNER)
    await documents.link_requirement(session, owner, document_id, plan.programs["a"], "7.5.1")
    await documents.add_version(session, owner, document_id, "Revision under way")

    package_id = (await draft(session, owner, plan)).id
    frozen = await service.freeze_package(session, owner, package_id)
    assert frozen.manifest is not None
    paths = {entry["path"]: entry for entry in frozen.manifest["records"]}
    soa = await session.scalar(
        select(PackageItem.record).where(
            PackageItem.record_type == "StatementOfApplicability",
            PackageItem.package_id == package_id,
        )
    )
    assert soa is not None
    assert [row["control"] for row in soa["controls"]] == ["7.5.2"]
    assert soa["controls"][0]["applicable"] is True  # judged partial: it applies
    record = await session.scalar(
        select(PackageItem.record).where(PackageItem.path == "records/documents/QP-04.json")
    )
    assert record is not None
    assert (record["version"], record["file"]) == (1, str(file.id))  # v2 is not in force
    assert "records/documents/QP-04.json" in paths
    assert [entry["path"] for entry in frozen.manifest["files"]] == [
        f"files/documents/QP-04/{file.id}-record.pdf"
    ]


async def test_a_package_for_a_certification_audit_goes_to_that_audits_body(
    session: TenantSession, owner_a: Actor, plan: Plan, world: World, owner_engine: AsyncEngine
) -> None:
    assert world.grant is not None
    other_grant = uuid.uuid4()
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE programs SET certification_body_id = :body WHERE id = :p"),
            {"body": plan.orgs["body"], "p": plan.programs["a"]},
        )
        other = await connection.execute(
            text(
                "INSERT INTO organizations (id, kind, name, slug, timezone) VALUES"
                " (gen_random_uuid(), 'certification_body', 'Other Body', :slug, 'UTC')"
                " RETURNING id"
            ),
            {"slug": f"other-body-{other_grant.hex[:8]}"},
        )
        await connection.execute(
            text(
                "INSERT INTO auditor_grants (id, tenant_id, certification_body_id, valid_from,"
                " valid_until) VALUES (:id, :a, :body, now(), now() + interval '1 day')"
            ),
            {"id": other_grant, "a": plan.orgs["a"], "body": other.scalar_one()},
        )
    starts = date.today() + timedelta(days=30)
    audit = await certification.plan_audit(
        session,
        owner_a,
        certification.AuditFields(
            program_ids=[plan.programs["a"]],
            kind="stage_1",
            planned_start=starts,
            planned_end=starts + timedelta(days=1),
            audit_days=None,
            lead_auditor_name="Lead",
        ),
    )
    audit_id = audit.id
    with pytest.raises(ServiceError) as refused:
        await draft(session, owner_a, plan, certification_audit_id=audit_id, grant_id=other_grant)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, ["grantId"])
    await session.rollback()

    package = await draft(
        session, owner_a, plan, certification_audit_id=audit_id, grant_id=world.grant.id
    )
    assert (package.certification_audit_id, package.grant_id) == (audit_id, world.grant.id)
