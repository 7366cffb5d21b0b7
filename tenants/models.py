"""Organizations, people and the relations that entitle people to act in organizations."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum
from tenants.roles import ENGAGEMENT_ROLES, MEMBERSHIP_ROLES, Role

ENGAGEMENT_ROLE_VALUES = tuple(str(role.value) for role in ENGAGEMENT_ROLES)


class OrganizationKind(enum.StrEnum):
    CLIENT = "client"
    CONSULTANCY = "consultancy"
    CERTIFICATION_BODY = "certification_body"


class Organization(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "organizations"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Computed("id", persisted=True), index=False)
    kind: Mapped[str] = mapped_column(value_enum(OrganizationKind, "organization_kind"))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # How long the management system must run on its completed documentation before the
    # implementation step may close (records need time to accumulate).
    operation_period_days: Mapped[int] = mapped_column(default=90, server_default="90")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", passive_deletes=True
    )


class User(Identified, Timestamped, Base):
    """A person; global across tenants, reached from a tenant only through a membership."""

    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_email_lower", func.lower(literal_column("email")), unique=True),
        UniqueConstraint("identity_issuer", "identity_subject", name="uq_users_identity"),
        CheckConstraint(
            "(identity_issuer IS NULL) = (identity_subject IS NULL)", name="identity_pair"
        ),
    )

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    # Not granted to the app role: never loaded unless asked for, and an error if touched.
    password_hash: Mapped[str] = mapped_column(String(255), deferred=True, deferred_raiseload=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # An account made by single sign-on: the provider's issuer and its subject for the person.
    # Such an account has no password and signs in only through a provider of that issuer.
    identity_issuer: Mapped[str | None] = mapped_column(String(500))
    identity_subject: Mapped[str | None] = mapped_column(String(255))


class Membership(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", name="uq_memberships_tenant_user"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(
        value_enum(Role, "membership_role", tuple(str(role.value) for role in MEMBERSHIP_ROLES))
    )

    organization: Mapped[Organization] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class ConsultancyEngagement(Identified, Timestamped, TenantOwned, Base):
    """A consultancy manages a client; the client (the tenant) owns the record."""

    __tablename__ = "consultancy_engagements"
    __table_args__ = (
        CheckConstraint("consultancy_id <> tenant_id", name="not_self"),
        Index(
            "uq_consultancy_engagements_open",
            "tenant_id",
            "consultancy_id",
            unique=True,
            postgresql_where="ended_at IS NULL",
        ),
    )

    consultancy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # A future moment is an end date the client set: access stops then, on its own.
    ended_at: Mapped[datetime | None]
    # The most the consultancy's people get here: the client may hold them to reading.
    role: Mapped[str] = mapped_column(
        value_enum(Role, "engagement_role", ENGAGEMENT_ROLE_VALUES),
        default=Role.CONSULTANT.value,
        server_default=Role.CONSULTANT.value,
    )

    client: Mapped[Organization] = relationship(foreign_keys="ConsultancyEngagement.tenant_id")
    consultancy: Mapped[Organization] = relationship(foreign_keys=[consultancy_id])


class AuditorGrant(Identified, Timestamped, TenantOwned, Base):
    """Time-boxed, read-only access of a certification body to a client (the tenant)."""

    __tablename__ = "auditor_grants"
    __table_args__ = (
        CheckConstraint("valid_until > valid_from", name="valid_window"),
        CheckConstraint("certification_body_id <> tenant_id", name="not_self"),
    )

    certification_body_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    client: Mapped[Organization] = relationship(foreign_keys="AuditorGrant.tenant_id")
    certification_body: Mapped[Organization] = relationship(foreign_keys=[certification_body_id])
