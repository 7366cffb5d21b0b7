"""Reading packages: the filtered list and the batch loads behind their fields (one
statement per batch, so a page of many packages costs what a page of one does)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from backend.db.batch import grouped
from backend.db.session import TenantSession
from backend.packages.models import EvidencePackage, PackageItem, PackageProgram, PackageStatus
from backend.packages.service import visible
from backend.programs.models import Program


@dataclass(frozen=True)
class PackageFilter:
    status: PackageStatus | None = None
    organization: uuid.UUID | None = None


def packages_statement(db: TenantSession, where: PackageFilter) -> Select[Any]:
    statement = select(EvidencePackage).where(visible(db.scope.user_id or uuid.UUID(int=0)))
    if where.status is not None:
        statement = statement.where(EvidencePackage.status == where.status.value)
    if where.organization is not None:
        statement = statement.where(EvidencePackage.tenant_id == where.organization)
    return statement


async def packages_by_id(
    db: TenantSession, package_ids: Sequence[uuid.UUID]
) -> list[EvidencePackage | None]:
    """Packages by id, as the caller may see them (an auditor's node lookup included)."""
    statement = packages_statement(db, PackageFilter()).where(EvidencePackage.id.in_(package_ids))
    found = {row.id: row for row in await db.scalars(statement)}
    return [found.get(package_id) for package_id in package_ids]


async def programs_of_packages(
    db: TenantSession, package_ids: Sequence[uuid.UUID]
) -> list[list[Program]]:
    rows = await db.execute(
        select(PackageProgram.package_id, Program)
        .join(Program, Program.id == PackageProgram.program_id)
        .where(PackageProgram.package_id.in_(package_ids))
        .order_by(PackageProgram.position)
    )
    return grouped(package_ids, [(key, value) for key, value in rows])


async def items_of_packages(
    db: TenantSession, package_ids: Sequence[uuid.UUID]
) -> list[list[PackageItem]]:
    rows = await db.scalars(
        select(PackageItem)
        .where(PackageItem.package_id.in_(package_ids))
        .order_by(PackageItem.position)
    )
    return grouped(package_ids, [(row.package_id, row) for row in rows])


async def sizes_of_packages(
    db: TenantSession, package_ids: Sequence[uuid.UUID]
) -> list[tuple[int, int]]:
    """Per package, its item count and bytes of files."""
    rows = await db.execute(
        select(
            PackageItem.package_id, func.count(), func.coalesce(func.sum(PackageItem.size_bytes), 0)
        )
        .where(PackageItem.package_id.in_(package_ids))
        .group_by(PackageItem.package_id)
    )
    found = {key: (int(count), int(size)) for key, count, size in rows}
    return [found.get(key, (0, 0)) for key in package_ids]
