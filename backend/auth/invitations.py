"""Invitations: how a person becomes a member of an organization.

Inviting names an e-mail address and a role, and hands the inviter a token to pass on
(e-mail delivery comes later); only its SHA-256 is stored. Nobody becomes a member without
accepting, and the inviter's answer is the same whether or not the address has an account:

- someone without an account accepts with the token and a first password, which creates the
  account and the membership and logs in (`accept_invitation`);
- an existing account accepts while signed in as that address (`join_organization`), so
  holding the token alone never attaches anyone's account to an organization.

A token works once and only until it expires; inviting the same address again replaces it.
Until invitations are e-mailed, the inviter holds the token, and redeeming it would tell them
whether the address has an account; the invitation itself does not.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update

from backend.auth.models import Invitation
from backend.auth.passwords import UNUSABLE_PASSWORD, check_new_password, hash_password
from backend.auth.service import (
    AuthPolicy,
    Session,
    act_as,
    credentials,
    issue_session,
    present_token,
    token_digest,
)
from backend.core.access import conflict_on
from backend.core.errors import ErrorCode, ServiceError, invalid
from backend.db.session import TenantSession, execution_options_skipping_criteria
from tenants.models import Membership, User
from tenants.roles import Role
from tenants.scope import TenantScope

NAME_MAX_LENGTH = 200  # User.name


async def invite(
    db: TenantSession,
    *,
    tenant_id: uuid.UUID,
    email: str,
    role: Role,
    name: str | None,
    invited_by: uuid.UUID,
    ttl: timedelta,
) -> tuple[Invitation, str]:
    """Add an invitation to the session's transaction, replacing a pending one; return its token."""
    await db.execute(
        delete(Invitation)
        .where(
            Invitation.tenant_id == tenant_id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        tenant_id=tenant_id,
        email=email,
        name=name,
        role=role.value,
        invited_by_id=invited_by,
        token_hash=token_digest(token),
        expires_at=datetime.now(UTC) + ttl,
    )
    db.add(invitation)
    return invitation, token


async def accept_invitation(
    db: TenantSession, policy: AuthPolicy, token: str, password: str, name: str | None = None
) -> Session:
    """Someone without an account: create it with `password`, join, and log in."""
    check_new_password(password)
    invitation = await _pending(db, token)
    user = await _new_account(db, invitation, password, name)
    await db.set_scope(TenantScope(user_id=user.id).writing_in(invitation.tenant_id))
    await _join(db, invitation, user.id)
    session = await issue_session(db, policy, user)
    await db.commit()
    return session


async def join_organization(db: TenantSession, user_id: uuid.UUID, token: str) -> Membership:
    """The signed-in account of the invited address joins; the request may read it from now on."""
    invitation = await _pending(db, token)
    user = await db.get(User, user_id)
    if user is None or user.email.lower() != invitation.email:
        raise _invalid_invitation()
    previous = db.scope
    await db.set_scope(previous.writing_in(invitation.tenant_id))
    try:
        membership = await _join(db, invitation, user_id)
        await db.commit()
    finally:
        await db.set_scope(previous.reading_also(invitation.tenant_id))
    return membership


async def _pending(db: TenantSession, token: str) -> Invitation:
    """The invitation `token` names, if it may still be accepted (seen by its digest alone)."""
    digest = await present_token(db, token)
    invitation = await db.scalar(
        select(Invitation).where(Invitation.token_hash == digest),
        execution_options=execution_options_skipping_criteria(),
    )
    now = datetime.now(UTC)
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now:
        raise _invalid_invitation()
    return invitation


async def _new_account(
    db: TenantSession, invitation: Invitation, password: str, name: str | None
) -> User:
    """The account accepting creates, or one an invitation made before it had a password."""
    found = await credentials(db, invitation.email)
    if found is not None and found.password_hash != UNUSABLE_PASSWORD:
        raise _has_account()
    if found is not None:
        await act_as(db, found.user_id)
        user = await db.get_one(User, found.user_id)
        if not user.is_active:
            raise _invalid_invitation()
        if user.identity_issuer is not None:  # signs in through its provider, never by password
            raise _has_account()
        user.password_hash = hash_password(password)
        return user
    user = User(
        id=uuid.uuid4(),
        email=invitation.email,
        name=_account_name(name, invitation.name),
        password_hash=hash_password(password),
    )
    await act_as(db, user.id)
    db.add(user)
    # The address may have got an account meanwhile.
    async with conflict_on(db, "uq_users_email_lower", _invalid_invitation()):
        await db.flush()
    return user


def _account_name(given: str | None, suggested: str | None) -> str:
    name = (given or "").strip() or (suggested or "").strip()
    if not 1 <= len(name) <= NAME_MAX_LENGTH:
        raise invalid(f"Your name is needed (1 to {NAME_MAX_LENGTH} characters).", ["name"])
    return name


async def _join(db: TenantSession, invitation: Invitation, user_id: uuid.UUID) -> Membership:
    """Use the invitation up and make the membership; an existing member keeps their role."""
    claimed = await db.scalar(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=func.now())
        .returning(Invitation.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:  # accepted meanwhile
        raise _invalid_invitation()
    existing = await db.scalar(
        select(Membership).where(
            Membership.tenant_id == invitation.tenant_id, Membership.user_id == user_id
        )
    )
    if existing is not None:
        return existing
    membership = Membership(tenant_id=invitation.tenant_id, user_id=user_id, role=invitation.role)
    db.add(membership)
    await db.flush()
    return membership


def _has_account() -> ServiceError:
    return ServiceError(
        ErrorCode.INVALID_INVITATION,
        "This address has an account: sign in as it and accept with joinOrganization.",
        ["token"],
    )


def _invalid_invitation() -> ServiceError:
    return ServiceError(
        ErrorCode.INVALID_INVITATION,
        "This invitation is invalid, used, expired or for another address; ask for a new one.",
        ["token"],
    )
