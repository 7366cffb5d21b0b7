"""The demo's evidence package: Acme freezes a package for its booked ISO 9001 stage 1
audit, given to Bureau Certifica's grant, so the body's auditor sees and downloads it.

Written through the packages service: the content (the program and its requirements, the
linked evidence with its files, the signed internal audit and management review) is what
Acme's seeded data holds at that moment. Skipped when Acme has a package already.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.certification.models import CertificationAudit, CertificationAuditProgram
from backend.core.access import Actor
from backend.packages.models import EvidencePackage
from backend.packages.service import PackageFields, create_package, freeze_package
from backend.runtime import Runtime
from tenants.models import AuditorGrant
from tenants.roles import Role
from tenants.scope import TenantScope


async def seed_packages(runtime: Runtime, client_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
        if await db.scalar(select(EvidencePackage.id).limit(1)) is not None:
            return
        audit = await db.scalar(
            select(CertificationAudit).order_by(CertificationAudit.planned_start).limit(1)
        )
        grant = await db.scalar(
            select(AuditorGrant.id).where(
                AuditorGrant.revoked_at.is_(None),
                AuditorGrant.certification_body_id
                == (audit.certification_body_id if audit else None),
            )
        )
        if audit is None or grant is None:
            return
        programs = list(
            await db.scalars(
                select(CertificationAuditProgram.program_id)
                .where(CertificationAuditProgram.audit_id == audit.id)
                .order_by(CertificationAuditProgram.position)
            )
        )
        owner = Actor(owner_id, client_id, Role.OWNER)
        package = await create_package(
            db,
            owner,
            PackageFields(
                title="Stage 1 audit, ISO 9001",
                program_ids=programs,
                certification_audit_id=audit.id,
                grant_id=grant,
            ),
        )
        await freeze_package(db, owner, package.id)
