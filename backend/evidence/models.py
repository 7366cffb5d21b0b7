"""Evidence items, their immutable file versions, links and downloads."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class EvidenceKind(enum.StrEnum):
    DOCUMENT = "document"
    RECORD = "record"
    SCREENSHOT = "screenshot"
    LOG_EXPORT = "log_export"
    CERTIFICATE = "certificate"
    PHOTO = "photo"
    OTHER = "other"


class VersionStatus(enum.StrEnum):
    PENDING = "pending"  # upload URL issued, bytes not yet checked
    AVAILABLE = "available"  # stored object checked: size and SHA-256 as declared
    REJECTED = "rejected"  # mismatch, missing object or expired request; object removed


class EvidenceItem(Identified, Timestamped, TenantOwned, Base):
    """A piece of evidence. Freshness (current, expiring soon, stale) is derived, not stored."""

    __tablename__ = "evidence_items"

    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(value_enum(EvidenceKind, "evidence_kind"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    period_from: Mapped[date | None]  # the period the evidence covers
    period_to: Mapped[date | None]
    collected_at: Mapped[datetime | None]
    valid_until: Mapped[date | None]
    review_interval_days: Mapped[int | None]
    deleted_at: Mapped[datetime | None]  # soft delete: nothing is ever overwritten or erased


class EvidenceVersion(Identified, TenantOwned, Base):
    """One immutable file of an evidence item. The storage key is built from ids only."""

    __tablename__ = "evidence_versions"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_not_negative"),)

    evidence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))  # hex, as declared and then verified
    status: Mapped[str] = mapped_column(
        value_enum(VersionStatus, "evidence_version_status"), default=VersionStatus.PENDING.value
    )
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    upload_expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]


class EvidenceLink(Identified, TenantOwned, Base):
    """What an evidence item proves: a requirement of a program, a step, or an action."""

    __tablename__ = "evidence_links"
    __table_args__ = (
        CheckConstraint(
            "(clause_id IS NOT NULL)::int + (step_id IS NOT NULL)::int"
            " + (action_id IS NOT NULL)::int = 1",
            name="one_target",
        ),
        Index(
            "uq_evidence_links_target",
            "evidence_id",
            "program_id",
            "clause_id",
            "step_id",
            "action_id",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    evidence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    clause_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clauses.id"), index=True)
    step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("program_steps.id", ondelete="CASCADE")
    )
    action_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("actions.id", ondelete="CASCADE")
    )


class EvidenceDownload(Identified, TenantOwned, Base):
    """Who fetched which version, when: auditors ask, so we can answer."""

    __tablename__ = "evidence_downloads"

    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evidence_versions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    downloaded_at: Mapped[datetime] = mapped_column(server_default=func.now())
