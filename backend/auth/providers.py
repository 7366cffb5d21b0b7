"""Single sign-on: an organization's identity provider, and signing in through it.

Owners and admins configure one OpenID Connect provider per organization. Signing in starts
unauthenticated, naming the organization by slug: `sso_organization(slug)` (an owner
function) answers only for an organization whose provider is enabled, and the sign-in is
then stored in that organization's system scope, as a job would write there. Completing it
uses the sign-in up first (committed, so a replayed state fails even when the rest does),
redeems the code, checks the ID token (`backend/auth/sso.py`), and then:

- an account linked to the provider's issuer and subject signs in, and becomes a member
  with the default role if it is not one;
- an unknown, verified address of an allowed domain gets a new account with no password,
  linked to that issuer and subject, and a membership with the default role;
- an address that already has an account not linked to this identity is refused: otherwise
  any organization's admin could name a provider that asserts someone else's address and
  take over that account in every organization it belongs to.

certready then issues its own tokens exactly as a password login does.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert

from backend.auth import sso
from backend.auth.models import IdentityProvider, SsoLogin
from backend.auth.passwords import UNUSABLE_PASSWORD
from backend.auth.service import (
    EMAIL_MAX_LENGTH,
    AuthPolicy,
    Session,
    credentials,
    issue_session,
)
from backend.core.access import Actor, Permission, conflict_on, for_change, require_writer
from backend.core.errors import ErrorCode, ServiceError, conflict, forbidden, invalid, not_found
from backend.db.session import TenantSession
from tenants.models import Membership, User
from tenants.roles import MEMBERSHIP_ROLES, Role
from tenants.scope import TenantScope, system_scope

LOGIN_TTL = timedelta(minutes=10)
ISSUER_MAX_LENGTH = 500  # IdentityProvider.issuer, User.identity_issuer
CLIENT_ID_MAX_LENGTH = 255
CLIENT_SECRET_MAX_LENGTH = 1000
DOMAIN_MAX_LENGTH = 253
MAX_DOMAINS = 50
REDIRECT_URI_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 200  # User.name
SUBJECT_MAX_LENGTH = 255  # User.identity_subject
DEFAULT_ROLES = tuple(role for role in MEMBERSHIP_ROLES if role is not Role.OWNER)
_ORGANIZATION = select(func.sso_organization(bindparam("slug")))
_ACCOUNT = select(
    func.sso_account(bindparam("issuer"), bindparam("subject")).table_valued("user_id", "is_active")
)


@dataclass(frozen=True)
class ProviderFields:
    issuer: str
    client_id: str
    client_secret: str | None  # None keeps the stored secret
    allowed_domains: Sequence[str]
    default_role: Role


# --- configuration -------------------------------------------------------------------------


async def configure_provider(
    db: TenantSession, actor: Actor, fields: ProviderFields
) -> IdentityProvider:
    """Create or replace the acting organization's provider, enabled; its discovery document
    must answer now, so a mistyped issuer is refused here rather than at the first sign-in."""
    require_writer(
        db, actor, actor.tenant_id, "Organization", permission=Permission.CONFIGURE_SIGN_IN
    )
    issuer, client_id, domains = _checked(fields)
    try:
        await sso.discover(issuer)
    except sso.OidcError as error:
        raise invalid(str(error), ["issuer"]) from None
    provider = await db.scalar(
        select(IdentityProvider)
        .where(IdentityProvider.tenant_id == actor.tenant_id)
        .with_for_update()
    )
    if provider is None:
        provider = IdentityProvider(tenant_id=actor.tenant_id)
        db.add(provider)
    secret = fields.client_secret if fields.client_secret is not None else provider.client_secret
    if not secret:
        raise invalid("The client secret is needed to set up a provider.", ["clientSecret"])
    provider.issuer, provider.client_id, provider.client_secret = issuer, client_id, secret
    provider.allowed_domains, provider.default_role = domains, fields.default_role.value
    provider.enabled, provider.configured_by_id = True, actor.user_id
    taken = conflict("The organization's provider was set up meanwhile; try again.", ["issuer"])
    async with conflict_on(db, "uq_identity_providers_tenant", taken):
        # Sign-ins started under the former settings would be redeemed with the new client.
        await db.execute(delete(SsoLogin).where(SsoLogin.tenant_id == actor.tenant_id))
        await db.commit()
    await db.refresh(provider)  # its updated_at, set by the database
    return provider


def _checked(fields: ProviderFields) -> tuple[str, str, list[str]]:
    issuer = fields.issuer.strip()  # exactly as the provider's tokens will name it
    if len(issuer) > ISSUER_MAX_LENGTH or not sso.is_acceptable_issuer(issuer):
        raise invalid(
            "The issuer must be an https:// URL (http:// only for this machine).", ["issuer"]
        )
    client_id = fields.client_id.strip()
    if not 1 <= len(client_id) <= CLIENT_ID_MAX_LENGTH:
        raise invalid(f"The client id needs 1 to {CLIENT_ID_MAX_LENGTH} characters.", ["clientId"])
    if fields.client_secret is not None and not (
        1 <= len(fields.client_secret) <= CLIENT_SECRET_MAX_LENGTH
    ):
        raise invalid(
            f"The client secret needs 1 to {CLIENT_SECRET_MAX_LENGTH} characters.",
            ["clientSecret"],
        )
    if fields.default_role not in DEFAULT_ROLES:
        raise invalid("New members cannot become owners by signing in.", ["defaultRole"])
    return issuer, client_id, _domains(fields.allowed_domains)


def _domains(given: Sequence[str]) -> list[str]:
    domains = sorted({domain.strip().lower().lstrip("@") for domain in given})
    if not 1 <= len(domains) <= MAX_DOMAINS:
        raise invalid(f"Name 1 to {MAX_DOMAINS} e-mail domains.", ["allowedDomains"])
    for domain in domains:
        labels = domain.split(".")
        if (
            len(domain) > DOMAIN_MAX_LENGTH
            or len(labels) < 2
            or not all(
                label and label.replace("-", "").isalnum() and label.isascii() for label in labels
            )
        ):
            raise invalid(f"'{domain}' is not an e-mail domain.", ["allowedDomains"])
    return domains


async def disable_provider(
    db: TenantSession, actor: Actor, provider_id: uuid.UUID
) -> IdentityProvider:
    """No new sign-ins through it; accounts it made keep their data and memberships."""
    provider = await for_change(
        db,
        actor,
        IdentityProvider,
        provider_id,
        permission=Permission.CONFIGURE_SIGN_IN,
        what="Identity provider",
    )
    provider.enabled = False
    await db.execute(delete(SsoLogin).where(SsoLogin.provider_id == provider.id))
    await db.commit()
    await db.refresh(provider)
    return provider


def providers_statement(
    tenants: Sequence[uuid.UUID], organization: uuid.UUID | None
) -> Select[Any]:
    """The providers of `tenants` (those where the caller configures sign-in)."""
    statement = select(IdentityProvider).where(IdentityProvider.tenant_id.in_(tenants))
    if organization is not None:
        statement = statement.where(IdentityProvider.tenant_id == organization)
    return statement


# --- signing in ----------------------------------------------------------------------------


async def start_login(
    db: TenantSession, slug: str, redirect_uri: str, allowed_origins: Sequence[str]
) -> str:
    """Store a one-time sign-in and return the provider's authorization URL for it."""
    _check_redirect(redirect_uri, allowed_origins)
    tenant_id = await _organization(db, slug)
    await db.set_scope(system_scope(tenant_id))
    provider = await _enabled_provider(db, tenant_id)
    state, nonce, verifier = (secrets.token_urlsafe(n) for n in (32, 32, 64))
    url = await _authorization_url(provider, redirect_uri, state, nonce, verifier)
    await db.execute(delete(SsoLogin).where(SsoLogin.expires_at < func.now()))
    db.add(
        SsoLogin(
            tenant_id=tenant_id,
            provider_id=provider.id,
            state_hash=_digest(state),
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
            expires_at=datetime.now(UTC) + LOGIN_TTL,
        )
    )
    await db.commit()
    return url


def _check_redirect(redirect_uri: str, allowed_origins: Sequence[str]) -> None:
    try:
        parts = urlsplit(redirect_uri)
    except ValueError:  # an unclosed IPv6 bracket
        parts = urlsplit("")
    origin = f"{parts.scheme}://{parts.netloc}"
    if (
        len(redirect_uri) > REDIRECT_URI_MAX_LENGTH
        or parts.scheme not in {"https", "http"}
        or parts.fragment
        or origin not in allowed_origins
    ):
        raise invalid(
            "The redirect URI must be an address of one of the allowed web app origins.",
            ["redirectUri"],
        )


async def _organization(db: TenantSession, slug: str) -> uuid.UUID:
    tenant_id: uuid.UUID | None = await db.scalar(_ORGANIZATION, {"slug": slug})
    if tenant_id is None:
        raise _unavailable()
    return tenant_id


async def _enabled_provider(db: TenantSession, tenant_id: uuid.UUID) -> IdentityProvider:
    provider = await db.scalar(
        select(IdentityProvider).where(
            IdentityProvider.tenant_id == tenant_id, IdentityProvider.enabled
        )
    )
    if provider is None:  # disabled since the organization was looked up
        raise _unavailable()
    return provider


async def _authorization_url(
    provider: IdentityProvider, redirect_uri: str, state: str, nonce: str, verifier: str
) -> str:
    try:
        return await sso.authorization_url(
            _client(provider),
            redirect_uri=redirect_uri,
            state=state,
            nonce=nonce,
            code_verifier=verifier,
        )
    except sso.OidcError as error:
        raise ServiceError(ErrorCode.INVALID_CREDENTIALS, str(error)) from None


async def complete_login(
    db: TenantSession, policy: AuthPolicy, slug: str, state: str, code: str
) -> Session:
    """Use the sign-in up, verify what the provider says, and log the person in."""
    tenant_id = await _organization(db, slug)
    await db.set_scope(system_scope(tenant_id))
    login = await _consume(db, state)
    provider = await _enabled_provider(db, tenant_id)
    try:
        identity = await sso.redeem(
            _client(provider),
            code=code,
            redirect_uri=login.redirect_uri,
            code_verifier=login.code_verifier,
            nonce=login.nonce,
        )
    except sso.OidcError as error:
        raise ServiceError(ErrorCode.INVALID_CREDENTIALS, str(error), ["code"]) from None
    email = _admitted_email(provider, identity)
    user = await _account(db, identity, email)
    await db.set_scope(TenantScope(user_id=user.id).writing_in(tenant_id))
    await _ensure_member(db, tenant_id, user.id, Role(provider.default_role))
    session = await issue_session(db, policy, user)
    await db.commit()
    return session


async def _consume(db: TenantSession, state: str) -> SsoLogin:
    """The sign-in `state` names, deleted and committed: it works once, whatever follows."""
    login: SsoLogin | None = await db.scalar(
        delete(SsoLogin).where(SsoLogin.state_hash == _digest(state)).returning(SsoLogin)
    )
    await db.commit()
    if login is None or login.expires_at <= datetime.now(UTC):
        raise _login_expired()
    return login


def _admitted_email(provider: IdentityProvider, identity: sso.Identity) -> str:
    email = (identity.email or "").strip().lower()
    if not email or not identity.email_verified:
        raise forbidden("The identity provider has not verified an e-mail address for you.")
    domain = email.rpartition("@")[2]
    if domain not in provider.allowed_domains:
        raise forbidden(f"Addresses of {domain} may not sign in to this organization.")
    if len(identity.subject) > SUBJECT_MAX_LENGTH or len(email) > EMAIL_MAX_LENGTH:
        raise ServiceError(
            ErrorCode.INVALID_CREDENTIALS, "The identity provider's answer is too long."
        )
    return email


async def _account(db: TenantSession, identity: sso.Identity, email: str) -> User:
    """The account linked to this identity, or a new one; never someone else's account."""
    linked = (
        await db.execute(_ACCOUNT, {"issuer": identity.issuer, "subject": identity.subject})
    ).one_or_none()
    if linked is not None:
        if not linked.is_active:
            raise forbidden("The account is disabled.")
        await db.set_scope(TenantScope(user_id=linked.user_id))
        return await db.get_one(User, linked.user_id)
    if await credentials(db, email) is not None:
        raise _address_taken()
    user = User(
        id=uuid.uuid4(),
        email=email,
        name=_name(identity, email),
        password_hash=UNUSABLE_PASSWORD,
        identity_issuer=identity.issuer,
        identity_subject=identity.subject,
    )
    await db.set_scope(TenantScope(user_id=user.id))
    db.add(user)
    async with conflict_on(db, "uq_users_email_lower", _address_taken()):
        await db.flush()
    return user


def _name(identity: sso.Identity, email: str) -> str:
    name = (identity.name or "").strip() or email.partition("@")[0]
    return name[:NAME_MAX_LENGTH]


async def _ensure_member(
    db: TenantSession, tenant_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> None:
    """Just-in-time membership: the provider vouches for the person; a member keeps its role."""
    await db.execute(
        insert(Membership)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, user_id=user_id, role=role.value)
        .on_conflict_do_nothing(constraint="uq_memberships_tenant_user")
    )


def _client(provider: IdentityProvider) -> sso.Client:
    return sso.Client(provider.issuer, provider.client_id, provider.client_secret)


def _digest(state: str) -> bytes:
    return hashlib.sha256(state.encode()).digest()


def _unavailable() -> ServiceError:
    return not_found("Single sign-on for this organization", ["organization"])


def _login_expired() -> ServiceError:
    return ServiceError(
        ErrorCode.INVALID_CREDENTIALS,
        "This sign-in has expired or was already used; start again.",
        ["state"],
    )


def _address_taken() -> ServiceError:
    return conflict(
        "An account with this e-mail address already exists and is not linked to this"
        " identity provider; sign in with its password instead.",
        ["code"],
    )
