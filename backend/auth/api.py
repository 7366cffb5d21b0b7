"""GraphQL mutations for logging in, refreshing and logging out.

Browsers may ask for the refresh token in an HttpOnly, Secure, SameSite=Strict cookie
instead of the payload, so page scripts never hold it; `refresh` and `logout` then read it
from the cookie.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from litestar.datastructures import Cookie

from backend.api.context import Info
from backend.api.errors import UserError
from backend.api.mutations import mutation
from backend.api.tenants import Membership, MembershipPayload, User
from backend.auth import invitations, service
from backend.core.errors import ErrorCode, ServiceError

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
class AuthMutation:
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
