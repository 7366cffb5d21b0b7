"""Invitations: how someone added to an organization without an account gets in.

Adding a new person creates their account with no usable password and one invitation whose
token is shown once to whoever added them, to pass on (e-mail delivery comes later). Only
the token's SHA-256 is stored. Accepting sets the first password and logs in; a token works
once and only until it expires.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.models import Invitation
from backend.auth.passwords import check_new_password, hash_password
from backend.auth.service import AuthPolicy, Session, issue_session, token_digest
from backend.errors import ErrorCode, ServiceError
from tenants.models import User


def invite(db: AsyncSession, user_id: uuid.UUID, ttl: timedelta) -> str:
    """Add an invitation for `user_id` to the session's transaction; return its token."""
    token = secrets.token_urlsafe(32)
    db.add(
        Invitation(
            user_id=user_id,
            token_hash=token_digest(token),
            expires_at=datetime.now(UTC) + ttl,
        )
    )
    return token


async def accept_invitation(
    db: AsyncSession, policy: AuthPolicy, token: str, password: str
) -> Session:
    check_new_password(password)
    invitation = await db.scalar(
        select(Invitation).where(Invitation.token_hash == token_digest(token)).with_for_update()
    )
    now = datetime.now(UTC)
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now:
        raise ServiceError(
            ErrorCode.INVALID_INVITATION,
            "This invitation is invalid, used or expired; ask for a new one.",
            ["token"],
        )
    user = await db.get(User, invitation.user_id)
    if user is None or not user.is_active:
        raise ServiceError(ErrorCode.INVALID_INVITATION, "This account is disabled.", ["token"])
    invitation.accepted_at = now
    user.password_hash = hash_password(password)
    session = await issue_session(db, policy, user)
    await db.commit()
    return session
