"""Rules for organizations, members and auditor access; each function is one transaction.

Every change happens in the tenant the caller acts in (its write tenant). Objects of tenants
the caller cannot read are reported as not found, never as forbidden, so answers do not
reveal what exists elsewhere.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, exists, func, select

from backend.auth.invitations import invite
from backend.auth.models import Invitation
from backend.auth.service import normalize_email
from backend.core.access import (
    Actor,
    Permission,
    conflict_on,
    for_change,
    require,
    require_acting_in,
)
from backend.core.changes import KEEP, Change
from backend.core.errors import ErrorCode, ServiceError, conflict, forbidden, invalid, not_found
from backend.db.batch import by_id
from backend.db.session import TenantSession, execution_options_skipping_criteria
from tenants.models import (
    AuditorGrant,
    ConsultancyEngagement,
    Membership,
    Organization,
    OrganizationKind,
    User,
)
from tenants.roles import ENGAGEMENT_ROLES, MEMBERSHIP_ROLES, Role

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TIMEZONES = frozenset(zoneinfo.available_timezones())
MAX_OPERATION_PERIOD_DAYS = 730

invitations_by_id = by_id(Invitation)


@dataclass(frozen=True)
class Invited:
    invitation: Invitation
    token: str  # shown once


# --- validation -------------------------------------------------------------------------


def clean_name(name: str, field: str = "name") -> str:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise invalid("Name must be 1 to 200 characters.", [field])
    return name


def clean_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise invalid("Slug must be 1 to 63 lower-case letters, digits or inner hyphens.", ["slug"])
    return slug


def clean_operation_period(days: int) -> int:
    """Days the system must run on its documentation before implementation may close."""
    if not 0 <= days <= MAX_OPERATION_PERIOD_DAYS:
        raise invalid(
            f"The operation period is 0 to {MAX_OPERATION_PERIOD_DAYS} days.",
            ["operationPeriodDays"],
        )
    return days


def clean_timezone(timezone: str) -> str:
    if timezone not in TIMEZONES:
        raise invalid(
            f"Unknown time zone {timezone!r}; use an IANA name such as Europe/Berlin.", ["timezone"]
        )
    return timezone


def clean_email(email: str) -> str:
    email = normalize_email(email)
    if len(email) > 254 or not EMAIL.match(email):
        raise invalid("Email address is not valid.", ["email"])
    return email


def _membership_role(role: Role) -> Role:
    if role not in MEMBERSHIP_ROLES:
        raise invalid(
            f"Role {role.value!r} is derived, not assigned; pick a membership role.", ["role"]
        )
    return role


# --- access ------------------------------------------------------------------------------


# --- organizations -----------------------------------------------------------------------


SLUG_CONSTRAINT = "uq_organizations_slug"


def _slug_taken() -> ServiceError:
    return conflict("That slug is taken.", ["slug"])


async def create_client(
    db: TenantSession, actor: Actor, name: str, slug: str, timezone: str
) -> Organization:
    """A consultancy opens a client organization and manages it from then on."""
    consultancy = await db.get(Organization, actor.tenant_id)
    if consultancy is None or consultancy.kind != OrganizationKind.CONSULTANCY:
        raise forbidden("Only a consultancy can create client organizations; act in one.")
    require(actor, Permission.CREATE_CLIENTS)
    client = Organization(
        id=uuid.uuid4(),
        kind=OrganizationKind.CLIENT.value,
        name=clean_name(name),
        slug=clean_slug(slug),
        timezone=clean_timezone(timezone),
    )
    previous = db.scope
    await db.set_scope(previous.writing_in(client.id))
    try:
        db.add(client)
        db.add(ConsultancyEngagement(tenant_id=client.id, consultancy_id=consultancy.id))
        async with conflict_on(db, SLUG_CONSTRAINT, _slug_taken()):
            await db.commit()
    finally:
        # The rest of the request may read the new client but still writes only where it acts.
        await db.set_scope(previous.reading_also(client.id))
    return client


async def update_organization(
    db: TenantSession,
    actor: Actor,
    organization_id: uuid.UUID,
    *,
    name: str | None = None,
    slug: str | None = None,
    timezone: str | None = None,
    operation_period_days: int | None = None,
) -> Organization:
    require_acting_in(db, actor, organization_id, "Organization")
    require(actor, Permission.MANAGE_ORGANIZATION)
    organization = await db.get(Organization, organization_id)
    if organization is None:
        raise not_found("Organization")
    if name is not None:
        organization.name = clean_name(name)
    if slug is not None:
        organization.slug = clean_slug(slug)
    if timezone is not None:
        organization.timezone = clean_timezone(timezone)
    if operation_period_days is not None:
        organization.operation_period_days = clean_operation_period(operation_period_days)
    async with conflict_on(db, SLUG_CONSTRAINT, _slug_taken()):
        await db.commit()
    await db.refresh(organization)
    return organization


# --- members -----------------------------------------------------------------------------


async def invite_member(
    db: TenantSession,
    actor: Actor,
    organization_id: uuid.UUID,
    *,
    email: str,
    role: Role,
    name: str | None = None,
    invitation_ttl: timedelta,
) -> Invited:
    """Invite a person by e-mail; they become a member when they accept.

    The answer is the same whether or not the address has an account, so inviting tells
    nobody who has one. Only the organization's own members, whom the inviter sees anyway,
    are refused.
    """
    require_acting_in(db, actor, organization_id, "Organization")
    require(actor, Permission.MANAGE_ORGANIZATION)
    role, email = _membership_role(role), clean_email(email)
    if role is Role.OWNER and not actor.may(Permission.APPOINT_OWNERS):
        await _require_may_appoint_first_owner(db, actor, organization_id)
    if actor.role is Role.CONSULTANT and await _of_engaged_consultancy(db, organization_id, email):
        raise forbidden(
            "People of the consultancy work here through its engagement, and their access ends"
            " with it; they cannot be made members."
        )
    name = clean_name(name) if name is not None else None
    member = await db.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == organization_id, func.lower(User.email) == email)
    )
    if member is not None:
        raise ServiceError(ErrorCode.CONFLICT, "That person is already a member.", ["email"])
    invitation, token = await invite(
        db,
        tenant_id=organization_id,
        email=email,
        role=role,
        name=name,
        invited_by=actor.user_id,
        ttl=invitation_ttl,
    )
    # Two invitations of one address at once: the other one won.
    async with conflict_on(
        db, "uq_invitations_pending", conflict("That address was just invited.", ["email"])
    ):
        await db.commit()
    return Invited(invitation, token)


async def _require_may_appoint_first_owner(
    db: TenantSession, actor: Actor, organization_id: uuid.UUID
) -> None:
    """A client opened by a consultancy has no owner until the consultancy invites one; from
    then on only owners appoint owners. The organization row is locked so that two first
    owners cannot be invited at once."""
    refusal = forbidden(
        "Only owners appoint owners; the consultancy managing a client invites its first owner,"
        " once."
    )
    if not actor.may(Permission.APPOINT_FIRST_OWNER):
        raise refusal
    await db.execute(
        select(Organization.id).where(Organization.id == organization_id).with_for_update()
    )
    owner = select(Membership.id).where(
        Membership.tenant_id == organization_id, Membership.role == Role.OWNER.value
    )
    invited = select(Invitation.id).where(
        Invitation.tenant_id == organization_id,
        Invitation.role == Role.OWNER.value,
        Invitation.accepted_at.is_(None),
        Invitation.expires_at > func.now(),
    )
    if await db.scalar(select(exists(owner) | exists(invited))):
        raise refusal


async def _of_engaged_consultancy(
    db: TenantSession, organization_id: uuid.UUID, email: str
) -> bool:
    """Whether `email` belongs to a member of a consultancy engaged by the organization."""
    consultancies = select(ConsultancyEngagement.consultancy_id).where(
        ConsultancyEngagement.tenant_id == organization_id
    )
    member = (
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id.in_(consultancies), func.lower(User.email) == email)
    )
    return bool(await db.scalar(select(exists(member))))


def _require_may_assign(actor: Actor, role: Role) -> None:
    if role is Role.OWNER:
        require(actor, Permission.APPOINT_OWNERS)


async def _membership_for_change(
    db: TenantSession, actor: Actor, membership_id: uuid.UUID
) -> Membership:
    membership = await for_change(
        db,
        actor,
        Membership,
        membership_id,
        permission=Permission.MANAGE_ORGANIZATION,
        what="Membership",
        field="membershipId",
    )
    if membership.role == Role.OWNER:
        require(actor, Permission.APPOINT_OWNERS)
    return membership


async def _refuse_last_owner(db: TenantSession, membership: Membership) -> None:
    """Lock the tenant's owners so two concurrent demotions cannot both pass."""
    owners = (
        await db.scalars(
            select(Membership.id)
            .where(
                Membership.tenant_id == membership.tenant_id, Membership.role == Role.OWNER.value
            )
            .with_for_update()
        )
    ).all()
    if list(owners) == [membership.id]:
        raise ServiceError(
            ErrorCode.LAST_OWNER, "An organization needs an owner; make someone else owner first."
        )


async def change_member_role(
    db: TenantSession, actor: Actor, membership_id: uuid.UUID, role: Role
) -> Membership:
    membership = await _membership_for_change(db, actor, membership_id)
    _require_may_assign(actor, _membership_role(role))
    if membership.role == Role.OWNER and role is not Role.OWNER:
        await _refuse_last_owner(db, membership)
    membership.role = role.value
    await db.commit()
    await db.refresh(membership)
    return membership


async def remove_member(db: TenantSession, actor: Actor, membership_id: uuid.UUID) -> uuid.UUID:
    membership = await _membership_for_change(db, actor, membership_id)
    if membership.role == Role.OWNER:
        await _refuse_last_owner(db, membership)
    await db.delete(membership)
    await db.commit()
    return membership_id


# --- engagements --------------------------------------------------------------------------

engagements_by_id = by_id(ConsultancyEngagement)


async def end_engagement(
    db: TenantSession, actor: Actor, engagement_id: uuid.UUID
) -> ConsultancyEngagement:
    """The client ends a consultancy's engagement; its consultants lose access at once."""
    engagement = await for_change(
        db,
        actor,
        ConsultancyEngagement,
        engagement_id,
        permission=Permission.END_ENGAGEMENTS,
        what="Engagement",
        field="engagementId",
    )
    now = datetime.now(UTC)
    if engagement.ended_at is None or engagement.ended_at > now:
        engagement.ended_at = now
        await db.commit()
    return engagement


async def update_engagement(
    db: TenantSession,
    actor: Actor,
    engagement_id: uuid.UUID,
    *,
    ends_on: Change[date | None] = KEEP,
    role: Role | None = None,
) -> ConsultancyEngagement:
    """The client limits a consultancy's engagement: the last day it lasts (access stops at
    the client's midnight after it; None lifts the limit) and the role its people get. Both
    hold from the consultancy's next request, since entitlements are read per request."""
    engagement = await for_change(
        db,
        actor,
        ConsultancyEngagement,
        engagement_id,
        permission=Permission.END_ENGAGEMENTS,
        what="Engagement",
        field="id",
    )
    now = datetime.now(UTC)
    if engagement.ended_at is not None and engagement.ended_at <= now:
        raise conflict("That engagement has ended; start a new one instead.", ["id"])
    if role is not None:
        engagement.role = _engagement_role(role).value
    if ends_on is not KEEP:
        engagement.ended_at = None if ends_on is None else await _end_after(db, engagement, ends_on)
    await db.commit()
    return engagement


def _engagement_role(role: Role) -> Role:
    if role not in ENGAGEMENT_ROLES:
        names = " or ".join(item.value for item in ENGAGEMENT_ROLES)
        raise invalid(f"A consultancy's people work here as {names}.", ["role"])
    return role


async def _end_after(
    db: TenantSession, engagement: ConsultancyEngagement, ends_on: date
) -> datetime:
    """The client's midnight after `ends_on`, which must not have passed."""
    client = await db.get(Organization, engagement.tenant_id)
    timezone = zoneinfo.ZoneInfo(client.timezone if client else "UTC")
    if ends_on < datetime.now(timezone).date():
        raise invalid("endsOn must be today or later.", ["endsOn"])
    return datetime.combine(ends_on + timedelta(days=1), time.min, timezone)


def engagements_of_consultancies(user_id: uuid.UUID) -> Select[ConsultancyEngagement]:
    """The engagements of every consultancy `user_id` belongs to, ended ones too.

    The clients' rows are outside the read set once an engagement ends, so the ORM's tenant
    filter is skipped; row-level security lets a consultancy's members read its engagements.
    """
    consultancies = select(Membership.tenant_id).where(Membership.user_id == user_id)
    return (
        select(ConsultancyEngagement)
        .where(ConsultancyEngagement.consultancy_id.in_(consultancies))
        .execution_options(**execution_options_skipping_criteria())
    )


# --- auditor access ----------------------------------------------------------------------


async def find_certification_body(db: TenantSession, slug: str) -> Organization:
    """A certification body by slug, from the directory every signed-in user may read."""
    body = await db.scalar(
        select(Organization).where(
            Organization.slug == slug.strip().lower(),
            Organization.kind == OrganizationKind.CERTIFICATION_BODY.value,
        ),
        execution_options=execution_options_skipping_criteria(),
    )
    if body is None:
        raise not_found("Certification body", ["certificationBodySlug"])
    return body


async def grant_auditor_access(
    db: TenantSession,
    actor: Actor,
    organization_id: uuid.UUID,
    *,
    certification_body_slug: str,
    valid_until: datetime,
    valid_from: datetime | None = None,
) -> AuditorGrant:
    """Give a certification body read-only access to this organization for a bounded time."""
    require_acting_in(db, actor, organization_id, "Organization")
    require(actor, Permission.MANAGE_ORGANIZATION)
    start = valid_from or datetime.now(UTC)
    for value, field in ((start, "validFrom"), (valid_until, "validUntil")):
        if value.tzinfo is None:
            raise invalid("Times must carry a UTC offset.", [field])
    if valid_until <= start:
        raise invalid("Access must end after it starts.", ["validUntil"])
    body = await find_certification_body(db, certification_body_slug)
    if body.id == organization_id:
        raise invalid("An organization cannot grant access to itself.", ["certificationBodySlug"])
    grant = AuditorGrant(
        tenant_id=organization_id,
        certification_body_id=body.id,
        valid_from=start,
        valid_until=valid_until,
        granted_by_id=actor.user_id,
    )
    db.add(grant)
    await db.commit()
    return grant


async def revoke_auditor_access(
    db: TenantSession, actor: Actor, grant_id: uuid.UUID
) -> AuditorGrant:
    grant = await for_change(
        db,
        actor,
        AuditorGrant,
        grant_id,
        permission=Permission.MANAGE_ORGANIZATION,
        what="Auditor grant",
        field="grantId",
    )
    if grant.revoked_at is None:
        grant.revoked_at = datetime.now(UTC)
        await db.commit()
    return grant
