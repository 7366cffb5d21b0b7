"""Failed jobs over GraphQL: owners and admins see their organization's and run them again."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from backend.api.context import Info, actor_of
from backend.api.errors import UserError
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.mutations import mutation, node_uuid
from backend.core.access import Permission, role_may
from backend.jobs import models, outbox

MAX_FAILURES = 100


@strawberry.type(description="A background job that failed as often as it may.")
class JobFailure:
    id: relay.GlobalID
    job: str
    failures: int
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    tenant_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: models.OutboxMessage) -> JobFailure:
        return cls(
            id=relay.GlobalID("JobFailure", str(row.id)),
            job=row.job,
            failures=row.failures,
            last_error=row.last_error,
            created_at=row.created_at,
            finished_at=row.finished_at,
            tenant_id=row.tenant_id,
        )


@strawberry.type
class JobQuery:
    @strawberry.field(
        description="Dead-lettered jobs of the organizations where you are an owner or admin."
    )
    async def job_failures(
        self,
        info: Info,
        *,
        organization: OrganizationFilter = None,
        first: Annotated[int, strawberry.argument(description="At most 100.")] = 50,
    ) -> list[JobFailure]:
        entitlements = info.context.require_entitlements()
        managed = [
            tenant
            for tenant, role in entitlements.roles.items()
            if role_may(role, Permission.MANAGE_JOBS)
        ]
        statement = outbox.failed_statement().where(models.OutboxMessage.tenant_id.in_(managed))
        if (narrowed := organization_id(organization)) is not None:
            statement = statement.where(models.OutboxMessage.tenant_id == narrowed)
        newest = statement.order_by(models.OutboxMessage.finished_at.desc()).limit(
            max(0, min(first, MAX_FAILURES))
        )
        return [JobFailure.from_model(row) for row in await info.context.db.scalars(newest)]


@strawberry.input
class RetryJobInput:
    id: relay.GlobalID


@strawberry.type
class RetryJobPayload:
    job_id: relay.GlobalID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class JobMutation:
    @mutation(description="Queue a dead-lettered job again, with its failures forgotten.")
    async def retry_job(self, info: Info, input: RetryJobInput) -> RetryJobPayload:
        row = await outbox.retry(
            info.context.db, actor_of(info), node_uuid(input.id, "JobFailure", "id")
        )
        return RetryJobPayload(job_id=relay.GlobalID("JobFailure", str(row.id)))
