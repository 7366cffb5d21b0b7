"""Logging in, rotating refresh tokens and logging out.

Refresh tokens are opaque random strings; only their SHA-256 is stored. Each login starts a
family, whose id its access tokens carry (`sid`); each refresh marks the presented token
rotated and issues its successor. Presenting a rotated token again means someone kept a
copy, so the whole family is revoked, and with it every access token of that login.

Row-level security (`backend/auth/rls.py`) shows each step only what it proves: the token
whose digest it presents, then the rows of the user it acts as once that is known.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, text, update

from backend.auth import throttle
from backend.auth.models import RefreshToken
from backend.auth.passwords import hash_password, needs_rehash, verify_password
from backend.auth.throttle import ThrottleRules
from backend.auth.tokens import AccessToken, TokenIssuer
from backend.core.activity import Event, note
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession, execution_options_skipping_criteria
from tenants.models import Membership, User
from tenants.scope import TenantScope

EMAIL_MAX_LENGTH = 254  # LoginThrottle.email and User.email
ADDRESS_MAX_LENGTH = 64  # LoginThrottle.client_address
_PRESENT_TOKEN = text("SELECT set_config('app.token_digest', :digest, true)")
# The one way to a password hash (a SECURITY DEFINER function: the column is not granted).
_CREDENTIALS = select(
    func.auth_credentials(bindparam("email")).table_valued("user_id", "password_hash", "is_active")
)


@dataclass(frozen=True)
class AuthPolicy:
    issuer: TokenIssuer
    refresh_ttl: timedelta
    throttle: ThrottleRules
    invitation_ttl: timedelta


@dataclass(frozen=True)
class Session:
    """What a successful login or refresh hands back."""

    user: User
    access: AccessToken
    refresh_token: str
    refresh_expires_at: datetime


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def present_token(db: TenantSession, token: str) -> bytes:
    """Let this transaction see the row stored for `token`, and return the token's digest."""
    digest = token_digest(token)
    await db.execute(_PRESENT_TOKEN, {"digest": digest.hex()})
    return digest


async def act_as(db: TenantSession, user_id: uuid.UUID) -> None:
    """From now on the session reads and writes what belongs to `user_id` (no tenant yet)."""
    await db.set_scope(TenantScope(user_id=user_id))


async def credentials(db: TenantSession, email: str) -> Any:
    """The account of `email`: user_id, password_hash and is_active, or None."""
    return (await db.execute(_CREDENTIALS, {"email": email})).one_or_none()


async def login(
    db: TenantSession, policy: AuthPolicy, email: str, password: str, client_address: str
) -> Session:
    email = normalize_email(email)
    # Throttled under what the columns can hold; an email they cannot hold (too long, or with
    # a NUL byte PostgreSQL refuses) matches no account and fails like any unknown one.
    key = email.replace("\x00", "")[:EMAIL_MAX_LENGTH]
    address = client_address[:ADDRESS_MAX_LENGTH]
    if not key:
        raise _invalid_credentials()
    await throttle.admit(db, policy.throttle, key, address)
    found = await credentials(db, email) if key == email else None
    valid = verify_password(found.password_hash if found else None, password)
    if found is None or not valid or not found.is_active:
        raise _invalid_credentials()
    await act_as(db, found.user_id)
    await throttle.succeeded(db, key, address)
    if needs_rehash(found.password_hash):
        await db.execute(
            update(User)
            .where(User.id == found.user_id)
            .values(password_hash=hash_password(password))
            .execution_options(synchronize_session=False)
        )
    user = await db.get_one(User, found.user_id)
    session = await issue_session(db, policy, user)
    await db.commit()
    return session


def _invalid_credentials() -> ServiceError:
    return ServiceError(ErrorCode.INVALID_CREDENTIALS, "Email or password is incorrect.")


async def refresh(db: TenantSession, policy: AuthPolicy, refresh_token: str) -> Session:
    stored = await _presented(db, refresh_token)
    now = datetime.now(UTC)
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise _invalid_refresh()
    await act_as(db, stored.user_id)
    if stored.rotated_at is not None:
        await _revoke_family(db, stored.family_id)
        await db.commit()
        raise _invalid_refresh()
    user = await db.get(User, stored.user_id)
    if user is None or not user.is_active:
        raise _invalid_refresh()
    stored.rotated_at = now
    session = await issue_session(db, policy, user, family_id=stored.family_id)
    await db.commit()
    return session


async def logout(db: TenantSession, refresh_token: str) -> None:
    """End the login the token belongs to; unknown tokens are ignored, so logout is idempotent.

    Its access tokens stop working on their next request, since each names its family.
    """
    stored = await _presented(db, refresh_token)
    if stored is not None:
        await act_as(db, stored.user_id)
        await _revoke_family(db, stored.family_id)
        await db.commit()


async def _presented(db: TenantSession, refresh_token: str) -> RefreshToken | None:
    """The stored token, locked: two refreshes of one token are decided one after the other."""
    digest = await present_token(db, refresh_token)
    return await db.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == digest)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def issue_session(
    db: TenantSession, policy: AuthPolicy, user: User, family_id: uuid.UUID | None = None
) -> Session:
    """Tokens for `user`, whom `db` acts as: a new login unless `family_id` continues one."""
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + policy.refresh_ttl
    family = family_id or uuid.uuid4()
    db.add(
        RefreshToken(
            user_id=user.id,
            family_id=family,
            token_hash=token_digest(token),
            expires_at=expires_at,
        )
    )
    await db.flush()
    if family_id is None:
        await _log_login(db, user)
    return Session(user, policy.issuer.issue(user.id, family), token, expires_at)


async def _log_login(db: TenantSession, user: User) -> None:
    """A new login is an event of every organization the person is a member of."""
    tenants = await db.scalars(
        select(Membership.tenant_id)
        .where(Membership.user_id == user.id)
        .execution_options(**execution_options_skipping_criteria())
    )
    for tenant in tenants:
        note(db, Event(tenant, "User", str(user.id), {"event": "login"}))


async def _revoke_family(db: TenantSession, family_id: uuid.UUID) -> None:
    await db.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


def _invalid_refresh() -> ServiceError:
    return ServiceError(
        ErrorCode.INVALID_REFRESH_TOKEN, "The refresh token is invalid or expired; log in again."
    )
