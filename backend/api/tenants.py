"""GraphQL types, queries and mutations for organizations, members and auditor access.

The tenants layer's GraphQL surface lives here, in the shared API package, because every area's
types lead to a User or an Organization; `tenants/` itself knows nothing of GraphQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated, ClassVar

import strawberry
from sqlalchemy import exists, select
from strawberry import relay

from backend.api import slices
from backend.api.context import Info, actor_of
from backend.api.errors import UserError
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.inputs import clearable
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode, node_uuids
from backend.api.pagination import Connection, PageRequest, paginate
from backend.auth.models import Invitation as Invitation_
from backend.core.access import Permission, role_may
from backend.db.batch import among
from tenants import models, service
from tenants.models import OrganizationKind as OrganizationKindValue
from tenants.roles import Role as RoleValue

OrganizationKind = strawberry.enum(OrganizationKindValue, name="OrganizationKind")
Role = strawberry.enum(
    RoleValue, name="Role", description="What a person may do in an organization."
)


@strawberry.type(description="A person. Visible to people who share an organization with them.")
class User(relay.Node):
    id: relay.NodeID[str]
    name: str
    email: str

    @classmethod
    def from_model(cls, user: models.User) -> User:
        return cls(id=str(user.id), name=user.name, email=user.email)

    @classmethod
    async def load(cls, info: Info, user_id: uuid.UUID | None) -> User | None:
        """The person a row names (an owner, an approver), through the request's loader;
        null when there is none or the caller may not see them."""
        user = await info.context.loaders.user.load(user_id) if user_id else None
        return cls.from_model(user) if user else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[User | None]:
        ids = [i for i in node_uuids(node_ids) if i is not None]
        visible = await info.context.db.scalars(
            select(models.User).where(
                among(models.User.id, ids),
                (models.User.id == info.context.user_id)
                | exists().where(models.Membership.user_id == models.User.id),
            )
        )
        by_id = {str(user.id): cls.from_model(user) for user in visible}
        return [by_id.get(node_id) for node_id in node_ids]


@strawberry.type(description="A client, consultancy or certification body; the unit of isolation.")
class Organization(LoadedNode, relay.Node):
    loader: ClassVar[str] = "organization"
    id: relay.NodeID[str]
    kind: OrganizationKind  # type: ignore[valid-type]
    name: str
    slug: str
    timezone: str
    operation_period_days: int = strawberry.field(
        description="Days the management system runs on its completed documentation before the"
        " implementation step may close."
    )
    created_at: datetime

    @classmethod
    def from_model(cls, organization: models.Organization) -> Organization:
        return cls(
            id=str(organization.id),
            kind=OrganizationKindValue(organization.kind),
            name=organization.name,
            slug=organization.slug,
            timezone=organization.timezone,
            operation_period_days=organization.operation_period_days,
            created_at=organization.created_at,
        )

    @strawberry.field(description="Your role here, or null when you only see it in a directory.")
    def viewer_role(self, info: Info) -> Role | None:  # type: ignore[valid-type]
        entitlements = info.context.entitlements
        return entitlements.role_in(uuid.UUID(self.id)) if entitlements else None

    @strawberry.field(description="People with a membership here.")
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Membership]:
        request = PageRequest(uuid.UUID(self.id), first, after)
        page = await info.context.loaders.members_page.load(request)
        return Connection[Membership].from_page(page, Membership.from_model)

    @strawberry.field(description="Consultancies that manage, or managed, this organization.")
    async def engagements(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Engagement]:
        request = PageRequest(uuid.UUID(self.id), first, after)
        page = await info.context.loaders.engagements_page.load(request)
        return Connection[Engagement].from_page(page, Engagement.from_model)

    @strawberry.field(description="Certification bodies given read-only access here.")
    async def auditor_grants(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AuditorGrant]:
        request = PageRequest(uuid.UUID(self.id), first, after)
        page = await info.context.loaders.auditor_grants_page.load(request)
        return Connection[AuditorGrant].from_page(page, AuditorGrant.from_model)


@strawberry.type(description="A person's role in an organization.")
class Membership(LoadedNode, relay.Node):
    loader: ClassVar[str] = "membership"
    id: relay.NodeID[str]
    role: Role  # type: ignore[valid-type]
    created_at: datetime
    tenant_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, membership: models.Membership) -> Membership:
        return cls(
            id=str(membership.id),
            role=RoleValue(membership.role),
            created_at=membership.created_at,
            tenant_id=membership.tenant_id,
            user_id=membership.user_id,
        )

    @strawberry.field
    async def user(self, info: Info) -> User:
        user = await info.context.loaders.user.load(self.user_id)
        return User.from_model(user)

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        organization = await info.context.loaders.organization.load(self.tenant_id)
        return Organization.from_model(organization)


@strawberry.type(description="Time-boxed, read-only access of a certification body to a client.")
class AuditorGrant(LoadedNode, relay.Node):
    loader: ClassVar[str] = "auditor_grant"
    id: relay.NodeID[str]
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None
    tenant_id: strawberry.Private[uuid.UUID]
    certification_body_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, grant: models.AuditorGrant) -> AuditorGrant:
        return cls(
            id=str(grant.id),
            valid_from=grant.valid_from,
            valid_until=grant.valid_until,
            revoked_at=grant.revoked_at,
            tenant_id=grant.tenant_id,
            certification_body_id=grant.certification_body_id,
        )

    @strawberry.field(description="Whether the grant gives access right now.")
    def is_active(self) -> bool:
        now = datetime.now(UTC)
        return self.revoked_at is None and self.valid_from <= now < self.valid_until

    @strawberry.field(description="The organization that shares its data.")
    async def client(self, info: Info) -> Organization:
        organization = await info.context.loaders.organization.load(self.tenant_id)
        return Organization.from_model(organization)

    @strawberry.field(description="The certification body whose auditors may read.")
    async def certification_body(self, info: Info) -> Organization | None:
        body = await info.context.loaders.certification_body.load(self.certification_body_id)
        return Organization.from_model(body) if body else None


@strawberry.type(description="A consultancy managing a client: its consultants work there.")
class Engagement(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.engagements_by_id
    id: relay.NodeID[str]
    started_at: datetime
    ended_at: datetime | None = strawberry.field(
        description="When access stopped, or (in the future) the end date the client set."
    )
    role: Role = strawberry.field(  # type: ignore[valid-type]
        description="The role the consultancy's people get here: consultant, or viewer when"
        " the client limited them to reading."
    )
    tenant_id: strawberry.Private[uuid.UUID]
    consultancy_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, engagement: models.ConsultancyEngagement) -> Engagement:
        return cls(
            id=str(engagement.id),
            started_at=engagement.started_at,
            ended_at=engagement.ended_at,
            role=RoleValue(engagement.role),
            tenant_id=engagement.tenant_id,
            consultancy_id=engagement.consultancy_id,
        )

    @strawberry.field(description="Whether the consultancy's people have access right now.")
    def is_active(self) -> bool:
        return self.ended_at is None or self.ended_at > datetime.now(UTC)

    @strawberry.field(
        description="The organization being managed; null for the consultancy once the"
        " engagement ended, since it no longer reads the client."
    )
    async def client(self, info: Info) -> Organization | None:
        organization = await info.context.loaders.organization.load(self.tenant_id)
        return Organization.from_model(organization) if organization else None

    @strawberry.field(
        description="The consultancy; null for the client's people, who do not read it."
    )
    async def consultancy(self, info: Info) -> Organization | None:
        organization = await info.context.loaders.organization.load(self.consultancy_id)
        return Organization.from_model(organization) if organization else None


@strawberry.type(description="An invitation to join an organization, pending until accepted.")
class Invitation(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = service.invitations_by_id
    id: relay.NodeID[str]
    email: str
    role: Role  # type: ignore[valid-type]
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    tenant_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, invitation: Invitation_) -> Invitation:
        return cls(
            id=str(invitation.id),
            email=invitation.email,
            role=RoleValue(invitation.role),
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            accepted_at=invitation.accepted_at,
            tenant_id=invitation.tenant_id,
        )

    @strawberry.field(description="The organization to join.")
    async def organization(self, info: Info) -> Organization:
        organization = await info.context.loaders.organization.load(self.tenant_id)
        return Organization.from_model(organization)


@strawberry.type(description="An organization you may act in, and how.")
class ActingOrganization:
    organization: Organization
    role: Role  # type: ignore[valid-type]
    can_write: bool


@strawberry.type(description="The signed-in person and where they may act.")
class Me:
    user: User
    user_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Your memberships, oldest first.")
    async def memberships(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=slices.FIRST)] = None,
    ) -> list[Membership]:
        rows = await info.context.loaders.memberships_of_user.load(self.user_id)
        return [Membership.from_model(row) for row in slices.first(rows, first)]

    @strawberry.field(
        description="Every organization you may act in: memberships, clients, grants."
    )
    async def organizations(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=slices.FIRST)] = None,
    ) -> list[ActingOrganization]:
        roles = info.context.require_entitlements().roles
        rows = await info.context.loaders.organization.load_many(list(roles))
        acting = [
            ActingOrganization(
                organization=Organization.from_model(row),
                role=roles[row.id],
                can_write=role_may(roles[row.id], Permission.CONTRIBUTE),
            )
            for row in rows
            if row is not None
        ]
        return slices.first(sorted(acting, key=lambda item: item.organization.name.lower()), first)


# --- queries -----------------------------------------------------------------------------


@strawberry.type
class TenantQuery:
    @strawberry.field(description="The signed-in person, or null when not signed in.")
    async def me(self, info: Info) -> Me | None:
        if info.context.entitlements is None:
            return None
        user = await info.context.loaders.user.load(info.context.user_id)
        return Me(user=User.from_model(user), user_id=user.id)

    @strawberry.field(description="One organization you may read, by slug.")
    async def organization(self, info: Info, slug: str) -> Organization | None:
        info.context.require_entitlements()
        row = await info.context.db.scalar(
            select(models.Organization).where(models.Organization.slug == slug.strip().lower())
        )
        return Organization.from_model(row) if row else None

    @strawberry.field(
        description="The engagements of the consultancies you belong to, ended ones too,"
        " newest first: their history. A client's people see theirs on Organization.engagements."
    )
    async def engagements(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        organization: OrganizationFilter = None,
    ) -> Connection[Engagement]:
        statement = service.engagements_of_consultancies(
            info.context.require_entitlements().user_id
        )
        narrowed = organization_id(organization)
        if narrowed is not None:
            statement = statement.where(
                (models.ConsultancyEngagement.tenant_id == narrowed)
                | (models.ConsultancyEngagement.consultancy_id == narrowed)
            )
        keys = (models.ConsultancyEngagement.started_at, models.ConsultancyEngagement.id)
        page = await paginate(info.context.db, statement, keys, first, after, descending=True)
        return Connection[Engagement].from_page(page, Engagement.from_model)

    @strawberry.field(description="Organizations you may read, by name.")
    async def organizations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: OrganizationKind | None = None,  # type: ignore[valid-type]
    ) -> Connection[Organization]:
        info.context.require_entitlements()
        statement = select(models.Organization)
        if kind is not None:
            statement = statement.where(models.Organization.kind == kind.value)
        keys = (models.Organization.name, models.Organization.id)
        page = await paginate(info.context.db, statement, keys, first, after)
        return Connection[Organization].from_page(page, Organization.from_model)


# --- mutations ---------------------------------------------------------------------------


@strawberry.input
class CreateOrganizationInput:
    name: str
    slug: str
    timezone: str = "UTC"


@strawberry.input
class UpdateOrganizationInput:
    id: relay.GlobalID
    name: str | None = None
    slug: str | None = None
    timezone: str | None = None
    operation_period_days: int | None = None


@strawberry.input
class InviteMemberInput:
    organization_id: relay.GlobalID
    email: str
    role: Role  # type: ignore[valid-type]
    name: str | None = strawberry.field(
        default=None,
        description="A name to suggest should the address have no account yet; the person may"
        " give their own when accepting.",
    )


@strawberry.input
class ChangeMemberRoleInput:
    membership_id: relay.GlobalID
    role: Role  # type: ignore[valid-type]


@strawberry.input
class RemoveMemberInput:
    membership_id: relay.GlobalID


@strawberry.input
class GrantAuditorAccessInput:
    organization_id: relay.GlobalID
    certification_body_slug: str
    valid_until: datetime
    valid_from: datetime | None = strawberry.field(default=None, description="Defaults to now.")


@strawberry.input
class RevokeAuditorAccessInput:
    grant_id: relay.GlobalID


@strawberry.input
class EndEngagementInput:
    engagement_id: relay.GlobalID


@strawberry.input(description="Limits a client sets on a consultancy's engagement.")
class UpdateEngagementInput:
    id: relay.GlobalID
    ends_on: date | None = strawberry.field(
        default=strawberry.UNSET,
        description="The last day it lasts (access stops at the organization's midnight after"
        " it); null lifts the limit, omitted keeps it.",
    )
    role: Role | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="consultant, or viewer to let its people only read."
    )


@strawberry.type
class EngagementPayload:
    engagement: Engagement | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrganizationPayload:
    organization: Organization | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MembershipPayload:
    membership: Membership | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class InviteMemberPayload:
    invitation: Invitation | None = None
    invitation_token: str | None = strawberry.field(
        default=None,
        description="Pass it on to the person, shown once: without an account they accept with"
        " acceptInvitation (and a first password), with one they sign in and use"
        " joinOrganization.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoveMemberPayload:
    removed_membership_id: relay.GlobalID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AuditorGrantPayload:
    grant: AuditorGrant | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TenantMutation:
    @mutation(description="A consultancy (the acting tenant) creates a client it manages.")
    async def create_organization(
        self, info: Info, input: CreateOrganizationInput
    ) -> OrganizationPayload:
        row = await service.create_client(
            info.context.db, actor_of(info), input.name, input.slug, input.timezone
        )
        return OrganizationPayload(organization=Organization.from_model(row))

    @mutation()
    async def update_organization(
        self, info: Info, input: UpdateOrganizationInput
    ) -> OrganizationPayload:
        row = await service.update_organization(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "Organization", "id"),
            name=input.name,
            slug=input.slug,
            timezone=input.timezone,
            operation_period_days=input.operation_period_days,
        )
        return OrganizationPayload(organization=Organization.from_model(row))

    @mutation(
        description="Invite a person by e-mail to join with a role; the answer is the same"
        " whether or not the address has an account, and nobody joins without accepting."
    )
    async def invite_member(self, info: Info, input: InviteMemberInput) -> InviteMemberPayload:
        invited = await service.invite_member(
            info.context.db,
            actor_of(info),
            node_uuid(input.organization_id, "Organization", "organizationId"),
            email=input.email,
            role=input.role,
            name=input.name,
            invitation_ttl=info.context.runtime.auth.invitation_ttl,
        )
        return InviteMemberPayload(
            invitation=Invitation.from_model(invited.invitation), invitation_token=invited.token
        )

    @mutation()
    async def change_member_role(
        self, info: Info, input: ChangeMemberRoleInput
    ) -> MembershipPayload:
        row = await service.change_member_role(
            info.context.db,
            actor_of(info),
            node_uuid(input.membership_id, "Membership", "membershipId"),
            input.role,
        )
        return MembershipPayload(membership=Membership.from_model(row))

    @mutation(description="Remove a membership; the last owner cannot be removed.")
    async def remove_member(self, info: Info, input: RemoveMemberInput) -> RemoveMemberPayload:
        removed = await service.remove_member(
            info.context.db,
            actor_of(info),
            node_uuid(input.membership_id, "Membership", "membershipId"),
        )
        return RemoveMemberPayload(removed_membership_id=relay.GlobalID("Membership", str(removed)))

    @mutation(
        description="End a consultancy's engagement at once (owners and admins of the client)."
    )
    async def end_engagement(self, info: Info, input: EndEngagementInput) -> EngagementPayload:
        row = await service.end_engagement(
            info.context.db,
            actor_of(info),
            node_uuid(input.engagement_id, "Engagement", "engagementId"),
        )
        return EngagementPayload(engagement=Engagement.from_model(row))

    @mutation(
        description="Limit a consultancy's engagement: its end date and the role its people get"
        " (owners and admins of the client); it holds from their next request."
    )
    async def update_engagement(
        self, info: Info, input: UpdateEngagementInput
    ) -> EngagementPayload:
        row = await service.update_engagement(
            info.context.db,
            actor_of(info),
            node_uuid(input.id, "Engagement", "id"),
            ends_on=clearable(input.ends_on),
            role=input.role,
        )
        return EngagementPayload(engagement=Engagement.from_model(row))

    @mutation(description="Give a certification body read-only access for a while.")
    async def grant_auditor_access(
        self, info: Info, input: GrantAuditorAccessInput
    ) -> AuditorGrantPayload:
        row = await service.grant_auditor_access(
            info.context.db,
            actor_of(info),
            node_uuid(input.organization_id, "Organization", "organizationId"),
            certification_body_slug=input.certification_body_slug,
            valid_until=input.valid_until,
            valid_from=input.valid_from,
        )
        return AuditorGrantPayload(grant=AuditorGrant.from_model(row))

    @mutation(description="End a certification body's access at once.")
    async def revoke_auditor_access(
        self, info: Info, input: RevokeAuditorAccessInput
    ) -> AuditorGrantPayload:
        row = await service.revoke_auditor_access(
            info.context.db,
            actor_of(info),
            node_uuid(input.grant_id, "AuditorGrant", "grantId"),
        )
        return AuditorGrantPayload(grant=AuditorGrant.from_model(row))
