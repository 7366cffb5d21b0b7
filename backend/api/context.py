"""What every resolver gets: the database session, who is calling, and where it acts.

Built once per HTTP request. The caller's access token is checked here, its entitlements
loaded in one statement, and the session's tenant scope set before any resolver runs; a
request without a token opens no session until a resolver asks for the database.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, NotAuthorizedException, NotFoundException
from strawberry.litestar import BaseContext
from strawberry.types import Info as StrawberryInfo

from backend.api.loaders import Loaders
from backend.auth.tokens import InvalidAccessTokenError
from backend.core.access import Actor
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.observability import bind_request
from backend.runtime import ApiRuntime
from tenants.entitlements import Entitlements, load_session_entitlements
from tenants.roles import Role

TENANT_HEADER = "x-tenant-id"


class Context(BaseContext, kw_only=True):
    """The session and the DataLoaders are made on first use: a query that reads nothing
    (`{ __typename }`, a validation error) costs no connection and no transaction."""

    runtime: ApiRuntime
    entitlements: Entitlements | None = None
    acting_tenant: uuid.UUID | None = None
    client_address: str
    operation_name: str | None = None
    """The operation being executed, by name (set once it validated; see api.observed)."""
    _session: TenantSession | None = None
    _loaders: Loaders | None = None
    _asked: dict[tuple[tuple[str, ...], str], bool] | None = None

    @property
    def db(self) -> TenantSession:
        if self._session is None:
            self._session = self.runtime.sessions()
        return self._session

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.db)
        return self._loaders

    @property
    def asked(self) -> dict[tuple[tuple[str, ...], str], bool]:
        """What resolvers found their selection asks for (`api.eager.asks_for`)."""
        if self._asked is None:
            self._asked = {}
        return self._asked

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def user_id(self) -> uuid.UUID:
        return self.require_entitlements().user_id

    def require_entitlements(self) -> Entitlements:
        if self.entitlements is None:
            raise ServiceError(ErrorCode.UNAUTHENTICATED, "Log in first.")
        return self.entitlements

    def acting_role(self) -> tuple[uuid.UUID, Role]:
        """The tenant this request acts in and the caller's role there."""
        entitlements = self.require_entitlements()
        if self.acting_tenant is None:
            raise ServiceError(
                ErrorCode.FORBIDDEN, "Name the organization you act in with the X-Tenant-ID header."
            )
        role = entitlements.role_in(self.acting_tenant)
        if role is None:  # excluded when the context was built; kept as a second lock
            raise ServiceError(ErrorCode.NOT_FOUND, "Organization not found.")
        return self.acting_tenant, role


Info = StrawberryInfo[Context, None]


@asynccontextmanager
async def request_context(
    request: Request[Any, Any, Any], runtime: ApiRuntime
) -> AsyncIterator[Context]:
    """The request's context, its session closed at the end if a resolver opened one."""
    context = Context(
        runtime=runtime, client_address=request.client.host if request.client else "unknown"
    )
    try:
        await _enter(context, request)
        yield context
    finally:
        await context.close()


async def _enter(context: Context, request: Request[Any, Any, Any]) -> None:
    """Authenticate the caller and scope the session to where it may read and act."""
    entitlements = await _authenticate(request, context)
    acting = _acting_tenant(request, entitlements)
    if entitlements is not None:
        await context.db.set_scope(entitlements.scope(acting))
    context.entitlements, context.acting_tenant = entitlements, acting
    bind_request(
        user_id=str(entitlements.user_id) if entitlements else None,
        tenant_id=str(acting) if acting else None,
    )


async def _authenticate(request: Request[Any, Any, Any], context: Context) -> Entitlements | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("Authorization must be 'Bearer <access token>'.")
    try:
        subject = context.runtime.auth.issuer.verify(token.strip())
    except InvalidAccessTokenError:
        raise _invalid_token() from None
    # The transaction's first statement tells whether the token's login was ended (logout,
    # a replayed refresh token), reads the caller's user row and the entitlements; the
    # scope they give then applies to the rest of the transaction.
    login = await load_session_entitlements(context.db, subject.user_id, subject.session_id)
    if login is None:
        raise _invalid_token()
    if not login.user.is_active:
        raise NotAuthorizedException("The account is disabled.")
    # Into the loader, so resolvers asking for the caller (`me`) reuse this row.
    context.loaders.user.prime(login.user.id, login.user)
    return login.entitlements


def _invalid_token() -> NotAuthorizedException:
    return NotAuthorizedException(
        "The access token is invalid or expired; refresh it or log in again.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _acting_tenant(
    request: Request[Any, Any, Any], entitlements: Entitlements | None
) -> uuid.UUID | None:
    raw = request.headers.get(TENANT_HEADER)
    if raw is None or not raw.strip():
        return None
    tenant_id = parse_tenant_id(raw.strip())
    if entitlements is None:
        raise NotAuthorizedException("Log in before naming an organization to act in.")
    if entitlements.role_in(tenant_id) is None:
        raise NotFoundException("Organization not found.")
    return tenant_id


def parse_tenant_id(raw: str) -> uuid.UUID:
    """A UUID, or an Organization global ID."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        pass
    try:
        type_name, _, value = base64.b64decode(raw, validate=True).decode().partition(":")
        if type_name == "Organization":
            return uuid.UUID(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ClientException("X-Tenant-ID must be an organization id (UUID or global ID).")


def actor_of(info: Info) -> Actor:
    """Who acts in this request, where, and with which role (for every domain's mutations)."""
    tenant_id, role = info.context.acting_role()
    return Actor(info.context.user_id, tenant_id, role)
