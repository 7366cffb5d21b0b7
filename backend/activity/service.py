"""Reading and verifying the activity log.

Who reads what: owners, admins and consultants read their organization's whole log; an
auditor reads the entries about its own grant and what it did itself (its downloads).
Verification walks a tenant's chain in sequence order, a batch at a time, so a chain of any
length is checked in constant memory; each result is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, String, cast, false, func, or_, select

from backend.activity.chain import GENESIS, Break, Link, link
from backend.activity.models import ActivityEntry, ActivityVerification
from backend.core.access import Permission, role_may
from backend.core.errors import invalid
from backend.db.session import TenantSession
from tenants.entitlements import Entitlements
from tenants.models import AuditorGrant, Membership
from tenants.roles import Role

MAX_PAGE = 200
VERIFY_BATCH = 5_000


@dataclass(frozen=True)
class EntryFilter:
    organization: uuid.UUID | None = None
    object_id: str | None = None
    before_seq: int | None = None


def _visible(entitlements: Entitlements) -> ColumnElement[bool]:
    """Whole logs of the organizations the caller may read them in; for auditors, entries
    about their grant or made by them."""
    whole = [
        tenant
        for tenant, role in entitlements.roles.items()
        if role_may(role, Permission.READ_ACTIVITY)
    ]
    audited = [tenant for tenant, role in entitlements.roles.items() if role is Role.AUDITOR]
    clauses: list[ColumnElement[bool]] = []
    if whole:
        clauses.append(ActivityEntry.tenant_id.in_(whole))
    if audited:
        bodies = select(Membership.tenant_id).where(Membership.user_id == entitlements.user_id)
        own_grants = select(cast(AuditorGrant.id, String)).where(
            AuditorGrant.certification_body_id.in_(bodies)
        )
        clauses.append(
            ActivityEntry.tenant_id.in_(audited)
            & (
                (ActivityEntry.actor_id == entitlements.user_id)
                | ActivityEntry.object_id.in_(own_grants.scalar_subquery())
            )
        )
    return or_(*clauses) if clauses else false()


async def entries(
    db: TenantSession, entitlements: Entitlements, where: EntryFilter, first: int
) -> tuple[list[ActivityEntry], int]:
    """Newest first: the entries the caller may read (and how many match in all)."""
    if not 1 <= first <= MAX_PAGE:
        raise invalid(f"first must be from 1 to {MAX_PAGE}.", ["first"])
    statement = select(ActivityEntry).where(_visible(entitlements))
    if where.organization is not None:
        statement = statement.where(ActivityEntry.tenant_id == where.organization)
    if where.object_id is not None:
        statement = statement.where(ActivityEntry.object_id == where.object_id)
    total = await db.scalar(select(func.count()).select_from(statement.subquery()))
    if where.before_seq is not None:
        statement = statement.where(ActivityEntry.seq < where.before_seq)
    newest = statement.order_by(ActivityEntry.at.desc(), ActivityEntry.seq.desc()).limit(first)
    return list(await db.scalars(newest)), total or 0


@dataclass(frozen=True)
class Verdict:
    tenant_id: uuid.UUID
    entries: int
    broken: Break | None
    verified_at: datetime


def _link(row: ActivityEntry) -> Link:
    return Link(
        row.tenant_id,
        row.seq,
        row.at,
        row.actor_id,
        row.action,
        row.object_type,
        row.object_id,
        row.operation,
        row.changes,
        row.request_id,
    )


async def verify(db: TenantSession, tenant_id: uuid.UUID, *, store: bool) -> Verdict:
    """Walk the tenant's chain from its first entry; with `store`, keep the result (in the
    caller's transaction)."""
    previous, expected, broken = GENESIS, 1, None
    while broken is None:
        batch = await _batch(db, tenant_id, expected)
        if not batch:
            break
        for row in batch:
            broken = _check(row, previous, expected)
            if broken is not None:
                break
            previous, expected = row.hash, expected + 1
    verdict = Verdict(tenant_id, expected - 1, broken, datetime.now(UTC))
    if not store:
        return verdict
    db.add(
        ActivityVerification(
            tenant_id=tenant_id,
            verified_at=verdict.verified_at,
            entries=verdict.entries,
            broken_at_seq=broken.seq if broken else None,
            reason=broken.reason if broken else None,
        )
    )
    await db.flush()
    return verdict


def _check(row: ActivityEntry, previous: bytes, expected: int) -> Break | None:
    if row.seq != expected:
        return Break(expected, f"entry {expected} is missing")
    if row.prev_hash != previous:
        return Break(row.seq, "its previous hash is not the hash of the entry before it")
    if link(previous, _link(row)) != row.hash:
        return Break(row.seq, "its content does not match its hash")
    return None


async def _batch(db: TenantSession, tenant_id: uuid.UUID, from_seq: int) -> Sequence[ActivityEntry]:
    rows = await db.scalars(
        select(ActivityEntry)
        .where(ActivityEntry.tenant_id == tenant_id, ActivityEntry.seq >= from_seq)
        .order_by(ActivityEntry.seq)
        .limit(VERIFY_BATCH)
    )
    batch = rows.all()
    db.expunge_all()  # constant memory: the walk keeps no entity it has checked
    return batch


async def latest_verification(
    db: TenantSession, tenant_id: uuid.UUID
) -> ActivityVerification | None:
    return await db.scalar(
        select(ActivityVerification)
        .where(ActivityVerification.tenant_id == tenant_id)
        .order_by(ActivityVerification.verified_at.desc())
        .limit(1)
    )
