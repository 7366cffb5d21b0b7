"""Uploads: what a request must declare, who may ask, and how confirmation checks the store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.evidence import service
from backend.evidence.models import EvidenceItem, EvidenceVersion, VersionStatus
from backend.evidence.store import object_key
from tenants.roles import Role
from tests.evidence.helpers import (
    LIMITS,
    MemoryStore,
    available,
    count_rows,
    declare,
    new_item,
    uploaded,
)
from tests.planning.helpers import Plan, acting

DATA = b"%PDF-1.7 minutes of the management review"


async def test_a_request_creates_the_item_and_a_pending_version_keyed_by_ids(
    session: TenantSession, store: MemoryStore, owner_a: Actor, plan: Plan
) -> None:
    requested = await service.request_upload(
        session, store, LIMITS, owner_a, target=new_item(), declared=declare(DATA)
    )
    version = requested.version
    assert version.status == VersionStatus.PENDING.value
    assert version.storage_key == object_key(plan.orgs["a"], version.evidence_id, version.id)
    assert version.uploaded_by_id == plan.users["a_owner"]
    expected_expiry = datetime.now(UTC) + timedelta(seconds=LIMITS.url_ttl_seconds)
    assert abs(version.upload_expires_at - expected_expiry) < timedelta(seconds=30)
    assert requested.ticket.headers["Content-Length"] == str(len(DATA))
    assert store.tickets == [version.storage_key]


@pytest.mark.parametrize(
    ("raw", "kept"),
    [("../../etc/passwd", "passwd"), ("C:\\Users\\me\\audit plan.pdf", "audit plan.pdf")],
)
async def test_only_the_last_part_of_a_filename_is_kept(
    session: TenantSession, store: MemoryStore, owner_a: Actor, raw: str, kept: str
) -> None:
    declared = declare(DATA, filename=raw)
    requested = await service.request_upload(
        session, store, LIMITS, owner_a, target=new_item(), declared=declared
    )
    assert requested.version.filename == kept
    assert kept not in requested.version.storage_key


GOOD = declare(DATA)


@pytest.mark.parametrize(
    ("declared", "field"),
    [
        (
            service.FileDeclaration("x.exe", "application/x-msdownload", 10, GOOD.sha256),
            "contentType",
        ),
        (service.FileDeclaration("x.pdf", "application/pdf", 0, GOOD.sha256), "size"),
        (
            service.FileDeclaration("x.pdf", "application/pdf", LIMITS.max_bytes + 1, GOOD.sha256),
            "size",
        ),
        (service.FileDeclaration("x.pdf", "application/pdf", 10, "ab" * 31), "sha256"),
        (service.FileDeclaration("x.pdf", "application/pdf", 10, "zz" * 32), "sha256"),
        (service.FileDeclaration("", "application/pdf", 10, GOOD.sha256), "filename"),
        (service.FileDeclaration("docs/..", "application/pdf", 10, GOOD.sha256), "filename"),
        (service.FileDeclaration("a" * 256, "application/pdf", 10, GOOD.sha256), "filename"),
        (service.FileDeclaration("a\x00.pdf", "application/pdf", 10, GOOD.sha256), "filename"),
    ],
)
async def test_a_bad_declaration_is_refused_and_writes_nothing(
    *,
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    owner_engine: AsyncEngine,
    declared: service.FileDeclaration,
    field: str,
) -> None:
    with pytest.raises(ServiceError) as refused:
        await service.request_upload(
            session, store, LIMITS, owner_a, target=new_item(), declared=declared
        )
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, [field])
    await session.rollback()
    assert await count_rows(owner_engine, "evidence_items") == 0
    assert store.tickets == []


@pytest.mark.parametrize("user", ["a_contributor", "a_manager"])
async def test_contributors_and_managers_may_upload(
    session: TenantSession, store: MemoryStore, plan: Plan, user: str
) -> None:
    role = Role.CONTRIBUTOR if user == "a_contributor" else Role.MANAGER
    actor = await acting(session, plan, user, "a", role)
    version = await available(session, store, actor)
    assert version.status == VersionStatus.AVAILABLE.value


@pytest.mark.parametrize(("user", "role"), [("a_viewer", Role.VIEWER), ("auditor", Role.AUDITOR)])
async def test_readers_may_not_upload(
    *,
    session: TenantSession,
    store: MemoryStore,
    plan: Plan,
    owner_engine: AsyncEngine,
    user: str,
    role: Role,
) -> None:
    actor = await acting(session, plan, user, "a", role)
    with pytest.raises(ServiceError) as refused:
        await uploaded(session, store, actor)
    assert refused.value.code == ErrorCode.FORBIDDEN
    await session.rollback()
    assert await count_rows(owner_engine, "evidence_versions") == 0


@pytest.mark.parametrize(
    ("user", "org", "role", "code"),
    [
        ("a_viewer", "a", Role.VIEWER, ErrorCode.FORBIDDEN),
        ("auditor", "a", Role.AUDITOR, ErrorCode.FORBIDDEN),
        ("b_owner", "b", Role.OWNER, ErrorCode.NOT_FOUND),
    ],
)
async def test_readers_are_told_no_and_strangers_see_nothing_to_confirm(
    *,
    session: TenantSession,
    store: MemoryStore,
    plan: Plan,
    owner_a: Actor,
    user: str,
    org: str,
    role: Role,
    code: ErrorCode,
) -> None:
    """A version the caller can read is refused for lack of rights, never hidden."""
    version_id = (await uploaded(session, store, owner_a)).id
    await session.commit()
    actor = await acting(session, plan, user, org, role)
    with pytest.raises(ServiceError) as refused:
        await service.confirm_upload(session, store, actor, version_id)
    assert refused.value.code == code
    await session.rollback()
    await acting(session, plan, "a_owner", "a", Role.OWNER)
    kept = await session.get(EvidenceVersion, version_id, populate_existing=True)
    assert kept is not None
    assert kept.status == VersionStatus.PENDING.value


async def test_confirming_the_declared_bytes_makes_the_version_available_for_good(
    session: TenantSession, store: MemoryStore, owner_a: Actor
) -> None:
    version = await uploaded(session, store, owner_a, DATA)
    confirmed = await service.confirm_upload(session, store, owner_a, version.id)
    assert confirmed.status == VersionStatus.AVAILABLE.value
    assert confirmed.confirmed_at is not None
    with pytest.raises(ServiceError) as again:
        await service.confirm_upload(session, store, owner_a, version.id)
    assert again.value.code == ErrorCode.CONFLICT


async def _rejection(
    session: TenantSession, store: MemoryStore, actor: Actor, version_id: uuid.UUID
) -> str:
    """Confirm, expect a rejection, roll back like the API does, and read what was kept."""
    with pytest.raises(ServiceError) as rejected:
        await service.confirm_upload(session, store, actor, version_id)
    assert rejected.value.code == ErrorCode.UPLOAD_REJECTED
    await session.rollback()
    kept = await session.get(EvidenceVersion, version_id, populate_existing=True)
    assert kept is not None
    assert kept.status == VersionStatus.REJECTED.value
    assert kept.rejection_reason == rejected.value.message
    assert kept.storage_key not in store.objects
    return rejected.value.message


async def test_different_bytes_of_the_same_length_are_rejected_and_removed(
    session: TenantSession, store: MemoryStore, owner_a: Actor
) -> None:
    version = await uploaded(session, store, owner_a, DATA)
    store.objects[version.storage_key] = DATA.upper()
    assert "SHA-256" in await _rejection(session, store, owner_a, version.id)


async def test_a_file_of_another_size_is_rejected(
    session: TenantSession, store: MemoryStore, owner_a: Actor
) -> None:
    version = await uploaded(session, store, owner_a, DATA)
    store.objects[version.storage_key] = DATA + b"!"
    assert f"{len(DATA) + 1} bytes" in await _rejection(session, store, owner_a, version.id)


async def test_confirming_before_uploading_is_rejected(
    session: TenantSession, store: MemoryStore, owner_a: Actor
) -> None:
    requested = await service.request_upload(
        session, store, LIMITS, owner_a, target=new_item(), declared=declare(DATA)
    )
    assert "Nothing was uploaded" in await _rejection(session, store, owner_a, requested.version.id)


async def test_an_expired_request_is_rejected_even_with_the_right_bytes(
    session: TenantSession, store: MemoryStore, owner_a: Actor, owner_engine: AsyncEngine
) -> None:
    version = await uploaded(session, store, owner_a, DATA)
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE evidence_versions SET upload_expires_at = now() - interval '1 second'")
        )
    assert "expired" in await _rejection(session, store, owner_a, version.id)


async def test_a_rejected_version_stays_rejected(
    session: TenantSession, store: MemoryStore, owner_a: Actor
) -> None:
    version = await uploaded(session, store, owner_a, DATA)
    store.objects.clear()
    await _rejection(session, store, owner_a, version.id)
    store.objects[version.storage_key] = DATA
    with pytest.raises(ServiceError) as again:
        await service.confirm_upload(session, store, owner_a, version.id)
    assert again.value.code == ErrorCode.CONFLICT


async def test_a_new_version_of_existing_evidence_keeps_the_old_one(
    session: TenantSession, store: MemoryStore, owner_a: Actor
) -> None:
    first = await available(session, store, owner_a, DATA)
    second = await available(session, store, owner_a, DATA + b" v2", target=first.evidence_id)
    assert second.evidence_id == first.evidence_id
    assert second.storage_key != first.storage_key
    versions = (
        await session.scalars(
            select(EvidenceVersion.status).where(EvidenceVersion.evidence_id == first.evidence_id)
        )
    ).all()
    assert versions == [VersionStatus.AVAILABLE.value] * 2


async def test_another_tenant_cannot_add_to_or_confirm_evidence_it_cannot_read(
    session: TenantSession, store: MemoryStore, owner_a: Actor, plan: Plan
) -> None:
    version = await uploaded(session, store, owner_a, DATA)
    b_owner = await acting(session, plan, "b_owner", "b", Role.OWNER)
    answers = []
    for attempt_ in (
        service.request_upload(
            session, store, LIMITS, b_owner, target=version.evidence_id, declared=declare(DATA)
        ),
        service.request_upload(
            session, store, LIMITS, b_owner, target=uuid.uuid4(), declared=declare(DATA)
        ),
    ):
        with pytest.raises(ServiceError) as refused:
            await attempt_
        answers.append((refused.value.code, refused.value.message))
    assert answers[0] == answers[1] == (ErrorCode.NOT_FOUND, "Evidence not found.")
    with pytest.raises(ServiceError) as confirm:
        await service.confirm_upload(session, store, b_owner, version.id)
    assert confirm.value.code == ErrorCode.NOT_FOUND
    assert store.tickets == [version.storage_key]


async def test_a_new_item_checks_its_fields(
    session: TenantSession, store: MemoryStore, owner_a: Actor, plan: Plan
) -> None:
    cases = [
        (service.NewItem(title=" ", kind="record"), "title"),
        (service.NewItem(title="x", kind="rumour"), "kind"),
        (service.NewItem(title="x", kind="record", review_interval_days=0), "reviewIntervalDays"),
        (service.NewItem(title="x", kind="record", owner_id=plan.users["b_owner"]), "ownerId"),
    ]
    for fields, field in cases:
        with pytest.raises(ServiceError) as refused:
            await uploaded(session, store, owner_a, target=fields)
        assert refused.value.field == [field]
        await session.rollback()
    assert (await session.scalars(select(EvidenceItem))).all() == []
