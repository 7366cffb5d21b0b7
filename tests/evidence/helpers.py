"""Helpers of the evidence tests: a store kept in memory, file declarations, seeded rows.

The in-memory store implements the `EvidenceStore` contract the way the real ones measure:
`inspect` hashes the bytes it holds, never the client's claim. Tests put bytes in it
directly, as a client's upload would.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.catalog.models import Clause
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.evidence import service
from backend.evidence.models import EvidenceVersion
from backend.evidence.service import FileDeclaration, Limits, NewItem
from backend.evidence.store import StoredObject, UploadTicket
from tests.planning.helpers import Plan

LIMITS = Limits(
    max_bytes=1024, allowed_types=frozenset({"application/pdf", "text/plain"}), url_ttl_seconds=600
)
EXPECTS_EVIDENCE = (
    "7.1"  # the seeded requirement whose catalog clause demands documented information
)


class MemoryStore:
    """An `EvidenceStore` holding objects in a dict."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.tickets: list[str] = []

    async def upload_ticket(
        self, key: str, *, size_bytes: int, sha256: str, content_type: str, ttl_seconds: int
    ) -> UploadTicket:
        self.tickets.append(key)
        headers = {"Content-Type": content_type, "Content-Length": str(size_bytes)}
        return UploadTicket(url=f"memory://upload/{key}", method="PUT", headers=headers)

    async def inspect(self, key: str) -> StoredObject | None:
        data = self.objects.get(key)
        if data is None:
            return None
        return StoredObject(len(data), hashlib.sha256(data).hexdigest())

    async def read(self, key: str) -> AsyncIterator[bytes]:
        yield self.objects[key]

    async def remove(self, key: str) -> None:
        self.objects.pop(key, None)

    async def download_url(
        self, key: str, *, filename: str, content_type: str, ttl_seconds: int
    ) -> str:
        return f"memory://download/{key}?filename={filename}"


def declare(
    data: bytes, filename: str = "report.pdf", content_type: str = "application/pdf"
) -> FileDeclaration:
    return FileDeclaration(filename, content_type, len(data), hashlib.sha256(data).hexdigest())


def new_item(title: str = "Calibration record", **fields: object) -> NewItem:
    return NewItem(title=title, kind="record", **fields)  # type: ignore[arg-type]


async def mark_expects_evidence(owner_engine: AsyncEngine, plan: Plan) -> None:
    async with owner_engine.begin() as connection:
        await connection.execute(
            update(Clause)
            .where(Clause.id == plan.clauses[("X", EXPECTS_EVIDENCE)])
            .values(documented_information=True)
        )


async def confirmed_days_ago(owner_engine: AsyncEngine, version_id: uuid.UUID, days: int) -> None:
    """Pretend a version was confirmed `days` ago (the review clock starts then)."""
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE evidence_versions SET confirmed_at = :at WHERE id = :id"),
            {"at": datetime.now(UTC) - timedelta(days=days), "id": version_id},
        )


async def count_rows(owner_engine: AsyncEngine, table: str) -> int:
    async with owner_engine.connect() as connection:
        return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def uploaded(
    db: TenantSession,
    store: MemoryStore,
    actor: Actor,
    data: bytes = b"%PDF-1.7 signed calibration record",
    target: uuid.UUID | NewItem | None = None,
) -> EvidenceVersion:
    """A requested upload whose bytes reached the store, not yet confirmed."""
    requested = await service.request_upload(
        db, store, LIMITS, actor, target=target or new_item(), declared=declare(data)
    )
    store.objects[requested.version.storage_key] = data
    return requested.version


async def available(
    db: TenantSession,
    store: MemoryStore,
    actor: Actor,
    data: bytes = b"%PDF-1.7 signed calibration record",
    target: uuid.UUID | NewItem | None = None,
) -> EvidenceVersion:
    version = await uploaded(db, store, actor, data, target)
    return await service.confirm_upload(db, store, actor, version.id)
