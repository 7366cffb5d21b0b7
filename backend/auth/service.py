"""Logging in, rotating refresh tokens and logging out.

Refresh tokens are opaque random strings; only their SHA-256 is stored. Each login starts a
family; each refresh marks the presented token rotated and issues its successor. Presenting a
rotated token again means someone kept a copy, so the whole family is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.models import LoginFailure, RefreshToken
from backend.auth.passwords import hash_password, needs_rehash, verify_password
from backend.auth.tokens import AccessToken, TokenIssuer
from backend.errors import ErrorCode, ServiceError
from tenants.models import User

# One address may try this many times the per-email limit: an office behind one NAT is normal.
ADDRESS_LIMIT_FACTOR = 4
EMAIL_MAX_LENGTH = 254  # LoginFailure.email and User.email
ADDRESS_MAX_LENGTH = 64  # LoginFailure.client_address


@dataclass(frozen=True)
class AuthPolicy:
    issuer: TokenIssuer
    refresh_ttl: timedelta
    max_failures: int
    failure_window: timedelta
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


async def login(
    db: AsyncSession, policy: AuthPolicy, email: str, password: str, client_address: str
) -> Session:
    email = normalize_email(email)
    # Failures are kept under what the columns can hold; an email they cannot hold (too long,
    # or with a NUL byte PostgreSQL refuses) matches no account and fails like any unknown one.
    key = email.replace("\x00", "")[:EMAIL_MAX_LENGTH]
    client_address = client_address[:ADDRESS_MAX_LENGTH]
    await _refuse_when_throttled(db, policy, key, client_address)
    user = None
    if key == email:
        user = await db.scalar(select(User).where(func.lower(User.email) == email))
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        db.add(LoginFailure(email=key, client_address=client_address))
        await db.commit()
        raise ServiceError(ErrorCode.INVALID_CREDENTIALS, "Email or password is incorrect.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    await db.execute(delete(LoginFailure).where(LoginFailure.email == email))
    session = await issue_session(db, policy, user)
    await db.commit()
    return session


async def _refuse_when_throttled(
    db: AsyncSession, policy: AuthPolicy, email: str, client_address: str
) -> None:
    since = datetime.now(UTC) - policy.failure_window
    by_email, by_address = (
        await db.execute(
            select(
                func.count().filter(LoginFailure.email == email),
                func.count().filter(LoginFailure.client_address == client_address),
            ).where(
                LoginFailure.occurred_at > since,
                or_(LoginFailure.email == email, LoginFailure.client_address == client_address),
            )
        )
    ).one()
    if by_email >= policy.max_failures or by_address >= policy.max_failures * ADDRESS_LIMIT_FACTOR:
        minutes = max(1, int(policy.failure_window.total_seconds() // 60))
        raise ServiceError(
            ErrorCode.RATE_LIMITED,
            f"Too many failed logins. Try again in up to {minutes} minutes.",
        )


async def refresh(db: AsyncSession, policy: AuthPolicy, refresh_token: str) -> Session:
    stored = await db.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == token_digest(refresh_token))
        .with_for_update()
    )
    now = datetime.now(UTC)
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise _invalid_refresh()
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


async def logout(db: AsyncSession, refresh_token: str) -> None:
    """End the login the token belongs to; unknown tokens are ignored, so logout is idempotent."""
    family = await db.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == token_digest(refresh_token))
    )
    if family is not None:
        await _revoke_family(db, family)
        await db.commit()


async def issue_session(
    db: AsyncSession, policy: AuthPolicy, user: User, family_id: uuid.UUID | None = None
) -> Session:
    """Tokens for `user`: a new login family unless `family_id` continues one."""
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + policy.refresh_ttl
    db.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=token_digest(token),
            expires_at=expires_at,
        )
    )
    await db.flush()
    return Session(user, policy.issuer.issue(user.id), token, expires_at)


async def _revoke_family(db: AsyncSession, family_id: uuid.UUID) -> None:
    await db.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


def _invalid_refresh() -> ServiceError:
    return ServiceError(
        ErrorCode.INVALID_REFRESH_TOKEN, "The refresh token is invalid or expired; log in again."
    )
