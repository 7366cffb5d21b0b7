"""Sessions that carry a tenant scope into every transaction they run.

Two of the three tenancy locks live here: each transaction starts by writing the scope
into transaction-local settings (row-level security reads them), and each ORM query gets
a `tenant_id` filter for the same read set, so a mistake in one layer is caught by the other.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import Executable, any_, bindparam, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, with_loader_criteria

from backend.db.base import UUID_ARRAY, TenantOwned
from tenants.scope import NO_TENANT, TenantScope

Result = TypeVar("Result")
log = logging.getLogger(__name__)

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
    but two that both find no connection would race to open one and fail. So the first
    database call opens the connection (concurrent first calls wait for that one opening),
    and the session holds it until its close: ending a transaction opens the next. A session
    nobody uses never takes a connection. A scope switched inside a transaction is written
    the same way: by the next call, which every call after it waits for.

    GraphQL also cancels work half-way: when a field fails, graphql-core cancels its siblings,
    and a DataLoader cancels its batch once nobody waits for it. A statement cancelled inside
    asyncpg leaves the connection closed under the session. So every database call runs to its
    end in a task of its own (a cancelled caller just stops waiting), and `close` waits for
    those before it rolls back and hands the connection back to the pool.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._running: set[asyncio.Task[Any]] = set()
        self._ready: asyncio.Task[Any] | None = None
        self._scope_due = False

    async def _to_the_end(self, call: Coroutine[Any, Any, Result]) -> Result:
        if self._ready is None:
            self._ready = self._spawn(super().connection())
        if self._scope_due:
            self._scope_due = False
            self._ready = self._spawn(_after(self._ready, self._write_scope()))
        try:
            await asyncio.shield(self._ready)
        except BaseException:
            call.close()  # never started: no "was never awaited" warning
            raise
        return await asyncio.shield(self._spawn(call))

    async def _write_scope(self) -> None:
        """On the connection, not through the session: a session statement would first flush
        what was added since the switch, under the scope it replaces."""
        connection = await super().connection()
        await connection.execute(_SET_CONTEXT, _bind_values(self.scope))

    def _spawn(self, call: Coroutine[Any, Any, Result]) -> asyncio.Task[Result]:
        task = asyncio.ensure_future(call)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    if not TYPE_CHECKING:  # the same signatures as AsyncSession's, which type checkers keep

        async def execute(self, *args: Any, **kwargs: Any) -> Any:  # scalars() comes here too
            return await self._to_the_end(super().execute(*args, **kwargs))

        async def scalar(self, *args: Any, **kwargs: Any) -> Any:
            return await self._to_the_end(super().scalar(*args, **kwargs))

        async def get(self, *args: Any, **kwargs: Any) -> Any:
            return await self._to_the_end(super().get(*args, **kwargs))

        async def get_one(self, *args: Any, **kwargs: Any) -> Any:
            return await self._to_the_end(super().get_one(*args, **kwargs))

        async def refresh(self, *args: Any, **kwargs: Any) -> None:
            await self._to_the_end(super().refresh(*args, **kwargs))

        async def flush(self, *args: Any, **kwargs: Any) -> None:
            await self._to_the_end(super().flush(*args, **kwargs))

        async def delete(self, *args: Any, **kwargs: Any) -> None:
            await self._to_the_end(super().delete(*args, **kwargs))

        async def connection(self, *args: Any, **kwargs: Any) -> Any:
            return await self._to_the_end(super().connection(*args, **kwargs))

    async def commit(self) -> None:
        await self._to_the_end(super().commit())
        await self.connection()

    async def rollback(self) -> None:
        await self._to_the_end(super().rollback())
        await self.connection()

    async def close(self) -> None:
        """Close once every database call has ended. A connection that still cannot roll back
        (the server went away) is discarded, and the request keeps its answer."""
        await asyncio.gather(*self._running, return_exceptions=True)
        try:
            await super().close()
        except SQLAlchemyError:
            log.exception("closing the database session failed; its connection is discarded")
            await super().invalidate()

    @property
    def scope(self) -> TenantScope:
        scope: TenantScope = self.info.get(SCOPE_KEY, NO_TENANT)
        return scope

    async def set_scope(self, scope: TenantScope) -> None:
        """Switch scope: for every later transaction, and inside an open one from its next
        statement on, which the scope's settings go just before. A transaction that runs
        nothing more (`me` after the login check) spends no round trip on them."""
        self.info[SCOPE_KEY] = scope
        self._scope_due = self.in_transaction()


async def _after(first: Awaitable[Any], then: Coroutine[Any, Any, Result]) -> Result:
    """`then` once `first` has ended well: the statements of a session go in order."""
    try:
        await first
    except BaseException:
        then.close()
        raise
    return await then


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


READ_TENANTS = "orm_read_tenants"
"""The parameter carrying the read set into the ORM's tenant filter. The filter's lambda
spells it out: SQLAlchemy's lambda analysis would track a global name it reads as a value."""

# One option for every statement, its filter one array parameter. A filter written with the
# read set inside (an IN list, or a lambda closing over it) gave each request's statement a
# new cache key to compute and a new SQL text with one placeholder per tenant to render.
_TENANT_FILTER = with_loader_criteria(
    TenantOwned,
    lambda cls: cls.tenant_id == any_(bindparam("orm_read_tenants", type_=UUID_ARRAY)),
    include_aliases=True,
    track_closure_variables=False,  # the lambda reads only constants
)
# Each statement with the filter added, kept as long as the statement lives: statements
# built once (criteria, loaders) then keep their memoized cache key from request to request.
_FILTERED: weakref.WeakKeyDictionary[Executable, Executable] = weakref.WeakKeyDictionary()


@event.listens_for(Session, "do_orm_execute")
def _filter_by_read_tenants(state: ORMExecuteState) -> None:
    if not state.is_select or state.execution_options.get(SKIP_TENANT_CRITERIA):
        return
    scope: TenantScope = state.session.info.get(SCOPE_KEY, NO_TENANT)
    statement = state.statement
    filtered = _FILTERED.get(statement)
    if filtered is None:
        filtered = _FILTERED[statement] = statement.options(_TENANT_FILTER)
    state.statement = filtered
    parameters = cast("Mapping[str, Any]", state.parameters or {})  # a SELECT has one set
    state.parameters = {**parameters, READ_TENANTS: list(scope.read_tenants)}


def execution_options_skipping_criteria() -> dict[str, Any]:
    """For lookups outside the read set (sign-in, invitations, the directory); RLS still applies."""
    return {SKIP_TENANT_CRITERIA: True}
