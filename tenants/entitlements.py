"""Which organizations a user may read, and with which role it may act in each.

Three routes entitle a user: a membership (its stored role), an active consultancy
engagement of an organization it belongs to (`consultant` in the client, or `viewer` for
the consultancy's own viewers), and a valid
auditor grant to a certification body it belongs to (`auditor` in the client, read-only).
Validity is judged by the database clock at every request, so an expired or revoked grant
stops working at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    String,
    Uuid,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)

from backend.db.session import TenantSession, execution_options_skipping_criteria
from tenants.models import AuditorGrant, ConsultancyEngagement, Membership
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
        write = acting_tenant if role is not None and role.can_write else None
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
    """A consultancy's viewers follow its clients read-only; its other members consult there."""
    return case(
        (Membership.role == Role.VIEWER.value, literal(Role.VIEWER.value, String)),
        else_=literal(Role.CONSULTANT.value, String),
    )


_ROUTES = _entitlement_routes()


async def load_entitlements(session: TenantSession, user_id: uuid.UUID) -> Entitlements:
    """One statement over the three routes; row-level security admits just the user's own rows."""
    await session.set_scope(TenantScope(user_id=user_id))
    rows = await session.execute(
        _ROUTES, {"user_id": user_id}, execution_options=execution_options_skipping_criteria()
    )
    roles: dict[uuid.UUID, Role] = {}
    for tenant_id, role_name in rows:
        role = Role(role_name)
        if tenant_id not in roles or role.rank < roles[tenant_id].rank:
            roles[tenant_id] = role
    return Entitlements(user_id, roles)
