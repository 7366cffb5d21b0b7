"""Helpers of the packages tests: evidence whose bytes sit in the real local store, linked
to a requirement of A's P program, and every packages row as the owner sees it."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.evidence import service as evidence
from backend.evidence.local import LocalStore
from backend.evidence.models import EvidenceVersion
from backend.evidence.service import FileDeclaration, Limits, LinkTarget, NewItem
from backend.packages import service
from backend.packages.models import EvidencePackage
from backend.runtime import Runtime
from tests.planning.helpers import Plan

PACKAGE_TABLES = (
    "evidence_packages",
    "evidence_package_programs",
    "evidence_package_requirements",
    "evidence_package_items",
    "evidence_package_downloads",
)


def local_store(runtime: Runtime) -> LocalStore:
    store = runtime.evidence
    assert isinstance(store, LocalStore)
    return store


async def stored_version(
    db: TenantSession,
    runtime: Runtime,
    actor: Actor,
    data: bytes,
    *,
    target: uuid.UUID | NewItem,
    filename: str = "record.pdf",
) -> EvidenceVersion:
    """An available version whose bytes were put in the local store, as an upload would."""
    store = local_store(runtime)
    declared = FileDeclaration(filename, "application/pdf", len(data), _hex(data))
    limits = Limits.of(runtime.settings)
    requested = await evidence.request_upload(
        db, store, limits, actor, target=target, declared=declared
    )
    path = store.root.joinpath(*requested.version.storage_key.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return await evidence.confirm_upload(db, store, actor, requested.version.id)


async def linked_evidence(
    db: TenantSession, runtime: Runtime, actor: Actor, plan: Plan, *, number: str, data: bytes
) -> EvidenceVersion:
    """New evidence on P's requirement `number` of A's program "a"."""
    version = await stored_version(
        db, runtime, actor, data, target=NewItem(title=f"Record of {number}", kind="record")
    )
    target = LinkTarget(plan.programs["a"], requirement=plan.clauses[("P", number)])
    await evidence.link_evidence(db, actor, version.evidence_id, target)
    return version


async def draft(
    db: TenantSession, actor: Actor, plan: Plan, *programs: str, **values: Any
) -> EvidencePackage:
    fields = service.PackageFields(
        title=values.pop("title", "Stage 2 audit package"),
        program_ids=[plan.programs[name] for name in programs or ("a",)],
        **values,
    )
    return await service.create_package(db, actor, fields)


async def package_rows(owner_engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    rows: dict[str, list[tuple[object, ...]]] = {}
    async with owner_engine.connect() as connection:
        for table in PACKAGE_TABLES:
            found = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [tuple(row) for row in found]
    return rows


def _hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
