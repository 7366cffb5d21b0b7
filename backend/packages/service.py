"""Evidence packages: assemble while draft, freeze, release; signed downloads.

Every change is one transaction in the acting tenant, by those who run programs
(`RUN_PROGRAMS`); viewers and auditors only read. Only a draft changes. A ready report is
added to a draft as an item at once (its bytes and SHA-256 are fixed when it is rendered;
the package reads the reports area's models, nothing more). Freezing collects the content
(`content.py`), writes each item as a row and the manifest, reports included, with its digest;
after that the package refuses every change (LOCKED), and releasing it (after the audit)
only records the day, so the evidence it holds may be deleted again.

Who reads a package: the organization's own people and its consultants read all of them;
an auditor reads only the frozen or released packages given to a grant of its own
certification body, and only while that grant is valid (`visible`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, func, or_, select

from backend.catalog.models import Clause
from backend.certification.models import CertificationAudit
from backend.core.access import Actor, Permission, for_change, readable, require_writer
from backend.core.activity import Event, note
from backend.core.changes import KEEP, Change
from backend.core.errors import ErrorCode, ServiceError, invalid, not_found
from backend.core.signing import Signer
from backend.core.validation import require_given, text_field
from backend.db.session import TenantSession
from backend.packages import content, manifest
from backend.packages.archive import Part
from backend.packages.models import (
    EvidencePackage,
    Include,
    ItemKind,
    PackageDownload,
    PackageItem,
    PackageProgram,
    PackageRequirement,
    PackageStatus,
)
from backend.programs.models import Program
from backend.programs.service import writable_program
from backend.reports.models import Report, ReportFile, ReportStatus
from tenants.models import AuditorGrant, ConsultancyEngagement, Membership

MAX_PROGRAMS = 10
MAX_REQUIREMENTS = 500
DOWNLOAD = "package"  # the purpose of a download token


@dataclass(frozen=True)
class PackageFields:
    """A package's scope; KEEP leaves the stored value, lists replace theirs."""

    title: Change[str] = KEEP
    program_ids: Change[Sequence[uuid.UUID]] = KEEP
    requirement_ids: Change[Sequence[uuid.UUID]] = KEEP  # empty: every requirement
    includes: Change[Sequence[Include]] = KEEP
    certification_audit_id: Change[uuid.UUID | None] = KEEP
    grant_id: Change[uuid.UUID | None] = KEEP


# --- who sees what ---------------------------------------------------------------------------


def visible(user_id: uuid.UUID) -> ColumnElement[bool]:
    """The packages `user_id` may read among the tenants it reads: all of them where it is a
    member or an engaged consultant; elsewhere (it reads as an auditor) only those given to
    a grant of its body that is valid now, once frozen."""
    own = exists().where(
        Membership.tenant_id == EvidencePackage.tenant_id, Membership.user_id == user_id
    )
    consulting = exists().where(
        ConsultancyEngagement.tenant_id == EvidencePackage.tenant_id,
        ConsultancyEngagement.consultancy_id.in_(
            select(Membership.tenant_id).where(Membership.user_id == user_id)
        ),
        ConsultancyEngagement.started_at <= func.now(),
        or_(ConsultancyEngagement.ended_at.is_(None), ConsultancyEngagement.ended_at > func.now()),
    )
    granted = exists().where(
        AuditorGrant.id == EvidencePackage.grant_id,
        AuditorGrant.certification_body_id.in_(
            select(Membership.tenant_id).where(Membership.user_id == user_id)
        ),
        AuditorGrant.valid_from <= func.now(),
        AuditorGrant.valid_until > func.now(),
        AuditorGrant.revoked_at.is_(None),
    )
    shown = EvidencePackage.status != PackageStatus.DRAFT.value
    return or_(own, consulting, shown & granted)


async def visible_package(db: TenantSession, package_id: uuid.UUID) -> EvidencePackage:
    """A package the caller may read; any other looks missing."""
    found = await db.scalar(
        select(EvidencePackage).where(EvidencePackage.id == package_id, visible(_user_of(db)))
    )
    if found is None:
        raise not_found("Evidence package", ["id"])
    return found


def _user_of(db: TenantSession) -> uuid.UUID:
    user_id = db.scope.user_id
    if user_id is None:  # a system scope reads no package by this rule
        raise not_found("Evidence package", ["id"])
    return user_id


# --- drafting --------------------------------------------------------------------------------


async def create_package(db: TenantSession, actor: Actor, values: PackageFields) -> EvidencePackage:
    """A draft package of the acting tenant for one or more of its programs."""
    require_given(values, "title", "program_ids")
    require_writer(db, actor, actor.tenant_id, "Organization", Permission.RUN_PROGRAMS)
    package = EvidencePackage(
        tenant_id=actor.tenant_id,
        status=PackageStatus.DRAFT.value,
        includes=[include.value for include in Include],
        created_by_id=actor.user_id,
    )
    db.add(package)
    await _write(db, actor, package, values)
    return await _save(db, package)


async def update_package(
    db: TenantSession, actor: Actor, package_id: uuid.UUID, values: PackageFields
) -> EvidencePackage:
    """Change a draft's scope; a frozen or released package is LOCKED."""
    package = await _draft(db, actor, package_id)
    await _write(db, actor, package, values)
    return await _save(db, package)


async def _write(
    db: TenantSession, actor: Actor, package: EvidencePackage, values: PackageFields
) -> None:
    if values.title is not KEEP:
        package.title = text_field(values.title, "title")
    if values.includes is not KEEP:
        package.includes = [include.value for include in Include if include in values.includes]
    if values.certification_audit_id is not KEEP:
        package.certification_audit_id = await _own(
            db, package, CertificationAudit, values.certification_audit_id, "certificationAuditId"
        )
    if values.grant_id is not KEEP:
        package.grant_id = await _own(db, package, AuditorGrant, values.grant_id, "grantId")
    await _check_body(db, package)
    await db.flush()
    if values.program_ids is not KEEP:
        await _replace_programs(db, actor, package, values.program_ids)
    if values.requirement_ids is not KEEP:
        await _replace_requirements(db, package, values.requirement_ids)


async def _own(
    db: TenantSession,
    package: EvidencePackage,
    model: type[CertificationAudit] | type[AuditorGrant],
    row_id: uuid.UUID | None,
    field: str,
) -> uuid.UUID | None:
    """`row_id`, a row of the package's own organization (or None: cleared)."""
    if row_id is None:
        return None
    what = "Certification audit" if model is CertificationAudit else "Auditor grant"
    row = await readable(db, model, row_id, what, field)
    if row.tenant_id != package.tenant_id:
        raise not_found(what, [field])
    return row.id


async def _check_body(db: TenantSession, package: EvidencePackage) -> None:
    """A package for a certification audit is given to that audit's body, not another."""
    if package.certification_audit_id is None or package.grant_id is None:
        return
    audit = await db.get(CertificationAudit, package.certification_audit_id)
    grant = await db.get(AuditorGrant, package.grant_id)
    if audit and grant and audit.certification_body_id != grant.certification_body_id:
        raise invalid(
            "The grant belongs to another certification body than the audit's.", ["grantId"]
        )


async def _replace_programs(
    db: TenantSession, actor: Actor, package: EvidencePackage, program_ids: Sequence[uuid.UUID]
) -> None:
    if not 1 <= len(program_ids) <= MAX_PROGRAMS:
        raise invalid(f"Name 1 to {MAX_PROGRAMS} programs.", ["programIds"])
    if len(set(program_ids)) != len(program_ids):
        raise invalid("Name each program once.", ["programIds"])
    for program_id in program_ids:
        await writable_program(db, actor, program_id)
    await db.execute(delete(PackageProgram).where(PackageProgram.package_id == package.id))
    db.add_all(
        PackageProgram(tenant_id=package.tenant_id, package_id=package.id, program_id=p, position=n)
        for n, p in enumerate(program_ids)
    )
    await db.flush()
    kept = select(PackageProgram.program_id).where(PackageProgram.package_id == package.id)
    await db.execute(  # requirements of a program that left the scope go with it
        delete(PackageRequirement).where(
            PackageRequirement.package_id == package.id,
            PackageRequirement.program_id.not_in(kept),
        )
    )


async def _replace_requirements(
    db: TenantSession, package: EvidencePackage, clause_ids: Sequence[uuid.UUID]
) -> None:
    """Narrow the programs to these requirements; each must be of a program's standard."""
    if len(clause_ids) > MAX_REQUIREMENTS:
        raise invalid(f"Name at most {MAX_REQUIREMENTS} requirements.", ["requirementIds"])
    rows = (
        await db.execute(
            select(Clause.id, PackageProgram.program_id)
            .join(Program, Program.standard_id == Clause.standard_id)
            .join(PackageProgram, PackageProgram.program_id == Program.id)
            .where(PackageProgram.package_id == package.id, Clause.id.in_(clause_ids))
        )
    ).all()
    unknown = set(clause_ids) - {clause_id for clause_id, _ in rows}
    if unknown:
        raise invalid(
            "Name requirements of the standards of the package's programs.", ["requirementIds"]
        )
    await db.execute(delete(PackageRequirement).where(PackageRequirement.package_id == package.id))
    db.add_all(
        PackageRequirement(
            tenant_id=package.tenant_id, package_id=package.id, program_id=p, clause_id=c
        )
        for c, p in rows
    )
    await db.flush()


async def add_report(
    db: TenantSession, actor: Actor, package_id: uuid.UUID, report_id: uuid.UUID
) -> EvidencePackage:
    """Put a ready report of the package's organization into the draft, once, as a file
    item with the report's own size and SHA-256 (what the auditor is handed is what was
    rendered, byte for byte). Items are not logged row by row (the freeze is, with its
    manifest), so the addition is noted in the activity log as an event of the package.
    A frozen or released package is LOCKED."""
    package = await _draft(db, actor, package_id)
    report = await readable(db, Report, report_id, "Report", "reportId")
    if report.tenant_id != package.tenant_id:
        raise not_found("Report", ["reportId"])
    if report.status != ReportStatus.READY.value or report.sha256 is None:
        raise invalid(
            f"The report is {report.status}, not ready: add it once it is rendered.", ["reportId"]
        )
    held = list(await db.scalars(_items_of(package.id)))
    if any(row.report_id == report.id for row in held):
        raise invalid("The report is in the package already.", ["reportId"])
    db.add(
        PackageItem(
            tenant_id=package.tenant_id,
            package_id=package.id,
            position=len(held),
            kind=ItemKind.REPORT.value,
            path=f"reports/{report.id}-{content.safe_name(report.filename)}",
            record_type="Report",
            record_id=report.id,
            report_id=report.id,
            size_bytes=report.size_bytes or 0,
            sha256=report.sha256,
        )
    )
    details = {"event": "report added", "report": str(report.id), "sha256": report.sha256}
    note(db, Event(package.tenant_id, "EvidencePackage", str(package.id), details))
    return await _save(db, package)


def _items_of(package_id: uuid.UUID) -> Select[PackageItem]:
    return (
        select(PackageItem)
        .where(PackageItem.package_id == package_id)
        .order_by(PackageItem.position)
    )


# --- freezing and release --------------------------------------------------------------------


async def freeze_package(db: TenantSession, actor: Actor, package_id: uuid.UUID) -> EvidencePackage:
    """Collect the content as it stands and fix it: items, manifest and its digest."""
    package = await _draft(db, actor, package_id)
    scope = await _scope(db, package)
    if not scope.program_ids:
        raise invalid("A package needs a program before it is frozen.", ["programIds"])
    items = await content.collect(db, scope)
    frozen_at = datetime.now(UTC)
    added = list(await db.scalars(_items_of(package.id)))  # the reports added to the draft
    entries = [
        manifest.Entry(
            row.path, "file", row.record_type, str(row.record_id), row.size_bytes, row.sha256
        )
        for row in added
    ] + [
        manifest.Entry(
            item.path,
            ItemKind.FILE.value if item.version else ItemKind.RECORD.value,
            item.type,
            str(item.id) if item.id else None,
            item.size,
            item.sha256,
        )
        for item in items
    ]
    package.manifest, package.manifest_sha256 = manifest.build(
        _described(package, scope, frozen_at), entries
    )
    db.add_all(_item_row(package, len(added) + n, item) for n, item in enumerate(items))
    package.status = PackageStatus.FROZEN.value
    package.frozen_at, package.frozen_by_id = frozen_at, actor.user_id
    return await _save(db, package)


def _item_row(package: EvidencePackage, position: int, item: content.Collected) -> PackageItem:
    version = item.version
    return PackageItem(
        tenant_id=package.tenant_id,
        package_id=package.id,
        position=position,
        kind=ItemKind.FILE.value if version else ItemKind.RECORD.value,
        path=item.path,
        record_type=item.type,
        record_id=item.id,
        evidence_version_id=version.id if version else None,
        storage_key=version.storage_key if version else None,
        size_bytes=item.size,
        sha256=item.sha256,
        record=None if version else item.record,
    )


def _described(
    package: EvidencePackage, scope: content.Scope, frozen_at: datetime
) -> dict[str, Any]:
    """The package as its manifest names it (ids as text: plain JSON)."""
    return {
        "id": str(package.id),
        "title": package.title,
        "organization": str(package.tenant_id),
        "frozen_at": frozen_at.isoformat(),
        "certification_audit": _text(package.certification_audit_id),
        "grant": _text(package.grant_id),
        "programs": [str(program_id) for program_id in scope.program_ids],
        "includes": list(package.includes),
    }


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


async def release_package(
    db: TenantSession, actor: Actor, package_id: uuid.UUID
) -> EvidencePackage:
    """The audit is over: the package stays as it was, its evidence may be deleted again."""
    package = await _for_change(db, actor, package_id)
    if package.status != PackageStatus.FROZEN.value:
        raise ServiceError(
            ErrorCode.INVALID, f"Only a frozen package is released; this one is {package.status}."
        )
    package.status = PackageStatus.RELEASED.value
    package.released_at = datetime.now(UTC)
    return await _save(db, package)


async def _scope(db: TenantSession, package: EvidencePackage) -> content.Scope:
    programs = list(
        await db.scalars(
            select(PackageProgram.program_id)
            .where(PackageProgram.package_id == package.id)
            .order_by(PackageProgram.position)
        )
    )
    narrowed: dict[uuid.UUID, set[uuid.UUID]] = {}
    for program_id, clause_id in await db.execute(
        select(PackageRequirement.program_id, PackageRequirement.clause_id).where(
            PackageRequirement.package_id == package.id
        )
    ):
        narrowed.setdefault(program_id, set()).add(clause_id)
    return content.Scope(programs, narrowed, frozenset(Include(i) for i in package.includes))


# --- downloads -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedDownload:
    url: str
    expires_at: datetime


async def download_url(
    db: TenantSession, signer: Signer, base_url: str, ttl_seconds: int, package_id: uuid.UUID
) -> SignedDownload:
    """A short-lived signed URL of the package's ZIP, for anyone who may read the package
    once it is frozen; the download itself is recorded when the ZIP is fetched."""
    package = await visible_package(db, package_id)
    if package.status == PackageStatus.DRAFT.value:
        raise invalid("A draft has no content yet; freeze it first.", ["id"])
    token = signer.sign(
        DOWNLOAD,
        ttl_seconds,
        package=str(package.id),
        tenant=str(package.tenant_id),
        user=str(_user_of(db)),
    )
    expires = datetime.now(UTC) + timedelta(seconds=ttl_seconds)
    return SignedDownload(f"{base_url.rstrip('/')}/packages/{token}", expires)


@dataclass(frozen=True)
class Download:
    """What the ZIP route streams: the manifest's bytes and digest, then every item."""

    title: str
    frozen_at: datetime
    manifest: bytes
    manifest_sha256: str
    parts: list[Part]


async def open_download(
    db: TenantSession, package_id: uuid.UUID, user_id: uuid.UUID
) -> Download | None:
    """Read a frozen package's items and record the download, in the system scope of the
    package's tenant (the signed token is the authorization); None when it is gone."""
    package = await db.get(EvidencePackage, package_id)
    if package is None or package.manifest is None or package.frozen_at is None:
        return None
    rows = list(await db.scalars(_items_of(package.id)))
    reports = await _report_files(db, [row.report_id for row in rows if row.report_id])
    parts = [_part(row, reports) for row in rows]
    db.add(PackageDownload(tenant_id=package.tenant_id, package_id=package.id, user_id=user_id))
    await db.commit()
    return Download(
        package.title,
        package.frozen_at,
        manifest.canonical(package.manifest),
        package.manifest_sha256 or "",
        parts,
    )


def _part(row: PackageItem, reports: dict[uuid.UUID, bytes]) -> Part:
    """An item as a ZIP entry: a record's canonical JSON or a report's file in hand, or an
    evidence file streamed from the store."""
    if row.record is not None:
        return Part(row.path, row.size_bytes, body=manifest.canonical(row.record))
    if row.report_id is not None:
        return Part(row.path, row.size_bytes, body=reports[row.report_id])
    return Part(row.path, row.size_bytes, row.storage_key)


async def _report_files(db: TenantSession, report_ids: list[uuid.UUID]) -> dict[uuid.UUID, bytes]:
    """The bytes of the reports a package holds, in one statement. Reports are kept in the
    database and weigh kilobytes to a few megabytes, so they are read whole, not streamed."""
    if not report_ids:
        return {}
    rows = await db.execute(
        select(ReportFile.report_id, ReportFile.content).where(ReportFile.report_id.in_(report_ids))
    )
    return {row.report_id: row.content for row in rows}


# --- shared ----------------------------------------------------------------------------------


async def _for_change(db: TenantSession, actor: Actor, package_id: uuid.UUID) -> EvidencePackage:
    await visible_package(db, package_id)
    return await for_change(
        db,
        actor,
        EvidencePackage,
        package_id,
        permission=Permission.RUN_PROGRAMS,
        what="Evidence package",
    )


async def _draft(db: TenantSession, actor: Actor, package_id: uuid.UUID) -> EvidencePackage:
    package = await _for_change(db, actor, package_id)
    if package.status != PackageStatus.DRAFT.value:
        raise ServiceError(
            ErrorCode.LOCKED,
            f"{package.title} is {package.status}: a frozen package never changes.",
        )
    return package


async def _save(db: TenantSession, package: EvidencePackage) -> EvidencePackage:
    db.add(package)
    await db.commit()
    await db.refresh(package)
    return package
