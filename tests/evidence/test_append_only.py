"""The database, not only the service, keeps evidence history: as the app role, acting in
the evidence's own tenant (so row-level security would let it through), downloads cannot be
edited or erased, and a version is decided once, changing nothing but its verdict."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.evidence import service
from backend.evidence.models import EvidenceVersion, VersionStatus
from tests.evidence.helpers import LIMITS, MemoryStore, available, uploaded


async def _refused(session: TenantSession, statement: str, reason: str, **values: object) -> None:
    with pytest.raises(DBAPIError, match=reason):
        await session.execute(text(statement), values)
    await session.rollback()


async def test_a_recorded_download_cannot_be_edited_or_erased(
    session: TenantSession, store: MemoryStore, owner_a: Actor
) -> None:
    version = await available(session, store, owner_a)
    await service.download_url(session, store, LIMITS, owner_a.user_id, version.id)
    await _refused(session, "UPDATE evidence_downloads SET user_id = NULL", "permission denied")
    await _refused(session, "DELETE FROM evidence_downloads", "permission denied")


async def test_the_verdict_is_the_only_change_a_version_gets(
    session: TenantSession, store: MemoryStore, owner_a: Actor
) -> None:
    pending = (await uploaded(session, store, owner_a)).id  # rollbacks expire the object
    for change in ("sha256 = repeat('0', 64)", "size_bytes = 1", "storage_key = 'elsewhere'"):
        await _refused(
            session,
            f"UPDATE evidence_versions SET status = 'available', {change} WHERE id = :id",
            "a decision sets only status, rejection_reason, confirmed_at",
            id=pending,
        )
    await _refused(
        session,
        "UPDATE evidence_versions SET filename = 'renamed.pdf' WHERE id = :id",
        "decided once",
        id=pending,
    )
    confirmed = await service.confirm_upload(session, store, owner_a, pending)
    assert confirmed.status == VersionStatus.AVAILABLE.value


@pytest.mark.parametrize(
    "change",
    [
        "status = 'pending'",
        "status = 'rejected', rejection_reason = 'changed my mind'",
        "confirmed_at = now() - interval '1 year'",
    ],
)
async def test_a_decided_version_never_changes(
    session: TenantSession, store: MemoryStore, owner_a: Actor, change: str
) -> None:
    version = (await available(session, store, owner_a)).id
    await _refused(
        session, f"UPDATE evidence_versions SET {change} WHERE id = :id", "decided once", id=version
    )
    kept = await session.get(EvidenceVersion, version, populate_existing=True)
    assert kept is not None
    assert kept.status == VersionStatus.AVAILABLE.value


async def test_no_version_is_ever_deleted(
    session: TenantSession, store: MemoryStore, owner_a: Actor
) -> None:
    version = (await uploaded(session, store, owner_a)).id
    await _refused(
        session, "DELETE FROM evidence_versions WHERE id = :id", "permission denied", id=version
    )
