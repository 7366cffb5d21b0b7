"""Who may do what: permissions, the one table that grants them to roles, and the checks
every change runs before it touches a row.

A service names the permission a change needs (`require(actor, Permission.RUN_PROGRAMS)`);
which roles hold it is decided here only. Row-level security stays the last word: a role
without `CONTRIBUTE` gets no write tenant, so the database refuses its writes even if a
check were forgotten.

Changing a row takes `for_change`: read it as the caller may (a row of a tenant the caller
cannot read is not found, like an id that never existed), check the caller acts in its
tenant with the permission (FORBIDDEN otherwise), and only then lock it. Locking first
would let RLS hide a readable row from a read-only caller and answer NOT_FOUND where the
truth is FORBIDDEN.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from backend.core.errors import ServiceError, forbidden, not_found
from backend.db.base import TenantOwned
from backend.db.session import TenantSession
from tenants.roles import Role


class Permission(enum.StrEnum):
    CONTRIBUTE = "contribute"
    """Change the organization's working data: steps, gaps, actions, evidence, drafts."""
    RUN_PROGRAMS = "run_programs"
    """Start and steer programs, reopen steps, approve documents, judge findings."""
    MANAGE_ORGANIZATION = "manage_organization"
    """Settings, members, engagements and auditor access of the organization."""
    APPOINT_OWNERS = "appoint_owners"
    """Make someone an owner, or change or remove an owner."""
    CREATE_CLIENTS = "create_clients"
    """Acting in a consultancy: open a new client organization."""
    APPOINT_FIRST_OWNER = "appoint_first_owner"
    """Invite the first owner of a client that has none: the consultancy that opened it."""
    END_ENGAGEMENTS = "end_engagements"
    """End a consultancy's engagement: the client's own people decide who manages them."""
    MANAGE_JOBS = "manage_jobs"
    """See the organization's failed background jobs and run them again."""
    RUN_AUDITS = "run_audits"
    """Keep the audit programme; plan, start, update and cancel internal audits."""
    CONDUCT_AUDITS = "conduct_audits"
    """Record checklist results; the lead auditor signs with it too."""
    RUN_REVIEWS = "run_reviews"
    """Plan and hold management reviews, record their notes and outputs; the chair signs."""
    READ_ACTIVITY = "read_activity"
    """Read the organization's whole activity log and verify its chain."""
    CONFIGURE_SIGN_IN = "configure_sign_in"
    """See, configure and disable the organization's single sign-on provider."""


_RUNS = {
    Permission.CONTRIBUTE,
    Permission.RUN_PROGRAMS,
    Permission.RUN_AUDITS,
    Permission.CONDUCT_AUDITS,
    Permission.RUN_REVIEWS,
}
GRANTED: Mapping[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(
        {*_RUNS, Permission.MANAGE_ORGANIZATION, Permission.APPOINT_OWNERS}
        | {Permission.CREATE_CLIENTS, Permission.END_ENGAGEMENTS, Permission.MANAGE_JOBS}
        | {Permission.READ_ACTIVITY, Permission.CONFIGURE_SIGN_IN}
    ),
    Role.ADMIN: frozenset(
        {*_RUNS, Permission.MANAGE_ORGANIZATION, Permission.CREATE_CLIENTS}
        | {Permission.END_ENGAGEMENTS, Permission.MANAGE_JOBS, Permission.READ_ACTIVITY}
        | {Permission.CONFIGURE_SIGN_IN}
    ),
    Role.CONSULTANT: frozenset(
        {*_RUNS, Permission.MANAGE_ORGANIZATION, Permission.APPOINT_FIRST_OWNER}
        | {Permission.READ_ACTIVITY}
    ),
    Role.MANAGER: frozenset({*_RUNS, Permission.CREATE_CLIENTS}),
    # Staff audit other departments' work: a contributor may conduct an audit, not plan one.
    Role.CONTRIBUTOR: frozenset({Permission.CONTRIBUTE, Permission.CONDUCT_AUDITS}),
    Role.VIEWER: frozenset(),
    Role.AUDITOR: frozenset(),
}
"""The one table of who may do what. Viewers and auditors read only."""


@dataclass(frozen=True)
class Actor:
    """Who acts, in which organization, with which role."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role

    def may(self, permission: Permission) -> bool:
        return role_may(self.role, permission)


def role_may(role: Role, permission: Permission) -> bool:
    return permission in GRANTED[role]


def holders(permission: Permission) -> list[Role]:
    """The roles that hold `permission`, strongest first."""
    return [role for role in Role if permission in GRANTED[role]]


def require(actor: Actor, permission: Permission) -> None:
    if not actor.may(permission):
        names = [f"{role.value}s" for role in holders(permission)]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        raise forbidden(f"Only {listed} of the organization may do this.")


def require_acting_in(db: TenantSession, actor: Actor, tenant_id: uuid.UUID, what: str) -> None:
    """Changes happen only in the acting tenant; unreadable tenants look missing."""
    if tenant_id not in db.scope.read_tenants:
        raise not_found(what)
    if tenant_id != actor.tenant_id or db.scope.write_tenant != tenant_id:
        raise forbidden("Act in that organization (X-Tenant-ID) with a role that may change it.")


def require_writer(
    db: TenantSession,
    actor: Actor,
    tenant_id: uuid.UUID,
    what: str,
    permission: Permission = Permission.CONTRIBUTE,
) -> None:
    """Changes happen only in the acting tenant, and only by a role that may make them."""
    require_acting_in(db, actor, tenant_id, what)
    require(actor, permission)


Row = TypeVar("Row", bound=TenantOwned)


async def readable(
    db: TenantSession, model: type[Row], row_id: uuid.UUID, what: str, field: str = "id"
) -> Row:
    """A row the scope may read. The identity map answers `get` without asking the
    database, so the read set is checked here too; unreadable rows look missing."""
    row = await db.get(model, row_id)
    if row is None or row.tenant_id not in db.scope.read_tenants:
        raise not_found(what, [field])
    return row


async def for_change(
    db: TenantSession,
    actor: Actor,
    model: type[Row],
    row_id: uuid.UUID,
    *,
    permission: Permission,
    what: str,
    field: str = "id",
) -> Row:
    """The row, checked for the change and locked until the transaction ends."""
    row = await readable(db, model, row_id, what, field)
    require_writer(db, actor, row.tenant_id, what, permission)
    locked = await db.get(model, row_id, with_for_update=True, populate_existing=True)
    if locked is None:  # deleted since it was read
        raise not_found(what, [field])
    return locked


@asynccontextmanager
async def conflict_on(
    db: TenantSession, constraint: str, conflict: ServiceError
) -> AsyncIterator[None]:
    """Inside, a clash on the unique `constraint` (at flush or commit) rolls back and raises
    `conflict`. Any other integrity failure is a fault and propagates."""
    try:
        yield
    except IntegrityError as error:
        if _constraint_of(error) != constraint:
            raise
        await db.rollback()
        raise conflict from None


def _constraint_of(error: IntegrityError) -> str | None:
    # asyncpg's UniqueViolationError carries the constraint; the DBAPI adapter wraps it.
    cause = error.orig.__cause__ if error.orig is not None else None
    return getattr(cause, "constraint_name", None)
