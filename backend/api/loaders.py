"""Per-request DataLoaders, so list fields cost one query per field, not one per row.

Loaders read through the request's session, so they see exactly what the tenant scope
admits; an id of another tenant loads as None, the same as a missing one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from backend.api.errors import ClientError
from backend.api.pagination import Page, PageRequest, paginate_children
from backend.core.calendar import TenantDay
from backend.db.base import Identified
from backend.db.batch import among, rows_by_id
from backend.db.session import TenantSession, execution_options_skipping_criteria
from tenants.models import (
    AuditorGrant,
    ConsultancyEngagement,
    Membership,
    Organization,
    OrganizationKind,
    User,
)

Model = TypeVar("Model", bound=Identified)
Batch = Callable[[TenantSession, Sequence[Any]], Awaitable[Sequence[Any]]]


class Loaders:
    def __init__(self, db: TenantSession) -> None:
        self.db = db
        self._domain: dict[Batch, DataLoader[Any, Any]] = {}
        self.organization = DataLoader(self._by_id(Organization))
        self.user = DataLoader(self._by_id(User))
        self.membership = DataLoader(self._by_id(Membership))
        self.auditor_grant = DataLoader(self._by_id(AuditorGrant))
        self.memberships_of_user = DataLoader(self._memberships_of_users)
        self.certification_body = DataLoader(self._certification_bodies)
        # Pages of an organization's lists, keyed by PageRequest(organization id, first, after).
        self.members_page = DataLoader(
            self._pages_by_tenant(Membership, (Membership.created_at, Membership.id))
        )
        self.auditor_grants_page = DataLoader(
            self._pages_by_tenant(AuditorGrant, (AuditorGrant.created_at, AuditorGrant.id))
        )
        self.engagements_page = DataLoader(
            self._pages_by_tenant(
                ConsultancyEngagement, (ConsultancyEngagement.started_at, ConsultancyEngagement.id)
            )
        )

    async def tenant_day(self, tenant_id: uuid.UUID) -> TenantDay:
        """The organization's today and calendar, from its batched row: every due date and
        "overdue" a field reports is read on it."""
        organization = await self.organization.load(tenant_id)
        return TenantDay.now(organization.timezone)

    def of(self, batch: Batch) -> DataLoader[Any, Any]:
        """The request's DataLoader for a domain's `batch(db, keys)` function, made on first use.

        Domain areas keep their batch functions next to their models and reach them through
        here, so adding one needs no change to this class.
        """
        loader = self._domain.get(batch)
        if loader is None:
            loader = self._domain[batch] = DataLoader(partial(batch, self.db))
        return loader

    def _by_id(self, model: type[Model]) -> Any:
        return partial(rows_by_id, model, self.db)

    def _pages_by_tenant(
        self, model: type[Membership | AuditorGrant | ConsultancyEngagement], keys: tuple[Any, ...]
    ) -> Any:
        async def load(requests: Sequence[PageRequest]) -> list[Page[Any] | ClientError]:
            return await paginate_children(self.db, model, model.tenant_id, keys, requests)

        return load

    async def _memberships_of_users(self, user_ids: Sequence[uuid.UUID]) -> list[list[Membership]]:
        rows = await self.db.scalars(
            select(Membership)
            .where(among(Membership.user_id, user_ids))
            .order_by(Membership.created_at, Membership.id)
        )
        grouped: dict[uuid.UUID, list[Membership]] = defaultdict(list)
        for row in rows:
            grouped[row.user_id].append(row)
        return [grouped[i] for i in user_ids]

    async def _certification_bodies(self, ids: Sequence[uuid.UUID]) -> list[Organization | None]:
        """Certification bodies form a public directory for signed-in users, outside any tenant."""
        rows = await self.db.scalars(
            select(Organization).where(
                among(Organization.id, ids),
                Organization.kind == OrganizationKind.CERTIFICATION_BODY.value,
            ),
            execution_options=execution_options_skipping_criteria(),
        )
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]
