"""Which organizations a user may read, and with which role it may act in each.

Three routes entitle a user: a membership (its stored role), an active consultancy
engagement of an organization it belongs to (`consultant` in the client, or `viewer` for
the consultancy's own viewers and where the client limited the engagement to reading; an
engagement with an end date stops at that moment), and a valid
auditor grant to a certification body it belongs to (`auditor` in the client, read-only).
Validity is judged by the database clock at every request, so an expired or revoked grant
stops working at once. The same statement checks that the request's login (the access token's
refresh-token family) has not been ended, so logging out ends its access tokens at once too,
at no extra round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    Uuid,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)

from backend.auth.models import RefreshToken
from backend.core.access import Permission, role_may
from backend.db.session import TenantSession, execution_options_skipping_criteria
from tenants.models import AuditorGrant, ConsultancyEngagement, Membership, User
from tenants.roles import Role
from tenants.scope import TenantScope


@dataclass(frozen=True)
class Entitlements:
    user_id: uuid.UUID
    roles: dict[uuid.UUID, Role]

    def role_in(self, tenant_id: uuid.UUID) -> Role | None:
        return self.roles.get(tenant_id)

    def scope(self, acting_tenant: uuid.UUID | None = None) -> TenantScope:
        """Read everything entitled; write only in `acting_tenant`, and only with a writing role."""
        role = self.roles.get(acting_tenant) if acting_tenant else None
        write = (
            acting_tenant if role is not None and role_may(role, Permission.CONTRIBUTE) else None
        )
        return TenantScope(self.user_id, frozenset(self.roles), write)


def _entitlement_routes() -> CompoundSelect[uuid.UUID, str]:
    """The three routes as one statement, built once: `:user_id` is bound per request."""
    user_id = bindparam("user_id", type_=Uuid)
    now = func.now()
    memberships = select(Membership.tenant_id, cast(Membership.role, String)).where(
        Membership.user_id == user_id
    )
    consulting = (
        select(ConsultancyEngagement.tenant_id, _consultant_role())
        .join(Membership, Membership.tenant_id == ConsultancyEngagement.consultancy_id)
        .where(
            Membership.user_id == user_id,
            ConsultancyEngagement.started_at <= now,
            or_(ConsultancyEngagement.ended_at.is_(None), ConsultancyEngagement.ended_at > now),
        )
    )
    auditing = select(AuditorGrant.tenant_id, literal(Role.AUDITOR.value, String)).where(
        AuditorGrant.certification_body_id.in_(
            select(Membership.tenant_id).where(Membership.user_id == user_id)
        ),
        AuditorGrant.valid_from <= now,
        AuditorGrant.valid_until > now,
        AuditorGrant.revoked_at.is_(None),
    )
    return union_all(memberships, consulting, auditing)


def _consultant_role() -> ColumnElement[str]:
    """A consultancy's viewers follow its clients read-only, and so does everyone of it where
    the client limited the engagement to reading; its other members consult there."""
    return case(
        (
            (Membership.role == Role.VIEWER.value)
            | (ConsultancyEngagement.role == Role.VIEWER.value),
            literal(Role.VIEWER.value, String),
        ),
        else_=literal(Role.CONSULTANT.value, String),
    )


def _routes_of_live_session() -> Select[tuple[User, bool, uuid.UUID | None, str | None]]:
    """The user, whether login `:session_id` is live, and the routes when it is: one row at
    least while the user exists.

    A family is live while any of its tokens is unrevoked (revoking sets every one). The user
    rides along so that a request reads who is calling in the same round trip.
    """
    user_id = bindparam("user_id", type_=Uuid)
    live = select(
        exists()
        .where(
            RefreshToken.family_id == bindparam("session_id", type_=Uuid),
            RefreshToken.user_id == user_id,
            RefreshToken.revoked_at.is_(None),
        )
        .label("live")
    ).subquery("session")
    routes = _entitlement_routes().subquery("routes")
    return (
        select(User, live.c.live, routes.c.tenant_id, routes.c.role)
        .select_from(live.outerjoin(routes, live.c.live))
        .join(User, User.id == user_id)
    )


_ROUTES = _entitlement_routes()
_ROUTES_OF_LIVE_SESSION = _routes_of_live_session()


async def load_entitlements(session: TenantSession, user_id: uuid.UUID) -> Entitlements:
    """One statement over the three routes; row-level security admits just the user's own rows.

    For work that acts as a user outside any login; requests use `load_session_entitlements`.
    """
    await session.set_scope(TenantScope(user_id=user_id))
    rows = await session.execute(
        _ROUTES, {"user_id": user_id}, execution_options=execution_options_skipping_criteria()
    )
    return Entitlements(user_id, _best_roles(rows))


@dataclass(frozen=True)
class Login:
    """Who calls, and what its live login entitles it to."""

    user: User
    entitlements: Entitlements


async def load_session_entitlements(
    session: TenantSession, user_id: uuid.UUID, session_id: uuid.UUID
) -> Login | None:
    """The user and the entitlements of a request's login in one statement, or None once
    the login was ended (or the user is gone)."""
    await session.set_scope(TenantScope(user_id=user_id))
    rows: Sequence[Any] = (
        await session.execute(
            _ROUTES_OF_LIVE_SESSION,
            {"user_id": user_id, "session_id": session_id},
            execution_options=execution_options_skipping_criteria(),
        )
    ).all()
    if not rows or not rows[0].live:
        return None
    routes = _best_roles((row[2], row[3]) for row in rows if row[2])
    return Login(rows[0][0], Entitlements(user_id, routes))


def _best_roles(rows: Iterable[Any]) -> dict[uuid.UUID, Role]:
    """Per tenant, the strongest role any route gives."""
    roles: dict[uuid.UUID, Role] = {}
    for tenant_id, role_name in rows:
        role = Role(role_name)
        if tenant_id not in roles or role.rank < roles[tenant_id].rank:
            roles[tenant_id] = role
    return roles
