"""Sessions that carry a tenant scope into every transaction they run.

Two of the three tenancy locks live here: each transaction starts by writing the scope
into transaction-local settings (row-level security reads them), and each ORM query gets
a `tenant_id` filter for the same read set, so a mistake in one layer is caught by the other.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, with_loader_criteria

from backend.db.base import TenantOwned
from tenants.scope import NO_TENANT, TenantScope

SCOPE_KEY = "tenant_scope"
SKIP_TENANT_CRITERIA = "skip_tenant_criteria"

_SET_CONTEXT = text(
    "SELECT set_config('app.user_id', :user_id, true),"
    " set_config('app.read_tenants', :read_tenants, true),"
    " set_config('app.write_tenant', :write_tenant, true)"
)


class TenantSession(AsyncSession):
    """An AsyncSession whose transactions run under `scope`.

    GraphQL resolves sibling fields concurrently, and their DataLoaders share the request's
    session. Concurrent statements on one held connection queue up behind the driver's lock,
    but two that both find no connection would race to open one and fail. So the session
    holds a connection from its first use to its close: ending a transaction opens the next.
    """

    async def commit(self) -> None:
        await super().commit()
        await self.connection()

    async def rollback(self) -> None:
        await super().rollback()
        await self.connection()

    @property
    def scope(self) -> TenantScope:
        scope: TenantScope = self.info.get(SCOPE_KEY, NO_TENANT)
        return scope

    async def set_scope(self, scope: TenantScope) -> None:
        """Switch scope; it applies at once inside an open transaction and to every later one."""
        self.info[SCOPE_KEY] = scope
        if self.in_transaction():
            await self.execute(_SET_CONTEXT, _bind_values(scope))


def _bind_values(scope: TenantScope) -> dict[str, str]:
    values = scope.settings()
    return {
        "user_id": values["app.user_id"],
        "read_tenants": values["app.read_tenants"],
        "write_tenant": values["app.write_tenant"],
    }


@event.listens_for(Session, "after_begin")
def _set_tenant_context(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    scope = session.info.get(SCOPE_KEY, NO_TENANT)
    # A new transaction starts with the settings unset, which the policies read as empty.
    if scope != NO_TENANT:
        connection.execute(_SET_CONTEXT, _bind_values(scope))


@event.listens_for(Session, "do_orm_execute")
def _filter_by_read_tenants(state: ORMExecuteState) -> None:
    if not state.is_select or state.execution_options.get(SKIP_TENANT_CRITERIA):
        return
    scope: TenantScope = state.session.info.get(SCOPE_KEY, NO_TENANT)
    readable = tuple(scope.read_tenants)
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id.in_(readable),
            include_aliases=True,
        )
    )


def execution_options_skipping_criteria() -> dict[str, Any]:
    """For lookups outside the read set (entitlements, the directory); RLS still applies."""
    return {SKIP_TENANT_CRITERIA: True}
