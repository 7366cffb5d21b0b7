"""What a principal may touch in one request: the tenants it reads and the one it writes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TenantScope:
    """The tenant context a database transaction runs under.

    `read_tenants` is every organization the principal is entitled to see; `write_tenant`
    is the single organization it acts in with a role that may write, or None (auditors,
    viewers, requests that name no tenant). Row-level security reads these values from
    transaction-local settings, and the ORM adds the same filter to every query.
    """

    user_id: uuid.UUID | None = None
    read_tenants: frozenset[uuid.UUID] = field(default_factory=frozenset)
    write_tenant: uuid.UUID | None = None

    def settings(self) -> dict[str, str]:
        """The transaction-local PostgreSQL settings the policies read."""
        return {
            "app.user_id": str(self.user_id) if self.user_id else "",
            "app.read_tenants": ",".join(sorted(str(t) for t in self.read_tenants)),
            "app.write_tenant": str(self.write_tenant) if self.write_tenant else "",
        }

    def writing_in(self, tenant_id: uuid.UUID) -> TenantScope:
        """This scope acting in `tenant_id`, which it may then read too (a tenant being created)."""
        return TenantScope(self.user_id, self.read_tenants | {tenant_id}, tenant_id)

    def reading_also(self, tenant_id: uuid.UUID) -> TenantScope:
        return TenantScope(self.user_id, self.read_tenants | {tenant_id}, self.write_tenant)


NO_TENANT = TenantScope()


def system_scope(tenant_id: uuid.UUID) -> TenantScope:
    """Work done for no user (a job, an admin command) in exactly one tenant.

    It reads and writes `tenant_id` only, under the same policies as a request: no user id,
    so nothing keyed on a user (memberships of others, the directory) opens up either.
    """
    return TenantScope(None, frozenset({tenant_id}), tenant_id)
