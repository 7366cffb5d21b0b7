"""Which organizations a user may read, and with which role it may act in each.

Three routes entitle a user: a membership (its stored role), an active consultancy
engagement of an organization it belongs to (`consultant` in the client, or `viewer` for
the consultancy's own viewers and where the client limited the engagement to reading; an
engagement with an end date stops at that moment), and a valid
auditor grant to a certification body it belongs to (`auditor` in the client, read-only).
Validity is judged by the database clock at every request, so an expired or revoked grant
stops working at once. The same statement checks that the request's login (the access token's
refresh-token family) has not been ended, so logging out ends its access tokens at once too,
at no extra round trip. The rules are a database function (tenants/entitlements_sql.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Row, String, Uuid, bindparam, column, text
from sqlalchemy.orm import make_transient_to_detached

from backend.core.access import Permission, role_may
from backend.db.session import TenantSession
from tenants.entitlements_sql import USER_COLUMNS
from tenants.models import User
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


_LOGIN_ENTITLEMENTS = (
    text("SELECT * FROM login_entitlements(:caller, :login)")
    .bindparams(bindparam("caller", type_=Uuid), bindparam("login", type_=Uuid))
    .columns(
        column("live", Boolean),
        column("tenant_id", Uuid),
        column("role", String),
        *(column(name, User.__table__.c[name].type) for name in USER_COLUMNS),
    )
)
"""The rules live in the database (tenants/entitlements_sql.py): the function sets the
caller's scope for its own statement, so no scope needs setting before it. One row per
route, and one row with a null route when there is none or the login was ended; no row once
the user is gone. Read as plain rows: building ORM entities for the union cost more than
the statement's round trip. Its columns are named so the result's description is worked
out once, not at every request."""


async def load_entitlements(session: TenantSession, user_id: uuid.UUID) -> Entitlements:
    """What `user_id` may read and do, for work that acts as a user outside any login (a
    calendar feed); requests use `load_session_entitlements`. The session's scope is
    left as it was."""
    rows = await session.execute(_LOGIN_ENTITLEMENTS, {"caller": user_id, "login": None})
    return Entitlements(user_id, _best_roles(rows.all()))


@dataclass(frozen=True)
class Login:
    """Who calls, and what its live login entitles it to."""

    user: User
    entitlements: Entitlements


async def load_session_entitlements(
    session: TenantSession, user_id: uuid.UUID, session_id: uuid.UUID
) -> Login | None:
    """The user and the entitlements of a request's login, or None once the login was ended
    (or the user is gone): the first statement of the request's transaction, which needs no
    scope of its own to run."""
    rows = (
        await session.execute(_LOGIN_ENTITLEMENTS, {"caller": user_id, "login": session_id})
    ).all()
    if not rows or not rows[0].live:
        return None
    return Login(_detached_user(user_id, rows[0]), Entitlements(user_id, _best_roles(rows)))


def _detached_user(user_id: uuid.UUID, row: Row[Any]) -> User:
    """The caller as an ORM instance that belongs to no session yet, as if a session that
    loaded it had closed: adding it to one attaches the row rather than inserting it."""
    user = User(id=user_id, **{name: getattr(row, name) for name in USER_COLUMNS})
    make_transient_to_detached(user)
    return user


def _best_roles(rows: Iterable[Row[Any]]) -> dict[uuid.UUID, Role]:
    """Per tenant, the strongest role any route gives."""
    roles: dict[uuid.UUID, Role] = {}
    for row in rows:
        if row.tenant_id is None:
            continue
        role = Role(row.role)
        if row.tenant_id not in roles or role.rank < roles[row.tenant_id].rank:
            roles[row.tenant_id] = role
    return roles
