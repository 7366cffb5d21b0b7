"""Auditor evidence packages: what a client hands a certification body to audit against.

A package is a draft while its scope is chosen (programs, requirements, what to include).
Freezing it writes every item it holds as rows (files with their SHA-256 and size, records
as JSON snapshots with their digests) and a manifest with its own hash; from then on
nothing of it changes, whatever happens to the client's data. Releasing it after the audit
lets the evidence versions it holds be deleted again; its items and manifest stay.
A report (a PDF or workbook of the reports area) is added to a draft as an item at once,
when asked: its bytes are already fixed, with their SHA-256, so the item is final then.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class PackageStatus(enum.StrEnum):
    DRAFT = "draft"  # scope still chosen; nothing collected yet
    FROZEN = "frozen"  # items and manifest written: immutable, its evidence undeletable
    RELEASED = "released"  # the audit is over: still immutable, its evidence deletable again


class Include(enum.StrEnum):
    """The parts a package may hold; a draft chooses which."""

    SOA = "soa"
    DOCUMENTS = "documents"
    EVIDENCE = "evidence"
    AUDITS = "audits"
    REVIEW = "review"


class ItemKind(enum.StrEnum):
    FILE = "file"  # bytes in the evidence store, streamed into the ZIP
    RECORD = "record"  # a JSON snapshot of a row taken at freeze time
    REPORT = "report"  # a ready report's file, added to the draft; read from report_files


class EvidencePackage(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "evidence_packages"
    __table_args__ = (
        CheckConstraint(
            "(status = 'draft') = (manifest_sha256 IS NULL)", name="manifest_when_frozen"
        ),
    )

    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(
        value_enum(PackageStatus, "evidence_package_status"), default=PackageStatus.DRAFT.value
    )
    certification_audit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("certification_audits.id"), index=True
    )
    grant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("auditor_grants.id"), index=True)
    includes: Mapped[list[str]] = mapped_column(JSONB, default=lambda: [i.value for i in Include])
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    frozen_at: Mapped[datetime | None]
    frozen_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    released_at: Mapped[datetime | None]
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))


class PackageProgram(Identified, TenantOwned, Base):
    """A program in the package's scope."""

    __tablename__ = "evidence_package_programs"

    package_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evidence_packages.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)


class PackageRequirement(Identified, TenantOwned, Base):
    """A requirement the package narrows a program to; a program with none is in whole."""

    __tablename__ = "evidence_package_requirements"

    package_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evidence_packages.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    clause_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clauses.id", ondelete="CASCADE"))


class PackageItem(Identified, TenantOwned, Base):
    """One entry of a package: a file (an evidence version, referenced without a delete
    action, so the version cannot be erased under the package) or a record snapshot, both
    written at freeze, or a report's file, written when it is added to the draft."""

    __tablename__ = "evidence_package_items"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'file') = (evidence_version_id IS NOT NULL AND record IS NULL)",
            name="file_or_record",
        ),
        CheckConstraint("(kind::text = 'report') = (report_id IS NOT NULL)", name="report_item"),
        Index(
            "uq_evidence_package_items_report",
            "package_id",
            "report_id",
            unique=True,
            postgresql_where=text("report_id IS NOT NULL"),
        ),
    )
    activity_logged: ClassVar[bool] = False  # written once at freeze; the freeze is logged

    package_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evidence_packages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(value_enum(ItemKind, "evidence_package_item_kind"))
    path: Mapped[str] = mapped_column(String(500))  # its name inside the ZIP
    record_type: Mapped[str] = mapped_column(String(60))  # what it is: EvidenceVersion, Audit...
    record_id: Mapped[uuid.UUID | None]
    evidence_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("evidence_versions.id"), index=True
    )
    storage_key: Mapped[str | None] = mapped_column(String(300))
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))


class PackageDownload(Identified, TenantOwned, Base):
    """Who fetched a package's ZIP, when: the auditor's access, on the record."""

    __tablename__ = "evidence_package_downloads"

    package_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evidence_packages.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    downloaded_at: Mapped[datetime] = mapped_column(server_default=func.now())
