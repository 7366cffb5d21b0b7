"""GraphQL for logging in (password or single sign-on), refreshing and logging out, and for
the organization's identity provider.

Browsers may ask for the refresh token in an HttpOnly, Secure, SameSite=Strict cookie
instead of the payload, so page scripts never hold it; `refresh` and `logout` then read it
from the cookie.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

import strawberry
from litestar.datastructures import Cookie
from strawberry import relay

from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.errors import UserError
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode
from backend.api.pagination import Connection, paginate
from backend.api.tenants import Membership, MembershipPayload, Organization, Role, User
from backend.auth import invitations, models, providers, service
from backend.core.access import Permission, role_may
from backend.core.errors import ErrorCode, ServiceError
from backend.db.batch import by_id
from tenants.roles import Role as RoleValue

GRAPHQL_PATH = "/graphql"


@strawberry.input
class LoginInput:
    email: str
    password: str
    refresh_token_in_cookie: bool = strawberry.field(
        default=False,
        description="Set the refresh token as an HttpOnly cookie, not in the payload.",
    )


@strawberry.input
class RefreshInput:
    refresh_token: str | None = strawberry.field(
        default=None, description="Omit to use the cookie."
    )
    refresh_token_in_cookie: bool = False


@strawberry.input
class AcceptInvitationInput:
    token: str
    password: str
    name: str | None = strawberry.field(
        default=None, description="Your name; defaults to the one the inviter suggested."
    )
    refresh_token_in_cookie: bool = False


@strawberry.input
class JoinOrganizationInput:
    token: str


@strawberry.input
class LogoutInput:
    refresh_token: str | None = strawberry.field(
        default=None, description="Omit to use the cookie."
    )


@strawberry.type(
    description="A signed-in session: a short-lived access token and its refresh token."
)
class AuthPayload:
    access_token: str | None = None
    access_token_expires_at: datetime | None = None
    refresh_token: str | None = strawberry.field(
        default=None, description="Null when it was set as a cookie."
    )
    refresh_token_expires_at: datetime | None = None
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


def _payload(info: Info, session: service.Session, in_cookie: bool) -> AuthPayload:
    if in_cookie:
        _set_cookie(info, session.refresh_token, session.refresh_expires_at)
    return AuthPayload(
        access_token=session.access.token,
        access_token_expires_at=session.access.expires_at,
        refresh_token=None if in_cookie else session.refresh_token,
        refresh_token_expires_at=session.refresh_expires_at,
        user=User.from_model(session.user),
    )


def _set_cookie(info: Info, value: str, expires_at: datetime | None) -> None:
    settings = info.context.runtime.settings
    response = info.context.response
    assert response is not None  # noqa: S101 - always set for HTTP requests
    max_age = (
        0
        if expires_at is None
        else int((expires_at - datetime.now(expires_at.tzinfo)).total_seconds())
    )
    response.cookies.append(
        Cookie(
            key=settings.refresh_cookie_name,
            value=value,
            max_age=max_age,
            path=GRAPHQL_PATH,
            httponly=True,
            secure=settings.refresh_cookie_secure,
            samesite="strict",
        )
    )


def _presented_token(info: Info, given: str | None) -> str:
    request = info.context.request
    token = given or (
        request.cookies.get(info.context.runtime.settings.refresh_cookie_name) if request else None
    )
    if not token:
        raise ServiceError(
            ErrorCode.INVALID_REFRESH_TOKEN, "No refresh token given.", ["refreshToken"]
        )
    return token


@strawberry.type
class PasswordMutation:
    @mutation(description="Exchange email and password for tokens.")
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        ctx = info.context
        session = await service.login(
            ctx.db, ctx.runtime.auth, input.email, input.password, ctx.client_address
        )
        return _payload(info, session, input.refresh_token_in_cookie)

    @mutation(description="Trade a refresh token for new tokens; the old one stops working.")
    async def refresh(self, info: Info, input: RefreshInput) -> AuthPayload:
        token = _presented_token(info, input.refresh_token)
        session = await service.refresh(info.context.db, info.context.runtime.auth, token)
        # A token that came from the cookie goes back into the cookie.
        in_cookie = input.refresh_token_in_cookie or input.refresh_token is None
        return _payload(info, session, in_cookie)

    @mutation(
        description="Accept an invitation to an address without an account: create it with"
        " this first password, join, and log in."
    )
    async def accept_invitation(self, info: Info, input: AcceptInvitationInput) -> AuthPayload:
        session = await invitations.accept_invitation(
            info.context.db, info.context.runtime.auth, input.token, input.password, input.name
        )
        return _payload(info, session, input.refresh_token_in_cookie)

    @mutation(description="Accept an invitation to your own address while signed in, and join.")
    async def join_organization(
        self, info: Info, input: JoinOrganizationInput
    ) -> MembershipPayload:
        row = await invitations.join_organization(
            info.context.db, info.context.user_id, input.token
        )
        return MembershipPayload(membership=Membership.from_model(row))

    @mutation(description="End this login everywhere its refresh tokens are held.")
    async def logout(self, info: Info, input: LogoutInput) -> LogoutPayload:
        await service.logout(info.context.db, _presented_token(info, input.refresh_token))
        _set_cookie(info, "", None)
        return LogoutPayload()


# --- single sign-on ----------------------------------------------------------------------


@strawberry.type(
    description="An organization's OpenID Connect provider. Its client secret is never shown."
)
class IdentityProvider(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = by_id(models.IdentityProvider)
    id: relay.NodeID[str]
    issuer: str
    client_id: str
    allowed_domains: list[str] = strawberry.field(
        description="Addresses of these domains may sign in and become members.",
        metadata=at_most(providers.MAX_DOMAINS),
    )
    default_role: Role = strawberry.field(  # type: ignore[valid-type]
        description="The role of a person who joins by signing in."
    )
    enabled: bool
    created_at: datetime
    updated_at: datetime
    tenant_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: models.IdentityProvider) -> IdentityProvider:
        return cls(
            id=str(row.id),
            issuer=row.issuer,
            client_id=row.client_id,
            allowed_domains=list(row.allowed_domains),
            default_role=RoleValue(row.default_role),
            enabled=row.enabled,
            created_at=row.created_at,
            updated_at=row.updated_at,
            tenant_id=row.tenant_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[IdentityProvider | None]:
        """Only for those who configure sign-in there: others see no provider at all."""
        found: list[IdentityProvider | None] = await super().resolve_nodes(
            info=info, node_ids=node_ids
        )
        allowed = set(_configuring_tenants(info))
        return [node if node and node.tenant_id in allowed else None for node in found]

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        return Organization.from_model(await info.context.loaders.organization.load(self.tenant_id))


def _configuring_tenants(info: Info) -> list[uuid.UUID]:
    entitlements = info.context.entitlements
    if entitlements is None:
        return []
    return [
        tenant
        for tenant, role in entitlements.roles.items()
        if role_may(role, Permission.CONFIGURE_SIGN_IN)
    ]


@strawberry.type
class AuthQuery:
    @strawberry.field(
        description="The identity providers of the organizations where you configure sign-in"
        " (owners and admins)."
    )
    async def identity_providers(
        self,
        info: Info,
        *,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[IdentityProvider]:
        info.context.require_entitlements()
        statement = providers.providers_statement(
            _configuring_tenants(info), organization_id(organization)
        )
        keys = (models.IdentityProvider.created_at, models.IdentityProvider.id)
        page = await paginate(info.context.db, statement, keys, first, after)
        return Connection[IdentityProvider].from_page(page, IdentityProvider.from_model)


@strawberry.input(description="Set up, or replace, the acting organization's provider.")
class ConfigureIdentityProviderInput:
    issuer: str = strawberry.field(description="The provider's issuer URL (https).")
    client_id: str
    client_secret: str | None = strawberry.field(
        default=None, description="Required the first time; omit to keep the stored one."
    )
    allowed_domains: list[str] = strawberry.field(
        description="E-mail domains whose people may sign in, e.g. example.com."
    )
    default_role: Role = strawberry.field(  # type: ignore[valid-type]
        description="The role of people who join by signing in; not OWNER."
    )


@strawberry.input
class DisableIdentityProviderInput:
    id: relay.GlobalID


@strawberry.type
class IdentityProviderPayload:
    identity_provider: IdentityProvider | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class StartSsoLoginInput:
    organization: str = strawberry.field(description="The organization's slug.")
    redirect_uri: str = strawberry.field(
        description="Where the provider sends the person back, on an allowed web app origin."
    )


@strawberry.type
class StartSsoLoginPayload:
    authorization_url: str | None = strawberry.field(
        default=None, description="Send the person here; it returns with `state` and `code`."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CompleteSsoLoginInput:
    organization: str = strawberry.field(description="The organization's slug.")
    state: str
    code: str
    refresh_token_in_cookie: bool = False


def _provider_payload(row: models.IdentityProvider) -> IdentityProviderPayload:
    return IdentityProviderPayload(identity_provider=IdentityProvider.from_model(row))


@strawberry.type
class SsoMutation:
    @mutation(description="Set up the acting organization's single sign-on provider.")
    async def configure_identity_provider(
        self, info: Info, input: ConfigureIdentityProviderInput
    ) -> IdentityProviderPayload:
        fields = providers.ProviderFields(
            issuer=input.issuer,
            client_id=input.client_id,
            client_secret=input.client_secret,
            allowed_domains=input.allowed_domains,
            default_role=RoleValue(input.default_role),
        )
        row = await providers.configure_provider(info.context.db, actor_of(info), fields)
        return _provider_payload(row)

    @mutation(description="Stop new sign-ins through a provider.")
    async def disable_identity_provider(
        self, info: Info, input: DisableIdentityProviderInput
    ) -> IdentityProviderPayload:
        provider_id = node_uuid(input.id, "IdentityProvider", "id")
        row = await providers.disable_provider(info.context.db, actor_of(info), provider_id)
        return _provider_payload(row)

    @mutation(description="Begin signing in through an organization's identity provider.")
    async def start_sso_login(self, info: Info, input: StartSsoLoginInput) -> StartSsoLoginPayload:
        url = await providers.start_login(
            info.context.db,
            input.organization,
            input.redirect_uri,
            info.context.runtime.settings.cors_allow_origins,
        )
        return StartSsoLoginPayload(authorization_url=url)

    @mutation(description="Finish signing in with the provider's `state` and `code`.")
    async def complete_sso_login(self, info: Info, input: CompleteSsoLoginInput) -> AuthPayload:
        session = await providers.complete_login(
            info.context.db, info.context.runtime.auth, input.organization, input.state, input.code
        )
        return _payload(info, session, input.refresh_token_in_cookie)


@strawberry.type
class AuthMutation(PasswordMutation, SsoMutation):
    """Every way in and out: passwords, invitations and single sign-on."""
