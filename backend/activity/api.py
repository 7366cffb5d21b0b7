"""The activity log in GraphQL: `activityLog` and `verifyActivityLog`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from backend.activity import models, service
from backend.api.context import Info
from backend.api.cost import at_most
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.mutations import node_uuid
from backend.api.tenants import User
from backend.core.access import Permission, role_may
from backend.core.errors import ErrorCode, ServiceError


@strawberry.type(description="One change (or event) of an organization, in its hash chain.")
class ActivityEntry:
    seq: int = strawberry.field(description="Its place in the organization's chain, from 1.")
    at: datetime
    action: str = strawberry.field(
        description="What was done: the mutation, job or command that made the change."
    )
    object_type: str
    object_id: str | None = strawberry.field(description="The changed row's database id.")
    operation: str = strawberry.field(description="insert, update, delete or event.")
    changes: JSON = strawberry.field(
        description="Per column, the value before and after (long values as their SHA-256)."
    )
    request_id: str | None
    hash: str = strawberry.field(description="SHA-256 of the previous hash and this entry, hex.")
    actor_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, row: models.ActivityEntry) -> ActivityEntry:
        return cls(
            seq=row.seq,
            at=row.at,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            operation=row.operation,
            changes=JSON(row.changes),
            request_id=row.request_id,
            hash=row.hash.hex(),
            actor_id=row.actor_id,
        )

    @strawberry.field(description="Who did it; null for background work.")
    async def actor(self, info: Info) -> User | None:
        return await User.load(info, self.actor_id)


@strawberry.type
class ActivityLogPage:
    entries: list[ActivityEntry] = strawberry.field(
        description="Newest first.", metadata=at_most(service.MAX_PAGE)
    )
    total_count: int


@strawberry.type(description="Whether an organization's chain holds, checked now.")
class ActivityLogVerification:
    entries: int = strawberry.field(description="Entries that hold, counted from the first.")
    intact: bool
    broken_at_seq: int | None = strawberry.field(description="The first entry that does not.")
    reason: str | None
    verified_at: datetime


def _tenant_reading_activity(info: Info, organization: relay.GlobalID) -> uuid.UUID:
    tenant = node_uuid(organization, "Organization", "organization")
    role = info.context.require_entitlements().role_in(tenant)
    if role is None:
        raise ServiceError(ErrorCode.NOT_FOUND, "Organization not found.", ["organization"])
    if not role_may(role, Permission.READ_ACTIVITY):
        raise ServiceError(
            ErrorCode.FORBIDDEN, "Only owners, admins and consultants verify the activity log."
        )
    return tenant


@strawberry.type
class ActivityQuery:
    @strawberry.field(
        description="The activity log you may read: whole logs where you are an owner, admin"
        " or consultant; as an auditor, the entries about your grant and your own actions."
    )
    async def activity_log(
        self,
        info: Info,
        *,
        organization: OrganizationFilter = None,
        object_id: Annotated[
            str | None, strawberry.argument(description="Only entries about this row.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="At most 200.")] = 50,
        before_seq: Annotated[
            int | None, strawberry.argument(description="Older than this entry (paging).")
        ] = None,
    ) -> ActivityLogPage:
        where = service.EntryFilter(organization_id(organization), object_id, before_seq)
        rows, total = await service.entries(
            info.context.db, info.context.require_entitlements(), where, first
        )
        return ActivityLogPage(
            entries=[ActivityEntry.from_model(row) for row in rows], total_count=total
        )

    @strawberry.field(description="Walk the organization's chain now and say where it breaks.")
    async def verify_activity_log(
        self, info: Info, organization: relay.GlobalID
    ) -> ActivityLogVerification:
        tenant = _tenant_reading_activity(info, organization)
        verdict = await service.verify(info.context.db, tenant, store=False)
        return _verification(verdict)


def _verification(verdict: service.Verdict) -> ActivityLogVerification:
    broken: Any = verdict.broken
    return ActivityLogVerification(
        entries=verdict.entries,
        intact=broken is None,
        broken_at_seq=broken.seq if broken else None,
        reason=broken.reason if broken else None,
        verified_at=verdict.verified_at,
    )
