"""Tables behind sessions, login throttling, invitations and single sign-on
(`backend/auth/rls.py` guards them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum
from tenants.roles import MEMBERSHIP_ROLES, Role


def _membership_role() -> Any:
    return value_enum(Role, "membership_role", tuple(str(role.value) for role in MEMBERSHIP_ROLES))


class RefreshToken(Identified, Base):
    """One issued refresh token, stored only as its SHA-256.

    Every token descends from a login through `family_id`; presenting a token that was
    already rotated means it leaked, so the whole family is revoked.
    """

    __tablename__ = "refresh_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Recent failed logins of one key: an (email, address) pair, an email, or an address.

    The email and the address rows leave the other column empty (''). A login locks its
    three rows while it decides whether it may try and records the try, so concurrent
    attempts are counted one after another (`backend/auth/throttle.py`).
    """

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    client_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_failure_at: Mapped[datetime | None]
    # For a crowded email or address: when the next password may be checked.
    next_attempt_at: Mapped[datetime | None]


class Invitation(Identified, TenantOwned, Base):
    """An invitation to join an organization, for an e-mail address with or without an account.

    The membership exists only once the invitation is accepted: by setting a first password
    when the address has no account yet, or by the signed-in account of that address. Stored
    as the SHA-256 of its token; one pending invitation per organization and address.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        Index(
            "uq_invitations_pending",
            "tenant_id",
            "email",
            unique=True,
            postgresql_where=text("accepted_at IS NULL"),
        ),
    )

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(_membership_role())
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]


class IdentityProvider(Identified, Timestamped, TenantOwned, Base):
    """The OpenID Connect provider an organization's people may sign in with; one per tenant.

    The client secret is needed in clear to redeem codes, so it is stored as given and never
    leaves through the API. Disabling keeps the row (and the accounts it linked) but stops
    new sign-ins.
    """

    __tablename__ = "identity_providers"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_identity_providers_tenant"),)

    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[str] = mapped_column(String(1000))
    allowed_domains: Mapped[list[str]] = mapped_column(ARRAY(String(253)))
    default_role: Mapped[str] = mapped_column(_membership_role())
    enabled: Mapped[bool] = mapped_column(default=True)
    configured_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class SsoLogin(Identified, TenantOwned, Base):
    """A sign-in started at the provider and not yet completed: used once, then deleted.

    Only the SHA-256 of its `state` is stored; the nonce and the PKCE verifier must be kept
    in clear to check the provider's answer.
    """

    __tablename__ = "sso_logins"
    activity_logged: ClassVar[bool] = False  # a one-time secret in flight, not a change

    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), index=True
    )
    state_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
