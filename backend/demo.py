"""Demo organizations and accounts, so a fresh checkout has something to log in to.

The seed writes as the application role, so row-level security checks every row exactly as
it checks a request's. Organization ids are derived from their slugs: the app role reads only
organizations whose ids its scope names, and fixed ids let a second run find what the first
one made. Whatever exists already is left as it is, so seeding twice changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from backend.auth.passwords import hash_password, verify_password
from backend.auth.service import act_as, credentials
from backend.db.base import Base
from backend.db.session import TenantSession
from backend.demo_audits import seed_audits
from backend.demo_certification import seed_certification
from backend.demo_evidence import seed_evidence
from backend.demo_findings import seed_findings
from backend.demo_history import DemoHistory
from backend.demo_notifications import seed_notifications
from backend.demo_packages import seed_packages
from backend.demo_portfolio import seed_portfolio
from backend.demo_readiness import seed_programs
from backend.demo_registers import seed_registers
from backend.demo_reports import seed_reports
from backend.demo_reviews import seed_reviews
from backend.runtime import Runtime
from tenants.models import (
    AuditorGrant,
    ConsultancyEngagement,
    Membership,
    Organization,
    OrganizationKind,
    User,
)
from tenants.roles import Role
from tenants.scope import TenantScope

# Fixed forever: changing it would make the next seed miss the organizations it made before.
NAMESPACE = uuid.UUID("3fd6f7ad-353a-420a-ae8e-71a831fb3439")
GRANT_DAYS = 90


class DemoSeedError(Exception):
    """The demo cannot be seeded into this database; the message says why."""


@dataclass(frozen=True)
class DemoOrganization:
    slug: str
    name: str
    kind: OrganizationKind

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, self.slug)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    organization: DemoOrganization
    role: Role
    access: str


@dataclass(frozen=True)
class DemoLogin:
    """One account to try; `password_is_demo` is False for an account that existed before."""

    email: str
    organization: str
    role: str
    access: str
    password_is_demo: bool


NORTHWIND = DemoOrganization(
    "northwind-consulting", "Northwind Consulting", OrganizationKind.CONSULTANCY
)
ACME = DemoOrganization("acme", "Acme Manufacturing", OrganizationKind.CLIENT)
GLOBEX = DemoOrganization("globex", "Globex Foods", OrganizationKind.CLIENT)
BUREAU = DemoOrganization(
    "bureau-certifica", "Bureau Certifica", OrganizationKind.CERTIFICATION_BODY
)
ORGANIZATIONS = (NORTHWIND, ACME, GLOBEX, BUREAU)
NORTHWIND_CLIENTS = (ACME, GLOBEX)

ACME_OWNER = "owner@acme.example"
ACME_AUDITOR = "quality@acme.example"
GLOBEX_OWNER = "owner@globex.example"
NORTHWIND_CONSULTANT = "consultant@northwind.example"
ACCOUNTS = (
    DemoAccount(ACME_OWNER, "Ada Acme", ACME, Role.OWNER, "owner of Acme Manufacturing"),
    DemoAccount(
        "viewer@acme.example",
        "Victor Acme",
        ACME,
        Role.VIEWER,
        "viewer of Acme Manufacturing (read-only)",
    ),
    DemoAccount(
        ACME_AUDITOR,
        "Quinn Acme",
        ACME,
        Role.CONTRIBUTOR,
        "contributor of Acme Manufacturing, its internal auditor",
    ),
    DemoAccount(GLOBEX_OWNER, "Greta Globex", GLOBEX, Role.OWNER, "owner of Globex Foods"),
    DemoAccount(
        NORTHWIND_CONSULTANT,
        "Noah Northwind",
        NORTHWIND,
        Role.OWNER,
        "owner of Northwind Consulting; consultant of Acme Manufacturing and Globex Foods",
    ),
    DemoAccount(
        "auditor@bureau.example",
        "Bea Bureau",
        BUREAU,
        Role.ADMIN,
        "admin of Bureau Certifica; auditor of Acme Manufacturing and Globex Foods"
        f" (read-only, {GRANT_DAYS} days)",
    ),
)

SEED_SCOPE = TenantScope(read_tenants=frozenset(org.id for org in ORGANIZATIONS))


async def seed_demo(runtime: Runtime) -> list[DemoLogin]:
    """Create whatever part of the demo is missing, in one transaction, and list its logins."""
    password = runtime.settings.demo_password.get_secret_value()
    async with runtime.sessions() as session, session.begin():
        for organization in ORGANIZATIONS:
            await _ensure_organization(session, organization)
        users = {
            account.email: await _ensure_user(session, account, password) for account in ACCOUNTS
        }
        for account in ACCOUNTS:
            await _ensure_membership(
                session, account.organization, users[account.email], account.role
            )
        for client in NORTHWIND_CLIENTS:
            await _ensure_engagement(session, client, NORTHWIND)
        await _ensure_auditor_grant(session, ACME, BUREAU, granted_by=users[ACME_OWNER])
        await _ensure_auditor_grant(session, GLOBEX, BUREAU, granted_by=users[GLOBEX_OWNER])
    history = DemoHistory(runtime, ACME.id)
    await seed_programs(runtime, ACME.id, users[ACME_OWNER].id, history)
    await seed_evidence(runtime, ACME.id, users[ACME_OWNER].id, users[NORTHWIND_CONSULTANT].id)
    await history.record_next_phase()
    await seed_findings(runtime, ACME.id, users[ACME_OWNER].id)
    await seed_audits(runtime, ACME.id, users[ACME_OWNER].id, users[ACME_AUDITOR].id)
    await seed_registers(runtime, acme=(ACME.id, users[ACME_OWNER].id))
    await seed_reviews(runtime, ACME.id, users[ACME_OWNER].id, users[ACME_AUDITOR].id)
    await history.record_next_phase()
    await seed_certification(
        runtime,
        globex=(GLOBEX.id, users[GLOBEX_OWNER].id),
        acme=(ACME.id, users[ACME_OWNER].id),
    )
    await seed_registers(runtime, globex=(GLOBEX.id, users[GLOBEX_OWNER].id))
    await seed_notifications(runtime, ACME.id, users[ACME_OWNER].id)
    await seed_portfolio(
        runtime,
        (ACME.id, users[ACME_OWNER].id),
        (GLOBEX.id, users[GLOBEX_OWNER].id),
        users[ACME_AUDITOR].id,
    )
    await seed_packages(runtime, ACME.id, users[ACME_OWNER].id)
    await seed_reports(runtime, ACME.id, users[ACME_OWNER].id)
    return [_login(account, users[account.email]) for account in ACCOUNTS]


async def _insert(session: TenantSession, tenant_id: uuid.UUID, row: Base) -> None:
    """Flush at once: row-level security judges the row under the scope in force at flush time."""
    await session.set_scope(SEED_SCOPE.writing_in(tenant_id))
    session.add(row)
    await session.flush()


async def _ensure_organization(session: TenantSession, organization: DemoOrganization) -> None:
    await session.set_scope(SEED_SCOPE)
    if await session.get(Organization, organization.id) is not None:
        return
    row = Organization(
        id=organization.id,
        kind=organization.kind.value,
        name=organization.name,
        slug=organization.slug,
    )
    try:
        await _insert(session, organization.id, row)
    except IntegrityError as error:
        raise DemoSeedError(
            f"the slug {organization.slug!r} is taken by an organization the demo did not create"
        ) from error


@dataclass(frozen=True)
class _Account:
    id: uuid.UUID
    password_is_demo: bool


async def _ensure_user(session: TenantSession, account: DemoAccount, password: str) -> _Account:
    """The account of that address, made when missing (as itself, like any new account)."""
    found = await credentials(session, account.email)
    if found is not None:
        return _Account(found.user_id, verify_password(found.password_hash, password))
    user = User(
        id=uuid.uuid4(),
        email=account.email,
        name=account.name,
        password_hash=hash_password(password),
    )
    await act_as(session, user.id)
    session.add(user)
    await session.flush()
    return _Account(user.id, password_is_demo=True)


async def _ensure_membership(
    session: TenantSession, organization: DemoOrganization, user: _Account, role: Role
) -> None:
    await session.set_scope(SEED_SCOPE)
    existing = await session.scalar(
        select(Membership.id).where(
            Membership.tenant_id == organization.id, Membership.user_id == user.id
        )
    )
    if existing is None:
        row = Membership(tenant_id=organization.id, user_id=user.id, role=role.value)
        await _insert(session, organization.id, row)


async def _ensure_engagement(
    session: TenantSession, client: DemoOrganization, consultancy: DemoOrganization
) -> None:
    await session.set_scope(SEED_SCOPE)
    existing = await session.scalar(
        select(ConsultancyEngagement.id).where(
            ConsultancyEngagement.tenant_id == client.id,
            ConsultancyEngagement.consultancy_id == consultancy.id,
            # One with an end date still to come is open too (the portfolio demo sets one).
            or_(
                ConsultancyEngagement.ended_at.is_(None),
                ConsultancyEngagement.ended_at > func.now(),
            ),
        )
    )
    if existing is None:
        row = ConsultancyEngagement(tenant_id=client.id, consultancy_id=consultancy.id)
        await _insert(session, client.id, row)


async def _ensure_auditor_grant(
    session: TenantSession, client: DemoOrganization, body: DemoOrganization, granted_by: _Account
) -> None:
    """A grant that lapsed since the last seed is replaced, so the auditor login keeps working."""
    await session.set_scope(SEED_SCOPE)
    # The database clock, which judges grants at every request.
    now: datetime = (await session.execute(select(func.now()))).scalar_one()
    existing = await session.scalar(
        select(AuditorGrant.id).where(
            AuditorGrant.tenant_id == client.id,
            AuditorGrant.certification_body_id == body.id,
            AuditorGrant.revoked_at.is_(None),
            AuditorGrant.valid_from <= now,
            AuditorGrant.valid_until > now,
        )
    )
    if existing is None:
        row = AuditorGrant(
            tenant_id=client.id,
            certification_body_id=body.id,
            valid_from=now,
            valid_until=now + timedelta(days=GRANT_DAYS),
            granted_by_id=granted_by.id,
        )
        await _insert(session, client.id, row)


def _login(account: DemoAccount, user: _Account) -> DemoLogin:
    return DemoLogin(
        email=account.email,
        organization=account.organization.name,
        role=account.role.value,
        access=account.access,
        password_is_demo=user.password_is_demo,
    )
